/* Bad videos one by one through `prepare` (RELIABILITY.md, "Bad data"): a zero-length file, a file cut inside its
 * header, a text file named .avi, a codec FFmpeg has no decoder for, a video listed in the split but absent (each
 * fails with one line naming the file and the problem, the others are prepared); a video cut mid-stream (prepared
 * with the frames that decode and a warning naming it and the count); a portrait video (prepared at its size and
 * sampled by the loader in all three modes, as is a cut video shorter than a clip). */
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/core/util.h"
#include "../src/data/annotations.h"
#include "../src/core/fsutil.h"
#include "../src/data/jpeg.h"
#include "../src/data/loader.h"
#include "../src/data/prepare.h"
#include "../src/data/synth.h"
#include "../src/io/zip.h"
#include "check.h"

static char root[64];

/* The n-th (sorted) video of a class folder of the synthetic set. */
static char *video(const char *src, const char *cls, int n) {
    char pat[512];
    snprintf(pat, sizeof pat, "%s/UCF-101/%s/*.avi", src, cls);
    glob_t g;
    char *p = NULL;
    if (glob(pat, 0, NULL, &g) == 0 && (size_t)n < g.gl_pathc) p = xstrdup(g.gl_pathv[n]);
    globfree(&g);
    if (!p) die("%s: no video %d", pat, n);
    return p;
}

static void write_bytes(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f)) die("cannot write %s", path);
}

/* Keeps the first n bytes of a file. */
static void cut(const char *path, size_t n) {
    size_t len;
    const char *e;
    uint8_t *b = read_file(path, &len, &e);
    if (!b || len <= n) die("%s: cannot cut to %zu bytes", path, n);
    write_bytes(path, b, n);
    free(b);
}

/* Replaces every occurrence of a 4-byte tag (the AVI stream header and the bitmap header both carry the FourCC). */
static int retag(const char *path, const char *from, const char *to) {
    size_t len;
    const char *e;
    uint8_t *b = read_file(path, &len, &e);
    int n = 0;
    for (size_t i = 0; b && i + 4 <= len; i++)
        if (!memcmp(b + i, from, 4)) memcpy(b + i, to, 4), n++;
    if (b) write_bytes(path, b, len);
    free(b);
    return n;
}

