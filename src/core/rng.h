/* Counter-based random numbers: the value at (seed, index) never depends on call order or thread
 * count. splitmix64 finaliser over seed and counter. */
#ifndef FEDVSSL_RNG_H
#define FEDVSSL_RNG_H
#include <math.h>
#include <stdint.h>

static inline uint64_t rng_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline uint64_t rng_at(uint64_t seed, uint64_t i) {
    return rng_mix(rng_mix(seed + 0x9e3779b97f4a7c15ULL) + i * 0x9e3779b97f4a7c15ULL);
}
/* Uniform in [0, 1) with 24 random bits (exact in float). */
static inline float rng_uniform_at(uint64_t seed, uint64_t i) { return (rng_at(seed, i) >> 40) * (1.0f / 16777216.0f); }
/* Standard normal (Box-Muller on two counters). */
static inline double rng_normal_at(uint64_t seed, uint64_t i) {
    double u1 = ((rng_at(seed, 2 * i) >> 11) + 1) * (1.0 / 9007199254740993.0);
    double u2 = (rng_at(seed, 2 * i + 1) >> 11) * (1.0 / 9007199254740992.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
#endif
