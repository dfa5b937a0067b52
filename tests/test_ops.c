/* Every op against PyTorch (float64 goldens, tests/golden/ops.npz), fast path and plain-C reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/model/model.h"
#include "../src/nn/cpu/cpu_ops.h"
#include "../src/nn/ref.h"
#include "golden.h"

static const double TOL = 1e-4;

static void test_conv(const Npz *z, int idx, const ConvCase *c) {
    ConvSpec cs = {c->ci, c->co, {c->k[0], c->k[1], c->k[2]}, {c->s[0], c->s[1], c->s[2]}, {c->p[0], c->p[1], c->p[2]}, c->bias};
    Dims in = {c->n, c->ci, c->d, c->h, c->w}, out = conv_out_dims(&cs, in);
    size_t nx = dims_numel(in), ny = dims_numel(out), nw = (size_t)c->co * c->ci * c->k[0] * c->k[1] * c->k[2];
    float *x = det_array(100 + idx, nx, 1, 0), *w = det_array(200 + idx, nw, 0.2, 0);
    float *b = c->bias ? det_array(300 + idx, c->co, 0.1, 0) : NULL, *dy = det_array(400 + idx, ny, 1, 0);
    float *xb = xalloc_aligned(nx * 4), *yb = xalloc_aligned(ny * 4), *dyb = xalloc_aligned(ny * 4);
    float *dxb = xalloc_aligned(nx * 4), *y = xalloc_aligned(ny * 4), *dx = xalloc_aligned(nx * 4);
    float *dw = xalloc_aligned(nw * 4), *db = xalloc_aligned(c->co * 4 + 4);
    char key[128];

    /* fast path: oneDNN in the blocked layout; gradients accumulate, so start from a known value */
    layout_to_blocked(in, x, xb);
    layout_to_blocked(out, dy, dyb);
    ConvPlan *p = conv_plan(&cs, in, 2, 0);
    conv_forward(p, xb, w, b, yb);
    conv_backward_data(p, dyb, w, dxb);
    for (size_t i = 0; i < nw; i++) dw[i] = 1.0f;
    conv_backward_weights(p, xb, dyb, dw, db);
    for (size_t i = 0; i < nw; i++) dw[i] -= 1.0f;
    layout_to_plain(out, yb, y);
    layout_to_plain(in, dxb, dx);
    snprintf(key, sizeof key, "conv.%s.y", c->name);
    cmp_golden(z, key, y, ny, TOL);
    snprintf(key, sizeof key, "conv.%s.dx", c->name);
    cmp_golden(z, key, dx, nx, TOL);
    snprintf(key, sizeof key, "conv.%s.dw", c->name);
    cmp_golden(z, key, dw, nw, 2 * TOL); /* the +1/-1 above costs one rounding of ~6e-8 */
    if (b) {
        snprintf(key, sizeof key, "conv.%s.db", c->name);
        cmp_golden(z, key, db, c->co, TOL);
    }
    conv_plan_free(p);

    /* precision=bf16 (CPUs with AVX-512 BF16): inputs rounded to bf16 (8 significant bits, unit roundoff
     * u = 2^-8), products and sums in fp32. Each product is off by at most ~2u relative; over the sums of these
     * cases the largest error measured 0.15-0.31 % of the largest output; the bound is 4u = 1.6 %. (Layers that
     * oneDNN has no fast bf16 kernel for stay fp32 and show fp32's error.) */
    if (cpu_has_bf16()) {
        const double TOL_BF16 = 4.0 / 256;
        p = conv_plan(&cs, in, 2, 1);
        conv_forward(p, xb, w, b, yb);
        conv_backward_data(p, dyb, w, dxb);
        memset(dw, 0, nw * 4);
        if (b) memset(db, 0, c->co * 4);
        conv_backward_weights(p, xb, dyb, dw, db);
        layout_to_plain(out, yb, y);
        layout_to_plain(in, dxb, dx);
        double e[3];
        snprintf(key, sizeof key, "conv.%s.y", c->name);
        e[0] = cmp_golden(z, key, y, ny, TOL_BF16);
        snprintf(key, sizeof key, "conv.%s.dx", c->name);
        e[1] = cmp_golden(z, key, dx, nx, TOL_BF16);
        snprintf(key, sizeof key, "conv.%s.dw", c->name);
        e[2] = cmp_golden(z, key, dw, nw, TOL_BF16);
        printf("bf16 conv %s: relative error y %.2g, dx %.2g, dw %.2g (bound %.2g)\n", c->name, e[0], e[1], e[2],
               TOL_BF16);
        conv_plan_free(p);
    }

    /* backward-weights tap by tap in depth (used for layer4's short outputs) */
    if (!c->bias) {
        memset(dw, 0, nw * 4);
        conv_backward_weights_by_depth(&cs, in, xb, dyb, dw);
        snprintf(key, sizeof key, "conv.%s.dw", c->name);
        cmp_golden(z, key, dw, nw, TOL);
    }

    /* plain-C reference */
    memset(dw, 0, nw * 4);
    memset(db, 0, c->co * 4);
    ref_conv3d_forward(&cs, in, x, w, b, y);
    ref_conv3d_backward(&cs, in, x, w, dy, dx, dw, b ? db : NULL);
    snprintf(key, sizeof key, "conv.%s.y", c->name);
    cmp_golden(z, key, y, ny, TOL);
    snprintf(key, sizeof key, "conv.%s.dx", c->name);
    cmp_golden(z, key, dx, nx, TOL);
    snprintf(key, sizeof key, "conv.%s.dw", c->name);
    cmp_golden(z, key, dw, nw, TOL);
    free(x), free(w), free(b), free(dy), free(xb), free(yb), free(dyb), free(dxb), free(y), free(dx), free(dw), free(db);
}

