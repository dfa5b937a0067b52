/* fine-tune (§5), test (§5) and retrieval (§7) jobs and their checkpoint helpers (see downstream.h). */
#include "downstream.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/progress.h"
#include "../core/rng.h"
#include "../core/util.h"
#include "../data/annotations.h"
#include "../core/fsutil.h"
#include "../data/loader.h"
#include "../io/ckpt.h"
#include "../io/json.h"
#include "../io/npy.h"
#include "../io/runlog.h"
#include "../nn/backend.h"
#include "../report/report.h"
#include "evaluate.h"
#include "train.h"

/* ---------- helpers ---------- */

char *downstream_default_out(void) {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "outputs/%Y-%m-%d/%H-%M-%S", &tm);
    return xstrdup(buf);
}

char *downstream_path(const char *data_dir, const char *p) {
    return p[0] == '/' ? xstrdup(p) : path_join(data_dir, p);
}

/* e of epoch_<e>.npz (or of epoch_<e>.pth with pth), else 0 */
static int epoch_of_name(const char *name, int pth) {
    int e, n = 0;
    if (sscanf(name, pth ? "epoch_%d.pth%n" : "epoch_%d.npz%n", &e, &n) == 1 && n > 0 && (size_t)n == strlen(name) &&
        e > 0)
        return e;
    return 0;
}

int finetune_newest_epoch(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int best = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int e = epoch_of_name(de->d_name, 0);
        if (e > best) best = e;
    }
    closedir(d);
    return best;
}

char *finetune_checkpoint_path(const char *dir, int epoch) {
    char name[32];
    snprintf(name, sizeof name, "epoch_%d.npz", epoch);
    return path_join(dir, name);
}

/* Older epoch_<e>.npz and .pth than keep are removed (the reference keeps 1). */
static void prune_checkpoints(const char *dir, int keep) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int e = epoch_of_name(de->d_name, 0);
        if (!e) e = epoch_of_name(de->d_name, 1);
        if (e > 0 && e < keep) {
            char *p = path_join(dir, de->d_name);
            if (unlink(p)) warnf("%s: cannot remove: %m", p);
            free(p);
        }
    }
    if (d) closedir(d);
}

static Npz open_npz(const char *path) {
    Npz z;
    char err[1024];
    if (!is_file(path)) die("%s: no such file", path);
    if (npz_open(&z, path, err, sizeof err)) die("%s", err);
    return z;
}

/* a matches entry e (same element count and shape; a 0-d entry also takes a 1-element array) */
static void check_shape(const char *path, const char *key, const StateEntry *e, const NpyArray *a) {
    if (a->type != NPY_OBJECT && state_entry_fits(e, a->ndim, a->shape, a->numel)) return;
    char want[128], got[128];
    npy_shape_str(want, sizeof want, e->ndim, e->shape);
    npy_shape_str(got, sizeof got, a->ndim, a->shape);
    if (a->type == NPY_OBJECT) die("%s: '%s' is an object array, expected numbers of shape %s", path, key, want);
    die("%s: '%s' has shape %s, expected %s", path, key, got, want);
}

static void take_entry(State *s, const StateEntry *e, const NpyArray *a) {
    if (e->type == ST_F32) npy_to_f32(a, s->w + e->off);
    else npy_to_i64(a, s->cnt + e->off);
}

/* The list formats (flwr Parameters, the authors' object arrays): backbone entries by position (§4). */
static int load_backbone_by_position(Model *m, const char *path, char *how, size_t howlen) {
    CkptList l;
    char err[1024];
    if (ckpt_read(path, &l, err, sizeof err)) die("%s", err);
    State *s = &m->st;
    int k = 0, nb = 0;
    for (int i = 0; i < s->n; i++) nb += !strncmp(s->e[i].name, "backbone.", 9);
    if (l.n < nb)
        die("%s: %s holds %d entries, fewer than the %d of an R3D-18 backbone", path, l.format, l.n, nb);
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        if (strncmp(e->name, "backbone.", 9)) continue;
        const CkptTensor *t = &l.t[k];
        NpyArray a = {t->type, t->ndim, {0}, t->numel, t->data, (size_t)t->numel * npy_type_size(t->type)};
        memcpy(a.shape, t->shape, sizeof a.shape);
        char label[160];
        snprintf(label, sizeof label, "entry %d (taken for %s)", k, e->name);
        check_shape(path, label, e, &a);
        take_entry(s, e, &a);
        k++;
    }
    if (how) snprintf(how, howlen, "by position from %s", l.format);
    ckpt_free(&l);
    return k;
}

/* A partial backbone is more often a wrong file than a wish: said on stderr, and below half refused unless allowed. */
static void check_partial(const char *init, int taken, int of, int allow) {
    if (taken >= of) return;
    if (2 * taken < of && !allow)
        die("%s: only %d of the %d backbone entries are there (a partial or foreign checkpoint?); init_partial=true "
            "uses them anyway, the others staying random",
            init, taken, of);
    warnf("%s: %d of the %d backbone entries taken; the others keep their random initialisation", init, taken, of);
}

