/* Bilinear resize and BGR<->HSV against OpenCV 4.6 outputs (tools/gen_image_golden.py), plus the
 * scale+flip+crop window equivalence the loader relies on. */
#include <stdlib.h>
#include <string.h>

#include "../src/core/util.h"
#include "../src/data/image.h"
#include "check.h"

#define GOLDEN "tests/golden/data/image"

static void xorshift_bytes(uint32_t x, uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = (uint8_t)(x >> 24);
    }
}

static uint8_t *golden(const char *name, size_t want) {
    char p[256];
    size_t len;
    const char *e;
    snprintf(p, sizeof p, GOLDEN "/%s", name);
    uint8_t *b = read_file(p, &len, &e);
    CHECK(b && len == want, "%s: %s (len %zu, want %zu)", p, b ? "size" : e, b ? len : 0, want);
    if (b && len != want) free(b), b = NULL;
    return b;
}

int main(void) {
    int cases[][6] = {{0, 37, 29, 16, 12, 3}, {1, 40, 30, 20, 15, 3},    {2, 20, 15, 45, 33, 3},
                      {3, 64, 48, 30, 22, 3}, {4, 160, 120, 149, 112, 3}, {5, 200, 150, 171, 128, 3},
                      {6, 23, 17, 11, 7, 1},  {7, 5, 4, 1, 1, 3}};
    for (int k = 0; k < 8; k++) {
        int sw = cases[k][1], sh = cases[k][2], dw = cases[k][3], dh = cases[k][4], cn = cases[k][5];
        uint8_t *src = xmalloc((size_t)sw * sh * cn), *dst = xmalloc((size_t)dw * dh * cn);
        xorshift_bytes(1000 + k, src, (size_t)sw * sh * cn);
        resize_u8(src, sw, sh, cn, dst, dw, dh);
        char name[64];
        snprintf(name, sizeof name, "resize_u8_%d.bin", k);
        uint8_t *g = golden(name, (size_t)dw * dh * cn);
        int bad = 0;
        for (size_t i = 0; g && i < (size_t)dw * dh * cn; i++) bad += g[i] != dst[i];
        CHECK(g && bad == 0, "resize %dx%d -> %dx%d: %d of %d bytes differ from cv2.resize", sw, sh, dw, dh, bad,
              dw * dh * cn);
        /* window + flip == crop of the flipped full resize */
        if (dw > 4 && dh > 4) {
            int x0 = dw / 3, y0 = dh / 4, cw = dw / 2, ch = dh / 2;
            uint8_t *win = xmalloc((size_t)cw * ch * cn);
            for (int flip = 0; flip < 2; flip++) {
                resize_u8_window(src, sw, sh, cn, dw, dh, x0, y0, cw, ch, flip, win);
                int diff = 0;
                for (int y = 0; y < ch; y++)
                    for (int x = 0; x < cw; x++) {
                        int fx = flip ? dw - 1 - (x0 + x) : x0 + x;
                        for (int c = 0; c < cn; c++)
                            diff += win[((size_t)y * cw + x) * cn + c] != dst[((size_t)(y0 + y) * dw + fx) * cn + c];
                    }
                CHECK(diff == 0, "window (flip %d) of %dx%d differs in %d bytes", flip, dw, dh, diff);
            }
            free(win);
        }
        free(g), free(src), free(dst);
    }
    int fcases[][5] = {{0, 13, 9, 29, 21}, {1, 30, 20, 7, 5}, {2, 16, 16, 8, 8}, {3, 10, 6, 10, 6}};
    for (int k = 0; k < 4; k++) {
        int sw = fcases[k][1], sh = fcases[k][2], dw = fcases[k][3], dh = fcases[k][4];
        uint8_t *b = xmalloc((size_t)sw * sh);
        float *src = xmalloc(sizeof(float) * (size_t)sw * sh), *dst = xmalloc(sizeof(float) * (size_t)dw * dh);
        xorshift_bytes(2000 + k, b, (size_t)sw * sh);
        for (int i = 0; i < sw * sh; i++) src[i] = (float)b[i] / 255.0f;
        resize_f32(src, sw, sh, dst, dw, dh);
        char name[64];
        snprintf(name, sizeof name, "resize_f32_%d.bin", k);
        float *g = (float *)golden(name, sizeof(float) * (size_t)dw * dh);
        double md = 0;
        for (int i = 0; g && i < dw * dh; i++) md = max_err(md, fabs(g[i] - dst[i]));
        CHECK(g && md < 1e-6, "float resize %dx%d -> %dx%d: max diff %g", sw, sh, dw, dh, md);
        free(b), free(src), free(dst), free(g);
    }
    int n = 20000;
    uint8_t *in = xmalloc(3 * (size_t)n), *out = xmalloc(3 * (size_t)n);
    xorshift_bytes(3000, in, 3 * (size_t)n);
    bgr2hsv_u8(in, out, n);
    uint8_t *g = golden("bgr2hsv.bin", 3 * (size_t)n);
    int bad = 0;
    for (int i = 0; g && i < 3 * n; i++) bad += g[i] != out[i];
    CHECK(g && bad == 0, "BGR->HSV: %d of %d bytes differ from OpenCV", bad, 3 * n);
    free(g);
    xorshift_bytes(3001, in, 3 * (size_t)n);
    for (int i = 0; i < n; i++) in[3 * i] %= 180;
    hsv2bgr_u8(in, out, n);
    g = golden("hsv2bgr.bin", 3 * (size_t)n);
    bad = 0;
    int maxd = 0;
    for (int i = 0; g && i < 3 * n; i++) {
        int d = abs(g[i] - out[i]);
        bad += d != 0;
        maxd = d > maxd ? d : maxd;
    }
    /* OpenCV's SIMD float order differs in the last bit now and then (x.99999 vs x+1 before truncation) */
    CHECK(g && bad <= 3 * n / 1000 && maxd <= 1, "HSV->BGR: %d of %d bytes differ from OpenCV (max %d)", bad, 3 * n,
          maxd);
    free(g), free(in), free(out);
    /* hand cases: pure colours */
    uint8_t px[5][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {128, 128, 128}, {0, 0, 0}}, hv[5][3];
    bgr2hsv_u8(&px[0][0], &hv[0][0], 5);
    CHECK(hv[0][0] == 120 && hv[0][1] == 255 && hv[0][2] == 255, "blue -> H 120");
    CHECK(hv[1][0] == 60 && hv[2][0] == 0, "green -> 60, red -> 0");
    CHECK(hv[3][1] == 0 && hv[3][2] == 128 && hv[4][2] == 0, "grey has S 0");
    TEST_END();
}
