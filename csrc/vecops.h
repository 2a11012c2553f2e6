/* Small dense vector loops over the embedding dimension, written so that
 * GCC/Clang -O3 vectorize them WITHOUT -ffast-math.
 *
 * A float sum is not associative, so a plain `s += x[i] * y[i]` loop stays
 * scalar unless the compiler may reorder it.  w2v_dot therefore keeps
 * W2V_LANES independent partial sums in a fixed order, written with 4-float
 * vectors: the result does not depend on the instruction set (up to FMA
 * contraction where the target has FMA), and it is deterministic. */
#ifndef W2V_VECOPS_H
#define W2V_VECOPS_H

#include "w2v_types.h"

/* Forced inlining: csrc/train.c compiles its entry points once per target
 * (target_clones); a helper left out of line would run the baseline code. */
#if defined(__GNUC__) || defined(__clang__)
#define W2V_INLINE static inline __attribute__((always_inline))
#else
#define W2V_INLINE static inline
#endif

#ifndef W2V_LANES
#define W2V_LANES 8
#endif

#if defined(__GNUC__) || defined(__clang__)
/* GNU vector extension, 4 floats = one SSE register on every x86-64 (a wider
 * type is split through the stack where AVX is missing).  The W2V_LANES lanes
 * are W2V_LANES/4 independent vector accumulators: several dependency chains
 * keep the adders busy instead of waiting on one chain's latency. */
typedef real_t w2v_v4 __attribute__((vector_size(4 * sizeof(real_t))));
#define W2V_NACC (W2V_LANES / 4)

W2V_INLINE w2v_v4 w2v_load4(const real_t *p) {
    w2v_v4 v;
    __builtin_memcpy(&v, p, sizeof(v));   /* unaligned load, no aliasing games */
    return v;
}

/* Lane order (tests/reference.py mirrors it): elements [i, i+W2V_LANES) go to
 * accumulators 0..W2V_NACC-1; after the main loop, the remaining whole groups
 * of 4 go to accumulators 0, 1, ...; accumulators are folded pairwise
 * (acc[k] + acc[k + half]), then the 4 lanes as (l0 + l2) + (l1 + l3); the last
 * n % 4 products are summed in order and added at the end. */
W2V_INLINE real_t w2v_dot(const real_t *restrict x, const real_t *restrict y, int n) {
    w2v_v4 acc[W2V_NACC];
    for (int k = 0; k < W2V_NACC; k++)
        acc[k] = (w2v_v4){0, 0, 0, 0};
    int i = 0;
    for (; i + W2V_LANES <= n; i += W2V_LANES)
        for (int k = 0; k < W2V_NACC; k++)
            acc[k] += w2v_load4(x + i + 4 * k) * w2v_load4(y + i + 4 * k);
    for (int k = 0; i + 4 <= n; i += 4, k++)
        acc[k] += w2v_load4(x + i) * w2v_load4(y + i);
    for (int half = W2V_NACC / 2; half >= 1; half /= 2)
        for (int k = 0; k < half; k++)
            acc[k] += acc[k + half];
    real_t tail = 0;
    for (; i < n; i++)
        tail += x[i] * y[i];
    return ((acc[0][0] + acc[0][2]) + (acc[0][1] + acc[0][3])) + tail;
}
#else
/* Portable version of the same arithmetic, lane by lane. */
W2V_INLINE real_t w2v_dot(const real_t *restrict x, const real_t *restrict y, int n) {
    real_t acc[W2V_LANES] = {0};
    int i = 0;
    for (; i + W2V_LANES <= n; i += W2V_LANES)
        for (int k = 0; k < W2V_LANES; k++)
            acc[k] += x[i + k] * y[i + k];
    for (int k = 0; i + 4 <= n; i += 4, k += 4)
        for (int l = 0; l < 4; l++)
            acc[k + l] += x[i + l] * y[i + l];
    for (int half = W2V_LANES / 2; half >= 4; half /= 2)
        for (int k = 0; k < half; k++)
            acc[k] += acc[k + half];
    real_t tail = 0;
    for (; i < n; i++)
        tail += x[i] * y[i];
    return ((acc[0] + acc[2]) + (acc[1] + acc[3])) + tail;
}
#endif

/* The two halves of one logistic step on an output row, fused in one pass:
 * grad += g * out (with the row's value before this step), out += g * h. */
W2V_INLINE void w2v_update_row(real_t g, const real_t *restrict h, real_t *restrict out,
                                  real_t *restrict grad, int n) {
    for (int i = 0; i < n; i++) {
        real_t o = out[i];
        grad[i] += g * o;
        out[i] = o + g * h[i];
    }
}

W2V_INLINE void w2v_copy(const real_t *restrict x, real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] = x[i];
}

W2V_INLINE void w2v_add(const real_t *restrict x, real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] += x[i];
}

W2V_INLINE void w2v_scale(real_t a, real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] *= a;
}

W2V_INLINE void w2v_zero(real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] = 0;
}

#endif
