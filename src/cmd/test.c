/* fedvssl test: a fine-tuned TSN on UCF-101 split-1 test videos (spec §5), the reference's
 * `dist_test.sh test_ucf101.py 1`: 10 uniform clips per video, mean logits, softmax; top-1, top-5 and
 * mean class accuracy. */
#include <limits.h>
#include <string.h>

#include "../core/config.h"
#include "../downstream/downstream.h"
#include "commands.h"
#include "common_keys.h"

/* The command's keys, writing into c (k: room for 32; may be NULL); returns the count. */
int test_config_keys(TestConfig *c, CfgKey *k) {
    const CfgKey keys[] = {
        {"data_dir", CFG_STR, &c->data_dir, "data/ucf101", NULL, 0, 0, "dataset root with zips/ and annotations/"},
        {"run", CFG_STR, &c->run, "", NULL, 0, 0, "a finetune run folder: its newest epoch_<e>.npz is tested"},
        {"checkpoint", CFG_STR, &c->checkpoint, "", NULL, 0, 0, "a TSN checkpoint to test instead (epoch_<e>.npz)"},
        {"out", CFG_STR, &c->out, "", NULL, 0, 0, "folder for results.json (\"\" = run, else the checkpoint's folder)"},
        {"test_list", CFG_STR, &c->test_list, "annotations/test_split_1.json", NULL, 0, 0,
         "test list, relative to data_dir unless absolute"},
        {"data.batch", CFG_INT, &c->batch, "2", NULL, 1, 4096, "videos per forward (x 10 clips)"},
        CFGK_THREADS("data.threads", &c->threads),
        CFGK_FAST_DECODE(&c->fast_decode),
        CFGK_CROP_EVAL(&c->crop),
        {"max_videos", CFG_INT, &c->max_videos, "0", NULL, 0, INT_MAX, "test only the first N videos (0 = all)"},
        CFGK_DEVICE(&c->device),
        CFGK_PRECISION(&c->precision),
        CFGK_QUIET(&c->quiet),
    };
    CFG_TABLE_RETURN(keys, k);
}

int cmd_test(int argc, char **argv) {
    TestConfig c;
    CfgKey keys[32];
    int nk = test_config_keys(&c, keys);
    config_cli("test", "run=<finetune run folder> | checkpoint=<file> [key=value ...]", keys,
               nk, argc, argv, NULL, 0);
    int rc = test_run(&c);
    config_free();
    return rc;
}
