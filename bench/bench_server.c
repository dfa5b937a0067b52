/* Server-side cost of a federated round: streaming aggregation of K client states of the real CtP
 * layout, the round's checkpoint writes, and the server's peak memory, for K = 5 and 50.
 *   ./build/bench/bench_server [out_dir=/tmp/fedvssl_bench_server] [strategy=fedvssl|fedavg|flower]
 * Client states arrive one at a time into one buffer (as the transports deliver them), so memory must
 * not grow with K. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/rng.h"
#include "../src/core/util.h"
#include "../src/core/fsutil.h"
#include "../src/fl/fl.h"

int main(int argc, char **argv) {
    const char *out = argc > 1 ? argv[1] : "/tmp/fedvssl_bench_server";
    const char *sname = argc > 2 ? argv[2] : "fedvssl";
    StrategyKind kind = !strcmp(sname, "fedavg") ? STRAT_FEDAVG : !strcmp(sname, "flower") ? STRAT_FLOWER : STRAT_FEDVSSL;
    Model m;
    model_init(&m, MODEL_CTP, 0); /* the layout, and the one buffer client results arrive in */
    State *s = &m.st;
    double model_mb = (s->nf * 4.0 + s->ni * 8.0) / 1048576;
    printf("CtP state: %d entries, %.1f MiB; strategy %s\n", s->n, model_mb, strategy_name(kind));
    FlConfig c = {.run_dir = out, .seed = 7, .strat = {kind, 0.9, 1}};
    char *res = fl_results_dir(&c);
    if (mkdir_p(res)) die("%s: %m", res);
    size_t base = peak_rss_bytes();
    Global g;
    global_alloc(&g, s->nf, s->ni, kind == STRAT_FLOWER);
    Aggregator agg;
    agg_init(&agg, c.strat, s->nf, s->ni);
    int ks[2] = {5, 50};
    for (int t = 0; t < 2; t++) {
        int K = ks[t];
        for (int round = 1; round <= 2; round++) {
            double agg_s = 0;
            agg_round_begin(&agg);
            for (int k = 0; k < K; k++) {
                for (size_t i = 0; i < s->nf; i += 4096) s->w[i] = (float)rng_uniform_at(k, i); /* touch: a new result */
                double t0 = now_sec();
                agg_client_begin(&agg, 1907 + k % 2, 0.5 + 0.01 * k);
                agg_add_floats(&agg, 0, s->w, s->nf);
                agg_add_counters(&agg, 0, s->cnt, s->ni);
                agg_client_end(&agg);
                agg_s += now_sec() - t0;
            }
            double t0 = now_sec();
            agg_finish(&agg, &g, round);
            double fin = now_sec() - t0;
            t0 = now_sec();
            fl_checkpoint_write(&c, s, &g, round);
            double ck = now_sec() - t0;
            size_t peak = peak_rss_bytes();
            printf("K=%2d round %d: aggregation %.3f s (%.1f ms/client), combine %.3f s, checkpoints %.3f s; "
                   "server total %.2f s; peak RSS %.0f MiB = %.2f model copies (+%.2f for the arriving result)\n",
                   K, round, agg_s, 1e3 * agg_s / K, fin, ck, agg_s + fin + ck, peak / 1048576.0,
                   (peak - base) / 1048576.0 / model_mb, base / 1048576.0 / model_mb);
        }
    }
    agg_free(&agg);
    global_free(&g);
    model_free(&m);
    free(res);
    return 0;
}
