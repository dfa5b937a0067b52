/* The run folders a report shows, read into plain arrays: which folders are runs (see report.h), their
 * metrics.jsonl records by kind, config.yaml, test results (results.json, test_scores.npz or per_class.tsv) and
 * retrieval.json, with a note for every file that could not be read; and the numbers derived from them. */
#ifndef FEDVSSL_REPORT_RUNS_H
#define FEDVSSL_REPORT_RUNS_H
#include <stdint.h>

#include "../io/json.h"
#include "report.h"

typedef struct {
    double round, client, iter, iters, loss, lr, cps, x;
} PtTrain;
typedef struct {
    double round, client, ok, num_examples, iters, loss_metric, mean_loss, seconds;
    char *error;
} PtFit;
typedef struct {
    double round, rounds, sampled, results, failures, loss, seconds, server_seconds;
    double heldout, heldout_zero; /* NaN where the run did not measure them */
} PtRound;
typedef struct {
    double epoch, iter, iters, loss, acc, lr, cps, x;
} FtTrain;
typedef struct {
    double epoch, epochs, iters, loss, top1, lr, seconds, cps;
} FtEpoch;

enum { K_PRETRAIN = 1, K_FINETUNE = 2, K_TEST = 4, K_RETRIEVE = 8 };

typedef struct {
    char *dir, *rel; /* path; path below the report's folder ("" for itself) */
    char *name;      /* rel, or for the report's folder itself its last path component */
    int kinds;
    char *files; /* "metrics.jsonl (12 lines), config.yaml, ..." */
    char **notes;
    int nnotes, nnotes_dropped, cnotes;
    /* metrics.jsonl */
    int has_metrics, lines, bad_lines, unknown;
    PtTrain *pt;
    int npt, cpt;
    PtFit *fit;
    int nfit, cfit;
    PtRound *rd;
    int nrd, crd;
    FtTrain *ft;
    int nft, cft;
    FtEpoch *ep;
    int nep, cep;
    char *strategy;
    /* config.yaml */
    char *config;
    /* test */
    int has_test, C, nvideos;
    double top1, top5, mca, test_seconds;
    int64_t *conf; /* C x C, or NULL */
    double *per;   /* per-class top-1 (NaN: no videos), or NULL */
    char **names;  /* C class names */
    const char *test_from;
    char *checkpoint;
    /* retrieval */
    int has_ret, nk, nq, ng;
    int ks[16];
    double rk[16], ret_seconds;
    char *ret_init;
} Run;

typedef struct {
    Run *r;
    int n, cap, dropped;
} Runs;

/* The run folders in dir and its subfolders down to depth 2 (at most REPORT_MAX_RUNS; more are counted in
 * dropped), each loaded, pretrain runs first, then fine-tune, test-only and retrieval runs, each group by path. */
void runs_find(const char *dir, Runs *out);
void runs_free(Runs *rs);
void run_load(Run *r);
void run_free(Run *r);

/* A top-level number of the run's config.yaml (NaN when absent). */
double yaml_num(const Run *r, const char *key);
/* Round records, one per round, by round (the last written wins: a resumed run repeats the round it was in);
 * out has room for r->nrd. Likewise the epoch records. */
int rounds_dedup(const Run *r, PtRound *out);
int epochs_dedup(const Run *r, FtEpoch *out);
/* Whether c is a client id; the index of client c in ids[0..n) (n when absent); the distinct client ids of the
 * pretrain records, sorted. */
int client_ok(double c);
int client_index(const int *ids, int n, double c);
int clients_of(const Run *r, int *ids, int max);
/* Planned rounds and epochs (records, else config.yaml), seconds spent in each stage (NaN: none recorded). */
double pretrain_rounds_total(const Run *r);
double finetune_epochs_total(const Run *r);
double pretrain_seconds(const Run *r);
double finetune_seconds(const Run *r);

#endif
