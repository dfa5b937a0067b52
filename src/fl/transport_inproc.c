/* The in-process transport: the whole federation in one process. With parallel_clients = 1 the sampled clients
 * fit in turn on one model; with P > 1, P workers (threads, each with its own model, backend context and share
 * of the threads: one CUDA stream each on a GPU) take the round's clients in order, P at a time. Their results
 * reach the aggregator in client order whichever finishes first, so a round's aggregate is the same as in turn
 * (bit for bit where each client's own arithmetic is: on the CPU at the same threads per client). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "fl.h"

typedef struct Inproc Inproc;

typedef struct {
    Inproc *ip;
    pthread_t th;
    Backend *be; /* its own context */
    Model m;
} Worker;

struct Inproc {
    const FlConfig *c;
    FlConfig wc; /* the workers' settings: their share of the threads, no per-step progress lines */
    RunLog *mx;
    Model m;     /* parallel_clients = 1: the one model every client trains on */
    int P;
    Worker *w;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* any change below */
    int ready, stop;
    /* the round in progress: gen counts rounds handed out; clients are taken in order (next) and added in
     * order (turn); idle counts the workers done with it */
    int gen, round, k, next, turn, idle, ok;
    const int *cids;
    const Global *g;
    Aggregator *agg;
    FitResult *res;
};

/* Streams a client's full state (floats, then counters) into the aggregator. */
static void add_state(Aggregator *agg, const State *s, const FitResult *r) {
    agg_client_begin(agg, r->num_examples, r->loss_metric);
    agg_add_floats(agg, 0, s->w, s->nf);
    agg_add_counters(agg, 0, s->cnt, s->ni);
    agg_client_end(agg);
}

static void *worker_main(void *arg) {
    Worker *w = arg;
    Inproc *ip = w->ip;
    /* the model is planned here, under this thread's own thread count, which its convolutions then run with */
    ops_set_threads(ip->wc.threads);
    fl_client_model(&w->m, &ip->wc, w->be);
    pthread_mutex_lock(&ip->mu);
    ip->ready++;
    pthread_cond_broadcast(&ip->cv);
    for (int seen = 0;;) {
        while (ip->gen == seen && !ip->stop) pthread_cond_wait(&ip->cv, &ip->mu);
        if (ip->stop) break;
        seen = ip->gen;
        while (ip->next < ip->k) {
            int i = ip->next++;
            pthread_mutex_unlock(&ip->mu);
            int rc = client_fit(&w->m, &ip->wc, ip->cids[i], ip->round, ip->g->w, ip->g->c, ip->mx, &ip->res[i]);
            pthread_mutex_lock(&ip->mu);
            while (ip->turn != i) pthread_cond_wait(&ip->cv, &ip->mu);
            if (!rc) add_state(ip->agg, &w->m.st, &ip->res[i]), ip->ok++;
            ip->turn++;
            pthread_cond_broadcast(&ip->cv);
        }
        ip->idle++;
        pthread_cond_broadcast(&ip->cv);
    }
    pthread_mutex_unlock(&ip->mu);
    model_free(&w->m);
    return NULL;
}

static int inproc_fit_round(Transport *t, int round, const int *cids, int k, const Global *g, const State *layout,
                            Aggregator *agg, FitResult *res) {
    (void)layout;
    Inproc *ip = t->impl;
    if (ip->P == 1) {
        int ok = 0;
        for (int i = 0; i < k; i++)
            if (!client_fit(&ip->m, ip->c, cids[i], round, g->w, g->c, ip->mx, &res[i])) {
                add_state(agg, &ip->m.st, &res[i]);
                ok++;
            }
        return ok;
    }
    pthread_mutex_lock(&ip->mu);
    ip->round = round, ip->cids = cids, ip->k = k, ip->g = g, ip->agg = agg, ip->res = res;
    ip->next = ip->turn = ip->idle = ip->ok = 0;
    ip->gen++;
    pthread_cond_broadcast(&ip->cv);
    while (ip->idle < ip->P) pthread_cond_wait(&ip->cv, &ip->mu);
    int ok = ip->ok;
    pthread_mutex_unlock(&ip->mu);
    return ok;
}

static void inproc_close(Transport *t) {
    Inproc *ip = t->impl;
    if (ip->P == 1) {
        model_free(&ip->m);
    } else {
        pthread_mutex_lock(&ip->mu);
        ip->stop = 1;
        pthread_cond_broadcast(&ip->cv);
        pthread_mutex_unlock(&ip->mu);
        for (int i = 0; i < ip->P; i++) pthread_join(ip->w[i].th, NULL), backend_close(ip->w[i].be);
        free(ip->w);
        pthread_cond_destroy(&ip->cv);
        pthread_mutex_destroy(&ip->mu);
    }
    free(ip);
    free(t);
}

Transport *transport_inproc(const FlConfig *c, RunLog *mx) {
    Inproc *ip = xcalloc(1, sizeof *ip);
    ip->c = c, ip->mx = mx;
    ip->P = c->parallel_clients < c->pool_size ? c->parallel_clients : c->pool_size; /* more would only idle */
    if (ip->P < 1) ip->P = 1;
    if (ip->P == 1) {
        fl_client_model(&ip->m, c, backend_for(c->device, c->precision));
    } else {
        ip->wc = *c;
        ip->wc.threads = c->threads / ip->P > 0 ? c->threads / ip->P : 1;
        ip->wc.quiet = 1; /* several clients' step lines at once would be noise: the round line says how it went */
        pthread_mutex_init(&ip->mu, NULL);
        pthread_cond_init(&ip->cv, NULL);
        ip->w = xcalloc((size_t)ip->P, sizeof *ip->w);
        for (int i = 0; i < ip->P; i++) {
            ip->w[i].ip = ip;
            ip->w[i].be = backend_open(c->device, c->precision);
            if (pthread_create(&ip->w[i].th, NULL, worker_main, &ip->w[i])) die("cannot start a client thread");
        }
        pthread_mutex_lock(&ip->mu);
        while (ip->ready < ip->P) pthread_cond_wait(&ip->cv, &ip->mu);
        pthread_mutex_unlock(&ip->mu);
    }
    Transport *t = xcalloc(1, sizeof *t);
    t->name = "inproc";
    t->fit_round = inproc_fit_round;
    t->close = inproc_close;
    t->impl = ip;
    return t;
}
