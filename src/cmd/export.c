/* fedvssl export: turns a pre-trained checkpoint (ours, the Flower baseline's, the authors' release, a
 * plain npz) into the fine-tune initial state, and optionally the reference's model_pretrained.pth
 * (the counterpart of `python -m fedvssl.finetune_preprocess`, spec §4). */
#include <limits.h>
#include <string.h>

#include "../core/config.h"
#include "../downstream/downstream.h"
#include "commands.h"

/* The command's keys, writing into c (k: room for 32; may be NULL); returns the count. */
int export_config_keys(ExportConfig *c, CfgKey *k) {
    const CfgKey keys[] = {
        {"out", CFG_STR, &c->out, "", NULL, 0, 0, "the fine-tune initial state to write (npz of named arrays; required)"},
        {"pth", CFG_STR, &c->pth, "", NULL, 0, 0, "also write a PyTorch checkpoint {'state_dict': ...} here (\"\" = none)"},
        {"pth_format", CFG_ENUM, &c->pth_format, "fedvssl", "fedvssl|reference", 0, 0,
         "fedvssl: the exported state (fresh classifier, int64 counters); reference: finetune_preprocess.py's "
         "file exactly (keys paired by position, the CtP head's temporal conv under cls_head.fc_cls.*)"},
        {"classes", CFG_INT, &c->classes, "101", NULL, 1, 1000000, "classifier outputs (UCF-101: 101, HMDB-51: 51)"},
        {"seed", CFG_INT, &c->seed, "7", NULL, 0, INT_MAX, "seed of the classifier's initialisation (finetune's seed)"},
        {"quiet", CFG_BOOL, &c->quiet, "false", NULL, 0, 0, "no output but errors"},
    };
    CFG_TABLE_RETURN(keys, k);
}

int cmd_export(int argc, char **argv) {
    ExportConfig c;
    const char *pos[1] = {NULL};
    CfgKey keys[32];
    int nk = export_config_keys(&c, keys);
    int n = config_cli("export", "<checkpoint> out=<init.npz> [pth=<model_pretrained.pth>] [key=value ...]", keys,
                       nk, argc, argv, pos, 1);
    c.checkpoint = n ? pos[0] : NULL;
    int rc = export_run(&c);
    config_free();
    return rc;
}
