/* The HTML report of run folders (see report.h): finds the run folders, reads their files into plain
 * arrays, and writes the page with the charts of svg.c. Nothing here dies on bad input: a file that
 * cannot be read or parsed becomes a note in its run's section. */
#include "report.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../core/util.h"
#include "../core/fsutil.h"
#include "../io/npy.h"
#include "svg.h"

#define VPUSH(v, n, cap)                                                                                               \
    (((n) == (cap) ? ((cap) = (cap) ? 2 * (cap) : 16, (v) = xrealloc((v), sizeof *(v) * (size_t)(cap))) : 0),          \
     &(v)[(n)++])

#define MAX_NOTES 24
#define MAX_FILE (1u << 30) /* files larger than this are not read */

/* ---------------------------------------------------------------- a run's data */

typedef struct {
    double round, client, iter, iters, loss, lr, cps, x;
} PtTrain;
typedef struct {
    double round, client, ok, num_examples, iters, loss_metric, mean_loss, seconds;
    char *error;
} PtFit;
typedef struct {
    double round, rounds, sampled, results, failures, loss, seconds, server_seconds;
    double heldout, heldout_zero; /* NaN where the run did not measure them */
} PtRound;
typedef struct {
    double epoch, iter, iters, loss, acc, lr, cps, x;
} FtTrain;
typedef struct {
    double epoch, epochs, iters, loss, top1, lr, seconds, cps;
} FtEpoch;

enum { K_PRETRAIN = 1, K_FINETUNE = 2, K_TEST = 4, K_RETRIEVE = 8 };

typedef struct {
    char *dir, *rel; /* path; path below the report's folder ("" for itself) */
    char *name;      /* rel, or for the report's folder itself its last path component */
    int kinds;
    char *files; /* "metrics.jsonl (12 lines), config.yaml, ..." */
    char **notes;
    int nnotes, nnotes_dropped, cnotes;
    /* metrics.jsonl */
    int has_metrics, lines, bad_lines, unknown;
    PtTrain *pt;
    int npt, cpt;
    PtFit *fit;
    int nfit, cfit;
    PtRound *rd;
    int nrd, crd;
    FtTrain *ft;
    int nft, cft;
    FtEpoch *ep;
    int nep, cep;
    char *strategy;
    /* config.yaml */
    char *config;
    /* test */
    int has_test, C, nvideos;
    double top1, top5, mca, test_seconds;
    int64_t *conf; /* C x C, or NULL */
    double *per;   /* per-class top-1 (NaN: no videos), or NULL */
    char **names;  /* C class names */
    const char *test_from;
    char *checkpoint;
    /* retrieval */
    int has_ret, nk, nq, ng;
    int ks[16];
    double rk[16], ret_seconds;
    char *ret_init;
} Run;

static void note(Run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(Run *r, const char *fmt, ...) {
    if (r->nnotes >= MAX_NOTES) {
        r->nnotes_dropped++;
        return;
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    *VPUSH(r->notes, r->nnotes, r->cnotes) = xstrdup(buf);
}

static void add_file(Run *r, const char *what) {
    size_t n = r->files ? strlen(r->files) : 0, m = strlen(what);
    r->files = xrealloc(r->files, n + m + 3);
    if (n) memcpy(r->files + n, ", ", 2), n += 2;
    memcpy(r->files + n, what, m + 1);
}

static char *slurp(Run *r, const char *name, size_t *len) {
    char *p = path_join(r->dir, name);
    struct stat st;
    char *text = NULL;
    if (stat(p, &st) || !S_ISREG(st.st_mode)) {
        free(p);
        return NULL;
    }
    if ((unsigned long long)st.st_size > MAX_FILE) {
        note(r, "%s: %lld bytes, too large to read", name, (long long)st.st_size);
    } else {
        const char *e;
        text = (char *)read_file(p, len, &e);
        if (!text)
            note(r, "%s: cannot read: %s", name, e);
        else
            text = xrealloc(text, *len + 1), text[*len] = 0;
    }
    free(p);
    return text;
}

static int file_exists(const char *dir, const char *name) {
    char *p = path_join(dir, name);
    int ok = is_file(p);
    free(p);
    return ok;
}

/* ---------------------------------------------------------------- metrics.jsonl */

static void take_line(Run *r, const JsonValue *v) {
    const char *ev = json_get_str(v, "event", NULL);
    double N = NAN;
    if (!ev) {
        r->unknown++;
        return;
    }
    if (!strcmp(ev, "train") && json_get(v, "round")) {
        PtTrain *t = VPUSH(r->pt, r->npt, r->cpt);
        *t = (PtTrain){json_get_num(v, "round"),       json_get_num(v, "client"),
                       json_get_num(v, "iter"),        json_get_num(v, "iters"),
                       json_get_num(v, "loss"),        json_get_num(v, "lr"),
                       json_get_num(v, "clips_per_s"), N};
        t->x = t->iters > 0 ? t->round - 1 + t->iter / t->iters : t->round;
        r->kinds |= K_PRETRAIN;
    } else if (!strcmp(ev, "train") && json_get(v, "epoch")) {
        FtTrain *t = VPUSH(r->ft, r->nft, r->cft);
        *t = (FtTrain){
            json_get_num(v, "epoch"), json_get_num(v, "iter"), json_get_num(v, "iters"),       json_get_num(v, "loss"),
            json_get_num(v, "acc"),   json_get_num(v, "lr"),   json_get_num(v, "clips_per_s"), N};
        t->x = t->iters > 0 ? t->epoch - 1 + t->iter / t->iters : t->epoch;
        r->kinds |= K_FINETUNE;
    } else if (!strcmp(ev, "client_fit")) {
        PtFit *f = VPUSH(r->fit, r->nfit, r->cfit);
        const JsonValue *ok = json_get(v, "ok");
        *f = (PtFit){
            json_get_num(v, "round"),        json_get_num(v, "client"),  ok && ok->type == JV_BOOL ? ok->num : 1,
            json_get_num(v, "num_examples"), json_get_num(v, "iters"),   json_get_num(v, "loss_metric"),
            json_get_num(v, "mean_loss"),    json_get_num(v, "seconds"), NULL};
        const char *e = json_get_str(v, "error", NULL);
        if (e) f->error = xstrdup(e);
        r->kinds |= K_PRETRAIN;
    } else if (!strcmp(ev, "round")) {
        *VPUSH(r->rd, r->nrd, r->crd) =
            (PtRound){json_get_num(v, "round"),   json_get_num(v, "rounds"),        json_get_num(v, "sampled"),
                      json_get_num(v, "results"), json_get_num(v, "failures"),      json_get_num(v, "loss"),
                      json_get_num(v, "seconds"), json_get_num(v, "server_seconds"),
                      json_get_num(v, "heldout_loss"), json_get_num(v, "heldout_zero_loss")};
        const char *s = json_get_str(v, "strategy", NULL);
        if (s) free(r->strategy), r->strategy = xstrdup(s);
        r->kinds |= K_PRETRAIN;
    } else if (!strcmp(ev, "epoch")) {
        *VPUSH(r->ep, r->nep, r->cep) =
            (FtEpoch){json_get_num(v, "epoch"),   json_get_num(v, "epochs"),     json_get_num(v, "iters"),
                      json_get_num(v, "loss"),    json_get_num(v, "top1"),       json_get_num(v, "lr"),
                      json_get_num(v, "seconds"), json_get_num(v, "clips_per_s")};
        r->kinds |= K_FINETUNE;
    } else {
        r->unknown++;
    }
}

static void load_metrics(Run *r) {
    size_t len;
    char *text = slurp(r, "metrics.jsonl", &len);
    if (!text) return;
    r->has_metrics = 1;
    int lineno = 0, shown = 0;
    for (size_t pos = 0; pos < len;) {
        const char *ln = text + pos, *nl = memchr(ln, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - ln) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        size_t m = n;
        while (m && (ln[m - 1] == '\r' || ln[m - 1] == ' ' || ln[m - 1] == '\t')) m--;
        if (!m) continue;
        r->lines++;
        char label[64], err[512], msg[600];
        snprintf(label, sizeof label, "metrics.jsonl:%d", lineno);
        JsonValue *v = json_parse(ln, m, "", 1, err, sizeof err);
        /* err is ":1:<col>: ..." of the line alone: name the file's line instead */
        snprintf(msg, sizeof msg, "%s%s", label, !strncmp(err, ":1:", 3) ? err + 2 : err);
        if (!v || v->type != JV_OBJ) {
            r->bad_lines++;
            if (shown++ < 3) {
                if (!v && !nl)
                    note(r, "%s (the last line is incomplete: the run was stopped or is still writing it)", msg);
                else if (!v)
                    note(r, "%s (line skipped)", msg);
                else
                    note(r, "%s: not a JSON object (line skipped)", label);
            }
            json_free(v);
            continue;
        }
        take_line(r, v);
        json_free(v);
    }
    if (r->bad_lines > 3) note(r, "metrics.jsonl: %d unparseable lines in all were skipped", r->bad_lines);
    if (r->unknown) note(r, "metrics.jsonl: %d line%s of unknown kind ignored", r->unknown, r->unknown == 1 ? "" : "s");
    char what[96];
    snprintf(what, sizeof what, "metrics.jsonl (%d line%s)", r->lines, r->lines == 1 ? "" : "s");
    add_file(r, what);
    free(text);
}

/* ---------------------------------------------------------------- config.yaml */

/* The value of a top-level "key: value" line (quotes removed), or NULL. */
static char *yaml_top(const char *text, const char *key) {
    size_t k = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, k) || p[k] != ':') continue;
        const char *v = p + k + 1, *e = strchr(v, '\n');
        if (!e) e = v + strlen(v);
        while (v < e && (*v == ' ' || *v == '\t')) v++;
        while (e > v && (e[-1] == ' ' || e[-1] == '\r')) e--;
        if (e - v >= 2 && *v == '"' && e[-1] == '"') v++, e--;
        char *out = xmalloc((size_t)(e - v) + 1);
        memcpy(out, v, (size_t)(e - v));
        out[e - v] = 0;
        return out;
    }
    return NULL;
}

