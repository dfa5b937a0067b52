/* Counter-based random numbers: a value is a pure function of (seed, counters), so results never
 * depend on call order or thread count. splitmix64 finaliser throughout. Two forms: random access
 * rng_at(seed, i), and streams Rng made from (seed, a, b, c), e.g. (run seed, epoch, sample). */
#ifndef FEDVSSL_RNG_H
#define FEDVSSL_RNG_H
#include <math.h>
#include <stdint.h>

/* Also compiled into CUDA kernels (dropout masks identical on every backend). */
#ifdef __CUDACC__
#define RNG_FN static inline __host__ __device__
#else
#define RNG_FN static inline
#endif

RNG_FN uint64_t rng_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
RNG_FN uint64_t rng_at(uint64_t seed, uint64_t i) {
    return rng_mix(rng_mix(seed + 0x9e3779b97f4a7c15ULL) + i * 0x9e3779b97f4a7c15ULL);
}
/* Uniform in [0, 1) with 24 random bits (exact in float). */
RNG_FN float rng_uniform_at(uint64_t seed, uint64_t i) { return (rng_at(seed, i) >> 40) * (1.0f / 16777216.0f); }
/* Standard normal (Box-Muller on two counters). */
static inline double rng_normal_at(uint64_t seed, uint64_t i) {
    double u1 = ((rng_at(seed, 2 * i) >> 11) + 1) * (1.0 / 9007199254740993.0);
    double u2 = (rng_at(seed, 2 * i + 1) >> 11) * (1.0 / 9007199254740992.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
typedef struct {
    uint64_t s;
} Rng;

static inline Rng rng_make(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
    uint64_t h = rng_mix(seed + 0x9e3779b97f4a7c15ull);
    h = rng_mix(h ^ (a + 0x632be59bd9b4e019ull));
    h = rng_mix(h ^ (b + 0x85157af5ull * 0x9e3779b9ull));
    h = rng_mix(h ^ (c + 0x2545f4914f6cdd1dull));
    return (Rng){h};
}

static inline uint64_t rng_u64(Rng *r) { return rng_mix(r->s += 0x9e3779b97f4a7c15ull); }

/* [0, 1) with 53 random bits */
static inline double rng_uniform(Rng *r) { return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }
static inline double rng_range(Rng *r, double lo, double hi) { return lo + (hi - lo) * rng_uniform(r); }
/* integer in [lo, hi] inclusive (multiply-shift; bias < 2^-32 for the small ranges used here) */
static inline int rng_int(Rng *r, int lo, int hi) {
    uint64_t n = (uint64_t)((int64_t)hi - lo + 1);
    return lo + (int)(((rng_u64(r) >> 32) * n) >> 32);
}
/* index drawn with the given probabilities (summing to 1) */
static inline int rng_choice(Rng *r, const double *p, int n) {
    double u = rng_uniform(r), acc = 0;
    for (int i = 0; i < n - 1; i++)
        if (u < (acc += p[i])) return i;
    return n - 1;
}

#endif
