/* Training/test data loader: annotation list -> sampler -> worker threads (decode frame packs, augment) ->
 * bounded queue of ready batches. Output layouts (spec §2.1.5, §5):
 *   CTP:      imgs [B,3,16,S,S], gt_trajs [B,3,16,4], gt_weights [B,3,16], labels [B]
 *   FINETUNE: imgs [B,3,16,S,S], labels [B] (0-based)
 *   TEST:     imgs [B,10,3,16,S,S], labels [B]
 * with S = 112 (LoaderOptions.crop).
 * Every sample's randomness is a function of (seed, epoch, position in the epoch): the batches are the same
 * whatever the number of threads. */
#ifndef FEDVSSL_LOADER_H
#define FEDVSSL_LOADER_H
#include <stddef.h>
#include <stdint.h>

typedef enum { LOADER_CTP, LOADER_FINETUNE, LOADER_TEST } LoaderMode;

typedef struct {
    float *imgs, *gt_trajs, *gt_weights; /* gt_* NULL unless CTP */
    int64_t *labels;
    int n; /* real samples in this batch (< batch only for the last TEST batch) */
    int clips; /* 1, or 10 in TEST */
    int crop;  /* S */
} Batch;

/* Zero-initialised (or NULL) = the reference pipeline: every JPEG decoded at full size (as cv2.imdecode), then
 * the bilinear resize (as cv2.resize). */
typedef struct {
    int fast_decode; /* opt-in (config data.fast_decode=true): decode JPEGs with libjpeg-turbo DCT scaling at the
                        smallest M/8 size covering the resize target, then resize. ~2x cheaper decode, but every
                        clip's pixels differ from the reference (mean 3-9 grey levels; BENCHMARKS.md) */
    int all_rows;    /* decode every pixel (default 0: only the rows/columns the crop window reads; same result) */
    int fast_idct;   /* libjpeg-turbo IFAST IDCT + plain upsampling (default 0; other pixels too) */
    int prefetch;    /* batches in flight (default 2 + threads/batch) */
    double max_bad_fraction; /* training modes: a sample that cannot be read (a damaged frame pack, an
                        undecodable frame) is named on stderr and replaced by the next readable one of the
                        epoch, until more than this fraction of the list is bad; then the loader stops with
                        an error. 0 (default) = the reference: the first bad sample stops. Test mode: always 0 */
    int crop;        /* clip side S (default 0 = 112, the reference's). Other sizes scale every size of the
                        pipeline by S/112 (resize targets, CtP patch sizes and speeds): clips [.., 16, S, S]
                        for small-scale runs (the demo); not a setting of the reference */
    int patch_solid; /* CtP: patch_mask's solid (1 = plainly visible one-colour patches, a diagnostic; 0 = the
                        reference) */
} LoaderOptions;

typedef struct Loader Loader;

/* NULL with err ("<file>: <problem>") on bad input: unreadable/invalid annotations, missing frame packs. */
Loader *loader_open(const char *data_dir, const char *ann_json, LoaderMode mode, int batch, uint64_t seed,
                    int num_threads, const LoaderOptions *opt, char *err, size_t errlen);
/* What loader_open checks of a list before it starts: parsed, not empty, every frame pack present. 0, or -1
 * with err. For commands that check their inputs before they write anything. */
int loader_check_list(const char *data_dir, const char *ann_json, char *err, size_t errlen);
/* As loader_open, but dies with the message. */
Loader *loader_new(const char *data_dir, const char *ann_json, LoaderMode mode, int batch, uint64_t seed,
                   int num_threads);
/* Start epoch `epoch` (sampler shuffle for it); abandons whatever is left of the previous one. */
void loader_epoch_begin(Loader *L, int epoch);
/* Next batch of the epoch into b (buffers owned by the loader, valid until the next call); 0 at the end; -1
 * when more samples were unreadable than max_bad_fraction allows (loader_error says which; the loader is
 * then done). */
int loader_next(Loader *L, Batch *b);
const char *loader_error(const Loader *L);
void loader_free(Loader *L);
int loader_num_samples(const Loader *L);
int loader_iters_per_epoch(const Loader *L);
int loader_bad_samples(Loader *L); /* distinct unreadable samples met so far */

/* One sample, synchronously, into caller buffers (imgs sized for the mode): what a worker does. For tests. */
int loader_sample(Loader *L, int epoch, int position, int index, float *imgs, float *gt_trajs, float *gt_weights,
                  char *err, size_t errlen);

/* The same for a frame pack held in memory (label names it in messages), without a Loader: the worker's path from
 * the opened pack on (frame list, clip sampling, JPEG decode, augmentation). opt may be NULL. For the fuzzer. */
int loader_sample_pack_mem(const uint8_t *pack, size_t len, const char *label, LoaderMode mode, uint64_t seed,
                           int epoch, int position, const LoaderOptions *opt, float *imgs, float *gt_trajs,
                           float *gt_weights, char *err, size_t errlen);

#endif
