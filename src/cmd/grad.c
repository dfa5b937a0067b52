/* fedvssl grad: one training step (or --steps N on the same batch) on a given state and batch, writing the
 * loss, the model outputs, every parameter gradient and every state entry after the step(s). Used to check
 * the engine against PyTorch and by users porting weights. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "../core/util.h"
#include "../io/npy.h"
#include "../io/state_npz.h"
#include "../model/model.h"
#include "../nn/backend.h"
#include "commands.h"
#include "common_keys.h"

/* Fetch a batch array with an exact expected shape (dims < 0 are free and reported back). */
static const NpyArray *batch_array(const Npz *z, const char *path, const char *name, int nd, int64_t *shape, int required) {
    const NpyArray *a = npz_get(z, name);
    if (!a) {
        if (required) die("%s: missing array '%s'", path, name);
        return NULL;
    }
    int ok = a->ndim == nd && a->type != NPY_OBJECT;
    for (int i = 0; ok && i < nd; i++) {
        if (shape[i] < 0) shape[i] = a->shape[i];
        ok = a->shape[i] == shape[i] && shape[i] > 0;
    }
    if (!ok) {
        char got[128], want[128];
        npy_shape_str(got, sizeof got, a->ndim, a->shape);
        npy_shape_str(want, sizeof want, nd, shape);
        die("%s: array '%s' has shape %s, expected %s", path, name, got, want);
    }
    return a;
}

