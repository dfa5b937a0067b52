/* fedvssl test: a fine-tuned TSN on UCF-101 split-1 test videos (spec §5), the reference's
 * `dist_test.sh test_ucf101.py 1`: 10 uniform clips per video, mean logits, softmax; top-1, top-5 and
 * mean class accuracy. */
#include <limits.h>
#include <string.h>

#include "../core/config.h"
#include "../model/downstream.h"
#include "commands.h"

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
        {"data.threads", CFG_INT, &c->threads, "0", NULL, 0, 4096, "loader and compute threads (0 = all cores)"},
        {"data.fast_decode", CFG_BOOL, &c->fast_decode, "false", NULL, 0, 0,
         "decode JPEGs DCT-scaled (faster, pixels differ from the reference)"},
        {"data.crop", CFG_INT, &c->crop, "0", NULL, 0, 512,
         "clip side in pixels: 0 = the size the checkpoint's run was trained at (its config.yaml; 112 = the reference's without one); another size than the run's is refused"},
        {"max_videos", CFG_INT, &c->max_videos, "0", NULL, 0, INT_MAX, "test only the first N videos (0 = all)"},
        {"device", CFG_STR, &c->device, "cpu", NULL, 0, 0, "cpu, cuda or cuda:N"},
        {"precision", CFG_ENUM, &c->precision, "fp32", "fp32|tf32", 0, 0, "CUDA math precision"},
        {"quiet", CFG_BOOL, &c->quiet, "false", NULL, 0, 0, "no progress output"},
    };
    int n = (int)(sizeof keys / sizeof *keys);
    if (k) memcpy(k, keys, sizeof keys);
    return n;
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
