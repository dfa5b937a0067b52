/* libFuzzer target: the NPY header parser alone (npy_parse), on blobs from outside (.npy files, npz members).
 * Besides not crashing, checks what callers rely on: an accepted numeric array lies inside the blob, its element
 * count is the product of its shape and its byte count that times the element size; the header np.save would
 * write for it (npy_header) parses back to the same array; a refusal is one line naming the input.
 * Seeds: tests/fuzz/corpus/npy/. Build and run:
 *   make fuzz && ./build/fuzz/fuzz_npy -max_total_time=60 CORPUS tests/fuzz/corpus/npy */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/io/npy.h"

/* a broken property stops the run like a crash, saying which */
#define check(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            __builtin_trap();                                                        \
        }                                                                            \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    char err[512];
    NpyArray a;
    if (npy_parse(data, len, &a, "fuzz.npy", err, sizeof err)) {
        check(!strncmp(err, "fuzz.npy: ", 10) && !strchr(err, '\n'));
        return 0;
    }
    check(a.ndim >= 0 && a.ndim <= NPY_MAXDIM);
    int64_t n = 1;
    for (int d = 0; d < a.ndim; d++) {
        check(a.shape[d] >= 0);
        check(!__builtin_mul_overflow(n, a.shape[d], &n));
    }
    check(n == a.numel && a.data >= data && a.data <= data + len && a.nbytes <= (size_t)(data + len - a.data));
    if (a.type == NPY_OBJECT) return 0; /* a pickle follows: fuzz_pickle's business */
    check(a.nbytes == (size_t)a.numel * npy_type_size(a.type));
    /* every element readable, both conversions */
    if (a.numel <= (1 << 22)) {
        float *f = malloc(a.numel * sizeof(float) + 1);
        int64_t *q = malloc(a.numel * sizeof(int64_t) + 1);
        npy_to_f32(&a, f);
        npy_to_i64(&a, q);
        free(f);
        free(q);
    }
    /* np.save's header for the same array reads back as it */
    char hdr[512];
    size_t hl = npy_header(hdr, a.type, a.ndim, a.shape);
    check(hl % 64 == 0 && hl <= 256);
    uint8_t *b = malloc(hl + a.nbytes + 1);
    memcpy(b, hdr, hl);
    if (a.nbytes) memcpy(b + hl, a.data, a.nbytes);
    NpyArray r;
    check(!npy_parse(b, hl + a.nbytes, &r, "again", err, sizeof err));
    check(r.type == a.type && r.ndim == a.ndim && r.numel == a.numel && r.nbytes == a.nbytes && r.data == b + hl);
    for (int d = 0; d < a.ndim; d++) check(r.shape[d] == a.shape[d]);
    free(b);
    return 0;
}
