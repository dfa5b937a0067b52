/* CPython-compatible MT19937 (Modules/_randommodule.c behaviour, re-implemented from the algorithm). */
#include "pyrandom.h"

#include <string.h>

#define MT_N 624
#define MT_M 397

static void init_genrand(PyRandom *r, uint32_t s) {
    r->mt[0] = s;
    for (int i = 1; i < MT_N; i++) r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->index = MT_N;
}

static void init_by_array(PyRandom *r, const uint32_t *key, size_t klen) {
    uint32_t *mt = r->mt;
    init_genrand(r, 19650218u);
    size_t i = 1, j = 0;
    for (size_t k = MT_N > klen ? MT_N : klen; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
        i++, j++;
        if (i >= MT_N) mt[0] = mt[MT_N - 1], i = 1;
        if (j >= klen) j = 0;
    }
    for (size_t k = MT_N - 1; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        i++;
        if (i >= MT_N) mt[0] = mt[MT_N - 1], i = 1;
    }
    mt[0] = 0x80000000u;
}

void pyrandom_seed(PyRandom *r, int64_t n) {
    /* CPython uses |n| (for n = INT64_MIN the magnitude still fits in 64 unsigned bits). */
    uint64_t a = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    uint32_t key[2] = {(uint32_t)a, (uint32_t)(a >> 32)};
    init_by_array(r, key, key[1] ? 2 : 1);
}

uint32_t pyrandom_u32(PyRandom *r) {
    static const uint32_t mag01[2] = {0u, 0x9908b0dfu};
    uint32_t *mt = r->mt, y;
    if (r->index >= MT_N) {
        int kk;
        for (kk = 0; kk < MT_N - MT_M; kk++) {
            y = (mt[kk] & 0x80000000u) | (mt[kk + 1] & 0x7fffffffu);
            mt[kk] = mt[kk + MT_M] ^ (y >> 1) ^ mag01[y & 1];
        }
        for (; kk < MT_N - 1; kk++) {
            y = (mt[kk] & 0x80000000u) | (mt[kk + 1] & 0x7fffffffu);
            mt[kk] = mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1];
        }
        y = (mt[MT_N - 1] & 0x80000000u) | (mt[0] & 0x7fffffffu);
        mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1];
        r->index = 0;
    }
    y = mt[r->index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t pyrandom_getrandbits(PyRandom *r, int k) {
    if (k <= 0) return 0;
    if (k <= 32) return pyrandom_u32(r) >> (32 - k);
    /* CPython fills 32-bit words least significant first; the last word keeps its top bits. */
    uint64_t lo = pyrandom_u32(r);
    uint64_t hi = pyrandom_u32(r) >> (64 - k);
    return lo | hi << 32;
}

uint64_t pyrandom_randbelow(PyRandom *r, uint64_t n) {
    if (n == 0) return 0; /* undefined in CPython; callers never pass 0. n == 1 still draws, as CPython does */
    int k = 64 - __builtin_clzll(n);
    uint64_t v;
    do v = pyrandom_getrandbits(r, k);
    while (v >= n);
    return v;
}

double pyrandom_random(PyRandom *r) {
    uint32_t a = pyrandom_u32(r) >> 5, b = pyrandom_u32(r) >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

void pyrandom_shuffle(PyRandom *r, void *x, size_t n, size_t size) {
    unsigned char tmp[256], *p = x;
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)pyrandom_randbelow(r, (uint64_t)i + 1);
        for (size_t o = 0; o < size; o += sizeof tmp) { /* swap in chunks: any element size */
            size_t c = size - o < sizeof tmp ? size - o : sizeof tmp;
            memcpy(tmp, p + i * size + o, c);
            memcpy(p + i * size + o, p + j * size + o, c);
            memcpy(p + j * size + o, tmp, c);
        }
    }
}
