/* OpenCV-compatible pixel arithmetic (re-derived from OpenCV's documented/observed behaviour and checked
 * against goldens from tools/gen_image_golden.py). */
#include "image.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

/* Source index and the two fixed-point (x2048) weights for output coordinate d, as OpenCV computes them:
 * the scale is 1/(dsize/ssize) in double, the coordinate is rounded to float, each weight rounded separately. */
typedef struct {
    int i0, i1;
    short a0, a1;
    float f0, f1;
} Tap;

/* OpenCV clamps the coordinate (and zeroes the fraction) only horizontally; vertically it keeps the raw
 * weights and clamps the row indices, which rounds differently on the first/last rows. */
static void taps(int ssize, int dsize, int d0, int n, int clamp, Tap *t) {
    double inv = (double)dsize / ssize, scale = 1.0 / inv;
    for (int k = 0; k < n; k++) {
        int d = d0 + k;
        float fx = (float)((d + 0.5) * scale - 0.5);
        int sx = (int)floorf(fx);
        fx -= (float)sx;
        if (clamp) {
            if (sx < 0) fx = 0, sx = 0;
            if (sx >= ssize - 1) fx = 0, sx = ssize - 1;
        }
        float c0 = 1.f - fx, c1 = fx;
        t[k].i0 = sx < 0 ? 0 : sx > ssize - 1 ? ssize - 1 : sx;
        t[k].i1 = sx + 1 < 0 ? 0 : sx + 1 > ssize - 1 ? ssize - 1 : sx + 1;
        t[k].a0 = (short)lrintf(c0 * 2048);
        t[k].a1 = (short)lrintf(c1 * 2048);
        t[k].f0 = c0, t[k].f1 = c1;
    }
}

void resize_u8_window(const uint8_t *src, int sw, int sh, int cn, int dw, int dh, int x0, int y0, int cw, int ch,
                      int flip, uint8_t *dst) {
    /* with flip, output column x shows resized column dw-1-(x0+x) */
    int rx0 = flip ? dw - x0 - cw : x0;
    if (sw == 2 * dw && sh == 2 * dh) {
        /* OpenCV switches INTER_LINEAR to INTER_AREA for an exact 2x reduction: rounded 2x2 means */
        for (int y = 0; y < ch; y++) {
            const uint8_t *r0 = src + (size_t)(2 * (y0 + y)) * sw * cn, *r1 = r0 + (size_t)sw * cn;
            uint8_t *o = dst + (size_t)y * cw * cn;
            for (int x = 0; x < cw; x++) {
                int rx = rx0 + (flip ? cw - 1 - x : x);
                for (int c = 0; c < cn; c++) {
                    int a = 2 * rx * cn + c;
                    o[x * cn + c] = (uint8_t)((r0[a] + r0[a + cn] + r1[a] + r1[a + cn] + 2) >> 2);
                }
            }
        }
        return;
    }
    /* Separable, like OpenCV: horizontal pass into int rows (cached: consecutive output rows share source
     * rows), then the vertical fixed-point combination over flat element arrays (vectorisable). */
    int ne = cw * cn;
    Tap *px = xmalloc(sizeof(Tap) * (size_t)(cw + ch));
    Tap *py = px + cw;
    taps(sw, dw, rx0, cw, 1, px);
    taps(sh, dh, y0, ch, 0, py);
    int *s0 = xmalloc(sizeof(int) * 4 * (size_t)ne), *s1 = s0 + ne, *rows = s0 + 2 * ne;
    short *a01 = xmalloc(sizeof(short) * 2 * (size_t)ne);
    for (int x = 0; x < cw; x++) {
        const Tap *t = &px[flip ? cw - 1 - x : x]; /* flip: output x reads resized column rx0 + cw-1-x */
        for (int c = 0; c < cn; c++) {
            int e = x * cn + c;
            s0[e] = t->i0 * cn + c, s1[e] = t->i1 * cn + c;
            a01[2 * e] = t->a0, a01[2 * e + 1] = t->a1;
        }
    }
    int cached[2] = {-1, -1};
    for (int y = 0; y < ch; y++) {
        int need[2] = {py[y].i0, py[y].i1}, *h[2];
        for (int k = 0; k < 2; k++) {
            int slot = cached[0] == need[k] ? 0 : cached[1] == need[k] ? 1 : -1;
            if (slot < 0) {
                slot = k == 0 ? (cached[1] == need[1] ? 0 : 1) : (cached[0] == need[0] ? 1 : 0);
                if (k == 1 && need[1] == need[0]) slot = cached[0] == need[0] ? 0 : 1;
                const uint8_t *r = src + (size_t)need[k] * sw * cn;
                int *o = rows + (size_t)slot * ne;
                for (int e = 0; e < ne; e++) o[e] = r[s0[e]] * a01[2 * e] + r[s1[e]] * a01[2 * e + 1];
                cached[slot] = need[k];
            }
            h[k] = rows + (size_t)slot * ne;
        }
        int b0 = py[y].a0, b1 = py[y].a1;
        const int *h0 = h[0], *h1 = h[1];
        uint8_t *o = dst + (size_t)y * ne;
        for (int e = 0; e < ne; e++) o[e] = (uint8_t)((((b0 * (h0[e] >> 4)) >> 16) + ((b1 * (h1[e] >> 4)) >> 16) + 2) >> 2);
    }
    free(px), free(s0), free(a01);
}

