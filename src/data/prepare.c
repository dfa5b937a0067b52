/* fedvssl prepare: what CtP's process_ucf101.py + the baseline's dataset_convert_to_json.py produce, decoded
 * with FFmpeg and encoded with libjpeg-turbo, one video per thread. */
#include "prepare.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/progress.h"
#include "../core/util.h"
#include "../io/zip.h"
#include "annotations.h"
#include "../core/fsutil.h"
#include "jpeg.h"
#include "video.h"

/* ------------------------------------------------------------------ finding videos by base name */
typedef struct {
    char **key, **path;
    int n, cap;
} VideoIndex;

static int is_video_ext(const char *n) {
    const char *d = strrchr(n, '.');
    if (!d) return 0;
    return !strcasecmp(d, ".avi") || !strcasecmp(d, ".mp4") || !strcasecmp(d, ".mkv") || !strcasecmp(d, ".webm") ||
           !strcasecmp(d, ".mov");
}

static void index_dir(VideoIndex *ix, const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = path_join(dir, e->d_name);
        struct stat st;
        if (!stat(p, &st) && S_ISDIR(st.st_mode)) {
            if (depth < 4) index_dir(ix, p, depth + 1);
            free(p);
        } else if (is_video_ext(e->d_name) && !strstr(e->d_name, ".tmp.")) {
            if (ix->n == ix->cap) {
                ix->cap = ix->cap ? 2 * ix->cap : 1024;
                ix->key = xrealloc(ix->key, sizeof(char *) * (size_t)ix->cap);
                ix->path = xrealloc(ix->path, sizeof(char *) * (size_t)ix->cap);
            }
            char *k = xstrdup(e->d_name);
            *strrchr(k, '.') = 0;
            ix->key[ix->n] = k;
            ix->path[ix->n++] = p;
        } else
            free(p);
    }
    closedir(d);
}

static VideoIndex *g_sort_ix;
static int cmp_ix(const void *a, const void *b) {
    return strcmp(g_sort_ix->key[*(const int *)a], g_sort_ix->key[*(const int *)b]);
}

/* sorted permutation for binary search */
static int *index_sort(VideoIndex *ix) {
    int *o = xmalloc(sizeof(int) * (size_t)(ix->n + 1));
    for (int i = 0; i < ix->n; i++) o[i] = i;
    g_sort_ix = ix;
    qsort(o, (size_t)ix->n, sizeof(int), cmp_ix);
    return o;
}

static const char *index_find(const VideoIndex *ix, const int *ord, const char *key) {
    int lo = 0, hi = ix->n - 1;
    while (lo <= hi) {
        int m = (lo + hi) / 2, c = strcmp(ix->key[ord[m]], key);
        if (!c) return ix->path[ord[m]];
        if (c < 0) lo = m + 1;
        else hi = m - 1;
    }
    return NULL;
}

static void index_free(VideoIndex *ix) {
    for (int i = 0; i < ix->n; i++) free(ix->key[i]), free(ix->path[i]);
    free(ix->key), free(ix->path);
}

/* ------------------------------------------------------------------ split lists */
static char *strip_ext(const char *s) {
    char *r = xstrdup(s);
    char *d = strrchr(r, '.'), *sl = strrchr(r, '/');
    if (d && (!sl || d > sl) && is_video_ext(d)) *d = 0;
    return r;
}

static char *find_dir_with(const char *root, const char *file, int depth) {
    char *p = path_join(root, file);
    if (is_file(p)) {
        free(p);
        return xstrdup(root);
    }
    free(p);
    if (depth >= 3) return NULL;
    DIR *d = opendir(root);
    if (!d) return NULL;
    struct dirent *e;
    char *found = NULL;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *sub = path_join(root, e->d_name);
        if (is_dir(sub)) found = find_dir_with(sub, file, depth + 1);
        free(sub);
    }
    closedir(d);
    return found;
}

typedef struct {
    int split;
    AnnList train, test;
} Split;

/* UCF-101: classInd.txt "<id> <Class>", trainlist0N.txt "<Class>/<video>.avi <id>", testlist0N.txt
 * "<Class>/<video>.avi". The label of every line comes from the class name, as process_ucf101 does. */
