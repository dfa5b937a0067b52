#ifndef FEDVSSL_NO_VIDEO
#include "video.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/util.h"

static void quiet_once(void) { av_log_set_level(AV_LOG_QUIET); }
static pthread_once_t quiet = PTHREAD_ONCE_INIT;

/* The codec of the first video stream, for "no decoder" messages: its FourCC as the file has it, else FFmpeg's name. */
static const char *codec_name(AVFormatContext *fmt) {
    static _Thread_local char b[64];
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVCodecParameters *p = fmt->streams[i]->codecpar;
        if (p->codec_type != AVMEDIA_TYPE_VIDEO) continue;
        uint32_t t = p->codec_tag;
        if (!t) return avcodec_get_name(p->codec_id);
        char c[4];
        for (int k = 0; k < 4; k++) {
            unsigned char x = (t >> (8 * k)) & 0xff;
            c[k] = x >= 0x20 && x < 0x7f ? (char)x : '?';
        }
        snprintf(b, sizeof b, "FourCC '%.4s'", c);
        return b;
    }
    return "unknown";
}

static void averr(char *err, size_t errlen, const char *path, const char *what, int code) {
    char b[AV_ERROR_MAX_STRING_SIZE] = "";
    if (code) av_strerror(code, b, sizeof b);
    snprintf(err, errlen, "%s: %s%s%s", path, what, code ? ": " : "", b);
}

int video_decode(const char *path, VideoFrameFn fn, void *ctx, char *err, size_t errlen) {
    pthread_once(&quiet, quiet_once); /* our own messages name the file; libav's chatter is noise */
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *fr = NULL;
    struct SwsContext *sws = NULL;
    uint8_t *bgr = NULL;
    int n = -1, r, sw = 0, sh = 0, sfmt = -1, stop = 0, damaged = 0, cut = 0;
    if (errlen) err[0] = 0;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
        averr(err, errlen, path, "empty file (0 bytes)", 0);
        return -1;
    }
    if ((r = avformat_open_input(&fmt, path, NULL, NULL)) < 0) {
        averr(err, errlen, path, "cannot open video (not a video file, or its header is damaged)", r);
        return -1;
    }
    if ((r = avformat_find_stream_info(fmt, NULL)) < 0) {
        averr(err, errlen, path, "cannot read stream info", r);
        goto done;
    }
    const AVCodec *codec = NULL;
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si < 0 || !codec) {
        if (si == AVERROR_DECODER_NOT_FOUND) {
            char what[128];
            snprintf(what, sizeof what, "no decoder for the video codec (%s)", codec_name(fmt));
            averr(err, errlen, path, what, 0);
        } else
            averr(err, errlen, path, "no video stream", 0);
        goto done;
    }
    int64_t promised = fmt->streams[si]->nb_frames; /* the container's count (AVI: the header), 0 if unknown */
    dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar);
    dec->thread_count = 1; /* prepare runs one video per core already */
    if ((r = avcodec_open2(dec, codec, NULL)) < 0) {
        averr(err, errlen, path, "cannot open decoder", r);
        goto done;
    }
    pkt = av_packet_alloc();
    fr = av_frame_alloc();
    int count = 0, eof = 0;
    while (!stop) {
        if (!eof) {
            r = av_read_frame(fmt, pkt);
            if (r == AVERROR_EOF) {
                eof = 1;
                avcodec_send_packet(dec, NULL); /* flush delayed frames */
            } else if (r < 0) {
                averr(err, errlen, path, "read error", r);
                goto done;
            } else {
                if (pkt->stream_index == si) {
                    /* Damaged packets inside an otherwise readable file are skipped like OpenCV does (and
                     * counted for the warning below); a file with no decodable frame at all still fails. */
                    if (avcodec_send_packet(dec, pkt) < 0) damaged++;
                }
                av_packet_unref(pkt);
            }
        }
        for (;;) {
            r = avcodec_receive_frame(dec, fr);
            if (r == AVERROR(EAGAIN)) {
                if (eof) stop = 1; /* flushed and nothing left */
                break;
            }
            if (r == AVERROR_EOF) {
                stop = 1;
                break;
            }
            if (r < 0) {
                if (eof) {
                    stop = 1;
                    break;
                }
                break;
            }
            if (fr->width <= 0 || fr->height <= 0) continue;
            if (!sws || fr->width != sw || fr->height != sh || fr->format != sfmt) {
                sws_freeContext(sws);
                sw = fr->width, sh = fr->height, sfmt = fr->format;
                sws = sws_getContext(sw, sh, (enum AVPixelFormat)sfmt, sw, sh, AV_PIX_FMT_BGR24,
                                     SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
                if (!sws) {
                    averr(err, errlen, path, "unsupported pixel format", 0);
                    goto done;
                }
                free(bgr);
                bgr = xmalloc((size_t)sw * sh * 3);
            }
            uint8_t *dst[4] = {bgr, NULL, NULL, NULL};
            int dstride[4] = {3 * sw, 0, 0, 0};
            sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0, sh, dst, dstride);
            av_frame_unref(fr);
            if (fn && fn(bgr, sw, sh, count, ctx)) {
                stop = cut = 1;
                count++;
                break;
            }
            count++;
        }
    }
    if (count == 0) {
        averr(err, errlen, path, "no decodable video frame", 0);
        goto done;
    }
    n = count;
    /* Decodable but short (a truncated download) or damaged: the frames are kept, the caller says so. A few
     * frames fewer than the header's count is common in intact AVIs (placeholder packets of packed B-frames,
     * encoder delay): only more than 2 frames and 2 % is reported. */
    int64_t missing = promised - count;
    if (!cut && errlen && (damaged || (missing > 2 && missing * 50 > promised))) {
        int k = snprintf(err, errlen, "%s: %d frames decoded", path, count);
        if (missing > 0 && k > 0 && (size_t)k < errlen)
            k += snprintf(err + k, errlen - (size_t)k, " of the %lld its header declares (truncated?)", (long long)promised);
        if (damaged && k > 0 && (size_t)k < errlen)
            snprintf(err + k, errlen - (size_t)k, ", %d damaged packet%s skipped", damaged, damaged == 1 ? "" : "s");
    }
