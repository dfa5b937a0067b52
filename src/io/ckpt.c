/* Checkpoint readers (flwr Parameters, authors' object arrays, named npz) and writers (round
 * checkpoint of spec §3.8.1, PyTorch .pth). Readers check every length, shape and dtype, and copy
 * the data out, so a CkptList never points into the file. */
#include "ckpt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pickle.h"
#include "zip.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint files are little-endian and are read and written in place: a little-endian host is needed"
#endif

#define FAIL(...)                           \
    do {                                    \
        snprintf(err, errlen, __VA_ARGS__); \
        goto fail;                          \
    } while (0)

void ckpt_free(CkptList *l) {
    for (int i = 0; i < l->n; i++) {
        free(l->t[i].name);
        free(l->t[i].data);
    }
    free(l->t);
    memset(l, 0, sizeof *l);
}

static int type_ok(NpyType t) { return t == NPY_F32 || t == NPY_F64 || t == NPY_I64 || t == NPY_I32; }

/* Appends a tensor, copying its data. */
static void add_tensor(CkptList *l, int *cap, const char *name, NpyType type, int ndim, const int64_t *shape,
                       int64_t numel, const void *src) {
    if (l->n == *cap) l->t = xrealloc(l->t, (*cap = *cap ? 2 * *cap : 64) * sizeof(CkptTensor));
    CkptTensor *t = &l->t[l->n++];
    memset(t, 0, sizeof *t);
    t->name = name ? xstrdup(name) : NULL;
    t->type = type;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    t->numel = numel;
    size_t nb = (size_t)numel * npy_type_size(type);
    t->data = xmalloc(nb);
    if (nb) memcpy(t->data, src, nb);
}

/* ---- pickled checkpoints (formats a and b) ---- */

typedef struct {
    const Pickle *pk;
    const char *label; /* "<path>: arr_0.npy" */
    char *err;
    size_t errlen;
    CkptList *out;
    int cap;
    uint64_t budget; /* tensor bytes still allowed (see from_pickle) */
} Walk;