void resize_u8(const uint8_t *src, int sw, int sh, int cn, uint8_t *dst, int dw, int dh) {
    if (sw == dw && sh == dh) {
        memcpy(dst, src, (size_t)sw * sh * cn);
        return;
    }
    resize_u8_window(src, sw, sh, cn, dw, dh, 0, 0, dw, dh, 0, dst);
}

void resize_f32(const float *src, int sw, int sh, float *dst, int dw, int dh) {
    if (sw == dw && sh == dh) {
        memcpy(dst, src, sizeof(float) * (size_t)sw * sh);
        return;
    }
    if (sw == 2 * dw && sh == 2 * dh) {
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++) {
                const float *p = src + (size_t)2 * y * sw + 2 * x;
                dst[(size_t)y * dw + x] = (p[0] + p[1] + p[sw] + p[sw + 1]) * 0.25f;
            }
        return;
    }
    Tap tx[4096], ty[4096];
    Tap *px = dw <= 4096 ? tx : xmalloc(sizeof(Tap) * (size_t)dw), *py = dh <= 4096 ? ty : xmalloc(sizeof(Tap) * (size_t)dh);
    taps(sw, dw, 0, dw, 1, px);
    taps(sh, dh, 0, dh, 0, py);
    for (int y = 0; y < dh; y++) {
        const float *r0 = src + (size_t)py[y].i0 * sw, *r1 = src + (size_t)py[y].i1 * sw;
        for (int x = 0; x < dw; x++) {
            float h0 = r0[px[x].i0] * px[x].f0 + r0[px[x].i1] * px[x].f1;
            float h1 = r1[px[x].i0] * px[x].f0 + r1[px[x].i1] * px[x].f1;
            dst[(size_t)y * dw + x] = h0 * py[y].f0 + h1 * py[y].f1;
        }
    }
    if (px != tx) free(px);
    if (py != ty) free(py);
}

/* ------------------------------------------------------------------ HSV (8-bit, hue range 180) */
static int sdiv[256], hdiv[256];
static pthread_once_t hsv_once = PTHREAD_ONCE_INIT;
static void hsv_fill(void) {
    for (int i = 1; i < 256; i++) {
        sdiv[i] = (int)lrint((255 << 12) / (1.0 * i));
        hdiv[i] = (int)lrint((180 << 12) / (6.0 * i));
    }
}
/* pthread_once: loader workers of parallel clients call this concurrently. */
static void hsv_tables(void) { pthread_once(&hsv_once, hsv_fill); }

void bgr2hsv_u8(const uint8_t *bgr, uint8_t *hsv, int n) {
    hsv_tables();
    for (int i = 0; i < n; i++) {
        int b = bgr[3 * i], g = bgr[3 * i + 1], r = bgr[3 * i + 2];
        int v = b > g ? b : g;
        v = v > r ? v : r;
        int mn = b < g ? b : g;
        mn = mn < r ? mn : r;
        int diff = v - mn;
        int s = (diff * sdiv[v] + (1 << 11)) >> 12;
        int h;
        if (v == r) h = g - b;
        else if (v == g) h = b - r + 2 * diff;
        else h = r - g + 4 * diff;
        h = (h * hdiv[diff] + (1 << 11)) >> 12;
        if (h < 0) h += 180;
        hsv[3 * i] = (uint8_t)(h > 255 ? 255 : h);
        hsv[3 * i + 1] = (uint8_t)s;
        hsv[3 * i + 2] = (uint8_t)v;
    }
}

/* OpenCV's vectorised HSV->BGR (what runs on whole 112x112 frames) truncates; its scalar tail would round. */
static inline uint8_t sat_u8(float x) {
    int v = (int)x;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void hsv2bgr_u8(const uint8_t *hsv, uint8_t *bgr, int n) {
    static const int sector_data[6][3] = {{1, 3, 0}, {1, 0, 2}, {3, 0, 1}, {0, 2, 1}, {0, 1, 3}, {2, 1, 0}};
    const float hscale = 6.0f / 180;
    for (int i = 0; i < n; i++) {
        float h = hsv[3 * i], s = hsv[3 * i + 1] * (1.0f / 255.0f), v = hsv[3 * i + 2] * (1.0f / 255.0f);
        float b, g, r;
        if (s == 0) b = g = r = v;
        else {
            float tab[4];
            h *= hscale;
            h = fmodf(h, 6.f);
            int sector = (int)floorf(h);
            h -= (float)sector;
            if ((unsigned)sector >= 6u) sector = 0, h = 0.f;
            tab[0] = v;
            tab[1] = v * (1.f - s);
            tab[2] = v * (1.f - s * h);
            tab[3] = v * (1.f - s * (1.f - h));
            b = tab[sector_data[sector][0]];
            g = tab[sector_data[sector][1]];
            r = tab[sector_data[sector][2]];
        }
        bgr[3 * i] = sat_u8(b * 255.0f);
        bgr[3 * i + 1] = sat_u8(g * 255.0f);
        bgr[3 * i + 2] = sat_u8(r * 255.0f);
    }
}
