/* fedvssl finetune: TSN fine-tuning (spec §5) with per-epoch checkpoints and automatic resume (downstream.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/config.h"
#include "../core/fsutil.h"
#include "../core/progress.h"
#include "../core/rng.h"
#include "../core/util.h"
#include "../io/json.h"
#include "../io/runlog.h"
#include "../model/checkpoint.h"
#include "../model/evaluate.h"
#include "../model/train.h"
#include "../nn/backend.h"
#include "../report/report.h"
#include "common.h"
#include "downstream.h"

double finetune_lr(double lr, double gamma, const double *steps, int nsteps, int epoch) {
    for (int i = 0; i < nsteps; i++)
        if (epoch - 1 >= steps[i]) lr *= gamma; /* mmcv: the 0-based epoch has reached the step */
    return lr;
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
    RunEvent e;
    ev_begin(&e, "train");
    ev_int(&e, "epoch", f->epoch), ev_int(&e, "iter", lg->iter), ev_int(&e, "iters", lg->iters);
    ev_num(&e, "loss", lg->loss, -1), ev_num(&e, "acc", lg->acc / 100, 5);
    ev_num(&e, "lr", lg->lr, -1); /* the step's own (warm-up) */
    ev_num(&e, "grad_norm", lg->grad_norm, -1), ev_num(&e, "clips_per_s", lg->clips_per_s, 3);
    ev_num(&e, "sec_per_iter", lg->time, 5), ev_num(&e, "data_time", lg->data_time, 5);
    runlog_event(f->mx, &e);
}

int finetune_run(const FinetuneConfig *c, const CfgKey *keys, int nkeys) {
    ds_check_data_dir(c->data_dir);
    if (c->init[0] && !is_file(c->init)) die("init=%s: no such file", c->init);
    ops_set_threads(c->threads);
    int threads = ops_threads();
    char *list = path_under(c->data_dir, c->train_list);
    AnnList ann;
    ds_load_list(list, &ann);
    int C = ds_max_label(&ann, list), nvid = ann.n;
    ann_free(&ann);
    Loader *L = ds_open_loader(c->data_dir, list, LOADER_FINETUNE, c->batch, (uint64_t)c->seed, threads, c->fast_decode, c->crop, c->max_bad_fraction);
    int iters = loader_iters_per_epoch(L);
    if (c->max_iters > 0 && c->max_iters < iters) iters = c->max_iters;

    char *out = c->out[0] ? xstrdup(c->out) : default_run_dir();
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
        int e = finetune_load_checkpoint(&m, mom, ckpt, &steps, c->seed, c->batch);
        if (e != start) die("%s: meta.epoch is %d, the name says %d", ckpt, e, start);
        if (!c->quiet)
            printf("resuming after epoch %d from %s%s\n", start, ckpt, c->init[0] ? " (init= is not used: the run has started)" : "");
    } else if (c->init[0]) {
        char how[200];
        int of, taken = model_load_backbone(&m, c->init, &of, how, sizeof how);
        checkpoint_check_partial(c->init, taken, of, c->init_partial);
        if (!c->quiet)
            printf("init: %d of %d backbone entries from %s, %s (classifier freshly initialised)\n", taken, of,
                   c->init, how);
    } else if (!c->quiet) {
        printf("init: none (random initialisation, seed %d)\n", c->seed);
    }
    m.dropout_step = (uint64_t)steps; /* every training step draws its own dropout mask: continue the count */
    model_use_backend(&m, backend_for(c->device, c->precision));
    const char *trace = c->trace_dir && c->trace_dir[0] ? c->trace_dir : NULL; /* "" = no trace */
    if (trace && mkdir_p(trace)) die("trace_dir=%s: cannot create: %m", trace);
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
        double lr = finetune_lr(c->lr, c->gamma, c->lr_steps.v, c->lr_steps.n, e);
        Hyper h = {(float)lr, (float)c->momentum, (float)c->weight_decay, (float)c->clip};
        f.epoch = e, f.lr = lr, f.sum_loss = 0, f.n_loss = 0;
        /* the momentum buffer starts from the very first gradient of the run only */
        TrainOptions to = {.h = h, .epoch = e - 1, .log_interval = c->log_interval, .first_step = e == 1,
                           .max_iters = c->max_iters, .warmup_iters = c->warmup_iters, .warmup_ratio = c->warmup_ratio,
                           .step0 = steps, .on_log = ft_on_log, .ctx = &f, .inject_nan_at = e == c->fault_nan_epoch,
                           .trace_dir = trace};
        TrainResult r;
        int rc = train_epoch(&m, L, &to, &r);
        progress_end(&f.pr, 1);
        if (rc && e == 1) die("epoch 1: %s (no checkpoint written)", r.err);
        if (rc) die("epoch %d: %s (the last checkpoint, epoch %d, is kept in %s)", e, r.err, e - 1, out);
        steps += r.iters;
        model_download_state(&m);
        const float *mh = mom;
        if (m.pm == s->m) mh = s->m;
        else m.be->download(m.be, mom, m.pm, s->nf * sizeof(float));
        StrBuf meta = {0};
        sb_printf(&meta, "{\"format\": \"fedvssl-finetune-1\", \"epoch\": %d, \"steps\": %lld, \"num_classes\": %d, "
                         "\"seed\": %d, \"batch\": %d, \"lr\": ",
                  e, (long long)steps, C, c->seed, c->batch);
        jb_num(&meta, lr);
        sb_str(&meta, "}");
        char *path = finetune_checkpoint_path(out, e);
        finetune_save_checkpoint(&m, mh, path, e, steps, meta.p);
        if (c->pth) {
            char name[32];
            snprintf(name, sizeof name, "epoch_%d.pth", e);
            char *pth = path_join(out, name);
            PthMeta pm = {e, steps};
            if (state_write_pth(s, pth, &pm, err, sizeof err)) die("%s", err);
            free(pth);
        }
        finetune_prune_checkpoints(out, e);
        free(meta.p);
        RunEvent ev;
        ev_begin(&ev, "epoch");
        ev_int(&ev, "epoch", e), ev_int(&ev, "epochs", c->epochs), ev_int(&ev, "iters", r.iters);
        ev_num(&ev, "loss", f.n_loss ? f.sum_loss / f.n_loss : 0, 5);
        ev_num(&ev, "top1", r.seen ? (double)r.correct / r.seen : 0, 5), ev_num(&ev, "lr", lr, -1);
        ev_num(&ev, "seconds", r.seconds, 3), ev_num(&ev, "clips_per_s", r.clips_per_s, 3);
        ev_str(&ev, "checkpoint", path);
        runlog_event(&mx, &ev);
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

