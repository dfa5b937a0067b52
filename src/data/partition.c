/* Partitioning as data_partitioning_ucf.py / data_partitioning_k400.py do it (spec §6). */
#include "partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "../core/fsutil.h"
#include "pyrandom.h"

void partition_iid(const AnnList *list, int num_clients, int64_t seed, AnnList *clients) {
    int n = list->n;
    int *idx = xmalloc((size_t)(n ? n : 1) * sizeof *idx);
    for (int i = 0; i < n; i++) idx[i] = i;
    PyRandom r;
    pyrandom_seed(&r, seed);
    pyrandom_shuffle(&r, idx, (size_t)n, sizeof *idx);
    for (int c = 0; c < num_clients; c++) {
        /* Python: int(i * n / C) — true division of exact ints, then truncation; doubles do the same. */
        long a = (long)((double)((long long)c * n) / num_clients);
        long b = (long)((double)((long long)(c + 1) * n) / num_clients);
        memset(&clients[c], 0, sizeof clients[c]);
        for (long k = a; k < b && k < n; k++) ann_push(&clients[c], list->e[idx[k]].name, list->e[idx[k]].label);
    }
    free(idx);
}

typedef struct {
    int label, count;
} LabCount;

static int cmp_count(const void *a, const void *b) {
    const LabCount *x = a, *y = b;
    /* Python's sort is stable: ties keep label order, so compare the label second. */
    if (x->count != y->count) return x->count < y->count ? -1 : 1;
    return x->label < y->label ? -1 : x->label > y->label;
}

int partition_k400_noniid(const AnnList *list, AnnList *clients, char *err, size_t errlen) {
    /* per-class lists of entry indices, in file order */
    int *cnt = xcalloc(K400_CLASSES + 1, sizeof *cnt);
    for (int i = 0; i < list->n; i++) {
        int64_t l = list->e[i].label;
        if (l < 1 || l > K400_CLASSES) {
            snprintf(err, errlen, "entry %d ('%s'): label %lld is outside 1..%d", i + 1, list->e[i].name,
                     (long long)l, K400_CLASSES);
            free(cnt);
            return -1;
        }
        cnt[l]++;
    }
    int **members = xcalloc(K400_CLASSES + 1, sizeof *members);
    int *fill = xcalloc(K400_CLASSES + 1, sizeof *fill);
    for (int c = 1; c <= K400_CLASSES; c++) members[c] = xmalloc((size_t)(cnt[c] ? cnt[c] : 1) * sizeof(int));
    for (int i = 0; i < list->n; i++) {
        int l = (int)list->e[i].label;
        members[l][fill[l]++] = i;
    }
    LabCount order[K400_CLASSES];
    for (int c = 0; c < K400_CLASSES; c++) order[c] = (LabCount){c + 1, cnt[c + 1]};
    qsort(order, K400_CLASSES, sizeof order[0], cmp_count);

    for (int c = 0; c < K400_CLIENTS; c++) memset(&clients[c], 0, sizeof clients[c]);
    PyRandom r;
    for (int i = 0; i < 50; i++) {
        AnnList *c1 = &clients[i], *c2 = &clients[i + 50];
        for (int j = 0; j < 4; j++) {
            int lab1 = order[i + j].label, lab2 = order[K400_CLASSES - i - 5 + j].label;
            /* Both lists are shuffled in place and stay shuffled: a class revisited by the sliding
             * window is shuffled again from its current order, as in the script. */
            pyrandom_seed(&r, 1234);
            pyrandom_shuffle(&r, members[lab1], (size_t)cnt[lab1], sizeof(int));
            pyrandom_seed(&r, 4321);
            pyrandom_shuffle(&r, members[lab2], (size_t)cnt[lab2], sizeof(int));
            int h1 = cnt[lab1] / 2, h2 = cnt[lab2] / 2;
            /* client 1 gets first halves of lab1 then lab2; client 2 the second halves */
            for (int k = 0; k < h1; k++) ann_push(c1, list->e[members[lab1][k]].name, lab1);
            for (int k = 0; k < h2; k++) ann_push(c1, list->e[members[lab2][k]].name, lab2);
            for (int k = h1; k < cnt[lab1]; k++) ann_push(c2, list->e[members[lab1][k]].name, lab1);
            for (int k = h2; k < cnt[lab2]; k++) ann_push(c2, list->e[members[lab2][k]].name, lab2);
        }
    }
    for (int c = 1; c <= K400_CLASSES; c++) free(members[c]);
    free(members), free(fill), free(cnt);
    return 0;
}

void partition_write(const char *dir, AnnList *clients, int n) {
    if (mkdir_p(dir)) die("%s: cannot create directory", dir);
    for (int c = 0; c < n; c++) {
        char name[64];
        snprintf(name, sizeof name, "client_dist%d.json", c + 1);
        char *p = path_join(dir, name);
        if (ann_write_json(p, clients[c].e, clients[c].n)) die("%s: cannot write", p);
        free(p);
        ann_free(&clients[c]);
    }
}
