/* Clip sampling and augmentations of CtP pre-training (spec §2.1, §2.2) and fine-tuning/testing (§5), on
 * uint8 BGR frames [T][H][W][3]. Random draws come from a per-sample counter-based Rng, so the statistics are the
 * reference's but the exact random numbers are not (the reference mixes Python and NumPy generators). */
#ifndef FEDVSSL_TRANSFORMS_H
#define FEDVSSL_TRANSFORMS_H
#include <stdint.h>

#include "../core/rng.h"

#define CLIP_LEN 16
#define CROP 112
#define NUM_TRAJ 3
#define TEST_CLIPS 10

/* RandomFrameSampler (1 clip): stride from `strides`, optional per-frame jitter, random start, clamp to N-1. */
void sample_clip_random(Rng *r, int N, const int *strides, int nstrides, int jitter, int idx[CLIP_LEN]);
/* UniformFrameSampler: `clips` clips of CLIP_LEN frames with `stride`, spread uniformly over N frames. */
void sample_clips_uniform(int N, int clips, int stride, int *idx /* [clips][CLIP_LEN] */);

/* sample_key_frames(T, probs): sorted distinct key frames including 0 and T-1. Returns the count. */
int sample_key_frames(Rng *r, int T, const double *probs, int nprobs, int *keys);
/* Interpolate values given at key frames to all T frames. vals is [nkeys][m], out [T][m]. mode 0 = 'random'
 * (per segment: uniform 0.7, accelerate 0.15, decelerate 0.15), 1 = 'uniform'. */
void interp_keys(Rng *r, const int *keys, int nkeys, const double *vals, int m, int mode, double *out);

/* Short side to `scale`, other side Python-rounded (banker's), as GroupScale with an int scale. */
void scaled_size(int w, int h, int scale, int *ow, int *oh);

typedef struct {
    int boxes[NUM_TRAJ][CLIP_LEN][4]; /* x1 y1 x2 y2, integers in [0,W]x[0,H]; = gt_trajs */
    int src_frame[NUM_TRAJ];
    uint8_t visible[NUM_TRAJ][CLIP_LEN];
    int shape[NUM_TRAJ]; /* 0 rectangle, 1 ellipse, 2 rhombus */
    int soft[NUM_TRAJ];
    int order[NUM_TRAJ]; /* paste order (largest mean area first) */
} PatchMaskInfo;

/* PatchMask on frames [T=16][H][W][3] in place. solid = 0 is the reference (a patch is a crop of the clip
 * itself); 1 fills each patch with one saturated colour far from the mean of the region it was cut from, so that
 * it stands out wherever it moves (a diagnostic: is the task learnable when the patch is plainly visible?). The
 * random draws, boxes, masks and targets are the same either way. */
void patch_mask(Rng *r, uint8_t *frames, int W, int H, int solid, PatchMaskInfo *info);

/* Per-clip colour jitter decided once per clip (per-frame values where the reference has them). */
typedef struct {
    int hue_on;
    double hue, sat;                /* H += hue, S *= sat */
    int bright_on, contrast_on;
    double bright[CLIP_LEN];        /* added */
    double contrast[CLIP_LEN];      /* multiplied */
    int hue_last;                   /* fine-tune order: brightness, contrast, then hue */
} ColourJitter;

void colour_ctp(Rng *r, ColourJitter *c);      /* §2.1 e-g */
void colour_finetune(Rng *r, ColourJitter *c); /* §5 */
void colour_none(ColourJitter *c);

/* Colour ops of frame t + GroupToTensor: BGR uint8 [npix][3] -> normalised RGB planes out[c * plane_stride + i].
 * scratch: 3*npix bytes. */
void frame_to_tensor(const uint8_t *bgr, int npix, const ColourJitter *c, int t, float *out, long plane_stride,
                     uint8_t *scratch);

/* The hue/saturation op alone on uint8 BGR (exposed for tests). */
void hue_saturation_u8(const uint8_t *bgr, uint8_t *out, int npix, double hue, double sat);

#endif
