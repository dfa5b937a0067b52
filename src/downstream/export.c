/* fedvssl export: a pre-trained checkpoint of any format -> the fine-tune initial state (init.npz) and,
 * optionally, the .pth the reference's finetune_preprocess.py writes (spec §4). See downstream.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "../core/fsutil.h"
#include "../io/ckpt.h"
#include "../io/state_npz.h"
#include "../model/checkpoint.h"
#include "downstream.h"

/* §4 as the reference does it: TSN's keys paired BY POSITION with the checkpoint's list, truncated
 * to the shorter; the values keep the file's dtypes (float64 0-d counters of an aggregated round).
 * The backbone part is checked against the model's shapes; entries 120 and 121 land under
 * cls_head.fc_cls.* whatever they are (the CtP head's temporal conv, which fine-tuning drops). */
static void write_reference_pth(const State *s, const char *ckpt, const char *pth) {
    CkptList l;
    char err[1024];
    if (ckpt_read(ckpt, &l, err, sizeof err)) die("%s", err);
    int n = l.n < s->n ? l.n : s->n;
    const char **names = xcalloc((size_t)n, sizeof *names);
    TensorRef *t = xcalloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++) {
        const StateEntry *e = &s->e[i];
        CkptTensor *c = &l.t[i];
        if (!strncmp(e->name, "backbone.", 9)) {
            if (!state_entry_fits(e, c->ndim, c->shape, c->numel))
                die("%s: entry %d (%s in the file) does not fit %s by position, as the reference pairs them; "
                    "pth_format=reference needs the state-dict order of a CtP checkpoint",
                    ckpt, i, c->name ? c->name : "unnamed", e->name);
        }
        if (c->type == NPY_I32) { /* .pth has no int32 path here: widen (values are counters) */
            int64_t *w = xmalloc((size_t)(c->numel ? c->numel : 1) * sizeof *w);
            for (int64_t k = 0; k < c->numel; k++) w[k] = ((const int32_t *)c->data)[k];
            free(c->data);
            c->data = w, c->type = NPY_I64;
        }
        names[i] = e->name;
        t[i] = (TensorRef){c->type, c->ndim, c->shape, c->data};
    }
    if (pth_write(pth, names, t, n, NULL, err, sizeof err)) die("%s", err);
    free(names);
    free(t);
    ckpt_free(&l);
}

int export_run(const ExportConfig *c) {
    if (!c->checkpoint || !c->checkpoint[0]) die("export: no checkpoint given (fedvssl export <checkpoint> out=init.npz)");
    if (!c->out[0]) die("export: out= is required (the fine-tune initial state to write, e.g. out=init.npz)");
    if (!is_file(c->checkpoint)) die("%s: no such file", c->checkpoint);
    Model m;
    model_init(&m, MODEL_TSN, c->classes);
    model_reset_parameters(&m, (uint64_t)c->seed); /* the classifier, as finetune draws it with this seed */
    char how[200];
    int of, taken = model_load_backbone(&m, c->checkpoint, &of, how, sizeof how);
    if (taken < of)
        die("%s: holds only %d of the %d backbone entries of R3D-18 (read %s); a partial backbone is not exported",
            c->checkpoint, taken, of, how);
    if (!c->quiet) printf("%s: took %d of %d backbone entries (BN statistics included), %s\n", c->checkpoint, taken, of, how);
    state_save_npz(&m.st, c->out, NULL);
    if (!c->quiet)
        printf("wrote %s: %d entries, TSN of %d classes (classifier freshly initialised, seed %d); use it as "
               "fedvssl finetune init=%s\n",
               c->out, m.st.n, c->classes, c->seed, c->out);
    if (c->pth[0]) {
        int ref = !strcmp(c->pth_format, "reference");
        if (ref) write_reference_pth(&m.st, c->checkpoint, c->pth);
        char err[1200];
        if (!ref && state_write_pth(&m.st, c->pth, NULL, err, sizeof err)) die("%s", err);
        if (!c->quiet)
            printf("wrote %s (%s): torch.load(path, weights_only=True)['state_dict'] holds the TSN keys%s\n", c->pth,
                   ref ? "as finetune_preprocess.py writes it" : "the exported state",
                   ref ? " paired by position with the checkpoint's list" : "");
    }
    model_free(&m);
    return 0;
}
