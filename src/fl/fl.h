/* Federated CtP pre-training (spec §3, Appendix B): the run configuration, the client's fit, the
 * server's round loop and the transports it talks through.
 *
 * One model instance per process serves every client that process runs, in turn (inproc: the whole
 * federation; mpi: the clients of one rank), or one per worker with inproc's parallel_clients. A client's own
 * state between rounds (its CtP head above all) lives in its work dir, as the reference's epoch_1.pth does. */
#ifndef FEDVSSL_FL_H
#define FEDVSSL_FL_H
#include <stdio.h>

#include "../data/loader.h"
#include "../io/runlog.h"
#include "../model/model.h"
#include "strategy.h"

typedef struct {
    const char *data_dir;      /* <data>/ucf101: zips/ and annotations/ */
    const char *partition_dir; /* client_dist<N>.json, relative to data_dir unless absolute */
    const char *run_dir;       /* config.yaml, metrics.jsonl, fedvssl_results/ */
    int pool_size, rounds, seed;
    double fraction_fit;
    int min_fit_clients, min_available_clients;
    StrategyConfig strat;
    Hyper h;
    int batch, threads, reseed_each_round, fast_decode, log_interval;
    double max_bad_fraction;   /* LoaderOptions.max_bad_fraction */
    int crop;                  /* clip side (LoaderOptions.crop; 112 = the reference) */
    int patch_solid;           /* LoaderOptions.patch_solid (data.patch=solid) */
    int max_iters;             /* local iterations per round (0 = the whole epoch) */
    const char *eval_list;     /* held-out videos for the CtP loss without update, relative to data_dir */
    int eval_batches;          /* batches of it per client fit (0 = none) */
    int write_native, write_flower; /* formats of a kept round's files (the newest always has its native file) */
    int keep_last, keep_every; /* rounds whose files stay: the newest keep_last and every keep_every-th */
    double round_timeout;      /* seconds, 0 = none */
    const char *device, *precision;
    const char *fault;         /* fault injection for tests: "none", "error", "nan" or "slow" */
    int fault_client, fault_round; /* 1-based client and round it hits (0 = every) */
    double fault_seconds;      /* "slow": the client sleeps this long before its epoch */
    const char *trace_dir;     /* TrainOptions.trace_dir of each fit, as <trace_dir>/round-<r>/client-<c> ("" = off) */
    int tensorboard;           /* mirror metrics.jsonl into <run>/tf_logs (io/runlog.h) */
    int head_init_fan_in;      /* Model.head_init_fan_in (model.head_init=fan_in) */
    int parallel_clients;      /* inproc: clients fitted side by side, each on its own model and context */
    int quiet;
} FlConfig;

typedef struct {
    int cid, ok, num_examples, iters, short_epoch;
    double loss_metric, mean_loss, seconds;
    double heldout_loss, heldout_zero; /* ctp_heldout after the fit (NaN without eval.batches) */
    double heldout_ctr, heldout_zero_ctr; /* their centre parts */
    char err[1024];
} FitResult;

/* metrics.jsonl of a run: one JSON object per line, appended and flushed as it happens. */

/* Paths inside a run: <run>/fedvssl_results[/client<N>]. Caller frees. */
char *fl_results_dir(const FlConfig *c);
char *fl_client_dir(const FlConfig *c, int cid);

/* The model a process (or a worker of transport_inproc) trains its clients on: CtP on backend be, planned for
 * the batch under the calling thread's thread count. */
void fl_client_model(Model *m, const FlConfig *c, const Backend *be);

/* Client cid (0-based; files say cid+1) fits round `round` on m: its last local state (or the fresh
 * initialisation), backbone.* from the global (gw, gc laid out like m->st), one local epoch with a
 * fresh optimiser, its state saved in its work dir. On success m->st holds the result. */
int client_fit(Model *m, const FlConfig *c, int cid, int round, const float *gw, const double *gc, RunLog *mx,
               FitResult *res);
/* One "client_fit" line of metrics.jsonl. */
void fl_log_fit(RunLog *mx, int round, const FitResult *res);
/* Remove client states older than the newest one of round <= upto (kept for resume). */
void client_prune(const FlConfig *c, int cid, int upto);

/* A transport runs the sampled clients' fits and streams their results into the aggregator. */
typedef struct Transport Transport;
struct Transport {
    const char *name;
    /* res[i] for cids[i]; successful results are added to agg. Returns their count. */
    int (*fit_round)(Transport *t, int round, const int *cids, int k, const Global *g, const State *layout,
                     Aggregator *agg, FitResult *res);
    void (*close)(Transport *t);
    void *impl;
};
Transport *transport_inproc(const FlConfig *c, RunLog *mx);
/* MPI (built where OpenMPI is found): rank 0 is the server, ranks 1..P serve clients cid with
 * cid % P == rank - 1, always the same rank, so a client's work dir stays on one host. */
int fl_mpi_available(void);
int fl_mpi_init(int *argc, char ***argv, int *rank, int *size); /* 0, or -1 without MPI in the build */
void fl_mpi_bcast_string(char **s);  /* rank 0's string to every rank (xmalloc'ed on the others) */
Transport *transport_mpi_server(const FlConfig *c, RunLog *mx);
int fl_mpi_worker(const FlConfig *c); /* serves fits until the server says stop; 0 on a clean stop */
void fl_mpi_finalize(void);

/* The server: rounds from the last complete one in the run dir (or from the start), checkpoints each
 * round. Returns 0 when every round completed. */
int fl_server_run(const FlConfig *c, Transport *t, RunLog *mx);

/* Round r's checkpoints in fedvssl_results/ (native round-<r>.npz, and the baseline's file if selected; see
 * server.c), atomically. The server then deletes older rounds' files that checkpoint.keep_* do not keep. */
void fl_checkpoint_write(const FlConfig *c, const State *layout, const Global *g, int round);

/* The newest complete round checkpoint of a run (0 if none: the newest native file, whatever was pruned before
 * it); path of round r's native checkpoint. */
int fl_last_round(const FlConfig *c);
char *fl_native_path(const FlConfig *c, int round);

#endif
