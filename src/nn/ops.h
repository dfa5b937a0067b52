/* The op contract: the shapes and parameter types every backend's ops take (nn/backend.h is the table of
 * them), with their semantics: weights in PyTorch's plain layout (state dict); backward ops ACCUMULATE into
 * parameter gradients (+=) and overwrite input gradients. Activation layout is the backend's: the CPU's are
 * channel-blocked (nn/cpu/cpu_ops.h), CUDA's plain NCDHW. Also the host-side pieces every backend shares:
 * the losses (computed on the host) and the gradient-clip rule (losses.c), and the process's compute threads. */
#ifndef FEDVSSL_OPS_H
#define FEDVSSL_OPS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n, c, d, h, w;
} Dims;
static inline size_t dims_numel(Dims x) { return (size_t)x.n * x.c * x.d * x.h * x.w; }

/* Compute threads of the process (OpenMP and oneDNN on the CPU; the loaders take the same count). */
void ops_set_threads(int n);
int ops_threads(void);

/* ---- conv3d: kernel k, stride s, zero padding p per (D, H, W) ---- */
typedef struct {
    int cin, cout, k[3], s[3], p[3], bias;
} ConvSpec;
static inline Dims conv_out_dims(const ConvSpec *cs, Dims in) {
    Dims o = {in.n, cs->cout, 0, 0, 0};
    o.d = (in.d + 2 * cs->p[0] - cs->k[0]) / cs->s[0] + 1;
    o.h = (in.h + 2 * cs->p[1] - cs->k[1]) / cs->s[1] + 1;
    o.w = (in.w + 2 * cs->p[2] - cs->k[2]) / cs->s[2] + 1;
    return o;
}

/* ---- batch norm (eps, momentum as PyTorch), optional fused ReLU ---- */
typedef struct {
    float eps, momentum;
} BNSpec;

/* ---- RoIAlign (mmcv, aligned=True, avg): output [R][C][out_h][out_w] plain, rois [R][5] = (b, x1, y1, x2, y2) ---- */
typedef struct {
    int out_h, out_w, sampling_ratio;
    float spatial_scale;
} RoISpec;

/* ---- losses ---- */
/* Cross-entropy (mean over M rows) with int64 0-based labels; dlogits = d loss / d logits. */
float cross_entropy(const float *logits, const int64_t *labels, int M, int N, float *dlogits);
/* Smooth-L1 (beta) of pred vs target, weighted, summed and divided by count; ctr = first two of
 * every 4 numbers, size = last two. Writes dpred (gradient of loss_ctr + loss_size). */
void smooth_l1_ctp(const float *pred, const float *target, const float *weight, int rows, float beta, float count,
                   float *loss_ctr, float *loss_size, float *dpred);

/* PyTorch's clip_grad_norm_ rule: the factor max_norm / (norm + 1e-6) when it is below 1, else 1
 * (max_norm <= 0: no clipping). The factor goes into the backend's sgd scale. */
float clip_scale(double norm, double max_norm);

#endif
