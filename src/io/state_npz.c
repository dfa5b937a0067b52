/* State <-> .npz (see state_npz.h). */
#include "state_npz.h"

#include <stdio.h>
#include <string.h>

#include "../core/util.h"
#include "npy.h"

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
