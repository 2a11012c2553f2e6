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

#include <stddef.h>

#include "w2v_types.h"

/* Forced inlining: csrc/train_kernels.h is compiled once per target, with the
 * target attribute on its entry points only; a helper left out of line would
 * run the baseline code. */
#if defined(__GNUC__) || defined(__clang__)
#define W2V_INLINE static inline __attribute__((always_inline))
#else
#define W2V_INLINE static inline
#endif

#ifndef W2V_LANES
#define W2V_LANES 8
#endif

/* 8-float vectors per row pass in w2v_step_rows (1..4): that many independent
 * accumulation chains into grad.  2 measured best on Zen 3 (bench_ab, CBOW at
 * 231k words: 1 was 0.94-0.96 of the two-pass update, 2 1.04, 4 1.00). */
#ifndef W2V_STEP_UNROLL
#define W2V_STEP_UNROLL 2
#endif
/* The same for 16-float vectors (the x86-64-v4 copy). */
#ifndef W2V_STEP_UNROLL16
#define W2V_STEP_UNROLL16 2
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

/* w2v_step_rows' arithmetic on columns [k, n), one float at a time: its tail,
 * and all of it where the GNU vector extension is missing. */
W2V_INLINE void w2v_step_columns(const real_t *restrict h, real_t *const *rows, const real_t *g,
                                 int count, real_t *restrict grad, int k, int n) {
    for (; k < n; k++) {
        real_t a = grad[k];
        for (int r = 0; r < count; r++) {
            const real_t o = rows[r][k];
            a += g[r] * o;
            rows[r][k] = o + g[r] * h[k];
        }
        grad[k] = a;
    }
}

/* w2v_rows_pass' arithmetic on columns [k, n), one float at a time: its tail,
 * and all of it where the GNU vector extension is missing. */
W2V_INLINE void w2v_rows_columns(int scatter, real_t *restrict y, int from_zero,
                                 real_t *const *rows, const real_t *coef, int stride, int count,
                                 int k, int n) {
    for (; k < n; k++) {
        if (scatter) {
            for (int c = 0; c < count; c++)
                rows[c][k] += y[k];
            continue;
        }
        real_t a = from_zero ? 0 : y[k];
        for (int c = 0; c < count; c++)
            a += coef[c * stride] * rows[c][k];
        y[k] = a;
    }
}

#if defined(__GNUC__) || defined(__clang__)
/* 8 floats: one AVX register.  Where AVX is missing the compiler splits it
 * into SSE halves through the stack, so the batched helpers below take the
 * vector width `vw` in floats (16, 8 or 4: a compile-time constant in each
 * instruction-set copy of the kernels, W2V_VW in csrc/train_kernels.h) and use
 * 4-float vectors on the baseline copy, 16-float ones only on the AVX-512 copy.
 * -Wpsabi would warn that these helpers pass AVX values without AVX: they are
 * always inlined, so no call with that ABI exists. */
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
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

/* 16 floats: one AVX-512 register, used by the x86-64-v4 copy only (vw == 16):
 * in the helpers whose arithmetic is column by column (the same as with 8 or 4
 * floats at a time), and for the dots' 16-lane partial sums (w2v_dot_block). */
typedef real_t w2v_v16 __attribute__((vector_size(16 * sizeof(real_t))));

W2V_INLINE w2v_v16 w2v_load16(const real_t *p) {
    w2v_v16 v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

W2V_INLINE void w2v_store16(real_t *p, w2v_v16 v) {
    __builtin_memcpy(p, &v, sizeof(v));
}

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)     /* clang, GCC >= 12 */
#define W2V_HAVE_SHUFFLEVECTOR 1
#endif
#endif
#ifndef W2V_HAVE_SHUFFLEVECTOR
#define W2V_HAVE_SHUFFLEVECTOR 0
#endif

/* Lanes of two 4-float vectors a (0-3) and b (4-7), and of two 8-float vectors
 * a (0-7) and b (8-15); GCC before 12 has only __builtin_shuffle. */
#if W2V_HAVE_SHUFFLEVECTOR
#define W2V_SHUFFLE4(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#define W2V_SHUFFLE8(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
typedef int32_t w2v_i4 __attribute__((vector_size(4 * sizeof(int32_t))));
typedef int32_t w2v_i8 __attribute__((vector_size(8 * sizeof(int32_t))));
#define W2V_SHUFFLE4(a, b, i, j, k, l) __builtin_shuffle(a, b, (w2v_i4){i, j, k, l})
#define W2V_SHUFFLE8(a, b, ...) __builtin_shuffle(a, b, (w2v_i8){__VA_ARGS__})
#endif

