// CUDA backend: cuDNN for conv3d and batch norm (algorithms chosen once per plan by measuring them,
// one workspace per context shared by its plans), own kernels for RoIAlign, ReLU masks, SGD and the
// gradient norm. Everything a context uses is in its CudaCtx, so contexts are independent: several in
// one process, on one GPU (one stream each) or several. See cuda_ops.h for the contract.
// bf16 (CUDA_BF16): each convolution converts its inputs to bf16 in cuDNN's channels-last layout (NDHWC, what
// its tensor-core kernels take), runs in bf16 with fp32 accumulation and converts its output back to fp32
// NCDHW; everything else stays fp32, as on the CPU.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "../../core/prof.h"
#include "../../core/util.h"
#include "../backend.h"
}
#include "../../core/rng.h"
#include "../roi_bilinear.h"
#include "cuda_ops.h"

#define CU(call)                                                                                  \
    do {                                                                                          \
        cudaError_t e_ = (call);                                                                  \
        if (e_ != cudaSuccess) die("CUDA: %s: %s", #call, cudaGetErrorString(e_));                \
    } while (0)
#define BLAS(call)                                                                                \
    do {                                                                                          \
        cublasStatus_t b_ = (call);                                                               \
        if (b_ != CUBLAS_STATUS_SUCCESS) die("cuBLAS: %s failed (%d)", #call, (int)b_);          \
    } while (0)
#define DNN(call)                                                                                 \
    do {                                                                                          \
        cudnnStatus_t s_ = (call);                                                                \
        if (s_ != CUDNN_STATUS_SUCCESS) die("cuDNN: %s: %s", #call, cudnnGetErrorString(s_));     \
    } while (0)

#define PROF_MARKS 1024 /* event pairs per read-back of bench --profile */
struct CudaCtx {
    int device;
    int math; /* CUDA_FP32, CUDA_TF32 (tensor cores in convolutions and matrix products) or CUDA_BF16 */
    cudaStream_t stream;
    cudnnHandle_t dnn;
    cublasHandle_t blas;
    cudaDeviceProp prop;
    void *workspace; /* shared by the context's convolution plans */
    size_t workspace_cap;
    float *scratch; /* ReLU-masked gradients for BN backward */
    size_t scratch_cap;
    Segment *seg_dev, *seg_host; /* the optimiser's segment table, on the device and as last uploaded */
    int seg_cap, seg_n;
    double *partial, *sum; /* the gradient norm's per-block partial sums and total */
    int partial_cap;
    void *bf[3]; /* bf16: a convolution's input side, weights and output side in NDHWC bf16 (BF_IN, BF_W, BF_OUT) */
    size_t bf_cap[3];
    /* bench --profile: an event pair around each timed entry, read back in batches of PROF_MARKS */
    int prof_on, nmarks;
    cudaEvent_t *ev;   /* 2 per mark, made on first use */
    int mark_kind[PROF_MARKS];
    double prof[PROF_N];
};
enum { BF_IN, BF_W, BF_OUT };

/* The calling thread works on the context's device (a no-op when it already does). */
static void use(const CudaCtx *c) {
    static __thread int current = -1;
    if (current != c->device) {
        CU(cudaSetDevice(c->device));
        current = c->device;
    }
}

static void *grow(void **buf, size_t *cap, size_t bytes) {
    if (bytes > *cap) {
        if (*buf) CU(cudaFree(*buf));
        CU(cudaMalloc(buf, bytes));
        *cap = bytes;
    }
    return *buf;
}

extern "C" int cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
    return n;
}

extern "C" int cuda_bf16_supported(int device, char *why, size_t n) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
        snprintf(why, n, "cuda:%d: no such device", device);
        return 0;
    }
    if (prop.major < 8) {
        snprintf(why, n, "cuda:%d (%s, compute capability %d.%d): bf16 tensor cores need 8.0 or newer; use fp32",
                 device, prop.name, prop.major, prop.minor);
        return 0;
    }
    /* cuDNN 9.8.0 to 9.10.x compute some bf16 3-D convolutions wrong (PyTorch issue 163539) */
    size_t v = cudnnGetVersion();
    if (v >= 90800 && v < 91100) {
        snprintf(why, n, "cuDNN %zu.%zu.%zu computes some bf16 3-D convolutions wrong (fixed in 9.11); use tf32, or a "
                 "cuDNN before 9.8 or from 9.11", v / 10000, v / 100 % 100, v % 100);
        return 0;
    }
    return 1;
}

