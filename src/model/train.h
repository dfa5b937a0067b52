/* One local epoch over a loader (spec §2.5, §3.3): steps with clip + SGD, a log record every
 * `log_interval` iterations holding the means of that interval (mmcv's TextLoggerHook), and the
 * client's loss metric exp(-mean of the logged losses). Shared by pretrain, finetune and demo. */
#ifndef FEDVSSL_TRAIN_H
#define FEDVSSL_TRAIN_H
#include "../data/loader.h"
#include "model.h"

#include <stdio.h>

typedef struct {
    int iter;              /* 1-based iteration that closes the interval */
    int iters;             /* iterations in the epoch */
    double loss, loss_ctr, loss_size; /* interval means, rounded to 5 decimals as mmcv logs them */
    double acc;            /* TSN: top-1 % of the interval's clips */
    double grad_norm, lr;
    double time, data_time; /* mean seconds per iteration, of which waiting for data */
    double clips_per_s;
} TrainLog;

typedef struct {
    Hyper h;
    int epoch;              /* loader epoch index (shuffle and augmentation stream) */
    int log_interval;       /* 10 as the reference */
    int first_step;         /* the momentum buffer starts from this epoch's first gradient (fresh optimiser) */
    int max_iters;          /* 0: the whole epoch */
    /* mmcv's linear warm-up: while the run's step k (step0 + iteration - 1) is below warmup_iters the learning rate
     * is h.lr * (1 - (1 - k / warmup_iters) * (1 - warmup_ratio)); 0 = none (the reference) */
    int warmup_iters;
    double warmup_ratio;
    int64_t step0;          /* training steps of the run before this epoch */
    /* called at every log record and (with log = NULL) after every iteration, for progress */
    void (*on_log)(void *ctx, const TrainLog *log, int iter, int iters, double loss);
    void *ctx;
    /* fault injection for tests: make the loss of this 1-based iteration NaN */
    int inject_nan_at;
    /* For the PyTorch controls (bench/ctp_control.py, bench/finetune_control.py): when set, this folder receives
     * start.npz (the whole state before the first step, when step0 is 0), batch-<step0 + it>.npz (the step's imgs
     * and gt_trajs, gt_weights or labels) and steps.jsonl (one line per step: loss, loss_ctr, loss_size, grad_norm
     * before the clip, lr; TSN: the dropout mask's seed and step) */
    const char *trace_dir;
} TrainOptions;

typedef struct {
    int num_examples;   /* samples in the loader's list (not padded), as the reference reports */
    int iters;
    int logged;         /* log records written */
    double mean_loss;   /* mean of the logged losses; all iterations when fewer than log_interval */
    double loss_metric; /* exp(-mean_loss) */
    int short_epoch;    /* fewer iterations than log_interval: mean over all of them (the reference divides by 0) */
    double seconds, clips_per_s;
    int correct, seen;  /* TSN: training top-1 over the epoch */
    char err[1024];     /* set when the epoch failed (non-finite loss or gradient, too many unreadable samples) */
} TrainResult;

/* Returns 0, or -1 with r->err set (the model's state is then unusable for this epoch). */
int train_epoch(Model *m, Loader *L, const TrainOptions *o, TrainResult *r);
/* The CtP loss of m on the first `batches` batches of a loader's epoch 0 (a fixed stream: the same clips every
 * call), with nothing updated: BN in eval mode (running statistics), no gradient step. Beside it the loss of
 * predicting zero motion (every regression output 0) on the same batches: a model that has learned nothing
 * about motion cannot beat it, while a training loss can (it falls by memorising replayed batches). */
typedef struct {
    double loss, zero_loss; /* means over the batches */
    double ctr, zero_ctr;   /* their centre parts (the rest is the size part, log w and log h) */
    int batches;            /* batches evaluated (fewer than asked when the list is short) */
} HeldOut;
/* Returns 0, or -1 with err set (no batch, or a non-finite loss). */
int ctp_heldout(Model *m, Loader *L, int batches, HeldOut *h, char *err, size_t errlen);

/* mmcv's json log of a training run, <dir>/<YYYYMMDD_HHMMSS>.log.json (the next free second when taken; NULL when
 * it cannot be created), and one of its lines per log record (TextLoggerHook's fields: mode, epoch, iter, lr,
 * memory, data_time, time, the losses, grad_norm). */
FILE *mmcv_log_open(const char *dir);
void mmcv_log_line(FILE *f, int epoch, const TrainLog *lg, ModelKind kind);

#endif
