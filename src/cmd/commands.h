/* The subcommand table: each src/cmd/<name>.c defines cmd_<name>. */
#ifndef FEDVSSL_COMMANDS_H
#define FEDVSSL_COMMANDS_H

typedef int (*CommandFn)(int argc, char **argv);
typedef struct {
    const char *name;
    CommandFn fn;
    const char *help;
} Command;

int cmd_demo(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_partition(int argc, char **argv);
int cmd_grad(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_pretrain(int argc, char **argv);
int cmd_finetune(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_retrieve(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* The key tables of the commands that take key=value settings (k: room for 32 keys, or NULL; returns the
 * count), for the demo, which checks the options it passes on before any work. */
#include "../core/config.h"
#include "../downstream/downstream.h"
int test_config_keys(TestConfig *c, CfgKey *k);

/* When `run` already has a config.yaml, this command continues that run: `now` (the settings given) is
 * compared with the run's, read into `was` (a second table of the same layout); keys in ignore (see
 * config_diff) may differ. A difference ends in one error naming each, unless allow; then the run's
 * config.yaml is kept as config.until-<unit>-<done>.yaml. A "continue" record (done >= 0: after which
 * <unit>) goes into metrics.jsonl. Returns 1 when the caller writes config.yaml (a new run, or allowed
 * changes), 0 when the run's stays as it is. */
int run_folder_settings(const char *run, const char *cmd, const CfgKey *now, CfgKey *was, int nkeys,
                        const char *const *ignore, int allow, const char *unit, int done);
int retrieve_config_keys(RetrieveConfig *c, CfgKey *k);
int export_config_keys(ExportConfig *c, CfgKey *k);

/* One line per command: {"name", cmd_name, "help"}, */
#define FEDVSSL_COMMANDS                                                                          \
    {"demo", cmd_demo, "the whole pipeline on a small synthetic default: synth ... pretrain, export, finetune, test, retrieve"}, \
    {"synth", cmd_synth, "write a synthetic UCF-101-style dataset (.avi videos + split lists)"},  \
    {"prepare", cmd_prepare, "decode videos into CtP frame packs (zips of JPEGs) + annotations"}, \
    {"partition", cmd_partition, "split an annotation list into client_dist<N>.json files"},      \
    {"pretrain", cmd_pretrain, "federated CtP pre-training: FedVSSL / FedAvg rounds, round checkpoints, resume"}, \
    {"export", cmd_export, "a pre-trained checkpoint -> the fine-tune initial state (and the reference's .pth)"}, \
    {"finetune", cmd_finetune, "TSN fine-tuning on UCF-101 (per-epoch checkpoints, automatic resume)"}, \
    {"test", cmd_test, "test a fine-tuned model: 10 clips per video, top-1 / top-5 / mean class accuracy"}, \
    {"retrieve", cmd_retrieve, "video retrieval with backbone features: R@1/5/10/20/50"}, \
    {"report", cmd_report, "HTML report of a run folder (or of a demo root): charts, test and retrieval results"}, \
    {"grad", cmd_grad, "one training step on given weights and batch: loss, gradients, stepped state"}, \
    {"bench", cmd_bench, "time training steps and inference; compare with bench/bench_torch.py"},

#endif
