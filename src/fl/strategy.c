/* Streaming FedAvg / FedVSSL / Flower-compatible aggregation (see strategy.h). */
#include "strategy.h"

#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

const char *strategy_name(StrategyKind k) {
    return k == STRAT_FEDAVG ? "fedavg" : k == STRAT_FLOWER ? "flower-compat" : "fedvssl";
}

void global_alloc(Global *g, size_t nf, size_t ni, int with_second_half) {
    memset(g, 0, sizeof *g);
    g->nf = nf, g->ni = ni;
    g->w = xalloc_aligned(nf * sizeof(float));
    g->c = xcalloc(ni ? ni : 1, sizeof(double));
    if (with_second_half) {
        g->h = xalloc_aligned(nf * sizeof(float));
        g->hc = xcalloc(ni ? ni : 1, sizeof(double));
    }
}

void global_free(Global *g) {
    free(g->w), free(g->c), free(g->h), free(g->hc);
    memset(g, 0, sizeof *g);
}

void agg_init(Aggregator *a, StrategyConfig cfg, size_t nf, size_t ni) {
    memset(a, 0, sizeof *a);
    a->cfg = cfg, a->nf = nf, a->ni = ni;
    a->a = xalloc_aligned(nf * sizeof(float));
    a->ac = xcalloc(ni ? ni : 1, sizeof(double));
    if (cfg.kind != STRAT_FEDAVG) {
        a->l = xalloc_aligned(nf * sizeof(float));
        a->lc = xcalloc(ni ? ni : 1, sizeof(double));
    }
}

void agg_free(Aggregator *a) {
    free(a->a), free(a->l), free(a->ac), free(a->lc);
    memset(a, 0, sizeof *a);
}

void agg_round_begin(Aggregator *a) { a->k = 0, a->n_total = a->e_total = 0; }

void agg_client_begin(Aggregator *a, double num_examples, double loss_metric) {
    a->cur_n = num_examples, a->cur_e = loss_metric;
}

/* NumPy: reduce(np.add, [layer * weight ...]) with a Python scalar weight, i.e. the weight rounded to
 * float32, each product rounded, the first term taken as is (0 + x would turn -0 into +0). */
static void add_f32(float *sum, const float *x, size_t len, float wt, int first) {
    if (first)
        for (size_t i = 0; i < len; i++) sum[i] = x[i] * wt;
    else
        for (size_t i = 0; i < len; i++) sum[i] += x[i] * wt;
}

void agg_add_floats(Aggregator *a, size_t off, const float *x, size_t len) {
    if (off + len > a->nf) die("internal: aggregator float range");
    add_f32(a->a + off, x, len, (float)a->cur_n, a->k == 0);
    if (a->l) add_f32(a->l + off, x, len, (float)a->cur_e, a->k == 0);
}

void agg_add_counters(Aggregator *a, size_t off, const int64_t *x, size_t len) {
    if (off + len > a->ni) die("internal: aggregator counter range");
    /* int64 * int stays exact (int64, kept in a double below 2^53); int64 * float is float64 */
    for (size_t i = 0; i < len; i++) {
        double va = (double)x[i] * a->cur_n, vl = (double)x[i] * a->cur_e;
        a->ac[off + i] = a->k == 0 ? va : a->ac[off + i] + va;
        if (a->lc) a->lc[off + i] = a->k == 0 ? vl : a->lc[off + i] + vl;
    }
}

void agg_client_end(Aggregator *a) {
    a->n_total += a->cur_n, a->e_total += a->cur_e;
    a->k++;
}

void agg_finish(Aggregator *a, Global *g, int round) {
    if (a->k == 0) die("internal: aggregating a round without results");
    if (g->nf != a->nf || g->ni != a->ni) die("internal: global/aggregator layout");
    const float fn = (float)a->n_total, fe = (float)a->e_total;
    const int swa = a->cfg.swbeta == 1 && round > 1;
    const StrategyKind kind = a->cfg.kind;
    /* A = sum n_k W_k / N and Lw = sum e_k W_k / E, float32 divisions as NumPy's */
    if (kind == STRAT_FEDAVG) {
        for (size_t i = 0; i < a->nf; i++) g->w[i] = a->a[i] / fn;
        for (size_t i = 0; i < a->ni; i++) g->c[i] = a->ac[i] / a->n_total;
    } else if (kind == STRAT_FEDVSSL) {
        /* authors' code (§3.7): w = alpha Lw + (1 - alpha) A, element-wise on object arrays */
        const float al = (float)a->cfg.alpha, bl = (float)(1.0 - a->cfg.alpha);
        for (size_t i = 0; i < a->nf; i++) {
            float w = al * (a->l[i] / fe) + bl * (a->a[i] / fn);
            g->w[i] = swa ? 0.5f * g->w[i] + 0.5f * w : w;
        }
        for (size_t i = 0; i < a->ni; i++) {
            double w = a->cfg.alpha * (a->lc[i] / a->e_total) + (1.0 - a->cfg.alpha) * (a->ac[i] / a->n_total);
            g->c[i] = swa ? 0.5 * g->c[i] + 0.5 * w : w;
        }
    } else {
        /* Flower baseline (§3.5): [alpha A] ++ [(1 - alpha) Lw], then 0.5 previous file + 0.5 list */
        if (!g->h) die("internal: flower-compat global without its second half");
        const float al = (float)a->cfg.alpha, bl = (float)(1.0 - a->cfg.alpha);
        for (size_t i = 0; i < a->nf; i++) {
            float w = al * (a->a[i] / fn), h = bl * (a->l[i] / fe);
            g->w[i] = swa ? 0.5f * g->w[i] + 0.5f * w : w;
            g->h[i] = swa ? 0.5f * g->h[i] + 0.5f * h : h;
        }
        for (size_t i = 0; i < a->ni; i++) {
            double w = a->cfg.alpha * (a->ac[i] / a->n_total), h = (1.0 - a->cfg.alpha) * (a->lc[i] / a->e_total);
            g->c[i] = swa ? 0.5 * g->c[i] + 0.5 * w : w;
            g->hc[i] = swa ? 0.5 * g->hc[i] + 0.5 * h : h;
        }
    }
    g->round = round;
}
