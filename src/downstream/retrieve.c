/* fedvssl retrieve: video retrieval with backbone features (spec §7; downstream.h). */
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

const int RETRIEVE_KS[RETRIEVE_NK] = {1, 5, 10, 20, 50};

/* %d: the clip side S; sizes scale by S/112 */
static const char RETRIEVE_PROTOCOL[] =
    "video retrieval with backbone features: every train and test video gives 10 uniform clips of 16 frames "
    "(stride 2, resize 171x128 times S/112, center crop S = %d, as the test pipeline; S = 112 in the reference); the "
    "backbone runs in eval mode and each clip's features are average-pooled to 512; a video's feature is the mean "
    "over its clips, L2-normalised; every test video queries the train set by cosine similarity, and R@k is the "
    "fraction of queries with at least one train video of the query's class among the k most similar";

static int features(Model *m, const RetrieveConfig *c, const char *list, const char *what, float **feat,
                    int64_t **labels) {
    const int max_videos = c->max_videos, quiet = c->quiet;
    Loader *L = ds_open_loader(c->data_dir, list, LOADER_TEST, c->batch, 0, ops_threads(), c->fast_decode, c->crop, 0);
    int N = loader_num_samples(L);
    if (max_videos > 0 && max_videos < N) N = max_videos;
    *feat = xmalloc(sizeof(float) * (size_t)N * 512);
    *labels = xmalloc(sizeof(int64_t) * (size_t)N);
    EvalPassOptions po = {quiet, what, N};
    eval_pass(m, L, &po, NULL, *feat, *labels);
    loader_free(L);
    eval_l2_normalize(*feat, N, 512);
    return N;
}

