/* Per-thread random numbers: splitmix64 (Steele, Lea & Flood 2014), the
 * generator fixed by ARCHITECTURE.md "Random numbers".  One 64-bit state per
 * thread; no locks, no shared state, so Hogwild workers never contend on it. */
#ifndef W2V_RNG_H
#define W2V_RNG_H

#include <stdint.h>

static inline uint64_t w2v_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform index in [0, n) from the high 32 bits by multiply-shift (Lemire):
 * no division, bias below 2^-32 * n, irrelevant for sampling. */
static inline uint32_t w2v_rng_below(uint64_t r, uint32_t n) {
    return (uint32_t)(((r >> 32) * (uint64_t)n) >> 32);
}

#endif