static void test_bn(const Npz *z) {
    Dims d = {2, 16, 3, 5, 7};
    size_t n = dims_numel(d);
    float *x = det_array(500, n, 2.0, 0.5), *g = det_array(501, 16, 0.5, 1.0), *b = det_array(502, 16, 0.3, 0);
    float *rm = det_array(503, 16, 0.1, 0), *rv = det_array(504, 16, 0.2, 1.0), *dy = det_array(505, n, 1, 0);
    float *xb = xalloc_aligned(n * 4), *yb = xalloc_aligned(n * 4), *dyb = xalloc_aligned(n * 4), *t = xalloc_aligned(n * 4);
    float mean[16], inv[16], dg[16] = {0}, dbt[16] = {0};
    int64_t cnt = 3;
    layout_to_blocked(d, x, xb);
    layout_to_blocked(d, dy, dyb);
    BNSpec bs = {1e-3f, 0.1f};
    float rm0[16], rv0[16];
    memcpy(rm0, rm, sizeof rm0), memcpy(rv0, rv, sizeof rv0);
    bn_forward_train(d, xb, yb, g, b, mean, inv, rm, rv, &cnt, bs, 0);
    layout_to_plain(d, yb, t);
    cmp_golden(z, "bn.y", t, n, TOL);
    cmp_golden(z, "bn.rm", rm, 16, TOL);
    cmp_golden(z, "bn.rv", rv, 16, TOL);
    CHECK(cnt == 4, "num_batches_tracked incremented (%lld)", (long long)cnt);
    bn_backward(d, dyb, NULL, xb, g, mean, inv, yb, dg, dbt);
    layout_to_plain(d, yb, t);
    cmp_golden(z, "bn.dx", t, n, TOL);
    cmp_golden(z, "bn.dgamma", dg, 16, TOL);
    cmp_golden(z, "bn.dbeta", dbt, 16, TOL);
    /* eval mode uses the updated running statistics */
    bn_forward_eval(d, xb, yb, g, b, rm, rv, bs, 0);
    layout_to_plain(d, yb, t);
    cmp_golden(z, "bn.y_eval", t, n, TOL);
    /* fused ReLU: forward clamps, backward masks by the output */
    memcpy(rm, rm0, sizeof rm0), memcpy(rv, rv0, sizeof rv0);
    bn_forward_train(d, xb, yb, g, b, mean, inv, rm, rv, &cnt, bs, 1);
    float *want = golden_f32(z, "bn.y", NULL), *yr = xalloc_aligned(n * 4);
    for (size_t i = 0; i < n; i++) want[i] = want[i] > 0 ? want[i] : 0;
    layout_to_plain(d, yb, yr);
    cmp_arrays("bn+relu y", yr, want, n, TOL);
    float dg2[16] = {0}, db2[16] = {0}, *dyr = xalloc_aligned(n * 4);
    for (size_t i = 0; i < n; i++) dyr[i] = want[i] > 0 ? dy[i] : 0;
    layout_to_blocked(d, dyr, dyb);
    bn_backward(d, dyb, NULL, xb, g, mean, inv, t, dg, dbt); /* masked by hand */
    float *dxa = xalloc_aligned(n * 4);
    layout_to_blocked(d, dy, dyb);
    bn_backward(d, dyb, yb, xb, g, mean, inv, dxa, dg2, db2); /* masked by the op */
    cmp_arrays("bn+relu dx", dxa, t, n, 1e-6);
    free(want), free(yr), free(dyr), free(dxa);
    free(x), free(g), free(b), free(rm), free(rv), free(dy), free(xb), free(yb), free(dyb), free(t);
}

