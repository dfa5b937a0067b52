/* The server's round loop (spec §3.2, §3.5): sample clients, stream their results into the strategy's
 * sums, write the round's checkpoints atomically, resume from the last complete round. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/rng.h"
#include "../core/util.h"
#include "../core/fsutil.h"
#include "../io/ckpt.h"
#include "../io/json.h"
#include "../io/npy.h"
#include "../model/train.h"
#include "fl.h"

char *fl_native_path(const FlConfig *c, int round) {
    char name[48], *res = fl_results_dir(c);
    snprintf(name, sizeof name, "round-%d.npz", round);
    char *p = path_join(res, name);
    free(res);
    return p;
}

/* A round file's round: "round-<r>.npz" (native) or "round-<r>-weights.array.npz" (flower); 0 otherwise. */
static int round_file(const char *name, int *flower) {
    int r = 0, n = 0;
    if (sscanf(name, "round-%d%n", &r, &n) != 1 || r < 1) return 0;
    *flower = !strcmp(name + n, "-weights.array.npz");
    return *flower || !strcmp(name + n, ".npz") ? r : 0;
}

int fl_last_round(const FlConfig *c) {
    /* the newest native file: it is written last, so it marks its round complete (older rounds may be pruned) */
    char *res = fl_results_dir(c);
    DIR *d = opendir(res);
    int last = 0, flower;
    for (struct dirent *de; d && (de = readdir(d));) {
        int r = round_file(de->d_name, &flower);
        if (r > last && !flower) last = r;
    }
    if (d) closedir(d);
    free(res);
    return last;
}

/* Whether round r's files stay once `newest` is written: the newest keep_last rounds and every keep_every-th. */
static int round_kept(const FlConfig *c, int r, int newest) {
    return r > newest - c->keep_last || (c->keep_every > 0 && r % c->keep_every == 0);
}

/* After round `newest` is complete: delete the files of older rounds that are not kept, and files of a format
 * not selected (the newest's native file stays: it is the resume point). Also finishes a prune a kill cut short. */
static void prune_rounds(const FlConfig *c, int newest) {
    char *res = fl_results_dir(c);
    DIR *d = opendir(res);
    int flower;
    for (struct dirent *de; d && (de = readdir(d));) {
        int r = round_file(de->d_name, &flower);
        if (!r || r > newest || (r == newest && !flower)) continue;
        if (round_kept(c, r, newest) && (flower ? c->write_flower : c->write_native)) continue;
        char *p = path_join(res, de->d_name);
        if (unlink(p)) warnf("%s: cannot delete: %m", p);
        free(p);
    }
    if (d) closedir(d);
    free(res);
}

/* Native checkpoint: one array per state-dict key (counters float64 0-d, as aggregated), the compat
 * second half as "second_half.<key>", and meta.round / meta.json. np.load(path)[key] reads it. */
/* The baseline's round-<r>-weights.array.npz (§3.8): a pickled flwr Parameters of NPY blobs in state-dict
 * order, counters float64 0-d as NumPy leaves them; compat=flower appends the second half (252 entries). */
static void write_flwr(const FlConfig *c, const State *L, const Global *g, int round) {
    int halves = g->h ? 2 : 1, n = 0;
    TensorRef *t = xcalloc((size_t)L->n * halves, sizeof *t);
    for (int half = 0; half < halves; half++)
        for (int i = 0; i < L->n; i++) {
            const StateEntry *e = &L->e[i];
            t[n++] = e->type == ST_F32 ? (TensorRef){NPY_F32, e->ndim, e->shape, (half ? g->h : g->w) + e->off}
                                       : (TensorRef){NPY_F64, e->ndim, e->shape, (half ? g->hc : g->c) + e->off};
        }
    char name[64], err[1024], *res = fl_results_dir(c);
    snprintf(name, sizeof name, "round-%d-weights.array.npz", round);
    char *path = path_join(res, name);
    if (flwr_round_write(path, t, n, err, sizeof err)) die("%s", err);
    free(path), free(res), free(t);
}

