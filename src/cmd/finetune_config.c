/* The configuration table of fedvssl finetune (spec §5 defaults). */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "common_keys.h"
#include "finetune_config.h"

int finetune_config_keys(FinetuneArgs *a, CfgKey *k) {
    const CfgKey keys[] = {
        {"data_dir", CFG_STR, &a->c.data_dir, "data/ucf101", NULL, 0, 0, "dataset folder (zips/, annotations/)"},
        {"train_list", CFG_STR, &a->c.train_list, "annotations/train_split_1.json", NULL, 0, 0,
         "training list, relative to data_dir unless absolute"},
        {"init", CFG_STR, &a->c.init, "", NULL, 0, 0,
         "pre-trained weights whose backbone.* entries are taken: a pretrain round checkpoint (round-<r>.npz or "
         "the baseline's round-<r>-weights.array.npz), a finetune epoch_<e>.npz, any npz of named arrays; \"\" = "
         "random init"},
        {"epochs", CFG_INT, &a->c.epochs, "150", NULL, 1, INT_MAX, "total epochs (a re-run continues up to this many)"},
        {"seed", CFG_INT, &a->c.seed, "7", NULL, 0, INT_MAX, "seed (classifier init, data order, augmentation, dropout)"},
        {"dropout", CFG_FLOAT, &a->c.dropout, "0.5", NULL, 0, 0.999, "dropout before the classifier (training only)"},
        {"optimizer.lr", CFG_FLOAT, &a->c.lr, "0.01", NULL, 0, 1e3, "SGD learning rate (before the steps)"},
        {"optimizer.momentum", CFG_FLOAT, &a->c.momentum, "0.9", NULL, 0, 1,
         "SGD momentum (carried across epochs and resumes)"},
        {"optimizer.weight_decay", CFG_FLOAT, &a->c.weight_decay, "0.0005", NULL, 0, 1, "SGD weight decay"},
        {"optimizer.clip", CFG_FLOAT, &a->c.clip, "40", NULL, 0, 1e9, "L2 gradient clip (0 = none)"},
        {"lr_steps", CFG_FLOATS, &a->c.lr_steps, "[60, 120]", NULL, 0, HUGE_VAL,
         "epochs after which the learning rate is multiplied by gamma"},
        {"gamma", CFG_FLOAT, &a->c.gamma, "0.1", NULL, 0, 1, "learning-rate step factor"},
        {"warmup_iters", CFG_INT, &a->c.warmup_iters, "0", NULL, 0, INT_MAX,
         "linear learning-rate warm-up over the run's first steps, as mmcv's warmup='linear' (0 = none, the "
         "reference)"},
        {"warmup_ratio", CFG_FLOAT, &a->c.warmup_ratio, "0.1", NULL, 0, 1, "the warm-up's starting fraction of the lr"},
        {"data.batch", CFG_INT, &a->c.batch, "4", NULL, 1, 4096, "clips per step (the reference: 1 GPU x 4)"},
        CFGK_THREADS("data.threads", &a->c.threads),
        CFGK_FAST_DECODE(&a->c.fast_decode),
        CFGK_MAX_BAD(&a->c.max_bad_fraction),
        CFGK_CROP_TRAIN(&a->c.crop),
        {"max_iters", CFG_INT, &a->c.max_iters, "0", NULL, 0, INT_MAX, "iterations per epoch (0 = the whole list)"},
        {"log_interval", CFG_INT, &a->c.log_interval, "10", NULL, 1, INT_MAX, "iterations per metrics record"},
        CFGK_DEVICE(&a->c.device),
        CFGK_PRECISION(&a->c.precision),
        {"out", CFG_STR, &a->c.out, "", NULL, 0, 0,
         "run folder; a re-run continues from its newest epoch_<e>.npz (default outputs/<date>/<time>)"},
        {"init_partial", CFG_BOOL, &a->c.init_partial, "false", NULL, 0, 0,
         "use an init= that holds fewer than half of the backbone entries (the others stay random)"},
        {"allow_changes", CFG_BOOL, &a->allow_changes, "false", NULL, 0, 0,
         "continue a run (out= of a run folder) with settings other than its own; its earlier config.yaml is kept "
         "beside the new one"},
        {"pth", CFG_BOOL, &a->c.pth, "true", NULL, 0, 0,
         "also write each kept epoch as epoch_<e>.pth (mmcv's checkpoint: meta and state_dict; PyTorch and the "
         "original's tools open it)"},
        {"tensorboard", CFG_BOOL, &a->c.tensorboard, "true", NULL, 0, 0,
         "mirror metrics.jsonl as TensorBoard scalars in <out>/tf_logs (loss, lr, accuracy per step and epoch)"},
        {"trace_dir", CFG_STR, &a->c.trace_dir, "", NULL, 0, 0,
         "write every step's batch (clips, labels), loss, gradient norm, lr and dropout mask seed to this folder, "
         "and the state before the run's first step, for the PyTorch control bench/finetune_control.py (trace a "
         "run from its first epoch); empty = off"},
        CFGK_QUIET(&a->c.quiet),
        {"fault.nan_epoch", CFG_INT, &a->c.fault_nan_epoch, "0", NULL, 0, INT_MAX,
         "fault injection (tests): the loss of this epoch's first iteration is NaN (0 = none)"},
    };
    CFG_TABLE_RETURN(keys, k);
}
