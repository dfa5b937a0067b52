/* The configuration table of fedvssl finetune (spec §5 defaults). */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "finetune_config.h"

int finetune_config_keys(FinetuneArgs *a, CfgKey *k) {
    const CfgKey keys[] = {
        {"data_dir", CFG_STR, &a->data_dir, "data/ucf101", NULL, 0, 0, "dataset folder (zips/, annotations/)"},
        {"train_list", CFG_STR, &a->train_list, "annotations/train_split_1.json", NULL, 0, 0,
         "training list, relative to data_dir unless absolute"},
        {"init", CFG_STR, &a->init, "", NULL, 0, 0,
         "pre-trained weights whose backbone.* entries are taken: a pretrain round checkpoint (round-<r>.npz or "
         "the baseline's round-<r>-weights.array.npz), a finetune epoch_<e>.npz, any npz of named arrays; \"\" = "
         "random init"},
        {"epochs", CFG_INT, &a->epochs, "150", NULL, 1, INT_MAX, "total epochs (a re-run continues up to this many)"},
        {"seed", CFG_INT, &a->seed, "7", NULL, 0, INT_MAX, "seed (classifier init, data order, augmentation, dropout)"},
        {"dropout", CFG_FLOAT, &a->dropout, "0.5", NULL, 0, 0.999, "dropout before the classifier (training only)"},
        {"optimizer.lr", CFG_FLOAT, &a->lr, "0.01", NULL, 0, 1e3, "SGD learning rate (before the steps)"},
        {"optimizer.momentum", CFG_FLOAT, &a->momentum, "0.9", NULL, 0, 1,
         "SGD momentum (carried across epochs and resumes)"},
        {"optimizer.weight_decay", CFG_FLOAT, &a->wd, "0.0005", NULL, 0, 1, "SGD weight decay"},
        {"optimizer.clip", CFG_FLOAT, &a->clip, "40", NULL, 0, 1e9, "L2 gradient clip (0 = none)"},
        {"lr_steps", CFG_FLOATS, &a->lr_steps, "[60, 120]", NULL, 0, HUGE_VAL,
         "epochs after which the learning rate is multiplied by gamma"},
        {"gamma", CFG_FLOAT, &a->gamma, "0.1", NULL, 0, 1, "learning-rate step factor"},
        {"warmup_iters", CFG_INT, &a->warmup_iters, "0", NULL, 0, INT_MAX,
         "linear learning-rate warm-up over the run's first steps, as mmcv's warmup='linear' (0 = none, the "
         "reference)"},
        {"warmup_ratio", CFG_FLOAT, &a->warmup_ratio, "0.1", NULL, 0, 1, "the warm-up's starting fraction of the lr"},
        {"data.batch", CFG_INT, &a->batch, "4", NULL, 1, 4096, "clips per step (the reference: 1 GPU x 4)"},
        {"data.threads", CFG_INT, &a->threads, "0", NULL, 0, 4096, "loader and compute threads (0 = all cores)"},
        {"data.fast_decode", CFG_BOOL, &a->fast_decode, "false", NULL, 0, 0,
         "decode JPEGs DCT-scaled (faster, pixels differ from the reference)"},
        {"data.max_bad_fraction", CFG_FLOAT, &a->max_bad, "0.01", NULL, 0, 1,
         "unreadable samples (damaged frame packs) are skipped up to this fraction of the list; more stop the run"},
        {"data.crop", CFG_INT, &a->crop, "112", NULL, 32, 512,
         "clip side in pixels (112 = the reference; smaller scales every size of the pipeline, for small runs)"},
        {"max_iters", CFG_INT, &a->max_iters, "0", NULL, 0, INT_MAX, "iterations per epoch (0 = the whole list)"},
        {"log_interval", CFG_INT, &a->log_interval, "10", NULL, 1, INT_MAX, "iterations per metrics record"},
        {"device", CFG_STR, &a->device, "cpu", NULL, 0, 0, "cpu, cuda or cuda:N"},
        {"precision", CFG_ENUM, &a->precision, "fp32", "fp32|tf32", 0, 0, "CUDA math precision"},
        {"out", CFG_STR, &a->out, "", NULL, 0, 0,
         "run folder; a re-run continues from its newest epoch_<e>.npz (default outputs/<date>/<time>)"},
        {"init_partial", CFG_BOOL, &a->init_partial, "false", NULL, 0, 0,
         "use an init= that holds fewer than half of the backbone entries (the others stay random)"},
        {"allow_changes", CFG_BOOL, &a->allow_changes, "false", NULL, 0, 0,
         "continue a run (out= of a run folder) with settings other than its own; its earlier config.yaml is kept "
         "beside the new one"},
        {"pth", CFG_BOOL, &a->pth, "true", NULL, 0, 0,
         "also write each kept epoch as epoch_<e>.pth (mmcv's checkpoint: meta and state_dict; PyTorch and the "
         "original's tools open it)"},
        {"tensorboard", CFG_BOOL, &a->tensorboard, "true", NULL, 0, 0,
         "mirror metrics.jsonl as TensorBoard scalars in <out>/tf_logs (loss, lr, accuracy per step and epoch)"},
        {"quiet", CFG_BOOL, &a->quiet, "false", NULL, 0, 0, "no progress output"},
        {"fault.nan_epoch", CFG_INT, &a->fault_nan_epoch, "0", NULL, 0, INT_MAX,
         "fault injection (tests): the loss of this epoch's first iteration is NaN (0 = none)"},
    };
    int n = (int)(sizeof keys / sizeof *keys);
    if (k) memcpy(k, keys, sizeof keys);
    return n;
}
