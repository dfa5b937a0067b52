/* fedvssl demo: the whole system on a small synthetic default, one command. Writes a synthetic UCF-101-
 * style dataset, prepares frame packs, partitions the train split among clients like the reference,
 * runs a federated CtP pre-training (FedVSSL), exports its last round, fine-tunes from it and from
 * scratch with the same budget and seed, tests both, measures retrieval with the pre-trained and a
 * random backbone, prints a summary and writes <out>/report.html of all the stages. Every stage is the
 * real command (the same code and files a user gets from `fedvssl <command>`), run with the demo's
 * scaled-down settings; `pretrain.<key>=...`, `finetune.<key>=...`, `test.<key>=...`,
 * `retrieve.<key>=...` pass any of those commands' keys on. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "../core/util.h"
#include "../core/fsutil.h"
#include "../io/json.h"
#include "../nn/backend.h"
#include "../nn/ops.h"
#include "../report/report.h"
#include "commands.h"
#include "finetune_config.h"
#include "pretrain_config.h"

typedef struct {
    int n;
    char *v[64];
} Argv;

static void add(Argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(Argv *a, const char *fmt, ...) {
    if (a->n >= 63) die("demo: too many options");
    va_list ap;
    va_start(ap, fmt);
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    a->v[a->n++] = xstrdup(buf);
}

/* the demo's pass-through options: "<cmd>.<key>=value" for command cmd */
static char **pass_args;
static int pass_n;

typedef struct {
    char name[48];
    double sec;
} Stage;
static Stage stages[16];
static int nstages;

/* Runs a command with the given arguments plus the pass-through options meant for it; times it. */
static void run(CommandFn fn, const char *cmd, const char *label, Argv *a) {
    Argv full = {0};
    add(&full, "%s", cmd);
    for (int i = 0; i < a->n; i++) full.v[full.n++] = a->v[i];
    size_t cl = strlen(cmd);
    for (int i = 0; i < pass_n; i++)
        if (!strncmp(pass_args[i], cmd, cl) && pass_args[i][cl] == '.') add(&full, "%s", pass_args[i] + cl + 1);
    full.v[full.n] = NULL;
    char *mine[64]; /* parsers may rearrange argv: free what was allocated, not what is left there */
    memcpy(mine, full.v, sizeof mine);
    double t0 = now_sec();
    fflush(stdout);
    if (fn(full.n, full.v)) die("demo: %s failed", label);
    snprintf(stages[nstages].name, sizeof stages[nstages].name, "%s", label);
    stages[nstages++].sec = now_sec() - t0;
    for (int i = 0; i < full.n; i++) free(mine[i]);
    a->n = 0;
}

/* A JSON file a stage wrote, as a tree (NULL if it is missing or unreadable: the summary then shows nan). */
static JsonValue *json_file(const char *path) {
    size_t len;
    const char *e;
    char *t = (char *)read_file(path, &len, &e), err[256];
    JsonValue *v = t ? json_parse(t, len, path, 1, err, sizeof err) : NULL;
    free(t);
    return v;
}

/* Top-level member key of a JSON file (NAN when absent). */
static double num_in(const char *path, const char *key) {
    JsonValue *v = json_file(path);
    double x = json_get_num(v, key);
    json_free(v);
    return x;
}

/* Per-round records of a pretrain run's metrics.jsonl: the mean client loss, and the held-out CtP loss beside
 * predicting zero motion (NaN where the run did not measure them); *steps: the CtP steps of all client fits. */
static int round_losses(const char *path, double *loss, double *held, double *zero, int max, long *steps) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char *line = NULL, err[256];
    size_t cap = 0;
    ssize_t len;
    int n = 0;
    while (n < max && (len = getline(&line, &cap, f)) > 0) {
        JsonValue *v = json_parse(line, (size_t)len, path, 1, err, sizeof err);
        const char *ev = json_get_str(v, "event", "");
        if (!strcmp(ev, "client_fit") && json_get(v, "iters")) *steps += (long)json_get_num(v, "iters");
        if (!strcmp(ev, "round") && json_get(v, "loss")) {
            held[n] = json_get(v, "heldout_loss") ? json_get_num(v, "heldout_loss") : NAN;
            zero[n] = json_get(v, "heldout_zero_loss") ? json_get_num(v, "heldout_zero_loss") : NAN;
            loss[n++] = json_get_num(v, "loss");
        }
        json_free(v);
    }
    free(line);
    fclose(f);
    return n;
}

/* Every pass-through option against its stage's key table, before any work (the stage would only
 * find a typo minutes later). */