done:
    sws_freeContext(sws);
    free(bgr);
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return n;
}

struct VideoWriter {
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *fr;
    AVPacket *pkt;
    struct SwsContext *sws;
    int w, h;
    int64_t pts;
    char *path;
};

static int drain(VideoWriter *vw, char *err, size_t errlen) {
    int r;
    while ((r = avcodec_receive_packet(vw->enc, vw->pkt)) >= 0) {
        av_packet_rescale_ts(vw->pkt, vw->enc->time_base, vw->st->time_base);
        vw->pkt->stream_index = vw->st->index;
        if ((r = av_interleaved_write_frame(vw->fmt, vw->pkt)) < 0) {
            averr(err, errlen, vw->path, "write error", r);
            return -1;
        }
    }
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 0;
    averr(err, errlen, vw->path, "encoder error", r);
    return -1;
}

static void writer_free(VideoWriter *vw) {
    if (!vw) return;
    sws_freeContext(vw->sws);
    av_frame_free(&vw->fr);
    av_packet_free(&vw->pkt);
    avcodec_free_context(&vw->enc);
    if (vw->fmt) {
        if (vw->fmt->pb) avio_closep(&vw->fmt->pb);
        avformat_free_context(vw->fmt);
    }
    free(vw->path);
    free(vw);
}

