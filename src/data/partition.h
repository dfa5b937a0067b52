/* Client partitions of the reference scripts (spec §6): UCF-101 IID (seeded shuffle + equal slices) and the
 * Kinetics-400 non-IID split (100 clients, 8 classes each). Both reproduce CPython's random exactly. */
#ifndef FEDVSSL_PARTITION_H
#define FEDVSSL_PARTITION_H
#include "annotations.h"

/* clients[0..num_clients) receive the slices of random.seed(seed); random.shuffle(list). */
void partition_iid(const AnnList *list, int num_clients, int64_t seed, AnnList *clients);

/* Writes clients[0..n) as <dir>/client_dist<i+1>.json (dir created) and frees the lists; dies on error. */
void partition_write(const char *dir, AnnList *clients, int n);

#define K400_CLIENTS 100
#define K400_CLASSES 400
/* clients[0..100). Labels must be 1..400; otherwise -1 with a message naming the entry. */
int partition_k400_noniid(const AnnList *list, AnnList *clients, char *err, size_t errlen);

#endif
