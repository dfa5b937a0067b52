/* Server-side aggregation (spec §3.5-3.7, Appendix B), streamed: each client result is added to running
 * sums as it arrives, so the server holds the sums and the global model, never K client models.
 * Arithmetic follows NumPy's float32 rules of the reference (products and sums in float32, the
 * int64 counters as exact float64 sums), so results match a NumPy computation bit for bit. */
#ifndef FEDVSSL_STRATEGY_H
#define FEDVSSL_STRATEGY_H
#include <stddef.h>
#include <stdint.h>

typedef enum { STRAT_FEDVSSL, STRAT_FEDAVG, STRAT_FLOWER } StrategyKind;

typedef struct {
    StrategyKind kind;
    double alpha; /* mix_coeff: FEDVSSL weight of the loss-based aggregate; FLOWER scale of FedAvg (§3.6) */
    int swbeta;   /* 1: w_r = 0.5 w_{r-1} + 0.5 w_r from round 2 */
} StrategyConfig;

/* The global model between rounds, laid out like a model State (floats nf, counters ni). */
typedef struct {
    size_t nf, ni;
    float *w;    /* what clients take */
    double *c;   /* counters: weighted means, float64 as in the reference's files */
    float *h;    /* FLOWER only: the file's second half, (1-alpha)-scaled loss-based part (§3.5 step 4) */
    double *hc;
    int round;   /* last aggregated round, 0 = the initial state */
} Global;

typedef struct {
    StrategyConfig cfg;
    size_t nf, ni;
    float *a, *l;   /* sum_k n_k W_k, sum_k e_k W_k (l unused by FEDAVG) */
    double *ac, *lc;
    double n_total, e_total;
    int k;          /* clients added this round */
    double cur_n, cur_e;
} Aggregator;

const char *strategy_name(StrategyKind k);
void global_alloc(Global *g, size_t nf, size_t ni, int with_second_half);
void global_free(Global *g);

void agg_init(Aggregator *a, StrategyConfig cfg, size_t nf, size_t ni);
void agg_free(Aggregator *a);
void agg_round_begin(Aggregator *a);
/* One client's result, given in pieces: begin with its num_examples and loss metric (exp(-loss)),
 * add its floats [off, off+len) and counters in any chunks that cover them once, then end. */
void agg_client_begin(Aggregator *a, double num_examples, double loss_metric);
void agg_add_floats(Aggregator *a, size_t off, const float *x, size_t len);
void agg_add_counters(Aggregator *a, size_t off, const int64_t *x, size_t len);
void agg_client_end(Aggregator *a);
/* Combine the round's sums into g (which holds the previous global for swbeta). round >= 1. */
void agg_finish(Aggregator *a, Global *g, int round);

#endif
