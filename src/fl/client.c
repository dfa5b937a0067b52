/* The client's fit (spec §3.3). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/progress.h"
#include "../core/rng.h"
#include "../core/util.h"
#include "../core/fsutil.h"
#include "../io/json.h"
#include "../io/state_npz.h"
#include "../model/train.h"
#include "fl.h"

/* ---------- paths ---------- */

char *fl_results_dir(const FlConfig *c) { return path_join(c->run_dir, "fedvssl_results"); }

char *fl_client_dir(const FlConfig *c, int cid) {
    char name[32], *res = fl_results_dir(c);
    snprintf(name, sizeof name, "client%d", cid + 1);
    char *p = path_join(res, name);
    free(res);
    return p;
}

/* Client states are state_round<r>.npz; returns the newest r <= upto (0 if none). */
static int newest_state(const char *dir, int upto) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int best = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int r;
        char tail[8];
        if (sscanf(de->d_name, "state_round%d.np%1s", &r, tail) == 2 && !strcmp(tail, "z") && r <= upto && r > best)
            best = r;
    }
    closedir(d);
    return best;
}

static char *state_path(const char *dir, int round) {
    char name[48];
    snprintf(name, sizeof name, "state_round%d.npz", round);
    return path_join(dir, name);
}

void client_prune(const FlConfig *c, int cid, int upto) {
    char *dir = fl_client_dir(c, cid);
    int keep = newest_state(dir, upto);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int r;
        char tail[8];
        if (sscanf(de->d_name, "state_round%d.np%1s", &r, tail) == 2 && r < keep) {
            char *p = path_join(dir, de->d_name);
            unlink(p);
            free(p);
        }
    }
    if (d) closedir(d);
    free(dir);
}

/* ---------- progress and logs of one fit ---------- */

typedef struct {
    const FlConfig *c;
    RunLog *mx;
    FILE *log;    /* mmcv-style <YYYYMMDD_HHMMSS>.log.json */
    int cid, round;
    double t0;
    Progress pr;
} FitCtx;

static void on_log(void *ctx, const TrainLog *lg, int iter, int iters, double loss) {
    FitCtx *fc = ctx;
    double el = now_sec() - fc->t0, eta = iter ? el / iter * (iters - iter) : 0;
    char label[64];
    snprintf(label, sizeof label, "round %d/%d  client %d  iter", fc->round, fc->c->rounds, fc->cid + 1);
    progress_show(&fc->pr, lg != NULL, label, iter, iters, eta, "loss %.4f  %.1f clips/s", lg ? lg->loss : loss,
                  el > 0 ? iter * fc->c->batch / el : 0);
    if (!lg) return;
    mmcv_log_line(fc->log, 1, lg, MODEL_CTP); /* every round is a new one-epoch mmcv run (§3.3 step 11) */
    RunEvent e;
    ev_begin(&e, "train");
    ev_int(&e, "round", fc->round), ev_int(&e, "client", fc->cid + 1);
    ev_int(&e, "iter", lg->iter), ev_int(&e, "iters", lg->iters);
    ev_num(&e, "loss", lg->loss, -1), ev_num(&e, "loss_ctr", lg->loss_ctr, -1);
    ev_num(&e, "loss_size", lg->loss_size, -1), ev_num(&e, "lr", lg->lr, -1);
    ev_num(&e, "grad_norm", lg->grad_norm, -1), ev_num(&e, "clips_per_s", lg->clips_per_s, 3);
    ev_num(&e, "sec_per_iter", lg->time, 5);
    runlog_event(fc->mx, &e);
}

void fl_log_fit(RunLog *mx, int round, const FitResult *res) {
    RunEvent e;
    ev_begin(&e, "client_fit");
    ev_int(&e, "round", round), ev_int(&e, "client", res->cid + 1), ev_bool(&e, "ok", res->ok);
    ev_int(&e, "num_examples", res->num_examples), ev_int(&e, "iters", res->iters);
    ev_num(&e, "loss_metric", res->loss_metric, -1), ev_num(&e, "mean_loss", res->mean_loss, -1);
    ev_num(&e, "seconds", res->seconds, 3);
    if (res->ok && isfinite(res->heldout_loss)) {
        ev_num(&e, "heldout_loss", res->heldout_loss, 5), ev_num(&e, "heldout_zero_loss", res->heldout_zero, 5);
        ev_num(&e, "heldout_ctr", res->heldout_ctr, 5), ev_num(&e, "heldout_zero_ctr", res->heldout_zero_ctr, 5);
    }
    if (!res->ok) ev_str(&e, "error", res->err);
    runlog_event(mx, &e);
}

static int fault_hits(const FlConfig *c, int cid, int round, const char *kind) {
    return c->fault && !strcmp(c->fault, kind) && (c->fault_client == 0 || c->fault_client == cid + 1) &&
           (c->fault_round == 0 || c->fault_round == round);
}

void fl_client_model(Model *m, const FlConfig *c, const Backend *be) {
    model_init(m, MODEL_CTP, 0);
    m->head_init_fan_in = c->head_init_fan_in;
    model_use_backend(m, be);
    int S = c->crop > 0 ? c->crop : 112; /* 0: the reference's clip side, as the loader takes it */
    model_plan(m, (Dims){c->batch, 3, 16, S, S}, 1);
}