int model_load_backbone(Model *m, const char *path, int *of, char *how, size_t howlen) {
    Npz z = open_npz(path);
    State *s = &m->st;
    int taken = 0, total = 0;
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        if (strncmp(e->name, "backbone.", 9)) continue;
        total++;
        const NpyArray *a = npz_get(&z, e->name);
        if (!a) continue;
        check_shape(path, e->name, e, a);
        take_entry(s, e, a);
        taken++;
    }
    if (of) *of = total;
    if (taken) {
        if (how) snprintf(how, howlen, "by name");
        npz_close(&z);
        return taken;
    }
    int listed = z.n == 1 && z.arr[0].type == NPY_OBJECT;
    if (!listed)
        die("%s: none of R3D-18's backbone.* entries (such as '%s') among its %d arrays (first: '%s'); expected a "
            "pretrain round checkpoint, a finetune epoch_<e>.npz, or np.savez of a state dict",
            path, s->e[0].name, z.n, z.n ? z.names[0] : "none");
    npz_close(&z);
    return load_backbone_by_position(m, path, how, howlen);
}

int checkpoint_num_classes(const char *path) {
    Npz z = open_npz(path);
    const NpyArray *a = npz_get(&z, "cls_head.fc_cls.weight");
    if (!a || a->ndim != 2 || a->shape[1] != 512 || a->shape[0] < 1)
        die("%s: no classifier 'cls_head.fc_cls.weight' of shape (classes, 512) (not a finetune checkpoint?)", path);
    int c = (int)a->shape[0];
    npz_close(&z);
    return c;
}

double finetune_lr(double lr, double gamma, const double *steps, int nsteps, int epoch) {
    for (int i = 0; i < nsteps; i++)
        if (epoch - 1 >= steps[i]) lr *= gamma; /* mmcv: the 0-based epoch has reached the step */
    return lr;
}

/* Every state entry of a checkpoint (all required). */
static void load_state(Model *m, const Npz *z, const char *path) {
    State *s = &m->st;
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        const NpyArray *a = npz_get(z, e->name);
        if (!a) die("%s: missing '%s'", path, e->name);
        check_shape(path, e->name, e, a);
        take_entry(s, e, a);
    }
}

static int64_t npz_int(const Npz *z, const char *path, const char *key) {
    const NpyArray *a = npz_get(z, key);
    if (!a || a->numel != 1 || a->type == NPY_OBJECT) die("%s: missing '%s' (not a finetune checkpoint?)", path, key);
    int64_t v;
    npy_to_i64(a, &v);
    return v;
}

/* Labels of an annotation list: 1-based; returns the largest. */
static int max_label(const AnnList *l, const char *path) {
    int mx = 0;
    for (int i = 0; i < l->n; i++) {
        if (l->e[i].label < 1 || l->e[i].label > 1000000)
            die("%s: entry %d ('%s') has label %lld; labels are 1-based class ids", path, i + 1, l->e[i].name,
                (long long)l->e[i].label);
        if (l->e[i].label > mx) mx = (int)l->e[i].label;
    }
    return mx;
}

static void load_list(const char *path, AnnList *l) {
    char err[1024];
    memset(l, 0, sizeof *l);
    if (!is_file(path)) die("%s: no such annotation list", path);
    if (ann_load_json(path, l, err, sizeof err)) die("%s", err);
    if (l->n == 0) die("%s: the annotation list is empty", path);
}

static Loader *open_loader(const char *data_dir, const char *list, LoaderMode mode, int batch, uint64_t seed,
                           int threads, int fast_decode, int crop, double max_bad) {
    char err[1024];
    LoaderOptions lo = {.fast_decode = fast_decode, .crop = crop, .max_bad_fraction = max_bad};
    Loader *L = loader_open(data_dir, list, mode, batch, seed, threads, &lo, err, sizeof err);
    if (!L) die("%s", err);
    return L;
}

static void check_data_dir(const char *d) {
    if (!d[0]) die("data_dir is empty (data_dir=<data>/ucf101: the folder with zips/ and annotations/)");
    if (!is_dir(d)) die("data_dir=%s: no such folder (data_dir=<data>/ucf101: the folder with zips/ and annotations/)", d);
}

/* ---------- fine-tuning ---------- */

static void save_checkpoint(const Model *m, const float *mom, const char *path, int epoch, int64_t steps,
                            const char *meta_json) {
    const State *s = &m->st;
    NpzWriter w;
    if (npz_writer_open(&w, path)) die("%s: cannot create: %m", path);
    int bad = 0;
    for (int i = 0; i < s->n && !bad; i++) {
        const StateEntry *e = &s->e[i];
        bad = e->type == ST_F32 ? npz_writer_add(&w, e->name, NPY_F32, e->ndim, e->shape, s->w + e->off)
                                : npz_writer_add(&w, e->name, NPY_I64, e->ndim, e->shape, s->cnt + e->off);
    }
    for (int i = 0; i < s->n && !bad; i++) {
        const StateEntry *e = &s->e[i];
        if (!e->trainable) continue;
        char key[96];
        snprintf(key, sizeof key, "momentum.%s", e->name);
        bad = npz_writer_add(&w, key, NPY_F32, e->ndim, e->shape, mom + e->off);
    }
    int64_t ep = epoch, len = (int64_t)strlen(meta_json), none = 0;
    bad = bad || npz_writer_add(&w, "meta.epoch", NPY_I64, 0, &none, &ep);
    bad = bad || npz_writer_add(&w, "meta.steps", NPY_I64, 0, &none, &steps);
    bad = bad || npz_writer_add(&w, "meta.json", NPY_U8, 1, &len, meta_json);
    if (bad) {
        npz_writer_abort(&w);
        die("%s: write failed: %m", path);
    }
    if (npz_writer_close(&w)) die("%s: write failed: %m", path);
}