extern "C" CudaCtx *cuda_open(int device, int math) {
    int n = cuda_device_count();
    if (n == 0) die("no CUDA device found (device=cuda needs an NVIDIA GPU and driver)");
    if (device < 0 || device >= n) die("device cuda:%d does not exist (%d device%s)", device, n, n == 1 ? "" : "s");
    CudaCtx *c = (CudaCtx *)xcalloc(1, sizeof *c);
    c->device = device, c->math = math;
    use(c);
    CU(cudaGetDeviceProperties(&c->prop, device));
    char why[256];
    if (math == CUDA_BF16 && !cuda_bf16_supported(device, why, sizeof why)) die("precision bf16: %s", why);
    CU(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    DNN(cudnnCreate(&c->dnn));
    DNN(cudnnSetStream(c->dnn, c->stream));
    BLAS(cublasCreate(&c->blas));
    BLAS(cublasSetStream(c->blas, c->stream));
    /* fp32 (and bf16, whose matrix products stay fp32): no TF32 behind our back */
    BLAS(cublasSetMathMode(c->blas, math == CUDA_TF32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
    return c;
}

extern "C" void cuda_close(CudaCtx *c) {
    if (!c) return;
    use(c);
    CU(cudaStreamSynchronize(c->stream));
    cudnnDestroy(c->dnn);
    cublasDestroy(c->blas);
    cudaFree(c->workspace), cudaFree(c->scratch), cudaFree(c->seg_dev), cudaFree(c->partial), cudaFree(c->sum);
    for (int i = 0; i < 3; i++) cudaFree(c->bf[i]);
    if (c->ev)
        for (int i = 0; i < 2 * PROF_MARKS; i++) cudaEventDestroy(c->ev[i]);
    free(c->ev);
    cudaStreamDestroy(c->stream);
    free(c->seg_host);
    free(c);
}

extern "C" const char *cuda_device_name(const CudaCtx *c) { return c->prop.name; }
extern "C" void *cuda_alloc(CudaCtx *c, size_t bytes) {
    use(c);
    void *p = NULL;
    CU(cudaMalloc(&p, bytes ? bytes : 1));
    CU(cudaMemsetAsync(p, 0, bytes, c->stream));
    return p;
}
extern "C" void cuda_free(CudaCtx *c, void *p) {
    use(c);
    if (p) CU(cudaFree(p));
}
extern "C" void cuda_upload(CudaCtx *c, void *dst, const void *src, size_t bytes) {
    use(c);
    CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, c->stream));
}
extern "C" void cuda_download(CudaCtx *c, void *dst, const void *src, size_t bytes) {
    use(c);
    CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, c->stream));
    CU(cudaStreamSynchronize(c->stream));
}
extern "C" void cuda_sync(CudaCtx *c) {
    use(c);
    CU(cudaStreamSynchronize(c->stream));
}

static void tensor5(cudnnTensorDescriptor_t *t, int n, int c, int d, int h, int w) {
    int dims[5] = {n, c, d, h, w}, str[5] = {c * d * h * w, d * h * w, h * w, w, 1};
    DNN(cudnnCreateTensorDescriptor(t));
    DNN(cudnnSetTensorNdDescriptor(*t, CUDNN_DATA_FLOAT, 5, dims, str));
}

/* [n, c, d, h, w] stored channels-last (NDHWC), bf16. */
static void tensor5_ndhwc_bf16(cudnnTensorDescriptor_t *t, int n, int c, int d, int h, int w) {
    int dims[5] = {n, c, d, h, w}, str[5] = {c * d * h * w, 1, h * w * c, w * c, c};
    DNN(cudnnCreateTensorDescriptor(t));
    DNN(cudnnSetTensorNdDescriptor(*t, CUDNN_DATA_BFLOAT16, 5, dims, str));
}

/* fp32 [N][C][S] -> bf16 [N][S][C] (S = D*H*W; weights: N = out channels, C = in channels, S = the taps). One
 * thread per output element: writes coalesced, reads strided; simple, and small beside the convolution. */
__global__ void to_channels_last_bf16(const float *x, __nv_bfloat16 *y, size_t N, size_t Cn, size_t S) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= N * Cn * S) return;
    size_t ch = i % Cn, s = i / Cn % S, n = i / (Cn * S);
    y[i] = __float2bfloat16(x[(n * Cn + ch) * S + s]);
}
/* bf16 [N][S][C] -> fp32 [N][C][S]; accumulate: y += instead of y = */
__global__ void from_channels_last_bf16(const __nv_bfloat16 *x, float *y, size_t N, size_t Cn, size_t S,
                                        int accumulate) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= N * Cn * S) return;
    size_t s = i % S, ch = i / S % Cn, n = i / (S * Cn);
    float v = __bfloat162float(x[(n * S + s) * Cn + ch]);
    y[i] = accumulate ? y[i] + v : v;
}
static unsigned blocks(size_t n) { return (unsigned)((n + 255) / 256); } /* of 256 threads */

/* ---------------- convolution ---------------- */

struct CudaConvPlan {
    CudaCtx *c; /* its handle and workspace */
    ConvSpec cs;
    Dims in, out;
    cudnnTensorDescriptor_t x, y, b; /* fp32 NCDHW: the model's tensors (bias: always these) */
    cudnnFilterDescriptor_t w;
    cudnnTensorDescriptor_t xc, yc;  /* what the convolution itself takes: x, y, or bf16 NDHWC twins */
    cudnnFilterDescriptor_t wc;
    int bf16;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_d;
    cudnnConvolutionBwdFilterAlgo_t bwd_w;
    size_t ws_fwd, ws_bwd_d, ws_bwd_w;
    int backward;
};

/* The [N][C][S] shape of a plan's tensor in staging buffer `which`: the input or output activations, or the
 * weights (N = out channels, C = in channels, S = the taps). */
typedef struct {
    size_t n, c, s;
} BfShape;
static BfShape bf_shape(const CudaConvPlan *p, int which) {
    const ConvSpec *cs = &p->cs;
    if (which == BF_W) return (BfShape){(size_t)cs->cout, (size_t)cs->cin, (size_t)cs->k[0] * cs->k[1] * cs->k[2]};
    Dims d = which == BF_IN ? p->in : p->out;
    return (BfShape){(size_t)d.n, (size_t)d.c, (size_t)d.d * d.h * d.w};
}
/* The fastest algorithm that cuDNN measured and that runs (workspace allowed up to 1 GiB). */
#define PICK(perf, n, algo_out, ws_out)                                                   \
    do {                                                                                  \
        int found_ = 0;                                                                   \
        for (int i_ = 0; i_ < (n) && !found_; i_++)                                       \
            if ((perf)[i_].status == CUDNN_STATUS_SUCCESS && (perf)[i_].memory <= (1u << 30)) { \
                (algo_out) = (perf)[i_].algo, (ws_out) = (perf)[i_].memory, found_ = 1;     \
            }                                                                             \
        if (!found_) die("cuDNN: no convolution algorithm for this layer");              \
    } while (0)

