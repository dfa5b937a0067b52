/* The loader: sampler (§2.5), per-sample pipelines (§2.1 CtP, §5 fine-tune/test), worker threads writing
 * straight into batch slots of a bounded ring. */
#include "loader.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/util.h"
#include "../io/zip.h"
#include "annotations.h"
#include "../core/fsutil.h"
#include "image.h"
#include "jpeg.h"
#include "../core/rng.h"
#include "transforms.h"

/* S = the clip side (112, the reference's, unless LoaderOptions.crop says otherwise): frames are S x S;
 * functions that use these have S in scope */
#define PLANE ((long)S * S)
#define CLIP_FLOATS (3L * CLIP_LEN * PLANE)

typedef struct {
    float *imgs, *gt_trajs, *gt_weights;
    int64_t *labels;
    int filled, batch_idx;
} Slot;

typedef struct { /* per-thread scratch */
    uint8_t *jpg_out;
    size_t jpg_cap;
    uint8_t *frames; /* [16][S][S][3] */
    uint8_t *scratch;
} Work;

struct Loader {
    char *data_dir, *ann_path;
    LoaderMode mode;
    int batch, clips, threads, depth;
    uint64_t seed;
    LoaderOptions opt;
    int crop; /* S */
    AnnList ann;
    char **zip_paths;
    /* epoch state */
    int epoch, *order, total, iters;
    int next_task, inflight, cur, returned;
    Slot *slots;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    int stop;
    Work main_work;
    char fail_msg[1024];
    int failed;
    uint8_t *bad; /* [ann.n]: samples found unreadable (training modes skip them) */
    int nbad;
};

static int crop_of(const LoaderOptions *o) { return o->crop ? o->crop : CROP; }

static void work_init(Work *w, int S) {
    memset(w, 0, sizeof *w);
    w->frames = xmalloc((size_t)CLIP_LEN * PLANE * 3);
    w->scratch = xmalloc((size_t)PLANE * 3);
}
static void work_free(Work *w) { free(w->jpg_out), free(w->frames), free(w->scratch); }

/* Decode `n` frames idx[] of an open pack, each resized to (tw, th) (direct resize) and cut to the
 * S x S window at (cx, cy), mirrored when flip — scale, flip and crop in one pass. */
static int load_frames(const LoaderOptions *opt, Work *w, const ZipReader *z, const int *jpg_members, int N, const int *idx, int n,
                       int scale_short, int tw_fixed, int th_fixed, int crop_mode, Rng *r, uint8_t *out, int *flip_out,
                       char *err, size_t errlen) {
    (void)N;
    int tw = 0, th = 0, cx = 0, cy = 0, flip = 0, last = -1, dw = 0, dh = 0, S = crop_of(opt);
    char nm[200]; /* a member's name, for messages */
    for (int i = 0; i < n; i++) {
        uint8_t *dst = out + (size_t)i * S * S * 3;
        if (idx[i] == last) { /* clamped indices repeat the last frame: copy instead of decoding again */
            memcpy(dst, dst - (size_t)S * S * 3, (size_t)S * S * 3);
            continue;
        }
        int m = jpg_members[idx[i]];
        size_t len;
        int owned;
        char zerr[512];
        const uint8_t *data = zip_read(z, m, &len, &owned, zerr, sizeof zerr);
        if (!data) {
            snprintf(err, errlen, "%s", zerr);
            return -1;
        }
        if (i == 0) { /* the first frame fixes the geometry of the clip */
            int nw, nh;
            char jerr[256];
            if (jpeg_size(data, len, &nw, &nh, jerr, sizeof jerr)) {
                snprintf(err, errlen, "%s: %s: %s", z->path, printable(nm, sizeof nm, z->e[m].name), jerr);
                if (owned) free((void *)data);
                return -1;
            }
            if (scale_short) scaled_size(nw, nh, scale_short, &tw, &th);
            else if (nh > nw) tw = th_fixed, th = tw_fixed; /* portrait video: the (W,H) tuple is swapped */
            else tw = tw_fixed, th = th_fixed;
            if (tw < S || th < S) {
                snprintf(err, errlen, "%s: frames %dx%d are too small for a %d crop", z->path, nw, nh, S);
                if (owned) free((void *)data);
                return -1;
            }
            if (crop_mode == 0) { /* random crop + flip decision (CtP order: scale, crop, flip) */
                cy = rng_int(r, 0, th - S);
                cx = rng_int(r, 0, tw - S);
                flip = rng_uniform(r) < 0.5;
            } else if (crop_mode == 1) { /* fine-tune: flip p 0.35 before the crop; same distribution */
                flip = rng_uniform(r) < 0.35;
                cy = rng_int(r, 0, th - S);
                cx = rng_int(r, 0, tw - S);
            } else { /* centre crop */
                cx = (tw - S) / 2, cy = (th - S) / 2;
            }
            if (flip_out) *flip_out = flip;
        }
        char jerr[256];
        /* the resized frame's columns read are [cx, cx + S) with or without the flip */
        int part = opt->all_rows ? 0 : S;
        JpegDecodeOptions jo = {.target_w = tw, .target_h = th, .x0 = cx, .cols = part, .y0 = cy, .rows = part,
                                .dct_scale = opt->fast_decode, .fast_idct = opt->fast_idct};
        int ok = jpeg_decode_bgr(data, len, &jo, &w->jpg_out, &w->jpg_cap, &dw, &dh, jerr, sizeof jerr);
        if (owned) free((void *)data);
        if (ok) {
            snprintf(err, errlen, "%s: %s: %s", z->path, printable(nm, sizeof nm, z->e[m].name), jerr);
            return -1;
        }
        /* with flip, the window of the mirrored image starting at cx is the mirror of the window at tw-cx-S */
        resize_u8_window(w->jpg_out, dw, dh, 3, tw, th, flip ? tw - cx - S : cx, cy, S, S, flip, dst);
        last = idx[i];
    }
    return 0;
}

