/* Configuration: defaults, YAML (nested, dotted, lists, Hydra's defaults list), overrides in order,
 * every error message, value edge cases, the YAML round trip, help, positional arguments, and the
 * conf/ YAML files against the built-in defaults (tables below: keep them the same as the commands'). */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/core/config.h"
#include "../src/core/util.h"
#include "../src/cmd/finetune_config.h"
#include "../src/cmd/pretrain_config.h"
#include "check.h"

/* ---- fedvssl pretrain (conf/base.yaml; spec §3.1, §2.5) ---- */
static struct {
    int pool_size, rounds, seed;
    const char *data_dir, *partition_dir;
    struct {
        const char *name, *compat;
        double mix_coeff, fraction_fit;
        int swbeta, min_fit_clients, min_available_clients, fedavg;
    } strategy;
    struct {
        double lr, momentum, weight_decay, clip;
    } optimizer;
    struct {
        int batch, threads, reseed_each_round, fast_decode;
        double max_bad_fraction;
    } data;
    const char *transport, *device, *out, *resume;
    double round_timeout;
} P;

static const CfgKey pretrain_keys[] = {
    {"pool_size", CFG_INT, &P.pool_size, "5", NULL, 1, INT_MAX, "number of clients"},
    {"rounds", CFG_INT, &P.rounds, "20", NULL, 1, INT_MAX, "federated rounds"},
    {"seed", CFG_INT, &P.seed, "7", NULL, 0, INT_MAX, "seed of model init and data order"},
    {"data_dir", CFG_STR, &P.data_dir, "data/ucf101", NULL, 0, 0, "dataset root (zips/, annotations/)"},
    {"partition_dir", CFG_STR, &P.partition_dir, "annotations/client_distribution", NULL, 0, 0,
     "client_dist<N>.json, relative to data_dir"},
    {"strategy.name", CFG_ENUM, &P.strategy.name, "fedvssl", "fedvssl|fedavg", 0, 0, "aggregation"},
    {"strategy.mix_coeff", CFG_FLOAT, &P.strategy.mix_coeff, "0.9", NULL, 0, 1, "alpha"},
    {"strategy.swbeta", CFG_INT, &P.strategy.swbeta, "1", NULL, 0, 1, "beta: 0.5 EMA with the previous global"},
    {"strategy.fraction_fit", CFG_FLOAT, &P.strategy.fraction_fit, "1.0", NULL, 0, 1, "clients sampled per round"},
    {"strategy.min_fit_clients", CFG_INT, &P.strategy.min_fit_clients, "5", NULL, 1, INT_MAX, "at least"},
    {"strategy.min_available_clients", CFG_INT, &P.strategy.min_available_clients, "5", NULL, 1, INT_MAX, "at least"},
    {"strategy.fedavg", CFG_BOOL, &P.strategy.fedavg, "false", NULL, 0, 0, "plain FedAvg"},
    {"strategy.compat", CFG_ENUM, &P.strategy.compat, "none", "none|flower", 0, 0, "baseline quirks"},
    {"optimizer.lr", CFG_FLOAT, &P.optimizer.lr, "0.01", NULL, 0, HUGE_VAL, "learning rate"},
    {"optimizer.momentum", CFG_FLOAT, &P.optimizer.momentum, "0.9", NULL, 0, 1, "momentum"},
    {"optimizer.weight_decay", CFG_FLOAT, &P.optimizer.weight_decay, "1e-4", NULL, 0, HUGE_VAL, "L2"},
    {"optimizer.clip", CFG_FLOAT, &P.optimizer.clip, "40", NULL, 0, HUGE_VAL, "gradient norm clip, 0 = off"},
    {"data.batch", CFG_INT, &P.data.batch, "4", NULL, 1, INT_MAX, "clips per step"},
    {"data.threads", CFG_INT, &P.data.threads, "0", NULL, 0, 4096, "loader threads, 0 = one per core"},
    {"data.reseed_each_round", CFG_BOOL, &P.data.reseed_each_round, "true", NULL, 0, 0, "as the reference"},
    {"data.fast_decode", CFG_BOOL, &P.data.fast_decode, "false", NULL, 0, 0, "DCT-scaled JPEG decode"},
    {"data.max_bad_fraction", CFG_FLOAT, &P.data.max_bad_fraction, "0.01", NULL, 0, 1, "unreadable videos allowed"},
    {"transport", CFG_ENUM, &P.transport, "inproc", "inproc|mpi", 0, 0, "server/client transport"},
    {"round_timeout", CFG_FLOAT, &P.round_timeout, "0", NULL, 0, HUGE_VAL, "seconds, 0 = none"},
    {"device", CFG_ENUM, &P.device, "cpu", "cpu|cuda", 0, 0, "backend"},
    {"out", CFG_STR, &P.out, "", NULL, 0, 0, "run directory"},
    {"resume", CFG_STR, &P.resume, "", NULL, 0, 0, "run directory to continue"},
};
#define NP ((int)(sizeof pretrain_keys / sizeof *pretrain_keys))

/* ---- a finetune-like table for the parser tests (the command's own: src/cmd/finetune_config.c) ---- */
static struct {
    int epochs, batch, seed;
    double lr, momentum, weight_decay, clip, gamma, dropout;
    CfgFloats lr_steps;
    const char *init, *data_dir, *out;
} F;