extern "C" CudaConvPlan *cuda_conv_plan(CudaCtx *c, const ConvSpec *cs, Dims in, int backward) {
    use(c);
    cudnnHandle_t dnn = c->dnn;
    CudaConvPlan *p = (CudaConvPlan *)xcalloc(1, sizeof *p);
    p->c = c;
    p->cs = *cs;
    p->in = in;
    p->out = conv_out_dims(cs, in);
    p->backward = backward;
    p->bf16 = c->math == CUDA_BF16;
    tensor5(&p->x, in.n, in.c, in.d, in.h, in.w);
    tensor5(&p->y, p->out.n, p->out.c, p->out.d, p->out.h, p->out.w);
    tensor5(&p->b, 1, cs->cout, 1, 1, 1);
    int fd[5] = {cs->cout, cs->cin, cs->k[0], cs->k[1], cs->k[2]};
    DNN(cudnnCreateFilterDescriptor(&p->w));
    DNN(cudnnSetFilterNdDescriptor(p->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 5, fd));
    p->xc = p->x, p->yc = p->y, p->wc = p->w;
    if (p->bf16) {
        tensor5_ndhwc_bf16(&p->xc, in.n, in.c, in.d, in.h, in.w);
        tensor5_ndhwc_bf16(&p->yc, p->out.n, p->out.c, p->out.d, p->out.h, p->out.w);
        DNN(cudnnCreateFilterDescriptor(&p->wc));
        DNN(cudnnSetFilterNdDescriptor(p->wc, CUDNN_DATA_BFLOAT16, CUDNN_TENSOR_NHWC, 5, fd));
        /* the staging buffers, grown now so that the first step allocates nothing */
        for (int i = BF_IN; i <= BF_OUT; i++) {
            BfShape t = bf_shape(p, i);
            grow(&c->bf[i], &c->bf_cap[i], t.n * t.c * t.s * sizeof(__nv_bfloat16));
        }
    }
    int pad[3] = {cs->p[0], cs->p[1], cs->p[2]}, str[3] = {cs->s[0], cs->s[1], cs->s[2]}, dil[3] = {1, 1, 1};
    DNN(cudnnCreateConvolutionDescriptor(&p->conv));
    DNN(cudnnSetConvolutionNdDescriptor(p->conv, 3, pad, str, dil, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    /* FMA math keeps fp32 exact to the CPU's tolerance; tensor-op math lets cuDNN use TF32 (or, on bf16
     * descriptors, bf16 tensor cores with fp32 accumulation). */
    DNN(cudnnSetConvolutionMathType(p->conv, c->math != CUDA_FP32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    int n;
    cudnnConvolutionFwdAlgoPerf_t fp[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    DNN(cudnnFindConvolutionForwardAlgorithm(dnn, p->xc, p->wc, p->conv, p->yc, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n,
                                             fp));
    PICK(fp, n, p->fwd, p->ws_fwd);
    if (backward >= 2) {
        cudnnConvolutionBwdDataAlgoPerf_t dp[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        DNN(cudnnFindConvolutionBackwardDataAlgorithm(dnn, p->wc, p->yc, p->conv, p->xc,
                                                      CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, dp));
        PICK(dp, n, p->bwd_d, p->ws_bwd_d);
    }
    if (backward >= 1) {
        cudnnConvolutionBwdFilterAlgoPerf_t wp[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        DNN(cudnnFindConvolutionBackwardFilterAlgorithm(dnn, p->xc, p->yc, p->conv, p->wc,
                                                        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, wp));
        PICK(wp, n, p->bwd_w, p->ws_bwd_w);
    }
    size_t ws = p->ws_fwd > p->ws_bwd_d ? p->ws_fwd : p->ws_bwd_d;
    if (p->ws_bwd_w > ws) ws = p->ws_bwd_w;
    grow(&c->workspace, &c->workspace_cap, ws); /* planned once, shared by the context's plans */
    return p;
}

extern "C" void cuda_conv_plan_free(CudaConvPlan *p) {
    if (!p) return;
    cudnnDestroyTensorDescriptor(p->x);
    cudnnDestroyTensorDescriptor(p->y);
    cudnnDestroyTensorDescriptor(p->b);
    cudnnDestroyFilterDescriptor(p->w);
    cudnnDestroyConvolutionDescriptor(p->conv);
    if (p->bf16) {
        cudnnDestroyTensorDescriptor(p->xc);
        cudnnDestroyTensorDescriptor(p->yc);
        cudnnDestroyFilterDescriptor(p->wc);
    }
    free(p);
}

static const float ONE = 1.f, ZERO = 0.f;

/* bf16 staging: a tensor of the plan into the context's buffer `which` (channels-last bf16), and back. */
static const void *to_bf16(CudaConvPlan *p, int which, const float *x) {
    CudaCtx *c = p->c;
    BfShape t = bf_shape(p, which);
    to_channels_last_bf16<<<blocks(t.n * t.c * t.s), 256, 0, c->stream>>>(x, (__nv_bfloat16 *)c->bf[which], t.n, t.c,
                                                                          t.s);
    return c->bf[which];
}
static void from_bf16(CudaConvPlan *p, int which, float *y, int accumulate) {
    CudaCtx *c = p->c;
    BfShape t = bf_shape(p, which);
    from_channels_last_bf16<<<blocks(t.n * t.c * t.s), 256, 0, c->stream>>>((const __nv_bfloat16 *)c->bf[which], y,
                                                                            t.n, t.c, t.s, accumulate);
}

extern "C" void cuda_conv_forward(CudaConvPlan *p, const float *x, const float *w, const float *b, float *y) {
    CudaCtx *c = p->c;
    use(c);
    if (p->bf16) {
        DNN(cudnnConvolutionForward(c->dnn, &ONE, p->xc, to_bf16(p, BF_IN, x), p->wc, to_bf16(p, BF_W, w), p->conv,
                                    p->fwd, c->workspace, p->ws_fwd, &ZERO, p->yc, c->bf[BF_OUT]));
        from_bf16(p, BF_OUT, y, 0);
    } else {
        DNN(cudnnConvolutionForward(c->dnn, &ONE, p->x, x, p->w, w, p->conv, p->fwd, c->workspace, p->ws_fwd, &ZERO,
                                    p->y, y));
    }
    if (p->cs.bias) DNN(cudnnAddTensor(c->dnn, &ONE, p->b, b, &ONE, p->y, y));
}
extern "C" void cuda_conv_backward_data(CudaConvPlan *p, const float *dy, const float *w, float *dx) {
    CudaCtx *c = p->c;
    if (p->backward < 2) die("internal: CUDA conv plan built without backward-data");
    use(c);
    if (p->bf16) {
        DNN(cudnnConvolutionBackwardData(c->dnn, &ONE, p->wc, to_bf16(p, BF_W, w), p->yc, to_bf16(p, BF_OUT, dy),
                                         p->conv, p->bwd_d, c->workspace, p->ws_bwd_d, &ZERO, p->xc, c->bf[BF_IN]));
        from_bf16(p, BF_IN, dx, 0);
        return;
    }
    DNN(cudnnConvolutionBackwardData(c->dnn, &ONE, p->w, w, p->y, dy, p->conv, p->bwd_d, c->workspace, p->ws_bwd_d,
                                     &ZERO, p->x, dx));
}
extern "C" void cuda_conv_backward_weights(CudaConvPlan *p, const float *x, const float *dy, float *dw, float *db) {
    CudaCtx *c = p->c;
    if (p->backward < 1) die("internal: CUDA conv plan built for inference only");
    use(c);
    if (p->bf16) { /* the weight gradient comes out in bf16 (as PyTorch's autocast), added to dw in fp32 */
        DNN(cudnnConvolutionBackwardFilter(c->dnn, &ONE, p->xc, to_bf16(p, BF_IN, x), p->yc, to_bf16(p, BF_OUT, dy),
                                           p->conv, p->bwd_w, c->workspace, p->ws_bwd_w, &ZERO, p->wc, c->bf[BF_W]));
        from_bf16(p, BF_W, dw, 1);
    } else {
        /* beta = 1: gradients accumulate, as every backward of ops.h */
        DNN(cudnnConvolutionBackwardFilter(c->dnn, &ONE, p->x, x, p->y, dy, p->conv, p->bwd_w, c->workspace,
                                           p->ws_bwd_w, &ONE, p->w, dw));
    }
    if (p->cs.bias) DNN(cudnnConvolutionBackwardBias(c->dnn, &ONE, p->y, dy, &ONE, p->b, db));
}

/* ---------------- batch norm ---------------- */

__global__ void relu_kernel(size_t n, float *y) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n && y[i] < 0) y[i] = 0;
}
__global__ void relu_mask_kernel(size_t n, const float *dy, const float *y, float *out) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n) out[i] = y[i] > 0 ? dy[i] : 0.f;
}

static void bn_descs(Dims d, cudnnTensorDescriptor_t *x, cudnnTensorDescriptor_t *p) {
    tensor5(x, d.n, d.c, d.d, d.h, d.w);
    DNN(cudnnCreateTensorDescriptor(p));
    DNN(cudnnDeriveBNTensorDescriptor(*p, *x, CUDNN_BATCHNORM_SPATIAL));
}

extern "C" void cuda_bn_forward_train(CudaCtx *c, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                                      float *save_mean, float *save_invstd, float *run_mean, float *run_var,
                                      BNSpec bs, int relu) {
    use(c);
    cudnnTensorDescriptor_t xd, pd;
    bn_descs(d, &xd, &pd);
    DNN(cudnnBatchNormalizationForwardTraining(c->dnn, CUDNN_BATCHNORM_SPATIAL, &ONE, &ZERO, xd, x, xd, y, pd, gamma, beta,
                                               bs.momentum, run_mean, run_var, bs.eps, save_mean, save_invstd));
    if (relu) relu_kernel<<<blocks(dims_numel(d)), 256, 0, c->stream>>>(dims_numel(d), y);
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(pd);
}

extern "C" void cuda_bn_forward_eval(CudaCtx *c, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                                     const float *run_mean, const float *run_var, BNSpec bs, int relu) {
    use(c);
    cudnnTensorDescriptor_t xd, pd;
    bn_descs(d, &xd, &pd);
    DNN(cudnnBatchNormalizationForwardInference(c->dnn, CUDNN_BATCHNORM_SPATIAL, &ONE, &ZERO, xd, x, xd, y, pd, gamma, beta,
                                                run_mean, run_var, bs.eps));
    if (relu) relu_kernel<<<blocks(dims_numel(d)), 256, 0, c->stream>>>(dims_numel(d), y);
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(pd);
}

extern "C" void cuda_bn_backward(CudaCtx *c, Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                                 const float *save_mean, const float *save_invstd, float *dx, float *dgamma,
                                 float *dbeta, BNSpec bs) {
    use(c);
    size_t n = dims_numel(d);
    const float *g = dy;
    if (relu_out) {
        float *m = (float *)grow((void **)&c->scratch, &c->scratch_cap, n * sizeof(float));
        relu_mask_kernel<<<blocks(n), 256, 0, c->stream>>>(n, dy, relu_out, m);
        g = m;
    }
    use(c);
    cudnnTensorDescriptor_t xd, pd;
    bn_descs(d, &xd, &pd);
    /* parameter gradients accumulate (beta 1), the input gradient is overwritten (beta 0) */
    DNN(cudnnBatchNormalizationBackward(c->dnn, CUDNN_BATCHNORM_SPATIAL, &ONE, &ZERO, &ONE, &ONE, xd, x, xd, g, xd, dx, pd,
                                        gamma, dgamma, dbeta, bs.eps, save_mean, save_invstd));
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(pd);
}

/* ---------------- RoIAlign (mmcv 1.7, aligned = True) ---------------- */

/* One thread per output (r, c, ph, pw); backward scatters the same taps with atomics. */
__global__ void roi_align_kernel(const float *feat, float *dfeat, const float *g, int B, int C, int H, int W,
                                 const float *rois, int R, int PH, int PW, int sr, float scale, float *out) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= (size_t)R * C * PH * PW) return;
    int pw = i % PW, ph = (i / PW) % PH, c = (i / PW / PH) % C, r = i / PW / PH / C;
    const float *roi = rois + r * 5;
    int b = (int)roi[0];
    if (b < 0 || b >= B) b = 0;
    float x1, y1, bw, bh;
    int gw, gh;
    roi_geometry(roi + 1, scale, PH, PW, sr, &x1, &y1, &bw, &bh, &gw, &gh);
    float inv = 1.f / (gh * gw), acc = 0.f, go = g ? g[i] * inv : 0.f;
    size_t base = ((size_t)b * C + c) * H * W;
    for (int iy = 0; iy < gh; iy++) {
        float y = y1 + ph * bh + (iy + 0.5f) * bh / gh;
        for (int ix = 0; ix < gw; ix++) {
            float x = x1 + pw * bw + (ix + 0.5f) * bw / gw;
            int o[4];
            float w[4];
            roi_bilinear(y, x, H, W, o, w);
            for (int k = 0; k < 4; k++) {
                if (dfeat) {
                    if (w[k] != 0.f) atomicAdd(dfeat + base + o[k], w[k] * go);
                } else
                    acc += w[k] * feat[base + o[k]];
            }
        }
    }
    if (out) out[i] = acc * inv;
}

extern "C" void cuda_roi_align_forward(CudaCtx *c, const float *feat, int B, int C, int H, int W, const float *rois, int R,
                                       RoISpec rs, float *out) {
    use(c);
    size_t n = (size_t)R * C * rs.out_h * rs.out_w;
    roi_align_kernel<<<blocks(n), 256, 0, c->stream>>>(feat, NULL, NULL, B, C, H, W, rois, R, rs.out_h, rs.out_w,
                                                    rs.sampling_ratio, rs.spatial_scale, out);
}
extern "C" void cuda_roi_align_backward(CudaCtx *c, const float *dout, int B, int C, int H, int W, const float *rois, int R,
                                        RoISpec rs, float *dfeat) {
    use(c);
    size_t n = (size_t)R * C * rs.out_h * rs.out_w;
    roi_align_kernel<<<blocks(n), 256, 0, c->stream>>>(NULL, dfeat, dout, B, C, H, W, rois, R, rs.out_h, rs.out_w,
                                                    rs.sampling_ratio, rs.spatial_scale, NULL);
}

/* ---------------- optimiser ---------------- */

/* Over segments: grid (SEG_BLOCKS, nseg); each block strides through its segment. The squared norm is summed
 * deterministically: fixed per-block partials, then one block adds them in a fixed order (no atomics, so a
 * step's norm is the same on every run). */
#define SEG_BLOCKS 64
__global__ void sumsq_seg_kernel(const float *g, const Segment *seg, double *partial) {
    __shared__ double part[256];
    const Segment sg = seg[blockIdx.y];
    double s = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < sg.n; i += (size_t)gridDim.x * blockDim.x)
        s += (double)g[sg.off + i] * g[sg.off + i];
    part[threadIdx.x] = s;
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k /= 2) {
        if (threadIdx.x < k) part[threadIdx.x] += part[threadIdx.x + k];
        __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.y * gridDim.x + blockIdx.x] = part[0];
}
__global__ void sum_partials_kernel(const double *partial, int n, double *out) {
    __shared__ double part[256];
    double s = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += partial[i];
    part[threadIdx.x] = s;
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k /= 2) {
        if (threadIdx.x < k) part[threadIdx.x] += part[threadIdx.x + k];
        __syncthreads();
    }
    if (threadIdx.x == 0) *out = part[0];
}
__global__ void sgd_seg_kernel(float *w, const float *g, float *v, const Segment *seg, float lr, float mu, float wd,
                               float scale, int first) {
    const Segment sg = seg[blockIdx.y];
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < sg.n; i += (size_t)gridDim.x * blockDim.x) {
        size_t k = sg.off + i;
        float d = g[k] * scale + wd * w[k];
        if (mu != 0.f) {
            d = first ? d : mu * v[k] + d;
            v[k] = d;
        }
        w[k] -= lr * d;
    }
}

