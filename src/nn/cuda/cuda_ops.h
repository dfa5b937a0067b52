/* CUDA backend ops (built only where nvcc is found; FEDVSSL_CUDA is then defined). Device pointers,
 * plain NCDHW activations (cuDNN's native layout), PyTorch-layout weights. Same semantics as the CPU
 * ops of ops.h: backward functions accumulate into parameter gradients and overwrite input
 * gradients. Everything runs in a context (CudaCtx: device, stream, cuDNN and cuBLAS handles,
 * workspace): calls are asynchronous on its stream, cuda_sync() waits, and contexts are independent of
 * each other (several in one process: two GPUs, or two streams of one GPU). */
#ifndef FEDVSSL_CUDA_OPS_H
#define FEDVSSL_CUDA_OPS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#include "../backend.h"

/* Number of usable CUDA devices (0 without a driver or a GPU; never fails). */
int cuda_device_count(void);
typedef struct CudaCtx CudaCtx;
/* The math of a context: fp32 everywhere (matching the CPU); TF32 tensor cores in convolutions and matrix
 * products; bf16 convolutions (inputs and outputs rounded to bf16, fp32 accumulation; needs compute capability 8.0
 * and a cuDNN outside 9.8-9.10), everything else fp32. */
enum { CUDA_FP32 = 0, CUDA_TF32 = 1, CUDA_BF16 = 2 };
/* Whether CUDA_BF16 can run on the device (else why not, in why). */
int cuda_bf16_supported(int device, char *why, size_t n);
/* A new context on the device with its own stream and handles, at that math. Dies with a clear message on failure. */
CudaCtx *cuda_open(int device, int math);
void cuda_close(CudaCtx *c); /* waits for its stream, frees everything it holds; NULL is accepted */
void *cuda_alloc(CudaCtx *c, size_t bytes); /* zeroed */
void cuda_free(CudaCtx *c, void *p);
void cuda_upload(CudaCtx *c, void *dst, const void *src, size_t bytes);
void cuda_download(CudaCtx *c, void *dst, const void *src, size_t bytes); /* waits for the stream */
void cuda_sync(CudaCtx *c);
const char *cuda_device_name(const CudaCtx *c);

/* A plan belongs to the context that made it (its handle, its workspace), at that context's precision. */
typedef struct CudaConvPlan CudaConvPlan;
CudaConvPlan *cuda_conv_plan(CudaCtx *c, const ConvSpec *cs, Dims in, int backward);
void cuda_conv_plan_free(CudaConvPlan *p);
void cuda_conv_forward(CudaConvPlan *p, const float *x, const float *w, const float *b, float *y);
void cuda_conv_backward_data(CudaConvPlan *p, const float *dy, const float *w, float *dx);
void cuda_conv_backward_weights(CudaConvPlan *p, const float *x, const float *dy, float *dw, float *db);

/* Batch norm (cuDNN spatial mode: batch statistics, unbiased running variance, as PyTorch). */
void cuda_bn_forward_train(CudaCtx *c, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                           float *save_mean, float *save_invstd, float *run_mean, float *run_var, BNSpec bs, int relu);
void cuda_bn_forward_eval(CudaCtx *c, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                          const float *run_mean, const float *run_var, BNSpec bs, int relu);
void cuda_bn_backward(CudaCtx *c, Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                      const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta,
                      BNSpec bs);

/* RoIAlign (mmcv, aligned) on a plain [B,C,H,W] map; rois [R,5] on the device. */
void cuda_roi_align_forward(CudaCtx *c, const float *feat, int B, int C, int H, int W, const float *rois, int R,
                            RoISpec rs, float *out);
void cuda_roi_align_backward(CudaCtx *c, const float *dout, int B, int C, int H, int W, const float *rois, int R,
                             RoISpec rs, float *dfeat);

/* Over every segment of the flat buffers (Backend.grad_sumsq and .sgd): the sum of squares of g, summed in a
 * fixed order (the same on every run) and read back (one wait); w -= lr * v with v = mu v + g + wd w (first:
 * v = g + wd w), after scaling g by `scale`. The segment table is copied to the device when it changes. */
double cuda_grad_sumsq(CudaCtx *c, const float *g, const Segment *seg, int nseg);
void cuda_sgd(CudaCtx *c, float *w, const float *g, float *v, const Segment *seg, int nseg, float lr, float mu,
              float wd, float scale, int first);

#ifdef __cplusplus
}
#endif
#endif
