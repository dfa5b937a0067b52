/* Deterministic test data, bit-identical to tools/detgen.py (see there). */
#ifndef FEDVSSL_DETGEN_H
#define FEDVSSL_DETGEN_H
#include <math.h>
#include <string.h>

#include "../src/core/rng.h"
#include "../src/core/state.h"

static inline double detgen_uniform(uint64_t seed, uint64_t i) {
    return 2.0 * ((rng_at(seed, i) >> 40) / 16777216.0) - 1.0;
}

static inline int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static inline void detgen_state(State *s) {
    for (int i = 0; i < s->n; i++) {
        StateEntry *e = &s->e[i];
        if (e->type == ST_I64) {
            s->cnt[e->off] = 5;
            continue;
        }
        float *p = s->w + e->off;
        for (int64_t k = 0; k < e->numel; k++) {
            double v = detgen_uniform(1000 + i, k), out;
            if (e->ndim == 5) {
                double fan_out = (double)(e->shape[0] * e->shape[2] * e->shape[3] * e->shape[4]);
                out = v * (sqrt(3.0) * sqrt(2.0 / fan_out));
            } else if (e->ndim == 2) {
                out = v * (1.0 / sqrt((double)e->shape[1]));
            } else if (ends_with(e->name, "running_var")) {
                out = 1.0 + 0.25 * (v + 1.0);
            } else if (ends_with(e->name, "running_mean") || ends_with(e->name, "bias")) {
                out = 0.1 * v;
            } else {
                out = 1.0 + 0.2 * v;
            }
            p[k] = (float)out;
        }
    }
}

static inline void detgen_imgs(float *imgs, size_t n) {
    for (size_t i = 0; i < n; i++) imgs[i] = (float)(detgen_uniform(7, i) * 1.5);
}

static inline void detgen_trajs(float *t, int B, int T, int H, int W) {
    for (int r = 0; r < B * 3 * T; r++) {
        double u[4];
        for (int k = 0; k < 4; k++) u[k] = (detgen_uniform(8, (uint64_t)r * 4 + k) + 1.0) * 0.5;
        double x1 = floor(u[0] * (W - 40)), y1 = floor(u[1] * (H - 40));
        double x2 = fmin(x1 + 4 + floor(u[2] * 36), W), y2 = fmin(y1 + 4 + floor(u[3] * 36), H);
        t[r * 4 + 0] = (float)x1, t[r * 4 + 1] = (float)y1, t[r * 4 + 2] = (float)x2, t[r * 4 + 3] = (float)y2;
    }
}

static inline void detgen_labels(int64_t *l, int B, int classes) {
    for (int i = 0; i < B; i++) l[i] = (int64_t)floor((detgen_uniform(9, i) + 1.0) * 0.5 * classes);
}
#endif