static const CfgKey finetune_keys[] = {
    {"epochs", CFG_INT, &F.epochs, "150", NULL, 1, INT_MAX, "total epochs"},
    {"lr", CFG_FLOAT, &F.lr, "0.01", NULL, 0, HUGE_VAL, "learning rate"},
    {"momentum", CFG_FLOAT, &F.momentum, "0.9", NULL, 0, 1, "momentum"},
    {"weight_decay", CFG_FLOAT, &F.weight_decay, "5e-4", NULL, 0, HUGE_VAL, "L2"},
    {"clip", CFG_FLOAT, &F.clip, "40", NULL, 0, HUGE_VAL, "gradient norm clip"},
    {"lr_steps", CFG_FLOATS, &F.lr_steps, "[60, 120]", NULL, 0, HUGE_VAL, "lr *= gamma after these epochs"},
    {"gamma", CFG_FLOAT, &F.gamma, "0.1", NULL, 0, 1, "lr step factor"},
    {"batch", CFG_INT, &F.batch, "4", NULL, 1, INT_MAX, "clips per step"},
    {"seed", CFG_INT, &F.seed, "7", NULL, 0, INT_MAX, "seed"},
    {"dropout", CFG_FLOAT, &F.dropout, "0.5", NULL, 0, 1, "dropout before the classifier"},
    {"init", CFG_STR, &F.init, "", NULL, 0, 0, "pre-trained weights"},
    {"data_dir", CFG_STR, &F.data_dir, "data/ucf101", NULL, 0, 0, "dataset root"},
    {"out", CFG_STR, &F.out, "", NULL, 0, 0, "run directory"},
};
#define NF ((int)(sizeof finetune_keys / sizeof *finetune_keys))

static char err[1024];

/* argv from a string of space-separated words (argv[0] = the command) */
static int parse_words(const CfgKey *keys, int n, const char *words) {
    char *buf = xstrdup(words), *argv[64];
    int argc = 0;
    argv[argc++] = "cmd";
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " ")) argv[argc++] = t;
    err[0] = 0;
    int rc = config_parse(keys, n, argc, argv, err, sizeof err);
    free(buf);
    return rc;
}

static int yaml(const CfgKey *keys, int n, const char *text) {
    err[0] = 0;
    if (config_set_defaults(keys, n, err, sizeof err)) return -2;
    return config_parse_yaml_text(keys, n, text, strlen(text), "conf/base.yaml", err, sizeof err);
}