/* The segment table on the device, uploaded again only when the host's table changes (once per model). */
static const Segment *device_segments(CudaCtx *c, const Segment *seg, int nseg) {
    size_t bytes = sizeof *seg * (size_t)nseg;
    if (c->seg_n == nseg && c->seg_host && !memcmp(c->seg_host, seg, bytes)) return c->seg_dev;
    if (nseg > c->seg_cap) {
        if (c->seg_dev) CU(cudaFree(c->seg_dev));
        CU(cudaMalloc(&c->seg_dev, bytes));
        c->seg_host = (Segment *)realloc(c->seg_host, bytes);
        if (!c->seg_host) die("out of memory");
        c->seg_cap = nseg;
    }
    /* the host copy outlives the asynchronous upload: it changes only here, after the stream has used it */
    CU(cudaStreamSynchronize(c->stream));
    memcpy(c->seg_host, seg, bytes);
    c->seg_n = nseg;
    CU(cudaMemcpyAsync(c->seg_dev, c->seg_host, bytes, cudaMemcpyHostToDevice, c->stream));
    return c->seg_dev;
}

extern "C" double cuda_grad_sumsq(CudaCtx *c, const float *g, const Segment *seg, int nseg) {
    if (nseg <= 0) return 0;
    use(c);
    if (nseg > c->partial_cap) {
        if (c->partial) CU(cudaFree(c->partial));
        CU(cudaMalloc(&c->partial, sizeof(double) * SEG_BLOCKS * (size_t)nseg));
        if (!c->sum) CU(cudaMalloc(&c->sum, sizeof(double)));
        c->partial_cap = nseg;
    }
    sumsq_seg_kernel<<<dim3(SEG_BLOCKS, nseg), 256, 0, c->stream>>>(g, device_segments(c, seg, nseg), c->partial);
    sum_partials_kernel<<<1, 256, 0, c->stream>>>(c->partial, SEG_BLOCKS * nseg, c->sum);
    double h;
    cuda_download(c, &h, c->sum, sizeof h); /* the step's one wait: the clip factor needs the norm */
    return h;
}

