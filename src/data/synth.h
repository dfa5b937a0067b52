/* Synthetic UCF-101-style dataset: real MPEG-4 AVI videos in which the class is only visible in how an object
 * moves (or changes) over time, over textured, moving backgrounds; plus ucfTrainTestlist/ split files. */
#ifndef FEDVSSL_SYNTH_H
#define FEDVSSL_SYNTH_H
#include <stdint.h>

typedef struct {
    const char *out;  /* dataset root: UCF-101/<Class>/<video>.avi (or flat) + ucfTrainTestlist/ */
    int classes;      /* number of classes */
    int per_class;    /* videos per class */
    int frames;       /* frames per video (25 fps) */
    int width, height;
    int quality;      /* MPEG-4 quantiser, 2..31 */
    int flat;         /* all .avi in one folder, as `unrar e` leaves UCF-101 */
    int threads;
    uint64_t seed;
} SynthOptions;

#define SYNTH_FAMILIES 10
/* Class name of class c (0-based) for a dataset of that many classes. */
void synth_class_name(int c, char *buf, int len);
/* Render frame t of a video into bgr (w*h*3). Exposed for tests. */
typedef struct SynthVideo SynthVideo;
SynthVideo *synth_video_new(uint64_t seed, int cls, int video, int w, int h);
void synth_video_render(const SynthVideo *v, int t, uint8_t *bgr);
void synth_video_free(SynthVideo *v);

/* Writes the dataset; returns 0 or -1 (message printed). */
int synth_write(const SynthOptions *o);

#endif
