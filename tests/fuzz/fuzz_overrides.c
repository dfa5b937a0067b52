/* libFuzzer target: command-line overrides (key=value, --key value, --key=value, bool --key, "--", positional
 * words) through config_parse_pos, with the real tables of `fedvssl pretrain` and `fedvssl finetune` (their
 * bounds, choices and list keys). The first byte picks the table; the rest are the words, one per line (words
 * naming config= are dropped: they would read files). Besides not crashing: a refusal is one line; after an
 * accepted command line every value lies within its key's bounds and choices, and the resolved configuration
 * written as YAML reads back to the same text. Seeds: tests/fuzz/corpus/overrides/, dictionary
 * tests/fuzz/overrides.dict. Build and run:
 *   make fuzz && ./build/fuzz/fuzz_overrides -dict=tests/fuzz/overrides.dict -max_total_time=60 CORPUS \
 *     tests/fuzz/corpus/overrides */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/cmd/finetune_config.h"
#include "../../src/cmd/pretrain_config.h"
#include "../../src/core/config.h"

/* a broken property stops the run like a crash, saying which */
#define check(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            __builtin_trap();                                                        \
        }                                                                            \
    } while (0)

static int in_choices(const char *v, const char *choices) {
    size_t n = strlen(v);
    for (const char *c = choices; c;) {
        const char *bar = strchr(c, '|');
        size_t l = bar ? (size_t)(bar - c) : strlen(c);
        if (l == n && !memcmp(c, v, n)) return 1;
        c = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int in_bounds(double v, const CfgKey *k) { return k->min >= k->max || (v >= k->min && v <= k->max); }

/* every value as its key allows */
static void check_values(const CfgKey *keys, int n) {
    for (int i = 0; i < n; i++) {
        const CfgKey *k = &keys[i];
        switch (k->type) {
        case CFG_INT: check(in_bounds(*(int *)k->dst, k)); break;
        case CFG_BOOL: check(*(int *)k->dst == 0 || *(int *)k->dst == 1); break;
        case CFG_FLOAT: check(isfinite(*(double *)k->dst) && in_bounds(*(double *)k->dst, k)); break;
        case CFG_STR: check(*(const char **)k->dst != NULL); break;
        case CFG_ENUM: check(in_choices(*(const char **)k->dst, k->choices)); break;
        case CFG_FLOATS: {
            const CfgFloats *f = k->dst;
            check(f->n >= 0 && f->n <= CFG_FLOATS_MAX);
            for (int j = 0; j < f->n; j++) check(isfinite(f->v[j]) && in_bounds(f->v[j], k));
            break;
        }
        case CFG_IGNORED: check(k->dst == NULL); break; /* nothing is stored */
        }
    }
}

static void round_trip(const CfgKey *keys, int n) {
    char err[512];
    char *a = config_to_yaml(keys, n);
    check(!config_set_defaults(keys, n, err, sizeof err));
    check(!config_parse_yaml_text(keys, n, a, strlen(a), "written.yaml", err, sizeof err));
    char *b = config_to_yaml(keys, n);
    check(!strcmp(a, b));
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    static PretrainArgs pa;
    static FinetuneArgs fa;
    static CfgKey pk[64], fk[64];
    static int npk, nfk;
    if (!npk) npk = pretrain_config_keys(&pa, pk), nfk = finetune_config_keys(&fa, fk);
    if (len < 1) return 0;
    const CfgKey *keys = data[0] & 1 ? fk : pk;
    int nk = data[0] & 1 ? nfk : npk;
    char *text = malloc(len), *argv[66];
    memcpy(text, data + 1, len - 1);
    text[len - 1] = 0;
    int argc = 0;
    argv[argc++] = data[0] & 1 ? "finetune" : "pretrain";
    for (char *t = strtok(text, "\n"); t && argc < 65; t = strtok(NULL, "\n"))
        if (!strstr(t, "config")) argv[argc++] = t;
    argv[argc] = NULL;
    const char *pos[2];
    int np = -1;
    char err[512];
    err[0] = 0;
    int rc = config_parse_pos(keys, nk, argc, argv, pos, 2, &np, err, sizeof err);
    check(rc == 0 || rc == 1 || rc == -1);
    if (rc == -1) check(err[0] && !strchr(err, '\n'));
    if (rc == 0) {
        check(np >= 0 && np <= 2);
        check_values(keys, nk);
        round_trip(keys, nk);
    }
    free(text);
    config_free();
    return 0;
}
