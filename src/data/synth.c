/* Synthetic videos. Every appearance parameter (textures, colours, shape, size, background drift) is drawn per
 * video, independently of the class; only the motion family (and, beyond 10 classes, its speed) depends on the
 * class. Motions are chosen to be symmetric under horizontal flips (fine-tuning flips clips), e.g. "slides
 * horizontally" with a random direction rather than "moves left". */
#include "synth.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "../core/fsutil.h"
#include "../core/rng.h"
#include "video.h"

static const char *family_names[SYNTH_FAMILIES] = {"SlideSideways", "SlideVertical", "Orbit",  "SwingSideways",
                                                   "SwingVertical", "Pulse",         "Bounce", "Zigzag",
                                                   "Spin",          "Blink"};

void synth_class_name(int c, char *buf, int len) {
    int fam = c % SYNTH_FAMILIES, var = c / SYNTH_FAMILIES;
    if (var == 0) snprintf(buf, (size_t)len, "%s", family_names[fam]);
    else snprintf(buf, (size_t)len, "%sSpeed%d", family_names[fam], var + 1);
}

#define TEX 256 /* texture tiles are TEX x TEX, wrapped */

struct SynthVideo {
    int w, h, fam;
    double speed;
    uint8_t *bg, *obj;               /* BGR tiles */
    double bg_vx, bg_vy, bg_x0, bg_y0; /* background drift */
    double x0, y0, dir, radius, size, phase, omega, amp;
    int shape; /* 0 disc, 1 square, 2 diamond, 3 ring */
    uint64_t noise_seed;
};

/* A texture: a few coloured sinusoidal gratings plus soft blobs, periodic on the tile. */
static void make_texture(Rng *r, uint8_t *t) {
    double base[3], col[3][3], fx[3], fy[3], ph[3];
    for (int c = 0; c < 3; c++) base[c] = rng_range(r, 40, 200);
    for (int k = 0; k < 3; k++) {
        for (int c = 0; c < 3; c++) col[k][c] = rng_range(r, -60, 60);
        fx[k] = 2 * M_PI * rng_int(r, -8, 8) / TEX;
        fy[k] = 2 * M_PI * rng_int(r, -8, 8) / TEX;
        ph[k] = rng_range(r, 0, 2 * M_PI);
    }
    int nb = 6;
    double bx[6], by[6], br[6], bc[6][3];
    for (int k = 0; k < nb; k++) {
        bx[k] = rng_range(r, 0, TEX), by[k] = rng_range(r, 0, TEX), br[k] = rng_range(r, 8, 40);
        for (int c = 0; c < 3; c++) bc[k][c] = rng_range(r, -70, 70);
    }
    for (int y = 0; y < TEX; y++)
        for (int x = 0; x < TEX; x++) {
            double v[3] = {base[0], base[1], base[2]};
            for (int k = 0; k < 3; k++) {
                double s = sin(fx[k] * x + fy[k] * y + ph[k]);
                for (int c = 0; c < 3; c++) v[c] += col[k][c] * s;
            }
            for (int k = 0; k < nb; k++) {
                double dx = fabs(x - bx[k]), dy = fabs(y - by[k]);
                if (dx > TEX / 2) dx = TEX - dx;
                if (dy > TEX / 2) dy = TEX - dy;
                double g = exp(-(dx * dx + dy * dy) / (2 * br[k] * br[k]));
                for (int c = 0; c < 3; c++) v[c] += bc[k][c] * g;
            }
            for (int c = 0; c < 3; c++) t[(y * TEX + x) * 3 + c] = (uint8_t)(v[c] < 0 ? 0 : v[c] > 255 ? 255 : v[c]);
        }
}