static int ucf_splits(const char *dir, Split *sp, int *nsp, char *err, size_t errlen) {
    size_t len;
    const char *e;
    char *p = path_join(dir, "classInd.txt");
    char *txt = (char *)read_file(p, &len, &e);
    if (!txt) {
        snprintf(err, errlen, "%s: %s", p, e);
        free(p);
        return -1;
    }
    AnnList classes = {0};
    char *save = NULL;
    int lineno = 0;
    txt = xrealloc(txt, len + 1);
    txt[len] = 0;
    for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        int id;
        char name[256];
        if (sscanf(line, "%d %255s", &id, name) != 2) {
            if (strspn(line, " \t\r") == strlen(line)) continue;
            snprintf(err, errlen, "%s:%d: expected '<id> <ClassName>'", p, lineno);
            free(txt), free(p), ann_free(&classes);
            return -1;
        }
        ann_push(&classes, name, id);
    }
    free(txt);
    if (!classes.n) {
        snprintf(err, errlen, "%s: no classes", p);
        free(p);
        return -1;
    }
    free(p);
    *nsp = 0;
    for (int s = 1; s <= 3; s++) {
        char tn[64], te[64];
        snprintf(tn, sizeof tn, "trainlist%02d.txt", s);
        snprintf(te, sizeof te, "testlist%02d.txt", s);
        char *ptr = path_join(dir, tn), *pte = path_join(dir, te);
        if (!is_file(ptr) || !is_file(pte)) {
            free(ptr), free(pte);
            continue;
        }
        Split *S = &sp[(*nsp)++];
        memset(S, 0, sizeof *S);
        S->split = s;
        for (int which = 0; which < 2; which++) {
            AnnList raw;
            const char *fp = which ? pte : ptr;
            if (ann_load_txt(fp, 0, &raw, err, errlen)) {
                free(ptr), free(pte), ann_free(&classes);
                return -1;
            }
            for (int i = 0; i < raw.n; i++) {
                char *nm = strip_ext(raw.e[i].name);
                char *sl = strchr(nm, '/');
                int lab = -1;
                if (sl) {
                    *sl = 0;
                    for (int c = 0; c < classes.n; c++)
                        if (!strcmp(classes.e[c].name, nm)) lab = (int)classes.e[c].label;
                    *sl = '/';
                }
                if (lab < 0) {
                    snprintf(err, errlen, "%s:%d: '%s' is not '<Class>/<video>' with a class of classInd.txt", fp,
                             i + 1, raw.e[i].name);
                    free(nm), ann_free(&raw), free(ptr), free(pte), ann_free(&classes);
                    return -1;
                }
                ann_push(which ? &S->test : &S->train, nm, lab);
                free(nm);
            }
            ann_free(&raw);
        }
        free(ptr), free(pte);
    }
    ann_free(&classes);
    if (!*nsp) {
        snprintf(err, errlen, "%s: no trainlist0N.txt / testlist0N.txt pair", dir);
        return -1;
    }
    return 0;
}

/* HMDB-51: testTrainMulti_7030_splits/<class>_test_split<N>.txt, lines "<video>.avi <0|1|2>" (1 train, 2 test).
 * Classes are numbered 1..51 in sorted name order (INFERRED convention; the spec does not give HMDB's). */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int hmdb_splits(const char *dir, Split *sp, int *nsp, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open", dir);
        return -1;
    }
    char **cls = NULL;
    int nc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *m = strstr(e->d_name, "_test_split1.txt");
        if (!m || m[16]) continue;
        cls = xrealloc(cls, sizeof(char *) * (size_t)(nc + 1));
        cls[nc] = xstrdup(e->d_name);
        cls[nc++][m - e->d_name] = 0;
    }
    closedir(d);
    if (!nc) {
        snprintf(err, errlen, "%s: no <class>_test_split1.txt files", dir);
        return -1;
    }
    qsort(cls, (size_t)nc, sizeof(char *), cmp_str);
    *nsp = 0;
    for (int s = 1; s <= 3; s++) {
        Split *S = &sp[*nsp];
        memset(S, 0, sizeof *S);
        S->split = s;
        int ok = 1;
        for (int c = 0; c < nc && ok; c++) {
            char fn[512];
            snprintf(fn, sizeof fn, "%s_test_split%d.txt", cls[c], s);
            char *p = path_join(dir, fn);
            AnnList raw;
            if (!is_file(p)) ok = 0;
            else if (ann_load_txt(p, 1, &raw, err, errlen)) {
                free(p);
                return -1;
            } else {
                for (int i = 0; i < raw.n; i++) {
                    if (raw.e[i].label != 1 && raw.e[i].label != 2) continue;
                    char *nm = strip_ext(raw.e[i].name), full[1024];
                    snprintf(full, sizeof full, "%s/%s", cls[c], nm);
                    ann_push(raw.e[i].label == 1 ? &S->train : &S->test, full, c + 1);
                    free(nm);
                }
                ann_free(&raw);
            }
            free(p);
        }
        if (ok) (*nsp)++;
        else ann_free(&S->train), ann_free(&S->test);
    }
    for (int c = 0; c < nc; c++) free(cls[c]);
    free(cls);
    return 0;
}