static double yaml_num(const Run *r, const char *key) {
    if (!r->config) return NAN;
    char *v = yaml_top(r->config, key), *end;
    double x = v ? strtod(v, &end) : NAN;
    if (v && (end == v || *end)) x = NAN;
    free(v);
    return x;
}

static void load_config(Run *r) {
    size_t len;
    r->config = slurp(r, "config.yaml", &len);
    if (!r->config) return;
    add_file(r, "config.yaml");
    if (!(r->kinds & (K_PRETRAIN | K_FINETUNE))) { /* no metrics yet: the keys tell the command */
        if (isfinite(yaml_num(r, "pool_size")))
            r->kinds |= K_PRETRAIN;
        else if (isfinite(yaml_num(r, "epochs")))
            r->kinds |= K_FINETUNE;
    }
}

/* ---------------------------------------------------------------- test results */

static void set_classes(Run *r, int C) {
    r->C = C;
    r->names = xcalloc((size_t)C, sizeof *r->names);
}

static void class_names_default(Run *r) {
    for (int k = 0; k < r->C; k++)
        if (!r->names[k] || !r->names[k][0]) {
            char t[32];
            snprintf(t, sizeof t, "class %d", k + 1);
            free(r->names[k]);
            r->names[k] = xstrdup(t);
        }
}

/* results.json of fedvssl test. */
static void load_results(Run *r) {
    size_t len;
    char *text = slurp(r, "results.json", &len), err[512];
    if (!text) return;
    add_file(r, "results.json");
    JsonValue *v = json_parse(text, len, "results.json", 1, err, sizeof err);
    free(text);
    if (!v || v->type != JV_OBJ) {
        note(r, "%s", v ? "results.json: not a JSON object" : err);
        json_free(v);
        return;
    }
    r->has_test = 1, r->kinds |= K_TEST, r->test_from = "results.json";
    r->top1 = json_get_num(v, "top1"), r->top5 = json_get_num(v, "top5");
    r->mca = json_get_num(v, "mean_class_accuracy"), r->test_seconds = json_get_num(v, "seconds");
    double nv = json_get_num(v, "num_videos"), nc = json_get_num(v, "num_classes");
    r->nvideos = nv >= 0 && nv < 1e9 ? (int)nv : 0;
    const char *ck = json_get_str(v, "checkpoint", NULL);
    if (ck) r->checkpoint = xstrdup(ck);
    const JsonValue *pc = json_get(v, "per_class"), *cf = json_get(v, "confusion");
    int C = nc >= 1 && nc <= 100000 ? (int)nc : 0;
    if (!C && pc && pc->type == JV_ARR) C = pc->n;
    if (!C && cf && cf->type == JV_ARR) C = cf->n;
    if (C < 1 || C > 100000) {
        json_free(v);
        return;
    }
    set_classes(r, C);
    if (pc && pc->type == JV_ARR) {
        r->per = xmalloc(sizeof(double) * (size_t)C);
        for (int k = 0; k < C; k++) r->per[k] = NAN;
        for (int i = 0; i < pc->n; i++) {
            const JsonValue *e = &pc->items[i];
            double c = json_get_num(e, "class");
            int k = isfinite(c) && c >= 1 && c <= C ? (int)c - 1 : i < C ? i : -1;
            if (k < 0) continue;
            const char *nm = json_get_str(e, "name", NULL);
            if (nm && !r->names[k]) r->names[k] = xstrdup(nm);
            r->per[k] = json_get_num(e, "top1");
        }
    }
    if (cf && cf->type == JV_ARR && cf->n == C) {
        int bad = 0;
        r->conf = xcalloc((size_t)C * C, sizeof *r->conf);
        for (int i = 0; i < C && !bad; i++) {
            const JsonValue *row = &cf->items[i];
            if (row->type != JV_ARR || row->n != C) bad = 1;
            for (int j = 0; !bad && j < C; j++) {
                double x = row->items[j].type == JV_NUM ? row->items[j].num : -1;
                if (!(x >= 0 && x < 9e15))
                    bad = 1;
                else
                    r->conf[(size_t)i * C + j] = (int64_t)x;
            }
        }
        if (bad) {
            note(r, "results.json: 'confusion' is not a %d x %d matrix of counts (not drawn)", C, C);
            free(r->conf), r->conf = NULL;
        }
    } else if (cf) {
        note(r, "results.json: 'confusion' is not a %d x %d matrix (not drawn)", C, C);
    }
    json_free(v);
}

/* test_scores.npz: the confusion matrix (and the accuracies when results.json lacks them). */
static void load_scores(Run *r) {
    char *p = path_join(r->dir, "test_scores.npz"), err[1024];
    if (!is_file(p)) {
        free(p);
        return;
    }
    add_file(r, "test_scores.npz");
    if (r->conf && r->has_test) { /* results.json had everything */
        free(p);
        return;
    }
    Npz z;
    if (npz_open(&z, p, err, sizeof err)) {
        note(r, "%s", err);
        free(p);
        return;
    }
    const NpyArray *s = npz_get(&z, "scores"), *l = npz_get(&z, "labels");
    if (!s || !l || s->type == NPY_OBJECT || l->type == NPY_OBJECT || s->ndim != 2 || l->ndim != 1 ||
        s->shape[0] != l->shape[0] || s->shape[1] < 1 || s->shape[1] > 100000 || s->numel > 200000000) {
        note(r, "test_scores.npz: expected 'scores' [N, C] and 'labels' [N] (not used)");
        npz_close(&z);
        free(p);
        return;
    }
    int N = (int)s->shape[0], C = (int)s->shape[1];
    if (r->C && r->C != C) {
        note(r, "test_scores.npz: %d classes, results.json says %d (not used)", C, r->C);
        npz_close(&z);
        free(p);
        return;
    }
    float *sc = xmalloc(sizeof(float) * (size_t)s->numel + 1);
    int64_t *lb = xmalloc(sizeof(int64_t) * (size_t)N + 1);
    npy_to_f32(s, sc);
    npy_to_i64(l, lb);
    npz_close(&z);
    free(p);
    for (int i = 0; i < N; i++)
        if (lb[i] < 0 || lb[i] >= C) {
            note(r, "test_scores.npz: label %lld of video %d is outside 0..%d (not used)", (long long)lb[i], i + 1,
                 C - 1);
            free(sc), free(lb);
            return;
        }
    if (!r->C) set_classes(r, C);
    int64_t *conf = xcalloc((size_t)C * C, sizeof *conf);
    int hit1 = 0, hit5 = 0;
    for (int i = 0; i < N; i++) {
        const float *row = sc + (size_t)i * C;
        int best = 0, above = 0;
        for (int j = 1; j < C; j++)
            if (row[j] > row[best]) best = j;
        for (int j = 0; j < C; j++) above += row[j] > row[lb[i]];
        conf[(size_t)lb[i] * C + best]++;
        hit1 += best == lb[i], hit5 += above < 5;
    }
    if (!r->conf)
        r->conf = conf;
    else
        free(conf);
    if (!r->has_test) {
        r->has_test = 1, r->kinds |= K_TEST, r->test_from = "test_scores.npz";
        r->nvideos = N;
        r->top1 = N ? (double)hit1 / N : NAN, r->top5 = N ? (double)hit5 / N : NAN;
        r->test_seconds = NAN;
        note(r, "results.json is missing: accuracies computed from test_scores.npz");
    }
    free(sc), free(lb);
}