extern "C" void cuda_sgd(CudaCtx *c, float *w, const float *g, float *v, const Segment *seg, int nseg, float lr,
                         float mu, float wd, float scale, int first) {
    if (nseg <= 0) return;
    use(c);
    sgd_seg_kernel<<<dim3(SEG_BLOCKS, nseg), 256, 0, c->stream>>>(w, g, v, device_segments(c, seg, nseg), lr, mu, wd,
                                                                   scale, first);
}

/* ---------------- the rest of the backend table ---------------- */

__global__ void add_relu_kernel(size_t n, float *y, const float *a) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n) {
        float v = y[i] + a[i];
        y[i] = v > 0 ? v : 0.f;
    }
}
__global__ void accumulate_kernel(size_t n, float *dx, const float *a, const float *relu_out) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n && (!relu_out || relu_out[i] > 0)) dx[i] += a[i];
}
__global__ void bias_rows_kernel(float *y, const float *b, int M, int N) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < (size_t)M * N) y[i] += b[i % N];
}
__global__ void bias_grad_kernel(const float *dy, float *db, int M, int N) {
    int n = blockIdx.x * blockDim.x + threadIdx.x;
    if (n >= N) return;
    float s = 0;
    for (int m = 0; m < M; m++) s += dy[(size_t)m * N + n];
    db[n] += s;
}
/* plain [N, C, S] -> [N, C] mean; one thread per (n, c) */
__global__ void avgpool_kernel(const float *x, float *y, size_t NC, size_t S) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= NC) return;
    float s = 0;
    for (size_t k = 0; k < S; k++) s += x[i * S + k];
    y[i] = s / S;
}
__global__ void avgpool_grad_kernel(const float *dy, float *dx, size_t NC, size_t S) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < NC * S) dx[i] = dy[i / S] / S;
}
/* same counter-based mask as the CPU (rng.h), so a seed gives the same dropout everywhere */
__global__ void dropout_kernel(size_t n, const float *x, float *y, uint8_t *mask, float p, uint64_t seed) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= n) return;
    uint8_t keep = p <= 0 || rng_uniform_at(seed, i) >= p;
    mask[i] = keep;
    y[i] = keep ? x[i] / (1.f - p) : 0.f;
}
__global__ void dropout_grad_kernel(size_t n, const float *dy, const uint8_t *mask, float p, float *dx) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n) dx[i] = mask[i] ? dy[i] / (1.f - p) : 0.f;
}