static int wfail(Walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int wfail(Walk *w, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(w->err, w->errlen, "%s: %s", w->label, msg);
    return -1;
}

static const PkNode *nd(const Walk *w, int32_t x) { return pk_node(w->pk, x); }
static int32_t kid(const Walk *w, int32_t x, int i) { return pk_kid(w->pk, x, i); }

static int int_of(const Walk *w, int32_t x, int64_t *v) {
    const PkNode *p = nd(w, x);
    if (p->kind != PK_INT && p->kind != PK_BOOL) return -1;
    *v = p->u.i;
    return 0;
}

/* A dtype node (REDUCE numpy.dtype + BUILD state) -> NPY_F32/F64/I64/I32, or NPY_OBJECT for 'O8'. */
static int dtype_of(Walk *w, int32_t d, NpyType *type, const char *what) {
    const PkNode *p = nd(w, d);
    if (p->kind != PK_DTYPE) return wfail(w, "%s: dtype is a %s", what, pk_kind_name(w->pk, d));
    if (p->n != 2) return wfail(w, "%s: dtype without its state (no BUILD)", what);
    const PkNode *s = nd(w, kid(w, d, 1));
    const PkNode *descr = nd(w, kid(w, kid(w, d, 0), 0));
    int64_t ver;
    if (s->n < 8 || s->n > 9 || int_of(w, kid(w, kid(w, d, 1), 0), &ver) || (ver != 3 && ver != 4) ||
        nd(w, kid(w, kid(w, d, 1), 1))->kind != PK_STR)
        return wfail(w, "%s: malformed dtype state", what);
    for (int i = 2; i <= 4; i++)
        if (nd(w, kid(w, kid(w, d, 1), i))->kind != PK_NONE)
            return wfail(w, "%s: structured or subarray dtypes are not supported", what);
    const PkNode *e = nd(w, kid(w, kid(w, d, 1), 1));
    char ds[16] = "?";
    if (descr->u.s.len < sizeof ds) memcpy(ds, descr->u.s.p, descr->u.s.len), ds[descr->u.s.len] = 0;
    for (char *c = ds; *c; c++)
        if (*c < 0x20 || *c > 0x7e) *c = '?';
    char endian = e->u.s.len == 1 ? (char)e->u.s.p[0] : '?';
    if (endian < 0x20 || endian > 0x7e) endian = '?'; /* it goes into a one-line message */
    static const struct {
        const char *d;
        NpyType t;
    } known[] = {{"f4", NPY_F32}, {"f8", NPY_F64}, {"i8", NPY_I64}, {"i4", NPY_I32}, {"O8", NPY_OBJECT}, {"O4", NPY_OBJECT}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        if (strcmp(ds, known[i].d)) continue;
        if (known[i].t == NPY_OBJECT ? endian != '|' : endian != '<' && endian != '=')
            return wfail(w, "%s: dtype '%s' with byte order '%c' is not supported (need little-endian)", what, ds, endian);
        *type = known[i].t;
        return 0;
    }
    return wfail(w, "%s: unsupported dtype '%s' (need little-endian float32/float64/int64/int32)", what, ds);
}

typedef struct {
    int ndim;
    int64_t shape[NPY_MAXDIM];
    int64_t numel;
    NpyType type;
    int32_t data; /* bytes (numeric) or list (object) */
} ArrInfo;

/* An ndarray node made by _reconstruct + BUILD(version, shape, dtype, is_fortran, data). */
static int ndarray_of(Walk *w, int32_t x, ArrInfo *a, const char *what) {
    const PkNode *p = nd(w, x);
    if (p->kind != PK_NDARRAY) return wfail(w, "%s is a %s, not an ndarray", what, pk_kind_name(w->pk, x));
    if (p->n != 1) return wfail(w, "%s: ndarray without its state (no BUILD)", what);
    int32_t st = kid(w, x, 0);
    int64_t ver, fortran;
    if (nd(w, st)->n != 5 || int_of(w, kid(w, st, 0), &ver) || ver != 1 || int_of(w, kid(w, st, 3), &fortran))
        return wfail(w, "%s: malformed ndarray state", what);
    int32_t sh = kid(w, st, 1);
    if (nd(w, sh)->kind != PK_TUPLE) return wfail(w, "%s: ndarray shape is a %s", what, pk_kind_name(w->pk, sh));
    if (nd(w, sh)->n > NPY_MAXDIM) return wfail(w, "%s: ndarray has %d dimensions (at most %d)", what, nd(w, sh)->n, NPY_MAXDIM);
    a->ndim = nd(w, sh)->n;
    a->numel = 1;
    for (int i = 0; i < a->ndim; i++) {
        if (int_of(w, kid(w, sh, i), &a->shape[i]) || a->shape[i] < 0)
            return wfail(w, "%s: ndarray shape has a bad dimension", what);
        if (a->shape[i] && a->numel > INT64_MAX / 8 / a->shape[i]) return wfail(w, "%s: ndarray shape too large", what);
        a->numel *= a->shape[i];
    }
    if (dtype_of(w, kid(w, st, 2), &a->type, what)) return -1;
    /* NumPy sets is_fortran only for arrays that are F- but not C-contiguous, i.e. ndim >= 2. */
    if (fortran && a->ndim > 1) return wfail(w, "%s: Fortran-ordered arrays are not supported", what);
    a->data = kid(w, st, 4);
    int dk = nd(w, a->data)->kind;
    if (a->type == NPY_OBJECT ? dk != PK_LIST : dk != PK_BYTES)
        return wfail(w, "%s: ndarray data is a %s", what, pk_kind_name(w->pk, a->data));
    uint64_t have = a->type == NPY_OBJECT ? (uint64_t)nd(w, a->data)->n : nd(w, a->data)->u.s.len;
    uint64_t want = a->type == NPY_OBJECT ? (uint64_t)a->numel : (uint64_t)a->numel * npy_type_size(a->type);
    if (have != want)
        return wfail(w, "%s: ndarray data has %llu %s, its shape needs %llu", what, (unsigned long long)have,
                     a->type == NPY_OBJECT ? "objects" : "bytes", (unsigned long long)want);
    return 0;
}

/* Every tensor's bytes lie in the pickle, once: more than that means memo references repeat the
 * same data, which no NumPy / flwr writer does, and would let a small file claim huge output. */
static int take_budget(Walk *w, uint64_t nb, const char *what) {
    if (nb > w->budget)
        return wfail(w, "%s: tensors hold more bytes than the pickle (shared through memo references; corrupt or hostile)",
                     what);
    w->budget -= nb;
    return 0;
}

/* An element of the authors' object array: an ndarray or a NumPy scalar. */
static int element(Walk *w, int32_t x, int k, int *nscalar) {
    char what[64];
    snprintf(what, sizeof what, "element %d", k);
    const PkNode *p = nd(w, x);
    if (p->kind == PK_SCALAR) {
        NpyType t;
        if (dtype_of(w, kid(w, x, 0), &t, what)) return -1;
        const PkNode *b = nd(w, kid(w, x, 1));
        if (t == NPY_OBJECT) return wfail(w, "%s: object scalars are not read", what);
        if (b->u.s.len != npy_type_size(t))
            return wfail(w, "%s: NumPy scalar has %llu bytes, its dtype needs %zu", what, (unsigned long long)b->u.s.len,
                         npy_type_size(t));
        if (take_budget(w, b->u.s.len, what)) return -1;
        add_tensor(w->out, &w->cap, NULL, t, 0, NULL, 1, b->u.s.p);
        ++*nscalar;
        return 0;
    }
    ArrInfo a;
    if (ndarray_of(w, x, &a, what)) return -1;
    if (a.type == NPY_OBJECT) return wfail(w, "%s: nested object arrays are not read", what);
    const PkNode *b = nd(w, a.data);
    if (take_budget(w, b->u.s.len, what)) return -1;
    add_tensor(w->out, &w->cap, NULL, a.type, a.ndim, a.shape, a.numel, b->u.s.p);
    return 0;
}

/* flwr Parameters: state {'tensors': [NPY blob, ...], 'tensor_type': 'numpy.ndarray'}. */
static int parameters(Walk *w, int32_t x) {
    const PkNode *p = nd(w, x);
    if (p->kind != PK_PARAMS) return wfail(w, "the 0-d object array holds a %s, not flwr Parameters", pk_kind_name(w->pk, x));
    if (p->n != 1) return wfail(w, "flwr Parameters without its state (no BUILD)");
    int32_t st = kid(w, x, 0), tensors = pk_dict_get(w->pk, st, "tensors"), tt = pk_dict_get(w->pk, st, "tensor_type");
    if (tensors < 0 || nd(w, tensors)->kind != PK_LIST) return wfail(w, "flwr Parameters without a 'tensors' list");
    if (tt < 0 || !pk_str_is(w->pk, tt, "numpy.ndarray"))
        return wfail(w, "flwr Parameters whose tensor_type is not 'numpy.ndarray'");
    int n = nd(w, tensors)->n;
    for (int k = 0; k < n; k++) {
        int32_t b = kid(w, tensors, k);
        const PkNode *bp = nd(w, b);
        char label[700];
        snprintf(label, sizeof label, "%s: tensor %d", w->label, k);
        if (bp->kind != PK_BYTES) return wfail(w, "tensor %d is a %s, not NPY bytes", k, pk_kind_name(w->pk, b));
        NpyArray a;
        if (npy_parse(bp->u.s.p, bp->u.s.len, &a, label, w->err, w->errlen)) return -1;
        if (!type_ok(a.type)) {
            snprintf(w->err, w->errlen, "%s: unsupported dtype '%s' (need little-endian float32/float64/int64/int32)",
                     label, npy_type_descr(a.type));
            return -1;
        }
        if (a.data + a.nbytes != bp->u.s.p + bp->u.s.len) {
            snprintf(w->err, w->errlen, "%s: %llu bytes after the array data", label,
                     (unsigned long long)(bp->u.s.p + bp->u.s.len - a.data - a.nbytes));
            return -1;
        }
        if (take_budget(w, bp->u.s.len, label + strlen(w->label) + 2)) return -1;
        add_tensor(w->out, &w->cap, NULL, a.type, a.ndim, a.shape, a.numel, a.data);
    }
    snprintf(w->out->format, sizeof w->out->format, "flwr Parameters (%d NPY blobs)", n);
    return 0;
}

static int from_pickle(const uint8_t *p, size_t len, const char *label, CkptList *out, char *err, size_t errlen) {
    Pickle pk;
    if (pickle_load(&pk, p, len, label, err, errlen)) return -1;
    Walk w = {.pk = &pk, .label = label, .err = err, .errlen = errlen, .out = out, .budget = len};
    ArrInfo a;
    int rc = -1, nscalar = 0;
    if (ndarray_of(&w, pk.root, &a, "the pickled object")) goto done;
    if (a.type != NPY_OBJECT) {
        wfail(&w, "the pickled ndarray is not an object array");
        goto done;
    }
    if (a.ndim == 0) {
        rc = parameters(&w, kid(&w, a.data, 0));
        goto done;
    }
    if (a.ndim != 1) {
        char s[128];
        npy_shape_str(s, sizeof s, a.ndim, a.shape);
        wfail(&w, "object array of shape %s (expected () or (n,))", s);
        goto done;
    }
    for (int k = 0; k < nd(&w, a.data)->n; k++)
        if (element(&w, kid(&w, a.data, k), k, &nscalar)) goto done;
    if (nscalar)
        snprintf(out->format, sizeof out->format, "object array of %d entries: %d ndarrays, %d NumPy scalars (authors' release)",
                 out->n, out->n - nscalar, nscalar);
    else
        snprintf(out->format, sizeof out->format, "object array of %d ndarrays (authors' release)", out->n);
    rc = 0;
done:
    pickle_free(&pk);
    return rc;
}

static int read_zip(ZipReader *z, const char *path, CkptList *out, char *err, size_t errlen) {
    int cap = 0, nnpy = 0, obj = 0;
    const uint8_t *m = NULL;
    int owned = 0;
    for (int i = 0; i < z->n; i++) {
        size_t l = strlen(z->e[i].name);
        if (l >= 4 && !strcmp(z->e[i].name + l - 4, ".npy")) nnpy++;
        if (l >= 8 && !strcmp(z->e[i].name + l - 8, "data.pkl"))
            FAIL("%s: a PyTorch checkpoint (.pth); only .npz checkpoints are read", path);
    }
    if (!nnpy) FAIL("%s: no arrays (.npy members) in the archive", path);
    for (int i = 0; i < z->n; i++) {
        const char *nm = z->e[i].name;
        size_t l = strlen(nm), len;
        if (l < 4 || strcmp(nm + l - 4, ".npy")) continue;
        char label[600], shown[200];
        snprintf(label, sizeof label, "%s: %s", path, printable(shown, sizeof shown, nm));
        if (!(m = zip_read(z, i, &len, &owned, err, errlen))) goto fail;
        NpyArray a;
        if (npy_parse(m, len, &a, label, err, errlen)) goto fail;
        if (a.type == NPY_OBJECT) {
            if (nnpy != 1) FAIL("%s: an object array beside other arrays (checkpoints hold one object array 'arr_0')", label);
            if (from_pickle(a.data, a.nbytes, label, out, err, errlen)) goto fail;
            obj = 1;
        } else {
            if (!type_ok(a.type))
                FAIL("%s: unsupported dtype '%s' (need little-endian float32/float64/int64/int32)", label,
                     npy_type_descr(a.type));
            char *name = xstrdup(nm);
            name[l - 4] = 0;
            add_tensor(out, &cap, name, a.type, a.ndim, a.shape, a.numel, a.data);
            free(name);
        }
        if (owned) free((void *)m);
        m = NULL;
    }
    if (!obj) snprintf(out->format, sizeof out->format, "npz of %d named arrays", out->n);
    return 0;
fail:
    if (owned) free((void *)m);
    ckpt_free(out);
    return -1;
}

int ckpt_read(const char *path, CkptList *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    ZipReader z;
    if (zip_open(&z, path, err, errlen)) return -1;
    int rc = read_zip(&z, path, out, err, errlen);
    zip_close(&z);
    return rc;
}

int ckpt_read_mem(const uint8_t *data, size_t len, const char *label, CkptList *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    ZipReader z;
    if (zip_open_mem(&z, data, len, label, err, errlen)) return -1;
    int rc = read_zip(&z, label, out, err, errlen);
    zip_close(&z);
    return rc;
}

/* ---- writers ---- */

/* Checks a tensor list before anything is created: types, dimensions, shapes, data pointers. */
static int check_refs(const char *path, const TensorRef *t, int n, int allow_i32, char *err, size_t errlen) {
    if (n < 0) FAIL("%s: negative tensor count", path);
    for (int i = 0; i < n; i++) {
        if (!(t[i].type == NPY_F32 || t[i].type == NPY_F64 || t[i].type == NPY_I64 || (allow_i32 && t[i].type == NPY_I32)))
            FAIL("%s: tensor %d: unsupported type %s", path, i, npy_type_descr(t[i].type));
        if (t[i].ndim < 0 || t[i].ndim > NPY_MAXDIM || (t[i].ndim && !t[i].shape))
            FAIL("%s: tensor %d: bad number of dimensions %d", path, i, t[i].ndim);
        int64_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) {
            if (t[i].shape[d] < 0 || (t[i].shape[d] && numel > ((int64_t)1 << 40) / t[i].shape[d]))
                FAIL("%s: tensor %d: bad shape", path, i);
            numel *= t[i].shape[d];
        }
        if (numel && !t[i].data) FAIL("%s: tensor %d: no data", path, i);
    }
    return 0;
fail:
    return -1;
}

