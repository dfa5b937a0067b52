/* The in-process transport: the whole federation in one process, clients in turn on one model. */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "fl.h"

typedef struct {
    const FlConfig *c;
    RunLog *mx;
    Model m; /* the one model instance every client of the simulation trains on */
} Inproc;

/* Streams a client's full state (floats, then counters) into the aggregator. */
static void add_state(Aggregator *agg, const State *s, const FitResult *r) {
    agg_client_begin(agg, r->num_examples, r->loss_metric);
    agg_add_floats(agg, 0, s->w, s->nf);
    agg_add_counters(agg, 0, s->cnt, s->ni);
    agg_client_end(agg);
}

static int inproc_fit_round(Transport *t, int round, const int *cids, int k, const Global *g, const State *layout,
                            Aggregator *agg, FitResult *res) {
    (void)layout;
    Inproc *ip = t->impl;
    int ok = 0;
    for (int i = 0; i < k; i++)
        if (!client_fit(&ip->m, ip->c, cids[i], round, g->w, g->c, ip->mx, &res[i])) {
            add_state(agg, &ip->m.st, &res[i]);
            ok++;
        }
    return ok;
}

static void inproc_close(Transport *t) {
    Inproc *ip = t->impl;
    model_free(&ip->m);
    free(ip);
    free(t);
}

Transport *transport_inproc(const FlConfig *c, RunLog *mx) {
    Inproc *ip = xcalloc(1, sizeof *ip);
    ip->c = c, ip->mx = mx;
    fl_client_model(&ip->m, c);
    Transport *t = xcalloc(1, sizeof *t);
    t->name = "inproc";
    t->fit_round = inproc_fit_round;
    t->close = inproc_close;
    t->impl = ip;
    return t;
}
