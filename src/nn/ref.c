/* Plain-C reference kernels (NCDHW, no blocking, no tricks) used by the tests to check the fast
 * paths, plus layout conversion between plain NCDHW and the CPU's blocked layout (cpu/cpu_ops.h). */
#include <string.h>

#include "cpu/cpu_ops.h"
#include "ref.h"

void layout_to_blocked(Dims d, const float *src, float *dst) {
    int B = dims_block(d), CB = d.c / B;
    size_t S = (size_t)d.d * d.h * d.w;
    for (int n = 0; n < d.n; n++)
        for (int c = 0; c < d.c; c++)
            for (size_t s = 0; s < S; s++)
                dst[(((size_t)n * CB + c / B) * S + s) * B + c % B] = src[((size_t)n * d.c + c) * S + s];
}

void layout_to_plain(Dims d, const float *src, float *dst) {
    int B = dims_block(d), CB = d.c / B;
    size_t S = (size_t)d.d * d.h * d.w;
    for (int n = 0; n < d.n; n++)
        for (int c = 0; c < d.c; c++)
            for (size_t s = 0; s < S; s++)
                dst[((size_t)n * d.c + c) * S + s] = src[(((size_t)n * CB + c / B) * S + s) * B + c % B];
}

/* Visits every (output, input, weight) triple of a convolution. */
#define CONV_LOOP(BODY)                                                                                  \
    for (int n = 0; n < in.n; n++)                                                                       \
        for (int co = 0; co < cs->cout; co++)                                                            \
            for (int od = 0; od < out.d; od++)                                                           \
                for (int oh = 0; oh < out.h; oh++)                                                       \
                    for (int ow = 0; ow < out.w; ow++) {                                                 \
                        size_t yi = ((((size_t)n * out.c + co) * out.d + od) * out.h + oh) * out.w + ow; \
                        for (int ci = 0; ci < cs->cin; ci++)                                             \
                            for (int kd = 0; kd < cs->k[0]; kd++) {                                      \
                                int id = od * cs->s[0] - cs->p[0] + kd;                                  \
                                if (id < 0 || id >= in.d) continue;                                      \
                                for (int kh = 0; kh < cs->k[1]; kh++) {                                  \
                                    int ih = oh * cs->s[1] - cs->p[1] + kh;                              \
                                    if (ih < 0 || ih >= in.h) continue;                                  \
                                    for (int kw = 0; kw < cs->k[2]; kw++) {                              \
                                        int iw = ow * cs->s[2] - cs->p[2] + kw;                          \
                                        if (iw < 0 || iw >= in.w) continue;                              \
                                        size_t xi = ((((size_t)n * in.c + ci) * in.d + id) * in.h + ih) * in.w + iw; \
                                        size_t wi = ((((size_t)co * cs->cin + ci) * cs->k[0] + kd) * cs->k[1] + kh) * cs->k[2] + kw; \
                                        BODY;                                                            \
                                    }                                                                    \
                                }                                                                        \
                            }                                                                            \
                    }

void ref_conv3d_forward(const ConvSpec *cs, Dims in, const float *x, const float *w, const float *b, float *y) {
    Dims out = conv_out_dims(cs, in);
    for (size_t i = 0; i < dims_numel(out); i++) y[i] = 0;
    CONV_LOOP(y[yi] += x[xi] * w[wi]);
    if (b)
        for (size_t i = 0; i < dims_numel(out); i++) y[i] += b[(i / ((size_t)out.d * out.h * out.w)) % out.c];
}

void ref_conv3d_backward(const ConvSpec *cs, Dims in, const float *x, const float *w, const float *dy, float *dx,
                         float *dw, float *db) {
    Dims out = conv_out_dims(cs, in);
    if (dx) memset(dx, 0, dims_numel(in) * sizeof(float));
    CONV_LOOP({
        if (dx) dx[xi] += dy[yi] * w[wi];
        if (dw) dw[wi] += dy[yi] * x[xi];
    });
    if (db)
        for (size_t i = 0; i < dims_numel(out); i++) db[(i / ((size_t)out.d * out.h * out.w)) % out.c] += dy[i];
}
