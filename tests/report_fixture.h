/* Small run folders written by hand (the lines pretrain, finetune, test and retrieve write), for the
 * report tests: a demo-style root with pretrain/ (stopped in round 3 of 3, its last line cut off, a
 * failed client fit, a NaN loss), finetune/ (resumed once, a test with a hostile class name),
 * retrieve_a/ and retrieve_b/, plus folders the report must not show (too deep, hidden). */
#ifndef FEDVSSL_REPORT_FIXTURE_H
#define FEDVSSL_REPORT_FIXTURE_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/core/util.h"
#include "../src/core/fsutil.h"
#include "../src/io/npy.h"

/* The strings that must never reach the page unescaped. */
#define HOSTILE_CFG "<script>alert(1)</script>"
#define HOSTILE_ERR "<img src=x onerror=alert(2)> & 'q'"
#define HOSTILE_CLASS "<b>Bold&Co</b>"

static inline void fx_write(const char *dir, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void fx_write(const char *dir, const char *name, const char *fmt, ...) {
    if (mkdir_p(dir)) die("%s: cannot create: %m", dir);
    char *p = path_join(dir, name);
    FILE *f = fopen(p, "w");
    if (!f) die("%s: cannot create: %m", p);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
    free(p);
}

static inline void fx_write_bytes(const char *dir, const char *name, const void *d, size_t n) {
    if (mkdir_p(dir)) die("%s: cannot create: %m", dir);
    char *p = path_join(dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(d, 1, n, f) != n) die("%s: cannot write: %m", p);
    fclose(f);
    free(p);
}

static inline char *fx_path(const char *a, const char *b) { return path_join(a, b); }

static inline void fx_pretrain(const char *dir) {
    fx_write(dir, "config.yaml",
             "data_dir: \"data\"\npool_size: 2\nrounds: 3\nseed: 7\nstrategy:\n  mix_coeff: 0.9\n"
             "out: \"" HOSTILE_CFG "\"\n");
    char *p = fx_path(dir, "metrics.jsonl");
    FILE *f = fopen(p, "w");
    if (!f) die("%s: %m", p);
    for (int r = 1; r <= 2; r++) {
        for (int c = 1; c <= 2; c++) {
            for (int it = 1; it <= 2; it++)
                fprintf(
                    f,
                    "{\"event\": \"train\", \"round\": %d, \"client\": %d, \"iter\": %d, \"iters\": 2, \"loss\": %s, "
                    "\"loss_ctr\": 1.0, \"loss_size\": 1.0, \"lr\": 0.01, \"grad_norm\": 1.0, \"clips_per_s\": %g, "
                    "\"sec_per_iter\": 0.5}\n",
                    r, c, it,
                    r == 2 && c == 2 && it == 1 ? "NaN"
                    : c == 1 && it == 2         ? "1e+200"
                                                : "20.5",
                    3.0 + c);
            if (r == 2 && c == 2)
                fprintf(
                    f,
                    "{\"event\": \"client_fit\", \"round\": 2, \"client\": 2, \"ok\": false, \"num_examples\": 4, "
                    "\"iters\": 1, \"loss_metric\": NaN, \"mean_loss\": NaN, \"seconds\": 1.5, \"error\": \"%s\"}\n",
                    HOSTILE_ERR);
            else
                fprintf(f,
                        "{\"event\": \"client_fit\", \"round\": %d, \"client\": %d, \"ok\": true, \"num_examples\": 4, "
                        "\"iters\": 2, \"loss_metric\": 1e-9, \"mean_loss\": %g, \"seconds\": 2.25}\n",
                        r, c, 21.0 - r);
        }
        fprintf(f,
                "{\"event\": \"round\", \"round\": %d, \"rounds\": 3, \"strategy\": \"fedvssl\", \"sampled\": 2, "
                "\"results\": %d, \"failures\": %d, \"loss\": %g, \"seconds\": 5.5, \"server_seconds\": 0.75}\n",
                r, r == 2 ? 1 : 2, r == 2 ? 1 : 0, 21.0 - r);
    }
    /* round 3: client 1 trained, then the run was killed while writing a line */
    fprintf(f, "{\"event\": \"train\", \"round\": 3, \"client\": 1, \"iter\": 1, \"iters\": 2, \"loss\": 19.0, "
               "\"lr\": 0.01, \"clips_per_s\": 4.0}\n");
    fprintf(f,
            "{\"event\": \"client_fit\", \"round\": 3, \"client\": 1, \"ok\": true, \"num_examples\": 4, \"iters\": 2, "
            "\"loss_metric\": 1e-9, \"mean_loss\": 19.0, \"seconds\": 2.0}\n");
    fprintf(f, "{\"event\": \"train\", \"round\": 3, \"client\": 2, \"iter\": 1, \"iters\": 2, \"lo");
    fclose(f);
    free(p);
}

static inline void fx_finetune(const char *dir) {
    fx_write(dir, "config.yaml", "data_dir: \"data\"\nepochs: 3\nlr_steps: [1.0, 2.0]\ngamma: 0.1\n");
    char *p = fx_path(dir, "metrics.jsonl");
    FILE *f = fopen(p, "w");
    if (!f) die("%s: %m", p);
    /* epochs 1 and 2, then a resume that repeats epoch 2 and finishes 3 */
    int seq[] = {1, 2, 2, 3};
    for (int k = 0; k < 4; k++) {
        int e = seq[k];
        double lr = e == 1 ? 0.01 : e == 2 ? 0.001 : 0.0001;
        for (int it = 1; it <= 2; it++)
            fprintf(
                f,
                "{\"event\": \"train\", \"epoch\": %d, \"iter\": %d, \"iters\": 2, \"loss\": %g, \"acc\": %g, "
                "\"lr\": %g, \"grad_norm\": 3.0, \"clips_per_s\": %g, \"sec_per_iter\": 0.5, \"data_time\": 0.01}\n",
                e, it, 2.0 - 0.3 * e - 0.05 * it, 0.2 * e, lr, 1.5 + 0.1 * k);
        fprintf(f,
                "{\"event\": \"epoch\", \"epoch\": %d, \"epochs\": 3, \"iters\": 2, \"loss\": %g, \"top1\": %g, "
                "\"lr\": %g, \"seconds\": %g, \"clips_per_s\": 1.6, \"checkpoint\": \"x/epoch_%d.npz\"}\n",
                e, 2.0 - 0.3 * e, 0.2 * e, lr, 3.0 + k, e);
    }
    fclose(f);
    free(p);
    fx_write(dir, "results.json",
             "{\n  \"top1\": 0.6666666666666666,\n  \"top5\": 1.0,\n  \"mean_class_accuracy\": 0.6666666666666666,\n"
             "  \"num_videos\": 6,\n  \"num_classes\": 3,\n  \"clips_per_video\": 10,\n  \"checkpoint\": "
             "\"x/epoch_3.npz\",\n"
             "  \"seconds\": 4.5,\n  \"per_class\": [\n"
             "    {\"class\": 1, \"name\": \"ApplyEyeMakeup\", \"videos\": 2, \"correct\": 2, \"top1\": 1.0},\n"
             "    {\"class\": 2, \"name\": \"%s\", \"videos\": 2, \"correct\": 1, \"top1\": 0.5},\n"
             "    {\"class\": 3, \"name\": \"Basketball\", \"videos\": 2, \"correct\": 1, \"top1\": 0.5}\n  ],\n"
             "  \"confusion\": [\n    [2, 0, 0],\n    [1, 1, 0],\n    [0, 1, 1]\n  ]\n}\n",
             HOSTILE_CLASS);
    fx_write(dir, "per_class.tsv",
             "class\tname\tvideos\tcorrect\ttop1\n1\tApplyEyeMakeup\t2\t2\t1.000000\n2\t%s\t2\t1\t0.500000\n"
             "3\tBasketball\t2\t1\t0.500000\n",
             HOSTILE_CLASS);
}

static inline void fx_retrieve(const char *dir, double r1) {
    fx_write(dir, "retrieval.json",
             "{\n  \"R@1\": %g,\n  \"R@5\": 0.5,\n  \"R@10\": 0.75,\n  \"R@20\": 1.0,\n  \"R@50\": 1.0,\n"
             "  \"num_queries\": 4,\n  \"num_gallery\": 8,\n  \"num_classes\": 3,\n  \"init\": null,\n"
             "  \"seconds\": 2.5\n}\n",
             r1);
}

/* test_scores.npz of N videos, C classes: video i has label i % C and is predicted (i * 7) % C. */
static inline void fx_scores(const char *dir, int N, int C) {
    float *s = xcalloc((size_t)N * C, sizeof *s);
    int64_t *l = xmalloc(sizeof(int64_t) * (size_t)N), sh[2] = {N, C}, sl = N;
    for (int i = 0; i < N; i++) {
        l[i] = i % C;
        for (int j = 0; j < C; j++) s[(size_t)i * C + j] = 0.1f / C;
        s[(size_t)i * C + (i * 7) % C] = 0.9f;
    }
    if (mkdir_p(dir)) die("%s: %m", dir);
    char *p = fx_path(dir, "test_scores.npz");
    NpzWriter w;
    if (npz_writer_open(&w, p)) die("%s: %m", p);
    npz_writer_add(&w, "scores", NPY_F32, 2, sh, s);
    npz_writer_add(&w, "labels", NPY_I64, 1, &sl, l);
    if (npz_writer_close(&w)) die("%s: write failed", p);
    free(p), free(s), free(l);
}

/* The demo-style root. */
static inline void fx_demo(const char *root) {
    char *d;
    fx_pretrain(d = fx_path(root, "pretrain")), free(d);
    fx_finetune(d = fx_path(root, "finetune")), free(d);
    fx_retrieve(d = fx_path(root, "retrieve_a"), 0.25), free(d);
    fx_retrieve(d = fx_path(root, "retrieve_b"), 0.5), free(d);
    fx_retrieve(d = fx_path(root, "x/y/too_deep"), 0.125), free(d);
    fx_retrieve(d = fx_path(root, ".hidden"), 0.0625), free(d);
}

#endif
