/* word2vec SGD kernels (Mikolov et al. 2013), composed from small parts:
 *   one sigmoid (table or exact), one logistic step on an output row, one loss
 *   per objective (negative sampling, hierarchical softmax), and one chunk
 *   driver whose per-example body is chosen per architecture (skip-gram: one
 *   context row per example; CBOW: sum/mean of the context; skip-gram with
 *   shared negatives, Ji et al. 2016: one minibatch per centre).
 * See train.h for the structs and the order of random draws.
 *
 * Compiled once per instruction-set path: each of csrc/train_baseline.c,
 * train_avx2.c and train_avx512.c defines
 *   W2V_PATH           its enum w2v_simd value (a constant: it picks vector
 *                      widths where the compiler would pick badly, vecops.h),
 *   W2V_PATH_NAME(f)   f with the path's suffix (its entry points' names),
 *   W2V_PATH_TARGET    the target attribute of its entry points,
 * then includes this file.  Every helper is forced inline (W2V_INLINE), so
 * each copy gets its own inner loops for its target. */
#ifndef W2V_TRAIN_KERNELS_H
#define W2V_TRAIN_KERNELS_H

#if !defined(W2V_PATH) || !defined(W2V_PATH_NAME) || !defined(W2V_PATH_TARGET)
#error "include csrc/train_kernels.h only from a per-path file (csrc/train_baseline.c)"
#endif

#include <math.h>
#include <string.h>

#include "rng.h"
#include "train_paths.h"
#include "vecops.h"

/* Floats per vector in vecops.h's batched helpers, per copy: SSE, AVX2, AVX-512. */
#define W2V_VW (W2V_PATH == W2V_SIMD_AVX512 ? 16 : W2V_PATH == W2V_SIMD_AVX2 ? 8 : 4)

/* Branch-free (a select per bound) so that logistic_gradients vectorizes over
 * a block; the bounds are exact: table sigmoid 1 at >= MAX_EXP, 0 at <= -MAX_EXP. */
W2V_INLINE real_t sigmoid_tabulated(real_t x) {
    const real_t hi = (real_t)W2V_MAX_EXP, lo = -(real_t)W2V_MAX_EXP;
    const real_t clipped = x < hi ? (x > lo ? x : lo) : hi;
    int i = (int)((clipped + hi) * W2V_TABLE_SCALE);
    /* x just below MAX_EXP can round up to SIZE */
    i = i < W2V_SIGMOID_TABLE_SIZE - 1 ? i : W2V_SIGMOID_TABLE_SIZE - 1;
    real_t p = w2v_sigmoid_table[i];
    p = x >= hi ? 1 : p;
    p = x <= lo ? 0 : p;
    return p;
}

W2V_INLINE real_t sigmoid_exact(real_t x) {
    x = x > W2V_EXACT_CLIP ? W2V_EXACT_CLIP : (x < -W2V_EXACT_CLIP ? -W2V_EXACT_CLIP : x);
    return 1.0f / (1.0f + expf(-x));
}

W2V_INLINE real_t sigmoid(int kind, real_t x) {
    return kind == W2V_SIGMOID_EXACT ? sigmoid_exact(x) : sigmoid_tabulated(x);
}

/* One logistic regression step of h against an output row, the building block
 * of every objective: with s = h.out, p = sigmoid(s), loss = -log p(label | s),
 *   g = (label - p) * alpha;  grad += g * out;  out += g * h.
 * (alpha * -dloss/dh == g * out, so grad accumulates the input's SGD step.)
 * Returns 0 on a non-finite score, with nothing updated. */
W2V_INLINE int logistic_step(const w2v_model *m, w2v_worker *w, const real_t *h,
                             real_t *out, real_t label, real_t alpha) {
    const real_t score = w2v_dot(h, out, m->dim);
    if (!isfinite(score))
        return 0;
    const real_t p = sigmoid(m->sigmoid, score);
    const real_t g = (label - p) * alpha;
    /* a saturated table sigmoid gives g == 0 exactly: skip the two row passes */
    if (g != 0)
        w2v_update_row(g, h, out, w->grad, m->dim);
    if (m->compute_loss) {
        real_t p_label = sigmoid(m->sigmoid, label != 0 ? score : -score);
        w->loss -= (double)logf(p_label > W2V_LOSS_MIN_PROB ? p_label : W2V_LOSS_MIN_PROB);
    }
    return 1;
}

