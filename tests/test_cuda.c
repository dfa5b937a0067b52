/* CUDA backend ops against the same PyTorch goldens as tests/test_ops.c (fp32: 1e-4; TF32: 1e-2; bf16
 * convolutions: 4u = 4/256, the CPU's bf16 bound).
 * Exits 77 (tests/run.sh reports SKIP) where the build has no CUDA or the machine no GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"

#ifndef FEDVSSL_CUDA
int main(void) {
    printf("skipped: built without CUDA (nvcc not found)\n");
    return 77;
}
#else
#include "../src/nn/cuda/cuda_ops.h"

/* contexts on device 0: fp32, tf32 and bf16 (CUDA_FP32, ...); cx is the one the ops other than convolution run in */
static CudaCtx *ctx[3], *cx;

static float *up(CudaCtx *cx, const float *h, size_t n) {
    float *d = cuda_alloc(cx, n * sizeof(float));
    cuda_upload(cx, d, h, n * sizeof(float));
    return d;
}
static float *down(CudaCtx *cx, const float *d, size_t n) {
    float *h = xmalloc(n * sizeof(float));
    cuda_download(cx, h, d, n * sizeof(float));
    return h;
}

static void test_conv(const Npz *z, int idx, const ConvCase *c, int math) {
    CudaCtx *cx = ctx[math]; /* buffers on the stream the plan runs on */
    ConvSpec cs = {c->ci, c->co, {c->k[0], c->k[1], c->k[2]}, {c->s[0], c->s[1], c->s[2]}, {c->p[0], c->p[1], c->p[2]}, c->bias};
    Dims in = {c->n, c->ci, c->d, c->h, c->w}, out = conv_out_dims(&cs, in);
    size_t nx = dims_numel(in), ny = dims_numel(out), nw = (size_t)c->co * c->ci * c->k[0] * c->k[1] * c->k[2];
    float *x = det_array(100 + idx, nx, 1, 0), *w = det_array(200 + idx, nw, 0.2, 0);
    float *b = c->bias ? det_array(300 + idx, c->co, 0.1, 0) : NULL, *dy = det_array(400 + idx, ny, 1, 0);
    float *dx_ = up(cx, x, nx), *dw_ = up(cx, w, nw), *ddy = up(cx, dy, ny), *db_ = b ? up(cx, b, c->co) : NULL;
    float *dyo = cuda_alloc(cx, ny * 4), *ddx = cuda_alloc(cx, nx * 4), *ddw = cuda_alloc(cx, nw * 4), *ddb = cuda_alloc(cx, c->co * 4);
    CudaConvPlan *p = cuda_conv_plan(ctx[math], &cs, in, 2);
    cuda_conv_forward(p, dx_, dw_, db_, dyo);
    cuda_conv_backward_data(p, ddy, dw_, ddx);
    cuda_conv_backward_weights(p, dx_, ddy, ddw, ddb);
    float *y = down(cx, dyo, ny), *gx = down(cx, ddx, nx), *gw = down(cx, ddw, nw), *gb = down(cx, ddb, c->co);
    /* bf16: inputs and outputs rounded to 8 significant bits (u = 2^-8), fp32 sums */
    double tol = math == CUDA_BF16 ? 4.0 / 256 : math == CUDA_TF32 ? 1e-2 : 1e-4;
    char key[128];
    snprintf(key, sizeof key, "conv.%s.y", c->name);
    cmp_golden(z, key, y, ny, tol);
    snprintf(key, sizeof key, "conv.%s.dx", c->name);
    cmp_golden(z, key, gx, nx, tol);
    snprintf(key, sizeof key, "conv.%s.dw", c->name);
    cmp_golden(z, key, gw, nw, tol);
    if (b) {
        snprintf(key, sizeof key, "conv.%s.db", c->name);
        cmp_golden(z, key, gb, c->co, tol);
    }
    cuda_conv_plan_free(p);
    cuda_free(cx, dx_), cuda_free(cx, dw_), cuda_free(cx, ddy), cuda_free(cx, db_), cuda_free(cx, dyo), cuda_free(cx, ddx), cuda_free(cx, ddw),
        cuda_free(cx, ddb);
    free(x), free(w), free(b), free(dy), free(y), free(gx), free(gw), free(gb);
}

static void test_bn(const Npz *z) {
    Dims d = {2, 16, 3, 5, 7};
    size_t n = dims_numel(d);
    float *x = det_array(500, n, 2.0, 0.5), *g = det_array(501, 16, 0.5, 1.0), *b = det_array(502, 16, 0.3, 0);
    float *rm = det_array(503, 16, 0.1, 0), *rv = det_array(504, 16, 0.2, 1.0), *dy = det_array(505, n, 1, 0);
    float *X = up(cx, x, n), *G = up(cx, g, 16), *Bt = up(cx, b, 16), *RM = up(cx, rm, 16), *RV = up(cx, rv, 16), *DY = up(cx, dy, n);
    float *Y = cuda_alloc(cx, n * 4), *DX = cuda_alloc(cx, n * 4), *M = cuda_alloc(cx, 64), *I = cuda_alloc(cx, 64);
    float *DG = cuda_alloc(cx, 64), *DB = cuda_alloc(cx, 64);
    BNSpec bs = {1e-3f, 0.1f};
    cuda_bn_forward_train(cx, d, X, Y, G, Bt, M, I, RM, RV, bs, 0);
    float *y = down(cx, Y, n), *hrm = down(cx, RM, 16), *hrv = down(cx, RV, 16);
    cmp_golden(z, "bn.y", y, n, 1e-4);
    cmp_golden(z, "bn.rm", hrm, 16, 1e-4);
    cmp_golden(z, "bn.rv", hrv, 16, 1e-4);
    cuda_bn_backward(cx, d, DY, NULL, X, G, M, I, DX, DG, DB, bs);
    float *dx = down(cx, DX, n), *dg = down(cx, DG, 16), *db = down(cx, DB, 16);
    cmp_golden(z, "bn.dx", dx, n, 1e-4);
    cmp_golden(z, "bn.dgamma", dg, 16, 1e-4);
    cmp_golden(z, "bn.dbeta", db, 16, 1e-4);
    cuda_bn_forward_eval(cx, d, X, Y, G, Bt, RM, RV, bs, 0);
    float *ye = down(cx, Y, n);
    cmp_golden(z, "bn.y_eval", ye, n, 1e-4);
    free(x), free(g), free(b), free(rm), free(rv), free(dy), free(y), free(hrm), free(hrv), free(dx), free(dg), free(db), free(ye);
    cuda_free(cx, X), cuda_free(cx, G), cuda_free(cx, Bt), cuda_free(cx, RM), cuda_free(cx, RV), cuda_free(cx, DY), cuda_free(cx, Y), cuda_free(cx, DX);
    cuda_free(cx, M), cuda_free(cx, I), cuda_free(cx, DG), cuda_free(cx, DB);
}