/* ------------------------------------------------------------------ workers */
typedef struct {
    const PrepareOptions *o;
    char **names;       /* unique video names "<Class>/<video>" */
    const char **paths; /* source file or NULL when not found */
    int n;
    int next, done, written, skipped, failed, warned;
    long long frames;
    char **failures;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} Job;

typedef struct {
    ZipWriter *zw;
    uint8_t *jpg;
    size_t cap;
    int quality;
    char err[1024];
    int failed;
} FrameSink;

static int on_frame(const uint8_t *bgr, int w, int h, int index, void *ctx) {
    FrameSink *s = ctx;
    size_t len;
    char name[32];
    if (jpeg_encode_bgr(bgr, w, h, s->quality, &s->jpg, &s->cap, &len, s->err, sizeof s->err)) return s->failed = 1;
    snprintf(name, sizeof name, "img_%05d.jpg", index + 1);
    if (zip_writer_add(s->zw, name, s->jpg, len)) {
        snprintf(s->err, sizeof s->err, "cannot write the frame pack");
        return s->failed = 1;
    }
    return 0;
}

static int pack_complete(const char *path) {
    ZipReader z;
    char err[256];
    if (!is_file(path) || zip_open(&z, path, err, sizeof err)) return 0;
    int ok = z.n > 0 && zip_find(&z, "img_00001.jpg") >= 0;
    zip_close(&z);
    return ok;
}

static void *prep_worker(void *arg) {
    Job *j = arg;
    FrameSink s = {.quality = j->o->quality};
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int k = j->next++;
        pthread_mutex_unlock(&j->mu);
        if (k >= j->n) break;
        char *zips = path_join(j->o->out, "zips");
        char rel[2048];
        snprintf(rel, sizeof rel, "%s.zip", j->names[k]);
        char *out = path_join(zips, rel);
        free(zips);
        int result = 0; /* 0 written, 1 skipped, 2 failed */
        long long nf = 0;
        char msg[1200] = "";
        if (pack_complete(out)) result = 1; /* resumable: finished packs were renamed into place */
        else if (!j->paths[k]) snprintf(msg, sizeof msg, "%s: video file not found under %s", j->names[k], j->o->src), result = 2;
        else {
            char *dir = xstrdup(out);
            *strrchr(dir, '/') = 0;
            ZipWriter zw;
            if (mkdir_p(dir) || zip_writer_open(&zw, out)) {
                snprintf(msg, sizeof msg, "%s: cannot create %s", j->names[k], out);
                result = 2;
            } else {
                s.zw = &zw, s.failed = 0;
                char err[1024];
                int n = video_decode(j->paths[k], on_frame, &s, err, sizeof err);
                if (n < 0 || s.failed) {
                    zip_writer_abort(&zw);
                    snprintf(msg, sizeof msg, "%s", n < 0 ? err : s.err);
                    result = 2;
                } else if (zip_writer_close(&zw)) {
                    snprintf(msg, sizeof msg, "%s: cannot finish %s", j->paths[k], out);
                    result = 2;
                } else {
                    nf = n;
                    if (err[0]) snprintf(msg, sizeof msg, "%s", err); /* a warning: the frames are kept */
                }
            }
            free(dir);
        }
        free(out);
        pthread_mutex_lock(&j->mu);
        j->done++;
        if (result == 0) {
            j->written++, j->frames += nf;
            if (msg[0]) {
                j->warned++;
                fprintf(stderr, "%sfedvssl: prepare: warning: %s\n", j->o->progress && isatty(2) ? "\n" : "", msg);
            }
        } else if (result == 1)
            j->skipped++;
        else {
            j->failed++;
            j->failures = xrealloc(j->failures, sizeof(char *) * (size_t)j->failed);
            j->failures[j->failed - 1] = xstrdup(msg);
            fprintf(stderr, "%sfedvssl: prepare: FAILED %s\n", j->o->progress && isatty(2) ? "\n" : "", msg);
        }
        pthread_cond_signal(&j->cv);
        pthread_mutex_unlock(&j->mu);
    }
    free(s.jpg);
    return NULL;
}

