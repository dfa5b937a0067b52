/* Video files through FFmpeg's libraries: decoding every frame to BGR24 (what OpenCV's VideoCapture gives
 * the reference's prepare script) and writing MPEG-4 Part 2 AVI files (the UCF-101 format) for synth. */
#ifndef FEDVSSL_VIDEO_H
#define FEDVSSL_VIDEO_H
#include <stddef.h>
#include <stdint.h>

/* Called once per decoded frame, in presentation order; bgr has stride 3*w. Return non-zero to stop. */
typedef int (*VideoFrameFn)(const uint8_t *bgr, int w, int h, int index, void *ctx);

/* Decode all frames at native resolution. Returns the number of frames, or -1 with err
 * ("<path>: <problem>"). A video with no decodable frame is an error. On success err is "" or a warning
 * (fewer frames than the container declares, damaged packets skipped): the frames given are still good. */
int video_decode(const char *path, VideoFrameFn fn, void *ctx, char *err, size_t errlen);

typedef struct VideoWriter VideoWriter;
/* MPEG-4 Part 2 ("XVID" tag) in AVI, constant quantiser q (2 = best .. 31), bit-exact mode so the bytes depend
 * only on the frames. */
VideoWriter *video_writer_open(const char *path, int w, int h, int fps, int q, char *err, size_t errlen);
int video_writer_add(VideoWriter *vw, const uint8_t *bgr, char *err, size_t errlen);
int video_writer_close(VideoWriter *vw, char *err, size_t errlen); /* always frees */

#endif
