/* fedvssl finetune: supervised TSN fine-tuning of a (pre-trained) R3D-18 on UCF-101 split 1 (spec §5),
 * the reference's `dist_train.sh finetune_ucf101.py 1`. Keys and defaults are conf/finetune.yaml's. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "../core/util.h"
#include "../model/downstream.h"
#include "commands.h"

typedef struct {
    const char *data_dir, *train_list, *init, *out, *device;
    int epochs, batch, seed, threads, max_iters, log_interval, quiet;
    double lr, momentum, wd, clip, gamma, dropout;
    CfgFloats lr_steps;
} FinetuneArgs;

static int table(FinetuneArgs *a, CfgKey *k) {
    const CfgKey keys[] = {
        {"epochs", CFG_INT, &a->epochs, "150", NULL, 1, INT_MAX, "total epochs (a re-run continues up to this many)"},
        {"lr", CFG_FLOAT, &a->lr, "0.01", NULL, 0, 1e3, "SGD learning rate"},
        {"momentum", CFG_FLOAT, &a->momentum, "0.9", NULL, 0, 1, "SGD momentum (carried across epochs and resumes)"},
        {"weight_decay", CFG_FLOAT, &a->wd, "5e-4", NULL, 0, 1, "SGD weight decay"},
        {"clip", CFG_FLOAT, &a->clip, "40", NULL, 0, 1e9, "clip the gradients' total L2 norm to this (0 = no clipping)"},
        {"lr_steps", CFG_FLOATS, &a->lr_steps, "[60, 120]", NULL, 0, HUGE_VAL,
         "epochs after which the learning rate is multiplied by gamma"},
        {"gamma", CFG_FLOAT, &a->gamma, "0.1", NULL, 0, 1, "learning-rate step factor"},
        {"batch", CFG_INT, &a->batch, "4", NULL, 1, 4096, "clips per step (the reference: 1 GPU x 4)"},
        {"seed", CFG_INT, &a->seed, "7", NULL, 0, INT_MAX, "seed of the classifier init, data order and augmentation"},
        {"dropout", CFG_FLOAT, &a->dropout, "0.5", NULL, 0, 0.999, "dropout before the classifier (training only)"},
        {"init", CFG_STR, &a->init, "", NULL, 0, 0,
         "pre-trained weights: an npz of named arrays (pretrain fedvssl_results/round-<r>.npz, a finetune "
         "epoch_<e>.npz); its backbone.* entries are taken; \"\" = random init"},
        {"data_dir", CFG_STR, &a->data_dir, "data/ucf101", NULL, 0, 0, "dataset root with zips/ and annotations/"},
        {"out", CFG_STR, &a->out, "", NULL, 0, 0,
         "run folder; a re-run continues from its newest epoch_<e>.npz (\"\" = outputs/<date>/<time>)"},
        {"train_list", CFG_STR, &a->train_list, "annotations/train_split_1.json", NULL, 0, 0,
         "training list, relative to data_dir unless absolute"},
        {"max_iters", CFG_INT, &a->max_iters, "0", NULL, 0, INT_MAX, "iterations per epoch (0 = the whole list)"},
        {"log_interval", CFG_INT, &a->log_interval, "10", NULL, 1, INT_MAX, "iterations per metrics record"},
        {"threads", CFG_INT, &a->threads, "0", NULL, 0, 4096, "loader and compute threads (0 = all cores)"},
        {"device", CFG_STR, &a->device, "cpu", NULL, 0, 0, "cpu, cuda or cuda:N"},
        {"quiet", CFG_BOOL, &a->quiet, "false", NULL, 0, 0, "no progress output"},
    };
    int n = (int)(sizeof keys / sizeof *keys);
    if (k) memcpy(k, keys, sizeof keys);
    return n;
}

int cmd_finetune(int argc, char **argv) {
    FinetuneArgs a;
    CfgKey keys[32];
    int nk = table(&a, keys);
    config_cli("finetune", "[config=FILE.yaml] [key=value ...]", keys, nk, argc, argv, NULL, 0);
    FinetuneConfig c = {a.data_dir, a.train_list, a.init, a.out, a.device, a.epochs, a.batch, a.seed, a.threads,
                        a.max_iters, a.log_interval, a.quiet, a.lr, a.momentum, a.wd, a.clip, a.gamma, a.dropout,
                        a.lr_steps.v, a.lr_steps.n};
    int rc = finetune_run(&c, keys, nk);
    config_free();
    return rc;
}
