/* The one definition of RoIAlign's sampling (mmcv 1.7 bilinear_interpolate, aligned = True), shared
 * by the CPU kernels and the CUDA kernels so that both sample exactly alike. */
#ifndef FEDVSSL_ROI_BILINEAR_H
#define FEDVSSL_ROI_BILINEAR_H

#ifdef __CUDACC__
#define ROI_FN static inline __host__ __device__
#else
#define ROI_FN static inline
#endif

/* The 4 taps (offsets y*W + x into an HxW map, and weights) of the sample point (y, x); all weights
 * are 0 for a point more than one pixel outside the map. */
ROI_FN void roi_bilinear(float y, float x, int H, int W, int *o, float *w) {
    for (int k = 0; k < 4; k++) o[k] = 0, w[k] = 0.f;
    if (y < -1.0f || y > H || x < -1.0f || x > W) return;
    if (y <= 0) y = 0;
    if (x <= 0) x = 0;
    int yl = (int)y, xl = (int)x, yh, xh;
    if (yl >= H - 1) yh = yl = H - 1, y = (float)yl;
    else yh = yl + 1;
    if (xl >= W - 1) xh = xl = W - 1, x = (float)xl;
    else xh = xl + 1;
    float ly = y - yl, lx = x - xl, hy = 1.f - ly, hx = 1.f - lx;
    o[0] = yl * W + xl, w[0] = hy * hx;
    o[1] = yl * W + xh, w[1] = hy * lx;
    o[2] = yh * W + xl, w[2] = ly * hx;
    o[3] = yh * W + xh, w[3] = ly * lx;
}

/* Bin geometry of one RoI (x1, y1, x2, y2 in image pixels): the aligned start, bin sizes and the
 * number of samples per bin along each axis. */
ROI_FN void roi_geometry(const float *box, float scale, int PH, int PW, int sampling_ratio, float *x1, float *y1,
                         float *bw, float *bh, int *gw, int *gh) {
    *x1 = box[0] * scale - 0.5f, *y1 = box[1] * scale - 0.5f;
    float x2 = box[2] * scale - 0.5f, y2 = box[3] * scale - 0.5f;
    *bh = (y2 - *y1) / PH, *bw = (x2 - *x1) / PW;
    *gh = sampling_ratio > 0 ? sampling_ratio : (int)ceilf((y2 - *y1) / PH);
    *gw = sampling_ratio > 0 ? sampling_ratio : (int)ceilf((x2 - *x1) / PW);
    if (*gh < 1) *gh = 1; /* degenerate RoI: one sample, mmcv's count = max(gh*gw, 1) */
    if (*gw < 1) *gw = 1;
}
#endif
