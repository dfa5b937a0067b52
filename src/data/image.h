/* Pixel operations with OpenCV's exact arithmetic where the reference uses OpenCV: bilinear resize
 * (cv2.resize INTER_LINEAR, fixed-point for uint8) and 8-bit BGR<->HSV (H in [0,180)). Images are
 * interleaved, row stride = width * channels. */
#ifndef FEDVSSL_IMAGE_H
#define FEDVSSL_IMAGE_H
#include <stdint.h>

/* cv2.resize(src, (dw, dh)) for uint8 images with cn channels. */
void resize_u8(const uint8_t *src, int sw, int sh, int cn, uint8_t *dst, int dw, int dh);
/* The window [x0, x0+cw) x [y0, y0+ch) of cv2.resize(src, (dw, dh)), computed directly (pixels outside the
 * window are never computed); with flip, the window of the horizontally mirrored resized image instead, i.e.
 * crop(flip(resize(src)), x0, y0). This is scale + flip + crop of the reference in one pass. */
void resize_u8_window(const uint8_t *src, int sw, int sh, int cn, int dw, int dh, int x0, int y0, int cw, int ch,
                      int flip, uint8_t *dst);
/* cv2.resize for single-channel float32. */
void resize_f32(const float *src, int sw, int sh, float *dst, int dw, int dh);

/* cv2.cvtColor(COLOR_BGR2HSV) / (COLOR_HSV2BGR) for n pixels (in place allowed). */
void bgr2hsv_u8(const uint8_t *bgr, uint8_t *hsv, int n);
void hsv2bgr_u8(const uint8_t *hsv, uint8_t *bgr, int n);

#endif
