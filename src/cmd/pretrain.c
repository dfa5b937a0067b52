/* fedvssl pretrain: federated CtP pre-training (spec §3), the Flower baseline's `python -m fedvssl.main`.
 * pool_size=1 with the whole train list is the centralized CtP baseline. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/config.h"
#include "../core/util.h"
#include "../core/fsutil.h"
#include "../fl/fl.h"
#include "../nn/ops.h"
#include "../report/report.h"
#include "commands.h"
#include "pretrain_config.h"

/* The data folder, every client's list and frame packs and the held-out list, before anything is written:
 * one line naming the file and the problem, and no run folder. */
static void check_inputs(const FlConfig *c) {
    if (!is_dir(c->data_dir))
        die("data_dir=%s: no such folder (fedvssl prepare writes one: zips/ and annotations/)", c->data_dir);
    char err[1024], name[48];
    char *part = path_under(c->data_dir, c->partition_dir);
    for (int i = 1; i <= c->pool_size; i++) {
        snprintf(name, sizeof name, "client_dist%d.json", i);
        char *p = path_join(part, name);
        if (!is_file(p))
            die("%s: no such file (pool_size=%d needs client_dist1..%d.json; fedvssl partition --num-clients %d "
                "writes them)", p, c->pool_size, c->pool_size, c->pool_size);
        if (loader_check_list(c->data_dir, p, err, sizeof err)) die("%s", err);
        free(p);
    }
    int more = 0;
    for (;; more++) {
        snprintf(name, sizeof name, "client_dist%d.json", c->pool_size + more + 1);
        char *p = path_join(part, name);
        int there = is_file(p);
        free(p);
        if (!there) break;
    }
    if (more == 1)
        warnf("pool_size=%d but %s holds %d client lists: client %d is not used", c->pool_size, part,
              c->pool_size + 1, c->pool_size + 1);
    else if (more > 1)
        warnf("pool_size=%d but %s holds %d client lists: clients %d-%d are not used", c->pool_size, part,
              c->pool_size + more, c->pool_size + 1, c->pool_size + more);
    free(part);
    if (c->eval_batches > 0) {
        char *el = path_under(c->data_dir, c->eval_list);
        if (!is_file(el)) die("eval.list: %s: no such file (the held-out videos; eval.batches=0 turns it off)", el);
        if (loader_check_list(c->data_dir, el, err, sizeof err)) die("eval.list: %s", err);
        free(el);
    }
}

