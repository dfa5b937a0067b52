/* fedvssl test: 10 clips per video, top-1/top-5/mean class accuracy (spec §5; downstream.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/config.h"
#include "../core/fsutil.h"
#include "../core/progress.h"
#include "../core/rng.h"
#include "../core/util.h"
#include "../io/json.h"
#include "../io/runlog.h"
#include "../model/checkpoint.h"
#include "../model/evaluate.h"
#include "../model/train.h"
#include "../nn/backend.h"
#include "../report/report.h"
#include "common.h"
#include "downstream.h"

int test_run(const TestConfig *c) {
    ds_check_data_dir(c->data_dir);
    char *ckpt;
    if (c->checkpoint[0]) {
        ckpt = xstrdup(c->checkpoint);
    } else {
        if (!c->run[0]) die("give run=<finetune run folder> (its newest epoch_<e>.npz is tested) or checkpoint=<file>");
        if (!is_dir(c->run)) die("run=%s: no such folder", c->run);
        int e = finetune_newest_epoch(c->run);
        if (!e) die("run=%s: no epoch_<e>.npz checkpoint there (not a finetune run folder?)", c->run);
        ckpt = finetune_checkpoint_path(c->run, e);
    }
    if (!is_file(ckpt)) die("checkpoint=%s: no such file", ckpt);
    const int crop = ds_eval_crop(c->crop, ckpt);
    char *out = c->out[0] ? xstrdup(c->out) : c->run[0] ? xstrdup(c->run) : ds_dir_of(ckpt);
    ops_set_threads(c->threads);
    char *list = path_under(c->data_dir, c->test_list);
    AnnList ann;
    ds_load_list(list, &ann);
    ds_max_label(&ann, list);
    Model m = ds_model_from_checkpoint(ckpt, c->device, c->precision);
    const int C = m.num_classes;
    for (int i = 0; i < ann.n; i++)
        if (ann.e[i].label > C)
            die("%s: entry %d ('%s') has label %lld, but %s has %d classes", list, i + 1, ann.e[i].name,
                (long long)ann.e[i].label, ckpt, C);
    Loader *L = ds_open_loader(c->data_dir, list, LOADER_TEST, c->batch, 0, ops_threads(), c->fast_decode, crop, 0);
    if (mkdir_p(out)) die("%s: cannot create: %m", out);
    int N = loader_num_samples(L);
    if (c->max_videos > 0 && c->max_videos < N) N = c->max_videos;
    if (!c->quiet)
        printf("fedvssl test: %s on %d videos of %s (10 clips of %dx%d each, %d videos per forward)\n", ckpt, N, list,
               crop, crop, c->batch);
    float *logits = xmalloc(sizeof(float) * (size_t)N * C), *scores = xmalloc(sizeof(float) * (size_t)N * C);
    int64_t *labels = xmalloc(sizeof(int64_t) * (size_t)N), *conf = xmalloc(sizeof(int64_t) * (size_t)C * C);
    double *per = xmalloc(sizeof(double) * (size_t)C), t0 = now_sec();
    EvalPassOptions po = {c->quiet, "test", N};
    eval_pass(&m, L, &po, logits, NULL, labels);
    double secs = now_sec() - t0;
    loader_free(L);
    memcpy(scores, logits, sizeof(float) * (size_t)N * C);
    eval_softmax(scores, N, C);
    double top1 = eval_topk(scores, labels, N, C, 1), top5 = eval_topk(scores, labels, N, C, 5);
    eval_confusion(scores, labels, N, C, conf);
    double mca = eval_mean_class_accuracy(conf, C, per);
    char **names = ds_class_names(&ann, C);

    StrBuf b = {0};
    sb_str(&b, "{\n  \"top1\": ");
    jb_num(&b, top1);
    sb_str(&b, ",\n  \"top5\": ");
    jb_num(&b, top5);
    sb_str(&b, ",\n  \"mean_class_accuracy\": ");
    jb_num(&b, mca);
    sb_printf(&b, ",\n  \"num_videos\": %d,\n  \"num_classes\": %d,\n  \"clips_per_video\": 10,\n  \"crop\": %d,\n  \"checkpoint\": ", N, C, crop);
    jb_json_str(&b, ckpt);
    sb_str(&b, ",\n  \"test_list\": ");
    jb_json_str(&b, list);
    sb_str(&b, ",\n  \"seconds\": ");
    jb_num(&b, round_decimals(secs, 3));
    sb_str(&b, ",\n  \"per_class\": [");
    StrBuf tsv = {0};
    sb_str(&tsv, "class\tname\tvideos\tcorrect\ttop1\n");
    for (int k = 0; k < C; k++) {
        int64_t n = 0;
        for (int j = 0; j < C; j++) n += conf[(size_t)k * C + j];
        int64_t hit = conf[(size_t)k * C + k];
        sb_printf(&b, "%s\n    {\"class\": %d, \"name\": ", k ? "," : "", k + 1);
        jb_json_str(&b, names[k]);
        sb_printf(&b, ", \"videos\": %lld, \"correct\": %lld, \"top1\": ", (long long)n, (long long)hit);
        if (n) jb_num(&b, per[k]);
        else sb_str(&b, "null");
        sb_str(&b, "}");
        sb_printf(&tsv, "%d\t%s\t%lld\t%lld\t", k + 1, names[k], (long long)n, (long long)hit);
        if (n) sb_printf(&tsv, "%.6f\n", per[k]);
        else sb_str(&tsv, "nan\n");
    }
    sb_str(&b, "\n  ],\n  \"confusion\": [");
    for (int k = 0; k < C; k++) {
        sb_str(&b, k ? ",\n    [" : "\n    [");
        for (int j = 0; j < C; j++) sb_printf(&b, "%s%lld", j ? ", " : "", (long long)conf[(size_t)k * C + j]);
        sb_str(&b, "]");
    }
    sb_str(&b, "\n  ]\n}\n");
    char *rp = path_join(out, "results.json"), *tp = path_join(out, "per_class.tsv"), *sp = path_join(out, "test_scores.npz");
    ds_write_text(rp, b.p, b.n);
    ds_write_text(tp, tsv.p, tsv.n);
    NpzItem items[] = {{"logits", NPY_F32, 2, {N, C}, logits}, {"scores", NPY_F32, 2, {N, C}, scores},
                       {"labels", NPY_I64, 1, {N, 0}, labels}};
    ds_write_npz(sp, items, 3);
    if (!c->quiet)
        printf("top-1 %.2f%%  top-5 %.2f%%  mean class accuracy %.2f%%  (%d videos, %.1f s) -> %s\n", 100 * top1,
               100 * top5, 100 * mca, N, secs, rp);
    report_after_run(out, c->quiet);
    for (int k = 0; k < C; k++) free(names[k]);
    free(names), free(b.p), free(tsv.p), free(rp), free(tp), free(sp);
    free(logits), free(scores), free(labels), free(conf), free(per);
    ann_free(&ann);
    model_free(&m);
    free(ckpt), free(out), free(list);
    return 0;
}

