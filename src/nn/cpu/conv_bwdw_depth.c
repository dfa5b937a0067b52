/* Backward-weights of a 3-D convolution whose output has few frames (layer4's two), one kernel
 * depth tap at a time: for tap kd only the (clip, frame) pairs whose input frame exists contribute,
 * so the zero-padding frames (a third of the work at depth 2) are skipped, and each tap is one
 * large GEMM: dW[:, :, kd] += dY_kd [Cout x P] . col_kd [P x Cin*kh*kw]. oneDNN 2.6 has only its
 * im2col-GEMM path for these layers (~60 % of our other backward-weights rate). */
#include <dnnl.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/util.h"
#include "cpu_ops.h"

void conv_backward_weights_by_depth(const ConvSpec *cs, Dims in, const float *x, const float *dy, float *dw) {
    Dims out = conv_out_dims(cs, in);
    const int L = dims_block(in), Lo = dims_block(out), K1 = cs->k[1], K2 = cs->k[2];
    const int OHW = out.h * out.w, CinK = cs->cin * K1 * K2;
    int (*pairs)[3] = xmalloc((size_t)out.n * out.d * sizeof *pairs);
    for (int kd = 0; kd < cs->k[0]; kd++) {
        /* (clip, output frame) pairs whose input frame for this tap exists */
        int np = 0;
        for (int n = 0; n < out.n; n++)
            for (int od = 0; od < out.d; od++) {
                int id = od * cs->s[0] - cs->p[0] + kd;
                if (id >= 0 && id < in.d) pairs[np][0] = n, pairs[np][1] = od, pairs[np][2] = id, np++;
            }
        if (!np) continue;
        size_t P = (size_t)np * OHW;
        float *a = conv_depth_scratch(0, (size_t)cs->cout * P), *b = conv_depth_scratch(1, (size_t)CinK * P);
        float *c = conv_depth_scratch(2, (size_t)cs->cout * CinK);
        /* dY rows [Cout][P] from the blocked layout */
#pragma omp parallel for
        for (int co = 0; co < cs->cout; co++)
            for (int q = 0; q < np; q++) {
                const float *src = dy + (((size_t)pairs[q][0] * (out.c / Lo) + co / Lo) * out.d + pairs[q][1]) * OHW * Lo + co % Lo;
                float *dst = a + (size_t)co * P + (size_t)q * OHW;
                for (int s = 0; s < OHW; s++) dst[s] = src[(size_t)s * Lo];
            }
        /* col rows [Cin*kh*kw][P]: the input pixel each output position sees through that tap */
#pragma omp parallel for
        for (int r = 0; r < CinK; r++) {
            int ci = r / (K1 * K2), kh = (r / K2) % K1, kw = r % K2;
            for (int q = 0; q < np; q++) {
                const float *plane = x + (((size_t)pairs[q][0] * (in.c / L) + ci / L) * in.d + pairs[q][2]) * in.h * in.w * L + ci % L;
                float *dst = b + (size_t)r * P + (size_t)q * OHW;
                for (int oh = 0; oh < out.h; oh++) {
                    int ih = oh * cs->s[1] - cs->p[1] + kh;
                    for (int ow = 0; ow < out.w; ow++) {
                        int iw = ow * cs->s[2] - cs->p[2] + kw;
                        dst[oh * out.w + ow] = ih >= 0 && ih < in.h && iw >= 0 && iw < in.w
                                                   ? plane[((size_t)ih * in.w + iw) * L]
                                                   : 0.f;
                    }
                }
            }
        }
        if (dnnl_sgemm('N', 'T', cs->cout, CinK, (dnnl_dim_t)P, 1.f, a, (dnnl_dim_t)P, b, (dnnl_dim_t)P, 0.f, c, CinK) !=
            dnnl_success)
            die("oneDNN sgemm failed in backward-weights");
        /* dW[co][ci][kd][kh][kw] += C[co][(ci, kh, kw)] */
        const int K0 = cs->k[0];
#pragma omp parallel for
        for (int co = 0; co < cs->cout; co++)
            for (int r = 0; r < CinK; r++) {
                int ci = r / (K1 * K2), khw = r % (K1 * K2);
                dw[(((size_t)co * cs->cin + ci) * K0 + kd) * K1 * K2 + khw] += c[(size_t)co * CinK + r];
            }
    }
    free(pairs);
}
