/* CPython's `random` module core (Mersenne Twister MT19937 with CPython's seeding), so partitions
 * made here list the same videos in the same order as the reference scripts' random.shuffle. */
#ifndef FEDVSSL_PYRANDOM_H
#define FEDVSSL_PYRANDOM_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t mt[624];
    int index;
} PyRandom;

/* random.seed(n) for a Python int n: key = 32-bit words of |n|, least significant first. */
void pyrandom_seed(PyRandom *r, int64_t n);
uint32_t pyrandom_u32(PyRandom *r);
/* random.getrandbits(k), 0 <= k <= 64. */
uint64_t pyrandom_getrandbits(PyRandom *r, int k);
/* random._randbelow(n) (getrandbits rejection sampling), n >= 1. */
uint64_t pyrandom_randbelow(PyRandom *r, uint64_t n);
/* random.random() in [0, 1). */
double pyrandom_random(PyRandom *r);
/* random.shuffle(x) for an array of n elements of `size` bytes. */
void pyrandom_shuffle(PyRandom *r, void *x, size_t n, size_t size);

#endif