static void test_roi(const Npz *z) {
    int B = 2, C = 16, H = 9, W = 11;
    Dims d = {B, C, 1, H, W};
    size_t nf = dims_numel(d);
    float *feat = det_array(600, nf, 1, 0), *fb = xalloc_aligned(nf * 4), *dfb = xalloc_aligned(nf * 4), *df = xalloc_aligned(nf * 4);
    size_t nr;
    float *rois = golden_f32(z, "roi.rois", &nr);
    int R = (int)(nr / 5);
    RoISpec rs = {5, 5, 2, 0.125f};
    float *out = xalloc_aligned((size_t)R * C * 25 * 4), *dout = det_array(601, (size_t)R * C * 25, 1, 0);
    layout_to_blocked(d, feat, fb);
    roi_align_forward(fb, B, C, H, W, rois, R, rs, out);
    cmp_golden(z, "roi.y", out, (size_t)R * C * 25, TOL);
    roi_align_backward(dout, B, C, H, W, rois, R, rs, dfb);
    layout_to_plain(d, dfb, df);
    cmp_golden(z, "roi.dfeat", df, nf, TOL);
    free(feat), free(fb), free(dfb), free(df), free(rois), free(out), free(dout);
}

static void test_losses(const Npz *z) {
    int B = 2, R = B * 3;
    float *trajs = xmalloc(R * 16 * 4 * 4), rois[6 * 5], target[6 * 64], dpred[6 * 64];
    detgen_trajs(trajs, B, 16, 112, 112);
    ctp_targets(trajs, R, rois, target);
    CHECK(rois[5] == 0 && rois[15] == 1 && rois[16] == trajs[3 * 64], "rois are (b, frame-0 box), b-major");
    float *pred = det_array(700, R * 64, 3.0, 0), *w = golden_f32(z, "l1.weights", NULL);
    float count = 0, lc, ls;
    for (int i = 0; i < R * 16; i++) count += w[i];
    smooth_l1_ctp(pred, target, w, R * 16, 1.f, count, &lc, &ls, dpred);
    CHECK(fabs(lc - golden_scalar(z, "l1.ctr")) <= TOL * fabs(golden_scalar(z, "l1.ctr")), "loss_ctr %g vs %g", lc,
          golden_scalar(z, "l1.ctr"));
    CHECK(fabs(ls - golden_scalar(z, "l1.size")) <= TOL * fabs(golden_scalar(z, "l1.size")), "loss_size %g vs %g", ls,
          golden_scalar(z, "l1.size"));
    cmp_golden(z, "l1.dpred", dpred, R * 64, TOL);

    float *logits = det_array(702, 5 * 101, 4.0, 0), dl[5 * 101];
    int64_t labels[5] = {0, 100, 17, 17, 55};
    float ce = cross_entropy(logits, labels, 5, 101, dl);
    CHECK(fabs(ce - golden_scalar(z, "ce.loss")) <= TOL * golden_scalar(z, "ce.loss"), "cross-entropy %g vs %g", ce,
          golden_scalar(z, "ce.loss"));
    cmp_golden(z, "ce.dlogits", dl, 5 * 101, TOL);
    free(trajs), free(pred), free(w), free(logits);
}

