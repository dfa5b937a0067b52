/* Comparing results with the PyTorch goldens of tools/make_goldens.py. */
#ifndef FEDVSSL_GOLDEN_H
#define FEDVSSL_GOLDEN_H
#include <math.h>
#include <stdlib.h>

#include "../src/core/util.h"
#include "../src/io/npy.h"
#include "check.h"
#include "detgen.h"

/* The fedvssl binary of the build a test belongs to: tests are <build>/tests/test_x, the program
 * <build>/fedvssl. Set from argv[0] by fedvssl_bin_init(). */
static char fedvssl_bin[1024] = "build/fedvssl";
static inline void fedvssl_bin_init(const char *argv0) {
    const char *slash = strrchr(argv0, '/');
    if (slash) snprintf(fedvssl_bin, sizeof fedvssl_bin, "%.*s/../fedvssl", (int)(slash - argv0), argv0);
}

static inline Npz golden_open(const char *name) {
    Npz z;
    char path[512], err[1024];
    snprintf(path, sizeof path, "tests/golden/%s", name);
    if (npz_open(&z, path, err, sizeof err)) die("%s (run tests from the repository root)", err);
    return z;
}

static inline float *golden_f32(const Npz *z, const char *key, size_t *n) {
    const NpyArray *a = npz_get(z, key);
    if (!a) die("golden: missing '%s'", key);
    float *p = xmalloc(a->numel * sizeof(float));
    npy_to_f32(a, p);
    if (n) *n = a->numel;
    return p;
}
static inline double golden_scalar(const Npz *z, const char *key) {
    const NpyArray *a = npz_get(z, key);
    if (!a || a->type != NPY_F64 || a->numel != 1) die("golden: missing scalar '%s'", key);
    double v;
    memcpy(&v, a->data, 8);
    return v;
}

/* max |got - want| / max |want| over the tensor; returns it (and records a CHECK against tol). */
static inline double cmp_arrays(const char *what, const float *got, const float *want, size_t n, double tol) {
    double amax = 0, err = 0;
    for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(want[i]));
    for (size_t i = 0; i < n; i++) err = max_err(err, fabs((double)got[i] - want[i]));
    double rel = amax > 0 ? err / amax : err;
    CHECK(rel <= tol && isfinite(rel), "%s: relative error %.3g > %.1g (max |want| %.3g)", what, rel, tol, amax);
    return rel;
}
static inline double cmp_golden(const Npz *z, const char *key, const float *got, size_t n, double tol) {
    size_t gn;
    float *want = golden_f32(z, key, &gn);
    double r = -1;
    CHECK(gn == n, "%s: %zu elements, golden has %zu", key, n, gn);
    if (gn == n) r = cmp_arrays(key, got, want, n, tol);
    free(want);
    return r;
}

/* |got - want| / |want| (2-norms) of a tensor against its summary written by make_goldens.py
 * summarise(): exact for small tensors (stored whole), through a random projection (E|r.e| =
 * |e|/sqrt(3) for r uniform in [-1, 1)) and the norms for large ones. Records a CHECK against tol. */
static inline double cmp_summary(const Npz *z, const char *prefix, int index, const float *got, size_t n, double tol) {
    char key[512];
    double e;
    snprintf(key, sizeof key, "%s.full", prefix);
    if (npz_get(z, key)) {
        size_t gn;
        float *want = golden_f32(z, key, &gn);
        double d = 0, w = 0;
        for (size_t i = 0; i < n && gn == n; i++) d += ((double)got[i] - want[i]) * ((double)got[i] - want[i]), w += (double)want[i] * want[i];
        e = gn != n ? INFINITY : w > 0 ? sqrt(d / w) : sqrt(d);
        free(want);
    } else {
        snprintf(key, sizeof key, "%s.norm", prefix);
        double norm = golden_scalar(z, key);
        snprintf(key, sizeof key, "%s.proj", prefix);
        double proj = golden_scalar(z, key), p = 0, gn = 0;
        for (size_t i = 0; i < n; i++) {
            p += detgen_uniform(5000 + index, i) * got[i];
            gn += (double)got[i] * got[i];
        }
        double e2 = fabs(p - proj) / (norm * sqrt(1 / 3.0)), e3 = fabs(sqrt(gn) - norm) / norm;
        e = fmax(e2, e3);
    }
    CHECK(e <= tol && isfinite(e), "%s: relative error %.3g > %.2g", prefix, e, tol);
    return e;
}

/* Tolerance for a model tensor: 1e-4, or 3x PyTorch's own float32 error on it where that is
 * larger. PyTorch's error is measured over runs whose inputs move by 1e-6 (rounding-size): a ReLU
 * whose input is that close to zero flips, and the flip moves every gradient below it. */
static inline double golden_tol(const Npz *z, const char *prefix, double base) {
    char key[512];
    snprintf(key, sizeof key, "%s.torch32", prefix);
    const NpyArray *a = npz_get(z, key);
    if (!a) return base;
    double t;
    memcpy(&t, a->data, 8);
    return fmax(base, 3 * t);
}

/* The convolution cases of ops.npz (tools/make_goldens.py ops_golden), odd sizes on purpose. */
typedef struct {
    const char *name;
    int n, ci, co, d, h, w, k[3], s[3], p[3], bias;
} ConvCase;
static const ConvCase CONV_CASES[] = {
    {"stem", 2, 3, 8, 5, 13, 11, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}, 0},
    {"k3s1", 2, 8, 16, 5, 9, 7, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, 0},
    {"k3s2", 1, 16, 24, 7, 9, 11, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, 0},
    {"k3s211", 2, 16, 8, 5, 6, 7, {3, 3, 3}, {2, 1, 1}, {1, 1, 1}, 0},
    {"k1s2", 2, 8, 16, 5, 9, 7, {1, 1, 1}, {2, 2, 2}, {0, 0, 0}, 0},
    {"temporal", 2, 16, 16, 2, 5, 5, {2, 1, 1}, {1, 1, 1}, {0, 0, 0}, 1},
};
#define N_CONV_CASES ((int)(sizeof CONV_CASES / sizeof *CONV_CASES))

static inline float *det_array(uint64_t seed, size_t n, double scale, double offset) {
    float *p = xalloc_aligned(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)(detgen_uniform(seed, i) * scale) + (float)offset;
    return p;
}
#endif
