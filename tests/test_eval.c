/* Downstream metrics (src/model/evaluate.h, finetune_lr): hand-computed cases, then a brute-force NumPy
 * golden (tools/gen_eval_golden.py -> tests/golden/eval.npz) of random scores, labels and features. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/downstream/downstream.h"
#include "../src/model/evaluate.h"
#include "golden.h"

static void test_hand(void) {
    /* ranks and ties: equal scores rank the higher class index first (argsort()[::-1]) */
    const float s[5] = {0.1f, 0.7f, 0.7f, 0.05f, 0.3f};
    CHECK(eval_rank(s, 5, 2) == 0 && eval_rank(s, 5, 1) == 1 && eval_rank(s, 5, 4) == 2 && eval_rank(s, 5, 0) == 3 &&
              eval_rank(s, 5, 3) == 4,
          "ranks with a tie");
    CHECK(eval_top1(s, 5) == 2, "top-1 of a tie: the higher index");
    const float flat[3] = {1, 1, 1};
    CHECK(eval_top1(flat, 3) == 2 && eval_rank(flat, 3, 0) == 2, "all equal");

    /* 4 videos, 3 classes: rows' top classes 0, 2, 1, 1; labels 0, 1, 1, 2 */
    const float sc[12] = {0.8f, 0.1f, 0.1f, 0.2f, 0.3f, 0.5f, 0.1f, 0.6f, 0.3f, 0.3f, 0.4f, 0.3f};
    const int64_t lb[4] = {0, 1, 1, 2};
    CHECK(eval_topk(sc, lb, 4, 3, 1) == 0.5, "top-1 2 of 4: %g", eval_topk(sc, lb, 4, 3, 1));
    /* row 3: 0.3 (class 0) and 0.3 (class 2) tie behind 0.4: class 2 is second */
    CHECK(eval_topk(sc, lb, 4, 3, 2) == 1.0, "top-2 4 of 4");
    CHECK(eval_topk(sc, lb, 4, 3, 5) == 1.0, "top-5 with 3 classes");
    int64_t conf[9];
    eval_confusion(sc, lb, 4, 3, conf);
    const int64_t want[9] = {1, 0, 0, 0, 1, 1, 0, 1, 0};
    CHECK(!memcmp(conf, want, sizeof want), "confusion");
    double per[3];
    double mca = eval_mean_class_accuracy(conf, 3, per);
    CHECK(fabs(mca - 0.5) < 1e-15 && per[0] == 1 && per[1] == 0.5 && per[2] == 0, "mean class accuracy (1 + .5 + 0)/3: %g",
          mca);
    /* a class without videos does not count */
    int64_t conf2[9] = {2, 0, 0, 0, 0, 0, 1, 0, 1};
    mca = eval_mean_class_accuracy(conf2, 3, per);
    CHECK(fabs(mca - 0.75) < 1e-15 && isnan(per[1]), "absent class skipped: %g", mca);
    memset(conf2, 0, sizeof conf2);
    CHECK(eval_mean_class_accuracy(conf2, 3, NULL) == 0, "no rows");

    /* clip mean and softmax */
    const float cl[12] = {1, 2, 3, 3, 2, 1, /* video 0: clips (1,2,3), (3,2,1) */ 0, 0, 0, 6, 0, -6};
    float mean[6];
    eval_clip_mean(cl, 2, 2, 3, mean);
    CHECK(mean[0] == 2 && mean[1] == 2 && mean[2] == 2 && mean[3] == 3 && mean[4] == 0 && mean[5] == -3, "clip mean");
    float sm[3] = {0, (float)log(2.0), (float)log(5.0)};
    eval_softmax(sm, 1, 3);
    CHECK(fabsf(sm[0] - 0.125f) < 1e-7 && fabsf(sm[1] - 0.25f) < 1e-7 && fabsf(sm[2] - 0.625f) < 1e-7, "softmax 1:2:5");
    float big[2] = {1000, 1000};
    eval_softmax(big, 1, 2);
    CHECK(big[0] == 0.5f && big[1] == 0.5f, "softmax of large logits");

    /* L2 normalisation and kNN recall */
    float x[6] = {3, 4, 0, 0, 0, 0};
    eval_l2_normalize(x, 2, 3);
    CHECK(x[0] == 0.6f && x[1] == 0.8f && x[2] == 0 && x[3] == 0 && x[5] == 0, "normalise (3,4,0); zero row stays 0");
    /* gallery on the unit circle at 0, 60, 120, 180 degrees with labels 0, 1, 2, 0 */
    const float g[8] = {1, 0, 0.5f, 0.8660254f, -0.5f, 0.8660254f, -1, 0};
    const int64_t gl[4] = {0, 1, 2, 0};
    /* queries: at 10 deg label 1 (nearest 0, 60, 120, 180 -> rank 1), at 170 deg label 0 (rank 0), at 90 deg
     * label 2 (60 and 120 tie at equal cosine: the earlier gallery item first -> rank 1), label 3 (never) */
    const float q[8] = {0.98480775f, 0.17364818f, -0.98480775f, 0.17364818f, 0, 1, 0, -1};
    const int64_t ql[4] = {1, 0, 2, 3};
    const int ks[4] = {1, 2, 3, 50};
    double rec[4];
    eval_knn_recall(q, ql, 4, g, gl, 4, 2, ks, 4, rec);
    CHECK(rec[0] == 0.25 && rec[1] == 0.75 && rec[2] == 0.75 && rec[3] == 0.75, "recall %g %g %g %g", rec[0], rec[1],
          rec[2], rec[3]);

    /* the step schedule of §5: x0.1 after epochs 60 and 120 (mmcv: from 0-based epoch 60 = epoch 61 on) */
    const double steps[2] = {60, 120};
    CHECK(finetune_lr(0.01, 0.1, steps, 2, 1) == 0.01 && finetune_lr(0.01, 0.1, steps, 2, 60) == 0.01 &&
              fabs(finetune_lr(0.01, 0.1, steps, 2, 61) - 1e-3) < 1e-18 &&
              fabs(finetune_lr(0.01, 0.1, steps, 2, 120) - 1e-3) < 1e-18 &&
              fabs(finetune_lr(0.01, 0.1, steps, 2, 121) - 1e-4) < 1e-18 && finetune_lr(0.01, 0.1, NULL, 0, 150) == 0.01,
          "lr steps");
}