static void test_roi(const Npz *z) {
    int B = 2, C = 16, H = 9, W = 11;
    size_t nf = (size_t)B * C * H * W, nr;
    float *feat = det_array(600, nf, 1, 0), *rois = golden_f32(z, "roi.rois", &nr);
    int R = (int)(nr / 5);
    RoISpec rs = {5, 5, 2, 0.125f};
    size_t no = (size_t)R * C * 25;
    float *dout = det_array(601, no, 1, 0);
    float *F = up(cx, feat, nf), *Rr = up(cx, rois, nr), *O = cuda_alloc(cx, no * 4), *DO = up(cx, dout, no), *DF = cuda_alloc(cx, nf * 4);
    cuda_roi_align_forward(cx, F, B, C, H, W, Rr, R, rs, O);
    cuda_roi_align_backward(cx, DO, B, C, H, W, Rr, R, rs, DF);
    float *o = down(cx, O, no), *df = down(cx, DF, nf);
    cmp_golden(z, "roi.y", o, no, 1e-4);
    cmp_golden(z, "roi.dfeat", df, nf, 1e-4);
    free(feat), free(rois), free(dout), free(o), free(df);
    cuda_free(cx, F), cuda_free(cx, Rr), cuda_free(cx, O), cuda_free(cx, DO), cuda_free(cx, DF);
}

static void test_optim(CudaCtx *cx) {
    size_t n = 100000;
    float *w = det_array(800, n, 1, 0), *g = det_array(801, n, 1, 0), *v = det_array(802, n, 1, 0);
    float *W = up(cx, w, n), *G = up(cx, g, n), *V = up(cx, v, n);
    /* segments with gaps between them (a state's non-trainable entries), one of them empty */
    const Segment seg[4] = {{0, 30000}, {30500, 0}, {30500, 41000}, {72000, 27999}};
    static char in[100000];
    double sq = 0;
    for (int s = 0; s < 4; s++)
        for (size_t i = seg[s].off; i < seg[s].off + seg[s].n; i++) sq += (double)g[i] * g[i], in[i] = 1;
    double got = cuda_grad_sumsq(cx, G, seg, 4), again = cuda_grad_sumsq(cx, G, seg, 4);
    CHECK(fabs(got - sq) <= 1e-9 * sq, "sum of squares over segments %g vs %g", got, sq);
    CHECK(got == again, "the same sum on every call (fixed order, no atomics)");
    cuda_sgd(cx, W, G, V, seg, 4, 0.01f, 0.9f, 1e-4f, 0.5f, 0);
    float *w2 = down(cx, W, n);
    double err = 0;
    int untouched = 1;
    for (size_t i = 0; i < n; i++) {
        if (!in[i]) {
            untouched &= w2[i] == w[i];
            continue;
        }
        float d = g[i] * 0.5f + 1e-4f * w[i];
        d = 0.9f * v[i] + d;
        err = max_err(err, fabs(w2[i] - (w[i] - 0.01f * d)));
    }
    CHECK(err < 1e-6, "SGD step matches the CPU formula (%g)", err);
    CHECK(untouched, "entries outside the segments untouched");
    free(w), free(g), free(v), free(w2);
    cuda_free(cx, W), cuda_free(cx, G), cuda_free(cx, V);
}

int main(void) {
    if (cuda_device_count() == 0) {
        printf("skipped: no CUDA device on this machine\n");
        return 77;
    }
    ctx[0] = cuda_open(0, CUDA_FP32), ctx[1] = cuda_open(0, CUDA_TF32), cx = ctx[0];
    printf("device: %s\n", cuda_device_name(cx));
    char why[256];
    if (cuda_bf16_supported(0, why, sizeof why)) ctx[2] = cuda_open(0, CUDA_BF16);
    else printf("bf16 convolutions not checked: %s\n", why);
    Npz z = golden_open("ops.npz");
    for (int math = 0; math < (ctx[2] ? 3 : 2); math++)
        for (int i = 0; i < N_CONV_CASES; i++) test_conv(&z, i, &CONV_CASES[i], math);
    test_bn(&z);
    test_roi(&z);
    test_optim(ctx[0]);
    /* contexts are independent: the same on a second stream of the GPU, and on a second GPU when there is one */
    test_optim(ctx[1]);
    if (cuda_device_count() > 1) {
        CudaCtx *other = cuda_open(1, 0);
        test_optim(other);
        cuda_close(other);
    }
    cuda_close(ctx[0]), cuda_close(ctx[1]), cuda_close(ctx[2]);
    npz_close(&z);
    TEST_END();
}
#endif
