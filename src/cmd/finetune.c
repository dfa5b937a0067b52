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
                        a.clip, a.gamma, a.dropout, a.max_bad, a.lr_steps.v, a.lr_steps.n, a.fault_nan_epoch};
    int rc = finetune_run(&c, keys, nk);
    config_free();
    return rc;
}
