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

#if defined(__GNUC__) || defined(__clang__)
/* 8 floats: one AVX register.  Where AVX is missing the compiler splits it
 * into SSE halves through the stack, so the batched helpers below take a
 * `vec8` flag (a compile-time constant in each instruction-set copy of the
 * kernels, see csrc/train.c) and use 4-float vectors on the baseline copy.
 * -Wpsabi would warn that these helpers pass AVX values without AVX: they are
 * always inlined, so no call with that ABI exists. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
typedef real_t w2v_v8 __attribute__((vector_size(8 * sizeof(real_t))));

W2V_INLINE w2v_v8 w2v_load8(const real_t *p) {
    w2v_v8 v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

W2V_INLINE void w2v_store8(real_t *p, w2v_v8 v) {
    __builtin_memcpy(p, &v, sizeof(v));
}

W2V_INLINE void w2v_store4(real_t *p, w2v_v4 v) {
    __builtin_memcpy(p, &v, sizeof(v));
}

/* Dots of one row x against R rows at once, R a compile-time constant after
 * inlining (1..4): x is loaded once for all R products and the R accumulation
 * chains overlap instead of each waiting on its own adder latency.  Every
 * out[r] has exactly w2v_dot(x, rows[r], n)'s arithmetic: with W2V_LANES == 8
 * its two 4-float accumulators are the two halves of one 8-float vector. */
W2V_INLINE void w2v_dot_block(int vec8, const real_t *restrict x, real_t *const *rows, int R,
                              int n, real_t *restrict out) {
    w2v_v4 lo[4], hi[4];
    int i = 0;
    if (vec8 && W2V_LANES == 8) {
        w2v_v8 acc[4];
        for (int r = 0; r < R; r++)
            acc[r] = (w2v_v8){0};
        for (; i + 8 <= n; i += 8) {
            const w2v_v8 xv = w2v_load8(x + i);
            for (int r = 0; r < R; r++)
                acc[r] += xv * w2v_load8(rows[r] + i);
        }
        for (int r = 0; r < R; r++) {
            lo[r] = (w2v_v4){acc[r][0], acc[r][1], acc[r][2], acc[r][3]};
            hi[r] = (w2v_v4){acc[r][4], acc[r][5], acc[r][6], acc[r][7]};
        }
    } else {
        if (W2V_LANES != 8) {       /* other lane counts: one w2v_dot at a time */
            for (int r = 0; r < R; r++)
                out[r] = w2v_dot(x, rows[r], n);
            return;
        }
        for (int r = 0; r < R; r++)
            lo[r] = hi[r] = (w2v_v4){0};
        for (; i + 8 <= n; i += 8) {
            const w2v_v4 x0 = w2v_load4(x + i), x1 = w2v_load4(x + i + 4);
            for (int r = 0; r < R; r++) {
                lo[r] += x0 * w2v_load4(rows[r] + i);
                hi[r] += x1 * w2v_load4(rows[r] + i + 4);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        int j = i;
        if (j + 4 <= n) {            /* the leftover group of 4 goes to accumulator 0 */
            lo[r] += w2v_load4(x + j) * w2v_load4(rows[r] + j);
            j += 4;
        }
        lo[r] += hi[r];
        real_t tail = 0;
        for (; j < n; j++)
            tail += x[j] * rows[r][j];
        out[r] = ((lo[r][0] + lo[r][2]) + (lo[r][1] + lo[r][3])) + tail;
    }
}

/* out[r] = w2v_dot(x, rows[r], n) for r < count, in blocks of up to 4 rows. */
W2V_INLINE void w2v_dot_rows(int vec8, const real_t *restrict x, real_t *const *rows, int count,
                             int n, real_t *restrict out) {
    int r = 0;
    for (; r + 4 <= count; r += 4)
        w2v_dot_block(vec8, x, rows + r, 4, n, out + r);
    switch (count - r) {
    case 3: w2v_dot_block(vec8, x, rows + r, 3, n, out + r); break;
    case 2: w2v_dot_block(vec8, x, rows + r, 2, n, out + r); break;
    case 1: w2v_dot_block(vec8, x, rows + r, 1, n, out + r); break;
    default: break;
    }
}

/* One sweep of w2v_combine_rows over blocks of U vectors of type V (W floats):
 * the U accumulators stay in registers while every row streams past. */
#define W2V_COMBINE_SWEEP(V, W, LOAD, STORE, U)                              \
    for (; k + (U) * (W) <= n; k += (U) * (W)) {                              \
        V acc_[U];                                                            \
        for (int u = 0; u < (U); u++)                                         \
            acc_[u] = from_zero ? (V){0} : LOAD(y + k + u * (W));             \
        for (int c = 0; c < count; c++) {                                     \
            const real_t g_ = coef[c * stride];                               \
            const real_t *restrict row_ = rows[c] + k;                        \
            for (int u = 0; u < (U); u++)                                     \
                acc_[u] += g_ * LOAD(row_ + u * (W));                         \
        }                                                                     \
        for (int u = 0; u < (U); u++)                                         \
            STORE(y + k + u * (W), acc_[u]);                                  \
    }

/* A linear combination of rows added to y, in one pass over y:
 *   y[k] = (from_zero ? 0 : y[k]) + sum_{c < count} coef[c * stride] * rows[c][k]
 * summed in the order c = 0, 1, ... for every k (each step a*b+c, fused where
 * the target has FMA), so the result does not depend on the vector width.
 * 32 floats of y stay in registers while all the rows stream past: one load
 * per multiply-add, where count axpy passes would also load and store y for
 * every row.  `from_zero` and `vec8` are compile-time constants after inlining. */
W2V_INLINE void w2v_combine_rows(int vec8, real_t *restrict y, int from_zero, real_t *const *rows,
                                 const real_t *coef, int stride, int count, int n) {
    int k = 0;
    if (vec8) {
        W2V_COMBINE_SWEEP(w2v_v8, 8, w2v_load8, w2v_store8, 4)
        W2V_COMBINE_SWEEP(w2v_v8, 8, w2v_load8, w2v_store8, 1)
    } else {
        W2V_COMBINE_SWEEP(w2v_v4, 4, w2v_load4, w2v_store4, 8)
    }
    W2V_COMBINE_SWEEP(w2v_v4, 4, w2v_load4, w2v_store4, 1)
    for (; k < n; k++) {
        real_t a = from_zero ? 0 : y[k];
        for (int c = 0; c < count; c++)
            a += coef[c * stride] * rows[c][k];
        y[k] = a;
    }
}
#pragma GCC diagnostic pop

#else
/* Portable versions: the same arithmetic, one element at a time. */
W2V_INLINE void w2v_dot_rows(int vec8, const real_t *restrict x, real_t *const *rows, int count,
                             int n, real_t *restrict out) {
    (void)vec8;
    for (int r = 0; r < count; r++)
        out[r] = w2v_dot(x, rows[r], n);
}

W2V_INLINE void w2v_combine_rows(int vec8, real_t *restrict y, int from_zero, real_t *const *rows,
                                 const real_t *coef, int stride, int count, int n) {
    (void)vec8;
    for (int k = 0; k < n; k++) {
        real_t a = from_zero ? 0 : y[k];
        for (int c = 0; c < count; c++)
            a += coef[c * stride] * rows[c][k];
        y[k] = a;
    }
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