/* The same three steps over a block of n scores at once (an example's steps
 * in logistic_steps, the shared-negative minibatch), written without branches
 * so that the compiler can vectorize them.  Score k's label is label[k], or
 * with label == NULL (a constant after inlining) 1 for k < n_pos and 0 after. */
W2V_INLINE real_t block_label(const real_t *label, int k, int n_pos) {
    return label != NULL ? label[k] : (real_t)(k < n_pos);
}

/* 1 when every x[k] is finite (x - x is 0 for a finite x, NaN otherwise). */
W2V_INLINE int all_finite(const real_t *x, int n) {
    int ok = 1;
    for (int k = 0; k < n; k++)
        ok &= (x[k] - x[k]) == 0;
    return ok;
}

/* -log sigmoid(+-score) (logistic_step's loss) of each score, taken from *loss in order. */
W2V_INLINE void logistic_loss(int kind, const real_t *score, int n, int n_pos,
                              const real_t *label, double *loss) {
    for (int k = 0; k < n; k++) {
        const real_t s = block_label(label, k, n_pos) != 0 ? score[k] : -score[k];
        const real_t p_label = sigmoid(kind, s);
        *loss -= (double)logf(p_label > W2V_LOSS_MIN_PROB ? p_label : W2V_LOSS_MIN_PROB);
    }
}

/* g[k] = (label_k - sigmoid(g[k])) * alpha for finite scores. */
W2V_INLINE void logistic_gradients(int kind, real_t *restrict g, int n, int n_pos,
                                   const real_t *label, real_t alpha) {
    /* one loop per kind, so that each is a straight line the compiler vectorizes */
    if (kind == W2V_SIGMOID_EXACT) {
        for (int k = 0; k < n; k++)
            g[k] = (block_label(label, k, n_pos) - sigmoid_exact(g[k])) * alpha;
    } else {
        for (int k = 0; k < n; k++)
            g[k] = (block_label(label, k, n_pos) - sigmoid_tabulated(g[k])) * alpha;
    }
}

/* Rows of syn1neg / syn0 are spread over megabytes; a row's first touch is a
 * cache miss that dominates a d=100 step.  Fetching all of a row early lets the
 * misses of several rows overlap with useful work. */
W2V_INLINE void prefetch_row(const real_t *row, int d) {
#if (defined(__GNUC__) || defined(__clang__)) && !defined(W2V_NO_PREFETCH)
    /* The lines at row + 16 k floats, k < ceil(d / 16): the last 8 by a jump into
     * straight-line code (a loop's overhead was 3 of its 4 instructions a line). */
    const int per_line = 64 / (int)sizeof(real_t);
    int lines = (d + per_line - 1) / per_line;
    for (; lines > 8; lines--)
        __builtin_prefetch(row + (lines - 1) * per_line, 1, 3);
    switch (lines) {
    case 8: __builtin_prefetch(row + 7 * per_line, 1, 3); /* fall through */
    case 7: __builtin_prefetch(row + 6 * per_line, 1, 3); /* fall through */
    case 6: __builtin_prefetch(row + 5 * per_line, 1, 3); /* fall through */
    case 5: __builtin_prefetch(row + 4 * per_line, 1, 3); /* fall through */
    case 4: __builtin_prefetch(row + 3 * per_line, 1, 3); /* fall through */
    case 3: __builtin_prefetch(row + 2 * per_line, 1, 3); /* fall through */
    case 2: __builtin_prefetch(row + per_line, 1, 3);     /* fall through */
    default: __builtin_prefetch(row, 1, 3);
    }
#else
    (void)row;
    (void)d;
#endif
}

/* Row r of a shared output matrix, or this worker's copy of it when r is one
 * of its private rows (train.h, "Private output rows"; with none, n == 0 and
 * the shared row is always taken).  Branch-free: about half of all output
 * steps hit a private row, a coin flip the predictor cannot learn. */
W2V_INLINE real_t *out_row(const w2v_private_rows *own, real_t *shared, int64_t r,
                           int64_t stride) {
    const uint64_t k = (uint64_t)(r - own->lo);     /* wraps when r < lo */
    /* unsigned address arithmetic: defined even for the row not taken */
    const uintptr_t mine = (uintptr_t)own->rows + (uintptr_t)(k * (uint64_t)stride * sizeof(real_t));
    const uintptr_t theirs = (uintptr_t)(shared + r * stride);
    const uintptr_t pick = -(uintptr_t)(k < (uint64_t)own->n);
    return (real_t *)(theirs ^ ((mine ^ theirs) & pick));
}
W2V_INLINE real_t *syn1neg_row(const w2v_model *m, const w2v_worker *w, index_t word) {
    return out_row(&w->own_syn1neg, m->syn1neg, word, m->stride);
}
W2V_INLINE real_t *syn1_row(const w2v_model *m, const w2v_worker *w, index_t node) {
    return out_row(&w->own_syn1, m->syn1, node, m->stride);
}

