/* The HTML report of run folders (fedvssl report; written by pretrain, finetune, test and retrieve at
 * the end of a run): one self-contained page, inline CSS and SVG charts, no script, no network.
 *
 * Which folders: the given folder and its subfolders down to depth 2 (children and grandchildren;
 * names starting with '.' are skipped, at most REPORT_MAX_RUNS) are each a run folder when they hold
 * any of metrics.jsonl, config.yaml, results.json, per_class.tsv, test_scores.npz, retrieval.json.
 * So a pretrain, finetune (+ test) or retrieve output renders alone, and a demo root with pretrain/,
 * finetune_NAME/ and retrieve_NAME/ subfolders renders all of them, pretrain runs first, then fine-tune,
 * test-only and retrieval runs, each group by path.
 *
 * What a run shows, where its files have the data (and "no data yet" where not):
 *  - metrics.jsonl of pretrain: training loss per client over rounds, the aggregated round loss,
 *    learning rate, throughput (clips/s), time per round (wall, server, client fits), failed fits;
 *  - metrics.jsonl of finetune: loss and train accuracy per log interval and per epoch, learning rate,
 *    throughput, time per epoch;
 *  - results.json (or test_scores.npz, or per_class.tsv): top-1, top-5, mean class accuracy,
 *    per-class accuracy, the confusion matrix as a heat map with class names;
 *  - retrieval.json: R@k;
 *  - config.yaml: the resolved configuration;
 *  and on top a summary of every run (state, headline numbers, time) with the time per stage.
 * Only the files are read, so a run still going or stopped mid-way renders too: an unparseable line
 * (e.g. the half-written last line of a killed run) is skipped and named in the run's notes. */
#ifndef FEDVSSL_REPORT_H
#define FEDVSSL_REPORT_H
#include <stddef.h>

#include "../io/json.h"

#define REPORT_MAX_RUNS 64

/* The page for run_dir into b (appended). Returns the number of run folders rendered (>= 1), or -1
 * with a message in err: run_dir is not a folder, or no run folder was found in it. */
int report_render(const char *run_dir, StrBuf *b, char *err, size_t errlen);
/* report_render written atomically to out_path (NULL: <run_dir>/report.html). Returns as report_render. */
int report_write_to(const char *run_dir, const char *out_path, char *err, size_t errlen);
int report_write(const char *run_dir, char *err, size_t errlen);
/* For the end of a run: report_write; a failure is a warning (the run itself is fine); unless quiet,
 * prints where the report is. */
void report_after_run(const char *run_dir, int quiet);

#endif
