/* Named flat model state. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/npy.h"
#include "util.h"

int state_add(State *s, const char *name, int ndim, const int64_t *shape, StateType t, int trainable) {
    if (s->n == s->cap) s->e = xrealloc(s->e, (s->cap = s->cap ? 2 * s->cap : 128) * sizeof(StateEntry));
    StateEntry *e = &s->e[s->n];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->ndim = ndim;
    e->numel = 1;
    for (int i = 0; i < ndim; i++) e->shape[i] = shape[i], e->numel *= shape[i];
    e->type = t;
    e->trainable = trainable;
    if (t == ST_F32) {
        /* Keep every tensor 16-float aligned so kernels can use aligned vector loads. */
        s->nf = (s->nf + 15) & ~(size_t)15;
        e->off = s->nf;
        s->nf += e->numel;
    } else {
        e->off = s->ni;
        s->ni += e->numel;
    }
    return s->n++;
}

void state_alloc(State *s) {
    s->w = xalloc_aligned(s->nf * sizeof(float));
    s->cnt = xcalloc(s->ni, sizeof(int64_t));
}
void state_alloc_train(State *s) {
    if (!s->g) s->g = xalloc_aligned(s->nf * sizeof(float));
    if (!s->m) s->m = xalloc_aligned(s->nf * sizeof(float));
}
void state_free(State *s) {
    free(s->e);
    free(s->w);
    free(s->g);
    free(s->m);
    free(s->cnt);
    memset(s, 0, sizeof *s);
}

int state_find(const State *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].name, name)) return i;
    return -1;
}

int64_t state_num_params(const State *s) {
    int64_t n = 0;
    for (int i = 0; i < s->n; i++)
        if (s->e[i].trainable) n += s->e[i].numel;
    return n;
}

int state_entry_fits(const StateEntry *e, int ndim, const int64_t *shape, int64_t numel) {
    if (numel != e->numel || (ndim != e->ndim && !(e->ndim == 0 && numel == 1))) return 0;
    for (int d = 0; d < e->ndim; d++)
        if (shape[d] != e->shape[d]) return 0;
    return 1;
}

int state_load_npz(State *s, const char *path, int allow_missing, const char *prefix_filter) {
    Npz z;
    char err[1024];
    if (npz_open(&z, path, err, sizeof err)) die("%s", err);
    int loaded = 0;
    for (int i = 0; i < s->n; i++) {
        StateEntry *e = &s->e[i];
        if (prefix_filter && strncmp(e->name, prefix_filter, strlen(prefix_filter))) continue;
        const NpyArray *a = npz_get(&z, e->name);
        if (!a) {
            if (allow_missing) continue;
            npz_close(&z);
            die("%s: missing key '%s'", path, e->name);
        }
        if (!state_entry_fits(e, a->ndim, a->shape, a->numel) || a->type == NPY_OBJECT) {
            char want[128], got[128];
            npy_shape_str(want, sizeof want, e->ndim, e->shape);
            npy_shape_str(got, sizeof got, a->ndim, a->shape);
            npz_close(&z);
            die("%s: key '%s' has shape %s, expected %s", path, e->name, got, want);
        }
        if (e->type == ST_F32) npy_to_f32(a, s->w + e->off);
        else npy_to_i64(a, s->cnt + e->off);
        loaded++;
    }
    npz_close(&z);
    return loaded;
}

void state_save_npz(const State *s, const char *path, const char *prefix_filter) {
    NpzWriter w;
    if (npz_writer_open(&w, path)) die("%s: cannot create: %m", path);
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        if (prefix_filter && strncmp(e->name, prefix_filter, strlen(prefix_filter))) continue;
        int r = e->type == ST_F32 ? npz_writer_add(&w, e->name, NPY_F32, e->ndim, e->shape, s->w + e->off)
                                  : npz_writer_add(&w, e->name, NPY_I64, e->ndim, e->shape, s->cnt + e->off);
        if (r) {
            npz_writer_abort(&w);
            die("%s: write failed: %m", path);
        }
    }
    if (npz_writer_close(&w)) die("%s: write failed: %m", path);
}

/* ---- per-entry operations ---- */