SynthVideo *synth_video_new(uint64_t seed, int cls, int video, int w, int h) {
    SynthVideo *v = xcalloc(1, sizeof *v);
    Rng r = rng_make(seed, 0x5e7u, (uint64_t)cls, (uint64_t)video);
    v->w = w, v->h = h;
    v->fam = cls % SYNTH_FAMILIES;
    v->speed = 1.0 + 0.75 * (cls / SYNTH_FAMILIES);
    v->bg = xmalloc(TEX * TEX * 3);
    v->obj = xmalloc(TEX * TEX * 3);
    make_texture(&r, v->bg);
    make_texture(&r, v->obj);
    /* make the object stand out a little from the background: shift its mean colour */
    double shift[3];
    for (int c = 0; c < 3; c++) shift[c] = rng_range(&r, -50, 50);
    for (int i = 0; i < TEX * TEX * 3; i++) {
        double x = v->obj[i] + shift[i % 3];
        v->obj[i] = (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
    }
    v->bg_vx = rng_range(&r, -1.5, 1.5), v->bg_vy = rng_range(&r, -1.0, 1.0);
    v->bg_x0 = rng_range(&r, 0, TEX), v->bg_y0 = rng_range(&r, 0, TEX);
    v->size = rng_range(&r, 0.09, 0.14) * h;
    v->x0 = rng_range(&r, 0.35, 0.65) * w, v->y0 = rng_range(&r, 0.35, 0.65) * h;
    v->dir = rng_uniform(&r) < 0.5 ? -1 : 1;
    v->radius = rng_range(&r, 0.18, 0.28) * h;
    v->phase = rng_range(&r, 0, 2 * M_PI);
    v->omega = rng_range(&r, 0.8, 1.2) * v->speed;
    v->amp = rng_range(&r, 0.22, 0.32) * w;
    v->shape = rng_int(&r, 0, 3);
    v->noise_seed = rng_u64(&r);
    return v;
}

void synth_video_free(SynthVideo *v) {
    if (!v) return;
    free(v->bg), free(v->obj), free(v);
}

static double tri(double x) { /* triangle wave in [-1, 1], period 1 */
    x -= floor(x);
    return x < 0.5 ? 4 * x - 1 : 3 - 4 * x;
}

/* Object centre, scale, rotation and visibility at time t (frames at 25 fps). */
static void motion(const SynthVideo *v, int t, double *cx, double *cy, double *scale, double *angle, int *visible) {
    double s = t / 25.0, sp = v->speed, W = v->w, H = v->h;
    *cx = v->x0, *cy = v->y0, *scale = 1, *angle = 0, *visible = 1;
    switch (v->fam) {
    case 0: /* steady horizontal slide, wrapping around */
        *cx = fmod(v->x0 + v->dir * 60 * sp * s + 10 * W, W + 2 * v->size) - v->size;
        break;
    case 1:
        *cy = fmod(v->y0 + v->dir * 45 * sp * s + 10 * H, H + 2 * v->size) - v->size;
        break;
    case 2: /* circle around the start point */
        *cx = W / 2 + v->radius * cos(v->phase + v->dir * 2.2 * v->omega * s);
        *cy = H / 2 + v->radius * sin(v->phase + v->dir * 2.2 * v->omega * s);
        break;
    case 3:
        *cx = W / 2 + v->amp * sin(v->phase + 2 * M_PI * 0.9 * v->omega * s);
        break;
    case 4:
        *cy = H / 2 + 0.3 * H * sin(v->phase + 2 * M_PI * 0.9 * v->omega * s);
        break;
    case 5: /* stays, grows and shrinks */
        *scale = 1 + 0.45 * sin(v->phase + 2 * M_PI * 0.8 * v->omega * s);
        break;
    case 6: { /* bouncing ball: |sin| height profile, slow horizontal drift */
        double hgt = fabs(sin(v->phase + M_PI * 1.1 * v->omega * s));
        *cy = H - v->size - hgt * 0.6 * H;
        *cx = v->x0 + v->dir * 10 * sp * s;
        break;
    }
    case 7: /* diagonal zigzag between the walls */
        *cx = W / 2 + 0.35 * W * tri(v->phase / (2 * M_PI) + v->dir * 0.45 * v->omega * s);
        *cy = H / 2 + 0.3 * H * tri(v->phase / (2 * M_PI) + 0.9 * v->omega * s);
        break;
    case 8: /* spins in place */
        *angle = v->dir * 2 * M_PI * 0.5 * v->omega * s + v->phase;
        *scale = 1.3;
        break;
    case 9: /* blinks in place */
        *visible = sin(v->phase + 2 * M_PI * 1.2 * v->omega * s) > -0.2;
        break;
    }
}

void synth_video_render(const SynthVideo *v, int t, uint8_t *bgr) {
    int W = v->w, H = v->h;
    int ox = (int)floor(v->bg_x0 + v->bg_vx * t), oy = (int)floor(v->bg_y0 + v->bg_vy * t);
    for (int y = 0; y < H; y++) {
        const uint8_t *row = v->bg + (size_t)(((y + oy) % TEX + TEX) % TEX) * TEX * 3;
        uint8_t *d = bgr + (size_t)y * W * 3;
        for (int x = 0; x < W; x++) {
            int tx = ((x + ox) % TEX + TEX) % TEX;
            memcpy(d + 3 * x, row + 3 * tx, 3);
        }
    }
    double cx, cy, sc, ang;
    int vis;
    motion(v, t, &cx, &cy, &sc, &ang, &vis);
    double R = v->size * sc, ca = cos(ang), sa = sin(ang);
    if (vis) {
        int x0 = (int)floor(cx - 1.5 * R), x1 = (int)ceil(cx + 1.5 * R);
        int y0 = (int)floor(cy - 1.5 * R), y1 = (int)ceil(cy + 1.5 * R);
        if (x0 < 0) x0 = 0;
        if (y0 < 0) y0 = 0;
        if (x1 > W) x1 = W;
        if (y1 > H) y1 = H;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                double u = (ca * dx + sa * dy) / R, w = (-sa * dx + ca * dy) / R; /* object frame */
                int in;
                switch (v->shape) {
                case 0: in = u * u + w * w < 1; break;
                case 1: in = fabs(u) < 0.85 && fabs(w) < 0.85; break;
                case 2: in = fabs(u) + fabs(w) < 1.1; break;
                default: {
                    double rr = u * u + w * w;
                    in = rr < 1 && rr > 0.25;
                }
                }
                if (!in) continue;
                int tx = ((int)floor(u * 48) + 4 * TEX) % TEX, ty = ((int)floor(w * 48) + 4 * TEX) % TEX;
                memcpy(bgr + ((size_t)y * W + x) * 3, v->obj + ((size_t)ty * TEX + tx) * 3, 3);
            }
    }
    /* light sensor noise, a pure function of (video, frame, pixel) */
    uint64_t ns = rng_mix(v->noise_seed ^ (uint64_t)t * 0x9e3779b97f4a7c15ull);
    for (size_t i = 0; i < (size_t)W * H * 3; i += 8) {
        uint64_t z = rng_mix(ns + i);
        for (int k = 0; k < 8 && i + k < (size_t)W * H * 3; k++) {
            int n = (int)((z >> (8 * k)) & 7) - 3;
            int p = bgr[i + k] + n;
            bgr[i + k] = (uint8_t)(p < 0 ? 0 : p > 255 ? 255 : p);
        }
    }
}