/* The frames of a pack: count and the first one's size. */
static int pack_frames(const char *zp, int *w, int *h) {
    ZipReader z;
    char err[512];
    if (zip_open(&z, zp, err, sizeof err)) return -1;
    size_t len;
    int owned, n = z.n;
    const uint8_t *j = zip_read(&z, 0, &len, &owned, err, sizeof err);
    if (!j || jpeg_size(j, len, w, h, err, sizeof err)) n = -1;
    if (owned) free((void *)j);
    zip_close(&z);
    return n;
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/fedvssl_test_badvideo_XXXXXX");
    if (!mkdtemp(root)) die("mkdtemp");
    char src[128], por[128], data[128], log[128];
    snprintf(src, sizeof src, "%s/raw", root);
    snprintf(por, sizeof por, "%s/portrait", root);
    snprintf(data, sizeof data, "%s/data", root);
    snprintf(log, sizeof log, "%s/prepare.log", root);
    SynthOptions so = {.out = src, .classes = 2, .per_class = 5, .frames = 40, .width = 160, .height = 120,
                       .quality = 8, .threads = 2, .seed = 3};
    CHECK(synth_write(&so) == 0, "synth");
    SynthOptions sp = so;
    sp.out = por, sp.classes = 1, sp.per_class = 1, sp.width = 96, sp.height = 144;
    CHECK(synth_write(&sp) == 0, "synth portrait");

    /* class 1 (SlideSideways): five kinds of damage; class 2 (SlideVertical): a portrait video, one removed */
    char absent_name[300];
    char *truncated = video(src, "SlideSideways", 0), *empty = video(src, "SlideSideways", 1),
         *header = video(src, "SlideSideways", 2), *codec = video(src, "SlideSideways", 3),
         *text = video(src, "SlideSideways", 4), *portrait = video(src, "SlideVertical", 0),
         *absent = video(src, "SlideVertical", 1), *p_src = video(por, "SlideSideways", 0);
    size_t len;
    const char *e;
    uint8_t *b = read_file(truncated, &len, &e);
    free(b);
    cut(truncated, len * 2 / 5);
    write_bytes(empty, "", 0);
    cut(header, 2000);
    CHECK(retag(codec, "XVID", "QQQQ") == 2, "the synthetic AVI carries its FourCC twice");
    const char txt[] = "this is not a video\n";
    write_bytes(text, txt, sizeof txt - 1);
    b = read_file(p_src, &len, &e);
    write_bytes(portrait, b, len);
    free(b);
    CHECK(unlink(absent) == 0, "remove %s", absent);
    snprintf(absent_name, sizeof absent_name, "SlideVertical/%s", strrchr(absent, '/') + 1);
    *strrchr(absent_name, '.') = 0; /* prepare names a video it cannot find by its split-list name */

    /* prepare with its stderr in a file, to read the messages */
    PrepareOptions po = {.dataset = "ucf101", .src = src, .out = data, .threads = 2, .quality = 90};
    PrepareStats st;
    char err[1024];
    fflush(stderr);
    int saved = dup(2), lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (saved < 0 || lfd < 0 || dup2(lfd, 2) < 0) die("cannot redirect stderr to %s", log);
    int rc = prepare_run(&po, &st, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved), close(lfd);
    CHECK(rc == 1 && st.videos == 10 && st.failed == 5 && st.written == 5 && st.warned == 1,
          "prepare: rc %d, %d videos, %d failed, %d written, %d warned", rc, st.videos, st.failed, st.written, st.warned);
    char *msgs = (char *)read_file(log, &len, &e);
    msgs = xrealloc(msgs, len + 1);
    msgs[len] = 0;
    fprintf(stderr, "prepare said:\n%s", msgs);
    struct {
        const char *file, *says;
    } want[] = {
        {empty, "empty file (0 bytes)"},
        {header, "cannot open video (not a video file, or its header is damaged)"},
        {text, "cannot open video (not a video file, or its header is damaged)"},
        {codec, "no decoder for the video codec (FourCC 'QQQQ')"},
        {absent_name, "video file not found under"},
        {truncated, "frames decoded of the 40 its header declares (truncated?)"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char line[1200];
        snprintf(line, sizeof line, "%s: ", want[i].file);
        const char *name = strrchr(want[i].file, '/') ? strrchr(want[i].file, '/') + 1 : want[i].file;
        int named = 0;
        for (const char *p = msgs; (p = strstr(p, name)); p++) {
            const char *eol = strchr(p, '\n');
            named |= strstr(p, want[i].says) && (!eol || strstr(p, want[i].says) < eol);
        }
        CHECK(named, "a line names %s and says \"%s\"", name, want[i].says);
        CHECK(strstr(msgs, line), "a message starts with \"%s\"", line);
    }
    CHECK(strstr(msgs, "warning: ") && strstr(msgs, "frames decoded of the 40"), "the cut video is a warning");
    CHECK(strstr(msgs, "5 list entries left out of annotations/*_split_*") != NULL, "says the lists leave 5 out");
    free(msgs);
    /* the split lists hold the 5 prepared videos only: a later command would stop on a video without a pack */
    {
        AnnList tr = {0}, te = {0};
        char lp[400], ler[1024];
        snprintf(lp, sizeof lp, "%s/annotations/train_split_1.json", data);
        CHECK(ann_load_json(lp, &tr, ler, sizeof ler) == 0, "%s", ler);
        snprintf(lp, sizeof lp, "%s/annotations/test_split_1.json", data);
        CHECK(ann_load_json(lp, &te, ler, sizeof ler) == 0, "%s", ler);
        int missing = 0;
        for (int i = 0; i < tr.n + te.n; i++) {
            const AnnEntry *a = i < tr.n ? &tr.e[i] : &te.e[i - tr.n];
            snprintf(lp, sizeof lp, "%s/zips/%s.zip", data, a->name);
            missing += !is_file(lp);
        }
        CHECK(tr.n + te.n == 5 && missing == 0, "lists: %d entries, %d without a pack", tr.n + te.n, missing);
        ann_free(&tr), ann_free(&te);
    }

    /* the packs: the cut video holds what decoded (fewer than 40 frames, at least one), the portrait one its
     * 40 frames at 96x144; no pack for a failed video */
    char zp[600];
    int w = 0, h = 0, n;
    snprintf(zp, sizeof zp, "%s/zips/SlideSideways/%s", data, strrchr(truncated, '/') + 1);
    strcpy(strrchr(zp, '.'), ".zip");
    n = pack_frames(zp, &w, &h);
    CHECK(n > 0 && n < 40 && w == 160 && h == 120, "cut video: %d frames of %dx%d", n, w, h);
    snprintf(zp, sizeof zp, "%s/zips/SlideVertical/%s", data, strrchr(portrait, '/') + 1);
    strcpy(strrchr(zp, '.'), ".zip");
    n = pack_frames(zp, &w, &h);
    CHECK(n == 40 && w == 96 && h == 144, "portrait video: %d frames of %dx%d", n, w, h);
    snprintf(zp, sizeof zp, "%s/zips/SlideSideways/%s", data, strrchr(empty, '/') + 1);
    strcpy(strrchr(zp, '.'), ".zip");
    CHECK(access(zp, F_OK) != 0, "no pack for a failed video (%s)", zp);

    /* the loader samples the portrait video and the cut one in every mode: finite, normalised values */
    char list[300];
    snprintf(list, sizeof list, "%s/two.json", root);
    char n1[300], n2[300];
    snprintf(n1, sizeof n1, "SlideVertical/%s", strrchr(portrait, '/') + 1);
    snprintf(n2, sizeof n2, "SlideSideways/%s", strrchr(truncated, '/') + 1);
    *strrchr(n1, '.') = 0, *strrchr(n2, '.') = 0;
    AnnEntry two[2] = {{n1, 1}, {n2, 0}};
    CHECK(!ann_write_json(list, two, 2), "write %s", list);
    const int S = 112;
    float *imgs = xmalloc(sizeof(float) * 10 * 3 * 16 * S * S), tr[3 * 16 * 4], tw[3 * 16];
    for (int mode = 0; mode < 3; mode++) {
        Loader *L = loader_open(data, list, (LoaderMode)mode, 2, 5, 1, NULL, err, sizeof err);
        CHECK(L != NULL, "loader mode %d: %s", mode, err);
        if (!L) continue;
        size_t count = (size_t)(mode == LOADER_TEST ? 10 : 1) * 3 * 16 * S * S;
        for (int i = 0; i < 2; i++) {
            memset(imgs, 0xff, sizeof(float) * count); /* NaN: every value must be written */
            int r = loader_sample(L, 0, i, i, imgs, mode == LOADER_CTP ? tr : NULL, mode == LOADER_CTP ? tw : NULL,
                                  err, sizeof err);
            int ok = 1;
            for (size_t k = 0; k < count; k++) ok &= isfinite(imgs[k]) && fabsf(imgs[k]) < 3.0f;
            CHECK(r == 0 && ok, "mode %d, %s (%s): sampled, all values finite and normalised (%s)", mode,
                  two[i].name, i ? "cut" : "portrait", r ? err : "");
        }
        loader_free(L);
    }
    free(imgs);
    free(truncated), free(empty), free(header), free(codec), free(text), free(portrait), free(absent), free(p_src);
    scratch_done(root);
    TEST_END();
}