/* A resumed run matches an uninterrupted one only with the same seed and batch: say so when they changed. */
static void warn_if_changed(const Npz *z, const char *path, const char *key, int now) {
    const NpyArray *a = npz_get(z, "meta.json");
    if (a && a->type == NPY_U8) {
        char *t = xmalloc(a->nbytes + 1), pat[32];
        memcpy(t, a->data, a->nbytes);
        t[a->nbytes] = 0;
        snprintf(pat, sizeof pat, "\"%s\": ", key);
        const char *p = strstr(t, pat);
        if (p && atoi(p + strlen(pat)) != now)
            warnf("%s was written with %s=%d, this run has %s=%d: the continued run will not match an uninterrupted one",
                  path, key, atoi(p + strlen(pat)), key, now);
        free(t);
    }
}

/* Model state and momentum of a checkpoint; returns its epoch, *steps its training steps. */
static int load_checkpoint(Model *m, float *mom, const char *path, int64_t *steps, int seed, int batch) {
    Npz z = open_npz(path);
    warn_if_changed(&z, path, "seed", seed);
    warn_if_changed(&z, path, "batch", batch);
    load_state(m, &z, path);
    const State *s = &m->st;
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        if (!e->trainable) continue;
        char key[96];
        snprintf(key, sizeof key, "momentum.%s", e->name);
        const NpyArray *a = npz_get(&z, key);
        if (!a) die("%s: missing '%s' (not a finetune checkpoint?)", path, key);
        check_shape(path, key, e, a);
        npy_to_f32(a, mom + e->off);
    }
    int epoch = (int)npz_int(&z, path, "meta.epoch");
    *steps = npz_int(&z, path, "meta.steps");
    npz_close(&z);
    return epoch;
}

typedef struct {
    const FinetuneConfig *c;
    RunLog *mx;
    FILE *mmcv; /* this invocation's <ts>.log.json */
    int epoch, start_epoch, iters;
    Progress pr;
    double t0, lr, sum_loss, last_acc;
    int n_loss, have_acc;
} FtCtx;

static void ft_on_log(void *ctx, const TrainLog *lg, int iter, int iters, double loss) {
    FtCtx *f = ctx;
    const FinetuneConfig *c = f->c;
    f->sum_loss += loss, f->n_loss++;
    if (lg) f->last_acc = lg->acc, f->have_acc = 1;
    {
        double el = now_sec() - f->t0;
        long done = (long)(f->epoch - f->start_epoch - 1) * f->iters + iter;
        long left = (long)(c->epochs - f->epoch) * f->iters + (iters - iter);
        char acc[24] = "", label[48];
        if (f->have_acc) snprintf(acc, sizeof acc, "  acc %.1f%%", f->last_acc);
        snprintf(label, sizeof label, "epoch %d/%d  iter", f->epoch, c->epochs);
        progress_show(&f->pr, lg != NULL, label, iter, iters, done > 0 ? el / done * left : -1, "loss %.4f%s  %.2f clips/s",
                      lg ? lg->loss : loss, acc, el > 0 ? done * c->batch / el : 0);
    }
    if (!lg) return;
    mmcv_log_line(f->mmcv, f->epoch, lg, MODEL_TSN);
    JsonBuf b = {0};
    jb_printf(&b, "{\"event\": \"train\", \"epoch\": %d, \"iter\": %d, \"iters\": %d, \"loss\": ", f->epoch, lg->iter,
              lg->iters);
    jb_num(&b, lg->loss);
    jb_str(&b, ", \"acc\": ");
    jb_num(&b, round_decimals(lg->acc / 100, 5));
    jb_str(&b, ", \"lr\": ");
    jb_num(&b, lg->lr); /* the step's own (warm-up) */
    jb_str(&b, ", \"grad_norm\": ");
    jb_num(&b, lg->grad_norm);
    jb_str(&b, ", \"clips_per_s\": ");
    jb_num(&b, round_decimals(lg->clips_per_s, 3));
    jb_str(&b, ", \"sec_per_iter\": ");
    jb_num(&b, round_decimals(lg->time, 5));
    jb_str(&b, ", \"data_time\": ");
    jb_num(&b, round_decimals(lg->data_time, 5));
    jb_str(&b, "}");
    runlog_line(f->mx, b.p);
    free(b.p);
}

