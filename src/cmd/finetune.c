/* fedvssl finetune: supervised TSN fine-tuning of a (pre-trained) R3D-18 on UCF-101 split 1 (spec §5),
 * the reference's `dist_train.sh finetune_ucf101.py 1`. Keys: finetune_config.c = conf/finetune.yaml. */
#include "../core/config.h"
#include "../model/downstream.h"
#include "commands.h"
#include "finetune_config.h"

int cmd_finetune(int argc, char **argv) {
    FinetuneArgs a;
    CfgKey keys[32];
    int nk = finetune_config_keys(&a, keys);
    config_cli("finetune", "[config=FILE.yaml] [key=value ...]", keys, nk, argc, argv, NULL, 0);
    FinetuneConfig c = {a.data_dir, a.train_list, a.init, a.out, a.device, a.precision, a.epochs, a.batch, a.seed,
                        a.threads, a.fast_decode, a.crop, a.max_iters, a.log_interval, a.quiet, a.lr, a.momentum, a.wd,
                        a.clip, a.gamma, a.dropout, a.max_bad, a.lr_steps.v, a.lr_steps.n, a.fault_nan_epoch,
                        a.init_partial, a.tensorboard, a.pth, a.warmup_iters, a.warmup_ratio};
    int write_cfg = 1;
    if (a.out[0]) { /* a folder with a config.yaml: this continues that run, with its settings */
        FinetuneArgs was;
        CfgKey wkeys[32];
        finetune_config_keys(&was, wkeys);
        static const char *const free_keys[] = {"out", "quiet", "data_dir", "data.threads", "device", "log_interval", "pth", "tensorboard",
                                                "allow_changes", "fault.", NULL};
        write_cfg = run_folder_settings(a.out, "finetune", keys, wkeys, nk, free_keys, a.allow_changes, "epoch",
                                        finetune_newest_epoch(a.out));
    }
    int rc = finetune_run(&c, write_cfg ? keys : NULL, nk);
    config_free();
    return rc;
}
