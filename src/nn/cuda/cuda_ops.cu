// CUDA backend: cuDNN for conv3d and batch norm (algorithms chosen once per plan by measuring them,
// one workspace shared by every plan), own kernels for RoIAlign, ReLU masks, SGD and the gradient
// norm. See cuda_ops.h for the contract.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
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

static cudnnHandle_t dnn;
static cublasHandle_t blas;
static int conv_math; /* 0 fp32, 1 tf32 (cuda_set_precision) */
static cudaStream_t stream;
static cudaDeviceProp prop;
static void *workspace;
static size_t workspace_cap;
static float *scratch; /* ReLU-masked gradients for BN backward */
static size_t scratch_cap;

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

extern "C" void cuda_init(int device) {
    if (dnn) return;
    int n = cuda_device_count();
    if (n == 0) die("no CUDA device found (device=cuda needs an NVIDIA GPU and driver)");
    if (device < 0 || device >= n) die("device cuda:%d does not exist (%d device%s)", device, n, n == 1 ? "" : "s");
    CU(cudaSetDevice(device));
    CU(cudaGetDeviceProperties(&prop, device));
    CU(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    DNN(cudnnCreate(&dnn));
    DNN(cudnnSetStream(dnn, stream));
    BLAS(cublasCreate(&blas));
    BLAS(cublasSetStream(blas, stream));
    BLAS(cublasSetMathMode(blas, CUBLAS_PEDANTIC_MATH)); /* fp32: no TF32 behind our back */
}

extern "C" void cuda_set_precision(int tf32) {
    conv_math = tf32;
    if (blas) BLAS(cublasSetMathMode(blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
}

extern "C" const char *cuda_device_name(void) { return prop.name; }
extern "C" void *cuda_alloc(size_t bytes) {
    void *p = NULL;
    CU(cudaMalloc(&p, bytes ? bytes : 1));
    CU(cudaMemsetAsync(p, 0, bytes, stream));
    return p;
}
extern "C" void cuda_free(void *p) {
    if (p) CU(cudaFree(p));
}
extern "C" void cuda_upload(void *dst, const void *src, size_t bytes) {
    CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}
extern "C" void cuda_download(void *dst, const void *src, size_t bytes) {
    CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
    CU(cudaStreamSynchronize(stream));
}
extern "C" void cuda_sync(void) { CU(cudaStreamSynchronize(stream)); }

static void tensor5(cudnnTensorDescriptor_t *t, int n, int c, int d, int h, int w) {
    int dims[5] = {n, c, d, h, w}, str[5] = {c * d * h * w, d * h * w, h * w, w, 1};
    DNN(cudnnCreateTensorDescriptor(t));
    DNN(cudnnSetTensorNdDescriptor(*t, CUDNN_DATA_FLOAT, 5, dims, str));
}

/* ---------------- convolution ---------------- */

struct CudaConvPlan {
    ConvSpec cs;
    Dims in, out;
    cudnnTensorDescriptor_t x, y, b;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_d;
    cudnnConvolutionBwdFilterAlgo_t bwd_w;
    size_t ws_fwd, ws_bwd_d, ws_bwd_w;
    int backward;
};

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

extern "C" CudaConvPlan *cuda_conv_plan(const ConvSpec *cs, Dims in, int backward, int math) {
    CudaConvPlan *p = (CudaConvPlan *)xcalloc(1, sizeof *p);
    p->cs = *cs;
    p->in = in;
    p->out = conv_out_dims(cs, in);
    p->backward = backward;
    tensor5(&p->x, in.n, in.c, in.d, in.h, in.w);
    tensor5(&p->y, p->out.n, p->out.c, p->out.d, p->out.h, p->out.w);
    tensor5(&p->b, 1, cs->cout, 1, 1, 1);
    int fd[5] = {cs->cout, cs->cin, cs->k[0], cs->k[1], cs->k[2]};
    DNN(cudnnCreateFilterDescriptor(&p->w));
    DNN(cudnnSetFilterNdDescriptor(p->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 5, fd));
    int pad[3] = {cs->p[0], cs->p[1], cs->p[2]}, str[3] = {cs->s[0], cs->s[1], cs->s[2]}, dil[3] = {1, 1, 1};
    DNN(cudnnCreateConvolutionDescriptor(&p->conv));
    DNN(cudnnSetConvolutionNdDescriptor(p->conv, 3, pad, str, dil, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    /* FMA math keeps fp32 exact to the CPU's tolerance; tensor-op math lets cuDNN use TF32. */
    DNN(cudnnSetConvolutionMathType(p->conv, math ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    int n;
    cudnnConvolutionFwdAlgoPerf_t fp[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    DNN(cudnnFindConvolutionForwardAlgorithm(dnn, p->x, p->w, p->conv, p->y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, fp));
    PICK(fp, n, p->fwd, p->ws_fwd);
    if (backward >= 2) {
        cudnnConvolutionBwdDataAlgoPerf_t dp[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        DNN(cudnnFindConvolutionBackwardDataAlgorithm(dnn, p->w, p->y, p->conv, p->x,
                                                      CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, dp));
        PICK(dp, n, p->bwd_d, p->ws_bwd_d);
    }
    if (backward >= 1) {
        cudnnConvolutionBwdFilterAlgoPerf_t wp[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        DNN(cudnnFindConvolutionBackwardFilterAlgorithm(dnn, p->x, p->y, p->conv, p->w,
                                                        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, wp));
        PICK(wp, n, p->bwd_w, p->ws_bwd_w);
    }
    size_t ws = p->ws_fwd > p->ws_bwd_d ? p->ws_fwd : p->ws_bwd_d;
    if (p->ws_bwd_w > ws) ws = p->ws_bwd_w;
    grow(&workspace, &workspace_cap, ws); /* planned once, shared by every plan */
    return p;
}

extern "C" void cuda_conv_plan_free(CudaConvPlan *p) {
    if (!p) return;
    cudnnDestroyTensorDescriptor(p->x);
    cudnnDestroyTensorDescriptor(p->y);
    cudnnDestroyTensorDescriptor(p->b);
    cudnnDestroyFilterDescriptor(p->w);
    cudnnDestroyConvolutionDescriptor(p->conv);
    free(p);
}

static const float ONE = 1.f, ZERO = 0.f;

extern "C" void cuda_conv_forward(CudaConvPlan *p, const float *x, const float *w, const float *b, float *y) {
    DNN(cudnnConvolutionForward(dnn, &ONE, p->x, x, p->w, w, p->conv, p->fwd, workspace, p->ws_fwd, &ZERO, p->y, y));
    if (p->cs.bias) DNN(cudnnAddTensor(dnn, &ONE, p->b, b, &ONE, p->y, y));
}
extern "C" void cuda_conv_backward_data(CudaConvPlan *p, const float *dy, const float *w, float *dx) {
    if (p->backward < 2) die("internal: CUDA conv plan built without backward-data");
    DNN(cudnnConvolutionBackwardData(dnn, &ONE, p->w, w, p->y, dy, p->conv, p->bwd_d, workspace, p->ws_bwd_d, &ZERO,
                                     p->x, dx));
}
extern "C" void cuda_conv_backward_weights(CudaConvPlan *p, const float *x, const float *dy, float *dw, float *db) {
    if (p->backward < 1) die("internal: CUDA conv plan built for inference only");
    /* beta = 1: gradients accumulate, as every backward of ops.h */
    DNN(cudnnConvolutionBackwardFilter(dnn, &ONE, p->x, x, p->y, dy, p->conv, p->bwd_w, workspace, p->ws_bwd_w, &ONE,
                                       p->w, dw));
    if (p->cs.bias) DNN(cudnnConvolutionBackwardBias(dnn, &ONE, p->y, dy, &ONE, p->b, db));
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
static unsigned blocks(size_t n) { return (unsigned)((n + 255) / 256); }

static void bn_descs(Dims d, cudnnTensorDescriptor_t *x, cudnnTensorDescriptor_t *p) {
    tensor5(x, d.n, d.c, d.d, d.h, d.w);
    DNN(cudnnCreateTensorDescriptor(p));
    DNN(cudnnDeriveBNTensorDescriptor(*p, *x, CUDNN_BATCHNORM_SPATIAL));
}

extern "C" void cuda_bn_forward_train(Dims d, const float *x, float *y, const float *gamma, const float *beta,
                                      float *save_mean, float *save_invstd, float *run_mean, float *run_var,
                                      BNSpec bs, int relu) {
    cudnnTensorDescriptor_t xd, pd;
    bn_descs(d, &xd, &pd);
    DNN(cudnnBatchNormalizationForwardTraining(dnn, CUDNN_BATCHNORM_SPATIAL, &ONE, &ZERO, xd, x, xd, y, pd, gamma, beta,
                                               bs.momentum, run_mean, run_var, bs.eps, save_mean, save_invstd));
    if (relu) relu_kernel<<<blocks(dims_numel(d)), 256, 0, stream>>>(dims_numel(d), y);
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(pd);
}

extern "C" void cuda_bn_forward_eval(Dims d, const float *x, float *y, const float *gamma, const float *beta,
                                     const float *run_mean, const float *run_var, BNSpec bs, int relu) {
    cudnnTensorDescriptor_t xd, pd;
    bn_descs(d, &xd, &pd);
    DNN(cudnnBatchNormalizationForwardInference(dnn, CUDNN_BATCHNORM_SPATIAL, &ONE, &ZERO, xd, x, xd, y, pd, gamma, beta,
                                                run_mean, run_var, bs.eps));
    if (relu) relu_kernel<<<blocks(dims_numel(d)), 256, 0, stream>>>(dims_numel(d), y);
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(pd);
}

extern "C" void cuda_bn_backward(Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                                 const float *save_mean, const float *save_invstd, float *dx, float *dgamma,
                                 float *dbeta, BNSpec bs) {
    size_t n = dims_numel(d);
    const float *g = dy;
    if (relu_out) {
        float *m = (float *)grow((void **)&scratch, &scratch_cap, n * sizeof(float));
        relu_mask_kernel<<<blocks(n), 256, 0, stream>>>(n, dy, relu_out, m);
        g = m;
    }
    cudnnTensorDescriptor_t xd, pd;
    bn_descs(d, &xd, &pd);
    /* parameter gradients accumulate (beta 1), the input gradient is overwritten (beta 0) */
    DNN(cudnnBatchNormalizationBackward(dnn, CUDNN_BATCHNORM_SPATIAL, &ONE, &ZERO, &ONE, &ONE, xd, x, xd, g, xd, dx, pd,
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

extern "C" void cuda_roi_align_forward(const float *feat, int B, int C, int H, int W, const float *rois, int R,
                                       RoISpec rs, float *out) {
    size_t n = (size_t)R * C * rs.out_h * rs.out_w;
    roi_align_kernel<<<blocks(n), 256, 0, stream>>>(feat, NULL, NULL, B, C, H, W, rois, R, rs.out_h, rs.out_w,
                                                    rs.sampling_ratio, rs.spatial_scale, out);
}
extern "C" void cuda_roi_align_backward(const float *dout, int B, int C, int H, int W, const float *rois, int R,
                                        RoISpec rs, float *dfeat) {
    size_t n = (size_t)R * C * rs.out_h * rs.out_w;
    roi_align_kernel<<<blocks(n), 256, 0, stream>>>(NULL, dfeat, dout, B, C, H, W, rois, R, rs.out_h, rs.out_w,
                                                    rs.sampling_ratio, rs.spatial_scale, NULL);
}

/* ---------------- optimiser ---------------- */

__global__ void sgd_kernel(size_t n, float *w, const float *g, float *v, float lr, float mu, float wd, float scale,
                           int first) {
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float d = g[i] * scale + wd * w[i];
    if (mu != 0.f) {
        d = first ? d : mu * v[i] + d;
        v[i] = d;
    }
    w[i] -= lr * d;
}
extern "C" void cuda_sgd_step(size_t n, float *w, const float *g, float *v, float lr, float mu, float wd, float scale,
                              int first) {
    sgd_kernel<<<blocks(n), 256, 0, stream>>>(n, w, g, v, lr, mu, wd, scale, first);
}

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
static const Segment *device_segments(const Segment *seg, int nseg) {
    static Segment *dev, *host;
    static int cap, n;
    if (n == nseg && host && !memcmp(host, seg, sizeof *seg * (size_t)nseg)) return dev;
    if (nseg > cap) {
        if (dev) CU(cudaFree(dev));
        CU(cudaMalloc(&dev, sizeof *seg * (size_t)nseg));
        host = (Segment *)realloc(host, sizeof *seg * (size_t)nseg);
        cap = nseg;
    }
    memcpy(host, seg, sizeof *seg * (size_t)nseg);
    n = nseg;
    CU(cudaMemcpyAsync(dev, host, sizeof *seg * (size_t)nseg, cudaMemcpyHostToDevice, stream));
    return dev;
}

extern "C" double cuda_grad_sumsq(const float *g, const Segment *seg, int nseg) {
    static double *partial, *out;
    static int cap;
    if (nseg <= 0) return 0;
    if (nseg > cap) {
        if (partial) CU(cudaFree(partial));
        CU(cudaMalloc(&partial, sizeof(double) * SEG_BLOCKS * (size_t)nseg));
        if (!out) CU(cudaMalloc(&out, sizeof(double)));
        cap = nseg;
    }
    sumsq_seg_kernel<<<dim3(SEG_BLOCKS, nseg), 256, 0, stream>>>(g, device_segments(seg, nseg), partial);
    sum_partials_kernel<<<1, 256, 0, stream>>>(partial, SEG_BLOCKS * nseg, out);
    double h;
    cuda_download(&h, out, sizeof h); /* the step's one wait: the clip factor needs the norm */
    return h;
}

extern "C" void cuda_sgd(float *w, const float *g, float *v, const Segment *seg, int nseg, float lr, float mu,
                         float wd, float scale, int first) {
    if (nseg <= 0) return;
    sgd_seg_kernel<<<dim3(SEG_BLOCKS, nseg), 256, 0, stream>>>(w, g, v, device_segments(seg, nseg), lr, mu, wd,
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

static void *b_alloc(size_t bytes) { return cuda_alloc(bytes); }
static void b_zero(void *p, size_t bytes) { CU(cudaMemsetAsync(p, 0, bytes, stream)); }
static void b_copy(void *dst, const void *src, size_t bytes) {
    if (dst != src) CU(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
}
static void *b_conv_plan(const ConvSpec *cs, Dims in, int backward) { return cuda_conv_plan(cs, in, backward, conv_math); }
static void b_conv_plan_free(void *p) { cuda_conv_plan_free((CudaConvPlan *)p); }
static void b_conv_forward(void *p, const float *x, const float *w, const float *b, float *y) {
    cuda_conv_forward((CudaConvPlan *)p, x, w, b, y);
}
static void b_conv_backward_data(void *p, const float *dy, const float *w, float *dx) {
    cuda_conv_backward_data((CudaConvPlan *)p, dy, w, dx);
}
static void b_conv_backward_weights(void *p, const float *x, const float *dy, float *dw, float *db) {
    cuda_conv_backward_weights((CudaConvPlan *)p, x, dy, dw, db);
}
static void b_add_relu(size_t n, float *y, const float *a) { add_relu_kernel<<<blocks(n), 256, 0, stream>>>(n, y, a); }
static void b_relu_backward(size_t n, const float *dy, const float *y, float *dx) {
    relu_mask_kernel<<<blocks(n), 256, 0, stream>>>(n, dy, y, dx);
}
static void b_relu_inplace(size_t n, float *x) { relu_kernel<<<blocks(n), 256, 0, stream>>>(n, x); }
static void b_accumulate(size_t n, float *dx, const float *a, const float *relu_out) {
    accumulate_kernel<<<blocks(n), 256, 0, stream>>>(n, dx, a, relu_out);
}
/* Row-major y[M,N] = x[M,K] w[N,K]^T + b, as cuBLAS's column-major y^T = w x^T. */
static void b_linear_forward(const float *x, const float *w, const float *b, float *y, int M, int K, int N) {
    BLAS(cublasSgemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &ONE, w, K, x, K, &ZERO, y, N));
    if (b) bias_rows_kernel<<<blocks((size_t)M * N), 256, 0, stream>>>(y, b, M, N);
}
static void b_linear_backward(const float *dy, const float *x, const float *w, float *dx, float *dw, float *db, int M,
                              int K, int N) {
    BLAS(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_T, K, N, M, &ONE, x, K, dy, N, &ONE, dw, K)); /* dw += dy^T x */
    if (db) bias_grad_kernel<<<(N + 255) / 256, 256, 0, stream>>>(dy, db, M, N);
    if (dx) BLAS(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_N, K, M, N, &ONE, w, K, dy, N, &ZERO, dx, K)); /* dx = dy w */
}
static void b_avgpool_forward(Dims d, const float *x, float *y) {
    size_t nc = (size_t)d.n * d.c, S = (size_t)d.d * d.h * d.w;
    avgpool_kernel<<<blocks(nc), 256, 0, stream>>>(x, y, nc, S);
}
static void b_avgpool_backward(Dims d, const float *dy, float *dx) {
    size_t nc = (size_t)d.n * d.c, S = (size_t)d.d * d.h * d.w;
    avgpool_grad_kernel<<<blocks(nc * S), 256, 0, stream>>>(dy, dx, nc, S);
}
static void b_dropout_forward(size_t n, const float *x, float *y, uint8_t *mask, float p, uint64_t seed) {
    dropout_kernel<<<blocks(n), 256, 0, stream>>>(n, x, y, mask, p, seed);
}
static void b_dropout_backward(size_t n, const float *dy, const uint8_t *mask, float p, float *dx) {
    dropout_grad_kernel<<<blocks(n), 256, 0, stream>>>(n, dy, mask, p, dx);
}
static void b_bn_backward(Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                          const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta, BNSpec bs) {
    cuda_bn_backward(d, dy, relu_out, x, gamma, mean, invstd, dx, dgamma, dbeta, bs);
}

/* The plugin's entry point (src/nn/backend.c loads it with dlopen). */
extern "C" const Backend *fedvssl_cuda_backend(int device) {
    static Backend be;
    cuda_init(device);
    be.name = "cuda";
    be.caps = BE_TF32;
    be.alloc = b_alloc;
    be.free = cuda_free;
    be.upload = cuda_upload;
    be.download = cuda_download;
    be.zero = b_zero;
    be.copy = b_copy;
    be.conv_plan = b_conv_plan;
    be.conv_plan_free = b_conv_plan_free;
    be.conv_forward = b_conv_forward;
    be.conv_backward_data = b_conv_backward_data;
    be.conv_backward_weights = b_conv_backward_weights;
    be.bn_forward_train = cuda_bn_forward_train;
    be.bn_forward_eval = cuda_bn_forward_eval;
    be.bn_backward = b_bn_backward;
    be.add_relu = b_add_relu;
    be.relu_backward = b_relu_backward;
    be.relu_inplace = b_relu_inplace;
    be.accumulate = b_accumulate;
    be.roi_align_forward = cuda_roi_align_forward;
    be.roi_align_backward = cuda_roi_align_backward;
    be.linear_forward = b_linear_forward;
    be.linear_backward = b_linear_backward;
    be.avgpool_forward = b_avgpool_forward;
    be.avgpool_backward = b_avgpool_backward;
    be.dropout_forward = b_dropout_forward;
    be.dropout_backward = b_dropout_backward;
    be.grad_sumsq = cuda_grad_sumsq;
    be.sgd = cuda_sgd;
    be.sync = cuda_sync;
    return &be;
}
