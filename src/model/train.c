/* train_epoch: the local epoch of a client (pretrain) or of fine-tuning (see train.h). */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/util.h"
#include "../core/fsutil.h"
#include "../io/json.h"
#include "../io/npy.h"
#include "../io/runlog.h"
#include "../io/state_npz.h"

/* The float's shortest decimal (0.01f -> 0.01, not 0.009999999776482582): logs show the learning rate as set. */
static double float_decimal(float x) {
    char buf[32];
    for (int p = 1; p < 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)x);
        if ((float)strtod(buf, NULL) == x) return strtod(buf, NULL);
    }
    return x;
}

static int top1(const float *logits, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

/* The controls' record of one step (TrainOptions.trace_dir): the batch as npz, the step's figures as a line. Files are
 * numbered by the run's step (step0 + it), so a fine-tuning run's epochs share one folder. */
static int trace_step(const char *dir, int64_t step, const Batch *b, const Model *m, double norm, float lr, char *err,
                      size_t errlen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/batch-%05lld.npz", dir, (long long)step);
    int64_t S = b->crop, si[5] = {b->n, 3, 16, S, S}, st[4] = {b->n, 3, 16, 4}, sw[3] = {b->n, 3, 16}, sl[1] = {b->n};
    NpzWriter w;
    int bad = npz_writer_open(&w, path);
    if (!bad) {
        bad = npz_writer_add(&w, "imgs", NPY_F32, 5, si, b->imgs) ||
              (m->kind == MODEL_CTP ? npz_writer_add(&w, "gt_trajs", NPY_F32, 4, st, b->gt_trajs) ||
                                          npz_writer_add(&w, "gt_weights", NPY_F32, 3, sw, b->gt_weights)
                                    : npz_writer_add(&w, "labels", NPY_I64, 1, sl, b->labels));
        if (bad) npz_writer_abort(&w); /* no partial file left behind */
        else bad = npz_writer_close(&w);
    }
    if (!bad) {
        snprintf(path, sizeof path, "%s/steps.jsonl", dir);
        FILE *f = fopen(path, "a");
        bad = !f || fprintf(f, "{\"iter\": %lld, \"loss\": %.9g, \"loss_ctr\": %.9g, \"loss_size\": %.9g, "
                              "\"grad_norm\": %.9g, \"lr\": %.9g",
                            (long long)step, m->loss, m->loss_ctr, m->loss_size, norm, (double)lr) < 0;
        /* the mask this step used (model_forward counted the step): PyTorch rebuilds it from the two numbers */
        if (!bad && m->kind == MODEL_TSN)
            bad = fprintf(f, ", \"dropout\": %.9g, \"dropout_seed\": %llu, \"dropout_step\": %llu", (double)m->dropout,
                          (unsigned long long)m->dropout_seed, (unsigned long long)(m->dropout_step - 1)) < 0;
        bad = bad || fprintf(f, "}\n") < 0;
        if (f && fclose(f)) bad = 1;
    }
    if (bad) snprintf(err, errlen, "trace: cannot write %.900s", path);
    return bad ? -1 : 0;
}

int train_epoch(Model *m, Loader *L, const TrainOptions *o, TrainResult *r) {
    memset(r, 0, sizeof *r);
    const int interval = o->log_interval > 0 ? o->log_interval : 10;
    int iters = loader_iters_per_epoch(L);
    if (o->max_iters > 0 && o->max_iters < iters) iters = o->max_iters;
    r->num_examples = loader_num_samples(L);
    loader_epoch_begin(L, o->epoch);
    if (o->trace_dir) {
        if (mkdir_p(o->trace_dir)) {
            snprintf(r->err, sizeof r->err, "trace: cannot create %.1000s", o->trace_dir);
            return -1;
        }
        if (o->step0 == 0) { /* the state before the run's (a fit's) first step; a resumed run's is there already */
            char *start = path_join(o->trace_dir, "start.npz");
            model_download_state(m);
            state_save_npz(&m->st, start, NULL);
            free(start);
        }
    }
    double sum_all = 0, t_start = now_sec(), logged_sum = 0;
    double s_loss = 0, s_ctr = 0, s_size = 0, s_norm = 0, s_time = 0, s_data = 0;
    float s_lr = o->h.lr; /* the learning rate of the interval's last step (mmcv logs the current one) */
    int s_correct = 0, s_seen = 0, in_interval = 0;
    Batch b;
    for (int it = 1; it <= iters; it++) {
        double t0 = now_sec();
        int got = loader_next(L, &b);
        if (got < 0) {
            snprintf(r->err, sizeof r->err, "data loader: %.1000s", loader_error(L));
            return -1;
        }
        if (!got) break;
        double t1 = now_sec();
        model_zero_grads(m);
        float loss = model_forward(m, b.imgs, b.gt_trajs, b.gt_weights, m->kind == MODEL_TSN ? b.labels : NULL, 1);
        if (it == o->inject_nan_at) loss = m->loss = NAN;
        if (!isfinite(loss)) {
            snprintf(r->err, sizeof r->err, "iteration %d: loss is %g (diverged)", it, loss);
            return -1;
        }
        model_backward(m);
        Hyper h = o->h;
        int64_t k = o->step0 + it - 1;
        if (k < o->warmup_iters) /* from the lr as set (0.01, not its float), as mmcv computes it in double */
            h.lr = (float)(float_decimal(o->h.lr) * (1 - (1 - (double)k / o->warmup_iters) * (1 - o->warmup_ratio)));
        double norm = model_update(m, h, o->first_step && it == 1);
        if (!isfinite(norm)) {
            snprintf(r->err, sizeof r->err, "iteration %d: gradient norm is %g (diverged)", it, norm);
            return -1;
        }
        if (o->trace_dir && trace_step(o->trace_dir, o->step0 + it, &b, m, norm, h.lr, r->err, sizeof r->err))
            return -1;
        if (m->kind == MODEL_TSN)
            for (int i = 0; i < b.n; i++) {
                int ok = top1(m->tsn.logits_h + (size_t)i * m->num_classes, m->num_classes) == b.labels[i];
                s_correct += ok, r->correct += ok;
            }
        s_seen += b.n, r->seen += b.n;
        double t2 = now_sec();
        s_loss += loss, s_ctr += m->loss_ctr, s_size += m->loss_size, s_norm += norm, s_lr = h.lr;
        s_time += t2 - t0, s_data += t1 - t0;
        sum_all += loss;
        r->iters = it;
        in_interval++;
        if (in_interval == interval) { /* mmcv: means over the interval, 5 decimals; the tail is never logged */
            TrainLog lg = {it, iters, round_decimals(s_loss / interval, 5), round_decimals(s_ctr / interval, 5),
                           round_decimals(s_size / interval, 5), s_seen ? 100.0 * s_correct / s_seen : 0,
                           round_decimals(s_norm / interval, 5), float_decimal(s_lr), s_time / interval, s_data / interval,
                           s_time > 0 ? s_seen / s_time : 0};
            logged_sum += lg.loss;
            r->logged++;
            if (o->on_log) o->on_log(o->ctx, &lg, it, iters, loss);
            s_loss = s_ctr = s_size = s_norm = s_time = s_data = 0;
            s_correct = s_seen = in_interval = 0;
        } else if (o->on_log) {
            o->on_log(o->ctx, NULL, it, iters, loss);
        }
    }
    if (r->iters == 0) {
        snprintf(r->err, sizeof r->err, "the epoch has no iterations");
        return -1;
    }
    if (r->logged) {
        r->mean_loss = logged_sum / r->logged;
    } else { /* fewer iterations than one interval: the reference would divide by zero */
        r->short_epoch = 1;
        r->mean_loss = sum_all / r->iters;
    }
    r->loss_metric = exp(-r->mean_loss);
    r->seconds = now_sec() - t_start;
    r->clips_per_s = r->seconds > 0 ? (double)r->seen / r->seconds : 0;
    return 0;
}

int ctp_heldout(Model *m, Loader *L, int batches, HeldOut *h, char *err, size_t errlen) {
    memset(h, 0, sizeof *h);
    if (m->kind != MODEL_CTP) die("internal: ctp_heldout on a model that is not CtP");
    loader_epoch_begin(L, 0);
    int R = m->ctp.nroi;
    float *zero = xcalloc((size_t)R * 64, sizeof(float)), *dz = xmalloc((size_t)R * 64 * sizeof(float));
    Batch b;
    int got = 0;
    while (h->batches < batches && (got = loader_next(L, &b)) > 0) {
        float loss = model_forward(m, b.imgs, b.gt_trajs, b.gt_weights, NULL, 0);
        /* the same rule as the training loss (model_forward), with every prediction 0 */
        float count = 0, zc, zs;
        for (int i = 0; i < R * 16; i++) count += b.gt_weights ? b.gt_weights[i] : 1.f;
        if (count < 1) count = 1;
        smooth_l1_ctp(zero, m->ctp.target, b.gt_weights, R * 16, 1.f, count, &zc, &zs, dz);
        if (!isfinite(loss)) {
            snprintf(err, errlen, "held-out batch %d: loss is %g", h->batches + 1, loss);
            free(zero), free(dz);
            return -1;
        }
        h->loss += loss, h->zero_loss += (double)zc + zs;
        h->ctr += m->loss_ctr, h->zero_ctr += zc;
        h->batches++;
    }
    free(zero), free(dz);
    if (got < 0) {
        snprintf(err, errlen, "data loader: %s", loader_error(L));
        return -1;
    }
    if (!h->batches) {
        snprintf(err, errlen, "the held-out list gave no batch");
        return -1;
    }
    h->loss /= h->batches, h->zero_loss /= h->batches, h->ctr /= h->batches, h->zero_ctr /= h->batches;
    return 0;
}

FILE *mmcv_log_open(const char *dir) {
    time_t t = time(NULL);
    for (int tries = 0; tries < 100; tries++, t++) { /* runs shorter than a second: next free name */
        struct tm tm;
        localtime_r(&t, &tm);
        char name[40];
        strftime(name, sizeof name, "%Y%m%d_%H%M%S.log.json", &tm);
        char *p = path_join(dir, name);
        if (!is_file(p)) {
            FILE *f = fopen(p, "w");
            free(p);
            return f;
        }
        free(p);
    }
    return NULL;
}

void mmcv_log_line(FILE *f, int epoch, const TrainLog *lg, ModelKind kind) {
    if (!f) return;
    RunEvent e;
    ev_begin(&e, NULL);
    ev_str(&e, "mode", "train"), ev_int(&e, "epoch", epoch), ev_int(&e, "iter", lg->iter);
    ev_num(&e, "lr", lg->lr, -1), ev_int(&e, "memory", 0);
    ev_num(&e, "data_time", lg->data_time, 5), ev_num(&e, "time", lg->time, 5);
    if (kind == MODEL_CTP) ev_num(&e, "loss_ctr", lg->loss_ctr, -1), ev_num(&e, "loss_size", lg->loss_size, -1);
    else ev_num(&e, "loss_cls", lg->loss, -1);
    ev_num(&e, "loss", lg->loss, -1), ev_num(&e, "grad_norm", lg->grad_norm, -1);
    fprintf(f, "%s\n", ev_text(&e));
    fflush(f);
    ev_free(&e);
}
