/* The configuration keys of fedvssl finetune (conf/finetune.yaml documents the same keys and defaults;
 * tests/test_config.c checks that they agree). Grouped as pretrain's: optimizer.*, data.*. */
#ifndef FEDVSSL_FINETUNE_CONFIG_H
#define FEDVSSL_FINETUNE_CONFIG_H
#include "../core/config.h"

typedef struct {
    const char *data_dir, *train_list, *init, *out, *device, *precision;
    int epochs, batch, seed, threads, fast_decode, crop, max_iters, log_interval, quiet, fault_nan_epoch, allow_changes, init_partial,
        tensorboard, pth, warmup_iters;
    double max_bad, lr, momentum, wd, clip, gamma, dropout, warmup_ratio;
    CfgFloats lr_steps;
} FinetuneArgs;

/* Fills k (room for 32 keys; may be NULL) with the table writing into a; returns the key count. */
int finetune_config_keys(FinetuneArgs *a, CfgKey *k);

#endif
