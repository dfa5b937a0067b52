/* Downstream metrics (top-k, mean class accuracy, confusion, kNN recall) and the test-mode model pass. */
#include "evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/progress.h"
#include "../core/util.h"

/* ---------- classification ---------- */

int eval_rank(const float *scores, int C, int label) {
    const float s = scores[label];
    int r = 0;
    for (int j = 0; j < C; j++) r += scores[j] > s || (scores[j] == s && j > label);
    return r;
}

int eval_top1(const float *scores, int C) {
    int best = 0;
    for (int j = 1; j < C; j++)
        if (scores[j] >= scores[best]) best = j; /* ties: the higher index, as argsort()[::-1] */
    return best;
}

double eval_topk(const float *scores, const int64_t *labels, int N, int C, int k) {
    if (N <= 0) return 0;
    int hits = 0;
    for (int i = 0; i < N; i++) hits += eval_rank(scores + (size_t)i * C, C, (int)labels[i]) < k;
    return (double)hits / N;
}

void eval_confusion(const float *scores, const int64_t *labels, int N, int C, int64_t *conf) {
    memset(conf, 0, sizeof(int64_t) * (size_t)C * C);
    for (int i = 0; i < N; i++) conf[(size_t)labels[i] * C + eval_top1(scores + (size_t)i * C, C)]++;
}

double eval_mean_class_accuracy(const int64_t *conf, int C, double *per_class) {
    double sum = 0;
    int classes = 0;
    for (int c = 0; c < C; c++) {
        int64_t n = 0;
        for (int j = 0; j < C; j++) n += conf[(size_t)c * C + j];
        double acc = n ? (double)conf[(size_t)c * C + c] / n : NAN;
        if (per_class) per_class[c] = acc;
        if (n) sum += acc, classes++;
    }
    return classes ? sum / classes : 0;
}

void eval_clip_mean(const float *logits, int N, int clips, int C, float *out) {
    for (int i = 0; i < N; i++)
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int k = 0; k < clips; k++) s += logits[((size_t)i * clips + k) * C + c];
            out[(size_t)i * C + c] = (float)(s / clips);
        }
}

void eval_softmax(float *x, int N, int C) {
    for (int i = 0; i < N; i++) {
        float *r = x + (size_t)i * C;
        double mx = r[0], sum = 0;
        for (int c = 1; c < C; c++) mx = fmax(mx, r[c]);
        for (int c = 0; c < C; c++) sum += exp(r[c] - mx);
        for (int c = 0; c < C; c++) r[c] = (float)(exp(r[c] - mx) / sum);
    }
}

/* ---------- retrieval ---------- */

void eval_l2_normalize(float *x, int N, int D) {
    for (int i = 0; i < N; i++) {
        float *r = x + (size_t)i * D;
        double s = 0;
        for (int d = 0; d < D; d++) s += (double)r[d] * r[d];
        if (s <= 0) continue;
        double n = sqrt(s);
        for (int d = 0; d < D; d++) r[d] = (float)(r[d] / n);
    }
}

void eval_knn_recall(const float *q, const int64_t *ql, int Nq, const float *g, const int64_t *gl, int Ng, int D,
                     const int *ks, int nk, double *recall) {
    double *sim = xmalloc(sizeof(double) * (size_t)(Ng > 0 ? Ng : 1));
    int *hits = xcalloc((size_t)(nk > 0 ? nk : 1), sizeof(int));
    for (int i = 0; i < Nq; i++) {
        const float *a = q + (size_t)i * D;
        for (int j = 0; j < Ng; j++) {
            const float *b = g + (size_t)j * D;
            double s = 0;
            for (int d = 0; d < D; d++) s += (double)a[d] * b[d];
            sim[j] = s;
        }
        /* The rank of the best-placed same-class gallery item decides every k at once (a hit at k iff
         * it is < k). In a stable descending sort that item is the most similar one, the earliest
         * among equals; its rank counts the items more similar, or as similar and earlier. */
        int jb = -1;
        for (int j = 0; j < Ng; j++)
            if (gl[j] == ql[i] && (jb < 0 || sim[j] > sim[jb])) jb = j;
        if (jb < 0) continue; /* no gallery item of the query's class: a miss at every k */
        int best = 0;
        for (int t = 0; t < Ng; t++) best += sim[t] > sim[jb] || (sim[t] == sim[jb] && t < jb);
        for (int k = 0; k < nk; k++) hits[k] += best < ks[k];
    }
    for (int k = 0; k < nk; k++) recall[k] = Nq > 0 ? (double)hits[k] / Nq : 0;
    free(sim), free(hits);
}

/* ---------- the model pass ---------- */

int eval_pass(Model *m, Loader *L, const EvalPassOptions *o, float *logits, float *feat, int64_t *labels) {
    if (m->kind != MODEL_TSN) die("internal: eval_pass needs the TSN model");
    int N = loader_num_samples(L), C = m->num_classes;
    if (o && o->max_videos > 0 && o->max_videos < N) N = o->max_videos;
    Progress pr;
    progress_init(&pr, stdout, o && o->quiet);
    const char *what = o && o->what ? o->what : "videos";
    loader_epoch_begin(L, 0);
    Batch b;
    int done = 0;
    float *fh = NULL;
    size_t fcap = 0;
    double t0 = now_sec();
    int got = 0;
    while (done < N && (got = loader_next(L, &b)) > 0) {
        int n = b.n < N - done ? b.n : N - done, clips = b.clips;
        /* the loader's batch of n videos is [n*clips, 3, 16, S, S]: one forward */
        model_plan(m, (Dims){b.n * clips, 3, 16, b.crop, b.crop}, 0);
        model_forward(m, b.imgs, NULL, NULL, NULL, 0);
        if (logits) eval_clip_mean(m->tsn.logits_h, n, clips, C, logits + (size_t)done * C);
        if (feat) {
            size_t nf = (size_t)b.n * clips * 512;
            if (nf > fcap) fh = xrealloc(fh, nf * sizeof(float)), fcap = nf;
            m->be->download(m->be, fh, m->tsn.pooled, nf * sizeof(float));
            eval_clip_mean(fh, n, clips, 512, feat + (size_t)done * 512);
        }
        if (labels) memcpy(labels + done, b.labels, sizeof(int64_t) * (size_t)n);
        done += n;
        double el = now_sec() - t0;
        progress_show(&pr, done == N, what, done, N, done ? el / done * (N - done) : -1, "videos  %.2f clips/s",
                      el > 0 ? done * clips / el : 0);
    }
    progress_end(&pr, 0);
    free(fh);
    if (got < 0) die("data loader: %s", loader_error(L));
    if (done < N) die("internal: the loader gave %d of %d videos", done, N);
    return N;
}