static void check_pass_through(void) {
    PretrainArgs pa;
    FinetuneArgs fa;
    TestConfig tc;
    RetrieveConfig rc;
    ExportConfig ec;
    CfgKey k[64];
    char err[1024];
    for (int i = 0; i < pass_n; i++) {
        const char *dot = strchr(pass_args[i], '.');
        int n, cl = (int)(dot - pass_args[i]);
        if (!strncmp(pass_args[i], "pretrain.", 9)) n = pretrain_config_keys(&pa, k);
        else if (!strncmp(pass_args[i], "finetune.", 9)) n = finetune_config_keys(&fa, k);
        else if (!strncmp(pass_args[i], "test.", 5)) n = test_config_keys(&tc, k);
        else if (!strncmp(pass_args[i], "retrieve.", 9)) n = retrieve_config_keys(&rc, k);
        else n = export_config_keys(&ec, k);
        char *av[3] = {"demo", (char *)dot + 1, NULL};
        if (config_parse(k, n, 2, av, err, sizeof err)) {
            char *hint = strstr(err, " (see --help)");
            if (hint) *hint = 0; /* the demo names the stage's --help instead */
            die("demo: %.*s option %s: %s (see fedvssl %.*s --help)", cl, pass_args[i], pass_args[i], err, cl,
                pass_args[i]);
        }
        config_free();
    }
}

