/* The CPU backend: host memory, oneDNN convolutions, the kernels of ops_cpu.c. Its contexts hold nothing of
 * their own (the oneDNN engine and the thread pool are the process's), so the entries only forward. */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/util.h"
#include "cpu_ops.h"

#define BE const Backend *be __attribute__((unused))

static void *cpu_alloc(BE, size_t bytes) { return xalloc_aligned(bytes); }
static void cpu_free(BE, void *p) { free(p); }
static void cpu_copy(BE, void *dst, const void *src, size_t bytes) {
    if (dst != src) memcpy(dst, src, bytes);
}
static void cpu_zero(BE, void *p, size_t bytes) { memset(p, 0, bytes); }
static void *cpu_conv_plan(BE, const ConvSpec *cs, Dims in, int backward) {
    return conv_plan(cs, in, backward, !!(be->caps & BE_BF16));
}
static void cpu_conv_plan_free(BE, void *p) { conv_plan_free(p); }
static void cpu_conv_forward(BE, void *p, const float *x, const float *w, const float *b, float *y) {
    conv_forward(p, x, w, b, y);
}
static void cpu_conv_backward_data(BE, void *p, const float *dy, const float *w, float *dx) {
    conv_backward_data(p, dy, w, dx);
}
static void cpu_conv_backward_weights(BE, void *p, const float *x, const float *dy, float *dw, float *db) {
    conv_backward_weights(p, x, dy, dw, db);
}
static void cpu_bn_forward_train(BE, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                                 float *save_mean, float *save_invstd, float *run_mean, float *run_var, BNSpec bs,
                                 int relu) {
    bn_forward_train(d, x, y, gamma, beta, save_mean, save_invstd, run_mean, run_var, NULL, bs, relu);
}
static void cpu_bn_forward_eval(BE, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                                const float *run_mean, const float *run_var, BNSpec bs, int relu) {
    bn_forward_eval(d, x, y, gamma, beta, run_mean, run_var, bs, relu);
}
static void cpu_bn_backward(BE, Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                            const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta,
                            BNSpec bs) {
    (void)bs;
    bn_backward(d, dy, relu_out, x, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}
static void cpu_add_relu(BE, size_t n, float *y, const float *a) { add_relu(n, y, a); }
static void cpu_relu_backward(BE, size_t n, const float *dy, const float *y, float *dx) { relu_backward(n, dy, y, dx); }
static void cpu_relu_inplace(BE, size_t n, float *x) { relu_inplace(n, x); }
static void cpu_accumulate(BE, size_t n, float *dx, const float *a, const float *relu_out) {
    accumulate(n, dx, a, relu_out);
}
static void cpu_roi_align_forward(BE, const float *feat, int B, int C, int H, int W, const float *rois, int R,
                                  RoISpec rs, float *out) {
    roi_align_forward(feat, B, C, H, W, rois, R, rs, out);
}
static void cpu_roi_align_backward(BE, const float *dout, int B, int C, int H, int W, const float *rois, int R,
                                   RoISpec rs, float *dfeat) {
    roi_align_backward(dout, B, C, H, W, rois, R, rs, dfeat);
}
static void cpu_linear_forward(BE, const float *x, const float *w, const float *b, float *y, int M, int K, int N) {
    linear_forward(x, w, b, y, M, K, N);
}
static void cpu_linear_backward(BE, const float *dy, const float *x, const float *w, float *dx, float *dw, float *db,
                                int M, int K, int N) {
    linear_backward(dy, x, w, dx, dw, db, M, K, N);
}
static void cpu_avgpool_forward(BE, Dims d, const float *x, float *y) { global_avgpool_forward(d, x, y); }
static void cpu_avgpool_backward(BE, Dims d, const float *dy, float *dx) { global_avgpool_backward(d, dy, dx); }
static void cpu_dropout_forward(BE, size_t n, const float *x, float *y, uint8_t *mask, float p, uint64_t seed) {
    dropout_forward(n, x, y, mask, p, seed);
}
static void cpu_dropout_backward(BE, size_t n, const float *dy, const uint8_t *mask, float p, float *dx) {
    dropout_backward(n, dy, mask, p, dx);
}
static double cpu_grad_sumsq(BE, const float *g, const Segment *seg, int nseg) {
    double sq = 0;
    for (int i = 0; i < nseg; i++) sq += sum_squares(seg[i].n, g + seg[i].off);
    return sq;
}
static void cpu_sgd(BE, float *w, const float *g, float *v, const Segment *seg, int nseg, float lr, float mu, float wd,
                    float scale, int first) {
    for (int i = 0; i < nseg; i++) {
        size_t o = seg[i].off;
        sgd_step(seg[i].n, w + o, g + o, v + o, lr, mu, wd, scale, first);
    }
}
static void cpu_sync(BE) {}
static void cpu_close(Backend *be) { (void)be; }

static const Backend cpu_backend = {
    .name = "cpu",
    .caps = BE_HOST_MEMORY | BE_SHARES_HOST | BE_BLOCKED_LAYOUT,
    .close = cpu_close,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .zero = cpu_zero,
    .copy = cpu_copy,
    .conv_plan = cpu_conv_plan,
    .conv_plan_free = cpu_conv_plan_free,
    .conv_forward = cpu_conv_forward,
    .conv_backward_data = cpu_conv_backward_data,
    .conv_backward_weights = cpu_conv_backward_weights,
    .bn_forward_train = cpu_bn_forward_train,
    .bn_forward_eval = cpu_bn_forward_eval,
    .bn_backward = cpu_bn_backward,
    .add_relu = cpu_add_relu,
    .relu_backward = cpu_relu_backward,
    .relu_inplace = cpu_relu_inplace,
    .accumulate = cpu_accumulate,
    .roi_align_forward = cpu_roi_align_forward,
    .roi_align_backward = cpu_roi_align_backward,
    .linear_forward = cpu_linear_forward,
    .linear_backward = cpu_linear_backward,
    .avgpool_forward = cpu_avgpool_forward,
    .avgpool_backward = cpu_avgpool_backward,
    .dropout_forward = cpu_dropout_forward,
    .dropout_backward = cpu_dropout_backward,
    .grad_sumsq = cpu_grad_sumsq,
    .sgd = cpu_sgd,
    .sync = cpu_sync,
};

Backend *backend_cpu_open(int separate, int bf16) {
    Backend *be = xmalloc(sizeof *be);
    *be = cpu_backend;
    if (separate) be->name = "cpu-separate", be->caps &= ~(unsigned)BE_SHARES_HOST;
    if (bf16) be->caps |= BE_BF16;
    return be;
}

int cpu_has_bf16(void) {
    unsigned a, b, c, d;
    /* CPUID leaf 7, sub-leaf 1: EAX bit 5 is AVX512_BF16 (vdpbf16ps) */
    return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a >> 5 & 1) && __builtin_cpu_supports("avx512f");
}
