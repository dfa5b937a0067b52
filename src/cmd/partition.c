/* fedvssl partition: client splits exactly as the reference scripts write them (spec §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "../data/annotations.h"
#include "../data/fsutil.h"
#include "../data/partition.h"
#include "commands.h"

static void usage(void) {
    printf("usage: fedvssl partition [--dataset ucf101] --json-path <annotations dir or .json> --output-path <dir>\n"
           "                         [--num-clients 10] [--seed 7] [--split 1]\n"
           "       fedvssl partition --dataset k400 --input-path <train list 'name label'> [--output-path ./non_iid/]\n"
           "UCF-101/HMDB-51: random.seed(seed); random.shuffle(train_split_<split>.json); client i gets\n"
           "[int(i*n/C), int((i+1)*n/C)). K400: the non-IID split of 100 clients (seeds 1234/4321).\n"
           "Writes client_dist<N>.json (indent 2) exactly as the Python scripts do.\n");
}

static long parse_long(const char *opt, const char *v, long lo, long hi) {
    char *e;
    long x = strtol(v, &e, 10);
    if (!*v || *e || x < lo || x > hi) die("--%s: expected an integer in %ld..%ld, got '%s'", opt, lo, hi, v);
    return x;
}

int cmd_partition(int argc, char **argv) {
    const char *dataset = "ucf101", *json_path = NULL, *out = NULL, *input = NULL, *v;
    long clients = 10, split = 1;
    long long seed = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return usage(), 0;
        else if ((v = opt_value(argc, argv, &i, "dataset"))) dataset = v;
        else if ((v = opt_value(argc, argv, &i, "json-path"))) json_path = v;
        else if ((v = opt_value(argc, argv, &i, "output-path")) || (v = opt_value(argc, argv, &i, "out-path"))) out = v;
        else if ((v = opt_value(argc, argv, &i, "input-path"))) input = v;
        else if ((v = opt_value(argc, argv, &i, "num-clients"))) clients = parse_long("num-clients", v, 1, 1000000);
        else if ((v = opt_value(argc, argv, &i, "split"))) split = parse_long("split", v, 1, 99);
        else if ((v = opt_value(argc, argv, &i, "seed"))) {
            char *e;
            seed = strtoll(v, &e, 10);
            if (!*v || *e) die("--seed: expected an integer, got '%s'", v);
        } else
            die("partition: unknown option '%s' (see --help)", argv[i]);
    }
    char err[1024];
    AnnList list;
    if (!strcmp(dataset, "k400") || !strcmp(dataset, "kinetics400")) {
        if (!input) die("partition --dataset k400 needs --input-path <train list>");
        if (!out) out = "./non_iid/";
        if (ann_load_txt(input, 1, &list, err, sizeof err)) die("%s", err);
        AnnList *cl = xcalloc(K400_CLIENTS, sizeof *cl);
        if (partition_k400_noniid(&list, cl, err, sizeof err)) die("%s: %s", input, err);
        if (mkdir_p(out)) die("%s: cannot create directory", out);
        for (int c = 0; c < K400_CLIENTS; c++) {
            char name[64];
            snprintf(name, sizeof name, "client_dist%d.json", c + 1);
            char *p = path_join(out, name);
            if (ann_write_json(p, cl[c].e, cl[c].n)) die("%s: cannot write", p);
            free(p);
            ann_free(&cl[c]);
        }
        printf("partition: %d entries -> %d non-IID clients in %s\n", list.n, K400_CLIENTS, out);
        free(cl);
    } else if (!strcmp(dataset, "ucf101") || !strcmp(dataset, "hmdb51")) {
        if (!json_path || !out) die("partition needs --json-path and --output-path (see --help)");
        char *file;
        if (is_dir(json_path)) {
            char name[64];
            snprintf(name, sizeof name, "train_split_%ld.json", split);
            file = path_join(json_path, name);
        } else
            file = xstrdup(json_path);
        if (ann_load_json(file, &list, err, sizeof err)) die("%s", err);
        AnnList *cl = xcalloc((size_t)clients, sizeof *cl);
        partition_iid(&list, (int)clients, seed, cl);
        if (mkdir_p(out)) die("%s: cannot create directory", out);
        for (long c = 0; c < clients; c++) {
            char name[64];
            snprintf(name, sizeof name, "client_dist%ld.json", c + 1);
            char *p = path_join(out, name);
            if (ann_write_json(p, cl[c].e, cl[c].n)) die("%s: cannot write", p);
            free(p);
            ann_free(&cl[c]);
        }
        printf("partition: %d entries of %s -> %ld clients (seed %lld) in %s\n", list.n, file, clients, seed, out);
        free(cl);
        free(file);
    } else
        die("partition: unknown --dataset '%s' (ucf101, hmdb51 or k400)", dataset);
    ann_free(&list);
    return 0;
}
