/* libFuzzer target: pickles from outside (checkpoint npz files, .pth data.pkl). Each input is run
 * (1) through the pickle VM, (2) as an npz archive, and (3) as the pickle of an arr_0.npy member of a
 * valid archive (so that the archive's CRC does not stop mutations before the checkpoint walker).
 * Seeds: tests/fuzz/corpus/pickle/ (written by tools/gen_ckpt_fixtures.py). Build and run:
 *   make fuzz && UBSAN_OPTIONS=halt_on_error=1 ./build/fuzz/fuzz_pickle -max_total_time=120 CORPUS tests/fuzz/corpus/pickle
 * (halt_on_error: UBSan findings stop the run like crashes; CORPUS an empty scratch directory). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../src/io/ckpt.h"
#include "../../src/io/pickle.h"

/* Errors must name the input; a breach of the memory bound is a bug too. */
static void check_err(const char *err, const char *label) {
    if (strncmp(err, label, strlen(label))) __builtin_trap();
}

static void use_list(const CkptList *l) {
    volatile uint8_t sink = 0;
    for (int i = 0; i < l->n; i++) {
        size_t nb = (size_t)l->t[i].numel * npy_type_size(l->t[i].type);
        if (nb) sink ^= ((const uint8_t *)l->t[i].data)[nb - 1]; /* the whole buffer is there */
    }
    (void)sink;
}

static void wr16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v & 0xffff), wr16(p + 2, v >> 16); }

/* A stored zip with one member arr_0.npy = 0-d object NPY header + the pickle. */
static uint8_t *wrap(const uint8_t *pkl, size_t n, size_t *len) {
    char hdr[256];
    size_t hl = npy_header(hdr, NPY_OBJECT, 0, NULL), ml = hl + n;
    uint8_t *z = calloc(1, 30 + 9 + ml + 46 + 9 + 22);
    memcpy(z + 39, hdr, hl);
    memcpy(z + 39 + hl, pkl, n);
    uint32_t crc = (uint32_t)crc32_z(0, z + 39, ml);
    wr32(z, 0x04034b50), wr16(z + 4, 20), wr32(z + 14, crc), wr32(z + 18, ml), wr32(z + 22, ml), wr16(z + 26, 9);
    memcpy(z + 30, "arr_0.npy", 9);
    uint8_t *c = z + 39 + ml;
    wr32(c, 0x02014b50), wr16(c + 6, 20), wr32(c + 16, crc), wr32(c + 20, ml), wr32(c + 24, ml), wr16(c + 28, 9);
    memcpy(c + 46, "arr_0.npy", 9);
    uint8_t *e = c + 55;
    wr32(e, 0x06054b50), wr16(e + 8, 1), wr16(e + 10, 1), wr32(e + 12, 55), wr32(e + 16, 39 + ml);
    *len = e + 22 - z;
    return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    char err[1024];
    Pickle pk;
    if (!pickle_load(&pk, data, len, "fuzz", err, sizeof err)) {
        if (pk.mem_used > len * PK_BYTES_PER_INPUT_BYTE + 65536 || pk.root < 0 || pk.root >= pk.n) __builtin_trap();
        for (int32_t i = 0; i < pk.n; i++) {
            const PkNode *x = pk_node(&pk, i);
            if (x->kind != PK_GLOBAL && x->kind > PK_BYTES && x->kind != PK_STR)
                for (int32_t k = 0; k < x->n; k++)
                    if (pk_kid(&pk, i, k) < 0 || pk_kid(&pk, i, k) >= pk.n) __builtin_trap();
            (void)pk_kind_name(&pk, i);
        }
        (void)pk_dict_get(&pk, pk.root, "state_dict");
        pickle_free(&pk);
    } else
        check_err(err, "fuzz: ");
    CkptList l;
    if (!ckpt_read_mem(data, len, "fuzz.npz", &l, err, sizeof err)) {
        use_list(&l);
        ckpt_free(&l);
    } else
        check_err(err, "fuzz.npz: ");
    size_t zl;
    uint8_t *z = wrap(data, len, &zl);
    if (!ckpt_read_mem(z, zl, "wrapped.npz", &l, err, sizeof err)) {
        use_list(&l);
        ckpt_free(&l);
    } else
        check_err(err, "wrapped.npz: ");
    free(z);
    return 0;
}
