/* The configuration keys of fedvssl pretrain (conf/base.yaml documents the same keys and defaults;
 * tests/test_fl.c checks that they agree). */
#ifndef FEDVSSL_PRETRAIN_CONFIG_H
#define FEDVSSL_PRETRAIN_CONFIG_H
#include "../core/config.h"
#include "../fl/fl.h"

typedef struct {
    FlConfig c; /* what the federation reads; the keys below are turned into its derived fields by cmd/pretrain.c */
    const char *compat, *ckpt_format, *head_init, *patch, *transport, *out, *resume;
    int fedavg, swbeta, allow_changes;
    double mix, lr, momentum, wd, clip;
} PretrainArgs;

/* Fills k (room for 64 keys; may be NULL) with the table writing into a; returns the key count. */
int pretrain_config_keys(PretrainArgs *a, CfgKey *k);

#endif