/* ---------------- device time by op kind (Backend.profile) ---------------- */

/* The marks so far into prof[] (waits for the last one). */
static void prof_collect(CudaCtx *c) {
    if (!c->nmarks) return;
    CU(cudaEventSynchronize(c->ev[2 * c->nmarks - 1]));
    for (int i = 0; i < c->nmarks; i++) {
        float ms = 0;
        CU(cudaEventElapsedTime(&ms, c->ev[2 * i], c->ev[2 * i + 1]));
        c->prof[c->mark_kind[i]] += ms / 1e3;
    }
    c->nmarks = 0;
}
static int mark_begin(CudaCtx *c, int kind) {
    if (!c->prof_on) return -1;
    use(c);
    if (c->nmarks == PROF_MARKS) prof_collect(c);
    int m = c->nmarks++;
    c->mark_kind[m] = kind;
    CU(cudaEventRecord(c->ev[2 * m], c->stream));
    return m;
}
static void mark_end(CudaCtx *c, int m) {
    if (m >= 0) CU(cudaEventRecord(c->ev[2 * m + 1], c->stream));
}
/* variadic: a kernel launch's <<<...>>> holds commas */
#define TIMED(c, kind, ...)                  \
    do {                                     \
        int mark_ = mark_begin((c), (kind)); \
        __VA_ARGS__;                         \
        mark_end((c), mark_);                \
    } while (0)

