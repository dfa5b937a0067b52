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
#include "../data/fsutil.h"
#include "../fl/fl.h"
#include "../nn/ops.h"
#include "commands.h"

typedef struct {
    const char *data_dir, *partition_dir, *out, *resume, *transport, *device, *precision, *compat, *fault;
    int pool_size, rounds, seed, swbeta, min_fit, min_avail, fedavg, batch, threads, reseed, fast_decode, max_iters,
        log_interval, quiet, fault_client, fault_round;
    double mix, fraction, lr, momentum, wd, clip, round_timeout;
} PretrainArgs;

static int table(PretrainArgs *a, CfgKey *k) {
    const CfgKey keys[] = {
        {"data_dir", CFG_STR, &a->data_dir, "data/ucf101", NULL, 0, 0, "dataset folder (zips/, annotations/)"},
        {"partition_dir", CFG_STR, &a->partition_dir, "annotations/client_distribution", NULL, 0, 0,
         "client_dist<N>.json folder, relative to data_dir unless absolute"},
        {"pool_size", CFG_INT, &a->pool_size, "5", NULL, 1, INT_MAX, "number of clients"},
        {"rounds", CFG_INT, &a->rounds, "20", NULL, 1, INT_MAX, "federated rounds"},
        {"seed", CFG_INT, &a->seed, "7", NULL, 0, INT_MAX, "seed (initialisation, data order, client sampling)"},
        {"strategy.mix_coeff", CFG_FLOAT, &a->mix, "0.9", NULL, 0, 1,
         "alpha: weight of the loss-based aggregate (fedvssl); of FedAvg in compat=flower"},
        {"strategy.swbeta", CFG_INT, &a->swbeta, "1", NULL, 0, 1, "beta: 1 = 0.5 moving average with the previous round"},
        {"strategy.fraction_fit", CFG_FLOAT, &a->fraction, "1.0", NULL, 0, 1, "fraction of the pool sampled per round"},
        {"strategy.min_fit_clients", CFG_INT, &a->min_fit, "5", NULL, 1, INT_MAX,
         "clients per round at least; fewer results stop the run"},
        {"strategy.min_available_clients", CFG_INT, &a->min_avail, "5", NULL, 1, INT_MAX, "clients the pool must have"},
        {"strategy.fedavg", CFG_BOOL, &a->fedavg, "false", NULL, 0, 0, "plain FedAvg (num_examples weights)"},
        {"strategy.compat", CFG_ENUM, &a->compat, "none", "none|flower", 0, 0,
         "flower: the Flower baseline byte for byte (list concatenation, 252-entry files)"},
        {"optimizer.lr", CFG_FLOAT, &a->lr, "0.01", NULL, 0, 1e3, "SGD learning rate (constant in FL)"},
        {"optimizer.momentum", CFG_FLOAT, &a->momentum, "0.9", NULL, 0, 1, "SGD momentum (reset every round)"},
        {"optimizer.weight_decay", CFG_FLOAT, &a->wd, "0.0001", NULL, 0, 1, "SGD weight decay"},
        {"optimizer.clip", CFG_FLOAT, &a->clip, "40", NULL, 0, 1e9, "L2 gradient clip (0 = none)"},
        {"data.batch", CFG_INT, &a->batch, "4", NULL, 1, 4096, "clips per step"},
        {"data.threads", CFG_INT, &a->threads, "0", NULL, 0, 4096, "loader and compute threads (0 = all cores)"},
        {"data.reseed_each_round", CFG_BOOL, &a->reseed, "true", NULL, 0, 0,
         "true: the same augmentation stream every round (the reference); false: a fresh one per round and client"},
        {"data.fast_decode", CFG_BOOL, &a->fast_decode, "false", NULL, 0, 0,
         "decode JPEGs DCT-scaled (faster, pixels differ from the reference)"},
        {"max_iters", CFG_INT, &a->max_iters, "0", NULL, 0, INT_MAX, "local iterations per round (0 = one epoch)"},
        {"log_interval", CFG_INT, &a->log_interval, "10", NULL, 1, INT_MAX, "iterations per log record"},
        {"transport", CFG_ENUM, &a->transport, "inproc", "inproc|mpi", 0, 0,
         "inproc: one process; mpi: mpirun -np 1+P, server on rank 0"},
        {"round_timeout", CFG_FLOAT, &a->round_timeout, "0", NULL, 0, 1e9, "seconds a client may take (0 = no limit)"},
        {"device", CFG_STR, &a->device, "cpu", NULL, 0, 0, "cpu, cuda or cuda:N"},
        {"precision", CFG_ENUM, &a->precision, "fp32", "fp32|tf32", 0, 0, "CUDA math precision"},
        {"out", CFG_STR, &a->out, "", NULL, 0, 0, "run folder (default outputs/<date>/<time>)"},
        {"resume", CFG_STR, &a->resume, "", NULL, 0, 0, "run folder to continue from its last complete round"},
        {"quiet", CFG_BOOL, &a->quiet, "false", NULL, 0, 0, "no progress output"},
        {"fault.kind", CFG_ENUM, &a->fault, "none", "none|error|nan", 0, 0, "fault injection (tests): a client fails"},
        {"fault.client", CFG_INT, &a->fault_client, "0", NULL, 0, INT_MAX, "1-based client the fault hits (0 = all)"},
        {"fault.round", CFG_INT, &a->fault_round, "0", NULL, 0, INT_MAX, "round the fault hits (0 = all)"},
    };
    int n = (int)(sizeof keys / sizeof *keys);
    if (k) memcpy(k, keys, sizeof keys);
    return n;
}