/* per_class.tsv: names and per-class accuracy when nothing better is there. */
static void load_per_class_tsv(Run *r) {
    size_t len;
    char *text = slurp(r, "per_class.tsv", &len);
    if (!text) return;
    add_file(r, "per_class.tsv");
    int n = 0, cap = 0, bad = 0;
    struct Row {
        int cls;
        char *name;
        double videos, correct, top1;
    } *rows = NULL;
    char *save = NULL;
    int first = 1;
    for (char *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        if (first && !strncmp(ln, "class\t", 6)) {
            first = 0;
            continue;
        }
        first = 0;
        char *f[5], *s2 = NULL;
        int nf = 0;
        for (char *c = strtok_r(ln, "\t\r", &s2); c && nf < 5; c = strtok_r(NULL, "\t\r", &s2)) f[nf++] = c;
        if (nf < 5) {
            bad++;
            continue;
        }
        struct Row *w = VPUSH(rows, n, cap);
        w->cls = atoi(f[0]), w->name = f[1], w->videos = strtod(f[2], NULL), w->correct = strtod(f[3], NULL);
        w->top1 = strtod(f[4], NULL);
    }
    if (bad) note(r, "per_class.tsv: %d malformed line%s skipped", bad, bad == 1 ? "" : "s");
    int C = 0;
    for (int i = 0; i < n; i++) C = rows[i].cls > C && rows[i].cls <= 100000 ? rows[i].cls : C;
    if (C && (!r->C || r->C == C)) {
        if (!r->C) set_classes(r, C);
        int make_per = !r->per;
        if (make_per) {
            r->per = xmalloc(sizeof(double) * (size_t)C);
            for (int k = 0; k < C; k++) r->per[k] = NAN;
        }
        double v = 0, h = 0;
        for (int i = 0; i < n; i++) {
            int k = rows[i].cls - 1;
            if (k < 0 || k >= C) continue; /* a class id beyond 100000 did not count in C */
            if (!r->names[k]) r->names[k] = xstrdup(rows[i].name);
            if (make_per) r->per[k] = rows[i].top1;
            if (isfinite(rows[i].videos)) v += rows[i].videos, h += rows[i].correct;
        }
        if (!r->has_test) {
            r->has_test = 1, r->kinds |= K_TEST, r->test_from = "per_class.tsv";
            r->top1 = v > 0 ? h / v : NAN, r->top5 = NAN, r->mca = NAN, r->test_seconds = NAN;
            r->nvideos = v >= 0 && v < 1e9 ? (int)v : 0; /* the file's counts may be anything (fuzz_report) */
            note(r, "results.json is missing: top-1 computed from per_class.tsv");
        }
    }
    free(rows), free(text);
}

static void finish_test(Run *r) {
    if (!r->C) return;
    class_names_default(r);
    if (r->conf) { /* per-class accuracy and the mean of it follow from the matrix */
        if (!r->per) r->per = xmalloc(sizeof(double) * (size_t)r->C);
        double sum = 0;
        int nz = 0;
        for (int i = 0; i < r->C; i++) {
            int64_t row = 0;
            for (int j = 0; j < r->C; j++) row += r->conf[(size_t)i * r->C + j];
            r->per[i] = row ? (double)r->conf[(size_t)i * r->C + i] / (double)row : NAN;
            if (row) sum += r->per[i], nz++;
        }
        if (!isfinite(r->mca) && nz) r->mca = sum / nz;
    }
}

/* ---------------------------------------------------------------- retrieval.json */

static void load_retrieval(Run *r) {
    size_t len;
    char *text = slurp(r, "retrieval.json", &len), err[512];
    if (!text) return;
    add_file(r, "retrieval.json");
    JsonValue *v = json_parse(text, len, "retrieval.json", 1, err, sizeof err);
    free(text);
    if (!v || v->type != JV_OBJ) {
        note(r, "%s", v ? "retrieval.json: not a JSON object" : err);
        json_free(v);
        return;
    }
    r->has_ret = 1, r->kinds |= K_RETRIEVE;
    for (int i = 0; i < v->n && r->nk < 16; i++) {
        int k, used = 0;
        if (sscanf(v->keys[i], "R@%d%n", &k, &used) != 1 || v->keys[i][used] || v->items[i].type != JV_NUM) continue;
        int j = r->nk++;
        while (j > 0 && r->ks[j - 1] > k) r->ks[j] = r->ks[j - 1], r->rk[j] = r->rk[j - 1], j--;
        r->ks[j] = k, r->rk[j] = v->items[i].num;
    }
    if (!r->nk) note(r, "retrieval.json: no R@k values");
    double q = json_get_num(v, "num_queries"), g = json_get_num(v, "num_gallery");
    r->nq = q >= 0 && q < 1e9 ? (int)q : 0, r->ng = g >= 0 && g < 1e9 ? (int)g : 0;
    r->ret_seconds = json_get_num(v, "seconds");
    const JsonValue *in = json_get(v, "init");
    r->ret_init = xstrdup(in && in->type == JV_STR ? in->str : "none (random initialisation)");
    json_free(v);
}

/* ---------------------------------------------------------------- the run folders */

static int is_run_dir(const char *d) {
    static const char *const files[] = {"metrics.jsonl", "config.yaml",     "results.json",
                                        "per_class.tsv", "test_scores.npz", "retrieval.json"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (file_exists(d, files[i])) return 1;
    return 0;
}

typedef struct {
    Run *r;
    int n, cap, dropped;
} Runs;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void discover(const char *dir, const char *rel, int depth, Runs *out) {
    if (is_run_dir(dir)) {
        if (out->n == REPORT_MAX_RUNS)
            out->dropped++;
        else {
            Run *r = VPUSH(out->r, out->n, out->cap);
            memset(r, 0, sizeof *r);
            r->dir = xstrdup(dir), r->rel = xstrdup(rel);
            if (rel[0]) {
                r->name = xstrdup(rel);
            } else {
                size_t n = strlen(dir);
                while (n > 1 && dir[n - 1] == '/') n--;
                const char *b = dir + n;
                while (b > dir && b[-1] != '/') b--;
                r->name = xmalloc((size_t)(dir + n - b) + 1);
                memcpy(r->name, b, (size_t)(dir + n - b));
                r->name[dir + n - b] = 0;
                char *real = NULL;
                if (!r->name[0] || !strcmp(r->name, ".") || !strcmp(r->name, "..")) { /* the folder's own name */
                    free(r->name);
                    real = realpath(dir, NULL);
                    const char *sl = real ? strrchr(real, '/') : NULL;
                    r->name = xstrdup(sl && sl[1] ? sl + 1 : real ? real : dir);
                }
                free(real);
            }
        }
    }
    if (depth >= 2) return;
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') *VPUSH(names, n, cap) = xstrdup(de->d_name);
    closedir(d);
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char *p = path_join(dir, names[i]);
        if (is_dir(p)) {
            char *q = rel[0] ? path_join(rel, names[i]) : xstrdup(names[i]);
            discover(p, q, depth + 1, out);
            free(q);
        }
        free(p), free(names[i]);
    }
    free(names);
}

static int kind_rank(const Run *r) {
    return r->kinds & K_PRETRAIN   ? 0
           : r->kinds & K_FINETUNE ? 1
           : r->kinds & K_TEST     ? 2
           : r->kinds & K_RETRIEVE ? 3
                                   : 4;
}

static int cmp_run(const void *a, const void *b) {
    const Run *x = a, *y = b;
    int d = kind_rank(x) - kind_rank(y);
    return d ? d : strcmp(x->rel, y->rel);
}