int finetune_run(const FinetuneConfig *c, const CfgKey *keys, int nkeys) {
    check_data_dir(c->data_dir);
    if (c->init[0] && !is_file(c->init)) die("init=%s: no such file", c->init);
    ops_set_threads(c->threads);
    int threads = ops_threads();
    char *list = downstream_path(c->data_dir, c->train_list);
    AnnList ann;
    load_list(list, &ann);
    int C = max_label(&ann, list), nvid = ann.n;
    ann_free(&ann);
    Loader *L = open_loader(c->data_dir, list, LOADER_FINETUNE, c->batch, (uint64_t)c->seed, threads, c->fast_decode, c->crop, c->max_bad_fraction);
    int iters = loader_iters_per_epoch(L);
    if (c->max_iters > 0 && c->max_iters < iters) iters = c->max_iters;

    char *out = c->out[0] ? xstrdup(c->out) : downstream_default_out();
    Model m;
    model_init(&m, MODEL_TSN, C);
    m.dropout = (float)c->dropout;
    m.dropout_seed = rng_at((uint64_t)c->seed, 0xd20);
    model_reset_parameters(&m, (uint64_t)c->seed); /* the classifier: N(0, 0.001^2), bias 0 (§5) */
    State *s = &m.st;
    float *mom = xcalloc(s->nf ? s->nf : 1, sizeof(float));
    int start = finetune_newest_epoch(out);
    int64_t steps = 0;
    char *ckpt = NULL;
    if (start) {
        ckpt = finetune_checkpoint_path(out, start);
        int e = load_checkpoint(&m, mom, ckpt, &steps, c->seed, c->batch);
        if (e != start) die("%s: meta.epoch is %d, the name says %d", ckpt, e, start);
        if (!c->quiet)
            printf("resuming after epoch %d from %s%s\n", start, ckpt, c->init[0] ? " (init= is not used: the run has started)" : "");
    } else if (c->init[0]) {
        char how[200];
        int of, taken = model_load_backbone(&m, c->init, &of, how, sizeof how);
        check_partial(c->init, taken, of, c->init_partial);
        if (!c->quiet)
            printf("init: %d of %d backbone entries from %s, %s (classifier freshly initialised)\n", taken, of,
                   c->init, how);
    } else if (!c->quiet) {
        printf("init: none (random initialisation, seed %d)\n", c->seed);
    }
    m.dropout_step = (uint64_t)steps; /* every training step draws its own dropout mask: continue the count */
    model_use_backend(&m, backend_for(c->device, c->precision));
    if (mkdir_p(out)) die("%s: cannot create: %m", out); /* inputs are good: the run folder may appear */
    remove_stale_temps(out); /* unfinished checkpoints of an interrupted run */
    model_plan(&m, (Dims){c->batch, 3, 16, c->crop, c->crop}, 1);
    model_upload_state(&m);
    if (m.pm == s->m) memcpy(s->m, mom, s->nf * sizeof(float));
    else m.be->upload(m.be, m.pm, mom, s->nf * sizeof(float));

    char *cfg = path_join(out, "config.yaml"), err[1200];
    if (keys && config_write_yaml(keys, nkeys, cfg)) die("%s: cannot write: %m", cfg);
    RunLog mx;
    if (runlog_open(&mx, out, "metrics.jsonl", c->tensorboard, err, sizeof err)) die("%s", err);
    if (!c->quiet && start < c->epochs)
        printf("fedvssl finetune: TSN, %d classes, %d videos, %d iterations/epoch of %d clips, epochs %d..%d, %d "
               "threads, %s -> %s\n",
               C, nvid, iters, c->batch, start + 1, c->epochs, threads, c->device, out);
    if (start >= c->epochs && !c->quiet) printf("nothing to do: epoch %d of %d is done\n", start, c->epochs);

    FtCtx f = {c, &mx, start < c->epochs ? mmcv_log_open(out) : NULL, 0, start, iters, {0}, now_sec(), 0, 0, 0, 0, 0};
    progress_init(&f.pr, stdout, c->quiet);
    for (int e = start + 1; e <= c->epochs; e++) {
        double lr = finetune_lr(c->lr, c->gamma, c->lr_steps, c->n_lr_steps, e);
        Hyper h = {(float)lr, (float)c->momentum, (float)c->weight_decay, (float)c->clip};
        f.epoch = e, f.lr = lr, f.sum_loss = 0, f.n_loss = 0;
        /* the momentum buffer starts from the very first gradient of the run only */
        TrainOptions to = {.h = h, .epoch = e - 1, .log_interval = c->log_interval, .first_step = e == 1,
                           .max_iters = c->max_iters, .warmup_iters = c->warmup_iters, .warmup_ratio = c->warmup_ratio,
                           .step0 = steps, .on_log = ft_on_log, .ctx = &f, .inject_nan_at = e == c->fault_nan_epoch};
        TrainResult r;
        int rc = train_epoch(&m, L, &to, &r);
        progress_end(&f.pr, 1);
        if (rc) die("epoch %d: %s (the last checkpoint, epoch %d, is kept in %s)", e, r.err, e - 1, out);
        steps += r.iters;
        model_download_state(&m);
        const float *mh = mom;
        if (m.pm == s->m) mh = s->m;
        else m.be->download(m.be, mom, m.pm, s->nf * sizeof(float));
        JsonBuf meta = {0};
        jb_printf(&meta, "{\"format\": \"fedvssl-finetune-1\", \"epoch\": %d, \"steps\": %lld, \"num_classes\": %d, "
                         "\"seed\": %d, \"batch\": %d, \"lr\": ",
                  e, (long long)steps, C, c->seed, c->batch);
        jb_num(&meta, lr);
        jb_str(&meta, "}");
        char *path = finetune_checkpoint_path(out, e);
        save_checkpoint(&m, mh, path, e, steps, meta.p);
        if (c->pth) {
            char name[32];
            snprintf(name, sizeof name, "epoch_%d.pth", e);
            char *pth = path_join(out, name);
            PthMeta pm = {e, steps};
            if (state_write_pth(s, pth, &pm, err, sizeof err)) die("%s", err);
            free(pth);
        }
        prune_checkpoints(out, e);
        free(meta.p);
        JsonBuf b = {0};
        jb_printf(&b, "{\"event\": \"epoch\", \"epoch\": %d, \"epochs\": %d, \"iters\": %d, \"loss\": ", e, c->epochs,
                  r.iters);
        jb_num(&b, round_decimals(f.n_loss ? f.sum_loss / f.n_loss : 0, 5));
        jb_str(&b, ", \"top1\": ");
        jb_num(&b, round_decimals(r.seen ? (double)r.correct / r.seen : 0, 5));
        jb_str(&b, ", \"lr\": ");
        jb_num(&b, lr);
        jb_str(&b, ", \"seconds\": ");
        jb_num(&b, round_decimals(r.seconds, 3));
        jb_str(&b, ", \"clips_per_s\": ");
        jb_num(&b, round_decimals(r.clips_per_s, 3));
        jb_str(&b, ", \"checkpoint\": ");
        jb_json_str(&b, path);
        jb_str(&b, "}");
        runlog_line(&mx, b.p);
        free(b.p);
        if (!c->quiet)
            printf("epoch %d/%d: loss %.4f  train top-1 %.2f%%  lr %g  %.1f s  -> %s\n", e, c->epochs,
                   f.n_loss ? f.sum_loss / f.n_loss : 0, r.seen ? 100.0 * r.correct / r.seen : 0, lr, r.seconds, path);
        free(path);
    }
    runlog_close(&mx);
    if (f.mmcv) fclose(f.mmcv);
    report_after_run(out, c->quiet);
    loader_free(L);
    model_free(&m);
    free(mom), free(list), free(out), free(ckpt), free(cfg);
    return 0;
}