/* ------------------------------------------------------------------ dataset writer */
typedef struct {
    const SynthOptions *o;
    int next, failed;
    pthread_mutex_t mu;
    char **class_names;
} SynthJob;

static void video_name(const SynthOptions *o, const char *cls, int v, char *buf, size_t len) {
    (void)o;
    snprintf(buf, len, "v_%s_g%02d_c%02d", cls, v / 4 + 1, v % 4 + 1);
}

static void *synth_worker(void *arg) {
    SynthJob *j = arg;
    const SynthOptions *o = j->o;
    uint8_t *frame = xmalloc((size_t)o->width * o->height * 3);
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int k = j->next++;
        pthread_mutex_unlock(&j->mu);
        if (k >= o->classes * o->per_class) break;
        int c = k / o->per_class, vi = k % o->per_class;
        char name[256], rel[600], err[1024];
        video_name(o, j->class_names[c], vi, name, sizeof name);
        if (o->flat) snprintf(rel, sizeof rel, "%s/UCF101_raw/%s.avi", o->out, name);
        else snprintf(rel, sizeof rel, "%s/UCF-101/%s/%s.avi", o->out, j->class_names[c], name);
        char tmp[700];
        snprintf(tmp, sizeof tmp, "%s.tmp.avi", rel); /* keep the extension: the muxer is picked from it */
        SynthVideo *sv = synth_video_new(o->seed, c, vi, o->width, o->height);
        VideoWriter *vw = video_writer_open(tmp, o->width, o->height, 25, o->quality, err, sizeof err);
        int ok = vw != NULL;
        for (int t = 0; ok && t < o->frames; t++) {
            synth_video_render(sv, t, frame);
            ok = !video_writer_add(vw, frame, err, sizeof err);
        }
        if (vw && video_writer_close(vw, ok ? err : NULL, ok ? sizeof err : 0)) ok = 0;
        if (ok && rename(tmp, rel)) snprintf(err, sizeof err, "%s: cannot rename", rel), ok = 0;
        if (!ok) {
            remove(tmp);
            pthread_mutex_lock(&j->mu);
            fprintf(stderr, "fedvssl: synth: %s\n", err);
            j->failed++;
            pthread_mutex_unlock(&j->mu);
        }
        synth_video_free(sv);
    }
    free(frame);
    return NULL;
}

