/* NPY/NPZ: strict header parser (files come from outside), writer identical to np.save v1.0. */
#include "npy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

size_t npy_type_size(NpyType t) {
    switch (t) {
    case NPY_F32: case NPY_I32: return 4;
    case NPY_F64: case NPY_I64: return 8;
    case NPY_U8: return 1;
    default: return 8;
    }
}
const char *npy_type_descr(NpyType t) {
    switch (t) {
    case NPY_F32: return "<f4";
    case NPY_F64: return "<f8";
    case NPY_I64: return "<i8";
    case NPY_I32: return "<i4";
    case NPY_U8: return "|u1";
    default: return "|O";
    }
}

void npy_shape_str(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t k = snprintf(buf, n, "(");
    for (int i = 0; i < ndim && k < n; i++)
        k += snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, ndim == 1 ? ",)" : ")");
}

size_t npy_header(char *buf, NpyType t, int ndim, const int64_t *shape) {
    char sh[200], dict[240];
    npy_shape_str(sh, sizeof sh, ndim, shape);
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", npy_type_descr(t), sh);
    size_t total = 10 + dl + 1;
    total = (total + 63) / 64 * 64;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    size_t hl = total - 10;
    buf[8] = (char)(hl & 255);
    buf[9] = (char)(hl >> 8);
    memcpy(buf + 10, dict, dl);
    memset(buf + 10 + dl, ' ', total - 10 - dl - 1);
    buf[total - 1] = '\n';
    return total;
}

/* --- header dict parser: {'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), } in any key order --- */
static const char *skip_ws(const char *p, const char *e) {
    while (p < e && isspace((unsigned char)*p)) p++;
    return p;
}
static const char *parse_str(const char *p, const char *e, char *out, size_t n) {
    if (p >= e || (*p != '\'' && *p != '"')) return NULL;
    char q = *p++;
    size_t k = 0;
    while (p < e && *p != q) {
        if (k + 1 >= n) return NULL;
        out[k++] = *p++;
    }
    if (p >= e) return NULL;
    out[k] = 0;
    return p + 1;
}

int npy_parse(const uint8_t *b, size_t len, NpyArray *a, const char *label, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    size_t hl, off;
    if (len < 10 || memcmp(b, "\x93NUMPY", 6)) {
        snprintf(err, errlen, "%s: not an NPY array (bad magic)", label);
        return -1;
    }
    if (b[6] == 1) hl = b[8] | b[9] << 8, off = 10;
    else if ((b[6] == 2 || b[6] == 3) && len >= 12) hl = b[8] | b[9] << 8 | b[10] << 16 | (size_t)b[11] << 24, off = 12;
    else {
        snprintf(err, errlen, "%s: unsupported NPY version %d", label, b[6]);
        return -1;
    }
    if (hl > len - off) {
        snprintf(err, errlen, "%s: truncated NPY header", label);
        return -1;
    }
    const char *p = (const char *)b + off, *e = p + hl;
    char descr[16] = "", key[32];
    int have_descr = 0, have_shape = 0, fortran = 0;
    p = skip_ws(p, e);
    if (p >= e || *p++ != '{') goto bad;
    for (;;) {
        p = skip_ws(p, e);
        if (p < e && *p == '}') break;
        if (!(p = parse_str(p, e, key, sizeof key))) goto bad;
        p = skip_ws(p, e);
        if (p >= e || *p++ != ':') goto bad;
        p = skip_ws(p, e);
        if (!strcmp(key, "descr")) {
            if (!(p = parse_str(p, e, descr, sizeof descr))) goto bad;
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (e - p >= 4 && !memcmp(p, "True", 4)) fortran = 1, p += 4;
            else if (e - p >= 5 && !memcmp(p, "False", 5)) p += 5;
            else goto bad;
        } else if (!strcmp(key, "shape")) {
            if (p >= e || *p++ != '(') goto bad;
            for (;;) {
                p = skip_ws(p, e);
                if (p < e && *p == ')') {
                    p++;
                    break;
                }
                if (p >= e || !isdigit((unsigned char)*p)) goto bad;
                if (a->ndim == NPY_MAXDIM) goto bad;
                int64_t v = 0;
                while (p < e && isdigit((unsigned char)*p)) {
                    if (v > (INT64_MAX - 9) / 10) goto bad;
                    v = v * 10 + (*p++ - '0');
                }
                a->shape[a->ndim++] = v;
                p = skip_ws(p, e);
                if (p < e && *p == ',') p++;
            }
            have_shape = 1;
        } else
            goto bad;
        p = skip_ws(p, e);
        if (p < e && *p == ',') p++;
    }
    if (!have_descr || !have_shape) goto bad;
    if (!strcmp(descr, "<f4")) a->type = NPY_F32;
    else if (!strcmp(descr, "<f8")) a->type = NPY_F64;
    else if (!strcmp(descr, "<i8")) a->type = NPY_I64;
    else if (!strcmp(descr, "<i4")) a->type = NPY_I32;
    else if (!strcmp(descr, "|u1") || !strcmp(descr, "|b1")) a->type = NPY_U8;
    else if (!strcmp(descr, "|O")) a->type = NPY_OBJECT;
    else {
        char shown[sizeof descr];
        snprintf(err, errlen, "%s: unsupported dtype '%s' (need little-endian float32/float64/int64/int32/uint8)", label,
                 printable(shown, sizeof shown, descr));
        return -1;
    }
    if (fortran && a->ndim > 1) {
        snprintf(err, errlen, "%s: Fortran-ordered arrays are not supported", label);
        return -1;
    }
    a->numel = 1;
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] && a->numel > INT64_MAX / 8 / a->shape[i]) goto bad;
        a->numel *= a->shape[i];
    }
    a->data = b + off + hl;
    a->nbytes = len - off - hl;
    if (a->type == NPY_OBJECT) return 0; /* a pickle follows; the caller decides */
    if (a->nbytes < (size_t)a->numel * npy_type_size(a->type)) {
        snprintf(err, errlen, "%s: truncated data (%zu bytes, need %lld)", label, a->nbytes,
                 (long long)(a->numel * npy_type_size(a->type)));
        return -1;
    }
    a->nbytes = a->numel * npy_type_size(a->type);
    return 0;
