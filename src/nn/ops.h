/* The op interface: every layer's forward and backward. Activations whose channel count is a
 * multiple of the block L use the blocked layout [N][C/L][D][H][W][L] (oneDNN's nCdhw8c with L = 8
 * on AVX2, nCdhw16c with L = 16 on AVX-512; FEDVSSL_BLOCK=8|16 overrides); the 3-channel input is
 * plain [N][C][D][H][W]. Weights are kept in PyTorch's plain layout (state dict). Backward
 * functions ACCUMULATE into parameter gradients (+=) and overwrite input gradients. */
#ifndef FEDVSSL_OPS_H
#define FEDVSSL_OPS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n, c, d, h, w;
} Dims;
static inline size_t dims_numel(Dims x) { return (size_t)x.n * x.c * x.d * x.h * x.w; }

void ops_init(int verbose); /* creates the oneDNN engine, picks the block; verbose prints kernels */
int ops_block(int channels); /* the channel block of a tensor with that many channels (L or 1) */
static inline int dims_block(Dims x) { return ops_block(x.c); }
void ops_set_threads(int n);
int ops_threads(void);

/* ---- conv3d (oneDNN) ---- */
typedef struct ConvPlan ConvPlan;
typedef struct {
    int cin, cout, k[3], s[3], p[3], bias;
} ConvSpec;
Dims conv_out_dims(const ConvSpec *cs, Dims in);
/* backward: 0 forward only (inference), 1 also weight gradients (the first layer: its input needs
 * no gradient), 2 also input gradients. */
ConvPlan *conv_plan(const ConvSpec *cs, Dims in, int backward);
void conv_plan_free(ConvPlan *p);
/* y = conv(x, w) (+ b). Weights are re-laid out on each call (they change every step). */
void conv_forward(ConvPlan *p, const float *x, const float *w, const float *b, float *y);
void conv_backward_data(ConvPlan *p, const float *dy, const float *w, float *dx);
void conv_backward_weights(ConvPlan *p, const float *x, const float *dy, float *dw, float *db);
/* Backward-weights one kernel-depth tap at a time (conv_bwdw_depth.c), for outputs of few frames;
 * x, dy in the blocked layout; dw (PyTorch layout) accumulated; no bias. */
void conv_backward_weights_by_depth(const ConvSpec *cs, Dims in, const float *x, const float *dy, float *dw);
/* Per-layer GFLOP/s of the live plans (bench --profile); per = runs each plan's time covers. */
void conv_profile_print(double per);
void conv_profile_reset(void);

/* ---- batch norm (eps, momentum as PyTorch), optional fused ReLU ---- */
typedef struct {
    float eps, momentum;
} BNSpec;
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

/* ---- RoIAlign (mmcv, aligned=True, avg), input blocked [B][C/8][H][W][8], output plain [R][C][ph][pw] ---- */
typedef struct {
    int out_h, out_w, sampling_ratio;
    float spatial_scale;
} RoISpec;
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

/* ---- losses ---- */
/* Cross-entropy (mean over M rows) with int64 0-based labels; dlogits = d loss / d logits. */
float cross_entropy(const float *logits, const int64_t *labels, int M, int N, float *dlogits);
/* Smooth-L1 (beta) of pred vs target, weighted, summed and divided by count; ctr = first two of
 * every 4 numbers, size = last two. Writes dpred (gradient of loss_ctr + loss_size). */
void smooth_l1_ctp(const float *pred, const float *target, const float *weight, int rows, float beta, float count,
                   float *loss_ctr, float *loss_size, float *dpred);

/* ---- optimiser ---- */
/* PyTorch's clip_grad_norm_ rule: the factor max_norm / (norm + 1e-6) when it is below 1, else 1
 * (max_norm <= 0: no clipping). The factor goes into sgd_step's scale. */
float clip_scale(double norm, double max_norm);
/* v = mu v + (scale g + wd w); w -= lr v. first: v = scale g + wd w (PyTorch's first step). scale
 * carries the clip coefficient, so clipping costs no extra pass over the gradients. */
void sgd_step(size_t n, float *w, const float *g, float *v, float lr, float mu, float wd, float scale, int first);
/* sum of g^2 in double */
double sum_squares(size_t n, const float *g);
/* dx += a, or dx += a (relu_out > 0) when relu_out is given */
void accumulate(size_t n, float *dx, const float *a, const float *relu_out);

/* ---- plain-C references (tests) and layout conversion, src/nn/ref.c ---- */
void layout_to_blocked(Dims d, const float *plain, float *blocked);
void layout_to_plain(Dims d, const float *blocked, float *plain);
void ref_conv3d_forward(const ConvSpec *cs, Dims in, const float *x, const float *w, const float *b, float *y);
/* dx overwritten; dw, db accumulated; any may be NULL */
void ref_conv3d_backward(const ConvSpec *cs, Dims in, const float *x, const float *w, const float *dy, float *dx,
                         float *dw, float *db);

#endif
