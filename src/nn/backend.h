/* A backend is a table of the ops a model needs (ggml-backend style): the model is written once
 * against it and runs wherever the table points. CPU: oneDNN + OpenMP kernels, activations in the
 * channel-blocked layout, host memory. CUDA: cuDNN + own kernels, plain NCDHW, device memory.
 * Parameters keep PyTorch's layout on both. Shapes and semantics of each entry are those of ops.h;
 * backward entries accumulate into parameter gradients and overwrite input gradients. */
#ifndef FEDVSSL_BACKEND_H
#define FEDVSSL_BACKEND_H
#include <stddef.h>
#include <stdint.h>

#include "ops.h"

/* A run [off, off + n) of a flat buffer: the trainable tensors of a model's state (one buffer of named views). */
typedef struct {
    size_t off, n;
} Segment;

/* What a backend is and can do (Backend.caps), asked by name instead of "is it the CPU". */
enum {
    BE_HOST_MEMORY = 1,   /* its buffers are host memory: batches are read in place, not uploaded */
    BE_SHARES_HOST = 2,   /* parameters, gradients and momentum are the host state's own buffers */
    BE_BLOCKED_LAYOUT = 4, /* activations in ops_block()'s channel blocks (else plain NCDHW) */
    BE_TF32 = 8,          /* precision=tf32: tensor cores in convolutions and matrix products */
};

typedef struct Backend {
    const char *name;
    unsigned caps; /* BE_* */
    void *(*alloc)(size_t bytes); /* zeroed, 64-byte aligned */
    void (*free)(void *p);
    void (*upload)(void *dst, const void *host, size_t bytes);
    void (*download)(void *host, const void *src, size_t bytes);
    void (*zero)(void *p, size_t bytes);
    void (*copy)(void *dst, const void *src, size_t bytes); /* within the backend */

    void *(*conv_plan)(const ConvSpec *cs, Dims in, int backward);
    void (*conv_plan_free)(void *plan);
    void (*conv_forward)(void *plan, const float *x, const float *w, const float *b, float *y);
    void (*conv_backward_data)(void *plan, const float *dy, const float *w, float *dx);
    void (*conv_backward_weights)(void *plan, const float *x, const float *dy, float *dw, float *db);

    void (*bn_forward_train)(Dims d, const float *x, float *y, const float *gamma, const float *beta, float *save_mean,
                             float *save_invstd, float *run_mean, float *run_var, BNSpec bs, int relu);
    void (*bn_forward_eval)(Dims d, const float *x, float *y, const float *gamma, const float *beta,
                            const float *run_mean, const float *run_var, BNSpec bs, int relu);
    void (*bn_backward)(Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                        const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta,
                        BNSpec bs);

    void (*add_relu)(size_t n, float *y, const float *a);                  /* y = max(0, y + a) */
    void (*relu_backward)(size_t n, const float *dy, const float *y, float *dx); /* dx = dy (y > 0) */
    void (*relu_inplace)(size_t n, float *x);
    void (*accumulate)(size_t n, float *dx, const float *a, const float *relu_out); /* dx += a, masked by relu_out > 0 if given */

    void (*roi_align_forward)(const float *feat, int B, int C, int H, int W, const float *rois, int R, RoISpec rs,
                              float *out);
    void (*roi_align_backward)(const float *dout, int B, int C, int H, int W, const float *rois, int R, RoISpec rs,
                               float *dfeat);
    void (*linear_forward)(const float *x, const float *w, const float *b, float *y, int M, int K, int N);
    void (*linear_backward)(const float *dy, const float *x, const float *w, float *dx, float *dw, float *db, int M,
                            int K, int N);
    void (*avgpool_forward)(Dims d, const float *x, float *y);
    void (*avgpool_backward)(Dims d, const float *dy, float *dx);
    void (*dropout_forward)(size_t n, const float *x, float *y, uint8_t *mask, float p, uint64_t seed);
    void (*dropout_backward)(size_t n, const float *dy, const uint8_t *mask, float p, float *dx);

    /* One call per training step each, over every segment of the flat buffers (the same offsets in w, g and v):
     * the squared gradient norm, summed in a fixed order in double (the step's one wait for the device), then
     * w -= lr v, v = mu v + (scale g + wd w); first: v = scale g + wd w */
    double (*grad_sumsq)(const float *g, const Segment *seg, int nseg);
    void (*sgd)(float *w, const float *g, float *v, const Segment *seg, int nseg, float lr, float mu, float wd,
                float scale, int first);
    void (*sync)(void);
} Backend;

const Backend *backend_cpu(void);
/* The CPU backend with parameters, gradients and momentum in memory of their own, as on a GPU
 * (device "cpu-separate"): a missing model_upload_state / model_download_state then changes results
 * on a machine without a GPU, which is what the tests use it for. */
const Backend *backend_cpu_separate(void);
/* NULL when the build has no CUDA; dies with a clear message when the plugin cannot be loaded or
 * there is no such device. */
const Backend *backend_cuda(int device);
/* CUDA devices usable through the plugin (0 without the plugin, a driver or a GPU; never dies). */
int backend_cuda_devices(void);
/* "cpu", "cuda", "cuda:N"; dies naming the problem. */
const Backend *backend_by_name(const char *name);
/* backend_by_name plus the precision ("fp32", or "tf32": tensor cores, CUDA only). */
const Backend *backend_for(const char *device, const char *precision);

#endif
