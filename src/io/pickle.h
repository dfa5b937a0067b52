/* Safe pickle reader: a small pickle VM over a byte buffer that never executes anything. It knows an
 * allow-list of opcodes (protocols 2-5 binary subset) and of globals (NumPy arrays, dtypes and scalars,
 * flwr Parameters, OrderedDict, torch tensor rebuilds and storages); REDUCE / NEWOBJ / BUILD of those
 * globals build inert data nodes instead of calling anything. The result is a graph of nodes in one
 * table; callers walk it from the root. Every length, index and count in the input is checked; memory
 * stays within a fixed multiple of the input size (PK_BYTES_PER_INPUT_BYTE). */
#ifndef FEDVSSL_PICKLE_H
#define FEDVSSL_PICKLE_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PK_NONE,
    PK_BOOL,    /* u.i = 0 / 1 */
    PK_INT,     /* u.i */
    PK_FLOAT,   /* u.f */
    PK_BYTES,   /* u.s: bytes inside the input buffer */
    PK_STR,     /* u.s: UTF-8 bytes inside the input buffer (not NUL-terminated) */
    PK_TUPLE,   /* kids = items */
    PK_LIST,    /* kids = items */
    PK_DICT,    /* kids = key, value, key, value ...; sub = 1 for collections.OrderedDict */
    PK_GLOBAL,  /* sub = PkGlobal; only allowed globals ever exist */
    PK_DTYPE,   /* numpy.dtype(descr, align, copy): kids = [args tuple] or [args tuple, BUILD state] */
    PK_NDARRAY, /* _reconstruct(ndarray, ...): kids = [] or, after BUILD, [state tuple
                 * (version, shape, dtype, is_fortran, data bytes or list of objects)] */
    PK_SCALAR,  /* numpy scalar(dtype, data): kids = [dtype, bytes] */
    PK_PARAMS,  /* flwr Parameters: kids = [] or, after BUILD, [state dict] */
    PK_PERSID,  /* BINPERSID: kids = [persistent id] */
    PK_TENSOR   /* torch _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, meta]): kids = args */
} PkKind;

typedef enum {
    PG_RECONSTRUCT,   /* numpy.core.multiarray._reconstruct (or numpy._core....) */
    PG_SCALAR,        /* numpy.core.multiarray.scalar */
    PG_NDARRAY,       /* numpy.ndarray */
    PG_DTYPE,         /* numpy.dtype */
    PG_PARAMETERS,    /* flwr.common.typing.Parameters */
    PG_ORDEREDDICT,   /* collections.OrderedDict */
    PG_REBUILD_TENSOR,/* torch._utils._rebuild_tensor_v2 */
    PG_FLOAT_STORAGE, /* torch.FloatStorage */
    PG_LONG_STORAGE,  /* torch.LongStorage */
    PG_DOUBLE_STORAGE /* torch.DoubleStorage */
} PkGlobal;

typedef struct {
    uint8_t kind;  /* PkKind */
    uint8_t depth; /* containers: how deeply they nest (a leaf is 0) */
    uint16_t sub;  /* PK_GLOBAL: PkGlobal; PK_DICT: 1 if OrderedDict */
    int32_t n;     /* number of kids */
    union {
        int64_t i;
        double f;
        struct {
            const uint8_t *p;
            uint64_t len;
        } s;
        struct {
            int32_t *kids; /* node indices */
            int32_t cap;
        } c;
    } u;
} PkNode;

#define PK_MAX_STACK 1000000 /* stack items */
#define PK_MAX_DEPTH 100     /* container nesting */
/* Bound on everything the VM allocates, per byte of input (plus a small constant). No valid pickle
 * comes near it: each opcode byte makes at most one node and a few references. */
#define PK_BYTES_PER_INPUT_BYTE 64

typedef struct {
    PkNode *node;
    int32_t n, cap;
    int32_t root;
    size_t mem_used, mem_limit; /* bytes the VM holds / may hold */
} Pickle;

/* Run the pickle in buf[0..len) (which must outlive pk: bytes and strings point into it).
 * Returns 0 with pk->root set, or -1 with "<label>: <problem>" in err (pk is then already freed). */
int pickle_load(Pickle *pk, const uint8_t *buf, size_t len, const char *label, char *err, size_t errlen);
void pickle_free(Pickle *pk);

static inline const PkNode *pk_node(const Pickle *pk, int32_t i) { return &pk->node[i]; }
/* i-th kid of node x (callers check x->n first). */
static inline int32_t pk_kid(const Pickle *pk, int32_t x, int32_t i) { return pk->node[x].u.c.kids[i]; }
/* Whether node x is a string equal to s. */
int pk_str_is(const Pickle *pk, int32_t x, const char *s);
/* Value of the dict key given as a string, or -1. */
int32_t pk_dict_get(const Pickle *pk, int32_t dict, const char *key);
/* Human-readable kind of a node for messages ("list", "ndarray", ...). */
const char *pk_kind_name(const Pickle *pk, int32_t x);

#endif
