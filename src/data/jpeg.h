/* JPEG encode/decode of BGR frames with libjpeg-turbo (the pixel order OpenCV uses, so frame packs match
 * what cv2.imencode writes and cv2.imread reads). */
#ifndef FEDVSSL_JPEG_H
#define FEDVSSL_JPEG_H
#include <stddef.h>
#include <stdint.h>

/* Encode a BGR24 image (row stride = 3*w) like cv2.imencode('.jpg') with default settings (quality 95,
 * 4:2:0). *out is malloc'd (reused/grown if *cap > 0). Returns 0, or -1 with err. */
int jpeg_encode_bgr(const uint8_t *bgr, int w, int h, int quality, uint8_t **out, size_t *cap, size_t *len,
                    char *err, size_t errlen);

/* Image size from the header only. */
int jpeg_size(const uint8_t *data, size_t len, int *w, int *h, char *err, size_t errlen);

/* Decode to BGR24. When min_w/min_h > 0, libjpeg-turbo's DCT scaling (M/8) is used to decode at the smallest
 * size that is still >= (min_w, min_h) — far cheaper than decoding full size and shrinking. `fast` picks the
 * integer-fast IDCT and plain chroma upsampling (slightly different pixels, ~30% faster).
 * cols, rows > 0: only the window [x0, x0 + cols) x [y0, y0 + rows) of the image resized to
 * (min_w, min_h) will be used, so only the decoded pixels a bilinear resize reads for it are filled (rows
 * skipped, columns cropped to whole iMCUs; the other bytes are undefined).
 * *out is grown as needed (capacity *cap). Returns 0, or -1 with err. */
int jpeg_decode_bgr(const uint8_t *data, size_t len, int min_w, int min_h, int x0, int cols, int y0, int rows,
                    int fast, uint8_t **out, size_t *cap, int *w, int *h, char *err, size_t errlen);

#endif