static void load_run(Run *r) {
    r->top1 = r->top5 = r->mca = r->test_seconds = r->ret_seconds = NAN;
    load_metrics(r);
    load_config(r);
    load_results(r);
    load_scores(r);
    load_per_class_tsv(r);
    finish_test(r);
    load_retrieval(r);
    if (!r->files) add_file(r, "none readable");
}

static void free_run(Run *r) {
    for (int i = 0; i < r->nnotes; i++) free(r->notes[i]);
    for (int i = 0; i < r->nfit; i++) free(r->fit[i].error);
    for (int k = 0; r->names && k < r->C; k++) free(r->names[k]);
    free(r->notes), free(r->pt), free(r->fit), free(r->rd), free(r->ft), free(r->ep), free(r->strategy);
    free(r->config), free(r->conf), free(r->per), free(r->names), free(r->checkpoint), free(r->ret_init);
    free(r->dir), free(r->rel), free(r->name), free(r->files);
}

/* ---------------------------------------------------------------- derived numbers */

/* Round records, one per round (the last written wins: a resumed run repeats the round it was in). */
static int rounds_dedup(const Run *r, PtRound *out) {
    int n = 0;
    for (int i = 0; i < r->nrd; i++) {
        if (!isfinite(r->rd[i].round)) continue;
        int j = 0;
        while (j < n && out[j].round != r->rd[i].round) j++;
        out[j] = r->rd[i];
        if (j == n) n++;
    }
    for (int i = 1; i < n; i++) /* by round */
        for (int j = i; j > 0 && out[j - 1].round > out[j].round; j--) {
            PtRound t = out[j];
            out[j] = out[j - 1], out[j - 1] = t;
        }
    return n;
}

static int epochs_dedup(const Run *r, FtEpoch *out) {
    int n = 0;
    for (int i = 0; i < r->nep; i++) {
        if (!isfinite(r->ep[i].epoch)) continue;
        int j = 0;
        while (j < n && out[j].epoch != r->ep[i].epoch) j++;
        out[j] = r->ep[i];
        if (j == n) n++;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j - 1].epoch > out[j].epoch; j--) {
            FtEpoch t = out[j];
            out[j] = out[j - 1], out[j - 1] = t;
        }
    return n;
}

/* Append (x, y) to a series kept increasing in x: a point at or before the last one means the run was
 * resumed there, and the older points from x on are dropped. */
static void series_add(double **xs, double **ys, int *n, int *cap, double x, double y) {
    if (!isfinite(x)) return;
    while (*n > 0 && (*xs)[*n - 1] >= x) (*n)--;
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *xs = xrealloc(*xs, sizeof(double) * (size_t)*cap);
        *ys = xrealloc(*ys, sizeof(double) * (size_t)*cap);
    }
    (*xs)[*n] = x, (*ys)[*n] = y;
    (*n)++;
}

typedef struct {
    double *x, *y;
    int n, cap;
} Xy;

static void xy_add(Xy *s, double x, double y) { series_add(&s->x, &s->y, &s->n, &s->cap, x, y); }
static void xy_free(Xy *s, int n) {
    for (int i = 0; i < n; i++) free(s[i].x), free(s[i].y);
}

static int client_ok(double c) { return c >= 1 && c <= 1e6; } /* also false for NaN (no "client" in the line) */

/* The index of client id c in ids[0..n), or n when it is not there (or no valid id). */
static int client_index(const int *ids, int n, double c) {
    int k = 0;
    if (!client_ok(c)) return n;
    while (k < n && ids[k] != (int)c) k++;
    return k;
}

/* Distinct client ids of the pretrain records, sorted. */
static int clients_of(const Run *r, int *ids, int max) {
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < (pass ? r->nfit : r->npt); i++) {
            double c = pass ? r->fit[i].client : r->pt[i].client;
            if (!client_ok(c) || client_index(ids, n, c) < n || n == max) continue;
            int id = (int)c, k = n++;
            while (k > 0 && ids[k - 1] > id) ids[k] = ids[k - 1], k--;
            ids[k] = id;
        }
    return n;
}

static double pretrain_rounds_total(const Run *r) {
    for (int i = r->nrd - 1; i >= 0; i--)
        if (r->rd[i].rounds >= 1) return r->rd[i].rounds;
    return yaml_num(r, "rounds");
}

static double finetune_epochs_total(const Run *r) {
    for (int i = r->nep - 1; i >= 0; i--)
        if (r->ep[i].epochs >= 1) return r->ep[i].epochs;
    return yaml_num(r, "epochs");
}

/* Seconds of the pretrain stage: complete rounds, plus the client fits of a round that did not complete. */
static double pretrain_seconds(const Run *r) {
    PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
    int n = rounds_dedup(r, d);
    double s = 0, last = n ? d[n - 1].round : 0;
    int any = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(d[i].seconds)) s += d[i].seconds, any = 1;
    for (int i = 0; i < r->nfit; i++)
        if (r->fit[i].round > last && isfinite(r->fit[i].seconds)) s += r->fit[i].seconds, any = 1;
    free(d);
    return any ? s : NAN;
}

static double finetune_seconds(const Run *r) {
    FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
    int n = epochs_dedup(r, d), any = 0;
    double s = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(d[i].seconds)) s += d[i].seconds, any = 1;
    free(d);
    return any ? s : NAN;
}

/* ---------------------------------------------------------------- text helpers */

static void fmt_pct(char *b, size_t n, double v) {
    if (isfinite(v))
        snprintf(b, n, "%.1f%%", 100 * v);
    else
        snprintf(b, n, "\xe2\x80\x93"); /* – */
}

static void fmt_num(char *b, size_t n, double v) {
    if (isfinite(v))
        snprintf(b, n, "%.4g", v);
    else if (isnan(v))
        snprintf(b, n, "NaN");
    else
        snprintf(b, n, "%sInf", v < 0 ? "-" : "");
}

