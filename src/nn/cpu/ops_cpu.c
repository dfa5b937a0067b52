/* CPU kernels for everything but convolution: BN, ReLU, residual add, RoIAlign, linear, pooling,
 * dropout, losses and the optimiser. OpenMP over channels/rows; inner loops over the 8 or 16 lanes of
 * the blocked layout vectorise. */
#include <dnnl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/rng.h"
#include "../../core/util.h"
#include "cpu_ops.h"
#include "../roi_bilinear.h"

/* Per channel block: lane sums over all N and spatial positions. Float partial sums over short
 * runs, double across runs, keeps the error far below fp32 resolution of the result. */
#define RUN 256
#define MAXB 16 /* largest channel block */

static inline void lane_index(Dims d, int *CB, int *B, size_t *S) {
    *B = dims_block(d);
    *CB = d.c / *B;
    *S = (size_t)d.d * d.h * d.w;
}

/* Per lane of channel block cb: sum over clips and positions of (x - c), or of (x - c)^2 when square. */
/* always_inline: square and B become constants at each call, so the inner loop vectorises. */
static inline __attribute__((always_inline)) void lane_sums(const float *x, int N, int CB, int cb, size_t S, int B,
                                                           const float *c, int square, double *out) {
    for (int j = 0; j < B; j++) out[j] = 0;
    for (int n = 0; n < N; n++) {
        const float *p = x + ((size_t)n * CB + cb) * S * B;
        for (size_t s0 = 0; s0 < S; s0 += RUN) {
            size_t s1 = s0 + RUN < S ? s0 + RUN : S;
            float part[MAXB] = {0};
            for (size_t s = s0; s < s1; s++)
                for (int j = 0; j < B; j++) {
                    float t = p[s * B + j] - c[j];
                    part[j] += square ? t * t : t;
                }
            for (int j = 0; j < B; j++) out[j] += part[j];
        }
    }
}

void bn_forward_train(Dims d, const float *x, float *y, const float *gamma, const float *beta, float *save_mean,
                      float *save_invstd, float *run_mean, float *run_var, int64_t *counter, BNSpec bs, int relu) {
    int CB, B;
    size_t S;
    lane_index(d, &CB, &B, &S);
    const double M = (double)d.n * S;
#pragma omp parallel for schedule(dynamic, 1)
    for (int cb = 0; cb < CB; cb++) {
        double sum[MAXB], sq[MAXB];
        float mean[MAXB] = {0}, inv[MAXB] = {0}, scale[MAXB] = {0}, shift[MAXB] = {0};
        static const float zero[MAXB];
        lane_sums(x, d.n, CB, cb, S, B, zero, 0, sum);
        for (int j = 0; j < B; j++) mean[j] = (float)(sum[j] / M);
        lane_sums(x, d.n, CB, cb, S, B, mean, 1, sq); /* two passes: no cancellation in the variance */
        for (int j = 0; j < B; j++) {
            int c = cb * B + j;
            double var = sq[j] / M;
            inv[j] = (float)(1.0 / sqrt(var + bs.eps));
            save_mean[c] = mean[j];
            save_invstd[c] = inv[j];
            run_mean[c] = (1 - bs.momentum) * run_mean[c] + bs.momentum * mean[j];
            run_var[c] = (1 - bs.momentum) * run_var[c] + bs.momentum * (float)(M > 1 ? var * M / (M - 1) : var);
            scale[j] = gamma[c] * inv[j];
            shift[j] = beta[c] - mean[j] * scale[j];
        }
        for (int n = 0; n < d.n; n++) {
            size_t o = ((size_t)n * CB + cb) * S * B;
            const float *p = x + o;
            float *q = y + o;
            if (B == 16) { /* constant lane counts let the compiler vectorise */
                for (size_t s = 0; s < S; s++)
                    for (int j = 0; j < 16; j++) {
                        float v = p[s * 16 + j] * scale[j] + shift[j];
                        q[s * 16 + j] = relu && v < 0 ? 0 : v;
                    }
            } else if (B == 8) {
                for (size_t s = 0; s < S; s++)
                    for (int j = 0; j < 8; j++) {
                        float v = p[s * 8 + j] * scale[j] + shift[j];
                        q[s * 8 + j] = relu && v < 0 ? 0 : v;
                    }
            } else {
                for (size_t s = 0; s < S; s++) {
                    float v = p[s] * scale[0] + shift[0];
                    q[s] = relu && v < 0 ? 0 : v;
                }
            }
        }
    }
    (void)counter;
    if (counter) (*counter)++;
}

