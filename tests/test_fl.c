/* The server strategies against NumPy (tests/golden/strategy.npz, tools/gen_strategy_golden.py): every
 * aggregate of three rounds of three random clients, bit for bit, in whole and in chunks; and the
 * per-entry state operations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/state.h"
#include "../src/core/util.h"
#include "../src/fl/strategy.h"
#include "../src/io/npy.h"
#include "check.h"

static const char *NAMES[] = {"conv.weight", "bn.weight", "bn.running_mean", "bn.num_batches_tracked",
                              "head.fc.weight", "head.fc.bias", "head.nbt"};
enum { NE = 7, K = 3, ROUNDS = 3 };

static const NpyArray *get(const Npz *z, const char *fmt, int a, int b, const char *name) {
    char key[160], pre[96];
    snprintf(pre, sizeof pre, fmt, a, b);
    snprintf(key, sizeof key, "%s%s", pre, name);
    const NpyArray *x = npz_get(z, key);
    if (!x) die("golden: missing %s", key);
    return x;
}

static void make_layout(State *s, const Npz *z) {
    memset(s, 0, sizeof *s);
    for (int i = 0; i < NE; i++) {
        const NpyArray *a = get(z, "r%d.c%d.", 1, 0, NAMES[i]);
        state_add(s, NAMES[i], a->ndim, a->shape, a->type == NPY_I64 ? ST_I64 : ST_F32, a->type != NPY_I64);
    }
    state_alloc(s);
}

static void load_client(State *s, const Npz *z, int r, int k) {
    for (int i = 0; i < NE; i++) {
        const NpyArray *a = get(z, "r%d.c%d.", r, k, NAMES[i]);
        if (s->e[i].type == ST_F32) npy_to_f32(a, s->w + s->e[i].off);
        else npy_to_i64(a, s->cnt + s->e[i].off);
    }
}

/* max |got - expected| over the golden's entries (prefix "exp.<strategy>.r<r>." [+ "h."]) */
static double compare(const Npz *z, const State *s, const float *w, const double *c, const char *strat, int r,
                      int half) {
    double worst = 0;
    for (int i = 0; i < NE; i++) {
        char pre[96];
        snprintf(pre, sizeof pre, "exp.%s.r%%d.%s", strat, half ? "h." : "");
        const NpyArray *a = get(z, pre, r, 0, NAMES[i]);
        const StateEntry *e = &s->e[i];
        if (e->type == ST_I64) {
            CHECK(a->type == NPY_F64 && a->ndim == 0, "%s counters are float64 0-d in the reference", strat);
            double v;
            memcpy(&v, a->data, 8);
            worst = max_err(worst, fabs(v - c[e->off]));
        } else {
            float *x = xmalloc(e->numel * sizeof(float));
            npy_to_f32(a, x);
            for (int64_t j = 0; j < e->numel; j++) worst = max_err(worst, fabs((double)x[j] - w[e->off + j]));
            free(x);
        }
    }
    return worst;
}

static void run_strategy(const Npz *z, const char *name, StrategyConfig cfg, int chunked) {
    State s;
    make_layout(&s, z);
    Global g;
    global_alloc(&g, s.nf, s.ni, cfg.kind == STRAT_FLOWER);
    Aggregator agg;
    agg_init(&agg, cfg, s.nf, s.ni);
    for (int r = 1; r <= ROUNDS; r++) {
        const NpyArray *n = npz_get(z, r == 1 ? "r1.n" : r == 2 ? "r2.n" : "r3.n");
        const NpyArray *e = npz_get(z, r == 1 ? "r1.e" : r == 2 ? "r2.e" : "r3.e");
        int64_t nk[K];
        double ek[K];
        npy_to_i64(n, nk);
        memcpy(ek, e->data, sizeof ek);
        agg_round_begin(&agg);
        for (int k = 0; k < K; k++) {
            load_client(&s, z, r, k);
            agg_client_begin(&agg, (double)nk[k], ek[k]);
            if (chunked) { /* as the MPI transport streams them: pieces of 5 floats, counters one by one */
                for (size_t off = 0; off < s.nf; off += 5)
                    agg_add_floats(&agg, off, s.w + off, s.nf - off < 5 ? s.nf - off : 5);
                for (size_t off = 0; off < s.ni; off++) agg_add_counters(&agg, off, s.cnt + off, 1);
            } else {
                agg_add_floats(&agg, 0, s.w, s.nf);
                agg_add_counters(&agg, 0, s.cnt, s.ni);
            }
            agg_client_end(&agg);
        }
        agg_finish(&agg, &g, r);
        double d = compare(z, &s, g.w, g.c, name, r, 0);
        CHECK(d == 0, "%s round %d%s: max |C - NumPy| = %g (expected bit-identical)", name, r, chunked ? " chunked" : "", d);
        if (cfg.kind == STRAT_FLOWER) {
            d = compare(z, &s, g.h, g.hc, name, r, 1);
            CHECK(d == 0, "%s round %d second half: max diff %g", name, r, d);
        }
    }
    agg_free(&agg);
    global_free(&g);
    state_free(&s);
}

int main(void) {
    Npz z;
    char err[1024];
    if (npz_open(&z, "tests/golden/strategy.npz", err, sizeof err)) die("%s (run tests from the repository root)", err);
    for (int chunked = 0; chunked < 2; chunked++) {
        run_strategy(&z, "fedavg", (StrategyConfig){STRAT_FEDAVG, 0.9, 1}, chunked);
        run_strategy(&z, "fedvssl", (StrategyConfig){STRAT_FEDVSSL, 0.9, 1}, chunked);
        run_strategy(&z, "fedvssl_b0", (StrategyConfig){STRAT_FEDVSSL, 0.9, 0}, chunked);
        run_strategy(&z, "flower", (StrategyConfig){STRAT_FLOWER, 0.9, 1}, chunked);
        /* the paper's FedVSSL (0, 0) is FedAvg: no loss-based term, no moving average; the same bits */
        run_strategy(&z, "fedavg", (StrategyConfig){STRAT_FEDVSSL, 0.0, 0}, chunked);
    }
    npz_close(&z);
    TEST_END();
}