static int64_t ref_numel(const TensorRef *t) {
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

/* A generated byte stream goes either into a CRC-32 and a length (first pass) or into the zip
 * member (second pass, which checks the CRC again: the data must not change in between). */
typedef struct {
    ZipWriter *zw;            /* write into this member (second pass) ... */
    uint8_t *buf;             /* ... or copy into this buffer (second pass) */
    const char *const *names; /* pth_pickle's tensor names */
    uLong crc;
    uint64_t len;
    int failed;
} Emit;

static void emit(Emit *e, const void *p, size_t n) {
    if (!n) return;
    e->crc = crc32_z(e->crc, p, n);
    if (e->buf) memcpy(e->buf + e->len, p, n);
    e->len += n;
    if (e->zw && !e->failed && zip_writer_write(e->zw, p, n)) e->failed = 1;
}
static void emit_str(Emit *e, const char *s) { emit(e, s, strlen(s)); }
static void emit_u32(Emit *e, uint8_t op, uint32_t v) {
    uint8_t b[5] = {op, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    emit(e, b, 5);
}
static void emit_unicode(Emit *e, const char *s) { /* BINUNICODE */
    emit_u32(e, 'X', (uint32_t)strlen(s));
    emit_str(e, s);
}

/* A string literal, embedded NULs included. */
#define EMIT_LIT(e, lit) emit(e, lit, sizeof(lit) - 1)

/* The member arr_0.npy of spec §3.8.1: NPY header of a 0-d object array, then the pickle. */
static void round_stream(Emit *e, const TensorRef *t, int n) {
    char hdr[256];
    size_t hl = npy_header(hdr, NPY_OBJECT, 0, NULL);
    emit(e, hdr, hl);
    /* _reconstruct(ndarray, (0,), b'b') */
    EMIT_LIT(e, "\x80\x03" "cnumpy.core.multiarray\n_reconstruct\n" "cnumpy\nndarray\n" "K\x00\x85" "C\x01" "b" "\x87R");
    /* state: (1, (), dtype('O8') with its state, False, [Parameters]) */
    EMIT_LIT(e, "(K\x01)" "cnumpy\ndtype\n" "X\x02\x00\x00\x00" "O8" "\x89\x88\x87R");
    EMIT_LIT(e, "(K\x03" "X\x01\x00\x00\x00" "|" "NNN" "J\xff\xff\xff\xff" "J\xff\xff\xff\xff" "K\x3f" "tb");
    EMIT_LIT(e, "\x89]" "cflwr.common.typing\nParameters\n" ")\x81" "}(");
    emit_unicode(e, "tensors");
    EMIT_LIT(e, "](");
    for (int i = 0; i < n; i++) {
        size_t bl = npy_header(hdr, t[i].type, t[i].ndim, t[i].shape);
        uint64_t dn = (uint64_t)ref_numel(&t[i]) * npy_type_size(t[i].type), blob = bl + dn;
        if (blob < 256) {
            uint8_t b[2] = {'C', (uint8_t)blob};
            emit(e, b, 2);
        } else
            emit_u32(e, 'B', (uint32_t)blob);
        emit(e, hdr, bl);
        emit(e, t[i].data, dn);
    }
    EMIT_LIT(e, "e");
    emit_unicode(e, "tensor_type");
    emit_unicode(e, "numpy.ndarray");
    EMIT_LIT(e, "u" "b" "a" "t" "b" "."); /* SETITEMS BUILD APPEND TUPLE BUILD STOP */
}

/* Streams gen twice (CRC, then write) into a one-member archive at path. */
static int write_one_member(const char *path, const char *member, void (*gen)(Emit *, const TensorRef *, int),
                            const TensorRef *t, int n, char *err, size_t errlen) {
    Emit first = {0};
    gen(&first, t, n);
    if (first.len >= 0xFFFFFFFFu) {
        snprintf(err, errlen, "%s: checkpoint of %llu bytes is too large for a non-Zip64 archive", path,
                 (unsigned long long)first.len);
        return -1;
    }
    ZipWriter zw;
    if (zip_writer_open(&zw, path)) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    Emit second = {.zw = &zw};
    if (zip_writer_begin(&zw, member, first.len, (uint32_t)first.crc) == 0) gen(&second, t, n);
    if (zw.af.failed || second.failed) {
        int e = errno;
        zip_writer_abort(&zw);
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(e));
        return -1;
    }
    if (second.crc != first.crc || second.len != first.len) {
        zip_writer_abort(&zw);
        snprintf(err, errlen, "%s: tensor data changed while the checkpoint was written", path);
        return -1;
    }
    if (zip_writer_close(&zw)) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int flwr_round_write(const char *path, const TensorRef *t, int n, char *err, size_t errlen) {
    if (check_refs(path, t, n, 1, err, errlen)) return -1;
    for (int i = 0; i < n; i++) /* BINBYTES has a 32-bit length; protocol 3 has nothing longer */
        if ((uint64_t)ref_numel(&t[i]) * npy_type_size(t[i].type) + 256 >= 0xFFFFFFFFu) {
            snprintf(err, errlen, "%s: tensor %d is too large for a protocol-3 pickle (4 GiB)", path, i);
            return -1;
        }
    return write_one_member(path, "arr_0.npy", round_stream, t, n, err, errlen);
}

/* ---- PyTorch .pth (torch.save's zip format, protocol-2 pickle as PyTorch 1.13 writes it) ---- */

static void emit_int(Emit *e, int64_t v) {
    if (v >= 0 && v < 256) {
        uint8_t b[2] = {'K', (uint8_t)v};
        emit(e, b, 2);
    } else if (v >= 0 && v < 65536) {
        uint8_t b[3] = {'M', (uint8_t)v, (uint8_t)(v >> 8)};
        emit(e, b, 3);
    } else if (v >= INT32_MIN && v <= INT32_MAX)
        emit_u32(e, 'J', (uint32_t)(int32_t)v);
    else {
        uint8_t b[10] = {0x8a, 8};
        for (int i = 0; i < 8; i++) b[2 + i] = (uint8_t)((uint64_t)v >> (8 * i));
        emit(e, b, 10);
    }
}

/* Tuple of ints (sizes or strides). */
static void emit_int_tuple(Emit *e, int n, const int64_t *v) {
    if (n == 0) {
        EMIT_LIT(e, ")");
        return;
    }
    if (n > 3) EMIT_LIT(e, "(");
    for (int i = 0; i < n; i++) emit_int(e, v[i]);
    emit(e, n == 1 ? "\x85" : n == 2 ? "\x86" : n == 3 ? "\x87" : "t", 1); /* TUPLE1/2/3 or TUPLE */
}

static void pth_pickle(Emit *e, const TensorRef *t, int n, const PthMeta *meta) {
    EMIT_LIT(e, "\x80\x02}");
    if (meta) { /* MARK 'meta' {MARK 'epoch' e 'iter' i SETITEMS} 'state_dict' ... SETITEMS */
        EMIT_LIT(e, "(");
        emit_unicode(e, "meta");
        EMIT_LIT(e, "}(");
        emit_unicode(e, "epoch");
        emit_int(e, meta->epoch);
        emit_unicode(e, "iter");
        emit_int(e, meta->iter);
        EMIT_LIT(e, "u");
    }
    emit_unicode(e, "state_dict");
    emit_str(e, "ccollections\nOrderedDict\n)R(");
    for (int i = 0; i < n; i++) {
        char key[24];
        int64_t stride[NPY_MAXDIM], s = 1;
        for (int d = t[i].ndim; d-- > 0;) stride[d] = s, s *= t[i].shape[d];
        snprintf(key, sizeof key, "%d", i);
        emit_unicode(e, e->names[i]);
        emit_str(e, "ctorch._utils\n_rebuild_tensor_v2\n((");
        emit_unicode(e, "storage");
        emit_str(e, t[i].type == NPY_F32 ? "ctorch\nFloatStorage\n" : t[i].type == NPY_F64 ? "ctorch\nDoubleStorage\n"
                                                                                         : "ctorch\nLongStorage\n");
        emit_unicode(e, key);
        emit_unicode(e, "cpu");
        emit_int(e, ref_numel(&t[i]));
        EMIT_LIT(e, "tQ"); /* the persistent id tuple, BINPERSID */
        emit_int(e, 0); /* storage offset */
        emit_int_tuple(e, t[i].ndim, t[i].shape);
        emit_int_tuple(e, t[i].ndim, stride);
        EMIT_LIT(e, "\x89"); /* requires_grad */
        emit_str(e, "ccollections\nOrderedDict\n)Rt"); /* backward hooks */
        EMIT_LIT(e, "R");
    }
    /* SETITEMS into the OrderedDict, SETITEM (or SETITEMS after meta) into the dict, STOP */
    if (meta) EMIT_LIT(e, "uu.");
    else EMIT_LIT(e, "us.");
}

static int pth_member(ZipWriter *zw, const char *name, const void *p, size_t n) {
    return zip_writer_begin_aligned(zw, name, n, (uint32_t)crc32_z(0, p, n), 64) || zip_writer_write(zw, p, n);
}

int pth_write(const char *path, const char *const *names, const TensorRef *t, int n, const PthMeta *meta, char *err,
              size_t errlen) {
    if (check_refs(path, t, n, 0, err, errlen)) return -1;
    for (int i = 0; i < n; i++)
        if (!names || !names[i] || !*names[i] || strlen(names[i]) > 4096) {
            snprintf(err, errlen, "%s: tensor %d has no usable name", path, i);
            return -1;
        }
    /* data.pkl is small (names and shapes): built in memory, sized by a first pass. */
    Emit sz = {.names = names};
    pth_pickle(&sz, t, n, meta);
    uint8_t *pkl = xmalloc(sz.len);
    Emit fill = {.names = names, .buf = pkl};
    pth_pickle(&fill, t, n, meta);
    ZipWriter zw;
    if (zip_writer_open(&zw, path)) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        free(pkl);
        return -1;
    }
    int bad = pth_member(&zw, "archive/data.pkl", pkl, sz.len) || pth_member(&zw, "archive/byteorder", "little", 6);
    free(pkl);
    for (int i = 0; i < n && !bad; i++) {
        char name[40];
        snprintf(name, sizeof name, "archive/data/%d", i);
        bad = pth_member(&zw, name, t[i].data, (size_t)ref_numel(&t[i]) * npy_type_size(t[i].type));
    }
    if (!bad) bad = pth_member(&zw, "archive/version", "3\n", 2);
    if (bad) {
        int e = errno;
        zip_writer_abort(&zw);
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(e));
        return -1;
    }
    if (zip_writer_close(&zw)) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
