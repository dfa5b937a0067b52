/* fedvssl finetune / test / retrieve end to end on a tiny synthetic set (3 classes, 9 train and 3 test
 * videos): bad inputs end in one clear line naming the file; the backbone of a Flower-format round file
 * (by position) = that of a named npz; a fine-tune from a pretrain-style checkpoint (float64 counters)
 * takes its backbone; epochs=1 then epochs=2 (resume) gives the
 * uninterrupted run's checkpoint bit for bit; test's results.json matches a recomputation from its
 * saved logits; retrieve's R@k is monotone, R@50 = 1 on a small gallery, and matches a recomputation
 * from its saved features. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/core/util.h"
#include "../src/data/annotations.h"
#include "../src/data/fsutil.h"
#include "../src/io/ckpt.h"
#include "../src/io/npy.h"
#include "../src/model/downstream.h"
#include "../src/model/evaluate.h"
#include "golden.h"

static char root[64], data[128];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static char *slurp(const char *path) {
    size_t n;
    const char *e;
    char *s = (char *)read_file(path, &n, &e);
    if (!s) return xstrdup("");
    s = xrealloc(s, n + 1);
    s[n] = 0;
    return s;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
    return n;
}

/* the number after "key": in a JSON text (NAN if absent) */
static double json_num(const char *text, const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(text, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* A command that must fail: exit status 1 and one stderr line holding every given piece. */
static void expect_error(const char *what, const char *args, const char *want1, const char *want2) {
    char errf[128];
    snprintf(errf, sizeof errf, "%s/err.txt", root);
    int rc = sh("%s %s >/dev/null 2>%s", fedvssl_bin, args, errf);
    char *e = slurp(errf);
    int lines = count(e, "\n");
    CHECK(rc == 1 && lines == 1 && strstr(e, want1) && (!want2 || strstr(e, want2)),
          "%s: exit %d, %d lines: '%s' (want '%s'%s%s)", what, rc, lines, e, want1, want2 ? " and " : "",
          want2 ? want2 : "");
    free(e);
}

static void setup(void) {
    snprintf(data, sizeof data, "%s/data", root);
    CHECK(sh("%s synth --out %s/raw --classes 3 --videos-per-class 4 --frames 34 --seed 5 >/dev/null", fedvssl_bin,
             root) == 0, "synth");
    CHECK(sh("%s prepare --dataset ucf101 --src %s/raw --out %s >/dev/null", fedvssl_bin, root, data) == 0, "prepare");
}

/* A pretrain-style checkpoint: the CtP model's state with float64 counters (as round-<r>.npz holds
 * them), counters set to 7. */
static void write_ctp_init(const char *path) {
    Model m;
    model_init(&m, MODEL_CTP, 0);
    model_reset_parameters(&m, 3);
    NpzWriter w;
    CHECK(npz_writer_open(&w, path) == 0, "open %s", path);
    for (int i = 0; i < m.st.n; i++) {
        const StateEntry *e = &m.st.e[i];
        double seven = 7;
        if (e->type == ST_F32) npz_writer_add(&w, e->name, NPY_F32, e->ndim, e->shape, m.st.w + e->off);
        else npz_writer_add(&w, e->name, NPY_F64, e->ndim, e->shape, &seven);
    }
    CHECK(npz_writer_close(&w) == 0, "write %s", path);
    model_free(&m);
}

/* The CtP init again as the Flower baseline's round-<r>-weights.array.npz (a pickled flwr Parameters of
 * NPY blobs); n entries of it (126 = all). */
static void write_flwr_init(const char *path, int n) {
    Model m;
    model_init(&m, MODEL_CTP, 0);
    model_reset_parameters(&m, 3);
    TensorRef *t = xcalloc((size_t)m.st.n, sizeof *t);
    double *cnt = xcalloc((size_t)m.st.n, sizeof *cnt);
    for (int i = 0; i < m.st.n; i++) {
        const StateEntry *e = &m.st.e[i];
        cnt[i] = 7;
        t[i] = (TensorRef){e->type == ST_F32 ? NPY_F32 : NPY_F64, e->ndim, e->shape,
                           e->type == ST_F32 ? (const void *)(m.st.w + e->off) : (const void *)&cnt[i]};
    }
    char err[1024];
    CHECK(flwr_round_write(path, t, n < m.st.n ? n : m.st.n, err, sizeof err) == 0, "%s", err);
    free(t), free(cnt);
    model_free(&m);
}

/* The backbone from the Flower file (by position) = the backbone from the named npz (by name). */
static void test_flwr_init(const char *named, const char *flwr) {
    Model a, b;
    model_init(&a, MODEL_TSN, 3);
    model_init(&b, MODEL_TSN, 3);
    char how[200] = "";
    int of = 0, na = model_load_backbone(&a, named, &of, NULL, 0), nb = model_load_backbone(&b, flwr, NULL, how, sizeof how);
    CHECK(na == 120 && nb == 120 && of == 120, "120 backbone entries both ways (%d %d of %d)", na, nb, of);
    CHECK(strstr(how, "by position from flwr Parameters (126"), "how: %s", how);
    CHECK(!memcmp(a.st.w, b.st.w, a.st.nf * sizeof(float)) && !memcmp(a.st.cnt, b.st.cnt, a.st.ni * sizeof(int64_t)) &&
              a.st.cnt[0] == 7,
          "same weights and counters");
    model_free(&a), model_free(&b);
}

static void write_npz1(const char *path, const char *key, int ndim, const int64_t *shape) {
    float v[6] = {0};
    NpzWriter w;
    CHECK(npz_writer_open(&w, path) == 0 && npz_writer_add(&w, key, NPY_F32, ndim, shape, v) == 0 &&
              npz_writer_close(&w) == 0,
          "write %s", path);
}

static void test_bad_inputs(const char *init) {
    char a[1024], p[256];
    snprintf(a, sizeof a, "finetune data_dir=%s/nope quiet=true", root);
    expect_error("missing data_dir", a, "data_dir=", "/nope: no such folder");
    snprintf(a, sizeof a, "finetune config=conf/finetune.yaml data_dir=%s/nope", root);
    expect_error("conf/finetune.yaml is accepted", a, "data_dir=", "no such folder");
    expect_error("unknown key", "finetune epoch=3", "unknown key 'epoch'", "epochs");
    snprintf(a, sizeof a, "finetune data_dir=%s init=%s/missing.npz quiet=true out=%s/bad", data, root, root);
    expect_error("missing init", a, "/missing.npz", "no such file");
    snprintf(p, sizeof p, "%s/wrong_shape.npz", root);
    int64_t sh2[2] = {2, 3};
    write_npz1(p, "backbone.stem.conv.weight", 2, sh2);
    snprintf(a, sizeof a, "finetune data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("wrong-shaped init key", a, "wrong_shape.npz: 'backbone.stem.conv.weight' has shape (2, 3)",
                 "expected (64, 3, 3, 7, 7)");
    snprintf(a, sizeof a, "retrieve data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("retrieve: wrong-shaped init key", a, "wrong_shape.npz: 'backbone.stem.conv.weight'", "(2, 3)");
    snprintf(p, sizeof p, "%s/no_backbone.npz", root);
    int64_t sh1[1] = {4};
    write_npz1(p, "arr_0", 1, sh1);
    snprintf(a, sizeof a, "finetune data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("init without backbone entries", a, "no_backbone.npz: no backbone.* arrays", "'arr_0'");
    snprintf(p, sizeof p, "%s/short-weights.array.npz", root);
    write_flwr_init(p, 5);
    snprintf(a, sizeof a, "retrieve data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("a Flower file too short for a backbone", a, "short-weights.array.npz: flwr Parameters (5",
                 "fewer than the 120");
    snprintf(a, sizeof a, "retrieve data_dir=%s init=%s/missing.npz quiet=true", data, root);
    expect_error("retrieve: missing init", a, "/missing.npz", "no such file");
    snprintf(a, sizeof a, "test data_dir=%s run=%s quiet=true", data, root);
    expect_error("test: a folder without checkpoints", a, "no epoch_<e>.npz", root);
    snprintf(a, sizeof a, "test data_dir=%s checkpoint=%s quiet=true", data, init);
    expect_error("test: a checkpoint without a classifier", a, "ctp_init.npz: no classifier", NULL);
    snprintf(a, sizeof a, "finetune data_dir=%s train_list=nope.json quiet=true out=%s/bad", data, root);
    expect_error("missing train list", a, "nope.json: no such annotation list", NULL);
}

/* every array of two npz files identical */
static int same_arrays(const char *pa, const char *pb, int *n) {
    Npz a, b;
    char err[1024];
    if (npz_open(&a, pa, err, sizeof err)) return 0;
    if (npz_open(&b, pb, err, sizeof err)) return npz_close(&a), 0;
    int same = a.n == b.n;
    for (int i = 0; i < a.n && same; i++) {
        const NpyArray *x = &a.arr[i], *y = npz_get(&b, a.names[i]);
        same = y && x->type == y->type && x->nbytes == y->nbytes && !memcmp(x->data, y->data, x->nbytes);
        if (!same) fprintf(stderr, "%s and %s differ in '%s'\n", pa, pb, a.names[i]);
    }
    *n = a.n;
    npz_close(&a), npz_close(&b);
    return same;
}

static void test_finetune(const char *init) {
    char common[1024], p[512], q[512];
    snprintf(common, sizeof common, "data_dir=%s init=%s epochs=2 max_iters=1 data.batch=2 data.threads=2 log_interval=1", data,
             init);
    /* uninterrupted: 2 epochs */
    double t0 = now_sec();
    CHECK(sh("%s finetune %s out=%s/A > %s/A.txt", fedvssl_bin, common, root, root) == 0, "finetune A");
    printf("finetune 2 epochs x 1 step: %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "%s/A.txt", root);
    char *txt = slurp(p);
    CHECK(strstr(txt, "init: 120 of 120 backbone entries from"), "says how many entries it took: %s", txt);
    CHECK(strstr(txt, "fedvssl finetune: TSN, 3 classes, 9 videos"), "classes from the train list: %s", txt);
    free(txt);
    const char *files[] = {"config.yaml", "metrics.jsonl", "epoch_2.npz"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/A/%s", root, files[i]);
        CHECK(is_file(p), "%s exists", p);
    }
    snprintf(p, sizeof p, "%s/A/epoch_1.npz", root);
    CHECK(!is_file(p), "only the newest checkpoint is kept");
    snprintf(p, sizeof p, "%s/A/metrics.jsonl", root);
    char *mx = slurp(p);
    CHECK(count(mx, "\"event\": \"train\"") == 2 && count(mx, "\"event\": \"epoch\"") == 2 && count(mx, "\n") == 4,
          "metrics: a train record per iteration (log_interval=1) and one per epoch:\n%s", mx);
    CHECK(strstr(mx, "\"epoch\": 2, \"iter\": 1, \"iters\": 1, \"loss\": ") && strstr(mx, "\"grad_norm\": ") &&
              strstr(mx, "\"clips_per_s\": ") && strstr(mx, "\"top1\": ") && strstr(mx, "\"seconds\": "),
          "metrics fields");
    free(mx);
    snprintf(p, sizeof p, "%s/A/config.yaml", root);
    char *cfg = slurp(p);
    CHECK(strstr(cfg, "epochs: 2\n") && strstr(cfg, "lr_steps: [60.0, 120.0]\n") && strstr(cfg, "data:\n  batch: 2\n"),
          "config.yaml holds the resolved settings:\n%s", cfg);
    free(cfg);

    /* the checkpoint: state, momentum, meta; backbone from init (counters 7 + 2 steps), fresh classifier */
    snprintf(p, sizeof p, "%s/A/epoch_2.npz", root);
    Npz z;
    char err[1024];
    CHECK(npz_open(&z, p, err, sizeof err) == 0, "%s", err);
    Model m;
    model_init(&m, MODEL_TSN, 3);
    int entries = 0, mom = 0;
    for (int i = 0; i < m.st.n; i++) {
        entries += npz_get(&z, m.st.e[i].name) != NULL;
        char key[96];
        snprintf(key, sizeof key, "momentum.%s", m.st.e[i].name);
        mom += m.st.e[i].trainable && npz_get(&z, key);
    }
    CHECK(entries == 122 && mom == 62 && z.n == 122 + 62 + 3, "122 entries, 62 momentum buffers, 3 meta (%d %d %d)",
          entries, mom, z.n);
    const NpyArray *nbt = npz_get(&z, "backbone.layer4.1.bn2.num_batches_tracked"), *ep = npz_get(&z, "meta.epoch");
    int64_t v = -1, e = -1;
    if (nbt) npy_to_i64(nbt, &v);
    if (ep) npy_to_i64(ep, &e);
    CHECK(nbt && nbt->type == NPY_I64 && v == 9 && e == 2, "counter from the float64 init (7) + 2 steps: %lld, epoch %lld",
          (long long)v, (long long)e);
    const NpyArray *bias = npz_get(&z, "cls_head.fc_cls.bias");
    float bb[3] = {1, 1, 1};
    if (bias && bias->numel == 3) npy_to_f32(bias, bb);
    CHECK(fabsf(bb[0]) < 0.05f && fabsf(bb[1]) < 0.05f && fabsf(bb[2]) < 0.05f, "fresh classifier (bias from 0)");
    npz_close(&z);
    model_free(&m);

    /* stopped after epoch 1, then continued to 2: the same checkpoint bit for bit; the second half with
     * parameters and momentum in memory of their own (as on a GPU), so a missing host/device sync on
     * resume or save would show */
    t0 = now_sec();
    CHECK(sh("%s finetune %s out=%s/B epochs=1 quiet=true", fedvssl_bin, common, root) == 0, "finetune B epoch 1");
    CHECK(sh("%s finetune %s out=%s/B device=cpu-separate > %s/B.txt", fedvssl_bin, common, root, root) == 0,
          "finetune B resumed");
    printf("finetune 1 + 1 epochs (resumed): %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "%s/B.txt", root);
    txt = slurp(p);
    CHECK(strstr(txt, "resuming after epoch 1 from"), "resume message: %s", txt);
    free(txt);
    snprintf(p, sizeof p, "%s/A/epoch_2.npz", root);
    snprintf(q, sizeof q, "%s/B/epoch_2.npz", root);
    int n = 0;
    CHECK(same_arrays(p, q, &n) && n == 187, "resumed run = uninterrupted run, every array (%d)", n);
    snprintf(p, sizeof p, "%s/B/metrics.jsonl", root);
    mx = slurp(p);
    CHECK(count(mx, "\"event\": \"epoch\", \"epoch\": 1,") == 1 && count(mx, "\"event\": \"epoch\", \"epoch\": 2,") == 1,
          "one epoch record each");
    free(mx);
    /* done: nothing to do, nothing changes */
    CHECK(sh("%s finetune %s out=%s/B > %s/B2.txt", fedvssl_bin, common, root, root) == 0, "finetune B again");
    snprintf(p, sizeof p, "%s/B2.txt", root);
    txt = slurp(p);
    CHECK(strstr(txt, "nothing to do"), "a finished run: %s", txt);
    free(txt);
}

static void test_test(void) {
    char p[512];
    double t0 = now_sec();
    CHECK(sh("%s test data_dir=%s run=%s/A max_videos=2 data.batch=2 data.threads=2 quiet=true", fedvssl_bin, data, root) == 0,
          "test");
    printf("test 2 videos x 10 clips: %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "%s/A/results.json", root);
    char *r = slurp(p);
    double top1 = json_num(r, "top1"), top5 = json_num(r, "top5"), mca = json_num(r, "mean_class_accuracy");
    CHECK(top1 >= 0 && top1 <= 1 && top5 >= top1 && top5 <= 1 && mca >= 0 && mca <= 1, "metrics in [0,1]: %g %g %g",
          top1, top5, mca);
    CHECK(top5 == 1, "top-5 of 3 classes is 1: %g", top5);
    CHECK(json_num(r, "num_videos") == 2 && json_num(r, "num_classes") == 3 && strstr(r, "epoch_2.npz") &&
              strstr(r, "\"per_class\": [") && strstr(r, "\"confusion\": ["),
          "results.json fields:\n%s", r);
    /* recomputed from the saved logits */
    snprintf(p, sizeof p, "%s/A/test_scores.npz", root);
    Npz z;
    char err[1024];
    CHECK(npz_open(&z, p, err, sizeof err) == 0, "%s", err);
    const NpyArray *la = npz_get(&z, "logits"), *sa = npz_get(&z, "scores"), *ya = npz_get(&z, "labels");
    CHECK(la && sa && ya && la->ndim == 2 && la->shape[0] == 2 && la->shape[1] == 3 && ya->numel == 2, "saved logits [2,3]");
    if (la && sa && ya && la->numel == 6 && sa->numel == 6 && ya->numel == 2) {
        float lg[6], sc[6];
        int64_t y[2], conf[9];
        npy_to_f32(la, lg);
        npy_to_f32(sa, sc);
        npy_to_i64(ya, y);
        eval_softmax(lg, 2, 3);
        CHECK(!memcmp(lg, sc, sizeof lg), "scores = softmax(mean logits)");
        eval_confusion(sc, y, 2, 3, conf);
        CHECK(eval_topk(sc, y, 2, 3, 1) == top1 && eval_topk(sc, y, 2, 3, 5) == top5 &&
                  eval_mean_class_accuracy(conf, 3, NULL) == mca,
              "results.json = recomputation from the logits");
        /* a class without test videos: null in results.json, nan in per_class.tsv */
        int present = 0;
        for (int c = 0; c < 3; c++) present += conf[c * 3] + conf[c * 3 + 1] + conf[c * 3 + 2] > 0;
        snprintf(p, sizeof p, "%s/A/per_class.tsv", root);
        char *t = slurp(p);
        CHECK(!strncmp(t, "class\tname\tvideos\tcorrect\ttop1\n", 31) && count(t, "\n") == 4 &&
                  count(t, "\tnan\n") == 3 - present && count(r, "\"top1\": null") == 3 - present,
              "per-class table, %d classes present:\n%s", present, t);
        free(t);
    }
    npz_close(&z);
    free(r);
}

static void test_retrieve(void) {
    /* gallery: one train video per class (3 <= 50, every class present: R@50 = 1) */
    char tr[256], p[512], err[1024];
    snprintf(tr, sizeof tr, "%s/annotations/train_split_1.json", data);
    AnnList all, g = {0};
    CHECK(!ann_load_json(tr, &all, err, sizeof err), "%s", err);
    for (int i = 0; i < all.n; i++) {
        int seen = 0;
        for (int j = 0; j < g.n; j++) seen |= g.e[j].label == all.e[i].label;
        if (!seen) ann_push(&g, all.e[i].name, all.e[i].label);
    }
    snprintf(p, sizeof p, "%s/gallery.json", root);
    CHECK(g.n == 3 && !ann_write_json(p, g.e, g.n), "gallery of 3");
    ann_free(&all), ann_free(&g);
    double t0 = now_sec();
    CHECK(sh("%s retrieve data_dir=%s init=%s/A/epoch_2.npz train_list=%s out=%s/R data.batch=2 data.threads=2 > %s/R.txt",
             fedvssl_bin, data, root, p, root, root) == 0,
          "retrieve");
    printf("retrieve 3 + 3 videos x 10 clips: %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "%s/R.txt", root);
    char *txt = slurp(p);
    CHECK(strstr(txt, "init: 120 of 120 backbone entries"), "retrieve takes the backbone: %s", txt);
    free(txt);
    snprintf(p, sizeof p, "%s/R/retrieval.json", root);
    char *r = slurp(p);
    double rec[RETRIEVE_NK];
    int mono = 1;
    for (int k = 0; k < RETRIEVE_NK; k++) {
        char key[16];
        snprintf(key, sizeof key, "R@%d", RETRIEVE_KS[k]);
        rec[k] = json_num(r, key);
        mono &= rec[k] >= 0 && rec[k] <= 1 && (k == 0 || rec[k] >= rec[k - 1]);
    }
    CHECK(mono, "R@k in [0,1], monotone in k:\n%s", r);
    CHECK(rec[RETRIEVE_NK - 1] == 1 && rec[1] == 1, "R@5 = R@50 = 1 with 3 gallery videos, all classes present");
    CHECK(json_num(r, "num_queries") == 3 && json_num(r, "num_gallery") == 3 && strstr(r, "\"protocol\": \"") &&
              json_num(r, "backbone_entries") == 120,
          "counts and protocol:\n%s", r);
    /* recomputed from the saved features */
    snprintf(p, sizeof p, "%s/R/features.npz", root);
    Npz z;
    CHECK(npz_open(&z, p, err, sizeof err) == 0, "%s", err);
    const NpyArray *gf = npz_get(&z, "train_features"), *gl = npz_get(&z, "train_labels"),
                   *qf = npz_get(&z, "test_features"), *ql = npz_get(&z, "test_labels");
    CHECK(gf && gl && qf && ql && gf->numel == 3 * 512 && qf->numel == 3 * 512, "features [3,512] x 2");
    if (gf && gl && qf && ql && gf->numel == 3 * 512 && qf->numel == 3 * 512 && gl->numel == 3 && ql->numel == 3) {
        float *a = xmalloc(sizeof(float) * 3 * 512), *b = xmalloc(sizeof(float) * 3 * 512);
        int64_t la[3], lb[3];
        npy_to_f32(gf, a), npy_to_f32(qf, b), npy_to_i64(gl, la), npy_to_i64(ql, lb);
        double norm_err = 0;
        for (int i = 0; i < 3; i++) {
            double s = 0, t = 0;
            for (int d = 0; d < 512; d++) s += (double)a[i * 512 + d] * a[i * 512 + d], t += (double)b[i * 512 + d] * b[i * 512 + d];
            norm_err = max_err(max_err(norm_err, fabs(sqrt(s) - 1)), fabs(sqrt(t) - 1));
        }
        CHECK(norm_err < 1e-5, "features L2-normalised (%g)", norm_err);
        double again[RETRIEVE_NK];
        eval_knn_recall(b, lb, 3, a, la, 3, 512, RETRIEVE_KS, RETRIEVE_NK, again);
        CHECK(!memcmp(again, rec, sizeof rec), "retrieval.json = recomputation from the features");
        free(a), free(b);
    }
    npz_close(&z);
    free(r);
}

int main(int argc, char **argv) {
    (void)argc;
    fedvssl_bin_init(argv[0]);
    snprintf(root, sizeof root, "/tmp/fedvssl_down_XXXXXX");
    if (!mkdtemp(root)) die("mkdtemp failed");
    double t0 = now_sec();
    setup();
    char init[256];
    snprintf(init, sizeof init, "%s/ctp_init.npz", root);
    write_ctp_init(init);
    char flwr[256];
    snprintf(flwr, sizeof flwr, "%s/round-1-weights.array.npz", root);
    write_flwr_init(flwr, 126);
    test_flwr_init(init, flwr);
    test_bad_inputs(init);
    test_finetune(init);
    test_test();
    test_retrieve();
    printf("total %.1f s\n", now_sec() - t0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", root);
    TEST_END();
}
