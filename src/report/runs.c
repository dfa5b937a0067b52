/* Run folders of a report read into plain arrays (see runs.h). Nothing here dies on bad input: a file that
 * cannot be read or parsed becomes a note of its run. */
#include "runs.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/fsutil.h"
#include "../core/util.h"
#include "../io/npy.h"

#define VPUSH(v, n, cap)                                                                                               \
    (((n) == (cap) ? ((cap) = (cap) ? 2 * (cap) : 16, (v) = xrealloc((v), sizeof *(v) * (size_t)(cap))) : 0),          \
     &(v)[(n)++])

#define MAX_NOTES 24
#define MAX_FILE (1u << 30) /* files larger than this are not read */

/* ---------------------------------------------------------------- a run's data */

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

/* A JSON object file of the run, parsed; NULL when absent (silently) or unreadable or not an object (a note). */
static JsonValue *load_json(Run *r, const char *name) {
    size_t len;
    char *text = slurp(r, name, &len), err[512];
    if (!text) return NULL;
    add_file(r, name);
    JsonValue *v = json_parse(text, len, name, 1, err, sizeof err);
    free(text);
    if (!v || v->type != JV_OBJ) {
        if (v) note(r, "%s: not a JSON object", name);
        else note(r, "%s", err);
        json_free(v);
        return NULL;
    }
    return v;
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

double yaml_num(const Run *r, const char *key) {
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
    JsonValue *v = load_json(r, "results.json");
    if (!v) return;
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
    JsonValue *v = load_json(r, "retrieval.json");
    if (!v) return;
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

void run_load(Run *r) {
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

void run_free(Run *r) {
    for (int i = 0; i < r->nnotes; i++) free(r->notes[i]);
    for (int i = 0; i < r->nfit; i++) free(r->fit[i].error);
    for (int k = 0; r->names && k < r->C; k++) free(r->names[k]);
    free(r->notes), free(r->pt), free(r->fit), free(r->rd), free(r->ft), free(r->ep), free(r->strategy);
    free(r->config), free(r->conf), free(r->per), free(r->names), free(r->checkpoint), free(r->ret_init);
    free(r->dir), free(r->rel), free(r->name), free(r->files);
}

void runs_find(const char *dir, Runs *out) {
    memset(out, 0, sizeof *out);
    discover(dir, "", 0, out);
    for (int i = 0; i < out->n; i++) run_load(&out->r[i]);
    if (out->n) qsort(out->r, (size_t)out->n, sizeof *out->r, cmp_run); /* r is NULL when none was found */
}

void runs_free(Runs *rs) {
    for (int i = 0; i < rs->n; i++) run_free(&rs->r[i]);
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

/* ---------------------------------------------------------------- derived numbers */

/* Round records, one per round (the last written wins: a resumed run repeats the round it was in). */
int rounds_dedup(const Run *r, PtRound *out) {
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

int epochs_dedup(const Run *r, FtEpoch *out) {
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

int client_ok(double c) { return c >= 1 && c <= 1e6; } /* also false for NaN (no "client" in the line) */

/* The index of client id c in ids[0..n), or n when it is not there (or no valid id). */
int client_index(const int *ids, int n, double c) {
    int k = 0;
    if (!client_ok(c)) return n;
    while (k < n && ids[k] != (int)c) k++;
    return k;
}

/* Distinct client ids of the pretrain records, sorted. */
int clients_of(const Run *r, int *ids, int max) {
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

double pretrain_rounds_total(const Run *r) {
    for (int i = r->nrd - 1; i >= 0; i--)
        if (r->rd[i].rounds >= 1) return r->rd[i].rounds;
    return yaml_num(r, "rounds");
}

double finetune_epochs_total(const Run *r) {
    for (int i = r->nep - 1; i >= 0; i--)
        if (r->ep[i].epochs >= 1) return r->ep[i].epochs;
    return yaml_num(r, "epochs");
}

/* Seconds of the pretrain stage: complete rounds, plus the client fits of a round that did not complete. */
double pretrain_seconds(const Run *r) {
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

double finetune_seconds(const Run *r) {
    FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
    int n = epochs_dedup(r, d), any = 0;
    double s = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(d[i].seconds)) s += d[i].seconds, any = 1;
    free(d);
    return any ? s : NAN;
}