/* Members named img_XXXXX.jpg in frame order: the reference counts '.jpg' members and opens img_%05d.jpg. */
static int *frame_members(const ZipReader *z, int *N, char *err, size_t errlen) {
    int n = 0;
    for (int i = 0; i < z->n; i++) {
        size_t l = strlen(z->e[i].name);
        if (l >= 4 && !strcmp(z->e[i].name + l - 4, ".jpg")) n++;
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: no .jpg frames in the pack", z->path);
        return NULL;
    }
    int *m = xmalloc(sizeof(int) * (size_t)n);
    for (int k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof name, "img_%05d.jpg", k + 1);
        int i = k < z->n && !strcmp(z->e[k].name, name) ? k : zip_find(z, name); /* packs are usually in order */
        if (i < 0) {
            snprintf(err, errlen, "%s: has %d frames but no %s", z->path, n, name);
            free(m);
            return NULL;
        }
        m[k] = i;
    }
    *N = n;
    return m;
}

/* A size of the reference's 112-pixel pipeline at crop S (the same at 112; rounded half away from zero). */
static int sized(int S, int v) { return S == CROP ? v : (int)lround((double)v * S / CROP); }

/* One sample of an open frame pack: what a worker does with the pack of the sample it was given. */
static int sample_pack(const ZipReader *z, LoaderMode mode, uint64_t seed, const LoaderOptions *opt, Work *w, int epoch,
                       int position, float *imgs, float *gt_trajs, float *gt_weights, char *err, size_t errlen) {
    Rng r = rng_make(seed, (uint64_t)epoch, (uint64_t)position, (uint64_t)mode);
    int N = 0, rc = -1, S = crop_of(opt);
    int *mem = frame_members(z, &N, err, errlen);
    if (!mem) goto out;
    if (mode == LOADER_TEST) {
        int idx[TEST_CLIPS * CLIP_LEN];
        sample_clips_uniform(N, TEST_CLIPS, 2, idx);
        ColourJitter cj;
        colour_none(&cj);
        for (int c = 0; c < TEST_CLIPS; c++) {
            if (load_frames(opt, w, z, mem, N, idx + c * CLIP_LEN, CLIP_LEN, 0, sized(S, 171), sized(S, 128), 2, &r, w->frames, NULL, err,
                            errlen))
                goto out;
            float *o = imgs + (long)c * CLIP_FLOATS;
            for (int t = 0; t < CLIP_LEN; t++)
                frame_to_tensor(w->frames + (size_t)t * PLANE * 3, PLANE, &cj, t, o + t * PLANE,
                                CLIP_LEN * PLANE, w->scratch);
        }
    } else if (mode == LOADER_FINETUNE) {
        static const int stride2[1] = {2};
        static const int sizes[3][2] = {{149, 112}, {171, 128}, {192, 144}};
        int idx[CLIP_LEN];
        sample_clip_random(&r, N, stride2, 1, 0, idx);
        int s = rng_int(&r, 0, 2);
        if (load_frames(opt, w, z, mem, N, idx, CLIP_LEN, 0, sized(S, sizes[s][0]), sized(S, sizes[s][1]), 1, &r, w->frames, NULL, err,
                        errlen))
            goto out;
        ColourJitter cj;
        colour_finetune(&r, &cj);
        for (int t = 0; t < CLIP_LEN; t++)
            frame_to_tensor(w->frames + (size_t)t * PLANE * 3, PLANE, &cj, t, imgs + t * PLANE,
                            CLIP_LEN * PLANE, w->scratch);
    } else {
        static const int strides[5] = {1, 2, 3, 4, 5};
        static const int scales[3] = {112, 128, 144};
        int idx[CLIP_LEN];
        sample_clip_random(&r, N, strides, 5, 1, idx);
        int s = sized(S, scales[rng_int(&r, 0, 2)]);
        if (load_frames(opt, w, z, mem, N, idx, CLIP_LEN, s, 0, 0, 0, &r, w->frames, NULL, err, errlen)) goto out;
        PatchMaskInfo pm;
        patch_mask(&r, w->frames, S, S, opt->patch_solid, &pm);
        ColourJitter cj;
        colour_ctp(&r, &cj);
        for (int t = 0; t < CLIP_LEN; t++)
            frame_to_tensor(w->frames + (size_t)t * PLANE * 3, PLANE, &cj, t, imgs + t * PLANE,
                            CLIP_LEN * PLANE, w->scratch);
        if (gt_trajs)
            for (int k = 0; k < NUM_TRAJ; k++)
                for (int f = 0; f < CLIP_LEN; f++)
                    for (int c = 0; c < 4; c++) gt_trajs[(k * CLIP_LEN + f) * 4 + c] = (float)pm.boxes[k][f][c];
        if (gt_weights)
            for (int k = 0; k < NUM_TRAJ * CLIP_LEN; k++) gt_weights[k] = 1.f;
    }
    rc = 0;
out:
    free(mem);
    return rc;
}

