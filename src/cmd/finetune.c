/* fedvssl finetune: supervised TSN fine-tuning of a (pre-trained) R3D-18 on UCF-101 split 1 (spec §5),
 * the reference's `dist_train.sh finetune_ucf101.py 1`. Keys: finetune_config.c = conf/finetune.yaml. */
#include "../core/config.h"
#include "../downstream/downstream.h"
#include "../model/checkpoint.h"
#include "commands.h"
#include "finetune_config.h"

int cmd_finetune(int argc, char **argv) {
    FinetuneArgs a;
    CfgKey keys[32];
    int nk = finetune_config_keys(&a, keys);
    config_cli("finetune", "[config=FILE.yaml] [key=value ...]", keys, nk, argc, argv, NULL, 0);
    int write_cfg = 1;
    if (a.c.out[0]) { /* a folder with a config.yaml: this continues that run, with its settings */
        FinetuneArgs was;
        CfgKey wkeys[32];
        finetune_config_keys(&was, wkeys);
        static const char *const free_keys[] = {"out", "quiet", "data_dir", "data.threads", "device", "log_interval", "pth", "tensorboard",
                                                "allow_changes", "fault.", "trace_dir", NULL};
        write_cfg = run_folder_settings(a.c.out, "finetune", keys, wkeys, nk, free_keys, a.allow_changes, "epoch",
                                        finetune_newest_epoch(a.c.out));
    }
    int rc = finetune_run(&a.c, write_cfg ? keys : NULL, nk);
    config_free();
    return rc;
}