void bn_forward_eval(Dims d, const float *x, float *y, const float *gamma, const float *beta, const float *run_mean,
                     const float *run_var, BNSpec bs, int relu) {
    int CB, B;
    size_t S;
    lane_index(d, &CB, &B, &S);
#pragma omp parallel for collapse(2)
    for (int n = 0; n < d.n; n++)
        for (int cb = 0; cb < CB; cb++) {
            float scale[MAXB] = {0}, shift[MAXB] = {0};
            for (int j = 0; j < B; j++) {
                int c = cb * B + j;
                scale[j] = gamma[c] / sqrtf(run_var[c] + bs.eps);
                shift[j] = beta[c] - run_mean[c] * scale[j];
            }
            size_t o = ((size_t)n * CB + cb) * S * B;
            for (size_t s = 0; s < S; s++)
                for (int j = 0; j < B; j++) {
                    float v = x[o + s * B + j] * scale[j] + shift[j];
                    y[o + s * B + j] = relu && v < 0 ? 0 : v;
                }
        }
}

void bn_backward(Dims d, const float *dy, const float *relu_out, const float *x, const float *gamma,
                 const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta) {
    int CB, B;
    size_t S;
    lane_index(d, &CB, &B, &S);
    const double M = (double)d.n * S;
#pragma omp parallel for schedule(dynamic, 1)
    for (int cb = 0; cb < CB; cb++) {
        double sdz[MAXB] = {0}, sdzx[MAXB] = {0};
        float mean[MAXB], inv[MAXB], k1[MAXB], k2[MAXB], k3[MAXB];
        for (int j = 0; j < B; j++) mean[j] = save_mean[cb * B + j], inv[j] = save_invstd[cb * B + j];
        for (int n = 0; n < d.n; n++) {
            size_t o = ((size_t)n * CB + cb) * S * B;
            for (size_t s0 = 0; s0 < S; s0 += RUN) {
                size_t s1 = s0 + RUN < S ? s0 + RUN : S;
                float a[MAXB] = {0}, b[MAXB] = {0};
                for (size_t s = s0; s < s1; s++)
                    for (int j = 0; j < B; j++) {
                        size_t i = o + s * B + j;
                        float g = relu_out && relu_out[i] <= 0 ? 0 : dy[i];
                        a[j] += g;
                        b[j] += g * (x[i] - mean[j]);
                    }
                for (int j = 0; j < B; j++) sdz[j] += a[j], sdzx[j] += b[j];
            }
        }
        for (int j = 0; j < B; j++) {
            int c = cb * B + j;
            double dg = sdzx[j] * inv[j]; /* sum dz * xhat */
            dgamma[c] += (float)dg;
            dbeta[c] += (float)sdz[j];
            /* dx = gamma*inv*(dz - mean(dz) - xhat*mean(dz*xhat)) = k1*dz + k2*(x-mean) + k3 */
            k1[j] = gamma[c] * inv[j];
            k2[j] = (float)(-k1[j] * dg / M * inv[j]);
            k3[j] = (float)(-k1[j] * sdz[j] / M);
        }
        for (int n = 0; n < d.n; n++) {
            size_t o = ((size_t)n * CB + cb) * S * B;
            for (size_t s = 0; s < S; s++)
                for (int j = 0; j < B; j++) {
                    size_t i = o + s * B + j;
                    float g = relu_out && relu_out[i] <= 0 ? 0 : dy[i];
                    dx[i] = k1[j] * g + k2[j] * (x[i] - mean[j]) + k3[j];
                }
        }
    }
}

void add_relu(size_t n, float *y, const float *a) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        float v = y[i] + a[i];
        y[i] = v > 0 ? v : 0;
    }
}
void relu_backward(size_t n, const float *dy, const float *y, float *dx) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
}
void relu_inplace(size_t n, float *x) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
}

/* ---- RoIAlign (mmcv 1.7 semantics, aligned = True) ---- */
typedef struct {
    int o[4];   /* offsets (y*W + x) of the 4 taps */
    float w[4]; /* their weights, already divided by the sample count */
} Tap;

