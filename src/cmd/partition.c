/* fedvssl partition: client splits exactly as the reference scripts write them (spec §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/args.h"
#include "../core/util.h"
#include "../data/annotations.h"
#include "../core/fsutil.h"
#include "../data/partition.h"
#include "commands.h"

int cmd_partition(int argc, char **argv) {
    const char *dataset = "ucf101", *json_path = NULL, *out = NULL, *input = NULL;
    int clients = 10, split = 1, seed = 7;
    Opt opts[] = {
        {"dataset", OPT_STR, &dataset, "ucf101, hmdb51 or k400"},
        {"json-path", OPT_STR, &json_path, "ucf101/hmdb51: annotations dir (uses train_split_<split>.json) or a .json"},
        {"output-path", OPT_STR, &out, "where client_dist<N>.json go (k400 default ./non_iid/)"},
        {"input-path", OPT_STR, &input, "k400: train list of 'name label' lines"},
        {"num-clients", OPT_INT, &clients, "ucf101/hmdb51: clients"},
        {"split", OPT_INT, &split, "ucf101/hmdb51: split number"},
        {"seed", OPT_INT, &seed, "ucf101/hmdb51: random.seed"},
    };
    args_parse(argc, argv, "partition",
               "[--dataset ucf101] --json-path <annotations> --output-path <dir> [options]\n"
               "       fedvssl partition --dataset k400 --input-path <train list> [--output-path ./non_iid/]\n"
               "UCF-101/HMDB-51: random.seed(seed); random.shuffle(train_split_<split>.json); client i gets\n"
               "[int(i*n/C), int((i+1)*n/C)). K400: the non-IID split of 100 clients (seeds 1234/4321).\n"
               "Writes client_dist<N>.json (indent 2) exactly as the Python scripts do.",
               opts, sizeof opts / sizeof *opts);
    char err[1024];
    AnnList list;
    if (!strcmp(dataset, "k400") || !strcmp(dataset, "kinetics400")) {
        if (!input) die("partition --dataset k400 needs --input-path <train list>");
        if (!out) out = "./non_iid/";
        if (ann_load_txt(input, 1, &list, err, sizeof err)) die("%s", err);
        AnnList *cl = xcalloc(K400_CLIENTS, sizeof *cl);
        if (partition_k400_noniid(&list, cl, err, sizeof err)) die("%s: %s", input, err);
        partition_write(out, cl, K400_CLIENTS);
        printf("partition: %d entries -> %d non-IID clients in %s\n", list.n, K400_CLIENTS, out);
        free(cl);
    } else if (!strcmp(dataset, "ucf101") || !strcmp(dataset, "hmdb51")) {
        if (!json_path || !out) die("partition needs --json-path and --output-path (see --help)");
        if (clients < 1 || clients > 1000000) die("partition: --num-clients: expected 1..1000000, got %d", clients);
        if (split < 1 || split > 99) die("partition: --split: expected 1..99, got %d", split);
        char *file;
        if (is_dir(json_path)) {
            char name[64];
            snprintf(name, sizeof name, "train_split_%d.json", split);
            file = path_join(json_path, name);
        } else
            file = xstrdup(json_path);
        if (ann_load_json(file, &list, err, sizeof err)) die("%s", err);
        AnnList *cl = xcalloc((size_t)clients, sizeof *cl);
        partition_iid(&list, clients, seed, cl);
        partition_write(out, cl, clients);
        printf("partition: %d entries of %s -> %d clients (seed %d) in %s\n", list.n, file, clients, seed, out);
        free(cl);
        free(file);
    } else
        die("partition: unknown --dataset '%s' (ucf101, hmdb51 or k400)", dataset);
    ann_free(&list);
    return 0;
}