/* ---------- test ---------- */

static char *dir_of(const char *path) {
    const char *sl = strrchr(path, '/');
    if (!sl) return xstrdup(".");
    if (sl == path) return xstrdup("/");
    char *d = xstrdup(path);
    d[sl - path] = 0;
    return d;
}

/* The clip side a checkpoint was trained at: data.crop of the config.yaml beside it (a finetune run's epoch_<e>.npz)
 * or one folder up (a pretrain run's fedvssl_results/round-<r>.npz); 0 when there is none. */
static int run_crop_of(const char *ckpt, char **cfg_used) {
    char *d = dir_of(ckpt), *up = path_join(d, ".."), *cands[2] = {path_join(d, "config.yaml"), path_join(up, "config.yaml")};
    int crop = 0;
    for (int i = 0; i < 2 && !crop; i++) {
        char v[64];
        if (is_file(cands[i]) && config_yaml_lookup(cands[i], "data.crop", v, sizeof v) == 1) crop = atoi(v);
        if (crop && cfg_used) *cfg_used = xstrdup(cands[i]);
    }
    free(d), free(up), free(cands[0]), free(cands[1]);
    return crop;
}

/* data.crop for test and retrieve: given (> 0) it must match the run's; 0 takes the run's (112 without one). */
static int eval_crop(int given, const char *ckpt) {
    if (given && given < 32) die("data.crop=%d: must be >= 32 (or 0: the run's)", given);
    char *cfg = NULL;
    int run = ckpt && ckpt[0] ? run_crop_of(ckpt, &cfg) : 0;
    if (given && run && given != run)
        die("data.crop=%d, but %s was trained at data.crop=%d (%s): leave data.crop out to evaluate at the run's size",
            given, ckpt, run, cfg);
    free(cfg);
    return given ? given : run ? run : 112;
}

/* Class names from the "<Class>/<video>" entries of a list (names[label-1]; "" where none). */
static char **class_names(const AnnList *l, int C) {
    char **names = xcalloc((size_t)C, sizeof *names);
    for (int i = 0; i < l->n; i++) {
        int c = (int)l->e[i].label - 1;
        if (c < 0 || c >= C || names[c]) continue;
        const char *nm = l->e[i].name, *sl = strchr(nm, '/');
        size_t len = sl ? (size_t)(sl - nm) : 0;
        names[c] = xmalloc(len + 1);
        memcpy(names[c], nm, len);
        names[c][len] = 0;
    }
    for (int c = 0; c < C; c++)
        if (!names[c]) names[c] = xstrdup("");
    return names;
}