VideoWriter *video_writer_open(const char *path, int w, int h, int fps, int q, char *err, size_t errlen) {
    pthread_once(&quiet, quiet_once);
    VideoWriter *vw = xcalloc(1, sizeof *vw);
    vw->path = xstrdup(path);
    vw->w = w, vw->h = h;
    int r;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    if (!codec) {
        averr(err, errlen, path, "this FFmpeg has no MPEG-4 encoder", 0);
        goto fail;
    }
    if ((r = avformat_alloc_output_context2(&vw->fmt, NULL, "avi", path)) < 0) {
        averr(err, errlen, path, "cannot create AVI muxer", r);
        goto fail;
    }
    vw->fmt->flags |= AVFMT_FLAG_BITEXACT; /* no library version strings: bytes depend on frames only */
    vw->enc = avcodec_alloc_context3(codec);
    vw->enc->width = w, vw->enc->height = h;
    vw->enc->time_base = (AVRational){1, fps};
    vw->enc->framerate = (AVRational){fps, 1};
    vw->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    vw->enc->gop_size = 12;
    vw->enc->max_b_frames = 0;
    vw->enc->thread_count = 1;
    vw->enc->codec_tag = MKTAG('X', 'V', 'I', 'D');
    vw->enc->flags |= AV_CODEC_FLAG_QSCALE | AV_CODEC_FLAG_BITEXACT;
    vw->enc->global_quality = FF_QP2LAMBDA * q;
    if (vw->fmt->oformat->flags & AVFMT_GLOBALHEADER) vw->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((r = avcodec_open2(vw->enc, codec, NULL)) < 0) {
        averr(err, errlen, path, "cannot open MPEG-4 encoder", r);
        goto fail;
    }
    vw->st = avformat_new_stream(vw->fmt, NULL);
    avcodec_parameters_from_context(vw->st->codecpar, vw->enc);
    vw->st->time_base = vw->enc->time_base;
    if ((r = avio_open(&vw->fmt->pb, path, AVIO_FLAG_WRITE)) < 0) {
        averr(err, errlen, path, "cannot create file", r);
        goto fail;
    }
    if ((r = avformat_write_header(vw->fmt, NULL)) < 0) {
        averr(err, errlen, path, "cannot write AVI header", r);
        goto fail;
    }
    vw->fr = av_frame_alloc();
    vw->fr->format = AV_PIX_FMT_YUV420P, vw->fr->width = w, vw->fr->height = h;
    if (av_frame_get_buffer(vw->fr, 0) < 0) {
        averr(err, errlen, path, "out of memory", 0);
        goto fail;
    }
    vw->pkt = av_packet_alloc();
    vw->sws = sws_getContext(w, h, AV_PIX_FMT_BGR24, w, h, AV_PIX_FMT_YUV420P, SWS_BILINEAR | SWS_ACCURATE_RND, NULL,
                             NULL, NULL);
    return vw;
fail:
    writer_free(vw);
    return NULL;
}

int video_writer_add(VideoWriter *vw, const uint8_t *bgr, char *err, size_t errlen) {
    if (av_frame_make_writable(vw->fr) < 0) {
        averr(err, errlen, vw->path, "out of memory", 0);
        return -1;
    }
    const uint8_t *src[4] = {bgr, NULL, NULL, NULL};
    int sstride[4] = {3 * vw->w, 0, 0, 0};
    sws_scale(vw->sws, src, sstride, 0, vw->h, vw->fr->data, vw->fr->linesize);
    vw->fr->pts = vw->pts++;
    int r = avcodec_send_frame(vw->enc, vw->fr);
    if (r < 0) {
        averr(err, errlen, vw->path, "encoder error", r);
        return -1;
    }
    return drain(vw, err, errlen);
}

int video_writer_close(VideoWriter *vw, char *err, size_t errlen) {
    int rc = 0;
    avcodec_send_frame(vw->enc, NULL);
    if (drain(vw, err, errlen)) rc = -1;
    int r = av_write_trailer(vw->fmt);
    if (!rc && r < 0) averr(err, errlen, vw->path, "cannot finish AVI file", r), rc = -1;
    writer_free(vw);
    return rc;
}

#else
/* Built without FFmpeg's libraries (e.g. a GPU machine without them): the video commands say so. */
#include <stdio.h>

#include "video.h"

static const char NO_VIDEO[] =
    "this fedvssl was built without FFmpeg; install libavformat-dev libavcodec-dev libswscale-dev libavutil-dev "
    "(make deps) and rebuild";
int video_decode(const char *path, VideoFrameFn fn, void *ctx, char *err, size_t errlen) {
    (void)fn, (void)ctx;
    snprintf(err, errlen, "%s: %s", path, NO_VIDEO);
    return -1;
}
VideoWriter *video_writer_open(const char *path, int w, int h, int fps, int q, char *err, size_t errlen) {
    (void)w, (void)h, (void)fps, (void)q;
    snprintf(err, errlen, "%s: %s", path, NO_VIDEO);
    return NULL;
}
int video_writer_add(VideoWriter *vw, const uint8_t *bgr, char *err, size_t errlen) {
    (void)vw, (void)bgr;
    snprintf(err, errlen, "%s", NO_VIDEO);
    return -1;
}
int video_writer_close(VideoWriter *vw, char *err, size_t errlen) {
    (void)vw;
    snprintf(err, errlen, "%s", NO_VIDEO);
    return -1;
}
#endif