/* The split lists without the videos that have no frame pack (they failed above): a later command would
 * stop on them. Returns the number left out, or -1 with err. */
static int write_split_files(const char *out, const Split *S, char *err, size_t errlen) {
    char *ann_dir = path_join(out, "annotations");
    int left_out = 0, rc = 0;
    for (int which = 0; which < 2 && !rc; which++) {
        const AnnList *l = which ? &S->test : &S->train;
        AnnList kept = {0};
        for (int i = 0; i < l->n; i++) {
            size_t n = strlen(out) + strlen(l->e[i].name) + 16;
            char *zp = xmalloc(n);
            snprintf(zp, n, "%s/zips/%s.zip", out, l->e[i].name);
            if (is_file(zp)) ann_push(&kept, l->e[i].name, l->e[i].label);
            else left_out++;
            free(zp);
        }
        char fn[64];
        snprintf(fn, sizeof fn, "%s_split_%d.txt", which ? "test" : "train", S->split);
        char *p = path_join(ann_dir, fn);
        rc = ann_write_txt(p, kept.e, kept.n);
        if (!rc) {
            snprintf(fn, sizeof fn, "%s_split_%d.json", which ? "test" : "train", S->split);
            free(p);
            p = path_join(ann_dir, fn);
            rc = ann_write_json(p, kept.e, kept.n);
        }
        if (rc) snprintf(err, errlen, "%s: cannot write: %s", p, strerror(errno));
        free(p);
        ann_free(&kept);
    }
    free(ann_dir);
    return rc ? -1 : left_out;
}