static int run_sample(Loader *L, Work *w, int epoch, int position, int index, float *imgs, float *gt_trajs,
                      float *gt_weights, char *err, size_t errlen) {
    ZipReader z;
    if (zip_open(&z, L->zip_paths[index], err, errlen)) return -1;
    int rc = sample_pack(&z, L->mode, L->seed, &L->opt, w, epoch, position, imgs, gt_trajs, gt_weights, err, errlen);
    zip_close(&z);
    return rc;
}

int loader_sample_pack_mem(const uint8_t *pack, size_t len, const char *label, LoaderMode mode, uint64_t seed,
                           int epoch, int position, const LoaderOptions *opt, float *imgs, float *gt_trajs,
                           float *gt_weights, char *err, size_t errlen) {
    static const LoaderOptions defaults = {0};
    if (!opt) opt = &defaults;
    ZipReader z;
    if (zip_open_mem(&z, pack, len, label, err, errlen)) return -1;
    Work w;
    work_init(&w, crop_of(opt));
    int rc = sample_pack(&z, mode, seed, opt, &w, epoch, position, imgs, gt_trajs, gt_weights, err, errlen);
    work_free(&w);
    zip_close(&z);
    return rc;
}

int loader_sample(Loader *L, int epoch, int position, int index, float *imgs, float *gt_trajs, float *gt_weights,
                  char *err, size_t errlen) {
    if (index < 0 || index >= L->ann.n) {
        snprintf(err, errlen, "sample index %d out of range", index);
        return -1;
    }
    return run_sample(L, &L->main_work, epoch, position, index, imgs, gt_trajs, gt_weights, err, errlen);
}