static void write_text(const char *path, const char *text, size_t n) {
    AtomicFile af;
    if (atomic_open(&af, path) || atomic_write(&af, text, n) || atomic_commit(&af)) die("%s: cannot write: %m", path);
}

typedef struct {
    const char *name;
    NpyType t;
    int ndim;
    int64_t shape[2];
    const void *data;
} NpzItem;

static void write_npz(const char *path, const NpzItem *it, int n) {
    NpzWriter w;
    if (npz_writer_open(&w, path)) die("%s: cannot create: %m", path);
    for (int i = 0; i < n; i++)
        if (npz_writer_add(&w, it[i].name, it[i].t, it[i].ndim, it[i].shape, it[i].data)) {
            npz_writer_abort(&w);
            die("%s: write failed: %m", path);
        }
    if (npz_writer_close(&w)) die("%s: write failed: %m", path);
}

static Model model_from_checkpoint(const char *path, const char *device, const char *precision) {
    int C = checkpoint_num_classes(path);
    Model m;
    model_init(&m, MODEL_TSN, C);
    Npz z = open_npz(path);
    load_state(&m, &z, path);
    npz_close(&z);
    model_use_backend(&m, backend_for(device, precision));
    model_upload_state(&m);
    return m;
}

int test_run(const TestConfig *c) {
    check_data_dir(c->data_dir);
    char *ckpt;
    if (c->checkpoint[0]) {
        ckpt = xstrdup(c->checkpoint);
    } else {
        if (!c->run[0]) die("give run=<finetune run folder> (its newest epoch_<e>.npz is tested) or checkpoint=<file>");
        if (!is_dir(c->run)) die("run=%s: no such folder", c->run);
        int e = finetune_newest_epoch(c->run);
        if (!e) die("run=%s: no epoch_<e>.npz checkpoint there (not a finetune run folder?)", c->run);
        ckpt = finetune_checkpoint_path(c->run, e);
    }
    if (!is_file(ckpt)) die("checkpoint=%s: no such file", ckpt);
    const int crop = eval_crop(c->crop, ckpt);
    char *out = c->out[0] ? xstrdup(c->out) : c->run[0] ? xstrdup(c->run) : dir_of(ckpt);
    ops_set_threads(c->threads);
    char *list = downstream_path(c->data_dir, c->test_list);
    AnnList ann;
    load_list(list, &ann);
    max_label(&ann, list);
    Model m = model_from_checkpoint(ckpt, c->device, c->precision);
    const int C = m.num_classes;
    for (int i = 0; i < ann.n; i++)
        if (ann.e[i].label > C)
            die("%s: entry %d ('%s') has label %lld, but %s has %d classes", list, i + 1, ann.e[i].name,
                (long long)ann.e[i].label, ckpt, C);
    Loader *L = open_loader(c->data_dir, list, LOADER_TEST, c->batch, 0, ops_threads(), c->fast_decode, crop, 0);
    if (mkdir_p(out)) die("%s: cannot create: %m", out);
    int N = loader_num_samples(L);
    if (c->max_videos > 0 && c->max_videos < N) N = c->max_videos;
    if (!c->quiet)
        printf("fedvssl test: %s on %d videos of %s (10 clips of %dx%d each, %d videos per forward)\n", ckpt, N, list,
               crop, crop, c->batch);
    float *logits = xmalloc(sizeof(float) * (size_t)N * C), *scores = xmalloc(sizeof(float) * (size_t)N * C);
    int64_t *labels = xmalloc(sizeof(int64_t) * (size_t)N), *conf = xmalloc(sizeof(int64_t) * (size_t)C * C);
    double *per = xmalloc(sizeof(double) * (size_t)C), t0 = now_sec();
    EvalPassOptions po = {c->quiet, "test", N};
    eval_pass(&m, L, &po, logits, NULL, labels);
    double secs = now_sec() - t0;
    loader_free(L);
    memcpy(scores, logits, sizeof(float) * (size_t)N * C);
    eval_softmax(scores, N, C);
    double top1 = eval_topk(scores, labels, N, C, 1), top5 = eval_topk(scores, labels, N, C, 5);
    eval_confusion(scores, labels, N, C, conf);
    double mca = eval_mean_class_accuracy(conf, C, per);
    char **names = class_names(&ann, C);

    JsonBuf b = {0};
    jb_str(&b, "{\n  \"top1\": ");
    jb_num(&b, top1);
    jb_str(&b, ",\n  \"top5\": ");
    jb_num(&b, top5);
    jb_str(&b, ",\n  \"mean_class_accuracy\": ");
    jb_num(&b, mca);
    jb_printf(&b, ",\n  \"num_videos\": %d,\n  \"num_classes\": %d,\n  \"clips_per_video\": 10,\n  \"crop\": %d,\n  \"checkpoint\": ", N, C, crop);
    jb_json_str(&b, ckpt);
    jb_str(&b, ",\n  \"test_list\": ");
    jb_json_str(&b, list);
    jb_str(&b, ",\n  \"seconds\": ");
    jb_num(&b, round_decimals(secs, 3));
    jb_str(&b, ",\n  \"per_class\": [");
    JsonBuf tsv = {0};
    jb_str(&tsv, "class\tname\tvideos\tcorrect\ttop1\n");
    for (int k = 0; k < C; k++) {
        int64_t n = 0;
        for (int j = 0; j < C; j++) n += conf[(size_t)k * C + j];
        int64_t hit = conf[(size_t)k * C + k];
        jb_printf(&b, "%s\n    {\"class\": %d, \"name\": ", k ? "," : "", k + 1);
        jb_json_str(&b, names[k]);
        jb_printf(&b, ", \"videos\": %lld, \"correct\": %lld, \"top1\": ", (long long)n, (long long)hit);
        if (n) jb_num(&b, per[k]);
        else jb_str(&b, "null");
        jb_str(&b, "}");
        jb_printf(&tsv, "%d\t%s\t%lld\t%lld\t", k + 1, names[k], (long long)n, (long long)hit);
        if (n) jb_printf(&tsv, "%.6f\n", per[k]);
        else jb_str(&tsv, "nan\n");
    }
    jb_str(&b, "\n  ],\n  \"confusion\": [");
    for (int k = 0; k < C; k++) {
        jb_str(&b, k ? ",\n    [" : "\n    [");
        for (int j = 0; j < C; j++) jb_printf(&b, "%s%lld", j ? ", " : "", (long long)conf[(size_t)k * C + j]);
        jb_str(&b, "]");
    }
    jb_str(&b, "\n  ]\n}\n");
    char *rp = path_join(out, "results.json"), *tp = path_join(out, "per_class.tsv"), *sp = path_join(out, "test_scores.npz");
    write_text(rp, b.p, b.n);
    write_text(tp, tsv.p, tsv.n);
    NpzItem items[] = {{"logits", NPY_F32, 2, {N, C}, logits}, {"scores", NPY_F32, 2, {N, C}, scores},
                       {"labels", NPY_I64, 1, {N, 0}, labels}};
    write_npz(sp, items, 3);
    if (!c->quiet)
        printf("top-1 %.2f%%  top-5 %.2f%%  mean class accuracy %.2f%%  (%d videos, %.1f s) -> %s\n", 100 * top1,
               100 * top5, 100 * mca, N, secs, rp);
    report_after_run(out, c->quiet);
    for (int k = 0; k < C; k++) free(names[k]);
    free(names), free(b.p), free(tsv.p), free(rp), free(tp), free(sp);
    free(logits), free(scores), free(labels), free(conf), free(per);
    ann_free(&ann);
    model_free(&m);
    free(ckpt), free(out), free(list);
    return 0;
}

