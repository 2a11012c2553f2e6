/* Small dense vector loops over the embedding dimension, written so that
 * GCC/Clang -O3 vectorize them WITHOUT -ffast-math.
 *
 * A float sum is not associative, so a plain `s += x[i] * y[i]` loop stays
 * scalar unless the compiler may reorder it.  w2v_dot therefore keeps
 * W2V_LANES independent partial sums in a fixed order: each lane is one SIMD
 * lane (one 8-wide AVX register or two 4-wide SSE registers), the result is the
 * same whatever width the compiler picks, and it is deterministic. */
#ifndef W2V_VECOPS_H
#define W2V_VECOPS_H

#include "w2v_types.h"

#define W2V_LANES 8

static inline real_t w2v_dot(const real_t *restrict x, const real_t *restrict y, int n) {
    real_t acc[W2V_LANES] = {0};
    int i = 0;
    for (; i + W2V_LANES <= n; i += W2V_LANES)
        for (int k = 0; k < W2V_LANES; k++)
            acc[k] += x[i + k] * y[i + k];
    real_t tail = 0;
    for (; i < n; i++)
        tail += x[i] * y[i];
    /* pairwise fold of the lanes: fixed order, mirrored by tests/reference.py */
    return (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))) + tail;
}

/* y += a * x */
static inline void w2v_axpy(real_t a, const real_t *restrict x, real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* The two halves of one logistic step on an output row, fused in one pass:
 * grad += g * out (with the row's value before this step), out += g * h. */
static inline void w2v_update_row(real_t g, const real_t *restrict h, real_t *restrict out,
                                  real_t *restrict grad, int n) {
    for (int i = 0; i < n; i++) {
        real_t o = out[i];
        grad[i] += g * o;
        out[i] = o + g * h[i];
    }
}

static inline void w2v_copy(const real_t *restrict x, real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] = x[i];
}

static inline void w2v_add(const real_t *restrict x, real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] += x[i];
}

static inline void w2v_scale(real_t a, real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] *= a;
}

static inline void w2v_zero(real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] = 0;
}

#endif