/* A 4-float vector in lanes 0-3 of an 8-float one, lanes 4-7 zero (a 16-byte
 * load into a 32-byte register clears its upper half: one instruction). */
W2V_INLINE w2v_v8 w2v_widen4(w2v_v4 v) {
    const w2v_v4 zero = {0, 0, 0, 0};
#if W2V_HAVE_SHUFFLEVECTOR
    /* GCC 12 builds the element list below from a scalar load and seven
     * inserts per operand; a shuffle is the one zero-extending load */
    return __builtin_shufflevector(v, zero, 0, 1, 2, 3, 4, 5, 6, 7);
#else
    return (w2v_v8){v[0], v[1], v[2], v[3], zero[0], zero[1], zero[2], zero[3]};
#endif
}

/* A 16-lane partial sum folded to 8 lanes: lanes l + 8 added into lanes l. */
W2V_INLINE w2v_v8 w2v_fold16(w2v_v16 v) {
    w2v_v8 lo, hi;
    __builtin_memcpy(&lo, &v, sizeof(lo));
    __builtin_memcpy(&hi, (char *)&v + sizeof(lo), sizeof(hi));
    return lo + hi;
}

/* w2v_dot_block with 8-float vectors from column i on, R (1..8) partial sums
 * acc[r] already holding columns [0, i) (acc[R..8) zero): the whole groups of
 * 8, the leftover group of 4, the last n % 4 products, then the folds into out[r]. */
