/* libFuzzer target: configuration from users (YAML files, key=value arguments). Build and run:
 *   make fuzz && mkdir -p /tmp/cfg && ./build/fuzz/fuzz_config /tmp/cfg tests/fuzz/corpus/config -max_total_time=120
 * Besides not crashing, checks the round trip: whatever was accepted is written as YAML that reads back
 * to the same text. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/config.h"

static int i1, i2, b1;
static double f1, f2;
static const char *s1, *s2, *e1;
static CfgFloats l1;
static const CfgKey keys[] = {
    {"rounds", CFG_INT, &i1, "20", NULL, 1, INT_MAX, ""},
    {"seed", CFG_INT, &i2, "7", NULL, 0, 0, ""},
    {"out", CFG_STR, &s1, "", NULL, 0, 0, ""},
    {"strategy.mix_coeff", CFG_FLOAT, &f1, "0.9", NULL, 0, 1, ""},
    {"strategy.fedavg", CFG_BOOL, &b1, "false", NULL, 0, 0, ""},
    {"strategy.name", CFG_ENUM, &e1, "fedvssl", "fedvssl|fedavg|yes", 0, 0, ""},
    {"optimizer.sgd.lr", CFG_FLOAT, &f2, "0.01", NULL, 0, 0, ""},
    {"optimizer.sgd.lr_steps", CFG_FLOATS, &l1, "[60, 120]", NULL, 0, 1000, ""},
    {"data_dir", CFG_STR, &s2, "data", NULL, 0, 0, ""},
};
#define NK ((int)(sizeof keys / sizeof *keys))

static void round_trip(void) {
    char err[512];
    char *a = config_to_yaml(keys, NK);
    if (config_set_defaults(keys, NK, err, sizeof err) || config_parse_yaml_text(keys, NK, a, strlen(a), "out", err, sizeof err)) {
        fprintf(stderr, "written YAML does not read back: %s\n%s", err, a);
        abort();
    }
    char *b = config_to_yaml(keys, NK);
    if (strcmp(a, b)) {
        fprintf(stderr, "round trip differs:\n%s---\n%s", a, b);
        abort();
    }
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    char err[512];
    if (config_set_defaults(keys, NK, err, sizeof err)) abort();
    if (!config_parse_yaml_text(keys, NK, (const char *)data, len, "fuzz.yaml", err, sizeof err)) round_trip();
    else if (strchr(err, '\n')) abort(); /* messages are one line */
    /* one setting by its dotted name, as test and retrieve read a run's config.yaml */
    char v[64];
    static const char *const look[] = {"data.crop", "strategy.mix_coeff", "rounds", "a.b.c.d"};
    for (int i = 0; i < 4; i++)
        if (config_yaml_lookup_text((const char *)data, len, look[i], v, sizeof v) == 1 && !memchr(v, 0, sizeof v)) abort();

    /* the same bytes as command-line words (one per line; no config= so no file is read) */
    char *text = malloc(len + 1), *argv[34];
    memcpy(text, data, len);
    text[len] = 0;
    int argc = 0;
    argv[argc++] = "fuzz";
    for (char *t = strtok(text, "\n"); t && argc < 33; t = strtok(NULL, "\n"))
        if (!strstr(t, "config")) argv[argc++] = t;
    argv[argc] = NULL;
    const char *pos[2];
    int np;
    if (!config_parse_pos(keys, NK, argc, argv, pos, 2, &np, err, sizeof err)) round_trip();
    free(text);
    config_free();
    return 0;
}