int cmd_pretrain(int argc, char **argv) {
    PretrainArgs a;
    CfgKey keys[64];
    int nk = pretrain_config_keys(&a, keys);
    const char *synopsis = "[config=FILE.yaml] [key=value ...]";
    config_cli("pretrain", synopsis, keys, nk, argc, argv, NULL, 0);
    if (a.resume[0]) { /* the run's own configuration, then this command line's overrides */
        char *cf = path_join(a.resume, "config.yaml");
        if (!is_file(cf)) die("resume=%s: no config.yaml there (not a pretrain run folder?)", a.resume);
        char **av = xcalloc((size_t)argc + 2, sizeof *av);
        av[0] = argv[0];
        char *copt = xmalloc(strlen(cf) + 8);
        sprintf(copt, "config=%s", cf);
        av[1] = copt;
        for (int i = 1; i < argc; i++) av[i + 1] = argv[i];
        config_cli("pretrain", synopsis, keys, nk, argc + 1, av, NULL, 0);
        free(av), free(copt), free(cf);
    }
    if (a.c.min_available_clients > a.c.pool_size)
        die("strategy.min_available_clients=%d is more than pool_size=%d (set both, e.g. pool_size=2 "
            "strategy.min_available_clients=2 strategy.min_fit_clients=2)",
            a.c.min_available_clients, a.c.pool_size);
    if (a.c.min_fit_clients > a.c.pool_size)
        die("strategy.min_fit_clients=%d is more than pool_size=%d", a.c.min_fit_clients, a.c.pool_size);
    check_inputs(&a.c);
    ops_set_threads(a.c.threads);

    FlConfig c = a.c; /* the keys filled most of it; what follows is derived from the others */
    c.threads = ops_threads();
    c.strat.kind = a.fedavg ? STRAT_FEDAVG : !strcmp(a.compat, "flower") ? STRAT_FLOWER : STRAT_FEDVSSL;
    c.strat.alpha = a.mix, c.strat.swbeta = a.swbeta;
    c.h = (Hyper){(float)a.lr, (float)a.momentum, (float)a.wd, (float)a.clip};
    c.head_init_fan_in = !strcmp(a.head_init, "fan_in");
    c.patch_solid = !strcmp(a.patch, "solid");
    int auto_fmt = !strcmp(a.ckpt_format, "auto");
    c.write_native = auto_fmt || !strcmp(a.ckpt_format, "native") || !strcmp(a.ckpt_format, "both");
    c.write_flower = (auto_fmt && c.strat.kind == STRAT_FLOWER) || !strcmp(a.ckpt_format, "flower") ||
                     !strcmp(a.ckpt_format, "both");

    int mpi = !strcmp(a.transport, "mpi"), rank = 0, size = 1;
    if (mpi && c.parallel_clients > 1)
        die("parallel_clients=%d: for transport=inproc; with mpi, clients run side by side as ranks (mpirun -np 1+P)",
            c.parallel_clients);
    if (mpi) {
        if (!fl_mpi_available()) die("transport=mpi: this build has no MPI (install libopenmpi-dev and rebuild)");
        fl_mpi_init(&argc, &argv, &rank, &size);
        if (size < 2) die("transport=mpi needs at least 2 ranks: mpirun -np 1+P fedvssl pretrain transport=mpi ...");
    }
    char *run = NULL;
    if (rank == 0) run = a.resume[0] ? xstrdup(a.resume) : a.out[0] ? xstrdup(a.out) : default_run_dir();
    if (mpi) fl_mpi_bcast_string(&run); /* every rank writes its clients' files under the same run folder */
    c.run_dir = run;
    int write_cfg = 1;
    if (rank == 0) { /* a folder with a config.yaml: this continues that run, with its settings */
        PretrainArgs was;
        CfgKey wkeys[64];
        pretrain_config_keys(&was, wkeys);
        /* where and how it runs, what it logs and keeps: free to differ; the rest made the checkpoints */
        static const char *const free_keys[] = {"out", "resume", "quiet", "trace_dir", "tensorboard", "data_dir", "data.threads", "transport",
                                                "parallel_clients",
                                                "round_timeout", "device", "allow_changes", "checkpoint.", "eval.",
                                                "fault.", NULL};
        write_cfg = run_folder_settings(run, "pretrain", keys, wkeys, nk, free_keys, a.allow_changes, "round",
                                        fl_last_round(&c));
    }
    if (mkdir_p(run)) die("%s: cannot create: %m", run);
    if (rank > 0) {
        int rc = fl_mpi_worker(&c);
        fl_mpi_finalize();
        free(run);
        config_free();
        return rc;
    }
    char *cfg = path_join(run, "config.yaml"), err[1200];
    if (write_cfg && config_write_yaml(keys, nk, cfg)) die("%s: cannot write: %m", cfg);
    RunLog mx;
    if (runlog_open(&mx, run, "metrics.jsonl", c.tensorboard, err, sizeof err)) die("%s", err);
    if (!a.c.quiet) {
        char mix[64] = ""; /* FedAvg has neither */
        if (c.strat.kind != STRAT_FEDAVG)
            snprintf(mix, sizeof mix, " (mix_coeff %g, swbeta %d)", c.strat.alpha, c.strat.swbeta);
        printf("fedvssl pretrain: %d client%s, %d round%s, strategy %s%s, transport %s -> %s\n", c.pool_size,
               c.pool_size == 1 ? "" : "s", c.rounds, c.rounds == 1 ? "" : "s", strategy_name(c.strat.kind), mix,
               a.transport, run);
    }
    Transport *t = mpi ? transport_mpi_server(&c, &mx) : transport_inproc(&c, &mx);
    double t0 = now_sec();
    int rc = fl_server_run(&c, t, &mx);
    t->close(t);
    runlog_close(&mx);
    if (mpi) fl_mpi_finalize();
    if (!a.c.quiet && !rc) {
        char every[48] = "";
        if (c.keep_every == 1) snprintf(every, sizeof every, ", all others too");
        else if (c.keep_every) snprintf(every, sizeof every, " and the rounds divisible by %d", c.keep_every);
        printf("done in %.1f s: round checkpoints in %s/fedvssl_results/ (%s; kept: the last %d round%s%s)\n",
               now_sec() - t0, run,
               c.write_flower ? (c.write_native ? "round-<r>.npz, round-<r>-weights.array.npz"
                                                : "round-<r>-weights.array.npz, the last round-<r>.npz")
                              : "round-<r>.npz",
               c.keep_last, c.keep_last == 1 ? "" : "s", every);
    }
    report_after_run(run, a.c.quiet); /* also after a stopped run: the report shows how far it got */
    free(cfg), free(run);
    config_free();
    return rc ? 1 : 0;
}