int cmd_demo(int argc, char **argv) {
    const char *out0, *device0;
    int classes, per_class, frames, clients, rounds, steps, epochs, crop, batch, seed, threads, quiet;
    const CfgKey keys[] = {
        {"out", CFG_STR, &out0, "outputs/demo", NULL, 0, 0, "output folder (data/, pretrain/, finetune_*/, ...)"},
        {"classes", CFG_INT, &classes, "4", NULL, 2, 1000, "synthetic classes (a class is a kind of motion)"},
        {"videos_per_class", CFG_INT, &per_class, "6", NULL, 3, 1000, "synthetic videos per class (about 28 % of them, at least 1, in the test split)"},
        {"frames", CFG_INT, &frames, "48", NULL, 32, 10000, "frames per synthetic video (25 fps)"},
        {"clients", CFG_INT, &clients, "2", NULL, 1, 1000, "federated clients (the train split is partitioned among them)"},
        {"rounds", CFG_INT, &rounds, "3", NULL, 1, 100000, "federated rounds"},
        {"local_steps", CFG_INT, &steps, "2", NULL, 0, INT_MAX, "local CtP steps per client and round (0 = a whole epoch)"},
        {"epochs", CFG_INT, &epochs, "3", NULL, 1, 100000, "fine-tune epochs (both runs)"},
        {"crop", CFG_INT, &crop, "0", NULL, 0, 512,
         "clip side (0 = 56 on the CPU, 112 = the reference's on a GPU); data.crop of every stage"},
        {"batch", CFG_INT, &batch, "4", NULL, 1, 4096, "clips per step"},
        {"seed", CFG_INT, &seed, "7", NULL, 0, INT_MAX, "seed of the data and of every stage"},
        {"threads", CFG_INT, &threads, "0", NULL, 0, 4096, "CPU threads (0 = all cores)"},
        {"device", CFG_STR, &device0, "", NULL, 0, 0, "cpu, cuda or cuda:N (\"\" = a GPU when there is one)"},
        {"quiet", CFG_BOOL, &quiet, "false", NULL, 0, 0, "only the summary"},
    };
    /* <cmd>.<key>=value options are for the stages: keep them out of the demo's own table */
    char **own = xcalloc((size_t)argc + 1, sizeof *own);
    pass_args = xcalloc((size_t)argc + 1, sizeof *pass_args);
    int nown = 0;
    static const char *const cmds[] = {"pretrain.", "finetune.", "test.", "retrieve.", "export."};
    for (int i = 0; i < argc; i++) {
        int pass = 0;
        const char *s = argv[i] + (!strncmp(argv[i], "--", 2) ? 2 : 0);
        for (size_t k = 0; i > 0 && k < sizeof cmds / sizeof *cmds; k++) pass |= !strncmp(s, cmds[k], strlen(cmds[k]));
        if (pass && !strchr(s, '=')) die("demo: %s: write the stage options as %s=<value>", argv[i], s);
        if (pass) pass_args[pass_n++] = xstrdup(s);
        else own[nown++] = argv[i];
    }
    config_cli("demo", "[key=value ...] [pretrain.<key>=... finetune.<key>=... test.<key>=... retrieve.<key>=...]",
               keys, (int)(sizeof keys / sizeof *keys), nown, own, NULL, 0);
    char *out = xstrdup(out0), *device = xstrdup(device0); /* each stage's config_free ends the table's strings */
    config_free();
    check_pass_through();
    free(own);
    if (!device[0]) {
        free(device);
        device = xstrdup(backend_cuda_devices() > 0 ? "cuda" : "cpu");
    }
    backend_for(device, "fp32"); /* a bad device fails before any work */
    int gpu = strncmp(device, "cpu", 3) != 0;
    if (!crop) crop = gpu ? 112 : 56;
    ops_set_threads(threads);
    const char *q = quiet ? "true" : "false";
    char *data = path_join(out, "data/ucf101"), *raw = path_join(out, "raw");
    if (mkdir_p(out)) die("%s: cannot create: %m", out);
    printf("fedvssl demo -> %s (%s, %d threads)\n", out, device, ops_threads());
    printf("scaled down to fit a few minutes on %s: %d classes x %d synthetic videos of %d frames at 160x120, "
           "clips 16x%dx%d%s, %d clients x %d rounds of %d local steps, fine-tune %d epochs (the reference: UCF-101's "
           "13,320 videos, 16x112x112 clips, 5 clients x 20 rounds of whole epochs, 150 epochs)\n",
           gpu ? "a GPU" : "this CPU", classes, per_class, frames, crop, crop, crop == 112 ? " (full size)" : "",
           clients, rounds, steps, epochs);
    double t0 = now_sec();
    Argv a = {0};

    add(&a, "--out=%s", raw), add(&a, "--classes=%d", classes), add(&a, "--videos-per-class=%d", per_class);
    add(&a, "--frames=%d", frames), add(&a, "--size=160x120"), add(&a, "--seed=%d", seed);
    add(&a, "--threads=%d", ops_threads());
    if (!quiet) printf("\n[1/8] synth: synthetic UCF-101-style videos -> %s\n", raw);
    run(cmd_synth, "synth", "synth", &a);

    add(&a, "--dataset=ucf101"), add(&a, "--src=%s", raw), add(&a, "--out=%s", data);
    add(&a, "--threads=%d", ops_threads());
    if (!quiet) printf("\n[2/8] prepare: frame packs + annotations -> %s\n", data);
    run(cmd_prepare, "prepare", "prepare", &a);

    char *ann = path_join(data, "annotations"), *part = path_join(ann, "client_distribution");
    add(&a, "--json-path=%s", ann), add(&a, "--output-path=%s", part), add(&a, "--num-clients=%d", clients);
    if (!quiet) printf("\n[3/8] partition: the train split among %d clients, as the reference -> %s\n", clients, part);
    run(cmd_partition, "partition", "partition", &a);

    char *pre = path_join(out, "pretrain");
    add(&a, "data_dir=%s", data), add(&a, "pool_size=%d", clients), add(&a, "rounds=%d", rounds);
    add(&a, "strategy.min_fit_clients=%d", clients), add(&a, "strategy.min_available_clients=%d", clients);
    add(&a, "max_iters=%d", steps), add(&a, "data.batch=%d", batch), add(&a, "data.crop=%d", crop);
    add(&a, "seed=%d", seed), add(&a, "device=%s", device), add(&a, "out=%s", pre), add(&a, "quiet=%s", q);
    add(&a, "log_interval=1"), add(&a, "data.threads=%d", ops_threads());
    if (!quiet) printf("\n[4/8] pretrain: federated CtP, FedVSSL (alpha 0.9, beta 1) -> %s\n", pre);
    run(cmd_pretrain, "pretrain", "pretrain", &a);

    char last[64], *init = path_join(out, "init.npz");
    snprintf(last, sizeof last, "fedvssl_results/round-%d.npz", rounds);
    char *ckpt = path_join(pre, last);
    add(&a, "%s", ckpt), add(&a, "out=%s", init), add(&a, "classes=%d", classes), add(&a, "seed=%d", seed);
    add(&a, "quiet=%s", q);
    if (!quiet) printf("\n[5/8] export: round %d -> fine-tune initial state %s\n", rounds, init);
    run(cmd_export, "export", "export", &a);

    const char *runs[2] = {"pretrained", "scratch"};
    char *ft[2], *ret[2];
    for (int r = 0; r < 2; r++) {
        char name[64];
        snprintf(name, sizeof name, "finetune_%s", runs[r]);
        ft[r] = path_join(out, name);
        snprintf(name, sizeof name, "retrieve_%s", runs[r]);
        ret[r] = path_join(out, name);
        add(&a, "data_dir=%s", data), add(&a, "init=%s", r ? "" : init), add(&a, "epochs=%d", epochs);
        add(&a, "lr_steps=[%d]", epochs > 1 ? epochs * 2 / 3 : 1), add(&a, "data.batch=%d", batch);
        add(&a, "data.crop=%d", crop), add(&a, "seed=%d", seed), add(&a, "device=%s", device);
        add(&a, "out=%s", ft[r]), add(&a, "quiet=%s", q), add(&a, "log_interval=2");
        add(&a, "data.threads=%d", ops_threads());
        if (!quiet) printf("\n[6/8] finetune (%s): TSN, %d epochs -> %s\n", runs[r], epochs, ft[r]);
        snprintf(name, sizeof name, "finetune (%s)", runs[r]);
        run(cmd_finetune, "finetune", name, &a);
        add(&a, "data_dir=%s", data), add(&a, "run=%s", ft[r]), add(&a, "data.crop=%d", crop);
        add(&a, "device=%s", device), add(&a, "quiet=%s", q), add(&a, "data.threads=%d", ops_threads());
        if (!quiet) printf("\n[7/8] test (%s): 10 clips per test video -> %s/results.json\n", runs[r], ft[r]);
        snprintf(name, sizeof name, "test (%s)", runs[r]);
        run(cmd_test, "test", name, &a);
    }
    for (int r = 0; r < 2; r++) {
        char name[64];
        add(&a, "data_dir=%s", data), add(&a, "init=%s", r ? "" : init), add(&a, "data.crop=%d", crop);
        add(&a, "seed=%d", seed), add(&a, "device=%s", device), add(&a, "out=%s", ret[r]), add(&a, "quiet=%s", q);
        add(&a, "data.threads=%d", ops_threads());
        if (!quiet)
            printf("\n[8/8] retrieve (%s backbone): test videos query the train videos -> %s/retrieval.json\n",
                   r ? "random" : "pre-trained", ret[r]);
        snprintf(name, sizeof name, "retrieve (%s)", r ? "random init" : runs[r]);
        run(cmd_retrieve, "retrieve", name, &a);
    }

    /* summary */
    char *mpath = path_join(pre, "metrics.jsonl");
    static double loss[4096], held[4096], zero[4096];
    long steps_all = 0;
    int nr = round_losses(mpath, loss, held, zero, 4096, &steps_all);
    printf("\n== fedvssl demo: summary (%s, %.0f s in all) ==\n", out, now_sec() - t0);
    printf("federated CtP pre-training, mean client loss per round:");
    for (int i = 0; i < nr; i++) printf(" %.4f", loss[i]);
    printf("\nheld-out CtP loss per round (predicting zero motion on the same clips):");
    for (int i = 0; i < nr; i++) printf(" %.4f (%.4f)", held[i], zero[i]);
    printf("\n\n%-34s %8s %8s %8s\n", "", "top-1", "top-5", "R@1");
    for (int r = 0; r < 2; r++) {
        char *res = path_join(ft[r], "results.json"), *rj = path_join(ret[r], "retrieval.json");
        printf("%-34s %7.1f%% %7.1f%% %7.1f%%\n", r ? "from scratch (random init)" : "with federated pre-training",
               100 * num_in(res, "top1"), 100 * num_in(res, "top5"), 100 * num_in(rj, "R@1"));
        free(res), free(rj);
    }
    printf("(top-k: fine-tuned, on the test split; R@1: the backbone before fine-tuning, test queries the train set)\n");
    printf("\n%-34s %8s\n", "stage", "seconds");
    for (int i = 0; i < nstages; i++) printf("%-34s %8.1f\n", stages[i].name, stages[i].sec);
    printf("\nfiles: %s (round checkpoints in fedvssl_results/), %s, %s/results.json, %s/retrieval.json\n", pre, init,
           ft[0], ret[0]);
    /* what the numbers above can and cannot say: whether the pretext task was learned at all decides it */
    double h = nr ? held[nr - 1] : NAN, z = nr ? zero[nr - 1] : NAN;
    if (isfinite(h) && isfinite(z) && h < 0.98 * z)
        printf("\nthe pretext task is being learned: the held-out CtP loss %.4f is %.1f %% below predicting zero "
               "motion (%.4f).\n", h, 100 * (1 - h / z), z);
    else
        printf("\nread the comparison above as noise: %ld CtP steps are far too few to learn the pretext task here "
               "(the held-out CtP loss %.4f is not clearly below predicting zero motion, %.4f), so a pre-trained "
               "backbone is not expected to beat a random one yet; the reference runs about 47,700 steps. RESULTS.md "
               "has the measurements at larger budgets.\n",
               steps_all, h, z);
    report_after_run(out, 0); /* every stage on one page: the demo root holds their run folders */
    for (int r = 0; r < 2; r++) free(ft[r]), free(ret[r]);
    for (int i = 0; i < pass_n; i++) free(pass_args[i]);
    free(pass_args), free(mpath), free(ckpt), free(init), free(pre), free(part), free(ann), free(data), free(raw);
    free(device), free(out);
    return 0;
}