W2V_INLINE void w2v_dot_finish8(const real_t *restrict x, real_t *const *rows, int R, int n,
                                int i, w2v_v8 *acc, real_t *restrict out) {
    real_t tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (; i + 8 <= n; i += 8) {
        const w2v_v8 xv = w2v_load8(x + i);
        for (int r = 0; r < R; r++)
            acc[r] += xv * w2v_load8(rows[r] + i);
    }
    if (i + 4 <= n) {       /* the leftover group of 4 goes to accumulator 0: lanes 0-3 */
        const w2v_v8 xv = w2v_widen4(w2v_load4(x + i));
        for (int r = 0; r < R; r++)
            acc[r] += xv * w2v_widen4(w2v_load4(rows[r] + i));
        i += 4;
    }
    /* The last n % 4 products of each row, summed in order (a vector of
     * zeros when there are none: no store and reload on the common path) */
    w2v_v8 tailv = {0};
    if (i < n) {
        for (; i < n; i++)
            for (int r = 0; r < R; r++)
                tail[r] += x[i] * rows[r][i];
        tailv = w2v_load8(tail);
    }
    /* The folds of 8 dots at once, w2v_dot's order: half of vector t[q] is
     * row q's (low) or row q + 4's (high) accumulator 0 + accumulator 1,
     * then each half as the 4-float fold below. */
    w2v_v8 t[4];
    for (int q = 0; q < 4; q++)
        t[q] = W2V_SHUFFLE8(acc[q], acc[q + 4], 0, 1, 2, 3, 8, 9, 10, 11) +
               W2V_SHUFFLE8(acc[q], acc[q + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    const w2v_v8 a = W2V_SHUFFLE8(t[0], t[1], 0, 8, 1, 9, 4, 12, 5, 13) +
                     W2V_SHUFFLE8(t[0], t[1], 2, 10, 3, 11, 6, 14, 7, 15);
    const w2v_v8 b = W2V_SHUFFLE8(t[2], t[3], 0, 8, 1, 9, 4, 12, 5, 13) +
                     W2V_SHUFFLE8(t[2], t[3], 2, 10, 3, 11, 6, 14, 7, 15);
    const w2v_v8 res = (W2V_SHUFFLE8(a, b, 0, 1, 8, 9, 4, 5, 12, 13) +
                        W2V_SHUFFLE8(a, b, 2, 3, 10, 11, 6, 7, 14, 15)) + tailv;
    for (int r = 0; r < R; r++)
        out[r] = res[r];
}

/* Dots of one row x against R rows at once, R a compile-time constant after
 * inlining (1..8): x is loaded once for all R products and the R accumulation
 * chains overlap instead of each waiting on its own adder latency.  With
 * vw == 8 every out[r] has exactly w2v_dot(x, rows[r], n)'s arithmetic (with
 * vw == 16 the groups of 16 go to twice as many partial sums first, a rounding
 * apart, 1.06x in the shared-negative kernel on Zen 5): with W2V_LANES == 8
 * its two 4-float accumulators are the two halves of one 8-float vector (the
 * leftover group of 4 is a multiply-add of zeros into the upper half, which
 * can only turn a -0 there into +0).  With 8-float vectors the folds of up to
 * 8 dots are done together, a few shuffles for all of them. */
W2V_INLINE void w2v_dot_block(int vw, const real_t *restrict x, real_t *const *rows, int R,
                              int n, real_t *restrict out) {
    real_t tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    if (vw >= 8 && W2V_LANES == 8) {
        /* acc[r]'s lanes 0-3 are w2v_dot's accumulator 0, lanes 4-7 its accumulator 1 */
        w2v_v8 acc[8];
        for (int r = 0; r < 8; r++)
            acc[r] = (w2v_v8){0};
        if (vw >= 16) {
            /* AVX-512: whole groups of 16 into 16-lane accumulators, folded into
             * acc (lanes 8-15 are a second pair of accumulators: not w2v_dot's
             * order, a rounding apart; zeros when n < 16) */
            w2v_v16 acc16[8];
            for (int r = 0; r < 8; r++)
                acc16[r] = (w2v_v16){0};
            for (; i + 16 <= n; i += 16) {
                const w2v_v16 xv = w2v_load16(x + i);
                for (int r = 0; r < R; r++)
                    acc16[r] += xv * w2v_load16(rows[r] + i);
            }
            for (int r = 0; r < R; r++)
                acc[r] = w2v_fold16(acc16[r]);
        }
        w2v_dot_finish8(x, rows, R, n, i, acc, out);
        return;
    }
    if (W2V_LANES != 8) {           /* other lane counts: one w2v_dot at a time */
        for (int r = 0; r < R; r++)
            out[r] = w2v_dot(x, rows[r], n);
        return;
    }
    w2v_v4 lo[8], hi[8], sum[8];
    for (int r = 0; r < R; r++)
        lo[r] = hi[r] = (w2v_v4){0};
    for (; i + 8 <= n; i += 8) {
        const w2v_v4 x0 = w2v_load4(x + i), x1 = w2v_load4(x + i + 4);
        for (int r = 0; r < R; r++) {
            lo[r] += x0 * w2v_load4(rows[r] + i);
            hi[r] += x1 * w2v_load4(rows[r] + i + 4);
        }
    }
    for (int r = 0; r < R; r++) {
        int j = i;
        if (j + 4 <= n) {            /* the leftover group of 4 goes to accumulator 0 */
            lo[r] += w2v_load4(x + j) * w2v_load4(rows[r] + j);
            j += 4;
        }
        sum[r] = lo[r] + hi[r];
        for (; j < n; j++)
            tail[r] += x[j] * rows[r][j];
    }
    for (int r = R; r < 8; r++)
        sum[r] = (w2v_v4){0};
    /* The last folds, 4 dots at a time: lane r of the result is
     * ((sum_r[0] + sum_r[2]) + (sum_r[1] + sum_r[3])) + tail_r, w2v_dot's order
     * (float addition is commutative, so only the grouping matters). */
    for (int q = 0; q < R; q += 4) {
        const w2v_v4 *s4 = sum + q;
        const w2v_v4 a = W2V_SHUFFLE4(s4[0], s4[1], 0, 4, 1, 5) + W2V_SHUFFLE4(s4[0], s4[1], 2, 6, 3, 7);
        const w2v_v4 b = W2V_SHUFFLE4(s4[2], s4[3], 0, 4, 1, 5) + W2V_SHUFFLE4(s4[2], s4[3], 2, 6, 3, 7);
        const w2v_v4 res = (W2V_SHUFFLE4(a, b, 0, 1, 4, 5) + W2V_SHUFFLE4(a, b, 2, 3, 6, 7)) +
                           (w2v_v4){tail[q], tail[q + 1], tail[q + 2], tail[q + 3]};
        for (int r = q; r < R && r < q + 4; r++)
            out[r] = res[r - q];
    }
}

/* out[r] = w2v_dot(x, rows[r], n) for r < count, in blocks of up to 8 rows
 * (4 with 4-float vectors: 16 SSE registers hold 2 x 4 accumulators + x). */
W2V_INLINE void w2v_dot_rows(int vw, const real_t *restrict x, real_t *const *rows, int count,
                             int n, real_t *restrict out) {
    int r = 0;
#define W2V_DOT_CASE(R) \
    case R: w2v_dot_block(vw, x, rows + r, R, n, out + r); break;
    if (vw >= 8) {
        for (; r + 8 <= count; r += 8)
            w2v_dot_block(vw, x, rows + r, 8, n, out + r);
        switch (count - r) {
        W2V_DOT_CASE(7) W2V_DOT_CASE(6) W2V_DOT_CASE(5) W2V_DOT_CASE(4)
        W2V_DOT_CASE(3) W2V_DOT_CASE(2) W2V_DOT_CASE(1)
        default: break;
        }
    } else {
        for (; r + 4 <= count; r += 4)
            w2v_dot_block(vw, x, rows + r, 4, n, out + r);
        switch (count - r) {
        W2V_DOT_CASE(3) W2V_DOT_CASE(2) W2V_DOT_CASE(1)
        default: break;
        }
    }
#undef W2V_DOT_CASE
}

/* Dots of two rows x0, x1 against the same R rows (1..8), 16-float vectors:
 * each of the R rows loaded once for both (2 R + 3 of the 32 registers); each
 * out is bit for bit w2v_dot_block's. */
W2V_INLINE void w2v_dot_block2(const real_t *restrict x0, const real_t *restrict x1,
                               real_t *const *rows, int R, int n, real_t *restrict out0,
                               real_t *restrict out1) {
    w2v_v16 a16[8], b16[8];
    for (int r = 0; r < 8; r++)
        a16[r] = b16[r] = (w2v_v16){0};
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        const w2v_v16 xa = w2v_load16(x0 + i), xb = w2v_load16(x1 + i);
        for (int r = 0; r < R; r++) {
            const w2v_v16 v = w2v_load16(rows[r] + i);
            a16[r] += xa * v;
            b16[r] += xb * v;
        }
    }
    w2v_v8 a[8], b[8];
    for (int r = 0; r < 8; r++) {
        a[r] = w2v_fold16(a16[r]);
        b[r] = w2v_fold16(b16[r]);
    }
    w2v_dot_finish8(x0, rows, R, n, i, a, out0);
    w2v_dot_finish8(x1, rows, R, n, i, b, out1);
}

/* w2v_dot_rows for x0 and x1 (into out0, out1), the rows loaded once for both
 * with 16-float vectors; two w2v_dot_rows otherwise. */
W2V_INLINE void w2v_dot_rows2(int vw, const real_t *restrict x0, const real_t *restrict x1,
                              real_t *const *rows, int count, int n, real_t *restrict out0,
                              real_t *restrict out1) {
    if (vw < 16 || W2V_LANES != 8) {
        w2v_dot_rows(vw, x0, rows, count, n, out0);
        w2v_dot_rows(vw, x1, rows, count, n, out1);
        return;
    }
    int r = 0;
#define W2V_DOT2_CASE(R) \
    case R: w2v_dot_block2(x0, x1, rows + r, R, n, out0 + r, out1 + r); break;
    for (; r + 8 <= count; r += 8)
        w2v_dot_block2(x0, x1, rows + r, 8, n, out0 + r, out1 + r);
    switch (count - r) {
    W2V_DOT2_CASE(7) W2V_DOT2_CASE(6) W2V_DOT2_CASE(5) W2V_DOT2_CASE(4)
    W2V_DOT2_CASE(3) W2V_DOT2_CASE(2) W2V_DOT2_CASE(1)
    default: break;
    }
#undef W2V_DOT2_CASE
}

/* p, kept by the compiler in one register as it is: loads at constant
 * displacements from it stay so, instead of being rewritten as p's base plus a
 * per-load index register (held on the stack where registers run short). */
W2V_INLINE real_t *w2v_pinned(real_t *p) {
    __asm__("" : "+r"(p));
    return p;
}

/* One block of w2v_rows_pass over columns [k, k + 16*U16 + 8*U8 + 4*U4): U16
 * 16-float, U8 8-float and U4 4-float vectors of y (compile-time constants after
 * inlining) stay in registers while every row streams past: one load per
 * multiply-add into them (combining), or each row's load, add and store (scatter). */
W2V_INLINE void w2v_rows_block(int scatter, real_t *restrict y, int from_zero,
                               real_t *const *rows, const real_t *coef, int stride, int count,
                               int k, int U16, int U8, int U4) {
    w2v_v16 a16[8];
    w2v_v8 a8[13];
    w2v_v4 a4[8];
    /* offsets from column k, compile-time constants: each row's address is taken
     * once (rows[c] + k, pinned) and every load is at a constant displacement from
     * it (offsets from column 0 would each hold a register, or a stack slot) */
    const int o8 = 16 * U16, o4 = o8 + 8 * U8;
    y += k;
    for (int u = 0; u < U16; u++)
        a16[u] = from_zero ? (w2v_v16){0} : w2v_load16(y + 16 * u);
    for (int u = 0; u < U8; u++)
        a8[u] = from_zero ? (w2v_v8){0} : w2v_load8(y + o8 + 8 * u);
    for (int u = 0; u < U4; u++)
        a4[u] = from_zero ? (w2v_v4){0} : w2v_load4(y + o4 + 4 * u);
    if (scatter) {
        for (int c = 0; c < count; c++) {
            real_t *restrict row = w2v_pinned(rows[c] + k);
            for (int u = 0; u < U16; u++)
                w2v_store16(row + 16 * u, w2v_load16(row + 16 * u) + a16[u]);
            for (int u = 0; u < U8; u++)
                w2v_store8(row + o8 + 8 * u, w2v_load8(row + o8 + 8 * u) + a8[u]);
            for (int u = 0; u < U4; u++)
                w2v_store4(row + o4 + 4 * u, w2v_load4(row + o4 + 4 * u) + a4[u]);
        }
        return;
    }
    for (int c = 0; c < count; c++) {
        const real_t g = coef[c * stride];
        const real_t *restrict row = w2v_pinned(rows[c] + k);
        for (int u = 0; u < U16; u++)
            a16[u] += g * w2v_load16(row + 16 * u);
        for (int u = 0; u < U8; u++)
            a8[u] += g * w2v_load8(row + o8 + 8 * u);
        for (int u = 0; u < U4; u++)
            a4[u] += g * w2v_load4(row + o4 + 4 * u);
    }
    for (int u = 0; u < U16; u++)
        w2v_store16(y + 16 * u, a16[u]);
    for (int u = 0; u < U8; u++)
        w2v_store8(y + o8 + 8 * u, a8[u]);
    for (int u = 0; u < U4; u++)
        w2v_store4(y + o4 + 4 * u, a4[u]);
}

/* One pass over the columns of y and of count rows, in column blocks held in
 * registers (scatter, a compile-time constant after inlining, picks the
 * direction; the two entry points below).  Combining, a linear combination of
 * rows added to y:
 *   y[k] = (from_zero ? 0 : y[k]) + sum_{c < count} coef[c * stride] * rows[c][k]
 * summed in the order c = 0, 1, ... for every k (each step a*b+c, fused where
 * the target has FMA), so the result does not depend on the vector width or
 * the blocking.  With vw = 8 or 16 floats per vector a row of up to 104 floats
 * is one block (up to 13 8-float or 7 16-float accumulators: d=100 is one pass
 * over the rows' pointers and coefficients); longer ones are blocks of 64 and
 * 32 floats, the last one widened to take the rest (up to 60 floats), so that
 * a row's loop overhead is paid once per block: d=300 is 4 x 64 + 44.  With
 * vw = 4 (SSE: 16 registers) blocks of 32 floats.  count axpy passes would
 * also load and store y for every row.
 * Scattering, y added to every row: rows[c][k] += y[k], row after row (a row
 * listed twice takes y twice), y's block loaded once for all the rows.
 * `vw` and `from_zero` are compile-time constants after inlining. */
W2V_INLINE void w2v_rows_pass(int vw, int scatter, real_t *restrict y, int from_zero,
                              real_t *const *rows, const real_t *coef, int stride, int count,
                              int n) {
    const int n4 = n & ~3;           /* whole groups of 4; n % 4 floats go one by one */
    int k = 0;
    /* a block of w4 groups of 4 floats in the widest vectors first (vw < 8: 4 floats) */
#define W2V_BLOCK(w4)                                                                  \
    w2v_rows_block(scatter, y, from_zero, rows, coef, stride, count, k,                \
                   vw >= 16 ? (w4) / 4 : 0,                                            \
                   vw >= 16 ? (w4) % 4 / 2 : vw >= 8 ? (w4) / 2 : 0,                   \
                   vw >= 8 ? (w4) % 2 : (w4))
#define W2V_BLOCK_CASE(w4) case w4: W2V_BLOCK(w4); break;
    if (vw >= 8) {
        /* floats in the last block; a row of up to 104 floats is one block */
        const int last = n4 <= 104 ? n4 : 32 + n4 % 32;
        for (; k + 64 + last <= n4; k += 64)
            W2V_BLOCK(16);
        if (k + 32 + last <= n4) {
            W2V_BLOCK(8);
            k += 32;
        }
        switch (last / 4) {
        W2V_BLOCK_CASE(1) W2V_BLOCK_CASE(2) W2V_BLOCK_CASE(3) W2V_BLOCK_CASE(4)
        W2V_BLOCK_CASE(5) W2V_BLOCK_CASE(6) W2V_BLOCK_CASE(7) W2V_BLOCK_CASE(8)
        W2V_BLOCK_CASE(9) W2V_BLOCK_CASE(10) W2V_BLOCK_CASE(11) W2V_BLOCK_CASE(12)
        W2V_BLOCK_CASE(13) W2V_BLOCK_CASE(14) W2V_BLOCK_CASE(15) W2V_BLOCK_CASE(16)
        W2V_BLOCK_CASE(17) W2V_BLOCK_CASE(18) W2V_BLOCK_CASE(19) W2V_BLOCK_CASE(20)
        W2V_BLOCK_CASE(21) W2V_BLOCK_CASE(22) W2V_BLOCK_CASE(23) W2V_BLOCK_CASE(24)
        W2V_BLOCK_CASE(25) W2V_BLOCK_CASE(26)
        default: break;
        }
    } else {
        for (; k + 32 <= n4; k += 32)
            W2V_BLOCK(8);
        switch ((n4 - k) / 4) {
        W2V_BLOCK_CASE(1) W2V_BLOCK_CASE(2) W2V_BLOCK_CASE(3) W2V_BLOCK_CASE(4)
        W2V_BLOCK_CASE(5) W2V_BLOCK_CASE(6) W2V_BLOCK_CASE(7)
        default: break;
        }
    }
#undef W2V_BLOCK_CASE
#undef W2V_BLOCK
    w2v_rows_columns(scatter, y, from_zero, rows, coef, stride, count, n4, n);
}

/* Two combinations of the same rows at once, 16-float vectors: y0 and y1 (up
 * to 124 floats each: 16 U16 + 8 U8 + 4 U4, U8 and U4 0 or 1) held in
 * registers while each row is loaded once for both; each column summed in
 * w2v_rows_pass' order, so each y is bit for bit a w2v_combine_rows of its own. */
W2V_INLINE void w2v_rows_block2(real_t *restrict y0, real_t *restrict y1, int from_zero,
                                real_t *const *rows, const real_t *coef0, const real_t *coef1,
                                int stride, int count, int U16, int U8, int U4) {
    w2v_v16 a16[7], b16[7];
    w2v_v8 a8 = {0}, b8 = {0};
    w2v_v4 a4 = {0}, b4 = {0};
    const int k8 = 16 * U16, k4 = k8 + 8 * U8;
    for (int u = 0; u < U16; u++) {
        a16[u] = from_zero ? (w2v_v16){0} : w2v_load16(y0 + 16 * u);
        b16[u] = from_zero ? (w2v_v16){0} : w2v_load16(y1 + 16 * u);
    }
    if (U8 && !from_zero) {
        a8 = w2v_load8(y0 + k8);
        b8 = w2v_load8(y1 + k8);
    }
    if (U4 && !from_zero) {
        a4 = w2v_load4(y0 + k4);
        b4 = w2v_load4(y1 + k4);
    }
    for (int c = 0; c < count; c++) {
        const real_t g0 = coef0[c * stride], g1 = coef1[c * stride];
        const real_t *restrict row = rows[c];
        for (int u = 0; u < U16; u++) {
            const w2v_v16 v = w2v_load16(row + 16 * u);
            a16[u] += g0 * v;
            b16[u] += g1 * v;
        }
        if (U8) {
            const w2v_v8 v = w2v_load8(row + k8);
            a8 += g0 * v;
            b8 += g1 * v;
        }
        if (U4) {
            const w2v_v4 v = w2v_load4(row + k4);
            a4 += g0 * v;
            b4 += g1 * v;
        }
    }
    for (int u = 0; u < U16; u++) {
        w2v_store16(y0 + 16 * u, a16[u]);
        w2v_store16(y1 + 16 * u, b16[u]);
    }
    if (U8) {
        w2v_store8(y0 + k8, a8);
        w2v_store8(y1 + k8, b8);
    }
    if (U4) {
        w2v_store4(y0 + k4, a4);
        w2v_store4(y1 + k4, b4);
    }
}

/* w2v_rows_block2 over a row of n floats when it fits one block (16-float
 * vectors, n & ~3 <= 124), then the last n % 4 columns; returns 0, having done
 * nothing, otherwise. */
W2V_INLINE int w2v_rows_pass2(int vw, real_t *restrict y0, real_t *restrict y1, int from_zero,
                              real_t *const *rows, const real_t *coef0, const real_t *coef1,
                              int stride, int count, int n) {
    const int n4 = n & ~3;
    if (vw < 16 || n4 > 124)
        return 0;
#define W2V_BLOCK2_CASE(w4)                                                             \
    case w4: w2v_rows_block2(y0, y1, from_zero, rows, coef0, coef1, stride, count,     \
                             (w4) / 4, (w4) % 4 / 2, (w4) % 2); break;
    switch (n4 / 4) {
    W2V_BLOCK2_CASE(1) W2V_BLOCK2_CASE(2) W2V_BLOCK2_CASE(3) W2V_BLOCK2_CASE(4)
    W2V_BLOCK2_CASE(5) W2V_BLOCK2_CASE(6) W2V_BLOCK2_CASE(7) W2V_BLOCK2_CASE(8)
    W2V_BLOCK2_CASE(9) W2V_BLOCK2_CASE(10) W2V_BLOCK2_CASE(11) W2V_BLOCK2_CASE(12)
    W2V_BLOCK2_CASE(13) W2V_BLOCK2_CASE(14) W2V_BLOCK2_CASE(15) W2V_BLOCK2_CASE(16)
    W2V_BLOCK2_CASE(17) W2V_BLOCK2_CASE(18) W2V_BLOCK2_CASE(19) W2V_BLOCK2_CASE(20)
    W2V_BLOCK2_CASE(21) W2V_BLOCK2_CASE(22) W2V_BLOCK2_CASE(23) W2V_BLOCK2_CASE(24)
    W2V_BLOCK2_CASE(25) W2V_BLOCK2_CASE(26) W2V_BLOCK2_CASE(27) W2V_BLOCK2_CASE(28)
    W2V_BLOCK2_CASE(29) W2V_BLOCK2_CASE(30) W2V_BLOCK2_CASE(31)
    default: break;
    }
#undef W2V_BLOCK2_CASE
    w2v_rows_columns(0, y0, from_zero, rows, coef0, stride, count, n4, n);
    w2v_rows_columns(0, y1, from_zero, rows, coef1, stride, count, n4, n);
    return 1;
}

/* w2v_step_chunk's body for one vector type V of W floats (load L, store S). */
#define W2V_STEP_CHUNK_BODY(V, W, L, S)                                                   \
    V hv[4], acc[4];                                                                      \
    for (int u = 0; u < U; u++) {                                                         \
        hv[u] = L(h + k + (W) * u);                                                       \
        acc[u] = L(grad + k + (W) * u);                                                   \
    }                                                                                     \
    for (int r = 0; r < R; r++) {                                                         \
        real_t *row = rows[r] + k;                                                        \
        for (int u = 0; u < U; u++) {                                                     \
            const V o = L(row + (W) * u);                                                 \
            acc[u] += g[r] * o;                                                           \
            S(row + (W) * u, o + g[r] * hv[u]);                                           \
        }                                                                                 \
    }                                                                                     \
    for (int u = 0; u < U; u++)                                                           \
        S(grad + k + (W) * u, acc[u]);

/* Columns [k, k + vw U) of w2v_step_rows (U <= 4 vectors of vw = 16, 8 or 4
 * floats) for R rows, vw, R and U compile-time constants after inlining: U
 * independent accumulation chains per row. */
W2V_INLINE void w2v_step_chunk(int vw, const real_t *restrict h, real_t *const *rows,
                               const real_t *g, int R, real_t *restrict grad, int k, int U) {
    if (vw == 16) {
        W2V_STEP_CHUNK_BODY(w2v_v16, 16, w2v_load16, w2v_store16)
    } else if (vw == 8) {
        W2V_STEP_CHUNK_BODY(w2v_v8, 8, w2v_load8, w2v_store8)
    } else {
        W2V_STEP_CHUNK_BODY(w2v_v4, 4, w2v_load4, w2v_store4)
    }
}
#undef W2V_STEP_CHUNK_BODY

W2V_INLINE void w2v_step_block(int vw, const real_t *restrict h, real_t *const *rows,
                               const real_t *g, int R, real_t *restrict grad, int n) {
    int k = 0;
    if (vw >= 16) {
        for (; k + 16 * W2V_STEP_UNROLL16 <= n; k += 16 * W2V_STEP_UNROLL16)
            w2v_step_chunk(16, h, rows, g, R, grad, k, W2V_STEP_UNROLL16);
        for (; k + 16 <= n; k += 16)
            w2v_step_chunk(16, h, rows, g, R, grad, k, 1);
    }
    if (vw >= 8 && vw < 16)
        for (; k + 8 * W2V_STEP_UNROLL <= n; k += 8 * W2V_STEP_UNROLL)
            w2v_step_chunk(8, h, rows, g, R, grad, k, W2V_STEP_UNROLL);
    if (vw >= 8)
        for (; k + 8 <= n; k += 8)
            w2v_step_chunk(8, h, rows, g, R, grad, k, 1);
    for (; k + 4 <= n; k += 4)
        w2v_step_chunk(4, h, rows, g, R, grad, k, 1);
    w2v_step_columns(h, rows, g, R, grad, k, n);
}

/* Several logistic steps' updates against one input h, in one pass over the
 * columns: grad += sum_r g[r] * rows[r] (each row as it was, summed in the
 * order r = 0, 1, ...), then rows[r] += g[r] * h, column by column.  The
 * arithmetic of w2v_combine_rows into grad followed by one w2v_axpy per row,
 * with each row loaded once instead of twice and h once per column instead of
 * once per row.  The rows (count <= 8) must be distinct and differ from h and
 * grad; a row with g[r] == 0 is stored back unchanged. */
W2V_INLINE void w2v_step_rows(int vw, const real_t *restrict h, real_t *const *rows,
                              const real_t *g, int count, real_t *restrict grad, int n) {
#define W2V_STEP_CASE(R) \
    case R: w2v_step_block(vw, h, rows, g, R, grad, n); break;
    switch (count) {
    W2V_STEP_CASE(8) W2V_STEP_CASE(7) W2V_STEP_CASE(6) W2V_STEP_CASE(5)
    W2V_STEP_CASE(4) W2V_STEP_CASE(3) W2V_STEP_CASE(2) W2V_STEP_CASE(1)
    default: break;
    }
#undef W2V_STEP_CASE
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#else
/* Portable versions: the same arithmetic, one element at a time. */
W2V_INLINE void w2v_dot_rows(int vw, const real_t *restrict x, real_t *const *rows, int count,
                             int n, real_t *restrict out) {
    (void)vw;
    for (int r = 0; r < count; r++)
        out[r] = w2v_dot(x, rows[r], n);
}

W2V_INLINE void w2v_dot_rows2(int vw, const real_t *restrict x0, const real_t *restrict x1,
                              real_t *const *rows, int count, int n, real_t *restrict out0,
                              real_t *restrict out1) {
    w2v_dot_rows(vw, x0, rows, count, n, out0);
    w2v_dot_rows(vw, x1, rows, count, n, out1);
}

W2V_INLINE void w2v_step_rows(int vw, const real_t *restrict h, real_t *const *rows,
                              const real_t *g, int count, real_t *restrict grad, int n) {
    (void)vw;
    w2v_step_columns(h, rows, g, count, grad, 0, n);
}

W2V_INLINE int w2v_rows_pass2(int vw, real_t *restrict y0, real_t *restrict y1, int from_zero,
                              real_t *const *rows, const real_t *coef0, const real_t *coef1,
                              int stride, int count, int n) {
    (void)vw, (void)y0, (void)y1, (void)from_zero, (void)rows, (void)coef0, (void)coef1;
    (void)stride, (void)count, (void)n;
    return 0;
}

W2V_INLINE void w2v_rows_pass(int vw, int scatter, real_t *restrict y, int from_zero,
                              real_t *const *rows, const real_t *coef, int stride, int count,
                              int n) {
    (void)vw;
    w2v_rows_columns(scatter, y, from_zero, rows, coef, stride, count, 0, n);
}
#endif

/* w2v_rows_pass combining: y = (from_zero ? 0 : y) + sum_c coef[c * stride] * rows[c]. */
W2V_INLINE void w2v_combine_rows(int vw, real_t *restrict y, int from_zero, real_t *const *rows,
                                 const real_t *coef, int stride, int count, int n) {
    w2v_rows_pass(vw, 0, y, from_zero, rows, coef, stride, count, n);
}

/* Two w2v_combine_rows of the same rows, y0 and y1 distinct: with 16-float
 * vectors and rows of up to 127 floats each row is loaded once for both. */
W2V_INLINE void w2v_combine_rows2(int vw, real_t *restrict y0, real_t *restrict y1, int from_zero,
                                  real_t *const *rows, const real_t *coef0, const real_t *coef1,
                                  int stride, int count, int n) {
    if (w2v_rows_pass2(vw, y0, y1, from_zero, rows, coef0, coef1, stride, count, n))
        return;
    w2v_combine_rows(vw, y0, from_zero, rows, coef0, stride, count, n);
    w2v_combine_rows(vw, y1, from_zero, rows, coef1, stride, count, n);
}

/* w2v_rows_pass scattering: rows[c][k] += x[k] for every c < count. */
W2V_INLINE void w2v_add_to_rows(int vw, const real_t *restrict x, real_t *const *rows, int count,
                                int n) {
    w2v_rows_pass(vw, 1, (real_t *)x, 0, rows, NULL, 0, count, n);
}

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

W2V_INLINE void w2v_axpy(real_t a, const real_t *restrict x, real_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
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
