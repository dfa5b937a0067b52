/* The CPU backend's ops (oneDNN + OpenMP), behind nn/cpu/backend_cpu.c's table and called directly by the tests
 * and the CPU bench. Activations whose channel count is a multiple of the block L use the blocked layout
 * [N][C/L][D][H][W][L] (oneDNN's nCdhw8c with L = 8 on AVX2, nCdhw16c with L = 16 on AVX-512; FEDVSSL_BLOCK=8|16
 * overrides); the 3-channel input is plain [N][C][D][H][W]. Semantics as nn/ops.h says. */
#ifndef FEDVSSL_CPU_OPS_H
#define FEDVSSL_CPU_OPS_H
#include "../backend.h"
#include "../ops.h"

void ops_init(int verbose); /* creates the oneDNN engine, picks the block; verbose prints kernels */
int ops_block(int channels); /* the channel block of a tensor with that many channels (L or 1) */
static inline int dims_block(Dims x) { return ops_block(x.c); }

/* A CPU backend context; separate: parameters, gradients and momentum in buffers of their own (device=cpu-separate);
 * bf16: convolutions with bf16 inputs (conv_plan). */
Backend *backend_cpu_open(int separate, int bf16);
/* Whether this CPU has AVX-512 BF16 (precision=bf16). */
int cpu_has_bf16(void);

/* ---- conv3d (oneDNN) ---- */
typedef struct ConvPlan ConvPlan;
/* backward: 0 forward only (inference), 1 also weight gradients (the first layer: its input needs
 * no gradient), 2 also input gradients. bf16: the primitives take bf16 inputs (activations, weights and output
 * gradients converted on each call; needs AVX-512 BF16) and accumulate and write fp32; a layer with no fast bf16
 * kernel stays fp32. */
ConvPlan *conv_plan(const ConvSpec *cs, Dims in, int backward, int bf16);
void conv_plan_free(ConvPlan *p);
/* y = conv(x, w) (+ b). Weights are re-laid out on each call (they change every step). */
void conv_forward(ConvPlan *p, const float *x, const float *w, const float *b, float *y);
void conv_backward_data(ConvPlan *p, const float *dy, const float *w, float *dx);
void conv_backward_weights(ConvPlan *p, const float *x, const float *dy, float *dw, float *db);
/* Backward-weights one kernel-depth tap at a time (conv_bwdw_depth.c), for outputs of few frames;
 * x, dy in the blocked layout; dw (PyTorch layout) accumulated; no bias. */
void conv_backward_weights_by_depth(const ConvSpec *cs, Dims in, const float *x, const float *dy, float *dw);
/* Its three work buffers (i = 0, 1, 2) of at least n floats: the calling thread's, kept between calls. */
float *conv_depth_scratch(int i, size_t n);
/* Per-layer GFLOP/s of the live plans (bench --profile); per = runs each plan's time covers. */
void conv_profile_print(double per);
void conv_profile_reset(void);

/* ---- batch norm ---- */
/* Training: batch statistics; saves mean/invstd (C floats each) for backward; updates running stats
 * (unbiased variance) and the counter. relu: y = max(0, bn(x)). y may equal x. */
void bn_forward_train(Dims d, const float *x, float *y, const float *gamma, const float *beta, float *save_mean,
                      float *save_invstd, float *run_mean, float *run_var, int64_t *counter, BNSpec bs, int relu);
void bn_forward_eval(Dims d, const float *x, float *y, const float *gamma, const float *beta, const float *run_mean,
                     const float *run_var, BNSpec bs, int relu);
/* dz = dy * (relu_out > 0) when relu_out != NULL, else dy. dx = BN backward of dz (x is the BN
 * input). dx may equal dy. */
void bn_backward(Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                 const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta);

/* y = max(0, y + a) (residual add + ReLU), in place on y. */
void add_relu(size_t n, float *y, const float *a);
/* dx = dy * (y > 0) */
void relu_backward(size_t n, const float *dy, const float *y, float *dx);
void relu_inplace(size_t n, float *x);

/* ---- RoIAlign, input blocked [B][C/L][H][W][L] ---- */
void roi_align_forward(const float *feat, int B, int C, int H, int W, const float *rois, int R, RoISpec rs, float *out);
/* dfeat += scatter of dout */
void roi_align_backward(const float *dout, int B, int C, int H, int W, const float *rois, int R, RoISpec rs, float *dfeat);

/* ---- linear: y[M,N] = x[M,K] w[N,K]^T + b ---- */
void linear_forward(const float *x, const float *w, const float *b, float *y, int M, int K, int N);
/* dw += dy^T x, db += sum dy, dx = dy w (dx may be NULL) */
void linear_backward(const float *dy, const float *x, const float *w, float *dx, float *dw, float *db, int M, int K,
                     int N);

/* ---- pooling over the whole (D,H,W) of a blocked tensor: [N,C,D,H,W] -> [N,C] plain ---- */
void global_avgpool_forward(Dims d, const float *x, float *y);
void global_avgpool_backward(Dims d, const float *dy, float *dx);

/* ---- dropout with a counter-based mask (same seed -> same mask) ---- */
void dropout_forward(size_t n, const float *x, float *y, uint8_t *mask, float p, uint64_t seed);
void dropout_backward(size_t n, const float *dy, const uint8_t *mask, float p, float *dx);

/* ---- optimiser ---- */
/* v = mu v + (scale g + wd w); w -= lr v. first: v = scale g + wd w (PyTorch's first step). scale
 * carries the clip coefficient, so clipping costs no extra pass over the gradients. */
void sgd_step(size_t n, float *w, const float *g, float *v, float lr, float mu, float wd, float scale, int first);
/* sum of g^2 in double */
double sum_squares(size_t n, const float *g);
/* dx += a, or dx += a (relu_out > 0) when relu_out is given */
void accumulate(size_t n, float *dx, const float *a, const float *relu_out);

/* ---- layout conversion (src/nn/ref.c) ---- */
void layout_to_blocked(Dims d, const float *plain, float *blocked);
void layout_to_plain(Dims d, const float *blocked, float *plain);

#endif