static const NpyArray *need(const Npz *z, const char *k) {
    const NpyArray *a = npz_get(z, k);
    if (!a) die("eval.npz: missing '%s' (run /usr/bin/python3 tools/gen_eval_golden.py)", k);
    return a;
}
static int64_t *i64(const Npz *z, const char *k, int64_t *n) {
    const NpyArray *a = need(z, k);
    int64_t *p = xmalloc(sizeof(int64_t) * (a->numel ? a->numel : 1));
    npy_to_i64(a, p);
    if (n) *n = a->numel;
    return p;
}
static double f64(const Npz *z, const char *k, int i) {
    const NpyArray *a = need(z, k);
    double v;
    memcpy(&v, a->data + 8 * i, 8);
    return v;
}

static void test_golden(void) {
    Npz z = golden_open("eval.npz");
    const NpyArray *sa = need(&z, "scores");
    const int N = (int)sa->shape[0], C = (int)sa->shape[1], CLIPS = 10;
    float *scores = golden_f32(&z, "scores", NULL), *clip = golden_f32(&z, "clip_logits", NULL);
    float *mean_ref = golden_f32(&z, "clip_mean_ref", NULL), *mean = golden_f32(&z, "clip_mean", NULL);
    int64_t *labels = i64(&z, "labels", NULL), *pred = i64(&z, "pred", NULL), *rank = i64(&z, "rank", NULL);
    int64_t *confw = i64(&z, "confusion", NULL);

    float *m = xmalloc(sizeof(float) * (size_t)N * C);
    eval_clip_mean(clip, N, CLIPS, C, m);
    cmp_arrays("clip mean", m, mean_ref, (size_t)N * C, 1e-6);
    /* softmax of the (tie-edited) clip means against NumPy's */
    memcpy(m, mean, sizeof(float) * (size_t)N * C);
    eval_softmax(m, N, C);
    double err = 0;
    for (int i = 0; i < N * C; i++) err = max_err(err, fabs(m[i] - scores[i]));
    CHECK(err < 1e-7, "softmax: max error %g", err);

    /* the metrics on NumPy's scores (the tie rows are exact there) */
    int ranks_ok = 1, pred_ok = 1;
    for (int i = 0; i < N; i++) {
        ranks_ok &= eval_rank(scores + (size_t)i * C, C, (int)labels[i]) == rank[i];
        pred_ok &= eval_top1(scores + (size_t)i * C, C) == pred[i];
    }
    CHECK(ranks_ok && pred_ok, "ranks and top-1 = argsort()[::-1]");
    CHECK(eval_topk(scores, labels, N, C, 1) == f64(&z, "top1", 0) && eval_topk(scores, labels, N, C, 2) == f64(&z, "top2", 0) &&
              eval_topk(scores, labels, N, C, 5) == f64(&z, "top5", 0),
          "top-1/2/5 %g %g %g", eval_topk(scores, labels, N, C, 1), eval_topk(scores, labels, N, C, 2),
          eval_topk(scores, labels, N, C, 5));
    int64_t *conf = xmalloc(sizeof(int64_t) * (size_t)C * C);
    eval_confusion(scores, labels, N, C, conf);
    CHECK(!memcmp(conf, confw, sizeof(int64_t) * (size_t)C * C), "confusion");
    double *per = xmalloc(sizeof(double) * (size_t)C);
    double mca = eval_mean_class_accuracy(conf, C, per);
    CHECK(fabs(mca - f64(&z, "mean_class_accuracy", 0)) < 1e-15, "mean class accuracy %.17g vs %.17g", mca,
          f64(&z, "mean_class_accuracy", 0));
    int per_ok = 1;
    for (int c = 0; c < C; c++) {
        double w = f64(&z, "per_class", c);
        per_ok &= isnan(w) ? isnan(per[c]) : fabs(per[c] - w) < 1e-15;
    }
    CHECK(per_ok, "per-class accuracy (NaN for the absent class)");

    /* retrieval */
    const NpyArray *qa = need(&z, "q"), *ga = need(&z, "g");
    const int Nq = (int)qa->shape[0], Ng = (int)ga->shape[0], D = (int)qa->shape[1];
    float *q = golden_f32(&z, "q", NULL), *g = golden_f32(&z, "g", NULL);
    float *qn = golden_f32(&z, "qn", NULL), *gn = golden_f32(&z, "gn", NULL);
    int64_t *ql = i64(&z, "ql", NULL), *gl = i64(&z, "gl", NULL), nk;
    int64_t *ks64 = i64(&z, "ks", &nk);
    eval_l2_normalize(q, Nq, D);
    eval_l2_normalize(g, Ng, D);
    double eq = 0, eg = 0;
    for (int i = 0; i < Nq * D; i++) eq = max_err(eq, fabs(q[i] - qn[i]));
    for (int i = 0; i < Ng * D; i++) eg = max_err(eg, fabs(g[i] - gn[i]));
    CHECK(eq < 1e-7 && eg < 1e-7, "L2 normalisation: max error %g %g", eq, eg);
    int ks[8];
    double rec[8], rec_np[8];
    for (int k = 0; k < nk; k++) ks[k] = (int)ks64[k];
    eval_knn_recall(q, ql, Nq, g, gl, Ng, D, ks, (int)nk, rec);
    eval_knn_recall(qn, ql, Nq, gn, gl, Ng, D, ks, (int)nk, rec_np);
    int rec_ok = 1;
    for (int k = 0; k < nk; k++) rec_ok &= rec[k] == f64(&z, "recall", k) && rec_np[k] == rec[k];
    CHECK(rec_ok, "R@k = NumPy's brute force: R@1 %g R@5 %g R@50 %g", rec[0], rec[1], rec[nk - 1]);
    for (int k = 1; k < nk; k++) CHECK(rec[k] >= rec[k - 1], "R@k monotone in k");

    free(scores), free(clip), free(mean_ref), free(mean), free(labels), free(pred), free(rank), free(confw), free(m);
    free(conf), free(per), free(q), free(g), free(qn), free(gn), free(ql), free(gl), free(ks64);
    npz_close(&z);
}

int main(void) {
    test_hand();
    test_golden();
    TEST_END();
}
