/* The CPU backend: host memory, oneDNN convolutions, the kernels of ops_cpu.c. */
#include <stdlib.h>
#include <string.h>

#include "../../core/util.h"
#include "../backend.h"

static void *cpu_alloc(size_t bytes) { return xalloc_aligned(bytes); }
static void cpu_free(void *p) { free(p); }
static void cpu_copy(void *dst, const void *src, size_t bytes) {
    if (dst != src) memcpy(dst, src, bytes);
}
static void cpu_zero(void *p, size_t bytes) { memset(p, 0, bytes); }
static void *cpu_conv_plan(const ConvSpec *cs, Dims in, int backward) { return conv_plan(cs, in, backward); }
static void cpu_conv_plan_free(void *p) { conv_plan_free(p); }
static void cpu_conv_forward(void *p, const float *x, const float *w, const float *b, float *y) {
    conv_forward(p, x, w, b, y);
}
static void cpu_conv_backward_data(void *p, const float *dy, const float *w, float *dx) {
    conv_backward_data(p, dy, w, dx);
}
static void cpu_conv_backward_weights(void *p, const float *x, const float *dy, float *dw, float *db) {
    conv_backward_weights(p, x, dy, dw, db);
}
static void cpu_bn_forward_train(Dims d, const float *x, float *y, const float *gamma, const float *beta,
                                 float *save_mean, float *save_invstd, float *run_mean, float *run_var, BNSpec bs,
                                 int relu) {
    bn_forward_train(d, x, y, gamma, beta, save_mean, save_invstd, run_mean, run_var, NULL, bs, relu);
}
static void cpu_bn_backward(Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                            const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta,
                            BNSpec bs) {
    (void)bs;
    bn_backward(d, dy, relu_out, x, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}
static double cpu_grad_sumsq(const float *g, const Segment *seg, int nseg) {
    double sq = 0;
    for (int i = 0; i < nseg; i++) sq += sum_squares(seg[i].n, g + seg[i].off);
    return sq;
}
static void cpu_sgd(float *w, const float *g, float *v, const Segment *seg, int nseg, float lr, float mu, float wd,
                    float scale, int first) {
    for (int i = 0; i < nseg; i++) {
        size_t o = seg[i].off;
        sgd_step(seg[i].n, w + o, g + o, v + o, lr, mu, wd, scale, first);
    }
}
static void cpu_sync(void) {}

static const Backend cpu_backend = {
    .name = "cpu",
    .caps = BE_HOST_MEMORY | BE_SHARES_HOST | BE_BLOCKED_LAYOUT,
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
    .bn_forward_eval = bn_forward_eval,
    .bn_backward = cpu_bn_backward,
    .add_relu = add_relu,
    .relu_backward = relu_backward,
    .relu_inplace = relu_inplace,
    .accumulate = accumulate,
    .roi_align_forward = roi_align_forward,
    .roi_align_backward = roi_align_backward,
    .linear_forward = linear_forward,
    .linear_backward = linear_backward,
    .avgpool_forward = global_avgpool_forward,
    .avgpool_backward = global_avgpool_backward,
    .dropout_forward = dropout_forward,
    .dropout_backward = dropout_backward,
    .grad_sumsq = cpu_grad_sumsq,
    .sgd = cpu_sgd,
    .sync = cpu_sync,
};

const Backend *backend_cpu(void) { return &cpu_backend; }

const Backend *backend_cpu_separate(void) {
    static Backend be;
    if (!be.name) be = cpu_backend, be.name = "cpu-separate", be.caps &= ~(unsigned)BE_SHARES_HOST;
    return &be;
}
