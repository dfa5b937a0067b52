/* A backend is a context and the table of the ops a model needs (ggml-backend style): the model is written
 * once against it and runs wherever the table points. Every entry takes the context it runs in: a CUDA context
 * owns its device, stream, library handles, workspace and plans, so several contexts live in one process (two
 * GPUs, or two streams of one GPU); backend_open makes one, backend_close ends it. CPU: oneDNN + OpenMP
 * kernels, activations in the channel-blocked layout, host memory. CUDA: cuDNN + own kernels, plain NCDHW,
 * device memory. Parameters keep PyTorch's layout on both. Shapes and semantics of each entry are those of
 * ops.h; backward entries accumulate into parameter gradients and overwrite input gradients. */
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
    BE_BF16 = 16,         /* precision=bf16: convolutions take bf16 inputs and accumulate in fp32 (CPU: AVX-512
                             BF16, fp32 outputs; CUDA: tensor cores, bf16 outputs converted back); weights,
                             gradients, SGD, BN and losses stay fp32 */
};

typedef struct Backend Backend;
#define BE const Backend *be
struct Backend {
    const char *name;
    unsigned caps; /* BE_* */
    void *ctx;     /* the backend's own state (CUDA: device, stream, handles, workspace) */
    void (*close)(Backend *be); /* frees ctx (backend_close calls it) */
    void *(*alloc)(BE, size_t bytes); /* zeroed, 64-byte aligned */
    void (*free)(BE, void *p);
    void (*upload)(BE, void *dst, const void *host, size_t bytes);
    void (*download)(BE, void *host, const void *src, size_t bytes);
    void (*zero)(BE, void *p, size_t bytes);
    void (*copy)(BE, void *dst, const void *src, size_t bytes); /* within the backend */

    void *(*conv_plan)(BE, const ConvSpec *cs, Dims in, int backward);
    void (*conv_plan_free)(BE, void *plan);
    void (*conv_forward)(BE, void *plan, const float *x, const float *w, const float *b, float *y);
    void (*conv_backward_data)(BE, void *plan, const float *dy, const float *w, float *dx);
    void (*conv_backward_weights)(BE, void *plan, const float *x, const float *dy, float *dw, float *db);

    void (*bn_forward_train)(BE, Dims d, const float *x, float *y, const float *gamma, const float *beta, float *save_mean,
                             float *save_invstd, float *run_mean, float *run_var, BNSpec bs, int relu);
    void (*bn_forward_eval)(BE, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                            const float *run_mean, const float *run_var, BNSpec bs, int relu);
    void (*bn_backward)(BE, Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                        const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta,
                        BNSpec bs);

    void (*add_relu)(BE, size_t n, float *y, const float *a);                  /* y = max(0, y + a) */
    void (*relu_backward)(BE, size_t n, const float *dy, const float *y, float *dx); /* dx = dy (y > 0) */
    void (*relu_inplace)(BE, size_t n, float *x);
    void (*accumulate)(BE, size_t n, float *dx, const float *a, const float *relu_out); /* dx += a, masked by relu_out > 0 if given */

    void (*roi_align_forward)(BE, const float *feat, int B, int C, int H, int W, const float *rois, int R, RoISpec rs,
                              float *out);
    void (*roi_align_backward)(BE, const float *dout, int B, int C, int H, int W, const float *rois, int R, RoISpec rs,
                               float *dfeat);
    void (*linear_forward)(BE, const float *x, const float *w, const float *b, float *y, int M, int K, int N);
    void (*linear_backward)(BE, const float *dy, const float *x, const float *w, float *dx, float *dw, float *db, int M,
                            int K, int N);
    void (*avgpool_forward)(BE, Dims d, const float *x, float *y);
    void (*avgpool_backward)(BE, Dims d, const float *dy, float *dx);
    void (*dropout_forward)(BE, size_t n, const float *x, float *y, uint8_t *mask, float p, uint64_t seed);
    void (*dropout_backward)(BE, size_t n, const float *dy, const uint8_t *mask, float p, float *dx);

    /* One call per training step each, over every segment of the flat buffers (the same offsets in w, g and v):
     * the squared gradient norm, summed in a fixed order in double (the step's one wait for the device), then
     * w -= lr v, v = mu v + (scale g + wd w); first: v = scale g + wd w */
    double (*grad_sumsq)(BE, const float *g, const Segment *seg, int nseg);
    void (*sgd)(BE, float *w, const float *g, float *v, const Segment *seg, int nseg, float lr, float mu, float wd,
                float scale, int first);
    void (*sync)(BE);
    /* Device time by op kind (core/prof.h's ProfCat; bench --profile) where the work is asynchronous: on = 1 times
     * every entry with events on the context's stream, on = 0 stops; sec (may be NULL) receives the seconds per kind
     * since the previous call, after waiting for the stream. NULL on the CPU, whose ops add their own time to
     * prof_sec as they run. */
    void (*profile)(BE, int on, double *sec);
};
#undef BE

/* A new context on device "cpu", "cpu-separate" (the CPU with parameters, gradients and momentum in memory of
 * their own, as on a GPU: a missing model_upload_state / model_download_state then changes results on a machine
 * without a GPU, which is what the tests use it for), "cuda" or "cuda:N", at precision "fp32", "tf32" (tensor
 * cores, CUDA only) or "bf16" (BE_BF16). Dies naming the problem (no CUDA in this build, no such device, the plugin
 * missing, bf16 where the hardware or the cuDNN cannot). */
Backend *backend_open(const char *device, const char *precision);
void backend_close(Backend *be); /* NULL is accepted */
/* The process's shared context for (device, precision), opened on first use and kept: what the commands use. */
const Backend *backend_for(const char *device, const char *precision);
/* Shorthands of backend_for(..., "fp32"): the CPU, and CUDA device N. */
const Backend *backend_cpu(void);
const Backend *backend_cuda(int device);
/* CUDA devices usable through the plugin (0 without the plugin, a driver or a GPU; never dies). */
int backend_cuda_devices(void);
/* Dies naming the problem when the device name is not one of the above (a check before any work). */
void backend_check_name(const char *name);

#endif