/* Several logistic steps against one h, batched.  h does not change during an
 * example's steps, so when no row comes twice every step's score depends only
 * on h and its own row as it was before the example: one pass computes all
 * scores (h loaded once, the rows' cache misses overlapping), one loop their
 * gradients, and one pass over the columns adds the rows' shares to grad in
 * the steps' order and gives each row its step (w2v_step_rows).  The
 * arithmetic is logistic_step's, step after step; a block checks all its
 * scores before it updates anything.  Callers
 * fill blocks of up to W2V_STEP_BLOCK steps in order, each trained by one
 * call (one call site each: the function is inlined). */
enum { W2V_STEP_BLOCK = 8 };

typedef struct {
    real_t *rows[W2V_STEP_BLOCK];   /* distinct output rows, none of them h or grad */
    real_t label[W2V_STEP_BLOCK];
    int n;
} step_block;

W2V_INLINE int logistic_steps(const w2v_model *m, w2v_worker *w, const real_t *h,
                              const step_block *b, real_t alpha) {
    const int n = b->n, d = m->dim;
    real_t g[W2V_STEP_BLOCK];
    w2v_dot_rows(W2V_VW, h, b->rows, n, d, g);
    if (!all_finite(g, n))
        return 0;
    if (m->compute_loss)
        logistic_loss(m->sigmoid, g, n, 0, b->label, &w->loss);
    logistic_gradients(m->sigmoid, g, n, 0, b->label, alpha);
    /* As logistic_step, a saturated step (g == 0) is skipped: it would add only
     * zeros to grad, and its row is not written.  Rare, so checked once. */
    int saturated = 0;
    for (int k = 0; k < n; k++)
        saturated |= g[k] == 0;
    real_t *const *rows = b->rows;
    real_t *live[W2V_STEP_BLOCK];
    int n_live = n;
    if (saturated) {
        n_live = 0;
        for (int k = 0; k < n; k++)
            if (g[k] != 0) {
                live[n_live] = b->rows[k];
                g[n_live++] = g[k];
            }
        rows = live;
    }
    w2v_step_rows(W2V_VW, h, rows, g, n_live, w->grad, d);
    return 1;
}

/* Hierarchical softmax: one binary decision per inner node on the target's
 * Huffman path, label 1 - code (word2vec.c); a path visits each node once. */
W2V_INLINE int loss_hs(const w2v_model *m, w2v_worker *w, const real_t *h, index_t target,
                       real_t alpha) {
    const int64_t end = m->hs_offsets[target + 1];
    step_block b;
    for (int64_t k = m->hs_offsets[target]; k < end;) {
        for (b.n = 0; k < end && b.n < W2V_STEP_BLOCK; k++, b.n++) {
            b.rows[b.n] = syn1_row(m, w, m->hs_points[k]);
            b.label[b.n] = (real_t)(1 - m->hs_codes[k]);
        }
        if (!logistic_steps(m, w, h, &b, alpha))
            return 0;
    }
    return 1;
}

/* Negative sampling, first half: the `negative` noise words of one example from
 * the alias table, a draw equal to the target dropped (not redrawn), as
 * word2vec.c.  What is kept is each word's output row (syn1neg_row), and the
 * row is prefetched: callers draw one example ahead, so the misses overlap with
 * the previous example's arithmetic.  Returns how many rows were kept in noise[]. */
W2V_INLINE int draw_noise(const w2v_model *m, w2v_worker *w, index_t target, real_t **noise) {
    const uint32_t V = (uint32_t)m->vocab_size;
    int count = 0;
    for (int k = 0; k < m->negative; k++) {
        const uint64_t r = w2v_rng_next(&w->rng);
        const uint32_t col = w2v_rng_below(r, V);
        /* branch-free select: the comparison is a coin flip the predictor cannot learn */
        const index_t alias = m->alias_index[col];
        const index_t keep = -(index_t)((uint32_t)r < m->alias_prob[col]);
        const index_t word = alias ^ (((index_t)col ^ alias) & keep);
        real_t *row = syn1neg_row(m, w, word);
        noise[count] = row;
        count += word != target;
        prefetch_row(row, m->dim);
    }
    return count;
}

/* 1 when the noise rows are pairwise distinct (a draw equal to the target is
 * already dropped).  A repeated word is a coin flip: branch-free. */