static long clip_floats(const Loader *L) {
    int S = L->crop;
    return (long)L->clips * CLIP_FLOATS;
}

static int known_bad(Loader *L, int index) {
    pthread_mutex_lock(&L->mu);
    int b = L->bad[index];
    pthread_mutex_unlock(&L->mu);
    return b;
}

/* A training sample that cannot be read: named once; more than max_bad_fraction of the list ends the run. */
static void note_bad(Loader *L, int index, const char *err) {
    pthread_mutex_lock(&L->mu);
    if (!L->bad[index]) {
        L->bad[index] = 1;
        L->nbad++;
        if (L->nbad > L->opt.max_bad_fraction * L->ann.n) {
            if (!L->failed)
                snprintf(L->fail_msg, sizeof L->fail_msg,
                         "%d of the %d samples of %s are unreadable, more than data.max_bad_fraction=%g allows; the "
                         "last: %.*s",
                         L->nbad, L->ann.n, L->ann_path, L->opt.max_bad_fraction, (int)(sizeof L->fail_msg / 2), err);
            L->failed = 1;
        } else {
            warnf("%s; skipped, another sample takes its place (%d of %d samples bad so far, at most %d allowed)", err,
                  L->nbad, L->ann.n, (int)(L->opt.max_bad_fraction * L->ann.n));
        }
    }
    pthread_mutex_unlock(&L->mu);
}

static void *worker(void *arg) {
    Loader *L = arg;
    Work w;
    work_init(&w, L->crop);
    pthread_mutex_lock(&L->mu);
    for (;;) {
        /* a task is free when its batch fits in the ring window [cur, cur + depth) */
        while (!L->stop && !(L->next_task < L->total && L->next_task / L->batch < L->cur + L->depth))
            pthread_cond_wait(&L->work_cv, &L->mu);
        if (L->stop) break;
        /* total is read here, under the lock: loader_epoch_begin sets it to 0 while this task is in flight */
        int p = L->next_task++, epoch = L->epoch, total = L->total;
        L->inflight++;
        Slot *s = &L->slots[(p / L->batch) % L->depth];
        int k = p % L->batch, index = L->order[p];
        pthread_mutex_unlock(&L->mu);
        char err[1024];
        int rc = -1, n = L->ann.n;
        /* A bad sample in training is replaced by the next readable one of the epoch's order, with this
         * position's random draws: the batches stay a function of (seed, epoch, position) whatever the
         * threads. Test-time samples are never replaced (the metrics would change). */
        for (int j = 0; rc && j < (L->mode == LOADER_TEST ? 1 : n); j++) {
            index = L->order[(p + j) % total];
            if (j && known_bad(L, index)) continue;
            rc = run_sample(L, &w, epoch, p, index, s->imgs + k * clip_floats(L),
                            s->gt_trajs ? s->gt_trajs + k * NUM_TRAJ * CLIP_LEN * 4 : NULL,
                            s->gt_weights ? s->gt_weights + k * NUM_TRAJ * CLIP_LEN : NULL, err, sizeof err);
            if (rc && L->mode != LOADER_TEST) note_bad(L, index, err);
        }
        pthread_mutex_lock(&L->mu);
        s->labels[k] = L->ann.e[index].label - 1;
        if (rc && !L->failed) L->failed = 1, snprintf(L->fail_msg, sizeof L->fail_msg, "%s", err);
        s->filled++;
        L->inflight--;
        pthread_cond_broadcast(&L->done_cv);
    }
    pthread_mutex_unlock(&L->mu);
    work_free(&w);
    return NULL;
}

