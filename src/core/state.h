/* Model state: one flat float buffer (parameters and BN running stats, in PyTorch state-dict order)
 * with a table of named views; gradients and momentum are flat buffers of the same layout, so
 * aggregation, checkpoints and SGD are loops over one table. num_batches_tracked counters are int64. */
#ifndef FEDVSSL_STATE_H
#define FEDVSSL_STATE_H
#include <stddef.h>
#include <stdint.h>

typedef enum { ST_F32, ST_I64 } StateType;

typedef struct {
    char name[64];
    int ndim;
    int64_t shape[5];
    int64_t numel;
    StateType type;
    int trainable; /* has a gradient (weights, biases, BN affine); not BN running stats */
    size_t off;    /* into State.w/g/m (float) or State.cnt (int64) */
} StateEntry;

typedef struct {
    int n, cap;
    StateEntry *e;
    size_t nf, ni;   /* float and int64 element counts */
    float *w, *g, *m; /* values, gradients, momentum (g, m allocated on demand) */
    int64_t *cnt;
} State;

int state_add(State *s, const char *name, int ndim, const int64_t *shape, StateType t, int trainable);
void state_alloc(State *s); /* allocates w and cnt (zeroed); call after all state_add */
void state_alloc_train(State *s); /* allocates g and m */
void state_free(State *s);
int state_find(const State *s, const char *name);
static inline float *state_w(const State *s, int i) { return s->w + s->e[i].off; }
static inline float *state_g(const State *s, int i) { return s->g + s->e[i].off; }
int64_t state_num_params(const State *s); /* trainable element count */

/* Whether an array of this shape fits entry e: the same shape, or one element for a scalar entry. */
int state_entry_fits(const StateEntry *e, int ndim, const int64_t *shape, int64_t numel);

#endif
