/* fedvssl retrieve: video retrieval with backbone features (spec §7; protocol in docs/retrieval.md):
 * test videos query the train videos by cosine similarity, R@1/5/10/20/50. */
#include <limits.h>
#include <string.h>

#include "../core/config.h"
#include "../downstream/downstream.h"
#include "commands.h"
#include "common_keys.h"

/* The command's keys, writing into c (k: room for 32; may be NULL); returns the count. */
int retrieve_config_keys(RetrieveConfig *c, CfgKey *k) {
    const CfgKey keys[] = {
        {"data_dir", CFG_STR, &c->data_dir, "data/ucf101", NULL, 0, 0, "dataset root with zips/ and annotations/"},
        {"init", CFG_STR, &c->init, "", NULL, 0, 0,
         "weights whose backbone.* entries are used: a pretrain round checkpoint (round-<r>.npz or the baseline's "
         "round-<r>-weights.array.npz) or a finetune epoch_<e>.npz (\"\" = random init, a baseline)"},
        {"out", CFG_STR, &c->out, "", NULL, 0, 0, "folder for retrieval.json (\"\" = outputs/<date>/<time>)"},
        {"train_list", CFG_STR, &c->train_list, "annotations/train_split_1.json", NULL, 0, 0,
         "the gallery, relative to data_dir unless absolute"},
        {"test_list", CFG_STR, &c->test_list, "annotations/test_split_1.json", NULL, 0, 0,
         "the queries, relative to data_dir unless absolute"},
        {"seed", CFG_INT, &c->seed, "7", NULL, 0, INT_MAX, "seed of the random initialisation (without init)"},
        {"data.batch", CFG_INT, &c->batch, "2", NULL, 1, 4096, "videos per forward (x 10 clips)"},
        CFGK_THREADS("data.threads", &c->threads),
        CFGK_FAST_DECODE(&c->fast_decode),
        CFGK_CROP_EVAL(&c->crop),
        {"init_partial", CFG_BOOL, &c->init_partial, "false", NULL, 0, 0,
         "use an init= that holds fewer than half of the backbone entries (the others stay random)"},
        {"bn_stats", CFG_ENUM, &c->bn_stats, "checkpoint", "checkpoint|gallery", 0, 0,
         "BN in eval mode with the checkpoint's running statistics, or with statistics recomputed on the gallery's "
         "clips first (equally weighted over its batches): whether pre-training's statistics are what hurts"},
        {"max_videos", CFG_INT, &c->max_videos, "0", NULL, 0, INT_MAX, "only the first N videos of each list (0 = all)"},
        CFGK_DEVICE(&c->device),
        CFGK_PRECISION(&c->precision),
        CFGK_QUIET(&c->quiet),
    };
    CFG_TABLE_RETURN(keys, k);
}

int cmd_retrieve(int argc, char **argv) {
    RetrieveConfig c;
    CfgKey keys[32];
    int nk = retrieve_config_keys(&c, keys);
    config_cli("retrieve", "init=<checkpoint.npz> [key=value ...]", keys, nk, argc,
               argv, NULL, 0);
    int rc = retrieve_run(&c);
    config_free();
    return rc;
}
