/* CUDA backend ops against the same PyTorch goldens as tests/test_ops.c (fp32: 1e-4; TF32: 1e-2).
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

static float *up(const float *h, size_t n) {
    float *d = cuda_alloc(n * sizeof(float));
    cuda_upload(d, h, n * sizeof(float));
    return d;
}
static float *down(const float *d, size_t n) {
    float *h = xmalloc(n * sizeof(float));
    cuda_download(h, d, n * sizeof(float));
    return h;
}

static void test_conv(const Npz *z, int idx, const ConvCase *c, int math) {
    ConvSpec cs = {c->ci, c->co, {c->k[0], c->k[1], c->k[2]}, {c->s[0], c->s[1], c->s[2]}, {c->p[0], c->p[1], c->p[2]}, c->bias};
    Dims in = {c->n, c->ci, c->d, c->h, c->w}, out = conv_out_dims(&cs, in);
    size_t nx = dims_numel(in), ny = dims_numel(out), nw = (size_t)c->co * c->ci * c->k[0] * c->k[1] * c->k[2];
    float *x = det_array(100 + idx, nx, 1, 0), *w = det_array(200 + idx, nw, 0.2, 0);
    float *b = c->bias ? det_array(300 + idx, c->co, 0.1, 0) : NULL, *dy = det_array(400 + idx, ny, 1, 0);
    float *dx_ = up(x, nx), *dw_ = up(w, nw), *ddy = up(dy, ny), *db_ = b ? up(b, c->co) : NULL;
    float *dyo = cuda_alloc(ny * 4), *ddx = cuda_alloc(nx * 4), *ddw = cuda_alloc(nw * 4), *ddb = cuda_alloc(c->co * 4);
    CudaConvPlan *p = cuda_conv_plan(&cs, in, 2, math);
    cuda_conv_forward(p, dx_, dw_, db_, dyo);
    cuda_conv_backward_data(p, ddy, dw_, ddx);
    cuda_conv_backward_weights(p, dx_, ddy, ddw, ddb);
    float *y = down(dyo, ny), *gx = down(ddx, nx), *gw = down(ddw, nw), *gb = down(ddb, c->co);
    double tol = math ? 1e-2 : 1e-4;
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
    cuda_free(dx_), cuda_free(dw_), cuda_free(ddy), cuda_free(db_), cuda_free(dyo), cuda_free(ddx), cuda_free(ddw),
        cuda_free(ddb);
    free(x), free(w), free(b), free(dy), free(y), free(gx), free(gw), free(gb);
}

static void test_bn(const Npz *z) {
    Dims d = {2, 16, 3, 5, 7};
    size_t n = dims_numel(d);
    float *x = det_array(500, n, 2.0, 0.5), *g = det_array(501, 16, 0.5, 1.0), *b = det_array(502, 16, 0.3, 0);
    float *rm = det_array(503, 16, 0.1, 0), *rv = det_array(504, 16, 0.2, 1.0), *dy = det_array(505, n, 1, 0);
    float *X = up(x, n), *G = up(g, 16), *Bt = up(b, 16), *RM = up(rm, 16), *RV = up(rv, 16), *DY = up(dy, n);
    float *Y = cuda_alloc(n * 4), *DX = cuda_alloc(n * 4), *M = cuda_alloc(64), *I = cuda_alloc(64);
    float *DG = cuda_alloc(64), *DB = cuda_alloc(64);
    BNSpec bs = {1e-3f, 0.1f};
    cuda_bn_forward_train(d, X, Y, G, Bt, M, I, RM, RV, bs, 0);
    float *y = down(Y, n), *hrm = down(RM, 16), *hrv = down(RV, 16);
    cmp_golden(z, "bn.y", y, n, 1e-4);
    cmp_golden(z, "bn.rm", hrm, 16, 1e-4);
    cmp_golden(z, "bn.rv", hrv, 16, 1e-4);
    cuda_bn_backward(d, DY, NULL, X, G, M, I, DX, DG, DB, bs);
    float *dx = down(DX, n), *dg = down(DG, 16), *db = down(DB, 16);
    cmp_golden(z, "bn.dx", dx, n, 1e-4);
    cmp_golden(z, "bn.dgamma", dg, 16, 1e-4);
    cmp_golden(z, "bn.dbeta", db, 16, 1e-4);
    cuda_bn_forward_eval(d, X, Y, G, Bt, RM, RV, bs, 0);
    float *ye = down(Y, n);
    cmp_golden(z, "bn.y_eval", ye, n, 1e-4);
    free(x), free(g), free(b), free(rm), free(rv), free(dy), free(y), free(hrm), free(hrv), free(dx), free(dg), free(db), free(ye);
    cuda_free(X), cuda_free(G), cuda_free(Bt), cuda_free(RM), cuda_free(RV), cuda_free(DY), cuda_free(Y), cuda_free(DX);
    cuda_free(M), cuda_free(I), cuda_free(DG), cuda_free(DB);
}

static void test_roi(const Npz *z) {
    int B = 2, C = 16, H = 9, W = 11;
    size_t nf = (size_t)B * C * H * W, nr;
    float *feat = det_array(600, nf, 1, 0), *rois = golden_f32(z, "roi.rois", &nr);
    int R = (int)(nr / 5);
    RoISpec rs = {5, 5, 2, 0.125f};
    size_t no = (size_t)R * C * 25;
    float *dout = det_array(601, no, 1, 0);
    float *F = up(feat, nf), *Rr = up(rois, nr), *O = cuda_alloc(no * 4), *DO = up(dout, no), *DF = cuda_alloc(nf * 4);
    cuda_roi_align_forward(F, B, C, H, W, Rr, R, rs, O);
    cuda_roi_align_backward(DO, B, C, H, W, Rr, R, rs, DF);
    float *o = down(O, no), *df = down(DF, nf);
    cmp_golden(z, "roi.y", o, no, 1e-4);
    cmp_golden(z, "roi.dfeat", df, nf, 1e-4);
    free(feat), free(rois), free(dout), free(o), free(df);
    cuda_free(F), cuda_free(Rr), cuda_free(O), cuda_free(DO), cuda_free(DF);
}

static void test_optim(void) {
    size_t n = 100000;
    float *w = det_array(800, n, 1, 0), *g = det_array(801, n, 1, 0), *v = det_array(802, n, 1, 0);
    float *W = up(w, n), *G = up(g, n), *V = up(v, n);
    /* segments with gaps between them (a state's non-trainable entries), one of them empty */
    const Segment seg[4] = {{0, 30000}, {30500, 0}, {30500, 41000}, {72000, 27999}};
    static char in[100000];
    double sq = 0;
    for (int s = 0; s < 4; s++)
        for (size_t i = seg[s].off; i < seg[s].off + seg[s].n; i++) sq += (double)g[i] * g[i], in[i] = 1;
    double got = cuda_grad_sumsq(G, seg, 4), again = cuda_grad_sumsq(G, seg, 4);
    CHECK(fabs(got - sq) <= 1e-9 * sq, "sum of squares over segments %g vs %g", got, sq);
    CHECK(got == again, "the same sum on every call (fixed order, no atomics)");
    cuda_sgd(W, G, V, seg, 4, 0.01f, 0.9f, 1e-4f, 0.5f, 0);
    float *w2 = down(W, n);
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
    cuda_free(W), cuda_free(G), cuda_free(V);
}

int main(void) {
    if (cuda_device_count() == 0) {
        printf("skipped: no CUDA device on this machine\n");
        return 77;
    }
    cuda_init(0);
    printf("device: %s\n", cuda_device_name());
    Npz z = golden_open("ops.npz");
    for (int math = 0; math < 2; math++)
        for (int i = 0; i < N_CONV_CASES; i++) test_conv(&z, i, &CONV_CASES[i], math);
    test_bn(&z);
    test_roi(&z);
    test_optim();
    npz_close(&z);
    TEST_END();
}
#endif