#define EXPECT_ERR(call, ...)                                                             \
    do {                                                                                  \
        const char *want_[] = {__VA_ARGS__};                                              \
        int rc_ = (call);                                                                 \
        int ok_ = rc_ == -1;                                                              \
        for (size_t w_ = 0; w_ < sizeof want_ / sizeof *want_; w_++) ok_ &= strstr(err, want_[w_]) != NULL; \
        CHECK(ok_ && !strchr(err, '\n'), "%s: rc %d, message '%s' (want '%s')", #call, rc_, err, want_[0]); \
    } while (0)

static void test_defaults(void) {
    CHECK(parse_words(pretrain_keys, NP, "") == 0, "no arguments: %s", err);
    CHECK(P.pool_size == 5 && P.rounds == 20 && P.seed == 7, "ints %d %d %d", P.pool_size, P.rounds, P.seed);
    CHECK(!strcmp(P.data_dir, "data/ucf101") && !strcmp(P.partition_dir, "annotations/client_distribution"), "paths");
    CHECK(!strcmp(P.strategy.name, "fedvssl") && P.strategy.mix_coeff == 0.9 && P.strategy.swbeta == 1 &&
              P.strategy.fraction_fit == 1.0 && P.strategy.min_fit_clients == 5 &&
              P.strategy.min_available_clients == 5 && P.strategy.fedavg == 0 && !strcmp(P.strategy.compat, "none"),
          "strategy");
    CHECK(P.optimizer.lr == 0.01 && P.optimizer.momentum == 0.9 && P.optimizer.weight_decay == 1e-4 &&
              P.optimizer.clip == 40,
          "optimizer");
    CHECK(P.data.batch == 4 && P.data.threads == 0 && P.data.reseed_each_round == 1 && P.data.fast_decode == 0 &&
              P.data.max_bad_fraction == 0.01,
          "data");
    CHECK(!strcmp(P.transport, "inproc") && P.round_timeout == 0 && !strcmp(P.device, "cpu") && !strcmp(P.out, "") &&
              !strcmp(P.resume, ""),
          "rest");
    CHECK(parse_words(finetune_keys, NF, "") == 0, "finetune: %s", err);
    CHECK(F.epochs == 150 && F.lr_steps.n == 2 && F.lr_steps.v[0] == 60 && F.lr_steps.v[1] == 120 &&
              F.weight_decay == 5e-4 && F.dropout == 0.5 && !strcmp(F.init, ""),
          "finetune defaults");
}

static void test_yaml(void) {
    const char *text = "# a comment\n"
                       "defaults:\n  - _self_\n  - override hydra/launcher: basic\n"
                       "rounds: 3   # trailing comment\n"
                       "strategy:\n"
                       "  name: fedavg\n"
                       "  mix-coeff: 0.25\n"
                       "  fedavg: yes\n"
                       "optimizer.lr: 0.05\n"
                       "optimizer: {momentum: 0.5, clip: 0}\n"
                       "data:\n  batch: 8\n  reseed_each_round: False\n"
                       "out: 'it''s here'\n"
                       "resume: \"tab\\there\"\n"
                       "data_dir: ~\n"
                       "partition_dir: 123\n"
                       "transport: \"mpi\"\n";
    CHECK(yaml(pretrain_keys, NP, text) == 0, "nested and dotted YAML: %s", err);
    CHECK(P.rounds == 3 && !strcmp(P.strategy.name, "fedavg") && P.strategy.mix_coeff == 0.25 && P.strategy.fedavg == 1,
          "nested values");
    CHECK(P.optimizer.lr == 0.05 && P.optimizer.momentum == 0.5 && P.optimizer.clip == 0 && P.optimizer.weight_decay == 1e-4,
          "dotted key and flow mapping of the same group");
    CHECK(P.data.batch == 8 && P.data.reseed_each_round == 0 && P.pool_size == 5, "data group, untouched defaults");
    CHECK(!strcmp(P.out, "it's here") && !strcmp(P.resume, "tab\there") && !strcmp(P.data_dir, "") &&
              !strcmp(P.partition_dir, "123") && !strcmp(P.transport, "mpi"),
          "strings: '%s' '%s' '%s' '%s'", P.out, P.resume, P.data_dir, P.partition_dir);
    CHECK(yaml(pretrain_keys, NP, "out: null\nresume: \"null\"\n") == 0 && !strcmp(P.out, "") && !strcmp(P.resume, "null"),
          "plain null is empty, quoted null is text");
    CHECK(yaml(finetune_keys, NF, "lr_steps:\n  - 10\n  - 20.5\n  - 30\n") == 0 && F.lr_steps.n == 3 &&
              F.lr_steps.v[1] == 20.5,
          "block list: %s", err);
    CHECK(yaml(finetune_keys, NF, "lr_steps: []\n") == 0 && F.lr_steps.n == 0, "empty flow list");
    CHECK(yaml(finetune_keys, NF, "lr_steps: 50\n") == 0 && F.lr_steps.n == 1 && F.lr_steps.v[0] == 50, "scalar as list");
    CHECK(yaml(finetune_keys, NF, "lr_steps: ~\n") == 0 && F.lr_steps.n == 0, "null list");
    CHECK(yaml(pretrain_keys, NP, "strategy:\n  # name: fedavg\nrounds: 2\n") == 0 && P.rounds == 2, "empty group");
    CHECK(yaml(pretrain_keys, NP, "") == 0 && yaml(pretrain_keys, NP, "# only comments\n") == 0 &&
              yaml(pretrain_keys, NP, "~\n") == 0 && yaml(pretrain_keys, NP, "---\n...\n") == 0,
          "empty documents");
}

static const char *tmp_yaml(const char *name, const char *text) {
    static char path[4][256];
    static int k;
    char *p = path[k++ & 3];
    snprintf(p, 256, "/tmp/test_config_%d_%s", (int)getpid(), name);
    FILE *f = fopen(p, "w");
    if (!f) die("%s: cannot write", p);
    fputs(text, f);
    fclose(f);
    return p;
}

static void test_overrides(void) {
    const char *f = tmp_yaml("o.yaml", "rounds: 3\nstrategy: {mix_coeff: 0.5}\ndevice: cuda\n");
    char words[512];
    snprintf(words, sizeof words, "rounds=4 config=%s rounds=5 strategy.swbeta=0", f);
    CHECK(parse_words(pretrain_keys, NP, words) == 0 && P.rounds == 5 && P.strategy.mix_coeff == 0.5 &&
              P.strategy.swbeta == 0 && !strcmp(P.device, "cuda"),
          "later wins, file under overrides: %s", err);
    snprintf(words, sizeof words, "rounds=4 --config %s", f);
    CHECK(parse_words(pretrain_keys, NP, words) == 0 && P.rounds == 4, "override beats the file wherever it is");
    snprintf(words, sizeof words, "--config=%s --device=cpu", f);
    CHECK(parse_words(pretrain_keys, NP, words) == 0 && P.rounds == 3 && !strcmp(P.device, "cpu"), "--config=");
    CHECK(parse_words(pretrain_keys, NP, "--rounds 6 --strategy.mix-coeff=0.125 --strategy.fedavg --data.fast_decode "
                                         "--data.reseed-each-round=0 --out a=b") == 0 &&
              P.rounds == 6 && P.strategy.mix_coeff == 0.125 && P.strategy.fedavg == 1 && P.data.fast_decode == 1 &&
              P.data.reseed_each_round == 0 && !strcmp(P.out, "a=b"),
          "--key value, --key=value, bool --key, '-' for '_': %s", err);
    CHECK(parse_words(pretrain_keys, NP, "--strategy.fedavg false --data.fast_decode yes --data.reseed_each_round") == 0 &&
              P.strategy.fedavg == 0 && P.data.fast_decode == 1 && P.data.reseed_each_round == 1,
          "bool --key takes a following bool word: %s", err);
    CHECK(parse_words(finetune_keys, NF, "lr_steps=[1e-400,0.0000000000000000000000000000000000000000000000000000000000000000000001]") == 0 &&
              F.lr_steps.n == 2 && F.lr_steps.v[1] == 1e-70,
          "long numbers: %s", err);
    CHECK(parse_words(pretrain_keys, NP, "out=x out=") == 0 && !strcmp(P.out, ""), "empty string");
    CHECK(parse_words(pretrain_keys, NP, "out=null resume=~") == 0 && !strcmp(P.out, "") && !strcmp(P.resume, ""),
          "null on the command line");
    CHECK(parse_words(finetune_keys, NF, "lr_steps=[10,20,30] lr_steps=5,6") == 0 && F.lr_steps.n == 2 &&
              F.lr_steps.v[1] == 6,
          "lists on the command line: %s", err);
    CHECK(parse_words(finetune_keys, NF, "lr_steps=[]") == 0 && F.lr_steps.n == 0, "empty list");
    unlink(f);
}

static void test_errors(void) {
    EXPECT_ERR(yaml(pretrain_keys, NP, "rounds: 2\nstrategy:\n  mixcoeff: 0.5\n"),
               "conf/base.yaml:3: unknown key 'strategy.mixcoeff' (did you mean 'strategy.mix_coeff'?)");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "strategy.fedavg=maybe"), "strategy.fedavg=maybe: expected true or false");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "rounds=-1"), "rounds=-1: must be >= 1");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "transport=tcp"), "transport=tcp: allowed values are inproc, mpi");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "strategy.mix_coeff=1.5"), "strategy.mix_coeff=1.5: must be in [0, 1]");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "mix_coeff=1"), "unknown key 'mix_coeff' (did you mean 'strategy.mix_coeff'?)");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "--roundz=1"), "unknown key 'roundz' (did you mean 'rounds'?)");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "zzzzzzzzzz=1"), "unknown key 'zzzzzzzzzz' (see --help)");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "--bogus"), "unknown key 'bogus'");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "-x"), "unknown option '-x'");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "ckpt.npz"), "unexpected argument 'ckpt.npz'");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "--rounds"), "--rounds needs a value");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "config=/nonexistent/x.yaml"), "/nonexistent/x.yaml");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "config=a.yaml config=b.yaml"), "only one config file");
    EXPECT_ERR(parse_words(pretrain_keys, NP, "rounds=2 transport=tcp rounds=x"), "transport=tcp"); /* the first */
    /* YAML errors: file:line, the key, what is allowed */
    EXPECT_ERR(yaml(pretrain_keys, NP, "rounds: 1\nstrategy: {mix_coeff: [1, 2\n"), "conf/base.yaml:");
    /* one setting of any config.yaml by its dotted name, without a key table (test and retrieve read data.crop) */
    {
        char path[] = "/tmp/fedvssl_lookup_XXXXXX", v[64] = "";
        int fd = mkstemp(path);
        const char *y = "rounds: 2\ndata:\n  batch: 4\n  crop: 56\nlr_steps: [60, {a: 1}, 120]\noptimizer: {lr: 0.1, m: 0.9}\n"
                        "crop: 9\n";
        CHECK(fd >= 0 && write(fd, y, strlen(y)) == (ssize_t)strlen(y), "write %s", path);
        if (fd >= 0) close(fd);
        CHECK(config_yaml_lookup(path, "data.crop", v, sizeof v) == 1 && !strcmp(v, "56"), "data.crop: %s", v);
        CHECK(config_yaml_lookup(path, "optimizer.m", v, sizeof v) == 1 && !strcmp(v, "0.9"), "flow mapping: %s", v);
        CHECK(config_yaml_lookup(path, "crop", v, sizeof v) == 1 && !strcmp(v, "9"), "after a list: %s", v);
        CHECK(config_yaml_lookup(path, "data.nope", v, sizeof v) == 0, "a missing key");
        CHECK(config_yaml_lookup(path, "lr_steps", v, sizeof v) == 0, "a list is not a scalar setting");
        fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(fd >= 0 && write(fd, "data: [1\n", 9) == 9, "rewrite");
        if (fd >= 0) close(fd);
        CHECK(config_yaml_lookup(path, "data.crop", v, sizeof v) == -1, "invalid YAML");
        unlink(path);
        CHECK(config_yaml_lookup(path, "data.crop", v, sizeof v) == -1, "a missing file");
    }
    /* a list missing its ']' is a syntax error, not a type error met on the way */
    EXPECT_ERR(yaml(pretrain_keys, NP, "rounds: 2\nstrategy:\n  mix_coeff: [0.5\n"),
               "conf/base.yaml:4: did not find expected ',' or ']' (while parsing a flow sequence on line 3)");
    EXPECT_ERR(yaml(pretrain_keys, NP, "rounds: 1\n- x\n"), "conf/base.yaml:2: did not find expected key");
    EXPECT_ERR(yaml(pretrain_keys, NP, "rounds: 1\nout: 'open\n"), "conf/base.yaml:3: found unexpected end of stream");
    EXPECT_ERR(yaml(pretrain_keys, NP, "x: 1\n"), "unknown key 'x' (see --help)");
    EXPECT_ERR(yaml(pretrain_keys, NP, "\n\nrounds: [1, 2]\n"), "conf/base.yaml:3: rounds: expected an integer, got a list");
    EXPECT_ERR(yaml(pretrain_keys, NP, "transport:\n  a: 1\n"), "transport: expected one of inproc, mpi, got a mapping");
    EXPECT_ERR(yaml(pretrain_keys, NP, "strategy: 5\n"),
               "conf/base.yaml:1: strategy: expected a mapping of its keys, e.g. strategy.name");
    EXPECT_ERR(yaml(pretrain_keys, NP, "strategy: [1]\n"), "strategy: expected a mapping");
    /* the Flower baseline's own conf/base.yaml loads: its keys without a meaning here are accepted and dropped */
    {
        static const char orig[] =
            "---\nexp_name: fedvssl_results\ndata_dir: fedvssl/data\npartition_dir: annotations/client_distribution\n"
            "cfg_path_pretrain: fedvssl/conf/mmcv_conf/pretraining/r3d_18_ucf101/pretraining_for_ucf.py\n"
            "pool_size: 5\nrounds: 20\nstrategy:\n  _target_: fedvssl.strategy.FedVSSL # comment\n  mix_coeff: 0.9\n"
            "  swbeta: 1\n  base_work_dir: ???\n  fraction_fit: 1.0\n  min_fit_clients: 5\n"
            "  min_available_clients: 5\n  fedavg: false\nclient_resources:\n  num_gpus: 1.0\n  num_cpus: 2\n"
            "  include_dashboard: false\n";
        PretrainArgs pa;
        CfgKey pk[64];
        int np = pretrain_config_keys(&pa, pk);
        CHECK(yaml(pk, np, orig) == 0, "the baseline's base.yaml: %s", err);
        char *y = config_to_yaml(pk, np);
        CHECK(!strstr(y, "exp_name") && !strstr(y, "client_resources") && !strstr(y, "_target_") &&
                  strstr(y, "data_dir: \"fedvssl/data\""),
              "ignored keys are not written back, the rest is taken:\n%s", y);
        free(y);
    }
    EXPECT_ERR(yaml(pretrain_keys, NP, "rounds: 1\nrounds: 2\n"), "conf/base.yaml:2: rounds: given twice (first on line 1)");
    EXPECT_ERR(yaml(pretrain_keys, NP, "strategy:\n  mix_coeff: 1\nstrategy.mix_coeff: 1\n"), "given twice");
    EXPECT_ERR(yaml(pretrain_keys, NP, "seed: &a 1\nrounds: *a\n"), "conf/base.yaml:2: rounds: aliases");
    EXPECT_ERR(yaml(pretrain_keys, NP, "rounds: 1\n---\nrounds: 2\n"), "conf/base.yaml:2: more than one YAML document");
    EXPECT_ERR(yaml(pretrain_keys, NP, "- 1\n- 2\n"), "conf/base.yaml:1: expected key: value");
    EXPECT_ERR(yaml(pretrain_keys, NP, "hello\n"), "expected key: value");
    EXPECT_ERR(yaml(pretrain_keys, NP, "[a]: 1\n"), "a key must be a name");
    EXPECT_ERR(yaml(pretrain_keys, NP, "out: \"\xff\"\n"), "conf/base.yaml: byte 6");
    EXPECT_ERR(yaml(pretrain_keys, NP, "out: \"a\\0b\"\n"), "NUL");
    EXPECT_ERR(yaml(pretrain_keys, NP, "data:\n  batch: 0\n"), "conf/base.yaml:2: data.batch=0: must be >= 1");
    EXPECT_ERR(yaml(pretrain_keys, NP, "device: ~\n"), "device=~: allowed values are cpu, cuda");
    EXPECT_ERR(yaml(pretrain_keys, NP, "rounds:\n"), "rounds=: expected an integer");
    EXPECT_ERR(yaml(pretrain_keys, NP, "defaults: [a]\nstrategy:\n  bogus: 1\n"), "unknown key 'strategy.bogus'");
    EXPECT_ERR(yaml(finetune_keys, NF, "lr_steps: [1, x]\n"), "lr_steps: item 'x': expected a number");
    EXPECT_ERR(yaml(finetune_keys, NF, "lr_steps: [1, -2]\n"), "lr_steps: item '-2': must be >= 0");
    EXPECT_ERR(yaml(finetune_keys, NF, "lr_steps: [[1]]\n"), "lr_steps: expected a list of numbers");
    EXPECT_ERR(yaml(finetune_keys, NF, "lr_steps: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n"), "at most 16 values");
    EXPECT_ERR(yaml(finetune_keys, NF, "lr_steps: {a: 1}\n"), "lr_steps: expected a list of numbers, got a mapping");
    /* deep nesting in the skipped defaults list stops early (libyaml's work grows with the square of the depth) */
    size_t depth = 200000;
    char *deep = xmalloc(2 * depth + 16);
    strcpy(deep, "defaults: ");
    memset(deep + 10, '[', depth);
    memset(deep + 10 + depth, ']', depth);
    deep[10 + 2 * depth] = 0;
    EXPECT_ERR(yaml(pretrain_keys, NP, deep), "conf/base.yaml:1: lists or mappings nested more than 64 deep");
    deep[10 + 60] = 0;
    memset(deep + 10 + 30, ']', 30);
    CHECK(yaml(pretrain_keys, NP, deep) == 0, "30 deep is fine: %s", err);
    free(deep);
    /* invalid UTF-8 in a command-line string cannot be written back as YAML */
    EXPECT_ERR(parse_words(pretrain_keys, NP, "out=\xc3("), "not valid UTF-8");
    /* bad tables are the program's fault */
    int a, b;
    const char *s;
    CfgKey dup[] = {{"a", CFG_INT, &a, "1", NULL, 0, 0, ""}, {"a", CFG_INT, &b, "1", NULL, 0, 0, ""}};
    EXPECT_ERR(config_set_defaults(dup, 2, err, sizeof err), "internal: config key 'a': given twice");
    CfgKey grp[] = {{"a", CFG_INT, &a, "1", NULL, 0, 0, ""}, {"a.b", CFG_INT, &b, "1", NULL, 0, 0, ""}};
    EXPECT_ERR(config_set_defaults(grp, 2, err, sizeof err), "both a key and a group");
    CfgKey en[] = {{"e", CFG_ENUM, &s, "c", "a|b", 0, 0, ""}};
    EXPECT_ERR(config_set_defaults(en, 1, err, sizeof err), "internal: default e=c: allowed values are a, b");
    CfgKey rng[] = {{"r", CFG_INT, &a, "0", NULL, 1, 5, ""}};
    EXPECT_ERR(config_set_defaults(rng, 1, err, sizeof err), "internal: default r=0: must be in [1, 5]");
    CfgKey names[] = {{"Big", CFG_INT, &a, "0", NULL, 0, 0, ""}};
    EXPECT_ERR(config_set_defaults(names, 1, err, sizeof err), "internal: config key 'Big'");
    CfgKey cfg[] = {{"config", CFG_STR, &s, "", NULL, 0, 0, ""}};
    EXPECT_ERR(config_set_defaults(cfg, 1, err, sizeof err), "reserved");
    CfgKey dots[] = {{"a..b", CFG_INT, &a, "0", NULL, 0, 0, ""}};
    EXPECT_ERR(config_set_defaults(dots, 1, err, sizeof err), "empty component");
}