int retrieve_run(const RetrieveConfig *given) {
    RetrieveConfig cc = *given, *c = &cc;
    ds_check_data_dir(c->data_dir);
    if (c->init[0] && !is_file(c->init)) die("init=%s: no such file", c->init);
    cc.crop = ds_eval_crop(given->crop, c->init);
    ops_set_threads(c->threads);
    char *trl = path_under(c->data_dir, c->train_list), *tel = path_under(c->data_dir, c->test_list);
    AnnList a, b;
    ds_load_list(trl, &a);
    ds_load_list(tel, &b);
    int ca = ds_max_label(&a, trl), cb = ds_max_label(&b, tel), C = ca > cb ? ca : cb;
    ann_free(&a), ann_free(&b);
    char *out = c->out[0] ? xstrdup(c->out) : default_run_dir();

    /* the fine-tune layout's backbone (layer4 strided in space, avgpool (2,7,7) -> 512), as fine-tuning sees it */
    Model m;
    model_init(&m, MODEL_TSN, C);
    model_reset_parameters(&m, (uint64_t)c->seed);
    int taken = 0, of = 0;
    if (c->init[0]) {
        char how[200];
        taken = model_load_backbone(&m, c->init, &of, how, sizeof how);
        checkpoint_check_partial(c->init, taken, of, c->init_partial);
        if (!c->quiet) printf("init: %d of %d backbone entries from %s, %s\n", taken, of, c->init, how);
    } else if (!c->quiet) {
        printf("init: none (random backbone, seed %d: a baseline)\n", c->seed);
    }
    model_use_backend(&m, backend_for(c->device, c->precision));
    model_upload_state(&m);
    if (mkdir_p(out)) die("%s: cannot create: %m", out);
    double t0 = now_sec();
    int gallery_bn = !strcmp(c->bn_stats, "gallery");
    if (gallery_bn) { /* running statistics from scratch, one pass over the gallery's clips */
        State *s = &m.st;
        model_download_state(&m);
        for (int i = 0; i < s->n; i++) {
            const char *nm = s->e[i].name, *dot = strrchr(nm, '.');
            if (strncmp(nm, "backbone.", 9) || !dot) continue;
            if (!strcmp(dot, ".running_mean") || !strcmp(dot, ".running_var")) {
                float v = !strcmp(dot, ".running_var");
                for (int64_t k = 0; k < s->e[i].numel; k++) state_w(s, i)[k] = v;
            } else if (!strcmp(dot, ".num_batches_tracked")) {
                s->cnt[s->e[i].off] = 0;
            }
        }
        model_upload_state(&m);
        Loader *L = ds_open_loader(c->data_dir, trl, LOADER_TEST, c->batch, 0, ops_threads(), c->fast_decode, c->crop, 0);
        EvalPassOptions po = {c->quiet, "BN statistics on the gallery", c->max_videos};
        m.bn_recalibrate = 1, m.bn_recal_forwards = 0;
        eval_pass(&m, L, &po, NULL, NULL, NULL);
        m.bn_recalibrate = 0;
        loader_free(L);
    }
    float *gf, *qf;
    int64_t *gl, *ql;
    int Ng = features(&m, c, trl, "train videos (gallery)", &gf, &gl);
    int Nq = features(&m, c, tel, "test videos (queries)", &qf, &ql);
    double rec[RETRIEVE_NK];
    eval_knn_recall(qf, ql, Nq, gf, gl, Ng, 512, RETRIEVE_KS, RETRIEVE_NK, rec);
    double secs = now_sec() - t0;

    StrBuf j = {0};
    sb_str(&j, "{\n");
    for (int k = 0; k < RETRIEVE_NK; k++) {
        sb_printf(&j, "  \"R@%d\": ", RETRIEVE_KS[k]);
        jb_num(&j, rec[k]);
        sb_str(&j, ",\n");
    }
    sb_printf(&j, "  \"num_queries\": %d,\n  \"num_gallery\": %d,\n  \"num_classes\": %d,\n  \"feature_dim\": 512,\n"
                  "  \"clips_per_video\": 10,\n  \"init\": ",
              Nq, Ng, C);
    if (c->init[0]) jb_json_str(&j, c->init);
    else sb_str(&j, "null");
    sb_printf(&j, ",\n  \"backbone_entries\": %d,\n  \"queries\": ", taken);
    jb_json_str(&j, tel);
    sb_str(&j, ",\n  \"gallery\": ");
    jb_json_str(&j, trl);
    sb_str(&j, ",\n  \"seconds\": ");
    jb_num(&j, round_decimals(secs, 3));
    sb_printf(&j, ",\n  \"crop\": %d,\n  \"bn_stats\": \"%s\",\n  \"protocol\": ", c->crop, gallery_bn ? "gallery" : "checkpoint");
    char proto[sizeof RETRIEVE_PROTOCOL + 16];
    snprintf(proto, sizeof proto, RETRIEVE_PROTOCOL, c->crop);
    jb_json_str(&j, proto);
    sb_str(&j, "\n}\n");
    char *rp = path_join(out, "retrieval.json"), *fp = path_join(out, "features.npz");
    ds_write_text(rp, j.p, j.n);
    NpzItem items[] = {{"train_features", NPY_F32, 2, {Ng, 512}, gf}, {"train_labels", NPY_I64, 1, {Ng, 0}, gl},
                       {"test_features", NPY_F32, 2, {Nq, 512}, qf}, {"test_labels", NPY_I64, 1, {Nq, 0}, ql}};
    ds_write_npz(fp, items, 4);
    if (!c->quiet) {
        printf("retrieval (%d queries, %d train videos):", Nq, Ng);
        for (int k = 0; k < RETRIEVE_NK; k++) printf("  R@%d %.2f%%", RETRIEVE_KS[k], 100 * rec[k]);
        printf("  (%.1f s) -> %s\n", secs, rp);
    }
    report_after_run(out, c->quiet);
    free(j.p), free(rp), free(fp), free(gf), free(gl), free(qf), free(ql);
    model_free(&m);
    free(trl), free(tel), free(out);
    return 0;
}
