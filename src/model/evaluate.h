/* Downstream evaluation (spec §5 test, §7 retrieval): the metrics as pure functions over score and
 * feature arrays, and the pass that runs a model over a test-mode loader (10 uniform clips per
 * video) to give per-video clip-averaged logits and backbone features.
 *
 * Ties follow the reference's NumPy code: class ranks come from scores.argsort()[::-1]; among equal
 * scores the higher class index ranks first (np.argsort(kind="stable")[::-1]); neighbours from a stable
 * sort of descending similarity (among equal similarities the earlier gallery item first). */
#ifndef FEDVSSL_EVALUATE_H
#define FEDVSSL_EVALUATE_H
#include <stdint.h>

#include "../data/loader.h"
#include "model.h"

/* ---- classification (tsn_dataset.evaluate) ---- */

/* Rank of class `label` among scores[C] (0 = the top one). */
int eval_rank(const float *scores, int C, int label);
/* Class at rank 0. */
int eval_top1(const float *scores, int C);
/* Fraction of the N rows (scores [N,C], labels 0-based) whose label ranks below k. */
double eval_topk(const float *scores, const int64_t *labels, int N, int C, int k);
/* conf[C*C] (row = true class, column = top-1 prediction) counts, overwritten. */
void eval_confusion(const float *scores, const int64_t *labels, int N, int C, int64_t *conf);
/* Mean over the classes that have rows (conf row sum > 0) of their top-1 accuracy; per_class[C]
 * (may be NULL) gets each class's accuracy, NaN for classes without rows. 0 when no class has rows. */
double eval_mean_class_accuracy(const int64_t *conf, int C, double *per_class);
/* out[N,C] = mean over the `clips` rows of each video of logits [N*clips, C] (summed in double). */
void eval_clip_mean(const float *logits, int N, int clips, int C, float *out);
/* Row-wise softmax in place (max-subtracted, in double). */
void eval_softmax(float *x, int N, int C);

/* ---- retrieval ---- */

/* Each row of x [N,D] divided by its L2 norm (rows of norm 0 stay 0). */
void eval_l2_normalize(float *x, int N, int D);
/* Cosine-similarity kNN recall: queries q [Nq,D] and gallery g [Ng,D], both L2-normalised, labels
 * ql, gl. recall[j] = fraction of queries with at least one of their ks[j] most similar gallery
 * items of the query's label (ks[j] >= Ng: the whole gallery). Similarities in double. */
void eval_knn_recall(const float *q, const int64_t *ql, int Nq, const float *g, const int64_t *gl, int Ng, int D,
                     const int *ks, int nk, double *recall);

/* ---- the model pass ---- */

typedef struct {
    int quiet;
    const char *what; /* progress label ("test", "train list") */
    int max_videos;   /* 0: all */
} EvalPassOptions;

/* Runs m (a TSN model, eval mode) over every batch of a LOADER_TEST loader: each batch of n videos
 * is one forward of n*10 clips (inference plan). logits [N,C] (may be NULL) gets each video's mean
 * clip logits; feat [N,512] (may be NULL) each video's mean of the clips' pooled backbone features
 * (the avgpool output), not normalised; labels [N] (may be NULL) the 0-based labels. N =
 * loader_num_samples (or max_videos). Returns N. */
int eval_pass(Model *m, Loader *L, const EvalPassOptions *o, float *logits, float *feat, int64_t *labels);

#endif
