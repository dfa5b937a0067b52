/* libFuzzer target: archives and NPY blobs from outside (np.savez files, frame packs). Build and run:
 *   make fuzz && ./build/fuzz/fuzz_npz -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    char err[512];
    NpyArray a;
    if (!npy_parse(data, len, &a, "fuzz", err, sizeof err) && a.type != NPY_OBJECT && a.numel < (1 << 20)) {
        float *f = malloc(a.numel * sizeof(float) + 1);
        npy_to_f32(&a, f);
        free(f);
    }
    ZipReader z;
    if (zip_open_mem(&z, data, len, "fuzz", err, sizeof err)) return 0;
    for (int i = 0; i < z.n && i < 16; i++) {
        size_t n;
        int owned;
        const uint8_t *m = zip_read(&z, i, &n, &owned, err, sizeof err);
        if (m && !npy_parse(m, n, &a, "member", err, sizeof err) && a.type != NPY_OBJECT && a.numel < (1 << 20)) {
            float *f = malloc(a.numel * sizeof(float) + 1);
            npy_to_f32(&a, f);
            free(f);
        }
        if (m && owned) free((void *)m);
    }
    zip_close(&z);
    return 0;
}