static void test_optim(void) {
    /* clip_grad_norm_: norm 5 -> scaled to 1 (coef 1/(5+1e-6)); below the limit untouched */
    float g3[3] = {3, 0, 4};
    double norm = sqrt(sum_squares(3, g3));
    float c = clip_scale(norm, 1.0);
    CHECK(fabs(norm - 5) < 1e-9 && fabs(c * 3 - 3 / (5 + 1e-6)) < 1e-7 && fabs(c * 4 - 4 / (5 + 1e-6)) < 1e-7,
          "clip: norm %g, scale %g", norm, c);
    CHECK(clip_scale(norm, 10.0) == 1.f && clip_scale(norm, 0) == 1.f, "no clip below the limit or when off");
    /* SGD (PyTorch): v = g + wd w first, then v = mu v + g + wd w; w -= lr v */
    float w[1] = {2}, gr[1] = {0.5f}, v[1] = {123};
    sgd_step(1, w, gr, v, 0.1f, 0.9f, 0.01f, 1.f, 1);
    CHECK(fabs(v[0] - 0.52f) < 1e-7 && fabs(w[0] - (2 - 0.052f)) < 1e-6, "sgd first step v %g w %g", v[0], w[0]);
    sgd_step(1, w, gr, v, 0.1f, 0.9f, 0.01f, 1.f, 0);
    float v2 = 0.9f * 0.52f + 0.5f + 0.01f * (2 - 0.052f);
    CHECK(fabs(v[0] - v2) < 1e-6 && fabs(w[0] - (2 - 0.052f - 0.1f * v2)) < 1e-6, "sgd second step v %g w %g", v[0], w[0]);
    float w0[1] = {1}, v0[1] = {7};
    sgd_step(1, w0, gr, v0, 0.1f, 0.0f, 0.0f, 1.f, 0);
    CHECK(fabs(w0[0] - 0.95f) < 1e-7 && v0[0] == 7, "sgd without momentum leaves the buffer alone");
    float w3[1] = {1}, v3[1] = {0};
    sgd_step(1, w3, gr, v3, 0.1f, 0.9f, 0.f, 0.25f, 1);
    CHECK(fabs(w3[0] - (1 - 0.1f * 0.125f)) < 1e-7, "sgd scales the gradient (clip coefficient)");
    /* dropout: kept values scaled by 1/(1-p), mask reproducible from the seed */
    float x[1000], y[1000], y2[1000], dx[1000];
    uint8_t m1[1000], m2[1000];
    for (int i = 0; i < 1000; i++) x[i] = 1;
    dropout_forward(1000, x, y, m1, 0.5f, 42);
    dropout_forward(1000, x, y2, m2, 0.5f, 42);
    int kept = 0, scaled = 1;
    for (int i = 0; i < 1000; i++) kept += m1[i], scaled &= y[i] == (m1[i] ? 2.f : 0.f);
    CHECK(!memcmp(m1, m2, 1000) && kept > 430 && kept < 570 && scaled, "dropout p=0.5 kept %d, x2 where kept, 0 elsewhere",
          kept);
    dropout_backward(1000, x, m1, 0.5f, dx);
    CHECK(!memcmp(dx, y, sizeof dx), "dropout backward uses the same mask and scale");
}

int main(void) {
    ops_init(0);
    Npz z = golden_open("ops.npz");
    for (int i = 0; i < N_CONV_CASES; i++) test_conv(&z, i, &CONV_CASES[i]);
    test_bn(&z);
    test_roi(&z);
    test_losses(&z);
    test_optim();
    npz_close(&z);
    TEST_END();
}
