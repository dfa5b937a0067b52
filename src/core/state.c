/* Named flat model state. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- per-entry operations ---- */