/* ---------------- the backend table: every entry runs in its context's CudaCtx ---------------- */

#define BE const Backend *be
#define C ((CudaCtx *)be->ctx)

static void *b_alloc(BE, size_t bytes) { return cuda_alloc(C, bytes); }
static void b_free(BE, void *p) { cuda_free(C, p); }
static void b_upload(BE, void *dst, const void *src, size_t bytes) { cuda_upload(C, dst, src, bytes); }
static void b_download(BE, void *dst, const void *src, size_t bytes) { cuda_download(C, dst, src, bytes); }
static void b_zero(BE, void *p, size_t bytes) {
    use(C);
    CU(cudaMemsetAsync(p, 0, bytes, C->stream));
}
static void b_copy(BE, void *dst, const void *src, size_t bytes) {
    use(C);
    if (dst != src) CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, C->stream));
}
static void *b_conv_plan(BE, const ConvSpec *cs, Dims in, int backward) { return cuda_conv_plan(C, cs, in, backward); }
static void b_conv_plan_free(BE, void *p) {
    (void)be;
    cuda_conv_plan_free((CudaConvPlan *)p);
}
static void b_conv_forward(BE, void *p, const float *x, const float *w, const float *b, float *y) {
    TIMED(C, PROF_CONV_FWD, cuda_conv_forward((CudaConvPlan *)p, x, w, b, y));
}
static void b_conv_backward_data(BE, void *p, const float *dy, const float *w, float *dx) {
    TIMED(C, PROF_CONV_BWD_DATA, cuda_conv_backward_data((CudaConvPlan *)p, dy, w, dx));
}
static void b_conv_backward_weights(BE, void *p, const float *x, const float *dy, float *dw, float *db) {
    TIMED(C, PROF_CONV_BWD_WEIGHTS, cuda_conv_backward_weights((CudaConvPlan *)p, x, dy, dw, db));
}
static void b_bn_forward_train(BE, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                               float *save_mean, float *save_invstd, float *run_mean, float *run_var, BNSpec bs,
                               int relu) {
    TIMED(C, PROF_BN, cuda_bn_forward_train(C, d, x, y, gamma, beta, save_mean, save_invstd, run_mean, run_var, bs, relu));
}
static void b_bn_forward_eval(BE, Dims d, const float *x, float *y, const float *gamma, const float *beta,
                              const float *run_mean, const float *run_var, BNSpec bs, int relu) {
    TIMED(C, PROF_BN, cuda_bn_forward_eval(C, d, x, y, gamma, beta, run_mean, run_var, bs, relu));
}
static void b_bn_backward(BE, Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                          const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta, BNSpec bs) {
    TIMED(C, PROF_BN, cuda_bn_backward(C, d, dy, relu_out, x, gamma, mean, invstd, dx, dgamma, dbeta, bs));
}
static void b_add_relu(BE, size_t n, float *y, const float *a) {
    use(C);
    TIMED(C, PROF_ELTWISE, add_relu_kernel<<<blocks(n), 256, 0, C->stream>>>(n, y, a));
}
static void b_relu_backward(BE, size_t n, const float *dy, const float *y, float *dx) {
    use(C);
    TIMED(C, PROF_ELTWISE, relu_mask_kernel<<<blocks(n), 256, 0, C->stream>>>(n, dy, y, dx));
}
static void b_relu_inplace(BE, size_t n, float *x) {
    use(C);
    TIMED(C, PROF_ELTWISE, relu_kernel<<<blocks(n), 256, 0, C->stream>>>(n, x));
}
static void b_accumulate(BE, size_t n, float *dx, const float *a, const float *relu_out) {
    use(C);
    TIMED(C, PROF_ELTWISE, accumulate_kernel<<<blocks(n), 256, 0, C->stream>>>(n, dx, a, relu_out));
}
static void b_roi_align_forward(BE, const float *feat, int B, int Ch, int H, int W, const float *rois, int R,
                                RoISpec rs, float *out) {
    TIMED(C, PROF_HEAD, cuda_roi_align_forward(C, feat, B, Ch, H, W, rois, R, rs, out));
}
static void b_roi_align_backward(BE, const float *dout, int B, int Ch, int H, int W, const float *rois, int R,
                                 RoISpec rs, float *dfeat) {
    TIMED(C, PROF_HEAD, cuda_roi_align_backward(C, dout, B, Ch, H, W, rois, R, rs, dfeat));
}
/* Row-major y[M,N] = x[M,K] w[N,K]^T + b, as cuBLAS's column-major y^T = w x^T. */
static void b_linear_forward(BE, const float *x, const float *w, const float *b, float *y, int M, int K, int N) {
    use(C);
    int mark = mark_begin(C, PROF_HEAD);
    BLAS(cublasSgemm(C->blas, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &ONE, w, K, x, K, &ZERO, y, N));
    if (b) bias_rows_kernel<<<blocks((size_t)M * N), 256, 0, C->stream>>>(y, b, M, N);
    mark_end(C, mark);
}
static void b_linear_backward(BE, const float *dy, const float *x, const float *w, float *dx, float *dw, float *db,
                              int M, int K, int N) {
    use(C);
    int mark = mark_begin(C, PROF_HEAD);
    BLAS(cublasSgemm(C->blas, CUBLAS_OP_N, CUBLAS_OP_T, K, N, M, &ONE, x, K, dy, N, &ONE, dw, K)); /* dw += dy^T x */
    if (db) bias_grad_kernel<<<(N + 255) / 256, 256, 0, C->stream>>>(dy, db, M, N);
    if (dx) BLAS(cublasSgemm(C->blas, CUBLAS_OP_N, CUBLAS_OP_N, K, M, N, &ONE, w, K, dy, N, &ZERO, dx, K)); /* dx = dy w */
    mark_end(C, mark);
}
static void b_avgpool_forward(BE, Dims d, const float *x, float *y) {
    use(C);
    size_t nc = (size_t)d.n * d.c, S = (size_t)d.d * d.h * d.w;
    TIMED(C, PROF_HEAD, avgpool_kernel<<<blocks(nc), 256, 0, C->stream>>>(x, y, nc, S));
}
static void b_avgpool_backward(BE, Dims d, const float *dy, float *dx) {
    use(C);
    size_t nc = (size_t)d.n * d.c, S = (size_t)d.d * d.h * d.w;
    TIMED(C, PROF_HEAD, avgpool_grad_kernel<<<blocks(nc * S), 256, 0, C->stream>>>(dy, dx, nc, S));
}
static void b_dropout_forward(BE, size_t n, const float *x, float *y, uint8_t *mask, float p, uint64_t seed) {
    use(C);
    TIMED(C, PROF_HEAD, dropout_kernel<<<blocks(n), 256, 0, C->stream>>>(n, x, y, mask, p, seed));
}
static void b_dropout_backward(BE, size_t n, const float *dy, const uint8_t *mask, float p, float *dx) {
    use(C);
    TIMED(C, PROF_HEAD, dropout_grad_kernel<<<blocks(n), 256, 0, C->stream>>>(n, dy, mask, p, dx));
}
static double b_grad_sumsq(BE, const float *g, const Segment *seg, int nseg) {
    int mark = mark_begin(C, PROF_OPTIM);
    double r = cuda_grad_sumsq(C, g, seg, nseg); /* reads back: the mark ends after the wait */
    mark_end(C, mark);
    return r;
}
static void b_sgd(BE, float *w, const float *g, float *v, const Segment *seg, int nseg, float lr, float mu, float wd,
                  float scale, int first) {
    TIMED(C, PROF_OPTIM, cuda_sgd(C, w, g, v, seg, nseg, lr, mu, wd, scale, first));
}
static void b_sync(BE) { cuda_sync(C); }
static void b_profile(BE, int on, double *sec) {
    CudaCtx *c = C;
    use(c);
    if (on && !c->ev) {
        c->ev = (cudaEvent_t *)xmalloc(2 * PROF_MARKS * sizeof *c->ev);
        for (int i = 0; i < 2 * PROF_MARKS; i++) CU(cudaEventCreate(&c->ev[i]));
    }
    prof_collect(c);
    for (int k = 0; k < PROF_N; k++) {
        if (sec) sec[k] = c->prof[k];
        c->prof[k] = 0;
    }
    c->prof_on = on;
}
static void b_close(Backend *be) {
    cuda_close(C);
    be->ctx = NULL;
}
#undef C
#undef BE