int prepare_run(const PrepareOptions *o, PrepareStats *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    double t0 = now_sec();
    if (!is_dir(o->src)) {
        snprintf(err, errlen, "%s: not a directory", o->src);
        return -1;
    }
    Split sp[3];
    int nsp = 0;
    memset(sp, 0, sizeof sp);
    if (!strcmp(o->dataset, "ucf101")) {
        char *dir = o->splits_dir ? xstrdup(o->splits_dir) : find_dir_with(o->src, "classInd.txt", 0);
        if (!dir) {
            snprintf(err, errlen, "%s: no ucfTrainTestlist/classInd.txt found (give --splits <dir>)", o->src);
            return -1;
        }
        int rc = ucf_splits(dir, sp, &nsp, err, errlen);
        free(dir);
        if (rc) return -1;
    } else if (!strcmp(o->dataset, "hmdb51")) {
        char *dir = o->splits_dir ? xstrdup(o->splits_dir) : NULL;
        if (!dir) {
            /* the split folder holds files like brush_hair_test_split1.txt: look for any *_test_split1.txt */
            dir = find_dir_with(o->src, "brush_hair_test_split1.txt", 0);
        }
        if (!dir) {
            snprintf(err, errlen, "%s: no HMDB-51 split files found (give --splits <dir>)", o->src);
            return -1;
        }
        int rc = hmdb_splits(dir, sp, &nsp, err, errlen);
        free(dir);
        if (rc) return -1;
    } else if (!strcmp(o->dataset, "k400")) {
        if (!o->train_list) {
            snprintf(err, errlen, "k400 needs --train-list (and optionally --test-list) with 'name label' lines");
            return -1;
        }
        nsp = 1;
        sp[0].split = 1;
        for (int which = 0; which < 2; which++) {
            const char *f = which ? o->test_list : o->train_list;
            if (!f) continue;
            AnnList raw;
            if (ann_load_txt(f, 1, &raw, err, errlen)) return -1;
            for (int i = 0; i < raw.n; i++) {
                char *nm = strip_ext(raw.e[i].name);
                ann_push(which ? &sp[0].test : &sp[0].train, nm, raw.e[i].label);
                free(nm);
            }
            ann_free(&raw);
        }
    } else {
        snprintf(err, errlen, "unknown dataset '%s' (ucf101, hmdb51 or k400)", o->dataset);
        return -1;
    }

    char *ann_dir = path_join(o->out, "annotations");
    if (mkdir_p(ann_dir)) {
        snprintf(err, errlen, "%s: cannot create directory", ann_dir);
        free(ann_dir);
        return -1;
    }
    free(ann_dir);

    /* unique videos in list order: split 1 train, split 1 test, then anything only in other splits */
    Job j = {.o = o};
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.cv, NULL);
    AnnList uniq = {0};
    {
        AnnList all = {0};
        for (int s = 0; s < nsp; s++)
            for (int which = 0; which < 2; which++) {
                const AnnList *l = which ? &sp[s].test : &sp[s].train;
                for (int i = 0; i < l->n; i++) ann_push(&all, l->e[i].name, 0);
            }
        /* stable de-duplication: sort the names, then keep an entry only at its first list position */
        char **sorted = xmalloc(sizeof(char *) * (size_t)(all.n + 1));
        for (int i = 0; i < all.n; i++) sorted[i] = all.e[i].name;
        qsort(sorted, (size_t)all.n, sizeof(char *), cmp_str);
        char *seen = xcalloc((size_t)all.n + 1, 1);
        for (int i = 0; i < all.n; i++) {
            int lo = 0, hi = all.n - 1, at = -1;
            while (lo <= hi) { /* leftmost equal name */
                int m = (lo + hi) / 2, c = strcmp(sorted[m], all.e[i].name);
                if (c >= 0) hi = m - 1;
                else lo = m + 1;
                if (!c) at = m;
            }
            if (at >= 0 && !seen[at]) seen[at] = 1, ann_push(&uniq, all.e[i].name, 0);
        }
        free(sorted), free(seen);
        ann_free(&all);
    }

    VideoIndex ix = {0};
    index_dir(&ix, o->src, 0);
    int *ord = index_sort(&ix);
    j.n = uniq.n;
    j.names = xmalloc(sizeof(char *) * (size_t)(uniq.n + 1));
    j.paths = xmalloc(sizeof(char *) * (size_t)(uniq.n + 1));
    for (int i = 0; i < uniq.n; i++) {
        j.names[i] = uniq.e[i].name;
        const char *base = strrchr(uniq.e[i].name, '/');
        base = base ? base + 1 : uniq.e[i].name;
        j.paths[i] = index_find(&ix, ord, base);
    }

    int nt = o->threads > 0 ? o->threads : 1;
    pthread_t *th = xmalloc(sizeof *th * (size_t)nt);
    for (int i = 0; i < nt; i++) pthread_create(&th[i], NULL, prep_worker, &j);
    Progress pr;
    progress_init(&pr, stderr, !o->progress);
    double last = 0;
    pthread_mutex_lock(&j.mu);
    while (j.done < j.n) {
        pthread_cond_wait(&j.cv, &j.mu);
        double t = now_sec() - t0;
        if (t - last > (pr.tty ? 0.25 : 10.0) || j.done == j.n) {
            last = t;
            int fresh = j.done - j.skipped;
            double rate = fresh > 0 ? fresh / t : 0;
            progress_show(&pr, 1, "prepare:", j.done, j.n, rate > 0 ? (j.n - j.done) / rate : -1,
                          "videos (%d skipped, %d failed)  %.1f videos/s", j.skipped, j.failed, rate);
        }
    }
    pthread_mutex_unlock(&j.mu);
    for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
    progress_end(&pr, 0);
    free(th);
    st->videos = j.n, st->written = j.written, st->skipped = j.skipped, st->failed = j.failed, st->warned = j.warned;
    st->frames = j.frames;
    st->seconds = now_sec() - t0;
    /* the lists last, from what was written: a failed video has no pack and is left out */
    int rc = 0, left_out = 0;
    for (int s = 0; s < nsp; s++) {
        int k = rc ? 0 : write_split_files(o->out, &sp[s], err, errlen);
        if (k < 0) rc = -1;
        else left_out += k;
        ann_free(&sp[s].train), ann_free(&sp[s].test);
    }
    if (j.failed) {
        fprintf(stderr, "fedvssl: prepare: %d video(s) failed:\n", j.failed);
        for (int i = 0; i < j.failed; i++) fprintf(stderr, "  %s\n", j.failures[i]);
    }
    if (left_out)
        fprintf(stderr, "fedvssl: prepare: %d list entr%s left out of annotations/*_split_*: %s no frame pack\n",
                left_out, left_out == 1 ? "y" : "ies", left_out == 1 ? "it has" : "they have");
    for (int i = 0; i < j.failed; i++) free(j.failures[i]);
    free(j.failures);
    free(j.names), free(j.paths), free(ord);
    index_free(&ix);
    ann_free(&uniq);
    if (rc) return -1;
    return st->failed ? 1 : 0;
}