int client_fit(Model *m, const FlConfig *c, int cid, int round, const float *gw, const double *gc, RunLog *mx,
               FitResult *res) {
    memset(res, 0, sizeof *res);
    res->cid = cid;
    double t0 = now_sec();
    char *dir = fl_client_dir(c, cid), *part = NULL, *ann = NULL, *prev = NULL;
    int ok = 0;
    if (mkdir_p(dir)) {
        snprintf(res->err, sizeof res->err, "%s: cannot create: %m", dir);
        goto done;
    }
    remove_stale_temps(dir); /* the client's own work dir: on its rank's host */
    if (fault_hits(c, cid, round, "slow")) {
        struct timespec ts = {(time_t)c->fault_seconds, (long)((c->fault_seconds - (double)(time_t)c->fault_seconds) * 1e9)};
        nanosleep(&ts, NULL);
    }
    if (fault_hits(c, cid, round, "error")) {
        snprintf(res->err, sizeof res->err, "injected failure (fault=error)");
        goto done;
    }
    /* §3.3 steps 7-8: own last state (fresh initialisation on the first round), then the server's backbone */
    State *s = &m->st;
    int q = newest_state(dir, round - 1);
    if (q) {
        prev = state_path(dir, q);
        state_load_npz(s, prev, 0, "head."); /* the backbone comes from the server below */
    } else {
        model_reset_parameters(m, (uint64_t)c->seed);
    }
    for (int i = 0; i < s->n; i++) {
        const StateEntry *e = &s->e[i];
        if (strncmp(e->name, "backbone.", 9)) continue;
        if (e->type == ST_F32) memcpy(s->w + e->off, gw + e->off, e->numel * sizeof(float));
        else
            for (int64_t k = 0; k < e->numel; k++) s->cnt[e->off + k] = f64_to_i64(gc[e->off + k]); /* float64 -> Long */
    }
    model_upload_state(m);

    part = path_under(c->data_dir, c->partition_dir);
    char name[40];
    snprintf(name, sizeof name, "client_dist%d.json", cid + 1);
    ann = path_join(part, name);
    LoaderOptions lo = {.fast_decode = c->fast_decode, .crop = c->crop, .max_bad_fraction = c->max_bad_fraction,
                        .patch_solid = c->patch_solid};
    /* §3.9: the reference re-seeds every client construction, so each round replays one stream */
    uint64_t seed = c->reseed_each_round ? (uint64_t)c->seed : rng_at((uint64_t)c->seed, (uint64_t)cid);
    char err[1024];
    Loader *L = loader_open(c->data_dir, ann, LOADER_CTP, c->batch, seed, c->threads, &lo, err, sizeof err);
    if (!L) {
        snprintf(res->err, sizeof res->err, "%s", err);
        goto done;
    }
    FitCtx fc = {c, mx, mmcv_log_open(dir), cid, round, now_sec(), {0}};
    progress_init(&fc.pr, stdout, c->quiet);
    TrainOptions to = {.h = c->h, .epoch = c->reseed_each_round ? 0 : round - 1, .log_interval = c->log_interval,
                       .first_step = 1, .max_iters = c->max_iters, .on_log = on_log, .ctx = &fc,
                       .inject_nan_at = fault_hits(c, cid, round, "nan") ? 1 : 0};
    char trace[4096];
    if (c->trace_dir && c->trace_dir[0]) {
        snprintf(trace, sizeof trace, "%s/round-%d/client-%d", c->trace_dir, round, cid + 1);
        to.trace_dir = trace;
    }
    TrainResult tr;
    int rc = train_epoch(m, L, &to, &tr);
    if (fc.log) fclose(fc.log);
    progress_end(&fc.pr, 1);
    loader_free(L);
    if (rc) {
        snprintf(res->err, sizeof res->err, "%.1000s", tr.err);
        goto done;
    }
    static int told; /* once per run: every client of a small run hits it (atomic: clients may run side by side) */
    if (tr.short_epoch && !__atomic_fetch_add(&told, 1, __ATOMIC_RELAXED))
        warnf("client %d, round %d: %d iterations, fewer than the log interval %d; the loss metric is the mean of "
              "all of them (the reference would divide by zero); the same for every such epoch of this run",
              cid + 1, round, tr.iters, c->log_interval);
    res->heldout_loss = res->heldout_zero = res->heldout_ctr = res->heldout_zero_ctr = NAN;
    if (c->eval_batches > 0) { /* after the fit, on a stream that is the same every round and for every client */
        char *list = path_under(c->data_dir, c->eval_list);
        Loader *E = loader_open(c->data_dir, list, LOADER_CTP, c->batch, rng_at((uint64_t)c->seed, 0x4e1dull),
                                c->threads, &lo, err, sizeof err);
        free(list);
        HeldOut ho;
        rc = E ? ctp_heldout(m, E, c->eval_batches, &ho, err, sizeof err) : -1;
        loader_free(E);
        if (rc) {
            snprintf(res->err, sizeof res->err, "eval.list: %.1000s", err);
            goto done;
        }
        res->heldout_loss = ho.loss, res->heldout_zero = ho.zero_loss;
        res->heldout_ctr = ho.ctr, res->heldout_zero_ctr = ho.zero_ctr;
    }
    model_download_state(m);
    char *sp = state_path(dir, round);
    state_save_npz(s, sp, "head."); /* all the client keeps: the server holds the backbone */
    free(sp);
    res->num_examples = tr.num_examples;
    res->iters = tr.iters;
    res->loss_metric = tr.loss_metric;
    res->mean_loss = tr.mean_loss;
    res->short_epoch = tr.short_epoch;
    ok = 1;
done:
    res->ok = ok;
    res->seconds = now_sec() - t0;
    if (ok && c->round_timeout > 0 && res->seconds > c->round_timeout) {
        snprintf(res->err, sizeof res->err, "took %.1f s, more than round_timeout %.1f s", res->seconds,
                 c->round_timeout);
        res->ok = ok = 0;
    }
    fl_log_fit(mx, round, res);
    free(dir), free(part), free(ann), free(prev);
    return ok ? 0 : -1;
}