/* ---------- retrieval ---------- */

const int RETRIEVE_KS[RETRIEVE_NK] = {1, 5, 10, 20, 50};

/* %d: the clip side S; sizes scale by S/112 */
static const char RETRIEVE_PROTOCOL[] =
    "video retrieval with backbone features: every train and test video gives 10 uniform clips of 16 frames "
    "(stride 2, resize 171x128 times S/112, center crop S = %d, as the test pipeline; S = 112 in the reference); the "
    "backbone runs in eval mode and each clip's features are average-pooled to 512; a video's feature is the mean "
    "over its clips, L2-normalised; every test video queries the train set by cosine similarity, and R@k is the "
    "fraction of queries with at least one train video of the query's class among the k most similar";

static int features(Model *m, const RetrieveConfig *c, const char *list, const char *what, float **feat,
                    int64_t **labels) {
    const int max_videos = c->max_videos, quiet = c->quiet;
    Loader *L = open_loader(c->data_dir, list, LOADER_TEST, c->batch, 0, ops_threads(), c->fast_decode, c->crop, 0);
    int N = loader_num_samples(L);
    if (max_videos > 0 && max_videos < N) N = max_videos;
    *feat = xmalloc(sizeof(float) * (size_t)N * 512);
    *labels = xmalloc(sizeof(int64_t) * (size_t)N);
    EvalPassOptions po = {quiet, what, N};
    eval_pass(m, L, &po, NULL, *feat, *labels);
    loader_free(L);
    eval_l2_normalize(*feat, N, 512);
    return N;
}