/* The plugin's entry point (src/nn/backend.c loads it with dlopen): a new context on the device. */
extern "C" Backend *fedvssl_cuda_open(int device, int math) {
    Backend *be = (Backend *)xcalloc(1, sizeof *be);
    be->ctx = cuda_open(device, math);
    be->name = "cuda";
    be->caps = math == CUDA_TF32 ? BE_TF32 : math == CUDA_BF16 ? BE_BF16 : 0;
    be->close = b_close;
    be->alloc = b_alloc;
    be->free = b_free;
    be->upload = b_upload;
    be->download = b_download;
    be->zero = b_zero;
    be->copy = b_copy;
    be->conv_plan = b_conv_plan;
    be->conv_plan_free = b_conv_plan_free;
    be->conv_forward = b_conv_forward;
    be->conv_backward_data = b_conv_backward_data;
    be->conv_backward_weights = b_conv_backward_weights;
    be->bn_forward_train = b_bn_forward_train;
    be->bn_forward_eval = b_bn_forward_eval;
    be->bn_backward = b_bn_backward;
    be->add_relu = b_add_relu;
    be->relu_backward = b_relu_backward;
    be->relu_inplace = b_relu_inplace;
    be->accumulate = b_accumulate;
    be->roi_align_forward = b_roi_align_forward;
    be->roi_align_backward = b_roi_align_backward;
    be->linear_forward = b_linear_forward;
    be->linear_backward = b_linear_backward;
    be->avgpool_forward = b_avgpool_forward;
    be->avgpool_backward = b_avgpool_backward;
    be->dropout_forward = b_dropout_forward;
    be->dropout_backward = b_dropout_backward;
    be->grad_sumsq = b_grad_sumsq;
    be->sgd = b_sgd;
    be->sync = b_sync;
    be->profile = b_profile;
    return be;
}
