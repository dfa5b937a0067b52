/* The host-side losses and the clip rule: backend-neutral (every backend downloads the few hundred
 * prediction values the losses need and uploads their gradients), so they are written once. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ops.h"

/* ---- losses ---- */
float cross_entropy(const float *logits, const int64_t *labels, int M, int N, float *dlogits) {
    double loss = 0;
    for (int m = 0; m < M; m++) {
        const float *z = logits + (size_t)m * N;
        float mx = z[0];
        for (int n = 1; n < N; n++) mx = z[n] > mx ? z[n] : mx;
        double se = 0;
        for (int n = 0; n < N; n++) se += exp((double)z[n] - mx);
        double lse = mx + log(se);
        int64_t y = labels[m];
        loss += lse - z[y];
        if (dlogits)
            for (int n = 0; n < N; n++)
                dlogits[(size_t)m * N + n] = (float)((exp(z[n] - lse) - (n == y)) / M);
    }
    return (float)(loss / M);
}

void smooth_l1_ctp(const float *pred, const float *target, const float *weight, int rows, float beta, float count,
                   float *loss_ctr, float *loss_size, float *dpred) {
    double lc = 0, ls = 0;
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < 4; k++) {
            int i = r * 4 + k;
            float d = pred[i] - target[i], ad = fabsf(d), wgt = weight ? weight[r] : 1.f;
            float l = ad < beta ? 0.5f * d * d / beta : ad - 0.5f * beta;
            float g = ad < beta ? d / beta : (d > 0 ? 1.f : -1.f);
            if (k < 2) lc += wgt * l;
            else ls += wgt * l;
            dpred[i] = wgt * g / count;
        }
    *loss_ctr = (float)(lc / count);
    *loss_size = (float)(ls / count);
}

float clip_scale(double norm, double max_norm) {
    double coef = max_norm > 0 ? max_norm / (norm + 1e-6) : 1;
    return coef < 1 ? (float)coef : 1.f;
}