static int set1(const CfgKey *keys, int n, const char *key, const char *v) {
    err[0] = 0;
    return config_set(keys, n, key, v, err, sizeof err);
}

static void test_values(void) {
    config_set_defaults(pretrain_keys, NP, err, sizeof err);
    /* ints */
    const char *bad_ints[] = {"1.5", "1e3", "99999999999", "2147483648", "", " 5", "5 ", "0x10", "five", "+", "1_000"};
    for (size_t i = 0; i < sizeof bad_ints / sizeof *bad_ints; i++)
        CHECK(set1(pretrain_keys, NP, "seed", bad_ints[i]) == -1 && strstr(err, "seed=") &&
                  (strstr(err, "expected an integer") || strstr(err, "integer out of range")),
              "int '%s' refused: %s", bad_ints[i], err);
    CHECK(set1(pretrain_keys, NP, "seed", "2147483647") == 0 && P.seed == INT_MAX, "INT_MAX");
    CHECK(set1(pretrain_keys, NP, "seed", "007") == 0 && P.seed == 7, "leading zeros are decimal");
    CHECK(set1(pretrain_keys, NP, "seed", "+3") == 0 && P.seed == 3, "+3");
    CHECK(set1(pretrain_keys, NP, "seed", "-1") == -1 && strstr(err, "must be >= 0"), "seed >= 0");
    /* floats */
    struct { const char *t; double v; } good[] = {{"1e-4", 1e-4}, {".5", 0.5}, {"5.", 5}, {"-0", 0}, {"1E2", 100}, {"0.30000000000000004", 0.1 + 0.2}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(set1(pretrain_keys, NP, "optimizer.weight_decay", good[i].t) == 0 && P.optimizer.weight_decay == good[i].v,
              "float '%s': %s", good[i].t, err);
    const char *bad_f[] = {"nan", "inf", "-inf", "1e999", "", "abc", "1.0.0", " 1", "1,5"};
    for (size_t i = 0; i < sizeof bad_f / sizeof *bad_f; i++)
        CHECK(set1(pretrain_keys, NP, "optimizer.lr", bad_f[i]) == -1 && strstr(err, "optimizer.lr=") &&
                  strstr(err, "expected a"),
              "float '%s' refused: %s", bad_f[i], err);
    CHECK(set1(pretrain_keys, NP, "optimizer.lr", "-0.1") == -1 && strstr(err, "must be >= 0"), "lr >= 0: %s", err);
    CHECK(set1(pretrain_keys, NP, "data.max_bad_fraction", "1") == 0 && set1(pretrain_keys, NP, "data.max_bad_fraction", "0") == 0,
          "bounds are inclusive");
    /* bools */
    const char *t[] = {"true", "True", "TRUE", "yes", "Yes", "on", "1"}, *f[] = {"false", "False", "no", "NO", "off", "0"};
    for (size_t i = 0; i < 7; i++)
        CHECK(set1(pretrain_keys, NP, "strategy.fedavg", "0") == 0 && set1(pretrain_keys, NP, "strategy.fedavg", t[i]) == 0 &&
                  P.strategy.fedavg == 1,
              "bool '%s'", t[i]);
    for (size_t i = 0; i < 6; i++)
        CHECK(set1(pretrain_keys, NP, "strategy.fedavg", "1") == 0 && set1(pretrain_keys, NP, "strategy.fedavg", f[i]) == 0 &&
                  P.strategy.fedavg == 0,
              "bool '%s'", f[i]);
    const char *bad_b[] = {"maybe", "2", "", "truee", "t"};
    for (size_t i = 0; i < 5; i++)
        CHECK(set1(pretrain_keys, NP, "strategy.fedavg", bad_b[i]) == -1 && strstr(err, "expected true or false"),
              "bool '%s' refused", bad_b[i]);
    /* enums are exact */
    CHECK(set1(pretrain_keys, NP, "transport", "MPI") == -1 && set1(pretrain_keys, NP, "transport", "mpi") == 0 &&
              !strcmp(P.transport, "mpi"),
          "enum");
    /* lists */
    config_set_defaults(finetune_keys, NF, err, sizeof err);
    CHECK(set1(finetune_keys, NF, "lr_steps", " [ 1 , 2.5 ] ") == 0 && F.lr_steps.n == 2 && F.lr_steps.v[1] == 2.5, "spaces");
    const char *bad_l[] = {"[1,,2]", "[1,]", "[1, 2", "1 2", "[a]", ","};
    for (size_t i = 0; i < sizeof bad_l / sizeof *bad_l; i++)
        CHECK(set1(finetune_keys, NF, "lr_steps", bad_l[i]) == -1 && strstr(err, "lr_steps=") &&
                  strstr(err, "expected a list of numbers"),
              "list '%s' refused: %s", bad_l[i], err);
    CHECK(set1(finetune_keys, NF, "lr_steps", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16") == 0 && F.lr_steps.n == 16 &&
              set1(finetune_keys, NF, "lr_steps", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17") == -1 &&
              strstr(err, "at most 16"),
          "16 values at most");
    CHECK(set1(finetune_keys, NF, "lr_steps", "[5, -1]") == -1 && strstr(err, "must be >= 0"), "list bounds");
    /* long and odd values stay one line */
    char longv[300];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = 0;
    CHECK(set1(pretrain_keys, NP, "rounds", longv) == -1 && strlen(err) < 120 && strstr(err, "..."), "long value cut");
    CHECK(set1(pretrain_keys, NP, "rounds", "1\n2") == -1 && !strchr(err, '\n'), "newline not in the message");
}

static void test_round_trip(void) {
    CHECK(parse_words(pretrain_keys, NP, "") == 0, "defaults");
    char *y = config_to_yaml(pretrain_keys, NP);
    CHECK(strstr(y, "pool_size: 5\nrounds: 20\nseed: 7\ndata_dir: \"data/ucf101\"\n") == y, "top keys first:\n%s", y);
    CHECK(strstr(y, "strategy:\n  name: fedvssl\n  mix_coeff: 0.9\n  swbeta: 1\n  fraction_fit: 1.0\n") &&
              strstr(y, "  fedavg: false\n  compat: none\noptimizer:\n  lr: 0.01\n") &&
              strstr(y, "  weight_decay: 0.0001\n  clip: 40.0\ndata:\n") && strstr(y, "out: \"\"\nresume: \"\"\n"),
          "nested output:\n%s", y);
    free(y);
    /* the output re-parses to the same values, odd strings and floats included */
    /* quotes, backslash, controls, C1 (U+0086), NEL, U+2028, CR, BOM: YAML would refuse or fold them raw */
    const char *odd = "q\"uo\\te\n\ttab: #x é ✓ \xc2\x86 \xc2\x85 \xe2\x80\xa8 \r \xef\xbb\xbf \x7f end";
    CHECK(set1(pretrain_keys, NP, "out", odd) == 0 && set1(pretrain_keys, NP, "resume", "yes") == 0 &&
              set1(pretrain_keys, NP, "strategy.mix_coeff", "0.30000000000000004") == 0 &&
              set1(pretrain_keys, NP, "optimizer.weight_decay", "1e-300") == 0 &&
              set1(pretrain_keys, NP, "optimizer.lr", "123456789012345678") == 0 &&
              set1(pretrain_keys, NP, "strategy.compat", "flower") == 0 && set1(pretrain_keys, NP, "seed", "0") == 0 &&
              set1(pretrain_keys, NP, "data.fast_decode", "1") == 0 && set1(pretrain_keys, NP, "data_dir", "-") == 0,
          "set: %s", err);
    double mc = P.strategy.mix_coeff;
    char *a = config_to_yaml(pretrain_keys, NP);
    CHECK(yaml(pretrain_keys, NP, a) == 0, "re-parse: %s\n%s", err, a);
    char *b = config_to_yaml(pretrain_keys, NP);
    CHECK(!strcmp(a, b), "round trip:\n%s\nvs\n%s", a, b);
    CHECK(!strcmp(P.out, odd) && !strcmp(P.resume, "yes") && P.strategy.mix_coeff == mc && P.optimizer.weight_decay == 1e-300 &&
              !strcmp(P.strategy.compat, "flower") && P.data.fast_decode == 1 && !strcmp(P.data_dir, "-"),
          "values after the round trip");
    CHECK(strstr(a, "weight_decay: 1.0e-300\n") && strstr(a, "lr: 1.2345678901234568e+17\n"), "floats carry a '.':\n%s", a);
    /* through a file */
    char path[256];
    snprintf(path, sizeof path, "/tmp/test_config_%d_rt.yaml", (int)getpid());
    CHECK(config_write_yaml(pretrain_keys, NP, path) == 0, "write");
    config_set_defaults(pretrain_keys, NP, err, sizeof err);
    CHECK(config_load_yaml(pretrain_keys, NP, path, err, sizeof err) == 0, "load: %s", err);
    char *c = config_to_yaml(pretrain_keys, NP);
    CHECK(!strcmp(a, c), "file round trip");
    unlink(path);
    free(a), free(b), free(c);
    /* lists, and groups whose keys are not next to each other in the table */
    CHECK(parse_words(finetune_keys, NF, "lr_steps=[0.1,2,1e20]") == 0, "%s", err);
    a = config_to_yaml(finetune_keys, NF);
    CHECK(strstr(a, "lr_steps: [0.1, 2.0, 1.0e+20]\n") != NULL, "list output:\n%s", a);
    CHECK(yaml(finetune_keys, NF, a) == 0 && F.lr_steps.n == 3 && F.lr_steps.v[2] == 1e20, "list re-parse: %s", err);
    free(a);
    int x, yv, z;
    const CfgKey split[] = {{"g.a", CFG_INT, &x, "1", NULL, 0, 0, ""},
                            {"top", CFG_INT, &yv, "2", NULL, 0, 0, ""},
                            {"g.h.b", CFG_INT, &z, "3", NULL, 0, 0, ""}};
    config_set_defaults(split, 3, err, sizeof err);
    a = config_to_yaml(split, 3);
    CHECK(!strcmp(a, "g:\n  a: 1\n  h:\n    b: 3\ntop: 2\n"), "a group where its first key is:\n%s", a);
    free(a);
}

static void test_help(void) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print_help(f, "pretrain", NULL, pretrain_keys, NP);
    fclose(f);
    CHECK(strstr(buf, "usage: fedvssl pretrain [config=FILE.yaml] [key=value ...]") == buf, "usage line");
    for (int i = 0; i < NP; i++) {
        char head[80];
        snprintf(head, sizeof head, "\n  %s ", pretrain_keys[i].key);
        const char *l = strstr(buf, head), *e = l ? strchr(l + 1, '\n') : NULL;
        char def[80];
        snprintf(def, sizeof def, pretrain_keys[i].type == CFG_STR ? "(default \"%s\")" : "(default %s)", pretrain_keys[i].def);
        const char *d = l ? strstr(l, def) : NULL, *hp = l ? strstr(l, pretrain_keys[i].help) : NULL;
        CHECK(l && d && hp && (!e || (d < e && hp < e)), "help lists %s with %s and its help", pretrain_keys[i].key, def);
    }
    CHECK(strstr(buf, "inproc|mpi") && strstr(buf, "int >= 1") && strstr(buf, "float in [0, 1]") && strstr(buf, "bool"),
          "types, bounds, allowed values:\n%s", buf);
    free(buf);
    CHECK(parse_words(pretrain_keys, NP, "rounds=x --help") == 1 && parse_words(pretrain_keys, NP, "-h") == 1,
          "--help wins");
    CHECK(parse_words(pretrain_keys, NP, "-- --help") == -1, "--help after -- is positional");
    /* config_cli: help exits 0, errors exit 1 with "fedvssl: cmd: ..." */
    for (int mode = 0; mode < 2; mode++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
            char *argv[] = {"pretrain", mode ? "rounds=0" : "--help", NULL};
            config_cli("pretrain", NULL, pretrain_keys, NP, 2, argv, NULL, 0);
            _exit(7);
        }
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == mode, "config_cli mode %d exit %d", mode, WEXITSTATUS(st));
    }
}