/* Taps of one sample point (roi_bilinear.h) with the average's 1/count folded into the weights. */
static void roi_tap(float y, float x, int H, int W, float inv_count, Tap *t) {
    roi_bilinear(y, x, H, W, t->o, t->w);
    for (int k = 0; k < 4; k++) t->w[k] *= inv_count;
}

/* All taps of one RoI: [ph][pw][sample] -> Tap. Returns samples per bin. */
static int roi_taps(const float *roi, int H, int W, RoISpec rs, Tap *taps) {
    float x1, y1, bw, bh;
    int gw, gh;
    roi_geometry(roi + 1, rs.spatial_scale, rs.out_h, rs.out_w, rs.sampling_ratio, &x1, &y1, &bw, &bh, &gw, &gh);
    float inv = 1.f / (gh * gw);
    int k = 0;
    for (int ph = 0; ph < rs.out_h; ph++)
        for (int pw = 0; pw < rs.out_w; pw++)
            for (int iy = 0; iy < gh; iy++) {
                float y = y1 + ph * bh + (iy + 0.5f) * bh / gh;
                for (int ix = 0; ix < gw; ix++) {
                    float x = x1 + pw * bw + (ix + 0.5f) * bw / gw;
                    roi_tap(y, x, H, W, inv, &taps[k++]);
                }
            }
    return gh * gw;
}

static Tap *roi_alloc_taps(const float *rois, int R, RoISpec rs, int H, int W, int *per_bin) {
    /* With sampling_ratio 0 the sample count depends on the RoI: size for the largest. */
    int maxg = 1;
    for (int r = 0; r < R; r++) {
        float x1, y1, bw, bh;
        int gw, gh;
        roi_geometry(rois + r * 5 + 1, rs.spatial_scale, rs.out_h, rs.out_w, rs.sampling_ratio, &x1, &y1, &bw, &bh, &gw,
                     &gh);
        if (gw * gh > maxg) maxg = gw * gh;
    }
    size_t per = (size_t)rs.out_h * rs.out_w * maxg;
    Tap *t = xcalloc((size_t)R * per, sizeof(Tap));
    for (int r = 0; r < R; r++) per_bin[r] = roi_taps(rois + r * 5, H, W, rs, t + r * per);
    per_bin[R] = (int)per;
    return t;
}

void roi_align_forward(const float *feat, int B, int C, int H, int W, const float *rois, int R, RoISpec rs, float *out) {
    int *per_bin = xcalloc(R + 1, sizeof(int));
    Tap *taps = roi_alloc_taps(rois, R, rs, H, W, per_bin);
    size_t per = per_bin[R];
    int L = ops_block(C), CB = C / L, P = rs.out_h * rs.out_w;
#pragma omp parallel for collapse(2)
    for (int r = 0; r < R; r++)
        for (int cb = 0; cb < CB; cb++) {
            int b = (int)rois[r * 5];
            if (b < 0 || b >= B) b = 0; /* rois are built by the model, never from input */
            const float *f = feat + ((size_t)b * CB + cb) * H * W * L;
            const Tap *t = taps + r * per;
            for (int p = 0; p < P; p++) {
                float acc[MAXB] = {0};
                for (int k = 0; k < per_bin[r]; k++, t++)
                    for (int q = 0; q < 4; q++)
                        for (int j = 0; j < L; j++) acc[j] += t->w[q] * f[t->o[q] * L + j];
                for (int j = 0; j < L; j++) out[((size_t)r * C + cb * L + j) * P + p] = acc[j];
            }
        }
    free(taps);
    free(per_bin);
}

void roi_align_backward(const float *dout, int B, int C, int H, int W, const float *rois, int R, RoISpec rs, float *dfeat) {
    int *per_bin = xcalloc(R + 1, sizeof(int));
    Tap *taps = roi_alloc_taps(rois, R, rs, H, W, per_bin);
    size_t per = per_bin[R];
    int L = ops_block(C), CB = C / L, P = rs.out_h * rs.out_w;
    /* Parallel over channel blocks only: RoIs of one image write the same pixels. */
#pragma omp parallel for
    for (int cb = 0; cb < CB; cb++)
        for (int r = 0; r < R; r++) {
            int b = (int)rois[r * 5];
            if (b < 0 || b >= B) b = 0;
            float *f = dfeat + ((size_t)b * CB + cb) * H * W * L;
            const Tap *t = taps + r * per;
            for (int p = 0; p < P; p++) {
                float g[MAXB];
                for (int j = 0; j < L; j++) g[j] = dout[((size_t)r * C + cb * L + j) * P + p];
                for (int k = 0; k < per_bin[r]; k++, t++)
                    for (int q = 0; q < 4; q++)
                        for (int j = 0; j < L; j++) f[t->o[q] * L + j] += t->w[q] * g[j];
            }
        }
    free(taps);
    free(per_bin);
}