int retrieve_run(const RetrieveConfig *given) {
    RetrieveConfig cc = *given, *c = &cc;
    check_data_dir(c->data_dir);
    if (c->init[0] && !is_file(c->init)) die("init=%s: no such file", c->init);
    cc.crop = eval_crop(given->crop, c->init);
    ops_set_threads(c->threads);
    char *trl = downstream_path(c->data_dir, c->train_list), *tel = downstream_path(c->data_dir, c->test_list);
    AnnList a, b;
    load_list(trl, &a);
    load_list(tel, &b);
    int ca = max_label(&a, trl), cb = max_label(&b, tel), C = ca > cb ? ca : cb;
    ann_free(&a), ann_free(&b);
    char *out = c->out[0] ? xstrdup(c->out) : downstream_default_out();

    /* the fine-tune layout's backbone (layer4 strided in space, avgpool (2,7,7) -> 512), as fine-tuning sees it */
    Model m;
    model_init(&m, MODEL_TSN, C);
    model_reset_parameters(&m, (uint64_t)c->seed);
    int taken = 0, of = 0;
    if (c->init[0]) {
        char how[200];
        taken = model_load_backbone(&m, c->init, &of, how, sizeof how);
        check_partial(c->init, taken, of, c->init_partial);
        if (!c->quiet) printf("init: %d of %d backbone entries from %s, %s\n", taken, of, c->init, how);
    } else if (!c->quiet) {
        printf("init: none (random backbone, seed %d: a baseline)\n", c->seed);
    }
    model_use_backend(&m, backend_for(c->device, c->precision));
    model_upload_state(&m);
    if (mkdir_p(out)) die("%s: cannot create: %m", out);
    double t0 = now_sec();
    int gallery_bn = !strcmp(c->bn_stats, "gallery");
    if (gallery_bn) { /* running statistics from scratch, one pass over the gallery's clips */
        State *s = &m.st;
        model_download_state(&m);
        for (int i = 0; i < s->n; i++) {
            const char *nm = s->e[i].name, *dot = strrchr(nm, '.');
            if (strncmp(nm, "backbone.", 9) || !dot) continue;
            if (!strcmp(dot, ".running_mean") || !strcmp(dot, ".running_var")) {
                float v = !strcmp(dot, ".running_var");
                for (int64_t k = 0; k < s->e[i].numel; k++) state_w(s, i)[k] = v;
            } else if (!strcmp(dot, ".num_batches_tracked")) {
                s->cnt[s->e[i].off] = 0;
            }
        }
        model_upload_state(&m);
        Loader *L = open_loader(c->data_dir, trl, LOADER_TEST, c->batch, 0, ops_threads(), c->fast_decode, c->crop, 0);
        EvalPassOptions po = {c->quiet, "BN statistics on the gallery", c->max_videos};
        m.bn_recalibrate = 1, m.bn_recal_forwards = 0;
        eval_pass(&m, L, &po, NULL, NULL, NULL);
        m.bn_recalibrate = 0;
        loader_free(L);
    }
    float *gf, *qf;
    int64_t *gl, *ql;
    int Ng = features(&m, c, trl, "train videos (gallery)", &gf, &gl);
    int Nq = features(&m, c, tel, "test videos (queries)", &qf, &ql);
    double rec[RETRIEVE_NK];
    eval_knn_recall(qf, ql, Nq, gf, gl, Ng, 512, RETRIEVE_KS, RETRIEVE_NK, rec);
    double secs = now_sec() - t0;

    JsonBuf j = {0};
    jb_str(&j, "{\n");
    for (int k = 0; k < RETRIEVE_NK; k++) {
        jb_printf(&j, "  \"R@%d\": ", RETRIEVE_KS[k]);
        jb_num(&j, rec[k]);
        jb_str(&j, ",\n");
    }
    jb_printf(&j, "  \"num_queries\": %d,\n  \"num_gallery\": %d,\n  \"num_classes\": %d,\n  \"feature_dim\": 512,\n"
                  "  \"clips_per_video\": 10,\n  \"init\": ",
              Nq, Ng, C);
    if (c->init[0]) jb_json_str(&j, c->init);
    else jb_str(&j, "null");
    jb_printf(&j, ",\n  \"backbone_entries\": %d,\n  \"queries\": ", taken);
    jb_json_str(&j, tel);
    jb_str(&j, ",\n  \"gallery\": ");
    jb_json_str(&j, trl);
    jb_str(&j, ",\n  \"seconds\": ");
    jb_num(&j, round_decimals(secs, 3));
    jb_printf(&j, ",\n  \"crop\": %d,\n  \"bn_stats\": \"%s\",\n  \"protocol\": ", c->crop, gallery_bn ? "gallery" : "checkpoint");
    char proto[sizeof RETRIEVE_PROTOCOL + 16];
    snprintf(proto, sizeof proto, RETRIEVE_PROTOCOL, c->crop);
    jb_json_str(&j, proto);
    jb_str(&j, "\n}\n");
    char *rp = path_join(out, "retrieval.json"), *fp = path_join(out, "features.npz");
    write_text(rp, j.p, j.n);
    NpzItem items[] = {{"train_features", NPY_F32, 2, {Ng, 512}, gf}, {"train_labels", NPY_I64, 1, {Ng, 0}, gl},
                       {"test_features", NPY_F32, 2, {Nq, 512}, qf}, {"test_labels", NPY_I64, 1, {Nq, 0}, ql}};
    write_npz(fp, items, 4);
    if (!c->quiet) {
        printf("retrieval (%d queries, %d train videos):", Nq, Ng);
        for (int k = 0; k < RETRIEVE_NK; k++) printf("  R@%d %.2f%%", RETRIEVE_KS[k], 100 * rec[k]);
        printf("  (%.1f s) -> %s\n", secs, rp);
    }
    report_after_run(out, c->quiet);
    free(j.p), free(rp), free(fp), free(gf), free(gl), free(qf), free(ql);
    model_free(&m);
    free(trl), free(tel), free(out);
    return 0;
}