static char *default_run_dir(void) {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "outputs/%Y-%m-%d/%H-%M-%S", &tm);
    return xstrdup(buf);
}

int cmd_pretrain(int argc, char **argv) {
    PretrainArgs a;
    CfgKey keys[64];
    int nk = table(&a, keys);
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
    if (a.min_avail > a.pool_size)
        die("strategy.min_available_clients=%d is more than pool_size=%d (set both, e.g. pool_size=2 "
            "strategy.min_available_clients=2 strategy.min_fit_clients=2)",
            a.min_avail, a.pool_size);
    if (a.min_fit > a.pool_size)
        die("strategy.min_fit_clients=%d is more than pool_size=%d", a.min_fit, a.pool_size);
    ops_set_threads(a.threads);

    FlConfig c = {0};
    c.data_dir = a.data_dir, c.partition_dir = a.partition_dir;
    c.pool_size = a.pool_size, c.rounds = a.rounds, c.seed = a.seed;
    c.fraction_fit = a.fraction, c.min_fit_clients = a.min_fit, c.min_available_clients = a.min_avail;
    c.strat.kind = a.fedavg ? STRAT_FEDAVG : !strcmp(a.compat, "flower") ? STRAT_FLOWER : STRAT_FEDVSSL;
    c.strat.alpha = a.mix, c.strat.swbeta = a.swbeta;
    c.h = (Hyper){(float)a.lr, (float)a.momentum, (float)a.wd, (float)a.clip};
    c.batch = a.batch, c.threads = ops_threads(), c.reseed_each_round = a.reseed, c.fast_decode = a.fast_decode;
    c.log_interval = a.log_interval, c.max_iters = a.max_iters, c.round_timeout = a.round_timeout;
    c.device = a.device, c.precision = a.precision, c.quiet = a.quiet;
    c.fault = a.fault, c.fault_client = a.fault_client, c.fault_round = a.fault_round;

    int mpi = !strcmp(a.transport, "mpi"), rank = 0, size = 1;
    if (mpi) {
        if (!fl_mpi_available()) die("transport=mpi: this build has no MPI (install libopenmpi-dev and rebuild)");
        fl_mpi_init(&argc, &argv, &rank, &size);
        if (size < 2) die("transport=mpi needs at least 2 ranks: mpirun -np 1+P fedvssl pretrain transport=mpi ...");
    }
    char *run = NULL;
    if (rank == 0) run = a.resume[0] ? xstrdup(a.resume) : a.out[0] ? xstrdup(a.out) : default_run_dir();
    if (mpi) fl_mpi_bcast_string(&run); /* every rank writes its clients' files under the same run folder */
    c.run_dir = run;
    if (mkdir_p(run)) die("%s: cannot create: %m", run);
    if (rank > 0) {
        int rc = fl_mpi_worker(&c);
        fl_mpi_finalize();
        free(run);
        config_free();
        return rc;
    }
    char *cfg = path_join(run, "config.yaml"), *mpath = path_join(run, "metrics.jsonl");
    if (config_write_yaml(keys, nk, cfg)) die("%s: cannot write: %m", cfg);
    Metrics mx;
    if (metrics_open(&mx, mpath)) die("%s: cannot open: %m", mpath);
    if (!a.quiet)
        printf("fedvssl pretrain: %d clients, %d rounds, strategy %s (mix_coeff %g, swbeta %d), transport %s -> %s\n",
               c.pool_size, c.rounds, strategy_name(c.strat.kind), c.strat.alpha, c.strat.swbeta, a.transport, run);
    Transport *t = mpi ? transport_mpi_server(&c, &mx) : transport_inproc(&c, &mx);
    double t0 = now_sec();
    int rc = fl_server_run(&c, t, &mx);
    t->close(t);
    metrics_close(&mx);
    if (mpi) fl_mpi_finalize();
    if (!a.quiet && !rc)
        printf("done in %.1f s: round checkpoints in %s/fedvssl_results/ (round-<r>.npz, round-<r>-weights.array.npz)\n",
               now_sec() - t0, run);
    free(cfg), free(mpath), free(run);
    config_free();
    return rc ? 1 : 0;
}