static void test_positional(void) {
    const char *pos[2] = {0};
    int np = -1;
    char *argv[] = {"export", "ckpt.npz", "seed=3", "--", "odd=name", NULL};
    CHECK(config_parse_pos(finetune_keys, NF, 5, argv, pos, 2, &np, err, sizeof err) == 0 && np == 2 &&
              !strcmp(pos[0], "ckpt.npz") && !strcmp(pos[1], "odd=name") && F.seed == 3,
          "positional arguments: %s", err);
    CHECK(config_parse_pos(finetune_keys, NF, 5, argv, pos, 1, &np, err, sizeof err) == -1 &&
              strstr(err, "unexpected argument 'odd=name'"),
          "one too many: %s", err);
}

/* conf/ YAML files hold exactly the built-in defaults, and every key. */
static void check_conf(const char *path, const CfgKey *keys, int n) {
    CHECK(config_set_defaults(keys, n, err, sizeof err) == 0, "%s", err);
    char *want = config_to_yaml(keys, n);
    /* values no file would hold, so that a key missing from the file shows */
    for (int i = 0; i < n; i++) switch (keys[i].type) {
        case CFG_INT:
        case CFG_BOOL: *(int *)keys[i].dst = -12345; break;
        case CFG_FLOAT: *(double *)keys[i].dst = NAN; break;
        case CFG_STR:
        case CFG_ENUM: *(const char **)keys[i].dst = "<missing>"; break;
        case CFG_FLOATS: *(CfgFloats *)keys[i].dst = (CfgFloats){1, {NAN}}; break;
        case CFG_IGNORED: break;
        }
    CHECK(config_load_yaml(keys, n, path, err, sizeof err) == 0, "%s", err);
    char *got = config_to_yaml(keys, n);
    CHECK(!strcmp(want, got), "%s differs from the built-in defaults:\n%s\nvs built-in\n%s", path, got, want);
    free(want), free(got);
    /* and through the command line */
    char arg[300];
    snprintf(arg, sizeof arg, "config=%s", path);
    CHECK(parse_words(keys, n, arg) == 0, "%s", err);
}

int main(void) {
    test_defaults();
    test_yaml();
    test_overrides();
    test_errors();
    test_values();
    test_round_trip();
    test_help();
    test_positional();
    { /* the command's own table, so conf/base.yaml and fedvssl pretrain never drift apart */
        static PretrainArgs pa;
        static CfgKey pk[64];
        check_conf("conf/base.yaml", pk, pretrain_config_keys(&pa, pk));
    }
    { /* likewise conf/finetune.yaml and fedvssl finetune */
        static FinetuneArgs fa;
        static CfgKey fk[32];
        check_conf("conf/finetune.yaml", fk, finetune_config_keys(&fa, fk));
    }
    config_free();
    TEST_END();
}