static void fmt_secs(char *b, size_t n, double s) {
    if (!isfinite(s) || s < 0)
        snprintf(b, n, "\xe2\x80\x93");
    else if (s < 60)
        snprintf(b, n, "%.1f s", s);
    else if (s < 3600)
        snprintf(b, n, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else if (s < 1e9)
        snprintf(b, n, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    else
        snprintf(b, n, "%.3g s", s);
}

static void kpi(JsonBuf *b, const char *value, const char *label) {
    jb_str(b, "<div class=\"kpi\"><div class=\"v\">");
    html_escape(b, value);
    jb_str(b, "</div><div class=\"k\">");
    html_escape(b, label);
    jb_str(b, "</div></div>");
}

static const char *run_name(const Run *r) { return r->name; }

/* ---------------------------------------------------------------- sections */

static void chart_id(char *buf, size_t n, int run, const char *what) { snprintf(buf, n, "r%d-%s", run, what); }

static void section_pretrain(JsonBuf *b, const Run *r, int ri) {
    char id[64], t[64];
    int ids[64], nc = clients_of(r, ids, 64);
    jb_str(b, "<h3>Federated pre-training</h3>\n<div class=\"grid\">\n");
    /* training loss per client over rounds */
    Xy loss[64] = {{0}}, speed[64] = {{0}};
    SvgSeries ss[66];
    char names[66][32];
    for (int i = 0; i < r->npt; i++) {
        int c = client_index(ids, nc, r->pt[i].client);
        if (c == nc) continue;
        xy_add(&loss[c], r->pt[i].x, r->pt[i].loss);
        xy_add(&speed[c], r->pt[i].x, r->pt[i].cps);
    }
    for (int c = 0; c < nc; c++) {
        snprintf(names[c], sizeof names[c], "client %d", ids[c]);
        ss[c] = (SvgSeries){.name = names[c], .x = loss[c].x, .y = loss[c].y, .n = loss[c].n, .color = c};
    }
    chart_id(id, sizeof id, ri, "pretrain-loss");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "CtP training loss per client",
                               .xlabel = "progress in rounds",
                               .ylabel = "loss",
                               .x_integer = 1},
                   ss, nc);

    /* aggregated round loss, with each client's mean loss of the round */
    PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
    int nr = rounds_dedup(r, d);
    double *rx = xmalloc(sizeof(double) * (size_t)(nr + 1) * 4), *ry = rx + nr + 1, *sx = ry + nr + 1,
           *wx = sx + nr + 1;
    for (int i = 0; i < nr; i++)
        rx[i] = d[i].round, ry[i] = d[i].loss, sx[i] = d[i].seconds, wx[i] = d[i].server_seconds;
    Xy fl[64] = {{0}}, ft[64] = {{0}};
    for (int i = 0; i < r->nfit; i++) {
        int c = client_index(ids, nc, r->fit[i].client);
        if (c == nc) continue;
        if (r->fit[i].ok) xy_add(&fl[c], r->fit[i].round, r->fit[i].mean_loss);
        xy_add(&ft[c], r->fit[i].round, r->fit[i].seconds);
    }
    ss[0] = (SvgSeries){.name = "round loss (aggregated)", .x = rx, .y = ry, .n = nr, .color = SVG_DARK};
    for (int c = 0; c < nc; c++) {
        snprintf(names[c + 1], sizeof names[c + 1], "client %d mean", ids[c]);
        ss[c + 1] = (SvgSeries){.name = names[c + 1], .x = fl[c].x, .y = fl[c].y, .n = fl[c].n, .color = c, .thin = 1};
    }
    chart_id(id, sizeof id, ri, "pretrain-round");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Aggregated loss per round",
                               .xlabel = "round",
                               .ylabel = "weighted mean loss",
                               .x_integer = 1},
                   ss, nc + 1);

    /* held-out CtP loss against predicting zero motion: whether the pretext task is learned at all */
    Xy hl = {0}, hz = {0};
    for (int i = 0; i < nr; i++)
        if (isfinite(d[i].heldout) && isfinite(d[i].heldout_zero))
            xy_add(&hl, d[i].round, d[i].heldout), xy_add(&hz, d[i].round, d[i].heldout_zero);
    if (hl.n) {
        ss[0] = (SvgSeries){.name = "held-out loss (clients' mean)", .x = hl.x, .y = hl.y, .n = hl.n, .color = SVG_DARK};
        ss[1] = (SvgSeries){.name = "predicting zero motion", .x = hz.x, .y = hz.y, .n = hz.n, .color = 0, .thin = 1};
        chart_id(id, sizeof id, ri, "pretrain-heldout");
        svg_line_chart(b,
                       &(SvgChart){.id = id,
                                   .title = "Held-out CtP loss (below predict-zero = motion learned)",
                                   .xlabel = "round",
                                   .ylabel = "loss",
                                   .x_integer = 1},
                       ss, 2);
    }
    free(hl.x), free(hl.y), free(hz.x), free(hz.y);

    /* learning rate: the mean of the round's logged values */
    double *lx = xmalloc(sizeof(double) * (size_t)(r->npt + 1) * 2), *ly = lx + r->npt + 1;
    int nl = 0;
    for (int i = 0; i < r->npt; i++) {
        double R = r->pt[i].round;
        if (!isfinite(R)) continue;
        int j = 0;
        while (j < nl && lx[j] != R) j++;
        if (j == nl) lx[nl] = R, ly[nl++] = r->pt[i].lr;
    }
    chart_id(id, sizeof id, ri, "pretrain-lr");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Learning rate",
                               .xlabel = "round",
                               .ylabel = "learning rate",
                               .x_integer = 1,
                               .log_ratio = 5},
                   &(SvgSeries){.name = "lr", .x = lx, .y = ly, .n = nl, .step = 1}, 1);

    for (int c = 0; c < nc; c++)
        ss[c] = (SvgSeries){.name = names[c], .x = speed[c].x, .y = speed[c].y, .n = speed[c].n, .color = c};
    for (int c = 0; c < nc; c++) snprintf(names[c], sizeof names[c], "client %d", ids[c]);
    chart_id(id, sizeof id, ri, "pretrain-speed");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Training throughput",
                               .xlabel = "progress in rounds",
                               .ylabel = "clips/s",
                               .x_integer = 1,
                               .y_zero = 1},
                   ss, nc);

    ss[0] = (SvgSeries){.name = "round (wall)", .x = rx, .y = sx, .n = nr, .color = SVG_DARK};
    ss[1] = (SvgSeries){.name = "server (aggregate + write)", .x = rx, .y = wx, .n = nr, .color = SVG_GREY};
    for (int c = 0; c < nc; c++) {
        snprintf(names[c + 2], sizeof names[c + 2], "client %d fit", ids[c]);
        ss[c + 2] = (SvgSeries){.name = names[c + 2], .x = ft[c].x, .y = ft[c].y, .n = ft[c].n, .color = c};
    }
    chart_id(id, sizeof id, ri, "pretrain-time");
    svg_line_chart(
        b,
        &(SvgChart){
            .id = id, .title = "Time per round", .xlabel = "round", .ylabel = "seconds", .x_integer = 1, .y_zero = 1},
        ss, nc + 2);
    jb_str(b, "</div>\n");

    /* failed client fits */
    int nfail = 0;
    for (int i = 0; i < r->nfit; i++) nfail += !r->fit[i].ok;
    if (nfail) {
        jb_printf(b,
                  "<h4>Failed client fits (%d)</h4>\n<table "
                  "class=\"t\"><tr><th>round</th><th>client</th><th>error</th></tr>\n",
                  nfail);
        for (int i = 0; i < r->nfit; i++) {
            if (r->fit[i].ok) continue;
            fmt_num(t, sizeof t, r->fit[i].round);
            jb_printf(b, "<tr><td>%s</td>", t);
            fmt_num(t, sizeof t, r->fit[i].client);
            jb_printf(b, "<td>%s</td><td>", t);
            html_escape_cut(b, r->fit[i].error ? r->fit[i].error : "(no message)", 400);
            jb_str(b, "</td></tr>\n");
        }
        jb_str(b, "</table>\n");
    }
    xy_free(loss, nc), xy_free(speed, nc), xy_free(fl, nc), xy_free(ft, nc);
    free(d), free(rx), free(lx);
}

static void section_finetune(JsonBuf *b, const Run *r, int ri) {
    char id[64];
    jb_str(b, "<h3>Fine-tuning</h3>\n<div class=\"grid\">\n");
    Xy il = {0}, ia = {0}, is = {0};
    for (int i = 0; i < r->nft; i++) {
        xy_add(&il, r->ft[i].x, r->ft[i].loss);
        xy_add(&ia, r->ft[i].x, r->ft[i].acc);
        xy_add(&is, r->ft[i].x, r->ft[i].cps);
    }
    FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
    int ne = epochs_dedup(r, d);
    double *ex = xmalloc(sizeof(double) * (size_t)(ne + 1) * 6), *el = ex + ne + 1, *ea = el + ne + 1,
           *er = ea + ne + 1, *es = er + ne + 1, *et = es + ne + 1;
    for (int i = 0; i < ne; i++)
        ex[i] = d[i].epoch, el[i] = d[i].loss, ea[i] = d[i].top1, er[i] = d[i].lr, es[i] = d[i].cps,
        et[i] = d[i].seconds;
    SvgSeries ss[2];
    ss[0] = (SvgSeries){.name = "per log interval", .x = il.x, .y = il.y, .n = il.n, .thin = 1};
    ss[1] = (SvgSeries){.name = "epoch mean", .x = ex, .y = el, .n = ne, .color = 3};
    chart_id(id, sizeof id, ri, "finetune-loss");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Fine-tune loss",
                               .xlabel = "progress in epochs",
                               .ylabel = "cross-entropy loss",
                               .x_integer = 1},
                   ss, 2);
    ss[0] = (SvgSeries){.name = "per log interval", .x = ia.x, .y = ia.y, .n = ia.n, .thin = 1};
    ss[1] = (SvgSeries){.name = "epoch train top-1", .x = ex, .y = ea, .n = ne, .color = 2};
    chart_id(id, sizeof id, ri, "finetune-acc");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Fine-tune train accuracy",
                               .xlabel = "progress in epochs",
                               .ylabel = "top-1",
                               .x_integer = 1,
                               .percent = 1,
                               .y_zero = 1,
                               .log_ratio = -1,
                               .fixed_y = 1,
                               .ymax = 1},
                   ss, 2);
    chart_id(id, sizeof id, ri, "finetune-lr");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Learning rate",
                               .xlabel = "epoch",
                               .ylabel = "learning rate",
                               .x_integer = 1,
                               .log_ratio = 5},
                   &(SvgSeries){.name = "lr", .x = ex, .y = er, .n = ne, .step = 1}, 1);
    ss[0] = (SvgSeries){.name = "per log interval", .x = is.x, .y = is.y, .n = is.n, .thin = 1};
    ss[1] = (SvgSeries){.name = "epoch", .x = ex, .y = es, .n = ne, .color = 4};
    chart_id(id, sizeof id, ri, "finetune-speed");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Training throughput",
                               .xlabel = "progress in epochs",
                               .ylabel = "clips/s",
                               .x_integer = 1,
                               .y_zero = 1},
                   ss, 2);
    chart_id(id, sizeof id, ri, "finetune-time");
    svg_line_chart(
        b,
        &(SvgChart){
            .id = id, .title = "Time per epoch", .xlabel = "epoch", .ylabel = "seconds", .x_integer = 1, .y_zero = 1},
        &(SvgSeries){.name = "epoch", .x = ex, .y = et, .n = ne}, 1);
    jb_str(b, "</div>\n");
    xy_free(&il, 1), xy_free(&ia, 1), xy_free(&is, 1);
    free(d), free(ex);
}

