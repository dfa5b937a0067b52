/* The configuration keys of fedvssl pretrain (conf/base.yaml documents the same keys and defaults;
 * tests/test_fl.c checks that they agree). */
#ifndef FEDVSSL_PRETRAIN_CONFIG_H
#define FEDVSSL_PRETRAIN_CONFIG_H
#include "../core/config.h"

typedef struct {
    const char *data_dir, *partition_dir, *out, *resume, *transport, *device, *precision, *compat, *fault, *ckpt_format, *eval_list, *trace_dir;
    int pool_size, rounds, seed, swbeta, min_fit, min_avail, fedavg, batch, threads, reseed, fast_decode, crop, max_iters,
        log_interval, quiet, tensorboard, keep_last, keep_every, eval_batches, allow_changes, fault_client, fault_round;
    double max_bad, mix, fraction, lr, momentum, wd, clip, round_timeout, fault_seconds;
} PretrainArgs;

/* Fills k (room for 64 keys; may be NULL) with the table writing into a; returns the key count. */
int pretrain_config_keys(PretrainArgs *a, CfgKey *k);

#endif