/* The annotation list and the path of each frame pack: parsed, not empty, every pack present. */
static int open_list(const char *data_dir, const char *ann_json, AnnList *ann, char ***zip_paths, char *err,
                     size_t errlen) {
    if (ann_load_json(ann_json, ann, err, errlen)) return -1;
    if (ann->n == 0) {
        snprintf(err, errlen, "%s: the annotation list is empty", ann_json);
        ann_free(ann);
        return -1;
    }
    char **zp = xcalloc((size_t)ann->n, sizeof(char *));
    int missing = 0;
    for (int i = 0; i < ann->n; i++) {
        size_t n = strlen(data_dir) + strlen(ann->e[i].name) + 16;
        zp[i] = xmalloc(n);
        snprintf(zp[i], n, "%s/zips/%s.zip", data_dir, ann->e[i].name);
        if (!is_file(zp[i]) && !missing++)
            snprintf(err, errlen, "%s: entry %d ('%s'): frame pack %s not found", ann_json, i + 1, ann->e[i].name, zp[i]);
    }
    if (missing) {
        size_t k = strlen(err);
        if (missing > 1) snprintf(err + k, errlen - k, " (and %d more missing)", missing - 1);
        for (int i = 0; i < ann->n; i++) free(zp[i]);
        free(zp);
        ann_free(ann);
        return -1;
    }
    *zip_paths = zp;
    return 0;
}

int loader_check_list(const char *data_dir, const char *ann_json, char *err, size_t errlen) {
    AnnList ann = {0};
    char **zp;
    if (open_list(data_dir, ann_json, &ann, &zp, err, errlen)) return -1;
    for (int i = 0; i < ann.n; i++) free(zp[i]);
    free(zp);
    ann_free(&ann);
    return 0;
}

Loader *loader_open(const char *data_dir, const char *ann_json, LoaderMode mode, int batch, uint64_t seed,
                    int num_threads, const LoaderOptions *opt, char *err, size_t errlen) {
    if (batch < 1 || num_threads < 1) {
        snprintf(err, errlen, "loader: batch (%d) and threads (%d) must be >= 1", batch, num_threads);
        return NULL;
    }
    Loader *L = xcalloc(1, sizeof *L);
    if (open_list(data_dir, ann_json, &L->ann, &L->zip_paths, err, errlen)) return free(L), NULL;
    L->data_dir = xstrdup(data_dir);
    L->ann_path = xstrdup(ann_json);
    L->mode = mode, L->batch = batch, L->seed = seed, L->threads = num_threads;
    L->clips = mode == LOADER_TEST ? TEST_CLIPS : 1;
    if (opt) L->opt = *opt; /* zero (NULL): full-size decode, as the reference */
    L->crop = L->opt.crop = crop_of(&L->opt);
    L->depth = L->opt.prefetch > 0 ? L->opt.prefetch : 2 + (num_threads + batch - 1) / batch;
    L->bad = xcalloc((size_t)L->ann.n, 1);
    L->slots = xcalloc((size_t)L->depth, sizeof *L->slots);
    for (int d = 0; d < L->depth; d++) {
        Slot *s = &L->slots[d];
        s->imgs = xalloc_aligned(sizeof(float) * (size_t)batch * clip_floats(L));
        s->labels = xcalloc((size_t)batch, sizeof(int64_t));
        if (mode == LOADER_CTP) {
            s->gt_trajs = xalloc_aligned(sizeof(float) * (size_t)batch * NUM_TRAJ * CLIP_LEN * 4);
            s->gt_weights = xalloc_aligned(sizeof(float) * (size_t)batch * NUM_TRAJ * CLIP_LEN);
        }
    }
    work_init(&L->main_work, L->crop);
    pthread_mutex_init(&L->mu, NULL);
    pthread_cond_init(&L->work_cv, NULL);
    pthread_cond_init(&L->done_cv, NULL);
    L->iters = (L->ann.n + batch - 1) / batch;
    L->th = xmalloc(sizeof(pthread_t) * (size_t)num_threads);
    for (int i = 0; i < num_threads; i++) pthread_create(&L->th[i], NULL, worker, L);
    loader_epoch_begin(L, 0);
    return L;
}

Loader *loader_new(const char *data_dir, const char *ann_json, LoaderMode mode, int batch, uint64_t seed,
                   int num_threads) {
    char err[1024];
    Loader *L = loader_open(data_dir, ann_json, mode, batch, seed, num_threads, NULL, err, sizeof err);
    if (!L) die("%s", err);
    return L;
}

/* §2.5: shuffle, pad to a multiple of the batch with the first shuffled indices, permute the batch chunks.
 * TEST keeps the list order with a short last batch. */
