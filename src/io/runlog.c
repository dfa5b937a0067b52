/* metrics.jsonl and its TensorBoard mirror (see runlog.h). */
#include "runlog.h"

#include <math.h>
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

static void mirror(TfEvents *tb, const char *json) {
    char err[256];
    JsonValue *v = json_parse(json, strlen(json), "metrics line", 1, err, sizeof err);
    if (!v || v->type != JV_OBJ) {
        json_free(v);
        return;
    }
    const char *ev = json_get_str(v, "event", "");
    double round = json_get_num(v, "round"), client = json_get_num(v, "client"), epoch = json_get_num(v, "epoch");
    double iter = json_get_num(v, "iter"), iters = json_get_num(v, "iters");
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
    for (int i = 0; !isnan(step) && i < v->n; i++) {
        if (v->items[i].type != JV_NUM || is_step_key(v->keys[i])) continue;
        char tag[200];
        snprintf(tag, sizeof tag, "%s%s", prefix, v->keys[i]);
        tfevents_scalar(tb, tag, (int64_t)step, v->items[i].num);
    }
    json_free(v);
}

void runlog_line(RunLog *r, const char *json) {
    if (!r || !r->f) return;
    fprintf(r->f, "%s\n", json);
    fflush(r->f);
    if (r->tb) mirror(r->tb, json);
}

void runlog_close(RunLog *r) {
    if (r->f) fsync(fileno(r->f)), fclose(r->f);
    r->f = NULL;
    if (tfevents_close(r->tb)) warnf("TensorBoard files: a write failed");
    r->tb = NULL;
}
