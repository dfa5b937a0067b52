/* The downstream jobs (spec §4, §5, §7): TSN fine-tuning with per-epoch checkpoints and automatic resume, the
 * 10-clip test, video retrieval with backbone features, and export of a pre-trained checkpoint to the fine-tune
 * initial state. src/cmd/{finetune,test,retrieve,export}.c fill these configs from key=value options; the files
 * of a model state are src/model/checkpoint.h's. */
#ifndef FEDVSSL_DOWNSTREAM_H
#define FEDVSSL_DOWNSTREAM_H
#include <stddef.h>
#include <stdint.h>

#include "../core/config.h"
#include "../model/model.h"

/* Learning rate of 1-based epoch e: lr * gamma^(number of steps s with e > s), mmcv's step policy. */
double finetune_lr(double lr, double gamma, const double *steps, int nsteps, int epoch);

/* ---- fedvssl finetune ---- */

typedef struct {
    const char *data_dir, *train_list, *init, *out, *device, *precision;
    int epochs, batch, seed, threads, fast_decode, crop, max_iters, log_interval, quiet;
    double lr, momentum, weight_decay, clip, gamma, dropout, max_bad_fraction;
    CfgFloats lr_steps;  /* epochs after which lr *= gamma */
    int fault_nan_epoch; /* tests: the loss of this epoch's first iteration is NaN (0 = none) */
    int init_partial;    /* accept an init= holding fewer than half of the backbone entries */
    int tensorboard;     /* metrics.jsonl mirrored in <out>/tf_logs (io/runlog.h) */
    int pth;             /* epoch_<e>.pth beside epoch_<e>.npz (mmcv's checkpoint: meta, state_dict) */
    int warmup_iters;    /* linear warm-up over the run's first steps (0 = none, the reference) */
    double warmup_ratio; /* its starting fraction of the learning rate */
    const char *trace_dir; /* every step's batch, loss and gradient norm for bench/finetune_control.py ("" = off) */
} FinetuneConfig;

/* Trains from the newest checkpoint in c->out (or from init / scratch) up to c->epochs; writes
 * config.yaml (when keys is given), metrics.jsonl and the checkpoints. Returns 0; dies on bad input
 * or a diverged epoch (the previous checkpoint stays). */
int finetune_run(const FinetuneConfig *c, const CfgKey *keys, int nkeys);

/* ---- fedvssl test ---- */

typedef struct {
    const char *data_dir, *test_list, *run, *checkpoint, *out, *device, *precision;
    int batch, threads, fast_decode, crop, quiet, max_videos;
} TestConfig;

/* 10 clips per test video, mean logits, softmax; top-1, top-5, mean class accuracy. Writes
 * <out>/results.json, per_class.tsv and test_scores.npz (logits = clip-mean logits [N,C], scores =
 * their softmax, labels [N] 0-based). out defaults to run, or the checkpoint's folder. */
int test_run(const TestConfig *c);

/* ---- fedvssl retrieve ---- */

typedef struct {
    const char *data_dir, *train_list, *test_list, *init, *out, *device, *precision;
    int batch, threads, fast_decode, crop, quiet, seed, max_videos, init_partial;
    const char *bn_stats; /* "checkpoint": BN in eval mode with the checkpoint's running statistics; "gallery":
                             those statistics recomputed on the gallery's clips first */
} RetrieveConfig;

#define RETRIEVE_NK 5
extern const int RETRIEVE_KS[RETRIEVE_NK]; /* 1, 5, 10, 20, 50 */

/* Backbone features of every train and test video (10 clips, pooled to 512, clip mean,
 * L2-normalised); test videos query the train set by cosine similarity. Writes <out>/retrieval.json
 * and features.npz (train_features, train_labels, test_features, test_labels). */
int retrieve_run(const RetrieveConfig *c);

/* ---- fedvssl export ---- */
typedef struct {
    const char *checkpoint, *out, *pth, *pth_format; /* pth_format: "fedvssl" or "reference" */
    int classes, seed, quiet;
} ExportConfig;
/* The fine-tune initial state from a pre-trained checkpoint of any format model_load_backbone reads:
 * a TSN of c->classes outputs whose backbone.* entries (all 120, BN statistics and counters included)
 * come from the checkpoint and whose classifier is freshly initialised from c->seed (what finetune
 * init=<checkpoint> seed=<seed> starts from), written to c->out as an npz of named arrays. With c->pth a
 * PyTorch file too: pth_format "fedvssl" holds that state; "reference" is finetune_preprocess.py's
 * output exactly (§4: TSN keys paired by position with the file's list, its dtypes kept). Returns 0;
 * dies naming the file on anything unreadable or incomplete. */
int export_run(const ExportConfig *c);
#endif