W2V_INLINE int noise_distinct(real_t *const *noise, int count) {
    int same = 0;
    for (int a = 1; a < count; a++)
        for (int b = 0; b < a; b++)
            same |= noise[a] == noise[b];
    return !same;
}

/* Negative sampling, second half: the target with label 1, the drawn noise
 * words with label 0, in that order; batched (logistic_steps) unless a noise
 * word repeats. */
W2V_INLINE int loss_ns(const w2v_model *m, w2v_worker *w, const real_t *h, index_t target,
                       real_t *const *noise, int count, real_t alpha) {
    if (!noise_distinct(noise, count)) {
        if (!logistic_step(m, w, h, syn1neg_row(m, w, target), 1, alpha))
            return 0;
        for (int k = 0; k < count; k++)
            if (!logistic_step(m, w, h, noise[k], 0, alpha))
                return 0;
        return 1;
    }
    step_block b;   /* step -1 is the target's, step k >= 0 noise[k]'s */
    for (int k = -1; k < count;) {
        for (b.n = 0; k < count && b.n < W2V_STEP_BLOCK; k++, b.n++) {
            b.rows[b.n] = k < 0 ? syn1neg_row(m, w, target) : noise[k];
            b.label[b.n] = k < 0;
        }
        if (!logistic_steps(m, w, h, &b, alpha))
            return 0;
    }
    return 1;
}

/* All enabled objectives for one (input h, target) example, HS first; their
 * losses and gradients add.  Leaves the input's step in w->grad. */
W2V_INLINE int train_example(const w2v_model *m, w2v_worker *w, const real_t *h, index_t target,
                             real_t *const *noise, int noise_count, real_t alpha) {
    w2v_zero(w->grad, m->dim);
    if (m->hs && !loss_hs(m, w, h, target, alpha))
        return 0;
    if (m->negative > 0 && !loss_ns(m, w, h, target, noise, noise_count, alpha))
        return 0;
    return 1;
}

/* An input row takes its SGD step, times its word's learning-rate factor when
 * the model has them (m->lockf, as gensim applies vectors_lockf to syn0 only).
 * A factor of 0 skips the row: a frozen row stays bit-identical (0 * step
 * added would still turn -0.0 into +0.0). */
W2V_INLINE void input_step(const w2v_model *m, const real_t *step, real_t *row, index_t word) {
    if (m->lockf == NULL) {
        w2v_add_to_rows(W2V_VW, step, &row, 1, m->dim);   /* d=100: 7 vectors, no loop */
        return;
    }
    const real_t f = m->lockf[word];
    if (f != 0)
        w2v_axpy(f, step, row, m->dim);
}

/* input_step of one step to several rows of syn0 (CBOW's context rows, in
 * order; a row listed twice takes it twice): without factors the step is
 * loaded once for all of them. */
W2V_INLINE void input_steps(const w2v_model *m, const real_t *step, real_t *const *rows,
                            int count) {
    if (m->lockf == NULL) {
        w2v_add_to_rows(W2V_VW, step, rows, count, m->dim);
        return;
    }
    for (int c = 0; c < count; c++)
        input_step(m, step, rows[c], (index_t)((rows[c] - m->syn0) / m->stride));
}

/* Skip-gram minibatch with shared negatives (Ji et al. 2016): for one centre,
 * S = In Out^T, G = (label - sigmoid(S)) * alpha, In += G Out, Out += G^T In,
 * both steps from the rows as they were before the minibatch.  In = the n_in
 * context rows (w->batch_in), Out = the centre's and the count noise words'
 * rows of syn1neg.  Three small dense products instead of n_in * (count + 1)
 * logistic steps: the score block shares its loads (w2v_dot_rows), each
 * update row is built in registers in one pass (w2v_combine_rows), and the
 * noise rows are drawn, fetched and updated once per centre instead of once
 * per context word.  Returns 0 on a non-finite score, with nothing updated. */
