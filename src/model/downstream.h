/* The downstream jobs (spec §5, §7): TSN fine-tuning with per-epoch checkpoints and automatic
 * resume, the 10-clip test, and video retrieval with backbone features; plus the checkpoint
 * helpers they share. src/cmd/{finetune,test,retrieve}.c fill these configs from key=value options.
 *
 * Fine-tune checkpoint <out>/epoch_<e>.npz (plain np.load by name, written atomically, only the
 * newest kept): every state-dict entry (float32, num_batches_tracked int64), "momentum.<key>" for
 * every trainable entry (the SGD buffer), "meta.epoch" and "meta.steps" (int64: epochs and training
 * steps done; steps is also where the per-step dropout masks continue, Model.dropout_step), "meta.json"
 * (uint8 bytes of a JSON object: format, classes, seed, batch, lr). Resuming restores all of it, so a
 * run stopped after any epoch and continued ends with the uninterrupted run's weights bit for bit
 * (same seed, batch and threads). */
#ifndef FEDVSSL_DOWNSTREAM_H
#define FEDVSSL_DOWNSTREAM_H
#include "../io/ckpt.h"
#include <stddef.h>
#include <stdint.h>

#include "../core/config.h"
#include "model.h"

/* ---- shared helpers ---- */

/* "outputs/<YYYY-MM-DD>/<HH-MM-SS>" of now (xmalloc'ed). */
char *downstream_default_out(void);
/* p if absolute, else data_dir/p (xmalloc'ed). */
char *downstream_path(const char *data_dir, const char *p);
/* Newest e of the <dir>/epoch_<e>.npz files (0 if none). */
int finetune_newest_epoch(const char *dir);
char *finetune_checkpoint_path(const char *dir, int epoch);
/* Takes the backbone of a checkpoint into m (call model_upload_state afterwards):
 *  - an npz of named arrays (our round-<r>.npz and epoch_<e>.npz, np.savez of a state dict): every
 *    backbone.* entry present, by name;
 *  - the Flower baseline's round-<r>-weights.array.npz or the authors' object-array release (one
 *    pickled arr_0, read through the safe pickle subset): the first 120 list entries, by position, as
 *    the reference's finetune_preprocess.py pairs them (spec §4; of a 252-entry compat file, the first
 *    half).
 * float64 counters are converted. Dies naming the file: unreadable, a wrong shape, no backbone entry
 * at all, too short a list. Returns the number taken; *of (may be NULL) gets the model's backbone
 * entry count; how (may be NULL) a few words on what was read. */
int model_load_backbone(Model *m, const char *path, int *of, char *how, size_t howlen);
/* Classes of a TSN checkpoint: rows of its cls_head.fc_cls.weight (dies naming the file if absent). */
int checkpoint_num_classes(const char *path);
/* Learning rate of 1-based epoch e: lr * gamma^(number of steps s with e > s), mmcv's step policy. */
double finetune_lr(double lr, double gamma, const double *steps, int nsteps, int epoch);

/* ---- fedvssl finetune ---- */

typedef struct {
    const char *data_dir, *train_list, *init, *out, *device, *precision;
    int epochs, batch, seed, threads, fast_decode, crop, max_iters, log_interval, quiet;
    double lr, momentum, weight_decay, clip, gamma, dropout, max_bad_fraction;
    const double *lr_steps;
    int n_lr_steps;
    int fault_nan_epoch; /* tests: the loss of this epoch's first iteration is NaN (0 = none) */
    int init_partial;    /* accept an init= holding fewer than half of the backbone entries */
    int tensorboard;     /* metrics.jsonl mirrored in <out>/tf_logs (io/runlog.h) */
    int pth;             /* epoch_<e>.pth beside epoch_<e>.npz (mmcv's checkpoint: meta, state_dict) */
    int warmup_iters;    /* linear warm-up over the run's first steps (0 = none, the reference) */
    double warmup_ratio; /* its starting fraction of the learning rate */
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
/* A model state as a PyTorch .pth (names and order of the state dict; int64 counters), with mmcv's meta when
 * given: export's intended file and finetune's epoch_<e>.pth. Returns 0, or -1 with err set. */
int state_write_pth(const State *s, const char *pth, const PthMeta *meta, char *err, size_t errlen);

#endif
