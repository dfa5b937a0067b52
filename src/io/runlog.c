/* metrics.jsonl and its TensorBoard mirror (see runlog.h). */
#include "runlog.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/util.h"
#include "../core/fsutil.h"
#include "json.h"

int runlog_open(RunLog *r, const char *run_dir, const char *name, int tensorboard, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    char *m = path_join(run_dir, name);
    r->f = fopen(m, "a");
    if (!r->f) snprintf(err, errlen, "%s: cannot open: %m", m);
    free(m);
    if (!r->f) return -1;
    if (tensorboard) {
        char *d = path_join(run_dir, "tf_logs"), e[1200];
        r->tb = tfevents_open(d, e, sizeof e);
        if (!r->tb) warnf("TensorBoard files left out: %s", e);
        free(d);
    }
    return 0;
}

static int is_step_key(const char *k) {
    static const char *const keys[] = {"round", "client", "iter", "iters", "epoch", "epochs"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!strcmp(k, keys[i])) return 1;
    return 0;
}

void ev_begin(RunEvent *e, const char *kind) {
    memset(e, 0, sizeof *e);
    e->kind = kind;
    sb_str(&e->b, "{");
    if (kind) ev_str(e, "event", kind);
}

static void key(RunEvent *e, const char *k) {
    if (e->fields++) sb_str(&e->b, ", ");
    jb_json_str(&e->b, k);
    sb_str(&e->b, ": ");
}

static void keep(RunEvent *e, const char *k, double v) {
    if (e->n == RUNEVENT_MAX_NUMS) die("internal: a metrics record with more than %d numbers", RUNEVENT_MAX_NUMS);
    e->keys[e->n] = k, e->vals[e->n++] = v;
}

void ev_int(RunEvent *e, const char *k, long long v) {
    key(e, k);
    sb_printf(&e->b, "%lld", v);
    keep(e, k, (double)v);
}

void ev_num(RunEvent *e, const char *k, double v, int digits) {
    if (digits >= 0 && isfinite(v)) v = round_decimals(v, digits);
    key(e, k);
    jb_num(&e->b, v);
    keep(e, k, v);
}

void ev_str(RunEvent *e, const char *k, const char *v) {
    key(e, k);
    jb_json_str(&e->b, v);
}

void ev_bool(RunEvent *e, const char *k, int v) {
    key(e, k);
    sb_str(&e->b, v ? "true" : "false");
}

const char *ev_text(RunEvent *e) {
    if (!e->closed++) sb_str(&e->b, "}");
    return e->b.p;
}

void ev_free(RunEvent *e) {
    free(e->b.p);
    memset(e, 0, sizeof *e);
}

static double num_of(const RunEvent *e, const char *k) {
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->keys[i], k)) return e->vals[i];
    return NAN;
}

static void mirror(TfEvents *tb, const RunEvent *e) {
    const char *ev = e->kind ? e->kind : "";
    double round = num_of(e, "round"), client = num_of(e, "client"), epoch = num_of(e, "epoch");
    double iter = num_of(e, "iter"), iters = num_of(e, "iters");
    char prefix[64] = "";
    double step = NAN;
    if (!strcmp(ev, "train") && !isnan(round) && !isnan(client) && !isnan(iter) && !isnan(iters))
        snprintf(prefix, sizeof prefix, "client%.0f/train/", client), step = (round - 1) * iters + iter;
    else if (!strcmp(ev, "train") && !isnan(epoch) && !isnan(iter) && !isnan(iters))
        snprintf(prefix, sizeof prefix, "train/"), step = (epoch - 1) * iters + iter;
    else if (!strcmp(ev, "client_fit") && !isnan(round) && !isnan(client))
        snprintf(prefix, sizeof prefix, "client%.0f/", client), step = round;
    else if (!strcmp(ev, "round") && !isnan(round))
        snprintf(prefix, sizeof prefix, "round/"), step = round;
    else if (!strcmp(ev, "epoch") && !isnan(epoch))
        snprintf(prefix, sizeof prefix, "epoch/"), step = epoch;
    for (int i = 0; !isnan(step) && i < e->n; i++) {
        if (is_step_key(e->keys[i])) continue;
        char tag[200];
        snprintf(tag, sizeof tag, "%s%s", prefix, e->keys[i]);
        tfevents_scalar(tb, tag, (int64_t)step, e->vals[i]);
    }
}

void runlog_event(RunLog *r, RunEvent *e) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* clients trained side by side log to one run */
    if (r && r->f) {
        const char *text = ev_text(e);
        pthread_mutex_lock(&lock);
        fprintf(r->f, "%s\n", text);
        fflush(r->f);
        if (r->tb) mirror(r->tb, e);
        pthread_mutex_unlock(&lock);
    }
    ev_free(e);
}

void runlog_close(RunLog *r) {
    if (r->f) fsync(fileno(r->f)), fclose(r->f);
    r->f = NULL;
    if (tfevents_close(r->tb)) warnf("TensorBoard files: a write failed");
    r->tb = NULL;
}