void fl_checkpoint_write(const FlConfig *c, const State *L, const Global *g, int round) {
    if (c->write_flower) write_flwr(c, L, g, round); /* first: the native file's presence marks the round complete */
    char *path = fl_native_path(c, round);
    NpzWriter w;
    if (npz_writer_open(&w, path)) die("%s: cannot create: %m", path);
    int bad = 0;
    for (int half = 0; half < (g->h ? 2 : 1); half++)
        for (int i = 0; i < L->n && !bad; i++) {
            const StateEntry *e = &L->e[i];
            char key[96];
            snprintf(key, sizeof key, "%s%s", half ? "second_half." : "", e->name);
            if (e->type == ST_F32) bad = npz_writer_add(&w, key, NPY_F32, e->ndim, e->shape, (half ? g->h : g->w) + e->off);
            else bad = npz_writer_add(&w, key, NPY_F64, e->ndim, e->shape, (half ? g->hc : g->c) + e->off);
        }
    int64_t r64 = round, one = 0;
    bad = bad || npz_writer_add(&w, "meta.round", NPY_I64, 0, &one, &r64);
    StrBuf b = {0};
    sb_printf(&b, "{\"format\": \"fedvssl-round-1\", \"round\": %d, \"strategy\": \"%s\", \"mix_coeff\": ", round,
              strategy_name(c->strat.kind));
    jb_num(&b, c->strat.alpha);
    sb_printf(&b, ", \"swbeta\": %d, \"seed\": %d}", c->strat.swbeta, c->seed);
    int64_t len = (int64_t)b.n;
    bad = bad || npz_writer_add(&w, "meta.json", NPY_U8, 1, &len, b.p);
    free(b.p);
    if (bad) {
        npz_writer_abort(&w);
        die("%s: write failed: %m", path);
    }
    if (npz_writer_close(&w)) die("%s: write failed: %m", path);
    free(path);
}

static void read_native(const FlConfig *c, const State *L, Global *g, int round) {
    char *path = fl_native_path(c, round), err[1024];
    Npz z;
    if (npz_open(&z, path, err, sizeof err)) die("%s", err);
    for (int half = 0; half < (g->h ? 2 : 1); half++)
        for (int i = 0; i < L->n; i++) {
            const StateEntry *e = &L->e[i];
            char key[96];
            snprintf(key, sizeof key, "%s%s", half ? "second_half." : "", e->name);
            const NpyArray *a = npz_get(&z, key);
            if (!a || a->numel != e->numel || a->type == NPY_OBJECT)
                die("%s: %s '%s' (the run's strategy settings must match the checkpoint)", path,
                    a ? "bad shape for" : "missing", key);
            if (e->type == ST_F32) npy_to_f32(a, (half ? g->h : g->w) + e->off);
            else
                for (int64_t k = 0; k < e->numel; k++) { /* float64 counters */
                    double v;
                    memcpy(&v, a->data + k * 8, 8);
                    if (a->type != NPY_F64) die("%s: '%s' must be float64", path, key);
                    (half ? g->hc : g->c)[e->off + k] = v;
                }
        }
    npz_close(&z);
    g->round = round;
    free(path);
}

/* §3.2: max(int(pool * fraction_fit), min_fit_clients) of the pool, drawn from the run seed. */
static int sample_clients(const FlConfig *c, int round, int *cids) {
    int k = (int)(c->pool_size * c->fraction_fit);
    if (k < c->min_fit_clients) k = c->min_fit_clients;
    if (k > c->pool_size) k = c->pool_size;
    int *all = xmalloc(sizeof(int) * (size_t)c->pool_size);
    for (int i = 0; i < c->pool_size; i++) all[i] = i;
    Rng r = rng_make((uint64_t)c->seed, (uint64_t)round, 0x5a3b1eull, 0);
    for (int i = 0; i < k; i++) {
        int j = rng_int(&r, i, c->pool_size - 1), t = all[i];
        all[i] = all[j], all[j] = t;
    }
    /* clients train in id order */
    for (int i = 0; i < k; i++) {
        int v = all[i], j = i;
        while (j > 0 && cids[j - 1] > v) cids[j] = cids[j - 1], j--;
        cids[j] = v;
    }
    free(all);
    return k;
}