W2V_INLINE int train_batch_sg(const w2v_model *m, w2v_worker *w, int n_in, index_t centre,
                              real_t *const *noise, int count, real_t alpha) {
    const int d = m->dim;
    const int n_out = count + 1;
    real_t *const *in = w->batch_in;
    real_t **out = w->batch_out;
    /* [n_out x n_in], output-major: row 0 (the centre, label 1) is the first
     * n_in entries, so a label is a comparison of the flat index */
    real_t *g = w->batch_g;
    out[0] = syn1neg_row(m, w, centre);
    for (int k = 0; k < count; k++)
        out[1 + k] = noise[k];

    int o = 0;      /* two outputs at a time share the inputs' loads (16-float vectors) */
    for (; o + 2 <= n_out; o += 2)
        w2v_dot_rows2(W2V_VW, out[o], out[o + 1], in, n_in, d, g + o * n_in, g + (o + 1) * n_in);
    if (o < n_out)
        w2v_dot_rows(W2V_VW, out[o], in, n_in, d, g + o * n_in);
    const int n_g = n_out * n_in;
    if (!all_finite(g, n_g))
        return 0;
    if (m->compute_loss)
        logistic_loss(m->sigmoid, g, n_g, n_in, NULL, &w->loss);
    logistic_gradients(m->sigmoid, g, n_g, n_in, NULL, alpha);
    /* dIn first (it reads the outputs before their update), then the outputs
     * in place (they read the inputs before theirs), then the inputs. */
    real_t *grad = w->batch_grad;
    const int64_t s = m->stride;
    int b = 0;      /* two rows at a time share their loads (16-float vectors) */
    for (; b + 2 <= n_in; b += 2)
        w2v_combine_rows2(W2V_VW, grad + b * s, grad + (b + 1) * s, 1, out, g + b, g + b + 1,
                          n_in, n_out, d);
    if (b < n_in)
        w2v_combine_rows(W2V_VW, grad + b * s, 1, out, g + b, n_in, n_out, d);
    /* the outputs two at a time too, but a noise word drawn twice is one row
     * that takes its two updates in turn */
    for (o = 0; o < n_out;) {
        if (o + 1 < n_out && out[o] != out[o + 1]) {
            w2v_combine_rows2(W2V_VW, out[o], out[o + 1], 0, in, g + o * n_in,
                              g + (o + 1) * n_in, 1, n_in, d);
            o += 2;
        } else {
            w2v_combine_rows(W2V_VW, out[o], 0, in, g + o * n_in, 1, n_in, d);
            o++;
        }
    }
    for (b = 0; b < n_in; b++)
        input_step(m, grad + b * s, in[b], (index_t)((in[b] - m->syn0) / s));
    return 1;
}

/* ------------------------------------------------------------ one chunk */

W2V_INLINE int halted(const w2v_progress *p) {
    return __atomic_load_n(&p->stop, __ATOMIC_RELAXED) | __atomic_load_n(&p->nonfinite, __ATOMIC_RELAXED);
}

/* Effective half-width of the window around one centre word (word2vec.c's
 * dynamic window: uniform in 1..window when shrinking). */
W2V_INLINE int centre_window(const w2v_model *m, w2v_worker *w) {
    if (!m->shrink_windows)
        return m->window;
    return m->window - (int)(w2v_rng_next(&w->rng) % (uint64_t)m->window);
}

/* The next centre's output row and its newly entered context row: fetched while
 * this centre trains. */
W2V_INLINE void prefetch_next_centre(const w2v_model *m, const w2v_worker *w,
                                     const index_t *sent, int64_t len, int64_t i) {
    if (i + 1 >= len)
        return;
    if (m->negative > 0)
        prefetch_row(syn1neg_row(m, w, sent[i + 1]), m->dim);
    const int64_t right = i + 1 + m->window < len ? i + 1 + m->window : len - 1;
    prefetch_row(m->syn0 + (int64_t)sent[right] * m->stride, m->dim);
}

/* Random draws taken ahead of the training that uses them (train.h gives their
 * order), so that the noise rows have the previous step's work to arrive.
 * The chunk driver keeps two records, the current and the next, and swaps them. */
typedef struct {
    int64_t win;      /* a centre's effective window */
    int count;        /* noise words kept in noise[] */
    real_t **noise;   /* [negative] one of the worker's two noise buffers: rows of syn1neg */
} draws;

W2V_INLINE void swap_draws(draws *a, draws *b) {
    const draws t = *a;
    *a = *b;
    *b = t;
}

/* Centre i's window and, with negative sampling, the noise of its first (for
 * CBOW and shared negatives: its only) example.  Chunks hold >= 2 tokens, so
 * every centre has a context word. */
W2V_INLINE void draw_centre(const w2v_model *m, w2v_worker *w, const index_t *sent, int64_t i,
                            draws *d) {
    d->win = centre_window(m, w);
    d->count = m->negative > 0 ? draw_noise(m, w, sent[i], d->noise) : 0;
}

