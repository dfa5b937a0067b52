/* Model states on disk (see checkpoint.h). */
#include "checkpoint.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fsutil.h"
#include "../core/util.h"
#include "../io/npy.h"

static Npz open_npz(const char *path) {
    Npz z;
    char err[1024];
    if (!is_file(path)) die("%s: no such file", path);
    if (npz_open(&z, path, err, sizeof err)) die("%s", err);
    return z;
}

/* a matches entry e (same element count and shape; a 0-d entry also takes a 1-element array) */
static void check_shape(const char *path, const char *key, const StateEntry *e, const NpyArray *a) {
    if (a->type != NPY_OBJECT && state_entry_fits(e, a->ndim, a->shape, a->numel)) return;
    char want[128], got[128];
    npy_shape_str(want, sizeof want, e->ndim, e->shape);
    npy_shape_str(got, sizeof got, a->ndim, a->shape);
    if (a->type == NPY_OBJECT) die("%s: '%s' is an object array, expected numbers of shape %s", path, key, want);
    die("%s: '%s' has shape %s, expected %s", path, key, got, want);
}

static void take_entry(State *s, const StateEntry *e, const NpyArray *a) {
    if (e->type == ST_F32) npy_to_f32(a, s->w + e->off);
    else npy_to_i64(a, s->cnt + e->off);
}

/* The list formats (flwr Parameters, the authors' object arrays): backbone entries by position (§4). */
static int load_backbone_by_position(Model *m, const char *path, char *how, size_t howlen) {
    CkptList l;
    char err[1024];
    if (ckpt_read(path, &l, err, sizeof err)) die("%s", err);
    State *s = &m->st;
    int k = 0, nb = 0;
    for (int i = 0; i < s->n; i++) nb += !strncmp(s->e[i].name, "backbone.", 9);
    if (l.n < nb)
        die("%s: %s holds %d entries, fewer than the %d of an R3D-18 backbone", path, l.format, l.n, nb);
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        if (strncmp(e->name, "backbone.", 9)) continue;
        const CkptTensor *t = &l.t[k];
        NpyArray a = {t->type, t->ndim, {0}, t->numel, t->data, (size_t)t->numel * npy_type_size(t->type)};
        memcpy(a.shape, t->shape, sizeof a.shape);
        char label[160];
        snprintf(label, sizeof label, "entry %d (taken for %s)", k, e->name);
        check_shape(path, label, e, &a);
        take_entry(s, e, &a);
        k++;
    }
    if (how) snprintf(how, howlen, "by position from %s", l.format);
    ckpt_free(&l);
    return k;
}

/* A partial backbone is more often a wrong file than a wish: said on stderr, and below half refused unless allowed. */
void checkpoint_check_partial(const char *init, int taken, int of, int allow) {
    if (taken >= of) return;
    if (2 * taken < of && !allow)
        die("%s: only %d of the %d backbone entries are there (a partial or foreign checkpoint?); init_partial=true "
            "uses them anyway, the others staying random",
            init, taken, of);
    warnf("%s: %d of the %d backbone entries taken; the others keep their random initialisation", init, taken, of);
}

int model_load_backbone(Model *m, const char *path, int *of, char *how, size_t howlen) {
    Npz z = open_npz(path);
    State *s = &m->st;
    int taken = 0, total = 0;
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        if (strncmp(e->name, "backbone.", 9)) continue;
        total++;
        const NpyArray *a = npz_get(&z, e->name);
        if (!a) continue;
        check_shape(path, e->name, e, a);
        take_entry(s, e, a);
        taken++;
    }
    if (of) *of = total;
    if (taken) {
        if (how) snprintf(how, howlen, "by name");
        npz_close(&z);
        return taken;
    }
    int listed = z.n == 1 && z.arr[0].type == NPY_OBJECT;
    if (!listed)
        die("%s: none of R3D-18's backbone.* entries (such as '%s') among its %d arrays (first: '%s'); expected a "
            "pretrain round checkpoint, a finetune epoch_<e>.npz, or np.savez of a state dict",
            path, s->e[0].name, z.n, z.n ? z.names[0] : "none");
    npz_close(&z);
    return load_backbone_by_position(m, path, how, howlen);
}

int checkpoint_num_classes(const char *path) {
    Npz z = open_npz(path);
    const NpyArray *a = npz_get(&z, "cls_head.fc_cls.weight");
    if (!a || a->ndim != 2 || a->shape[1] != 512 || a->shape[0] < 1)
        die("%s: no classifier 'cls_head.fc_cls.weight' of shape (classes, 512) (not a finetune checkpoint?)", path);
    int c = (int)a->shape[0];
    npz_close(&z);
    return c;
}

static void load_state(Model *m, const Npz *z, const char *path) {
    State *s = &m->st;
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        const NpyArray *a = npz_get(z, e->name);
        if (!a) die("%s: missing '%s'", path, e->name);
        check_shape(path, e->name, e, a);
        take_entry(s, e, a);
    }
}

static int64_t npz_int(const Npz *z, const char *path, const char *key) {
    const NpyArray *a = npz_get(z, key);
    if (!a || a->numel != 1 || a->type == NPY_OBJECT) die("%s: missing '%s' (not a finetune checkpoint?)", path, key);
    int64_t v;
    npy_to_i64(a, &v);
    return v;
}

