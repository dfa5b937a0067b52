/* CtP / TSN data augmentation (spec §2.1, §2.2, §5). */
#include "transforms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "image.h"

static inline double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
/* not fminf/fmaxf: those are library calls under strict C11 */
static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }

void sample_clip_random(Rng *r, int N, const int *strides, int nstrides, int jitter, int idx[CLIP_LEN]) {
    int s = strides[rng_int(r, 0, nstrides - 1)];
    int span = s * (CLIP_LEN - 1) + 1;
    int start = span >= N ? 0 : rng_int(r, 0, N - span);
    for (int i = 0; i < CLIP_LEN; i++) {
        int j = s > 1 && jitter ? rng_int(r, 0, s - 1) : 0;
        int k = start + i * s + j;
        idx[i] = k < N - 1 ? k : N - 1;
    }
}

void sample_clips_uniform(int N, int clips, int stride, int *idx) {
    int base = CLIP_LEN * stride, delta = N - base + 1;
    for (int j = 0; j < clips; j++) {
        int start = 0;
        if (delta > 0) {
            double tick = (double)delta / clips;
            start = (int)(tick / 2 + tick * j);
        }
        for (int i = 0; i < CLIP_LEN; i++) {
            int k = start + stride * i;
            idx[j * CLIP_LEN + i] = k < 0 ? 0 : k > N - 1 ? N - 1 : k;
        }
    }
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int sample_key_frames(Rng *r, int T, const double *probs, int nprobs, int *keys) {
    int k = rng_choice(r, probs, nprobs), n = 0;
    if (k > 0) {
        double d = (double)T / (k + 1);
        int jr = (int)(d / 3);
        for (int i = 1; i <= k; i++) {
            int t = (int)(d * i);
            if (jr > 0) t += rng_int(r, -jr, jr - 1); /* upper bound exclusive, as np.random.randint */
            keys[n++] = t;
        }
    }
    keys[n++] = 0;
    keys[n++] = T - 1;
    qsort(keys, (size_t)n, sizeof *keys, cmp_int);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (keys[i] >= 0 && keys[i] < T && (m == 0 || keys[i] != keys[m - 1])) keys[m++] = keys[i];
    return m;
}

void interp_keys(Rng *r, const int *keys, int nkeys, const double *vals, int m, int mode, double *out) {
    static const double p[3] = {0.7, 0.15, 0.15};
    for (int s = 0; s + 1 < nkeys; s++) {
        int a = keys[s], b = keys[s + 1], n = b - a;
        int kind = mode == 1 ? 0 : rng_choice(r, p, 3);
        for (int j = 0; j <= n; j++) {
            double u = (double)j / n;
            for (int c = 0; c < m; c++) {
                double va = vals[s * m + c], vb = vals[(s + 1) * m + c], v;
                if (kind == 0) v = va + (vb - va) * u;
                else if (kind == 1) v = va + (vb - va) * u * u;
                else v = vb + (va - vb) * ((double)(n - j) / n) * ((double)(n - j) / n);
                out[(a + j) * m + c] = v;
            }
        }
    }
}

void scaled_size(int w, int h, int scale, int *ow, int *oh) {
    if (w <= h) *ow = scale, *oh = (int)rint((double)h * scale / w);
    else *oh = scale, *ow = (int)rint((double)w * scale / h);
}

/* ------------------------------------------------------------------ PatchMask */
static const double pm_scales[6] = {16, 24, 28, 32, 48, 64};
static const double pm_ratios[7] = {0.5, 0.67, 0.75, 1.0, 1.33, 1.50, 2.0};
static const double pm_key_probs[3] = {0.5, 0.3, 0.2};

/* rectangle_movement (§2.2.3): integer boxes [3][16][4] from initial float boxes. */
static void rectangle_movement(Rng *r, const double init[NUM_TRAJ][4], int W, int H, double unit,
                               int boxes[NUM_TRAJ][CLIP_LEN][4]) {
    double c[NUM_TRAJ * 2], z[NUM_TRAJ * 2], cmin[NUM_TRAJ * 2], cmax[NUM_TRAJ * 2];
    for (int t = 0; t < NUM_TRAJ; t++) {
        c[2 * t] = (init[t][0] + init[t][2]) / 2, c[2 * t + 1] = (init[t][1] + init[t][3]) / 2;
        z[2 * t] = init[t][2] - init[t][0], z[2 * t + 1] = init[t][3] - init[t][1];
        cmin[2 * t] = z[2 * t] / 2, cmin[2 * t + 1] = z[2 * t + 1] / 2;
        cmax[2 * t] = W - z[2 * t] / 2, cmax[2 * t + 1] = H - z[2 * t + 1] / 2;
    }
    int keys[CLIP_LEN], nk;
    double kv[CLIP_LEN * NUM_TRAJ * 2], centres[CLIP_LEN * NUM_TRAJ * 2], sizes[CLIP_LEN * NUM_TRAJ * 2];
    nk = sample_key_frames(r, CLIP_LEN, pm_key_probs, 3, keys);
    memcpy(kv, c, sizeof c);
    for (int k = 1; k < nk; k++) {
        int g = keys[k] - keys[k - 1];
        for (int i = 0; i < NUM_TRAJ * 2; i++) {
            double v = kv[(k - 1) * NUM_TRAJ * 2 + i] + rng_range(r, -3.0 * g * unit, 3.0 * g * unit);
            kv[k * NUM_TRAJ * 2 + i] = clampd(v, cmin[i], cmax[i]);
        }
    }
    interp_keys(r, keys, nk, kv, NUM_TRAJ * 2, 0, centres);
    nk = sample_key_frames(r, CLIP_LEN, pm_key_probs, 3, keys);
    memcpy(kv, z, sizeof z);
    for (int k = 1; k < nk; k++) {
        int g = keys[k] - keys[k - 1];
        for (int i = 0; i < NUM_TRAJ * 2; i++)
            kv[k * NUM_TRAJ * 2 + i] = kv[(k - 1) * NUM_TRAJ * 2 + i] * exp(rng_range(r, -0.025 * g, 0.025 * g));
    }
    interp_keys(r, keys, nk, kv, NUM_TRAJ * 2, 0, sizes);
    for (int f = 0; f < CLIP_LEN; f++)
        for (int t = 0; t < NUM_TRAJ; t++) {
            double cx = centres[(f * NUM_TRAJ + t) * 2], cy = centres[(f * NUM_TRAJ + t) * 2 + 1];
            double w = sizes[(f * NUM_TRAJ + t) * 2], h = sizes[(f * NUM_TRAJ + t) * 2 + 1];
            double b[4] = {clampd(cx - w / 2, 0, W), clampd(cy - h / 2, 0, H), clampd(cx + w / 2, 0, W),
                           clampd(cy + h / 2, 0, H)};
            for (int k = 0; k < 4; k++) /* np.round is half-to-even, as rint in the default rounding mode */
                boxes[t][f][k] = (int)clampd(rint(b[k]), 0, k % 2 ? H : W);
        }
}

/* Each channel of n BGR pixels set to 0 or 255, whichever is farther from the channel's mean: a colour at least
 * 128 grey levels from the region's average in every channel. */
static void fill_far_colour(uint8_t *px, size_t n) {
    for (int c = 0; c < 3; c++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += px[3 * i + c];
        uint8_t v = sum / (double)n < 127.5 ? 255 : 0;
        for (size_t i = 0; i < n; i++) px[3 * i + c] = v;
    }
}

void patch_mask(Rng *r, uint8_t *frames, int W, int H, int solid, PatchMaskInfo *info) {
    PatchMaskInfo local;
    if (!info) info = &local;
    size_t fsz = (size_t)W * H * 3;
    /* sizes and speeds in pixels are the reference's for a 112-wide crop: scaled for other crops (x 1 at 112) */
    double unit = W / (double)CROP;
    /* 1. initial regions (RandomRegionSampler) */
    double init[NUM_TRAJ][4];
    for (int t = 0; t < NUM_TRAJ; t++) {
        int a = rng_int(r, 0, 41);
        double ratio = pm_ratios[a / 6], scale = pm_scales[a % 6] * unit;
        double w = scale * sqrt(ratio), h = scale / sqrt(ratio);
        w *= exp(rng_range(r, -0.18, 0.18));
        h *= exp(rng_range(r, -0.18, 0.18));
        w = clampd(w, 1, W - 1), h = clampd(h, 1, H - 1);
        double x1 = rng_range(r, 0, W - w), y1 = rng_range(r, 0, H - h);
        init[t][0] = x1, init[t][1] = y1, init[t][2] = x1 + w, init[t][3] = y1 + h;
    }
    /* 2. trajectories */
    rectangle_movement(r, init, W, H, unit, info->boxes);

    /* 3. patch content: crop of the un-pasted source frame, alpha mask, opacity, visibility */
    uint8_t *crop[NUM_TRAJ];
    float *alpha[NUM_TRAJ];
    int cw[NUM_TRAJ], ch[NUM_TRAJ];
    double opacity[NUM_TRAJ][CLIP_LEN], area[NUM_TRAJ];
    static const double shape_p[3] = {0.5, 0.35, 0.15};
    for (int t = 0; t < NUM_TRAJ; t++) {
        int sf = rng_int(r, 0, CLIP_LEN - 1);
        info->src_frame[t] = sf;
        const int *b = info->boxes[t][sf];
        cw[t] = b[2] - b[0], ch[t] = b[3] - b[1];
        crop[t] = NULL, alpha[t] = NULL;
        info->shape[t] = rng_choice(r, shape_p, 3);
        info->soft[t] = rng_uniform(r) < 0.5;
        double tp = info->soft[t] ? rng_range(r, 0.30, 0.45) : 0;
        if (cw[t] > 0 && ch[t] > 0) { /* a box squeezed to nothing by the frame edge has no pixels to move */
            crop[t] = xmalloc((size_t)cw[t] * ch[t] * 3);
            for (int y = 0; y < ch[t]; y++)
                memcpy(crop[t] + (size_t)y * cw[t] * 3, frames + sf * fsz + ((size_t)(b[1] + y) * W + b[0]) * 3,
                       (size_t)cw[t] * 3);
            if (solid) fill_far_colour(crop[t], (size_t)cw[t] * ch[t]);
            alpha[t] = xmalloc(sizeof(float) * (size_t)cw[t] * ch[t]);
            int cx = (cw[t] - 1) / 2, cy = (ch[t] - 1) / 2;
            for (int y = 0; y < ch[t]; y++)
                for (int x = 0; x < cw[t]; x++) {
                    double dx = fabs((double)(x - cx)) / cw[t], dy = fabs((double)(y - cy)) / ch[t], dist, a;
                    if (info->shape[t] == 0) dist = dx > dy ? dx : dy, a = 1;
                    else if (info->shape[t] == 1) dist = sqrt(dx * dx + dy * dy), a = dist < 0.5;
                    else dist = dx + dy, a = dist < 0.5;
                    if (info->soft[t]) a *= clampd((0.5 - dist) / (0.5 - tp), 0, 1);
                    alpha[t][y * cw[t] + x] = (float)a;
                }
        }
        int keys[CLIP_LEN];
        double kv[CLIP_LEN];
        int nk = sample_key_frames(r, CLIP_LEN, pm_key_probs, 3, keys);
        for (int k = 0; k < nk; k++) kv[k] = rng_range(r, 0.8, 1.0);
        interp_keys(r, keys, nk, kv, 1, 1, opacity[t]);
        for (int f = 0; f < CLIP_LEN; f++) info->visible[t][f] = rng_uniform(r) <= 0.8;
        info->visible[t][sf] = 1, info->visible[t][0] = 1;
        double mw = 0, mh = 0;
        for (int f = 0; f < CLIP_LEN; f++)
            mw += info->boxes[t][f][2] - info->boxes[t][f][0], mh += info->boxes[t][f][3] - info->boxes[t][f][1];
        area[t] = (mw / CLIP_LEN) * (mh / CLIP_LEN);
    }
    /* 4. paste, largest mean area first so small patches end on top (stable for equal areas) */
    for (int t = 0; t < NUM_TRAJ; t++) info->order[t] = t;
    for (int i = 1; i < NUM_TRAJ; i++)
        for (int j = i; j > 0 && area[info->order[j]] > area[info->order[j - 1]]; j--) {
            int tmp = info->order[j];
            info->order[j] = info->order[j - 1], info->order[j - 1] = tmp;
        }
    uint8_t *patch = xmalloc((size_t)W * H * 3);
    float *am = xmalloc(sizeof(float) * (size_t)W * H);
    for (int f = 0; f < CLIP_LEN; f++) {
        uint8_t *fr = frames + f * fsz;
        for (int oi = 0; oi < NUM_TRAJ; oi++) {
            int t = info->order[oi];
            const int *b = info->boxes[t][f];
            int w = b[2] - b[0], h = b[3] - b[1];
            if (!info->visible[t][f] || !crop[t] || w <= 0 || h <= 0) continue;
            resize_u8(crop[t], cw[t], ch[t], 3, patch, w, h);
            resize_f32(alpha[t], cw[t], ch[t], am, w, h);
            float op = (float)opacity[t][f];
            for (int y = 0; y < h; y++) {
                uint8_t *d = fr + ((size_t)(b[1] + y) * W + b[0]) * 3;
                const uint8_t *p = patch + (size_t)y * w * 3;
                const float *a = am + (size_t)y * w;
                for (int x = 0; x < w; x++) {
                    float al = a[x] * op;
                    if (al <= 0) continue;
                    for (int c = 0; c < 3; c++) /* float blend, truncated back to uint8 (astype) */
                        d[3 * x + c] = (uint8_t)(d[3 * x + c] * (1 - al) + p[3 * x + c] * al);
                }
            }
        }
    }
    free(patch), free(am);
    for (int t = 0; t < NUM_TRAJ; t++) free(crop[t]), free(alpha[t]);
}

/* ------------------------------------------------------------------ colour */
void colour_none(ColourJitter *c) { memset(c, 0, sizeof *c); }

void colour_ctp(Rng *r, ColourJitter *c) {
    static const double kp[2] = {0.7, 0.3};
    memset(c, 0, sizeof *c);
    double u = rng_uniform(r);
    c->hue_on = u > 0 && u < 0.25;
    if (c->hue_on) c->hue = rng_range(r, -12, 12), c->sat = exp(rng_range(r, -0.1, 0.1));
    int keys[CLIP_LEN], nk;
    double kv[CLIP_LEN];
    c->bright_on = rng_uniform(r) < 0.5;
    if (c->bright_on) {
        nk = sample_key_frames(r, CLIP_LEN, kp, 2, keys);
        for (int k = 0; k < nk; k++) kv[k] = rng_range(r, -30, 30);
        interp_keys(r, keys, nk, kv, 1, 0, c->bright);
    }
    c->contrast_on = rng_uniform(r) < 0.5;
    if (c->contrast_on) {
        nk = sample_key_frames(r, CLIP_LEN, kp, 2, keys);
        for (int k = 0; k < nk; k++) kv[k] = exp(rng_range(r, -0.12, 0.12));
        interp_keys(r, keys, nk, kv, 1, 0, c->contrast);
    }
}

void colour_finetune(Rng *r, ColourJitter *c) {
    memset(c, 0, sizeof *c);
    c->hue_last = 1;
    double u = rng_uniform(r);
    c->bright_on = u > 0 && u < 0.2;
    double b = c->bright_on ? rng_range(r, -32, 32) : 0;
    u = rng_uniform(r);
    c->contrast_on = u > 0 && u < 0.2;
    double k = c->contrast_on ? exp(rng_range(r, -0.2, 0.2)) : 1;
    for (int t = 0; t < CLIP_LEN; t++) c->bright[t] = b, c->contrast[t] = k;
    u = rng_uniform(r);
    c->hue_on = u > 0 && u < 0.2;
    if (c->hue_on) c->hue = rng_range(r, -12, 12), c->sat = exp(rng_range(r, -0.1, 0.1));
}

void hue_saturation_u8(const uint8_t *bgr, uint8_t *out, int npix, double hue, double sat) {
    bgr2hsv_u8(bgr, out, npix);
    for (int i = 0; i < npix; i++) {
        double h = rint(clampd(out[3 * i] + hue, 0, 255)), s = rint(clampd(out[3 * i + 1] * sat, 0, 255));
        out[3 * i] = (uint8_t)(h > 179 ? 179 : h); /* no hue wrap-around, as the reference */
        out[3 * i + 1] = (uint8_t)s;
    }
    hsv2bgr_u8(out, out, npix);
}

static const float MEAN[3] = {0.485f, 0.456f, 0.406f}, STD[3] = {0.229f, 0.224f, 0.225f};

void frame_to_tensor(const uint8_t *bgr, int npix, const ColourJitter *c, int t, float *out, long plane_stride,
                     uint8_t *scratch) {
    const uint8_t *src = bgr;
    int b_on = c->bright_on, c_on = c->contrast_on;
    float off = (float)c->bright[t], fac = (float)c->contrast[t];
    if (c->hue_on && !c->hue_last) {
        hue_saturation_u8(bgr, scratch, npix, c->hue, c->sat);
        src = scratch;
    } else if (c->hue_on) {
        /* fine-tune order: brightness and contrast first (float, clipped), then round to uint8 for HSV */
        for (int i = 0; i < 3 * npix; i++) {
            float v = bgr[i];
            if (b_on) v = clampf(v + off, 0.f, 255.f);
            if (c_on) v = clampf(v * fac, 0.f, 255.f);
            scratch[i] = (uint8_t)lrintf(v);
        }
        hue_saturation_u8(scratch, scratch, npix, c->hue, c->sat);
        src = scratch;
        b_on = c_on = 0;
    }
    /* Brightness, contrast, /255 and mean/std are per-channel functions of a uint8 value: one 256-entry table
     * per channel gives the same numbers as computing them per pixel. BGR -> RGB planes. */
    if (!b_on) off = 0;
    if (!c_on) fac = 1;
    float lut[3][256];
    for (int k = 0; k < 3; k++) {
        int ch = 2 - k; /* output plane k (R, G, B) reads input channel 2-k */
        float sc = 1.f / (255.f * STD[k]), bias = -MEAN[k] / STD[k];
        for (int v = 0; v < 256; v++) {
            float x = (float)v;
            if (b_on) x = clampf(x + off, 0.f, 255.f);
            if (c_on) x = clampf(x * fac, 0.f, 255.f);
            lut[ch][v] = x * sc + bias;
        }
    }
    float *o0 = out, *o1 = out + plane_stride, *o2 = out + 2 * plane_stride;
    for (int i = 0; i < npix; i++) {
        o0[i] = lut[2][src[3 * i + 2]];
        o1[i] = lut[1][src[3 * i + 1]];
        o2[i] = lut[0][src[3 * i]];
    }
}
