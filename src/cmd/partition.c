/* fedvssl partition: client splits exactly as the reference scripts write them (spec §6). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "../core/util.h"
#include "../data/annotations.h"
#include "../core/fsutil.h"
#include "../data/partition.h"
#include "commands.h"

int cmd_partition(int argc, char **argv) {
    const char *dataset, *json_path, *out, *input;
    int clients, split, seed;
    const CfgKey keys[] = {
        {"dataset", CFG_ENUM, &dataset, "ucf101", "ucf101|hmdb51|k400|kinetics400", 0, 0, "the dataset's lists"},
        {"json_path", CFG_STR, &json_path, "", NULL, 0, 0,
         "ucf101/hmdb51: annotations dir (uses train_split_<split>.json) or a .json"},
        {"output_path", CFG_STR, &out, "", NULL, 0, 0, "where client_dist<N>.json go (k400: \"\" = ./non_iid/)"},
        {"input_path", CFG_STR, &input, "", NULL, 0, 0, "k400: train list of 'name label' lines"},
        {"num_clients", CFG_INT, &clients, "10", NULL, 1, 1000000, "ucf101/hmdb51: clients"},
        {"split", CFG_INT, &split, "1", NULL, 1, 99, "ucf101/hmdb51: split number"},
        {"seed", CFG_INT, &seed, "7", NULL, INT_MIN, INT_MAX, "ucf101/hmdb51: random.seed"},
    };
    config_cli("partition",
               "[--dataset ucf101] --json-path <annotations> --output-path <dir> [options]\n"
               "       fedvssl partition --dataset k400 --input-path <train list> [--output-path ./non_iid/]\n"
               "UCF-101/HMDB-51: random.seed(seed); random.shuffle(train_split_<split>.json); client i gets\n"
               "[int(i*n/C), int((i+1)*n/C)). K400: the non-IID split of 100 clients (seeds 1234/4321).\n"
               "Writes client_dist<N>.json (indent 2) exactly as the Python scripts do.",
               keys, (int)(sizeof keys / sizeof *keys), argc, argv, NULL, 0);
    char err[1024];
    AnnList list;
    if (!strcmp(dataset, "k400") || !strcmp(dataset, "kinetics400")) {
        if (!input[0]) die("partition --dataset k400 needs --input-path <train list>");
        if (!out[0]) out = "./non_iid/";
        if (ann_load_txt(input, 1, &list, err, sizeof err)) die("%s", err);
        AnnList *cl = xcalloc(K400_CLIENTS, sizeof *cl);
        if (partition_k400_noniid(&list, cl, err, sizeof err)) die("%s: %s", input, err);
        partition_write(out, cl, K400_CLIENTS);
        printf("partition: %d entries -> %d non-IID clients in %s\n", list.n, K400_CLIENTS, out);
        free(cl);
    } else { /* ucf101, hmdb51 */
        if (!json_path[0] || !out[0]) die("partition needs --json-path and --output-path (see --help)");
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
    }
    ann_free(&list);
    config_free();
    return 0;
}