void model_load_state(Model *m, const char *path) {
    Npz z = open_npz(path);
    load_state(m, &z, path);
    npz_close(&z);
}

/* ---------- fine-tune epoch checkpoints ---------- */

/* e of epoch_<e>.npz (or of epoch_<e>.pth with pth), else 0 */
static int epoch_of_name(const char *name, int pth) {
    int e, n = 0;
    if (sscanf(name, pth ? "epoch_%d.pth%n" : "epoch_%d.npz%n", &e, &n) == 1 && n > 0 && (size_t)n == strlen(name) &&
        e > 0)
        return e;
    return 0;
}

int finetune_newest_epoch(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int best = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int e = epoch_of_name(de->d_name, 0);
        if (e > best) best = e;
    }
    closedir(d);
    return best;
}

char *finetune_checkpoint_path(const char *dir, int epoch) {
    char name[32];
    snprintf(name, sizeof name, "epoch_%d.npz", epoch);
    return path_join(dir, name);
}

/* Older epoch_<e>.npz and .pth than keep are removed (the reference keeps 1). */
void finetune_prune_checkpoints(const char *dir, int keep) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int e = epoch_of_name(de->d_name, 0);
        if (!e) e = epoch_of_name(de->d_name, 1);
        if (e > 0 && e < keep) {
            char *p = path_join(dir, de->d_name);
            if (unlink(p)) warnf("%s: cannot remove: %m", p);
            free(p);
        }
    }
    if (d) closedir(d);
}

void finetune_save_checkpoint(const Model *m, const float *mom, const char *path, int epoch, int64_t steps,
                            const char *meta_json) {
    const State *s = &m->st;
    NpzWriter w;
    if (npz_writer_open(&w, path)) die("%s: cannot create: %m", path);
    int bad = 0;
    for (int i = 0; i < s->n && !bad; i++) {
        const StateEntry *e = &s->e[i];
        bad = e->type == ST_F32 ? npz_writer_add(&w, e->name, NPY_F32, e->ndim, e->shape, s->w + e->off)
                                : npz_writer_add(&w, e->name, NPY_I64, e->ndim, e->shape, s->cnt + e->off);
    }
    for (int i = 0; i < s->n && !bad; i++) {
        const StateEntry *e = &s->e[i];
        if (!e->trainable) continue;
        char key[96];
        snprintf(key, sizeof key, "momentum.%s", e->name);
        bad = npz_writer_add(&w, key, NPY_F32, e->ndim, e->shape, mom + e->off);
    }
    int64_t ep = epoch, len = (int64_t)strlen(meta_json), none = 0;
    bad = bad || npz_writer_add(&w, "meta.epoch", NPY_I64, 0, &none, &ep);
    bad = bad || npz_writer_add(&w, "meta.steps", NPY_I64, 0, &none, &steps);
    bad = bad || npz_writer_add(&w, "meta.json", NPY_U8, 1, &len, meta_json);
    if (bad) {
        npz_writer_abort(&w);
        die("%s: write failed: %m", path);
    }
    if (npz_writer_close(&w)) die("%s: write failed: %m", path);
}

/* A resumed run matches an uninterrupted one only with the same seed and batch: say so when they changed. */
static void warn_if_changed(const Npz *z, const char *path, const char *key, int now) {
    const NpyArray *a = npz_get(z, "meta.json");
    if (a && a->type == NPY_U8) {
        char *t = xmalloc(a->nbytes + 1), pat[32];
        memcpy(t, a->data, a->nbytes);
        t[a->nbytes] = 0;
        snprintf(pat, sizeof pat, "\"%s\": ", key);
        const char *p = strstr(t, pat);
        if (p && atoi(p + strlen(pat)) != now)
            warnf("%s was written with %s=%d, this run has %s=%d: the continued run will not match an uninterrupted one",
                  path, key, atoi(p + strlen(pat)), key, now);
        free(t);
    }
}

int finetune_load_checkpoint(Model *m, float *mom, const char *path, int64_t *steps, int seed, int batch) {
    Npz z = open_npz(path);
    warn_if_changed(&z, path, "seed", seed);
    warn_if_changed(&z, path, "batch", batch);
    load_state(m, &z, path);
    const State *s = &m->st;
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        if (!e->trainable) continue;
        char key[96];
        snprintf(key, sizeof key, "momentum.%s", e->name);
        const NpyArray *a = npz_get(&z, key);
        if (!a) die("%s: missing '%s' (not a finetune checkpoint?)", path, key);
        check_shape(path, key, e, a);
        npy_to_f32(a, mom + e->off);
    }
    int epoch = (int)npz_int(&z, path, "meta.epoch");
    *steps = npz_int(&z, path, "meta.steps");
    npz_close(&z);
    return epoch;
}

int state_write_pth(const State *s, const char *pth, const PthMeta *meta, char *err, size_t errlen) {
    const char **names = xcalloc((size_t)s->n, sizeof *names);
    TensorRef *t = xcalloc((size_t)s->n, sizeof *t);
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        names[i] = e->name;
        t[i] = e->type == ST_F32 ? (TensorRef){NPY_F32, e->ndim, e->shape, s->w + e->off}
                                 : (TensorRef){NPY_I64, e->ndim, e->shape, s->cnt + e->off};
    }
    int rc = pth_write(pth, names, t, s->n, meta, err, errlen);
    free(names);
    free(t);
    return rc;
}
