/* NPY arrays and NPZ archives (np.save / np.savez compatible), read and write. */
#ifndef FEDVSSL_NPY_H
#define FEDVSSL_NPY_H
#include <stddef.h>
#include <stdint.h>

#include "zip.h"

typedef enum { NPY_F32, NPY_F64, NPY_I64, NPY_I32, NPY_U8, NPY_OBJECT } NpyType;
#define NPY_MAXDIM 8

typedef struct {
    NpyType type;
    int ndim;
    int64_t shape[NPY_MAXDIM];
    int64_t numel;
    const uint8_t *data; /* little-endian, C order; possibly unaligned */
    size_t nbytes;
} NpyArray;

size_t npy_type_size(NpyType t);
const char *npy_type_descr(NpyType t); /* "<f4" ... */
/* Parse an NPY blob (header + data). Returns 0, or -1 with a message (prefixed by label) in err. */
int npy_parse(const uint8_t *blob, size_t len, NpyArray *a, const char *label, char *err, size_t errlen);
/* NPY v1.0 header for the array (padded to a multiple of 64 bytes); returns its length. buf >= 256. */
size_t npy_header(char *buf, NpyType t, int ndim, const int64_t *shape);
/* Shape as Python prints it: "()", "(3,)", "(2, 3)". */
void npy_shape_str(char *buf, size_t n, int ndim, const int64_t *shape);

typedef struct {
    ZipReader z;
    int n;
    char **names;       /* member names without ".npy" */
    const uint8_t **blob;
    int *owned;
    NpyArray *arr;
} Npz;

/* Opens and parses every member; errors name the file and the member. */
int npz_open(Npz *f, const char *path, char *err, size_t errlen);
void npz_close(Npz *f);
const NpyArray *npz_get(const Npz *f, const char *name);
/* Convert any numeric array to float32 / int64 (dst has a->numel elements). */
void npy_to_f32(const NpyArray *a, float *dst);
void npy_to_i64(const NpyArray *a, int64_t *dst);

typedef struct {
    ZipWriter zw;
} NpzWriter;
int npz_writer_open(NpzWriter *w, const char *path);
int npz_writer_add(NpzWriter *w, const char *name, NpyType t, int ndim, const int64_t *shape, const void *data);
int npz_writer_close(NpzWriter *w);
void npz_writer_abort(NpzWriter *w);

#endif
