/* libFuzzer target: frame packs (zips of img_XXXXX.jpg frames) through the loader's own path from the opened
 * pack on (loader_sample_pack_mem: frame list, clip sampling, JPEG header and crop-window decode, resize, crop,
 * flip, colour jitter, PatchMask, normalisation). Byte 0 picks the pipeline and its options, byte 1 the sample;
 * the rest is the pack, run with its stored members' CRCs fixed when byte 0 says so (zipfix.h: otherwise the
 * CRC stops every mutation of a frame). Besides not crashing: a refusal is one line naming the pack; an accepted
 * clip holds only normalised values, and CtP boxes are integers inside the crop.
 * Seeds: tests/fuzz/corpus/framepack/ (tools/gen_fuzz_seeds.py). Build and run:
 *   make fuzz && ./build/fuzz/fuzz_framepack -max_total_time=60 CORPUS tests/fuzz/corpus/framepack */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/data/loader.h"
#include "../../src/data/transforms.h"
#include "zipfix.h"

/* a broken property stops the run like a crash, saying which */
#define check(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            __builtin_trap();                                                        \
        }                                                                            \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    static float *imgs, trajs[NUM_TRAJ * CLIP_LEN * 4], weights[NUM_TRAJ * CLIP_LEN];
    if (!imgs) imgs = malloc(sizeof(float) * TEST_CLIPS * 3 * CLIP_LEN * CROP * CROP);
    if (len < 2) return 0;
    /* byte 0: bits 0-2 pipeline (test-time, 10 clips, is the costly one: 1 in 8), 3 fast_decode, 4 all_rows,
     * 5 fast_idct, 6 CRCs fixed, 7 the reference's 112x112 clips (else 32x32: every size of the pipeline scaled
     * by 32/112, the same code at an eighth of the pixel work, so many more packs are tried per second) */
    int sel = data[0] & 7, S = data[0] >> 7 ? CROP : 32;
    LoaderMode mode = sel == 0 ? LOADER_TEST : sel <= 3 ? LOADER_FINETUNE : LOADER_CTP;
    LoaderOptions o = {.fast_decode = data[0] >> 3 & 1, .all_rows = data[0] >> 4 & 1, .fast_idct = data[0] >> 5 & 1,
                       .crop = S};
    size_t clip_floats = (size_t)3 * CLIP_LEN * S * S;
    size_t n = len - 2;
    uint8_t *pack = malloc(n ? n : 1);
    memcpy(pack, data + 2, n);
    if (data[0] >> 6 & 1) zip_fix_crcs(pack, n);
    char err[1024];
    err[0] = 0;
    size_t clips = mode == LOADER_TEST ? TEST_CLIPS : 1;
    int rc = loader_sample_pack_mem(pack, n, "pack.zip", mode, 7, data[1] >> 4, data[1] & 15, &o, imgs,
                                    mode == LOADER_CTP ? trajs : NULL, mode == LOADER_CTP ? weights : NULL, err,
                                    sizeof err);
    if (rc) {
        check(!strncmp(err, "pack.zip: ", 10) && !strchr(err, '\n'));
    } else {
        /* ImageNet normalisation of [0, 1] values: within [-2.2, 2.7] (and not NaN). Without a branch per
         * value: the check had taken a tenth of the time. */
        int bad = 0;
        for (size_t i = 0; i < clips * clip_floats; i++) bad |= !(imgs[i] > -2.2f) | !(imgs[i] < 2.7f);
        check(!bad);
        if (mode == LOADER_CTP)
            for (int i = 0; i < NUM_TRAJ * CLIP_LEN; i++) {
                const float *b = trajs + 4 * i;
                check(b[0] >= 0 && b[0] <= b[2] && b[2] <= S && b[1] >= 0 && b[1] <= b[3] && b[3] <= S);
                check(b[0] == floorf(b[0]) && b[1] == floorf(b[1]) && weights[i] == 1.f);
            }
    }
    free(pack);
    return 0;
}
