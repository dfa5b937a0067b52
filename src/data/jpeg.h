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

/* How to decode a frame that is resized to (target_w, target_h) next and of which only a window is used.
 * Zero-initialised (or a NULL pointer): the whole image at full size, as cv2.imdecode. */
typedef struct {
    int target_w, target_h; /* size of the bilinear resize that follows (0: unknown; the window is ignored) */
    int x0, cols, y0, rows; /* window [x0, x0 + cols) x [y0, y0 + rows) of the resized image that is used; 0 cols
                               or rows: all. Only the decoded pixels a bilinear resize reads for it are filled
                               (rows skipped, columns cropped to whole iMCUs; the other bytes are undefined) --
                               those pixels are bit-identical to a decode of everything. */
    int dct_scale;          /* decode at the smallest M/8 size still >= the target (libjpeg-turbo DCT scaling):
                               far cheaper, but the pixels differ from a full decode + resize (opt-in) */
    int fast_idct;          /* integer-fast IDCT and plain chroma upsampling (~30 % faster, other pixels) */
} JpegDecodeOptions;

/* The most pixels a frame may have: 8K video is 33 M; a larger header is corrupt or hostile. */
#define JPEG_MAX_PIXELS ((size_t)1 << 26)

/* Decode to BGR24 (what cv2.imdecode IMREAD_COLOR returns), at full size unless o->dct_scale. The decoded
 * size goes to *w, *h. *out is grown as needed (capacity *cap). Returns 0, or -1 with err (also for a frame
 * of more than JPEG_MAX_PIXELS, refused before anything in proportion to its size is allocated). */
int jpeg_decode_bgr(const uint8_t *data, size_t len, const JpegDecodeOptions *o, uint8_t **out, size_t *cap, int *w,
                    int *h, char *err, size_t errlen);

#endif