/* ---- linear (oneDNN's row-major sgemm: one library for all the heavy CPU math) ---- */
static void gemm(char ta, char tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc) {
    if (dnnl_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) != dnnl_success)
        die("oneDNN sgemm failed (%d x %d x %d)", M, N, K);
}

void linear_forward(const float *x, const float *w, const float *b, float *y, int M, int K, int N) {
    gemm('N', 'T', M, N, K, 1.f, x, K, w, K, 0.f, y, N);
    if (b)
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) y[(size_t)m * N + n] += b[n];
}
void linear_backward(const float *dy, const float *x, const float *w, float *dx, float *dw, float *db, int M, int K,
                     int N) {
    gemm('T', 'N', N, K, M, 1.f, dy, N, x, K, 1.f, dw, K);
    if (db)
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) db[n] += dy[(size_t)m * N + n];
    if (dx) gemm('N', 'N', M, K, N, 1.f, dy, N, w, K, 0.f, dx, K);
}

/* ---- pooling ---- */
void global_avgpool_forward(Dims d, const float *x, float *y) {
    int CB, B;
    size_t S;
    lane_index(d, &CB, &B, &S);
#pragma omp parallel for collapse(2)
    for (int n = 0; n < d.n; n++)
        for (int cb = 0; cb < CB; cb++) {
            const float *p = x + ((size_t)n * CB + cb) * S * B;
            float acc[MAXB] = {0};
            for (size_t s = 0; s < S; s++)
                for (int j = 0; j < B; j++) acc[j] += p[s * B + j];
            for (int j = 0; j < B; j++) y[(size_t)n * d.c + cb * B + j] = acc[j] / S;
        }
}
void global_avgpool_backward(Dims d, const float *dy, float *dx) {
    int CB, B;
    size_t S;
    lane_index(d, &CB, &B, &S);
#pragma omp parallel for collapse(2)
    for (int n = 0; n < d.n; n++)
        for (int cb = 0; cb < CB; cb++) {
            float *p = dx + ((size_t)n * CB + cb) * S * B;
            float g[MAXB];
            for (int j = 0; j < B; j++) g[j] = dy[(size_t)n * d.c + cb * B + j] / S;
            for (size_t s = 0; s < S; s++)
                for (int j = 0; j < B; j++) p[s * B + j] = g[j];
        }
}

/* ---- dropout (inverted: kept values scaled by 1/(1-p), as PyTorch) ---- */
void dropout_forward(size_t n, const float *x, float *y, uint8_t *mask, float p, uint64_t seed) {
    float scale = p < 1 ? 1.f / (1.f - p) : 0.f;
    for (size_t i = 0; i < n; i++) {
        mask[i] = p <= 0 || rng_uniform_at(seed, i) >= p;
        y[i] = mask[i] ? x[i] * scale : 0.f;
    }
}
void dropout_backward(size_t n, const float *dy, const uint8_t *mask, float p, float *dx) {
    float scale = p < 1 ? 1.f / (1.f - p) : 0.f;
    for (size_t i = 0; i < n; i++) dx[i] = mask[i] ? dy[i] * scale : 0.f;
}

/* ---- optimiser ---- */
double sum_squares(size_t n, const float *g) {
    double s = 0;
#pragma omp parallel for reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return s;
}

void accumulate(size_t n, float *dx, const float *a, const float *relu_out) {
    if (relu_out) {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) dx[i] += relu_out[i] > 0 ? a[i] : 0;
    } else {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) dx[i] += a[i];
    }
}

void sgd_step(size_t n, float *w, const float *g, float *v, float lr, float mu, float wd, float scale, int first) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        float d = scale * g[i] + wd * w[i];
        if (mu != 0) {
            d = first ? d : mu * v[i] + d;
            v[i] = d;
        }
        w[i] -= lr * d;
    }
}
