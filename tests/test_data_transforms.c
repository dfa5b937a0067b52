/* Clip samplers, key frames, interpolation, colour ops and PatchMask invariants (spec §2.1, §2.2, §5). */
#include <stdlib.h>
#include <string.h>

#include "../src/core/util.h"
#include "../src/data/image.h"
#include "../src/data/transforms.h"
#include "check.h"

static void test_samplers(void) {
    static const int strides[5] = {1, 2, 3, 4, 5};
    int idx[CLIP_LEN], seen_stride[6] = {0};
    for (int k = 0; k < 2000; k++) {
        Rng r = rng_make(1, 2, 3, (uint64_t)k);
        sample_clip_random(&r, 200, strides, 5, 1, idx);
        int s = 0, ok = 1;
        for (int st = 1; st <= 5 && !s; st++) { /* the stride is recoverable: idx_i - i*s in [start, start+s) */
            int good = 1;
            int start = idx[0];
            for (int i = 0; i < CLIP_LEN; i++) good &= idx[i] - i * st >= start - (st - 1) && idx[i] - i * st <= start + st - 1;
            if (good && idx[15] - idx[0] >= 15 * st - (st - 1) && idx[15] - idx[0] <= 15 * st + (st - 1)) s = st;
        }
        for (int i = 0; i < CLIP_LEN; i++) ok &= idx[i] >= 0 && idx[i] < 200;
        CHECK(ok && s > 0, "clip %d: indices in range with a stride pattern", k);
        seen_stride[s]++;
    }
    for (int s = 1; s <= 5; s++) CHECK(seen_stride[s] > 250, "stride %d drawn %d times of 2000", s, seen_stride[s]);
    /* short video: start 0, clamped to the last frame */
    Rng r = rng_make(9, 0, 0, 0);
    static const int two[1] = {2};
    sample_clip_random(&r, 10, two, 1, 0, idx);
    int want[CLIP_LEN] = {0, 2, 4, 6, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    CHECK(!memcmp(idx, want, sizeof want), "N=10 stride 2 clamps to frame 9");
    /* uniform test sampler, hand-computed: N=100 -> delta 69, tick 6.9, starts int(3.45 + 6.9 j) */
    int u[TEST_CLIPS * CLIP_LEN];
    sample_clips_uniform(100, TEST_CLIPS, 2, u);
    int starts[10] = {3, 10, 17, 24, 31, 37, 44, 51, 58, 65};
    for (int j = 0; j < 10; j++)
        CHECK(u[j * CLIP_LEN] == starts[j] && u[j * CLIP_LEN + 15] == starts[j] + 30, "uniform clip %d starts at %d (got %d)", j,
              starts[j], u[j * CLIP_LEN]);
    sample_clips_uniform(20, TEST_CLIPS, 2, u);
    CHECK(u[0] == 0 && u[9 * CLIP_LEN] == 0 && u[9] == 18 && u[15] == 19, "N=20: all clips start at 0, clamp to 19");
}

static void test_keys_interp(void) {
    static const double p[3] = {0.5, 0.3, 0.2};
    int cnt[3] = {0}, keys[CLIP_LEN];
    for (int k = 0; k < 4000; k++) {
        Rng r = rng_make(5, 0, 0, (uint64_t)k);
        int n = sample_key_frames(&r, 16, p, 3, keys);
        CHECK(n >= 2 && n <= 4 && keys[0] == 0 && keys[n - 1] == 15, "key frames include 0 and 15");
        if (n == 3) CHECK(keys[1] >= 6 && keys[1] <= 9, "one inner key in 6..9 (got %d)", keys[1]);
        if (n == 4) CHECK((keys[1] == 4 || keys[1] == 5) && (keys[2] == 9 || keys[2] == 10), "two inner keys");
        cnt[n - 2]++;
    }
    CHECK(abs(cnt[0] - 2000) < 150 && abs(cnt[1] - 1200) < 130 && abs(cnt[2] - 800) < 120, "probabilities %d %d %d",
          cnt[0], cnt[1], cnt[2]);
    /* uniform interpolation: keys {0, 5, 15}, values {0, 10, 30} -> piecewise linear */
    int k3[3] = {0, 5, 15};
    double v3[3] = {0, 10, 30}, out[16];
    interp_keys(NULL, k3, 3, v3, 1, 1, out);
    CHECK(out[0] == 0 && out[2] == 4 && out[5] == 10 && out[10] == 20 && out[15] == 30, "uniform interpolation");
    /* random mode: each segment is uniform, accelerate a+(b-a)u^2 or decelerate b+(a-b)(1-u)^2 */
    int kinds[3] = {0};
    for (int s = 0; s < 600; s++) {
        Rng r = rng_make(6, 0, 0, (uint64_t)s);
        int k2[2] = {0, 15};
        double v2[2] = {0, 15};
        interp_keys(&r, k2, 2, v2, 1, 0, out);
        double u = 5.0 / 15;
        if (fabs(out[5] - 5) < 1e-9) kinds[0]++;
        else if (fabs(out[5] - 15 * u * u) < 1e-9) kinds[1]++;
        else if (fabs(out[5] - (15 - 15 * (1 - u) * (1 - u))) < 1e-9) kinds[2]++;
        CHECK(out[0] == 0 && out[15] == 15, "segment end points kept");
    }
    CHECK(kinds[0] + kinds[1] + kinds[2] == 600 && kinds[0] > 360 && kinds[1] > 50 && kinds[2] > 50,
          "interpolation kinds %d/%d/%d", kinds[0], kinds[1], kinds[2]);
}

static void test_colour(void) {
    int w, h;
    scaled_size(320, 240, 112, &w, &h);
    CHECK(w == 149 && h == 112, "320x240 -> 149x112 (%dx%d)", w, h);
    scaled_size(320, 240, 128, &w, &h);
    CHECK(w == 171 && h == 128, "-> 171x128");
    scaled_size(320, 240, 144, &w, &h);
    CHECK(w == 192 && h == 144, "-> 192x144");
    scaled_size(240, 320, 112, &w, &h);
    CHECK(w == 112 && h == 149, "portrait -> 112x149");
    /* products that are whole numbers: exact, whatever the rounding of the division */
    static const int exact[][5] = {{250, 200, 112, 140, 112}, {225, 200, 112, 126, 112}, {330, 240, 112, 154, 112},
                                   {270, 240, 128, 144, 128}, {180, 160, 112, 126, 112}, {330, 240, 96, 132, 96},
                                   {200, 250, 112, 112, 140}};
    for (int i = 0; i < (int)(sizeof exact / sizeof *exact); i++) {
        const int *c = exact[i];
        w = h = -1;
        scaled_size(c[0], c[1], c[2], &w, &h);
        CHECK(w == c[3] && h == c[4], "%dx%d, short side %d -> %dx%d (%dx%d)", c[0], c[1], c[2], c[3], c[4], w, h);
    }

    /* GroupToTensor on hand values, no jitter */
    ColourJitter c;
    colour_none(&c);
    uint8_t px[3] = {0, 128, 255}, scratch[3]; /* B G R */
    float out[3];
    frame_to_tensor(px, 1, &c, 0, out, 1, scratch);
    CHECK(fabsf(out[0] - (1.f - 0.485f) / 0.229f) < 1e-5, "R plane %f", out[0]);
    CHECK(fabsf(out[1] - (128 / 255.f - 0.456f) / 0.224f) < 1e-5, "G plane %f", out[1]);
    CHECK(fabsf(out[2] - (0 - 0.406f) / 0.225f) < 1e-5, "B plane %f", out[2]);
    /* brightness +30 then contrast x2, both clipped to [0,255]: 255 -> 255, 128 -> 255, 0 -> 60 */
    c.bright_on = c.contrast_on = 1;
    c.bright[0] = 30, c.contrast[0] = 2;
    frame_to_tensor(px, 1, &c, 0, out, 1, scratch);
    CHECK(fabsf(out[0] - (1.f - 0.485f) / 0.229f) < 1e-5 && fabsf(out[1] - (1.f - 0.456f) / 0.224f) < 1e-5 &&
              fabsf(out[2] - (60 / 255.f - 0.406f) / 0.225f) < 1e-5, "brightness/contrast clip: %f %f %f", out[0], out[1],
          out[2]);
    c.bright[0] = -40, c.contrast[0] = 0.5;
    frame_to_tensor(px, 1, &c, 0, out, 1, scratch); /* R: 215*0.5=107.5, G: 88*.5=44, B: 0 */
    CHECK(fabsf(out[0] - (107.5f / 255 - 0.485f) / 0.229f) < 1e-5 && fabsf(out[2] - (0 - 0.406f) / 0.225f) < 1e-5,
          "darker: %f %f", out[0], out[2]);

    /* hue shift: pure red (H 0) +12 -> H 12 = 24 degrees: B 0, G = 0.4*255, R 255 */
    uint8_t red[3] = {0, 0, 255}, o[3];
    hue_saturation_u8(red, o, 1, 12, 1);
    CHECK(o[0] == 0 && abs(o[1] - 102) <= 1 && o[2] == 255, "red +12 hue: %d %d %d", o[0], o[1], o[2]);
    /* no wrap-around: H 175 (magenta-red) + 12 clips to 179 */
    uint8_t hsv[3] = {175, 255, 255}, bgr[3], hv[3];
    hsv2bgr_u8(hsv, bgr, 1);
    hue_saturation_u8(bgr, o, 1, 12, 1);
    bgr2hsv_u8(o, hv, 1);
    CHECK(hv[0] >= 178, "hue clipped at 179, not wrapped (H %d)", hv[0]);
    hue_saturation_u8(red, o, 1, -12, 1); /* H 0 - 12 clips to 0: unchanged */
    CHECK(o[0] == 0 && o[1] == 0 && o[2] == 255, "negative hue clips to 0");
    uint8_t grey[3] = {100, 100, 100};
    hue_saturation_u8(grey, o, 1, 7, 1.1);
    CHECK(o[0] == 100 && o[1] == 100 && o[2] == 100, "grey stays grey");
    /* desaturate: S * 0.5 keeps V and hue */
    uint8_t col[3] = {40, 200, 120};
    hue_saturation_u8(col, o, 1, 0, 0.5);
    bgr2hsv_u8(col, hsv, 1);
    bgr2hsv_u8(o, hv, 1);
    CHECK(hv[2] == hsv[2] && abs(hv[1] - hsv[1] / 2) <= 2 && abs(hv[0] - hsv[0]) <= 1, "saturation x0.5: S %d -> %d",
          hsv[1], hv[1]);

    /* flags drawn with the reference's probabilities */
    int hue = 0, br = 0, ct = 0, fh = 0, fb = 0;
    for (int k = 0; k < 4000; k++) {
        Rng r = rng_make(3, 1, 4, (uint64_t)k);
        colour_ctp(&r, &c);
        hue += c.hue_on, br += c.bright_on, ct += c.contrast_on;
        if (c.hue_on) CHECK(fabs(c.hue) <= 12 && c.sat >= exp(-0.1) - 1e-12 && c.sat <= exp(0.1) + 1e-12, "hue range");
        for (int t = 0; c.bright_on && t < 16; t++) CHECK(fabs(c.bright[t]) <= 30, "brightness range");
        for (int t = 0; c.contrast_on && t < 16; t++)
            CHECK(c.contrast[t] >= exp(-0.12) - 1e-12 && c.contrast[t] <= exp(0.12) + 1e-12, "contrast range");
        colour_finetune(&r, &c);
        fh += c.hue_on, fb += c.bright_on;
    }
    CHECK(abs(hue - 1000) < 120 && abs(br - 2000) < 150 && abs(ct - 2000) < 150, "CtP colour flags %d %d %d", hue, br,
          ct);
    CHECK(abs(fh - 800) < 110 && abs(fb - 800) < 110, "fine-tune colour flags %d %d", fh, fb);
}

/* Another visible patch overlaps trajectory t at frame f (then t is blended over already-pasted pixels). */
static int overlapped(const PatchMaskInfo *pm, int t, int f) {
    const int *a = pm->boxes[t][f];
    for (int u = 0; u < NUM_TRAJ; u++) {
        const int *b = pm->boxes[u][f];
        if (u != t && pm->visible[u][f] && a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) return 1;
    }
    return 0;
}

/* Patch t at frame f is a hard-edged rectangle of at least 2x2 that no other visible patch covers: every pixel
 * inside it is the patch at full mask. */
static int plain_rect(const PatchMaskInfo *pm, int t, int f) {
    const int *b = pm->boxes[t][f];
    return pm->shape[t] == 0 && !pm->soft[t] && !overlapped(pm, t, f) && b[2] - b[0] >= 2 && b[3] - b[1] >= 2;
}

static void test_patch_mask(void) {
    const int W = CROP, H = CROP;
    size_t fsz = (size_t)W * H * 3;
    uint8_t *frames = xmalloc(CLIP_LEN * fsz), *orig = xmalloc(CLIP_LEN * fsz);
    int vis = 0, vis_n = 0, bad_outside = 0, bad_box = 0, bad_centre = 0, centres = 0;
    for (int trial = 0; trial < 300; trial++) {
        /* constant colour per frame: a pasted patch is then the constant colour of its source frame */
        for (int f = 0; f < CLIP_LEN; f++) memset(orig + f * fsz, 10 + 15 * f, fsz);
        memcpy(frames, orig, CLIP_LEN * fsz);
        Rng r = rng_make(77, 0, (uint64_t)trial, 0);
        PatchMaskInfo pm;
        patch_mask(&r, frames, W, H, 0, &pm);
        for (int t = 0; t < NUM_TRAJ; t++) {
            CHECK(pm.visible[t][0] && pm.visible[t][pm.src_frame[t]], "frame 0 and the source frame are visible");
            for (int f = 0; f < CLIP_LEN; f++) {
                const int *b = pm.boxes[t][f];
                if (!(b[0] >= 0 && b[0] <= b[2] && b[2] <= W && b[1] >= 0 && b[1] <= b[3] && b[3] <= H)) bad_box++;
                if (f && f != pm.src_frame[t]) vis += pm.visible[t][f], vis_n++;
            }
        }
        for (int i = 1; i < NUM_TRAJ; i++) {
            double a0 = 0, a1 = 0, w0 = 0, h0 = 0, w1 = 0, h1 = 0;
            for (int f = 0; f < CLIP_LEN; f++) {
                const int *p = pm.boxes[pm.order[i - 1]][f], *q = pm.boxes[pm.order[i]][f];
                w0 += p[2] - p[0], h0 += p[3] - p[1], w1 += q[2] - q[0], h1 += q[3] - q[1];
            }
            a0 = w0 * h0, a1 = w1 * h1;
            CHECK(a0 >= a1, "paste order: larger mean area first");
        }
        for (int f = 0; f < CLIP_LEN; f++) {
            /* pixels change only inside visible boxes of that frame (the targets are the pasted boxes) */
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    size_t o = f * fsz + ((size_t)y * W + x) * 3;
                    if (frames[o] == orig[o]) continue;
                    int inside = 0;
                    for (int t = 0; t < NUM_TRAJ; t++) {
                        const int *b = pm.boxes[t][f];
                        inside |= pm.visible[t][f] && x >= b[0] && x < b[2] && y >= b[1] && y < b[3];
                    }
                    bad_outside += !inside;
                }
            /* the top-most patch's centre shows its source colour at opacity >= 0.8 */
            int t = pm.order[NUM_TRAJ - 1];
            const int *b = pm.boxes[t][f];
            if (pm.visible[t][f] && !overlapped(&pm, t, f) && b[2] - b[0] >= 8 && b[3] - b[1] >= 8) {
                int cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
                double src = 10 + 15 * pm.src_frame[t], dst = 10 + 15 * f;
                double got = frames[f * fsz + ((size_t)cy * W + cx) * 3];
                double lo = fmin(dst * 0.2 + src * 0.8, src) - 1.5, hi = fmax(dst * 0.2 + src * 0.8, src) + 1.5;
                centres++;
                if (got < lo || got > hi) bad_centre++;
            }
        }
    }
    CHECK(bad_box == 0, "%d boxes outside the frame or inverted", bad_box);
    CHECK(bad_outside == 0, "%d pixels changed outside the visible boxes", bad_outside);
    CHECK(centres > 500 && bad_centre == 0, "%d of %d patch centres do not show the source colour", bad_centre, centres);
    CHECK(fabs((double)vis / vis_n - 0.8) < 0.03, "visibility rate %.3f (0.8 expected)", (double)vis / vis_n);

    /* textured frames: at the source frame a fully opaque rectangle paste reproduces the pixels (<= 1 off) */
    int checked = 0, worst = 0;
    for (int trial = 0; trial < 200 && checked < 40; trial++) {
        for (size_t i = 0; i < CLIP_LEN * fsz; i++) orig[i] = (uint8_t)(rng_mix(i * 31 + trial) & 255);
        memcpy(frames, orig, CLIP_LEN * fsz);
        Rng r = rng_make(78, 0, (uint64_t)trial, 0);
        PatchMaskInfo pm;
        patch_mask(&r, frames, W, H, 0, &pm);
        int t = pm.order[NUM_TRAJ - 1], sf = pm.src_frame[t];
        const int *b = pm.boxes[t][sf];
        if (!plain_rect(&pm, t, sf)) continue;
        checked++;
        for (int y = b[1]; y < b[3]; y++)
            for (int x = b[0]; x < b[2]; x++)
                for (int c = 0; c < 3; c++) {
                    size_t o = sf * fsz + ((size_t)y * W + x) * 3 + c;
                    int d = abs(frames[o] - orig[o]);
                    worst = d > worst ? d : worst;
                }
    }
    CHECK(checked >= 10 && worst <= 1, "source-frame paste is a no-op (%d checked, worst %d)", checked, worst);

    /* solid patches: the same draws and boxes as the reference; each patch one colour of 0/255 channels, the far
     * side of its source region's mean (here the source frame's constant grey) */
    int solid_checked = 0, solid_bad = 0, same_draws = 1;
    for (int trial = 0; trial < 100; trial++) {
        for (int f = 0; f < CLIP_LEN; f++) memset(orig + f * fsz, 10 + 15 * f, fsz);
        memcpy(frames, orig, CLIP_LEN * fsz);
        Rng r0 = rng_make(79, 0, (uint64_t)trial, 0), r1 = r0;
        PatchMaskInfo p0, p1;
        patch_mask(&r0, frames, W, H, 0, &p0);
        memcpy(frames, orig, CLIP_LEN * fsz);
        patch_mask(&r1, frames, W, H, 1, &p1);
        same_draws &= !memcmp(&p0, &p1, sizeof p0) && rng_u64(&r0) == rng_u64(&r1);
        int t = p1.order[NUM_TRAJ - 1], f = 0;
        const int *b = p1.boxes[t][f];
        if (!plain_rect(&p1, t, f)) continue;
        solid_checked++;
        double src = 10 + 15 * p1.src_frame[t], want = src < 127.5 ? 255 : 0, bg = 10;
        int cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
        double got = frames[((size_t)cy * W + cx) * 3]; /* frame 0, opacity in [0.8, 1] */
        double lo = fmin(bg * 0.2 + want * 0.8, want) - 1.5, hi = fmax(bg * 0.2 + want * 0.8, want) + 1.5;
        solid_bad += got < lo || got > hi;
    }
    CHECK(same_draws, "solid patches draw the same random numbers and boxes as the reference");
    CHECK(solid_checked >= 10 && solid_bad == 0, "%d of %d solid patches not their far colour", solid_bad, solid_checked);
    free(frames), free(orig);
}

int main(void) {
    test_samplers();
    test_keys_interp();
    test_colour();
    test_patch_mask();
    TEST_END();
}
