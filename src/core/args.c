/* Command-line parsing shared by every subcommand. */
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void usage(const char *cmd, const char *synopsis, const Opt *opts, int n) {
    printf("usage: fedvssl %s %s\n\noptions (--name value, --name=value or name=value; '_' = '-'):\n", cmd, synopsis);
    for (int i = 0; i < n; i++) {
        char def[64] = "";
        switch (opts[i].type) {
        case OPT_STR: if (*(const char **)opts[i].dst) snprintf(def, sizeof def, " [%s]", *(const char **)opts[i].dst); break;
        case OPT_INT: snprintf(def, sizeof def, " [%d]", *(int *)opts[i].dst); break;
        case OPT_FLOAT: snprintf(def, sizeof def, " [%g]", *(double *)opts[i].dst); break;
        case OPT_FLAG: break;
        }
        printf("  --%-16s %s%s\n", opts[i].name, opts[i].help, def);
    }
}

static void set(const char *cmd, const Opt *o, const char *v) {
    char *end;
    errno = 0;
    switch (o->type) {
    case OPT_STR: *(const char **)o->dst = v; break;
    case OPT_INT: {
        long x = strtol(v, &end, 10);
        if (errno || *end || end == v) die("%s: --%s expects an integer, got '%s'", cmd, o->name, v);
        *(int *)o->dst = (int)x;
        break;
    }
    case OPT_FLOAT: {
        double x = strtod(v, &end);
        if (errno || *end || end == v) die("%s: --%s expects a number, got '%s'", cmd, o->name, v);
        *(double *)o->dst = x;
        break;
    }
    case OPT_FLAG:
        if (!strcmp(v, "1") || !strcmp(v, "true")) *(int *)o->dst = 1;
        else if (!strcmp(v, "0") || !strcmp(v, "false")) *(int *)o->dst = 0;
        else die("%s: --%s expects true or false, got '%s'", cmd, o->name, v);
        break;
    }
}

/* "json-path" also answers to "json_path", the spelling of the reference's Python scripts. */
static int same_name(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i] && !((a[i] == '-' || a[i] == '_') && (b[i] == '-' || b[i] == '_'))) return 0;
    return 1;
}

void args_parse(int argc, char **argv, const char *cmd, const char *synopsis, const Opt *opts, int n) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(cmd, synopsis, opts, n);
            exit(0);
        }
        int dashed = a[0] == '-' && a[1] == '-';
        const char *name = dashed ? a + 2 : a;
        const char *eq = strchr(name, '=');
        if (!dashed && !eq) die("%s: unexpected argument '%s' (see --help)", cmd, a);
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const Opt *o = NULL;
        for (int k = 0; k < n; k++)
            if (strlen(opts[k].name) == len && same_name(opts[k].name, name, len)) o = &opts[k];
        if (!o) die("%s: unknown option '%.*s' (see --help)", cmd, (int)len, name);
        if (eq) set(cmd, o, eq + 1);
        else if (o->type == OPT_FLAG) *(int *)o->dst = 1;
        else if (i + 1 < argc) set(cmd, o, argv[++i]);
        else die("%s: option --%s needs a value", cmd, o->name);
    }
}