int fl_server_run(const FlConfig *c, Transport *t, RunLog *mx) {
    if (c->min_available_clients > c->pool_size)
        die("strategy.min_available_clients=%d but pool_size=%d: the server would wait forever", c->min_available_clients,
            c->pool_size);
    if (c->min_fit_clients > c->pool_size)
        die("strategy.min_fit_clients=%d but pool_size=%d", c->min_fit_clients, c->pool_size);
    char *res_dir = fl_results_dir(c);
    if (mkdir_p(res_dir)) die("%s: cannot create: %m", res_dir);
    int stale = remove_stale_temps(res_dir); /* left by writes a kill interrupted */
    if (stale) printf("removed %d unfinished file(s) of an interrupted run from %s\n", stale, res_dir);

    /* layout of the global model, and the initial state: one client's fresh initialisation (§3.2) */
    State init;
    model_state_layout(&init, MODEL_CTP, 0);
    Global g;
    global_alloc(&g, init.nf, init.ni, c->strat.kind == STRAT_FLOWER);
    State L = init; /* the layout alone: entries, no buffers */
    L.e = xmalloc(sizeof(StateEntry) * (size_t)L.n);
    memcpy(L.e, init.e, sizeof(StateEntry) * (size_t)L.n);
    L.w = NULL, L.g = NULL, L.m = NULL, L.cnt = NULL;
    int start = fl_last_round(c);
    if (start) {
        read_native(c, &L, &g, start);
        printf("resuming after round %d (%s)\n", start, res_dir);
    } else {
        state_reset_parameters(&init, MODEL_CTP, (uint64_t)c->seed, c->head_init_fan_in);
        memcpy(g.w, init.w, g.nf * sizeof(float));
        for (size_t i = 0; i < g.ni; i++) g.c[i] = (double)init.cnt[i];
    }
    state_free(&init);

    Aggregator agg;
    agg_init(&agg, c->strat, g.nf, g.ni);
    int *cids = xmalloc(sizeof(int) * (size_t)c->pool_size);
    FitResult *res = xcalloc((size_t)c->pool_size, sizeof *res);
    int status = 0;
    for (int round = start + 1; round <= c->rounds; round++) {
        double t0 = now_sec();
        int k = sample_clients(c, round, cids);
        agg_round_begin(&agg);
        int ok = t->fit_round(t, round, cids, k, &g, &L, &agg, res);
        double t1 = now_sec();
        double loss_w = 0, n_w = 0, held = 0, zero = 0, held_c = 0, zero_c = 0;
        int n_held = 0;
        for (int i = 0; i < k; i++) {
            if (!res[i].ok) {
                warnf("round %d: client %d failed and is dropped from the round: %s", round, cids[i] + 1, res[i].err);
                continue;
            }
            loss_w += res[i].mean_loss * res[i].num_examples, n_w += res[i].num_examples;
            if (isfinite(res[i].heldout_loss))
                held += res[i].heldout_loss, zero += res[i].heldout_zero, held_c += res[i].heldout_ctr,
                    zero_c += res[i].heldout_zero_ctr, n_held++;
        }
        /* the clients' mean held-out CtP loss (each with its own head) and predict-zero's on the same clips */
        held = n_held ? held / n_held : NAN, zero = n_held ? zero / n_held : NAN;
        held_c = n_held ? held_c / n_held : NAN, zero_c = n_held ? zero_c / n_held : NAN;
        if (ok < c->min_fit_clients || ok == 0) {
            warnf("round %d: %d of %d clients returned results, fewer than min_fit_clients=%d; stopping (round %d is "
                  "the last complete one; 'fedvssl pretrain resume=%s' continues)",
                  round, ok, k, c->min_fit_clients, round - 1, c->run_dir);
            status = 1;
            break;
        }
        agg_finish(&agg, &g, round);
        fl_checkpoint_write(c, &L, &g, round);
        prune_rounds(c, round);
        for (int i = 0; i < c->pool_size; i++) client_prune(c, i, round);
        double t2 = now_sec();
        RunEvent e;
        ev_begin(&e, "round");
        ev_int(&e, "round", round), ev_int(&e, "rounds", c->rounds), ev_str(&e, "strategy", strategy_name(c->strat.kind));
        ev_int(&e, "sampled", k), ev_int(&e, "results", ok), ev_int(&e, "failures", k - ok);
        ev_num(&e, "loss", n_w > 0 ? loss_w / n_w : NAN, -1);
        if (n_held) {
            ev_num(&e, "heldout_loss", held, 5), ev_num(&e, "heldout_zero_loss", zero, 5);
            ev_num(&e, "heldout_ctr", held_c, 5), ev_num(&e, "heldout_zero_ctr", zero_c, 5);
        }
        ev_num(&e, "seconds", t2 - t0, 3), ev_num(&e, "server_seconds", t2 - t1, 3);
        runlog_event(mx, &e);
        if (!c->quiet) {
            char hs[96] = "";
            if (n_held) snprintf(hs, sizeof hs, ", held-out %.4f (predict-zero %.4f)", held, zero);
            printf("round %d/%d: %d/%d clients, loss %.4f%s, %.1f s (server %.2f s)\n", round, c->rounds, ok, k,
                   n_w > 0 ? loss_w / n_w : NAN, hs, t2 - t0, t2 - t1);
        }
    }
    agg_free(&agg);
    global_free(&g);
    free(L.e), free(cids), free(res), free(res_dir);
    return status;
}