/* What one training example of a centre is, per architecture. */
enum chunk_arch {
    ARCH_SG,          /* one per context word: (context row, centre) */
    ARCH_CBOW,        /* one per centre: (sum/mean of the context rows, centre) */
    ARCH_SG_SHARED,   /* one per centre: the minibatch of all its context words */
};

/* Skip-gram, word2vec.c's orientation: the input is one context word's row of
 * syn0 and the target the centre word; the context row takes the step. */
W2V_INLINE int example_sg(const w2v_model *m, w2v_worker *w, const index_t *sent, int64_t i,
                          int64_t j, const draws *d, real_t alpha) {
    real_t *in = m->syn0 + (int64_t)sent[j] * m->stride;
    if (!train_example(m, w, in, sent[i], d->noise, d->count, alpha))
        return 0;
    input_step(m, w->grad, in, sent[j]);
    w->examples++;
    return 1;
}

/* CBOW: the input is the sum (cbow_mean=0) or mean (cbow_mean=1) of the
 * context rows, the target the centre word.  The input step is added undivided
 * to every context row: for the sum this is exactly each row's SGD step (h is
 * linear in each row with coefficient 1); for the mean it is cw times the
 * exact step, as word2vec.c does (gensim instead divides by cw in the sum case). */
W2V_INLINE int example_cbow(const w2v_model *m, w2v_worker *w, const index_t *sent, int64_t i,
                            int64_t lo, int64_t hi, const draws *d, real_t alpha) {
    const int dim = m->dim;
    real_t *h = w->h;
    real_t **context = w->batch_in;
    int cw = 0;                    /* context words (>= 1): the window minus the centre */
    for (int64_t j = lo; j <= hi; j++)
        if (j != i)
            context[cw++] = m->syn0 + (int64_t)sent[j] * m->stride;
    static const real_t one = 1;   /* h = 0 + row + row ..., in window order, in one pass */
    w2v_combine_rows(W2V_VW, h, 1, context, &one, 0, cw, dim);
    if (m->cbow_mean && cw > 1)
        w2v_scale(1.0f / (real_t)cw, h, dim);
    if (!train_example(m, w, h, sent[i], d->noise, d->count, alpha))
        return 0;
    input_steps(m, w->grad, context, cw);
    w->examples++;
    return 1;
}

/* Skip-gram with shared negatives: the centre's context rows in window order
 * are the minibatch inputs, its draws the shared noise. */
W2V_INLINE int example_sg_shared(const w2v_model *m, w2v_worker *w, const index_t *sent,
                                 int64_t i, int64_t lo, int64_t hi, const draws *d,
                                 real_t alpha) {
    int n_in = 0;
    for (int64_t j = lo; j <= hi; j++)
        if (j != i)
            w->batch_in[n_in++] = m->syn0 + (int64_t)sent[j] * m->stride;
    if (!train_batch_sg(m, w, n_in, sent[i], d->noise, d->count, alpha))
        return 0;
    w->examples += n_in;
    return 1;
}

/* Trains one chunk of len >= 2 kept tokens, centre by centre, left to right.
 * A centre's examples (arch) each draw the next example's randomness before
 * they train: the next context word's noise, or after a centre's last example
 * the next centre's window and first noise (train.h).  `arch` is a constant
 * at every call, so each architecture gets its own loop. */
W2V_INLINE int train_chunk(int arch, const w2v_model *m, w2v_worker *w, const w2v_progress *p,
                           const index_t *sent, int64_t len, real_t alpha) {
    const int ns = m->negative > 0;
    draws cur = {0, 0, w->noise}, next = {0, 0, w->noise + m->negative};
    draw_centre(m, w, sent, 0, &cur);
    for (int64_t i = 0; i < len; i++) {
        if (halted(p))
            return W2V_STOPPED;
        const int single = arch != ARCH_SG;   /* one example per centre */
        if (single && i + 1 < len)
            draw_centre(m, w, sent, i + 1, &next);
        const int64_t lo = i - cur.win > 0 ? i - cur.win : 0;
        const int64_t hi = i + cur.win < len - 1 ? i + cur.win : len - 1;
        prefetch_next_centre(m, w, sent, len, i);
        const int64_t examples = single ? 1 : hi - lo;
        for (int64_t e = 0; e < examples; e++) {
            if (e + 1 < examples)
                next.count = ns ? draw_noise(m, w, sent[i], next.noise) : 0;
            else if (!single && i + 1 < len)
                draw_centre(m, w, sent, i + 1, &next);
            int ok;
            switch (arch) {
            case ARCH_SG: ok = example_sg(m, w, sent, i, lo + e < i ? lo + e : lo + e + 1, &cur, alpha); break;
            case ARCH_CBOW: ok = example_cbow(m, w, sent, i, lo, hi, &cur, alpha); break;
            default: ok = example_sg_shared(m, w, sent, i, lo, hi, &cur, alpha); break;
            }
            if (!ok)
                return W2V_NONFINITE;
            swap_draws(&cur, &next);
        }
    }
    return W2V_OK;
}