static void section_test(JsonBuf *b, const Run *r, int ri) {
    char id[64];
    jb_str(b, "<h3>Test (10 clips per video)</h3>\n<div class=\"grid\">\n");
    const char *cats[] = {"top-1", "top-5", "mean class accuracy"};
    double v[3] = {r->top1, r->top5, r->mca};
    chart_id(id, sizeof id, ri, "test-acc");
    svg_bar_chart(b, &(SvgChart){.id = id, .title = "Test accuracy", .ylabel = "accuracy", .percent = 1, .y_zero = 1},
                  cats, 3, NULL, 1, v);
    chart_id(id, sizeof id, ri, "test-perclass");
    if (r->per && r->C) {
        svg_bar_chart(
            b,
            &(SvgChart){
                .id = id, .title = "Per-class top-1", .xlabel = "class", .ylabel = "top-1", .percent = 1, .y_zero = 1},
            (const char *const *)r->names, r->C, NULL, 1, r->per);
    } else {
        svg_bar_chart(
            b,
            &(SvgChart){
                .id = id, .title = "Per-class top-1", .xlabel = "class", .ylabel = "top-1", .percent = 1, .y_zero = 1},
            NULL, 0, NULL, 1, NULL);
    }
    chart_id(id, sizeof id, ri, "test-confusion");
    svg_heatmap(b, &(SvgChart){.id = id, .title = "Confusion matrix"}, (const char *const *)r->names,
                r->conf ? r->C : 0, r->conf);
    jb_str(b, "</div>\n");
}

static void section_retrieve(JsonBuf *b, const Run *r, int ri) {
    char id[64], cat[16][16];
    const char *cats[16];
    for (int k = 0; k < r->nk; k++) snprintf(cat[k], sizeof cat[k], "R@%d", r->ks[k]), cats[k] = cat[k];
    jb_str(b, "<h3>Retrieval (test videos query the train videos)</h3>\n<div class=\"grid\">\n");
    chart_id(id, sizeof id, ri, "retrieve-recall");
    svg_bar_chart(b,
                  &(SvgChart){.id = id,
                              .title = "Retrieval recall R@k",
                              .xlabel = "k nearest train videos",
                              .ylabel = "recall",
                              .percent = 1,
                              .y_zero = 1},
                  cats, r->nk, NULL, 1, r->rk);
    jb_str(b, "</div>\n");
}