int cmd_grad(int argc, char **argv) {
    const char *model_s, *state_p, *batch_p, *out_p, *device, *precision;
    double dropout, lr, momentum, wd, clip;
    int threads, num_classes, seed, steps;
    const CfgKey keys[] = {
        {"model", CFG_ENUM, &model_s, "ctp", "ctp|tsn", 0, 0, "the network"},
        {"state", CFG_STR, &state_p, "", NULL, 0, 0, "input state .npz (one array per state-dict key; required)"},
        {"batch", CFG_STR, &batch_p, "", NULL, 0, 0, "batch .npz (imgs, gt_trajs[, gt_weights] | imgs, labels; required)"},
        {"out", CFG_STR, &out_p, "", NULL, 0, 0, "output .npz (required)"},
        {"dropout", CFG_FLOAT, &dropout, "0.5", NULL, 0, 1, "TSN dropout probability"},
        {"lr", CFG_FLOAT, &lr, "0.01", NULL, 0, 1e3, "learning rate"},
        {"momentum", CFG_FLOAT, &momentum, "0.9", NULL, 0, 1, "SGD momentum"},
        {"wd", CFG_FLOAT, &wd, "0.0001", NULL, 0, 1, "weight decay"},
        {"clip", CFG_FLOAT, &clip, "40", NULL, 0, 1e9, "max L2 norm of all gradients (0 = off)"},
        {"num_classes", CFG_INT, &num_classes, "101", NULL, 1, 100000, "TSN classes"},
        {"seed", CFG_INT, &seed, "0", NULL, 0, INT_MAX,
         "dropout mask seed (step k's mask: model_dropout_mask_seed(seed, k))"},
        {"steps", CFG_INT, &steps, "1", NULL, 1, INT_MAX, "training steps, all on the same batch (see above)"},
        CFGK_THREADS("threads", &threads),
        CFGK_DEVICE(&device),
        CFGK_PRECISION(&precision),
    };
    config_cli("grad",
               "--model ctp|tsn --state S.npz --batch B.npz --out O.npz [options]\n"
               "Runs --steps training steps (default 1), all on the same batch: SGD momentum carried from step to\n"
               "step (the first step starts it, as PyTorch's), BN running stats and num_batches_tracked advancing\n"
               "every step, a new dropout mask every step. Writes: loss (CtP: loss_ctr, loss_size too), pred (CtP)\n"
               "or logits (TSN), grad.<key> (raw, before clipping) and grad_norm (before clipping) of the last\n"
               "step; losses[N] and grad_norms[N] of every step; step.<key>: the state after all steps.",
               keys, (int)(sizeof keys / sizeof *keys), argc, argv, NULL, 0);
    if (!state_p[0] || !batch_p[0] || !out_p[0]) die("grad: --state, --batch and --out are required (see --help)");
    ModelKind kind = !strcmp(model_s, "ctp") ? MODEL_CTP : MODEL_TSN;
    ops_set_threads(threads);

    Model m;
    model_init(&m, kind, num_classes);
    m.dropout = (float)dropout;
    m.dropout_seed = (uint64_t)seed;
    state_load_npz(&m.st, state_p, 0, NULL);
    model_use_backend(&m, backend_for(device, precision));

    Npz bz;
    char err[1024];
    if (npz_open(&bz, batch_p, err, sizeof err)) die("%s", err);
    int64_t ish[5] = {-1, 3, -1, -1, -1};
    const NpyArray *imgs_a = batch_array(&bz, batch_p, "imgs", 5, ish, 1);
    int B = (int)ish[0];
    Dims in = {B, 3, (int)ish[2], (int)ish[3], (int)ish[4]};
    float *imgs = xalloc_aligned(imgs_a->numel * sizeof(float));
    npy_to_f32(imgs_a, imgs);
    float *trajs = NULL, *weights = NULL;
    int64_t *labels = NULL;
    if (kind == MODEL_CTP) {
        int64_t ts[4] = {B, 3, in.d, 4}, ws[3] = {B, 3, in.d};
        const NpyArray *t = batch_array(&bz, batch_p, "gt_trajs", 4, ts, 1);
        trajs = xmalloc(t->numel * sizeof(float));
        npy_to_f32(t, trajs);
        const NpyArray *w = batch_array(&bz, batch_p, "gt_weights", 3, ws, 0);
        if (w) {
            weights = xmalloc(w->numel * sizeof(float));
            npy_to_f32(w, weights);
        }
    } else {
        int64_t ls[1] = {B};
        const NpyArray *l = batch_array(&bz, batch_p, "labels", 1, ls, 1);
        labels = xmalloc(B * sizeof(int64_t));
        npy_to_i64(l, labels);
        for (int i = 0; i < B; i++)
            if (labels[i] < 0 || labels[i] >= num_classes)
                die("%s: labels[%d] = %lld is outside [0, %d)", batch_p, i, (long long)labels[i], num_classes);
    }
    npz_close(&bz);

    model_plan(&m, in, 1);
    State *s = &m.st;
    Hyper h = {(float)lr, (float)momentum, (float)wd, (float)clip};
    /* Each step: forward + backward (train-mode BN updates the running stats once), keep the raw gradients,
     * then clip + SGD on them (the first step starts the momentum buffer). */
    float *raw = xalloc_aligned(s->nf * sizeof(float));
    float *losses = xmalloc(sizeof(float) * (size_t)steps), *norms = xmalloc(sizeof(float) * (size_t)steps);
    float loss = 0, lctr = 0, lsize = 0;
    for (int k = 0; k < steps; k++) {
        model_zero_grads(&m);
        model_forward(&m, imgs, trajs, weights, labels, 1);
        model_backward(&m);
        if (k == steps - 1) model_download_grads(&m, raw);
        loss = m.loss, lctr = m.loss_ctr, lsize = m.loss_size;
        losses[k] = loss;
        norms[k] = (float)model_update(&m, h, k == 0);
    }
    int R = m.ctp.nroi;
    const float *outputs = kind == MODEL_CTP ? m.ctp.pred_h : m.tsn.logits_h;
    model_download_state(&m);

    NpzWriter w;
    if (npz_writer_open(&w, out_p)) die("%s: cannot create: %m", out_p);
    int rc = 0;
    int64_t ns[1] = {steps};
    rc |= npz_writer_add(&w, "loss", NPY_F32, 0, NULL, &loss);
    rc |= npz_writer_add(&w, "grad_norm", NPY_F32, 0, NULL, &norms[steps - 1]);
    rc |= npz_writer_add(&w, "losses", NPY_F32, 1, ns, losses);
    rc |= npz_writer_add(&w, "grad_norms", NPY_F32, 1, ns, norms);
    if (kind == MODEL_CTP) {
        int64_t ps[2] = {R, 64};
        rc |= npz_writer_add(&w, "loss_ctr", NPY_F32, 0, NULL, &lctr);
        rc |= npz_writer_add(&w, "loss_size", NPY_F32, 0, NULL, &lsize);
        rc |= npz_writer_add(&w, "pred", NPY_F32, 2, ps, outputs);
    } else {
        int64_t ls[2] = {B, num_classes};
        rc |= npz_writer_add(&w, "logits", NPY_F32, 2, ls, outputs);
    }
    char key[200];
    for (int i = 0; i < s->n; i++) {
        StateEntry *e = &s->e[i];
        if (!e->trainable) continue;
        snprintf(key, sizeof key, "grad.%s", e->name);
        rc |= npz_writer_add(&w, key, NPY_F32, e->ndim, e->shape, raw + e->off);
    }
    for (int i = 0; i < s->n; i++) {
        StateEntry *e = &s->e[i];
        snprintf(key, sizeof key, "step.%s", e->name);
        rc |= e->type == ST_F32 ? npz_writer_add(&w, key, NPY_F32, e->ndim, e->shape, s->w + e->off)
                                : npz_writer_add(&w, key, NPY_I64, e->ndim, e->shape, s->cnt + e->off);
    }
    if (rc) {
        npz_writer_abort(&w);
        die("%s: write failed: %m", out_p);
    }
    if (npz_writer_close(&w)) die("%s: write failed: %m", out_p);
    for (int k = 0; k < steps; k++) {
        if (steps > 1) printf("step %d: ", k + 1);
        printf("loss %.6f", losses[k]);
        if (kind == MODEL_CTP && k == steps - 1) printf(" (ctr %.6f, size %.6f)", lctr, lsize);
        printf(", gradient norm %.4f%s\n", norms[k], clip > 0 && norms[k] > clip ? " (clipped)" : "");
    }
    printf("wrote %s\n", out_p);
    free(raw), free(imgs), free(trajs), free(weights), free(labels), free(losses), free(norms);
    model_free(&m);
    config_free();
    return 0;
}