/* The baseline copy inlines vecops.h's 8-float helpers (dead code there, as
 * W2V_VW == 4): no value with the AVX calling convention ever crosses a call. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

/* train_chunk specialised per architecture, each out of line (with the path's
 * target): called once per chunk, and the chunk loop's registers are then its
 * own, not shared with the stream reader's. */
#define W2V_CHUNK_KERNEL(name, arch)                                                       \
    W2V_PATH_TARGET W2V_NOINLINE static int name(const w2v_model *m, w2v_worker *w,        \
                                                 const w2v_progress *p, const index_t *sent, \
                                                 int64_t len, real_t alpha) {              \
        return train_chunk(arch, m, w, p, sent, len, alpha);                               \
    }
W2V_CHUNK_KERNEL(train_chunk_sg, ARCH_SG)
W2V_CHUNK_KERNEL(train_chunk_cbow, ARCH_CBOW)
W2V_CHUNK_KERNEL(train_chunk_sg_shared, ARCH_SG_SHARED)

/* ------------------------------------------------------- one stream */

/* Where one w2v_train_stream call stands in its stream. */
typedef struct {
    const index_t *ids;
    int64_t n, pos;          /* ids[pos] is the next id to read */
    int64_t raw, kept;       /* in-vocabulary tokens read, and those kept */
    int64_t pending;         /* read but not yet added to progress->words_done */
    int64_t unsynced;        /* read since the private rows last synced */
    real_t alpha;            /* learning rate, recomputed at each report */
} stream;

/* Reads the next chunk into w->sentence: subsamples the whole sentence before
 * windowing, as word2vec.c, stopping at EOS or when the buffer is full.
 * Returns the kept tokens, or -1 at an id outside [0, V) (w->bad_pos). */
W2V_INLINE int64_t read_chunk(const w2v_model *m, w2v_worker *w, stream *s) {
    const uint32_t V = (uint32_t)m->vocab_size;
    const int64_t max_len = w->max_sentence_length;
    index_t *sent = w->sentence;
    int64_t len = 0, raw = 0, bad = 0;
    while (s->pos < s->n) {
        const index_t id = s->ids[s->pos++];
        if (id == W2V_EOS)
            break;
        if ((uint32_t)id >= V) { /* also catches negative ids */
            w->bad_pos = s->pos - 1;
            bad = 1;
            break;
        }
        raw++;
        const uint32_t thr = m->keep_threshold[id];
        if (thr == UINT32_MAX || (uint32_t)(w2v_rng_next(&w->rng) >> 32) <= thr) {
            sent[len++] = id;
            if (len == max_len)
                break;
        }
    }
    s->raw += raw;
    s->pending += raw;
    s->unsynced += raw;
    if (bad)
        return -1;
    s->kept += len;
    return len;
}

/* Adds the words read to the shared counter once report_every have gathered,
 * and takes the learning rate for the counter's new value. */
W2V_INLINE void report_progress(w2v_progress *p, const w2v_worker *w, stream *s) {
    if (s->pending < w->report_every)
        return;
    const int64_t done = __atomic_add_fetch(&p->words_done, s->pending, __ATOMIC_RELAXED);
    s->pending = 0;
    s->alpha = (real_t)w2v_alpha_at(p, done);
}

/* The chunk of len kept tokens in w->sentence, with the model's architecture. */
W2V_INLINE int train_sentence(const w2v_model *m, w2v_worker *w, const w2v_progress *p,
                              int64_t len, real_t alpha) {
    if (len < 2) {
        /* no (context, centre) pair; a lone centre still draws its window */
        if (len == 1)
            centre_window(m, w);
        return W2V_OK;
    }
    return m->shared_negatives ? train_chunk_sg_shared(m, w, p, w->sentence, len, alpha)
           : m->sg             ? train_chunk_sg(m, w, p, w->sentence, len, alpha)
                               : train_chunk_cbow(m, w, p, w->sentence, len, alpha);
}

