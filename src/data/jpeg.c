#include "jpeg.h"

#include <math.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <jpeglib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

/* libjpeg reports errors through a callback that must not return: jump back to the caller. */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} JErr;

static void jerr_exit(j_common_ptr c) {
    JErr *e = (JErr *)c->err;
    c->err->format_message(c, e->msg);
    longjmp(e->jb, 1);
}
static void jerr_silent(j_common_ptr c, int level) { (void)c, (void)level; }

int jpeg_encode_bgr(const uint8_t *bgr, int w, int h, int quality, uint8_t **out, size_t *cap, size_t *len,
                    char *err, size_t errlen) {
    struct jpeg_compress_struct c;
    JErr je;
    unsigned char *mem = NULL;
    unsigned long msize = 0;
    c.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jerr_exit;
    if (setjmp(je.jb)) {
        snprintf(err, errlen, "JPEG encode: %s", je.msg);
        jpeg_destroy_compress(&c);
        free(mem);
        return -1;
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &msize);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_EXT_BGR;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(bgr + (size_t)c.next_scanline * 3 * w);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    if (*cap < msize) {
        *out = xrealloc(*out, msize);
        *cap = msize;
    }
    memcpy(*out, mem, msize);
    *len = msize;
    free(mem);
    return 0;
}

int jpeg_size(const uint8_t *data, size_t len, int *w, int *h, char *err, size_t errlen) {
    struct jpeg_decompress_struct d;
    JErr je;
    d.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jerr_exit;
    je.pub.emit_message = jerr_silent;
    if (setjmp(je.jb)) {
        snprintf(err, errlen, "bad JPEG: %s", je.msg);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, data, (unsigned long)len);
    jpeg_read_header(&d, TRUE);
    *w = (int)d.image_width, *h = (int)d.image_height;
    jpeg_destroy_decompress(&d);
    return 0;
}

/* Source range [*lo, *hi] a bilinear resize from n to m samples reads for outputs [o0, o0 + count):
 * s = (o + 0.5) * n / m - 0.5 and its successor, with one sample of margin each side. */
static void source_range(int n, int m, int o0, int count, int *lo, int *hi) {
    double sc = (double)n / m;
    int a = (int)floor((o0 + 0.5) * sc - 0.5) - 1, b = (int)floor((o0 + count - 0.5) * sc - 0.5) + 2;
    *lo = a < 0 ? 0 : a > n - 1 ? n - 1 : a;
    *hi = b < *lo ? *lo : b > n - 1 ? n - 1 : b;
}

int jpeg_decode_bgr(const uint8_t *data, size_t len, const JpegDecodeOptions *opts, uint8_t **out, size_t *cap,
                    int *w, int *h, char *err, size_t errlen) {
    static const JpegDecodeOptions whole = {0};
    const JpegDecodeOptions o = opts ? *opts : whole; /* a copy: nothing here changes after setjmp */
    const int tw = o.target_w, th = o.target_h;
    struct jpeg_decompress_struct d;
    JErr je;
    d.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jerr_exit;
    je.pub.emit_message = jerr_silent; /* warnings (e.g. extraneous bytes) are not fatal, as in OpenCV */
    if (len == 0) {
        snprintf(err, errlen, "bad JPEG: empty");
        return -1;
    }
    if (setjmp(je.jb)) {
        snprintf(err, errlen, "bad JPEG: %s", je.msg);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, data, (unsigned long)len);
    jpeg_read_header(&d, TRUE);
    /* before jpeg_start_decompress, which allocates in proportion to the area (all of it for progressive files) */
    if ((size_t)d.image_width * d.image_height > JPEG_MAX_PIXELS) {
        snprintf(err, errlen, "bad JPEG: %ux%u is too large for a video frame", d.image_width, d.image_height);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    d.out_color_space = JCS_EXT_BGR;
    d.scale_num = 8, d.scale_denom = 8;
    if (o.dct_scale && tw > 0 && th > 0) {
        /* smallest M/8 whose output still covers the target (output size = ceil(size*M/8)) */
        for (int m = 1; m < 8; m++) {
            long sw = ((long)d.image_width * m + 7) / 8, sh = ((long)d.image_height * m + 7) / 8;
            if (sw >= tw && sh >= th) {
                d.scale_num = (unsigned)m;
                break;
            }
        }
    }
    if (o.fast_idct) {
        d.dct_method = JDCT_IFAST;
        d.do_fancy_upsampling = FALSE;
    }
    jpeg_start_decompress(&d);
    int ow = (int)d.output_width, oh = (int)d.output_height;
    size_t need = (size_t)ow * oh * 3;
    if (*cap < need) {
        *out = xrealloc(*out, need);
        *cap = need;
    }
    int lo = 0, hi = oh - 1, xlo = 0, xhi = ow - 1;
    if (o.rows > 0 && th > 0) source_range(oh, th, o.y0, o.rows, &lo, &hi);
    if (o.cols > 0 && tw > 0) source_range(ow, tw, o.x0, o.cols, &xlo, &xhi);
    JDIMENSION xoff = (JDIMENSION)xlo, xw = (JDIMENSION)(xhi - xlo + 1);
    if (xw < (JDIMENSION)ow) jpeg_crop_scanline(&d, &xoff, &xw); /* widened to iMCU boundaries */
    if (lo > 0) jpeg_skip_scanlines(&d, (JDIMENSION)lo);
    /* libjpeg-turbo's SIMD colour conversion writes a row that starts 16-byte aligned (32 for AVX2) with
     * non-temporal stores, which bypass the cache the resize reads the row from next. Such rows are decoded
     * into a small misaligned row that stays in the cache, then copied. Measured: the test-time window's decode
     * (its cropped rows start aligned) 169 -> 138 us per 320x240 frame; the other cases change by 1-2 %. */
    JSAMPLE bounce[4096 * 3 + 64] __attribute__((aligned(64)));
    while ((int)d.output_scanline <= hi) {
        JSAMPROW dst = *out + ((size_t)d.output_scanline * ow + xoff) * 3;
        int use_bounce = xw <= 4096 && ((uintptr_t)dst & 15) == 0;
        JSAMPROW row = use_bounce ? bounce + 8 : dst;
        jpeg_read_scanlines(&d, &row, 1);
        if (use_bounce) memcpy(dst, bounce + 8, (size_t)xw * 3);
    }
    if (d.output_scanline < d.output_height) jpeg_abort_decompress(&d); /* rows below are not needed */
    else jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    *w = ow, *h = oh;
    return 0;
}
