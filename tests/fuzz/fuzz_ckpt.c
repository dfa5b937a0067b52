/* libFuzzer target: checkpoint files from outside through ckpt_read_mem, every format it reads (the Flower
 * baseline's round-<r>-weights.array.npz, the authors' object-array npz, named npz, and what is refused: .pth,
 * hostile pickles). Each input runs as given and with its stored members' CRCs fixed (zipfix.h), so mutations
 * reach the NPY headers and pickles inside. Besides not crashing: a refusal is one line starting with the
 * file's name and returns an empty list; an accepted list holds only supported types, shapes whose product is
 * the element count, buffers readable to their last byte, and a format description.
 * Seeds: tests/fuzz/corpus/ckpt/ (the fixtures of tests/golden/ckpt/). Build and run:
 *   make fuzz && ./build/fuzz/fuzz_ckpt -max_total_time=60 CORPUS tests/fuzz/corpus/ckpt */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/io/ckpt.h"
#include "zipfix.h"

/* a broken property stops the run like a crash, saying which */
#define check(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            __builtin_trap();                                                        \
        }                                                                            \
    } while (0)

static void run(const uint8_t *data, size_t len, const char *label) {
    char err[1024];
    CkptList l;
    memset(&l, 0x5a, sizeof l);
    if (ckpt_read_mem(data, len, label, &l, err, sizeof err)) {
        size_t n = strlen(label);
        if (strncmp(err, label, n) || err[n] != ':' || strchr(err, '\n')) fprintf(stderr, "message: %s\n", err);
        check(!strncmp(err, label, n) && err[n] == ':' && !strchr(err, '\n'));
        check(l.n == 0 && l.t == NULL);
        return;
    }
    check(l.n >= 0 && (l.n == 0 || l.t != NULL));
    check(memchr(l.format, 0, sizeof l.format) && l.format[0]);
    volatile uint8_t sink = 0;
    for (int i = 0; i < l.n; i++) {
        const CkptTensor *t = &l.t[i];
        check(t->type == NPY_F32 || t->type == NPY_F64 || t->type == NPY_I64 || t->type == NPY_I32);
        check(t->ndim >= 0 && t->ndim <= NPY_MAXDIM);
        int64_t n = 1;
        for (int d = 0; d < t->ndim; d++) check(t->shape[d] >= 0 && !__builtin_mul_overflow(n, t->shape[d], &n));
        check(n == t->numel);
        size_t nb = (size_t)t->numel * npy_type_size(t->type);
        check(nb <= len * (size_t)1032 + 1024); /* never more than the file holds (deflate: at most ~1032:1) */
        if (nb) sink ^= ((const uint8_t *)t->data)[0] ^ ((const uint8_t *)t->data)[nb - 1];
        if (t->name) sink ^= (uint8_t)strlen(t->name);
    }
    (void)sink;
    ckpt_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    run(data, len, "fuzz.npz");
    uint8_t *c = malloc(len ? len : 1);
    memcpy(c, data, len);
    if (zip_fix_crcs(c, len)) run(c, len, "fixed.npz");
    free(c);
    return 0;
}