/* "complete: 20 rounds", "stopped or running: 3 of 20 rounds", ... and whether it is complete. */
static int run_state(const Run *r, char *buf, size_t n) {
    buf[0] = 0;
    int complete = 1;
    size_t k = 0;
    if (r->kinds & K_PRETRAIN) {
        PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
        int nr = rounds_dedup(r, d);
        double R = pretrain_rounds_total(r), done = nr ? d[nr - 1].round : 0;
        free(d);
        if (isfinite(R) && done >= R)
            k += (size_t)snprintf(buf + k, n - k, "pre-training complete: %g rounds", R);
        else {
            complete = 0;
            if (isfinite(R))
                k += (size_t)snprintf(buf + k, n - k, "pre-training incomplete: %g of %g rounds", done, R);
            else
                k += (size_t)snprintf(buf + k, n - k, "pre-training incomplete: %g rounds", done);
        }
    }
    if ((r->kinds & K_FINETUNE) && k < n) {
        FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
        int ne = epochs_dedup(r, d);
        double E = finetune_epochs_total(r), done = ne ? d[ne - 1].epoch : 0;
        free(d);
        if (k) k += (size_t)snprintf(buf + k, n - k, "; ");
        if (k < n && isfinite(E) && done >= E)
            k += (size_t)snprintf(buf + k, n - k, "fine-tuning complete: %g epochs", E);
        else if (k < n) {
            complete = 0;
            if (isfinite(E))
                k += (size_t)snprintf(buf + k, n - k, "fine-tuning incomplete: %g of %g epochs", done, E);
            else
                k += (size_t)snprintf(buf + k, n - k, "fine-tuning incomplete: %g epochs", done);
        }
    }
    if ((r->kinds & K_TEST) && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%stested on %d videos, %d classes", k ? "; " : "", r->nvideos, r->C);
    if ((r->kinds & K_RETRIEVE) && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%sretrieval: %d queries, %d train videos", k ? "; " : "", r->nq, r->ng);
    if (!buf[0]) snprintf(buf, n, "no results yet");
    return complete && r->kinds;
}

static void badges(JsonBuf *b, int kinds) {
    static const struct {
        int k;
        const char *name;
    } kk[] = {{K_PRETRAIN, "pretrain"}, {K_FINETUNE, "finetune"}, {K_TEST, "test"}, {K_RETRIEVE, "retrieve"}};
    for (size_t i = 0; i < sizeof kk / sizeof *kk; i++)
        if (kinds & kk[i].k) jb_printf(b, "<span class=\"badge %s\">%s</span>", kk[i].name, kk[i].name);
    if (!kinds) jb_str(b, "<span class=\"badge\">unknown</span>");
}

static void section_run(JsonBuf *b, const Run *r, int ri) {
    char st[512], t[128], u[32];
    int complete = run_state(r, st, sizeof st);
    jb_printf(b, "<section class=\"run\" id=\"run-%d\">\n<h2>", ri);
    html_escape(b, run_name(r));
    jb_str(b, " ");
    badges(b, r->kinds);
    jb_printf(b, "</h2>\n<p class=\"state %s\">", complete ? "ok" : "warn");
    html_escape(b, st);
    jb_str(b, "</p>\n<p class=\"files\">");
    html_escape(b, r->dir);
    jb_str(b, " \xc2\xb7 read: ");
    html_escape(b, r->files);
    jb_str(b, "</p>\n<div class=\"kpis\">");
    if (r->kinds & K_PRETRAIN) {
        PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
        int nr = rounds_dedup(r, d), ids[64];
        double R = pretrain_rounds_total(r);
        snprintf(t, sizeof t, "%g / %s", nr ? d[nr - 1].round : 0.0,
                 isfinite(R) ? (snprintf(u, sizeof u, "%g", R), u) : "?");
        kpi(b, t, "rounds");
        fmt_num(t, sizeof t, nr ? d[nr - 1].loss : NAN);
        kpi(b, nr ? t : "\xe2\x80\x93", "last round loss");
        double pool = yaml_num(r, "pool_size");
        if (isfinite(pool)) /* as the file says: any number (a cast to int of 1e30 would be undefined) */
            snprintf(t, sizeof t, "%g", pool);
        else
            snprintf(t, sizeof t, "%d", clients_of(r, ids, 64));
        kpi(b, t, "clients");
        kpi(b, r->strategy ? r->strategy : "\xe2\x80\x93", "strategy");
        fmt_secs(t, sizeof t, pretrain_seconds(r));
        kpi(b, t, "pre-training time");
        free(d);
    }
    if (r->kinds & K_FINETUNE) {
        FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
        int ne = epochs_dedup(r, d);
        double E = finetune_epochs_total(r);
        snprintf(t, sizeof t, "%g / %s", ne ? d[ne - 1].epoch : 0.0,
                 isfinite(E) ? (snprintf(u, sizeof u, "%g", E), u) : "?");
        kpi(b, t, "epochs");
        fmt_num(t, sizeof t, ne ? d[ne - 1].loss : NAN);
        kpi(b, ne ? t : "\xe2\x80\x93", "last epoch loss");
        fmt_pct(t, sizeof t, ne ? d[ne - 1].top1 : NAN);
        kpi(b, t, "last epoch train top-1");
        fmt_secs(t, sizeof t, finetune_seconds(r));
        kpi(b, t, "fine-tune time");
        free(d);
    }
    if (r->kinds & K_TEST) {
        fmt_pct(t, sizeof t, r->top1), kpi(b, t, "test top-1");
        fmt_pct(t, sizeof t, r->top5), kpi(b, t, "test top-5");
        fmt_pct(t, sizeof t, r->mca), kpi(b, t, "mean class accuracy");
        snprintf(t, sizeof t, "%d", r->nvideos), kpi(b, t, "test videos");
    }
    if (r->kinds & K_RETRIEVE)
        for (int k = 0; k < r->nk && k < 6; k++) {
            snprintf(u, sizeof u, "R@%d", r->ks[k]);
            fmt_pct(t, sizeof t, r->rk[k]);
            kpi(b, t, u);
        }
    jb_str(b, "</div>\n");
    if (r->checkpoint) {
        jb_str(b, "<p class=\"files\">tested checkpoint: ");
        html_escape(b, r->checkpoint);
        jb_str(b, "</p>\n");
    }
    if (r->ret_init) {
        jb_str(b, "<p class=\"files\">retrieval backbone: ");
        html_escape(b, r->ret_init);
        jb_str(b, "</p>\n");
    }
    if (r->nnotes) {
        jb_str(b, "<ul class=\"notes\">\n");
        for (int i = 0; i < r->nnotes; i++) {
            jb_str(b, "<li>");
            html_escape_cut(b, r->notes[i], 600);
            jb_str(b, "</li>\n");
        }
        if (r->nnotes_dropped) jb_printf(b, "<li>and %d more notes</li>\n", r->nnotes_dropped);
        jb_str(b, "</ul>\n");
    }
    if (r->kinds & K_PRETRAIN) section_pretrain(b, r, ri);
    if (r->kinds & K_FINETUNE) section_finetune(b, r, ri);
    if (r->kinds & K_TEST) section_test(b, r, ri);
    if (r->kinds & K_RETRIEVE) section_retrieve(b, r, ri);
    if (r->config) {
        jb_str(b, "<details class=\"config\" open><summary>Configuration (config.yaml)</summary>\n<pre>");
        html_escape(b, r->config);
        jb_str(b, "</pre></details>\n");
    }
    jb_str(b, "</section>\n");
}

/* ---------------------------------------------------------------- overview */

static void overview(JsonBuf *b, Run *runs, int n) {
    char t[96], st[512];
    jb_str(b,
           "<section class=\"overview\">\n<h2>Summary</h2>\n<table class=\"t summary\">\n<tr><th>run</th><th>kind</th>"
           "<th>state</th><th>headline</th><th>time</th></tr>\n");
    const char *labels[4 * REPORT_MAX_RUNS];
    char lab[4 * REPORT_MAX_RUNS][96];
    double secs[4 * REPORT_MAX_RUNS];
    int scol[4 * REPORT_MAX_RUNS];
    int ns = 0, ntest = 0, nret = 0, nft = 0;
    for (int i = 0; i < n; i++) {
        Run *r = &runs[i];
        int complete = run_state(r, st, sizeof st);
        jb_printf(b, "<tr><td><a href=\"#run-%d\">", i);
        html_escape(b, run_name(r));
        jb_str(b, "</a></td><td>");
        badges(b, r->kinds);
        jb_printf(b, "</td><td class=\"%s\">", complete ? "ok" : "warn");
        html_escape(b, st);
        jb_str(b, "</td><td>");
        double total = 0;
        int any = 0;
        static const char *const stage[] = {"pre-training", "fine-tuning", "test", "retrieval"};
        double s4[4] = {r->kinds & K_PRETRAIN ? pretrain_seconds(r) : NAN,
                        r->kinds & K_FINETUNE ? finetune_seconds(r) : NAN, r->kinds & K_TEST ? r->test_seconds : NAN,
                        r->kinds & K_RETRIEVE ? r->ret_seconds : NAN};
        int want[4] = {r->kinds & K_PRETRAIN, r->kinds & K_FINETUNE, r->kinds & K_TEST, r->kinds & K_RETRIEVE};
        const char *sep = "";
        if (r->kinds & K_TEST) {
            fmt_pct(t, sizeof t, r->top1);
            jb_printf(b, "%stest top-1 %s", sep, t), sep = " \xc2\xb7 ";
            ntest++;
        }
        if (r->kinds & K_RETRIEVE && r->nk) {
            fmt_pct(t, sizeof t, r->rk[0]);
            jb_printf(b, "%sR@%d %s", sep, r->ks[0], t), sep = " \xc2\xb7 ";
            nret++;
        }
        if (r->kinds & K_FINETUNE) {
            FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
            int ne = epochs_dedup(r, d);
            if (ne) fmt_pct(t, sizeof t, d[ne - 1].top1), jb_printf(b, "%strain top-1 %s", sep, t), sep = " \xc2\xb7 ";
            nft += ne > 0;
            free(d);
        }
        if (r->kinds & K_PRETRAIN) {
            PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
            int nr = rounds_dedup(r, d);
            if (nr) fmt_num(t, sizeof t, d[nr - 1].loss), jb_printf(b, "%sround loss %s", sep, t), sep = " \xc2\xb7 ";
            free(d);
        }
        jb_str(b, "</td><td>");
        for (int k = 0; k < 4; k++) {
            if (!want[k]) continue;
            if (isfinite(s4[k])) total += s4[k], any = 1;
            if (ns < 4 * REPORT_MAX_RUNS) {
                snprintf(lab[ns], sizeof lab[ns], "%.60s: %s", run_name(r), stage[k]);
                labels[ns] = lab[ns], scol[ns] = k == 3 ? 4 : k, secs[ns++] = s4[k];
            }
        }
        fmt_secs(t, sizeof t, any ? total : NAN);
        jb_printf(b, "%s</td></tr>\n", t);
    }
    jb_str(b, "</table>\n<div class=\"grid\">\n");
    if (ns > 1)
        svg_hbar_chart(b,
                       &(SvgChart){.id = "overview-time", .title = "Time per stage", .xlabel = "seconds", .unit = "s"},
                       labels, secs, scol, ns);
    if (ntest > 1) {
        const char *cats[REPORT_MAX_RUNS], *names[] = {"top-1", "top-5", "mean class accuracy"};
        double *v = xmalloc(sizeof(double) * 3 * (size_t)ntest);
        int j = 0;
        for (int i = 0; i < n; i++)
            if (runs[i].kinds & K_TEST) {
                cats[j] = run_name(&runs[i]);
                v[j] = runs[i].top1, v[ntest + j] = runs[i].top5, v[2 * ntest + j] = runs[i].mca;
                j++;
            }
        svg_bar_chart(b,
                      &(SvgChart){.id = "overview-test",
                                  .title = "Test accuracy by run",
                                  .ylabel = "accuracy",
                                  .percent = 1,
                                  .y_zero = 1},
                      cats, ntest, names, 3, v);
        free(v);
    }
    if (nret > 1) { /* categories: the k of the first run with values */
        const Run *first = NULL;
        for (int i = 0; i < n && !first; i++)
            if (runs[i].kinds & K_RETRIEVE && runs[i].nk) first = &runs[i];
        char cat[16][16];
        const char *cats[16], *names[REPORT_MAX_RUNS];
        double *v = xmalloc(sizeof(double) * 16 * (size_t)nret);
        for (int k = 0; k < first->nk; k++) snprintf(cat[k], sizeof cat[k], "R@%d", first->ks[k]), cats[k] = cat[k];
        int j = 0;
        for (int i = 0; i < n; i++) {
            const Run *r = &runs[i];
            if (!(r->kinds & K_RETRIEVE) || !r->nk) continue;
            names[j] = run_name(r);
            for (int k = 0; k < first->nk; k++) {
                v[(size_t)j * first->nk + k] = NAN;
                for (int q = 0; q < r->nk; q++)
                    if (r->ks[q] == first->ks[k]) v[(size_t)j * first->nk + k] = r->rk[q];
            }
            j++;
        }
        svg_bar_chart(b,
                      &(SvgChart){.id = "overview-recall",
                                  .title = "Retrieval recall by run",
                                  .ylabel = "recall",
                                  .percent = 1,
                                  .y_zero = 1},
                      cats, first->nk, names, nret, v);
        free(v);
    }
    if (nft > 1) {
        SvgSeries ss[REPORT_MAX_RUNS], sl[REPORT_MAX_RUNS];
        double *mem[REPORT_MAX_RUNS];
        int j = 0;
        for (int i = 0; i < n; i++) {
            const Run *r = &runs[i];
            if (!(r->kinds & K_FINETUNE)) continue;
            FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
            int ne = epochs_dedup(r, d);
            if (!ne) {
                free(d);
                continue;
            }
            double *m = xmalloc(sizeof(double) * 3 * (size_t)ne);
            for (int e = 0; e < ne; e++) m[e] = d[e].epoch, m[ne + e] = d[e].top1, m[2 * ne + e] = d[e].loss;
            ss[j] = (SvgSeries){.name = run_name(r), .x = m, .y = m + ne, .n = ne, .color = j};
            sl[j] = (SvgSeries){.name = run_name(r), .x = m, .y = m + 2 * ne, .n = ne, .color = j};
            mem[j++] = m;
            free(d);
        }
        svg_line_chart(b,
                       &(SvgChart){.id = "overview-ft-acc",
                                   .title = "Fine-tune train top-1 by run",
                                   .xlabel = "epoch",
                                   .ylabel = "top-1",
                                   .x_integer = 1,
                                   .percent = 1,
                                   .y_zero = 1,
                                   .log_ratio = -1,
                                   .fixed_y = 1,
                                   .ymax = 1},
                       ss, j);
        svg_line_chart(b,
                       &(SvgChart){.id = "overview-ft-loss",
                                   .title = "Fine-tune loss by run",
                                   .xlabel = "epoch",
                                   .ylabel = "loss",
                                   .x_integer = 1},
                       sl, j);
        for (int k = 0; k < j; k++) free(mem[k]);
    }
    jb_str(b, "</div>\n</section>\n");
}

/* ---------------------------------------------------------------- page */

static const char CSS[] =
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f4f5f7;color:#222;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\n"
    "header{background:#1d2a3a;color:#fff;padding:18px 28px}\n"
    "header h1{margin:0;font-size:22px;font-weight:600}\n"
    "header p{margin:4px 0 0;color:#c9d3df;font-size:13px;word-break:break-all}\n"
    "main{max-width:1280px;margin:0 auto;padding:16px 20px 40px}\n"
    "section{background:#fff;border:1px solid #e1e4e8;border-radius:10px;padding:14px 18px;margin:16px 0;"
    "box-shadow:0 1px 2px rgba(0,0,0,.04)}\n"
    "h2{margin:0 0 6px;font-size:18px;word-break:break-all}\n"
    "h3{margin:18px 0 8px;font-size:15px;color:#333;border-bottom:1px solid #eee;padding-bottom:4px}\n"
    "h4{margin:14px 0 6px;font-size:14px}\n"
    ".badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 8px;margin-left:6px;border-radius:10px;"
    "background:#e8eaed;color:#333;vertical-align:middle}\n"
    ".badge.pretrain{background:#dbe9f6;color:#0b4a7d}.badge.finetune{background:#fde9cc;color:#7a4a00}\n"
    ".badge.test{background:#d5efe5;color:#0b5e40}.badge.retrieve{background:#f4dcea;color:#7a2458}\n"
    ".state{margin:2px 0;font-weight:500}.ok{color:#0b6e3f}.warn{color:#a35200}\n"
    ".files{margin:2px 0;color:#666;font-size:12px;word-break:break-all}\n"
    ".kpis{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}\n"
    ".kpi{background:#f7f8fa;border:1px solid #e6e8eb;border-radius:8px;padding:8px 14px;min-width:120px}\n"
    ".kpi .v{font-size:20px;font-weight:600;color:#1d2a3a;word-break:break-all}.kpi .k{font-size:12px;color:#666}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px;align-items:start}\n"
    ".grid>figure.wide{grid-column:1/-1}\n"
    "figure{margin:0;background:#fff;border:1px solid #e6e8eb;border-radius:8px;padding:6px;overflow-x:auto}\n"
    "figure svg{display:block;max-width:100%;height:auto}\n"
    "figure.empty{min-height:120px}figure.empty .title{font-weight:600;font-size:14px;padding:6px 8px}\n"
    ".nodata{color:#999;text-align:center;margin:28px 0;font-style:italic}\n"
    ".note{font-size:12px;color:#a35200;padding:2px 8px}\n"
    "ul.notes{background:#fff8e6;border:1px solid #f3d9a4;border-radius:8px;padding:8px 8px 8px 28px;font-size:13px;"
    "word-break:break-word}\n"
    "table.t{border-collapse:collapse;font-size:13px;margin:6px 0;width:100%}\n"
    "table.t th,table.t td{border-bottom:1px solid #eceef1;padding:5px 8px;text-align:left;vertical-align:top;"
    "word-break:break-word}\n"
    "table.t th{background:#f7f8fa;font-weight:600}\n"
    "a{color:#0b5cad;text-decoration:none}\n"
    "details.config{margin-top:12px}details.config summary{cursor:pointer;font-weight:600;color:#333}\n"
    "details.config pre{background:#f7f8fa;border:1px solid #e6e8eb;border-radius:8px;padding:10px 14px;font-size:12px;"
    "column-width:22em;column-gap:2em;white-space:pre-wrap;word-break:break-all}\n"
    "footer{color:#888;font-size:12px;text-align:center;padding:10px}\n";

int report_render(const char *run_dir, JsonBuf *b, char *err, size_t errlen) {
    if (!is_dir(run_dir)) {
        snprintf(err, errlen, "%s: no such folder", run_dir);
        return -1;
    }
    Runs rs = {0};
    discover(run_dir, "", 0, &rs);
    if (!rs.n) {
        snprintf(err, errlen,
                 "%s: no run folder here or in its subfolders (down to 2 levels): none holds metrics.jsonl, "
                 "config.yaml, results.json, per_class.tsv, test_scores.npz or retrieval.json",
                 run_dir);
        return -1;
    }
    for (int i = 0; i < rs.n; i++) load_run(&rs.r[i]);
    qsort(rs.r, (size_t)rs.n, sizeof *rs.r, cmp_run);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    jb_str(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
              "img-src data:\">\n<title>fedvssl report: ");
    html_escape(b, run_dir);
    jb_str(b, "</title>\n<style>\n");
    jb_str(b, CSS);
    jb_str(b, "</style>\n</head>\n<body>\n<header><h1>fedvssl report</h1><p>");
    html_escape(b, run_dir);
    jb_printf(b, " \xc2\xb7 %d run folder%s \xc2\xb7 generated %s</p></header>\n<main>\n", rs.n, rs.n == 1 ? "" : "s",
              when);
    if (rs.dropped)
        jb_printf(
            b, "<ul class=\"notes\"><li>%d more run folders were found and left out (at most %d per page)</li></ul>\n",
            rs.dropped, REPORT_MAX_RUNS);
    overview(b, rs.r, rs.n);
    for (int i = 0; i < rs.n; i++) section_run(b, &rs.r[i], i);
    jb_str(b, "</main>\n<footer>written by fedvssl report from the run files only; charts are inline SVG</footer>\n"
              "</body>\n</html>\n");
    int n = rs.n;
    for (int i = 0; i < rs.n; i++) free_run(&rs.r[i]);
    free(rs.r);
    return n;
}

int report_write_to(const char *run_dir, const char *out_path, char *err, size_t errlen) {
    JsonBuf b = {0};
    int n = report_render(run_dir, &b, err, errlen);
    if (n < 0) {
        free(b.p);
        return -1;
    }
    char *path = out_path ? xstrdup(out_path) : path_join(run_dir, "report.html");
    AtomicFile af;
    int bad = atomic_open(&af, path);
    if (!bad && atomic_write(&af, b.p, b.n))
        atomic_abort(&af), bad = 1;
    else if (!bad)
        bad = atomic_commit(&af);
    if (bad) {
        snprintf(err, errlen, "%s: cannot write: %m", path);
        n = -1;
    }
    free(path), free(b.p);
    return n;
}

int report_write(const char *run_dir, char *err, size_t errlen) { return report_write_to(run_dir, NULL, err, errlen); }

void report_after_run(const char *run_dir, int quiet) {
    char err[1024];
    if (report_write(run_dir, err, sizeof err) < 0) {
        warnf("report not written: %s (the run itself is complete)", err);
        return;
    }
    if (!quiet) printf("report: %s/report.html\n", run_dir);
}
