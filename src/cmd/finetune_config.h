/* The configuration keys of fedvssl finetune (conf/finetune.yaml documents the same keys and defaults;
 * tests/test_config.c checks that they agree). Grouped as pretrain's: optimizer.*, data.*. */
#ifndef FEDVSSL_FINETUNE_CONFIG_H
#define FEDVSSL_FINETUNE_CONFIG_H
#include "../core/config.h"
#include "../downstream/downstream.h"

typedef struct {
    FinetuneConfig c;  /* what the job reads */
    int allow_changes; /* continue a run folder with other settings (cmd/finetune.c) */
} FinetuneArgs;

/* Fills k (room for 32 keys; may be NULL) with the table writing into a; returns the key count. */
int finetune_config_keys(FinetuneArgs *a, CfgKey *k);

#endif