/* w2v_train_stream (train.h): chunk by chunk, read, report, train, sync. */
W2V_INLINE int train_stream(const w2v_model *shared_model, w2v_worker *worker, w2v_progress *p,
                            const index_t *ids, int64_t n, int64_t *raw_words,
                            int64_t *effective_words) {
    /* Private copies for the duration of the call: the model struct lives in a
     * Python object whose reference count other threads write (a cache line
     * that would bounce), and a local worker lets the compiler keep the RNG
     * state and counters in registers.  Written back at the single exit. */
    const w2v_model model = *shared_model;
    w2v_worker local = *worker;
    const w2v_model *m = &model;
    w2v_worker *w = &local;
    stream s = {ids, n, 0, 0, 0, 0, 0, (real_t)w2v_alpha_at(p, w2v_progress_words_done(p))};
    int status = W2V_OK;
    w2v_private_rows_load(m, w, p);
    while (status == W2V_OK && s.pos < n) {
        if (halted(p)) {
            status = W2V_STOPPED;
            break;
        }
        const int64_t len = read_chunk(m, w, &s);
        if (len < 0) {
            status = W2V_BAD_ID;
            break;
        }
        report_progress(p, w, &s);
        status = train_sentence(m, w, p, len, s.alpha);
        if (status == W2V_OK && s.unsynced >= w->sync_every) {
            w2v_private_rows_sync(m, w, p);
            s.unsynced = 0;
        }
    }
    /* always, even when stopped: the private steps belong to the model */
    w2v_private_rows_sync(m, w, p);
    if (s.pending)
        __atomic_add_fetch(&p->words_done, s.pending, __ATOMIC_RELAXED);
    if (status == W2V_NONFINITE)
        __atomic_store_n(&p->nonfinite, 1, __ATOMIC_RELAXED);
    *worker = local;
    *raw_words += s.raw;
    *effective_words += s.kept;
    return status;
}

/* ------------------------------------------------------- test hooks */

W2V_INLINE double train_example_hook(const w2v_model *m, w2v_worker *w, const real_t *h,
                                     index_t target, real_t alpha) {
    w2v_model with_loss = *m;
    with_loss.compute_loss = 1;
    const double saved = w->loss;
    w->loss = 0;
    const int count = m->negative > 0 ? draw_noise(m, w, target, w->noise) : 0;
    const int ok = train_example(&with_loss, w, h, target, w->noise, count, alpha);
    const double loss = w->loss;
    w->loss = saved + (m->compute_loss ? loss : 0);
    return ok ? loss : NAN;
}

W2V_INLINE double train_centre_hook(const w2v_model *m, w2v_worker *w, const index_t *context,
                                    int n_context, index_t centre, real_t alpha) {
    w2v_model with_loss = *m;
    with_loss.compute_loss = 1;
    const double saved = w->loss;
    w->loss = 0;
    for (int b = 0; b < n_context; b++)
        w->batch_in[b] = m->syn0 + (int64_t)context[b] * m->stride;
    const int count = draw_noise(m, w, centre, w->noise);
    const int ok = train_batch_sg(&with_loss, w, n_context, centre, w->noise, count, alpha);
    const double loss = w->loss;
    w->loss = saved + (m->compute_loss ? loss : 0);
    return ok ? loss : NAN;
}

W2V_INLINE int fused_multiply_add(void) {
    /* (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24: the 2^-24 survives only without the
     * intermediate rounding of the product; volatile keeps this from folding */
    volatile real_t a = 1.0f + 0x1p-12f, c = -1.0f;
    real_t x = a, y = a;
    return x * y + c != 0x1p-11f;
}

/* ------------------------------------------ this path's entry points */

W2V_PATH_TARGET int W2V_PATH_NAME(w2v_train_stream)(const w2v_model *m, w2v_worker *w,
                                                    w2v_progress *p, const index_t *ids,
                                                    int64_t n, int64_t *raw_words,
                                                    int64_t *effective_words) {
    return train_stream(m, w, p, ids, n, raw_words, effective_words);
}

W2V_PATH_TARGET double W2V_PATH_NAME(w2v_train_example)(const w2v_model *m, w2v_worker *w,
                                                        const real_t *h, index_t target,
                                                        real_t alpha) {
    return train_example_hook(m, w, h, target, alpha);
}

W2V_PATH_TARGET double W2V_PATH_NAME(w2v_train_centre)(const w2v_model *m, w2v_worker *w,
                                                       const index_t *context, int n_context,
                                                       index_t centre, real_t alpha) {
    return train_centre_hook(m, w, context, n_context, centre, alpha);
}

W2V_PATH_TARGET int W2V_PATH_NAME(w2v_fused_multiply_add)(void) {
    return fused_multiply_add();
}

#endif