bad:
    snprintf(err, errlen, "%s: malformed NPY header", label);
    return -1;
}

void npy_to_f32(const NpyArray *a, float *dst) {
    size_t n = a->numel;
    switch (a->type) {
    case NPY_F32: memcpy(dst, a->data, n * 4); break;
    case NPY_F64: for (size_t i = 0; i < n; i++) { double v; memcpy(&v, a->data + 8 * i, 8); dst[i] = (float)v; } break;
    case NPY_I64: for (size_t i = 0; i < n; i++) { int64_t v; memcpy(&v, a->data + 8 * i, 8); dst[i] = (float)v; } break;
    case NPY_I32: for (size_t i = 0; i < n; i++) { int32_t v; memcpy(&v, a->data + 4 * i, 4); dst[i] = (float)v; } break;
    case NPY_U8: for (size_t i = 0; i < n; i++) dst[i] = a->data[i]; break;
    default: memset(dst, 0, n * 4);
    }
}
void npy_to_i64(const NpyArray *a, int64_t *dst) {
    size_t n = a->numel;
    switch (a->type) {
    case NPY_I64: memcpy(dst, a->data, n * 8); break;
    case NPY_F32: for (size_t i = 0; i < n; i++) { float v; memcpy(&v, a->data + 4 * i, 4); dst[i] = f64_to_i64(v); } break;
    case NPY_F64: for (size_t i = 0; i < n; i++) { double v; memcpy(&v, a->data + 8 * i, 8); dst[i] = f64_to_i64(v); } break;
    case NPY_I32: for (size_t i = 0; i < n; i++) { int32_t v; memcpy(&v, a->data + 4 * i, 4); dst[i] = v; } break;
    case NPY_U8: for (size_t i = 0; i < n; i++) dst[i] = a->data[i]; break;
    default: memset(dst, 0, n * 8);
    }
}

int npz_open(Npz *f, const char *path, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    if (zip_open(&f->z, path, err, errlen)) return -1;
    f->names = xcalloc(f->z.n + 1, sizeof(char *));
    f->blob = xcalloc(f->z.n + 1, sizeof(uint8_t *));
    f->owned = xcalloc(f->z.n + 1, sizeof(int));
    f->arr = xcalloc(f->z.n + 1, sizeof(NpyArray));
    for (int i = 0; i < f->z.n; i++) {
        const char *nm = f->z.e[i].name;
        size_t l = strlen(nm);
        if (l < 4 || strcmp(nm + l - 4, ".npy")) continue;
        size_t len;
        char label[512];
        const uint8_t *b = zip_read(&f->z, i, &len, &f->owned[f->n], err, errlen);
        if (!b) goto fail;
        f->blob[f->n] = b;
        f->names[f->n] = xstrdup(nm);
        f->names[f->n][l - 4] = 0;
        f->n++;
        char shown[200];
        snprintf(label, sizeof label, "%s: array '%s'", path, printable(shown, sizeof shown, f->names[f->n - 1]));
        if (npy_parse(b, len, &f->arr[f->n - 1], label, err, errlen)) goto fail;
    }
    return 0;
fail:
    npz_close(f);
    return -1;
}

void npz_close(Npz *f) {
    for (int i = 0; i < f->n; i++) {
        if (f->owned[i]) free((void *)f->blob[i]);
        free(f->names[i]);
    }
    free(f->names);
    free(f->blob);
    free(f->owned);
    free(f->arr);
    zip_close(&f->z);
    memset(f, 0, sizeof *f);
}

const NpyArray *npz_get(const Npz *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->names[i], name)) return &f->arr[i];
    return NULL;
}

int npz_writer_open(NpzWriter *w, const char *path) { return zip_writer_open(&w->zw, path); }

int npz_writer_add(NpzWriter *w, const char *name, NpyType t, int ndim, const int64_t *shape, const void *data) {
    char hdr[512], mname[1024];
    size_t hl = npy_header(hdr, t, ndim, shape);
    size_t n = npy_type_size(t);
    for (int i = 0; i < ndim; i++) n *= shape[i];
    uLong crc = crc32_z(crc32_z(0, (const Bytef *)hdr, hl), data, n);
    snprintf(mname, sizeof mname, "%s.npy", name);
    if (zip_writer_begin(&w->zw, mname, hl + n, (uint32_t)crc)) return -1;
    if (zip_writer_write(&w->zw, hdr, hl)) return -1;
    return zip_writer_write(&w->zw, data, n);
}
int npz_writer_close(NpzWriter *w) { return zip_writer_close(&w->zw); }
void npz_writer_abort(NpzWriter *w) { zip_writer_abort(&w->zw); }