static int write_text(const char *path, const char *text) {
    AtomicFile af;
    if (atomic_open(&af, path)) return -1;
    atomic_write(&af, text, strlen(text));
    return atomic_commit(&af);
}

int synth_write(const SynthOptions *o) {
    SynthJob j = {.o = o};
    pthread_mutex_init(&j.mu, NULL);
    j.class_names = xcalloc((size_t)o->classes, sizeof(char *));
    char *lists = path_join(o->out, "ucfTrainTestlist");
    if (mkdir_p(lists)) {
        fprintf(stderr, "fedvssl: synth: %s: cannot create directory\n", lists);
        return -1;
    }
    /* UCF's own split files use CRLF line ends; so do we, so readers are tested against them */
    size_t cap = 1 << 16, n_ci = 0, n_tr = 0, n_te = 0;
    char *ci = xmalloc(cap), *tr = xmalloc((size_t)o->classes * o->per_class * 128 + 1),
         *te = xmalloc((size_t)o->classes * o->per_class * 128 + 1);
    ci[0] = tr[0] = te[0] = 0;
    int groups = (o->per_class + 3) / 4, test_groups = (int)(groups * 0.28 + 0.5);
    if (test_groups < 1) test_groups = 1;
    if (groups > 1 && test_groups >= groups) test_groups = groups - 1;
    /* With fewer than 4 groups (< 13 videos per class) whole groups cannot come near 28 % (6 videos: 1 group of 2
     * would put 4 of 6 in the test split): split by video instead, keeping both splits non-empty. */
    int test_videos = (int)(o->per_class * 0.28 + 0.5);
    if (test_videos < 1) test_videos = 1;
    if (o->per_class > 1 && test_videos >= o->per_class) test_videos = o->per_class - 1;
    for (int c = 0; c < o->classes; c++) {
        char cls[64], name[256];
        synth_class_name(c, cls, sizeof cls);
        j.class_names[c] = xstrdup(cls);
        n_ci += (size_t)snprintf(ci + n_ci, cap - n_ci, "%d %s\r\n", c + 1, cls);
        char *dir = path_join(o->out, o->flat ? "UCF101_raw" : "UCF-101");
        char *cdir = o->flat ? xstrdup(dir) : path_join(dir, cls);
        if (mkdir_p(cdir)) {
            fprintf(stderr, "fedvssl: synth: %s: cannot create directory\n", cdir);
            return -1;
        }
        free(dir), free(cdir);
        for (int v = 0; v < o->per_class; v++) {
            video_name(o, cls, v, name, sizeof name);
            int is_test = groups >= 4 ? v / 4 < test_groups : v < test_videos;
            if (is_test) n_te += (size_t)sprintf(te + n_te, "%s/%s.avi\r\n", cls, name);
            else n_tr += (size_t)sprintf(tr + n_tr, "%s/%s.avi %d\r\n", cls, name, c + 1);
        }
    }
    char *p1 = path_join(lists, "classInd.txt"), *p2 = path_join(lists, "trainlist01.txt"),
         *p3 = path_join(lists, "testlist01.txt");
    int rc = write_text(p1, ci) || write_text(p2, tr) || write_text(p3, te);
    if (rc) fprintf(stderr, "fedvssl: synth: cannot write the split lists in %s\n", lists);
    free(p1), free(p2), free(p3), free(ci), free(tr), free(te), free(lists);
    if (rc) return -1;

    int nt = o->threads > 0 ? o->threads : 1;
    pthread_t *th = xmalloc(sizeof *th * (size_t)nt);
    for (int i = 0; i < nt; i++) pthread_create(&th[i], NULL, synth_worker, &j);
    for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
    free(th);
    for (int c = 0; c < o->classes; c++) free(j.class_names[c]);
    free(j.class_names);
    return j.failed ? -1 : 0;
}
