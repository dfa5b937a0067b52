/* libFuzzer target: frames of frame packs (JPEG), decoded full size or DCT-scaled, with a crop window, as the
 * loader does. The first 8 bytes choose the target size and window. Frames of more than a megapixel that the
 * decoder would accept are only sized: the code under test is the same at any size, but under ASan the cost
 * grows with the area, and a corpus drifting to 20000x2000 headers had slowed the run from 8,800 to 180
 * inputs a second. Headers above JPEG_MAX_PIXELS still go through (refused before any allocation). */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/data/jpeg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    if (len < 8) return 0;
    int tw = 16 + data[0] % 200, th = 16 + data[1] % 200, x0 = data[2] % tw, y0 = data[3] % th;
    int cols = data[4] % (tw - x0 + 1), rows = data[5] % (th - y0 + 1), fast = data[6] & 1, scale = data[7] & 1;
    uint8_t *out = NULL;
    size_t cap = 0;
    int w, h;
    char err[256];
    if (!jpeg_size(data + 8, len - 8, &w, &h, err, sizeof err) && (size_t)w * h > ((size_t)1 << 20) &&
        (size_t)w * h <= JPEG_MAX_PIXELS)
        return 0;
    JpegDecodeOptions o = {.target_w = tw, .target_h = th, .x0 = x0, .cols = cols, .y0 = y0, .rows = rows,
                           .dct_scale = scale, .fast_idct = fast};
    jpeg_decode_bgr(data + 8, len - 8, &o, &out, &cap, &w, &h, err, sizeof err);
    free(out);
    return 0;
}