static void make_order(Loader *L, int epoch) {
    int n = L->ann.n, B = L->batch;
    free(L->order);
    if (L->mode == LOADER_TEST) {
        L->order = xmalloc(sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++) L->order[i] = i;
        L->total = n;
        return;
    }
    int padded = L->iters * B;
    int *idx = xmalloc(sizeof(int) * (size_t)padded), *out = xmalloc(sizeof(int) * (size_t)padded);
    Rng r = rng_make(L->seed, (uint64_t)epoch, 0xffffffffull, 0x5a3b1e5ull);
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = rng_int(&r, 0, i), t = idx[i];
        idx[i] = idx[j], idx[j] = t;
    }
    for (int i = n; i < padded; i++) idx[i] = idx[(i - n) % n];
    int *perm = xmalloc(sizeof(int) * (size_t)L->iters);
    for (int i = 0; i < L->iters; i++) perm[i] = i;
    for (int i = L->iters - 1; i > 0; i--) {
        int j = rng_int(&r, 0, i), t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
    for (int b = 0; b < L->iters; b++) memcpy(out + b * B, idx + perm[b] * B, sizeof(int) * (size_t)B);
    free(idx), free(perm);
    L->order = out;
    L->total = padded;
}

void loader_epoch_begin(Loader *L, int epoch) {
    pthread_mutex_lock(&L->mu);
    L->total = 0; /* no new tasks; wait for the running ones */
    while (L->inflight) pthread_cond_wait(&L->done_cv, &L->mu);
    make_order(L, epoch);
    L->epoch = epoch;
    L->next_task = 0, L->cur = 0, L->returned = 0;
    for (int d = 0; d < L->depth; d++) L->slots[d].filled = 0;
    pthread_cond_broadcast(&L->work_cv);
    pthread_mutex_unlock(&L->mu);
}

int loader_next(Loader *L, Batch *b) {
    pthread_mutex_lock(&L->mu);
    if (L->returned) { /* the caller is done with the previous batch: its slot takes batch cur + depth */
        L->slots[L->cur % L->depth].filled = 0;
        L->cur++;
        L->returned = 0;
        pthread_cond_broadcast(&L->work_cv);
    }
    if (L->cur >= L->iters) {
        pthread_mutex_unlock(&L->mu);
        return 0;
    }
    int start = L->cur * L->batch, want = L->total - start < L->batch ? L->total - start : L->batch;
    Slot *s = &L->slots[L->cur % L->depth];
    while (s->filled < want && !L->failed) pthread_cond_wait(&L->done_cv, &L->mu);
    if (L->failed) { /* the caller decides: a client fails and is dropped, a test stops */
        pthread_mutex_unlock(&L->mu);
        return -1;
    }
    L->returned = 1;
    pthread_mutex_unlock(&L->mu);
    b->crop = L->crop, b->imgs = s->imgs, b->gt_trajs = s->gt_trajs, b->gt_weights = s->gt_weights, b->labels = s->labels;
    b->n = want, b->clips = L->clips;
    return 1;
}

const char *loader_error(const Loader *L) { return L->fail_msg; }

int loader_num_samples(const Loader *L) { return L->ann.n; }
int loader_bad_samples(Loader *L) {
    pthread_mutex_lock(&L->mu);
    int n = L->nbad;
    pthread_mutex_unlock(&L->mu);
    return n;
}
int loader_iters_per_epoch(const Loader *L) { return L->iters; }

void loader_free(Loader *L) {
    if (!L) return;
    if (L->th) {
        pthread_mutex_lock(&L->mu);
        L->stop = 1;
        pthread_cond_broadcast(&L->work_cv);
        pthread_mutex_unlock(&L->mu);
        for (int i = 0; i < L->threads; i++) pthread_join(L->th[i], NULL);
        free(L->th);
        work_free(&L->main_work);
    }
    for (int d = 0; L->slots && d < L->depth; d++) {
        free(L->slots[d].imgs), free(L->slots[d].labels), free(L->slots[d].gt_trajs), free(L->slots[d].gt_weights);
    }
    free(L->slots);
    for (int i = 0; L->zip_paths && i < L->ann.n; i++) free(L->zip_paths[i]);
    free(L->zip_paths);
    free(L->bad);
    free(L->order);
    ann_free(&L->ann);
    free(L->data_dir), free(L->ann_path);
    free(L);
}
