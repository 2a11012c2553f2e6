/* word2vec SGD kernels (Mikolov et al. 2013), composed from small parts:
 *   one sigmoid (table or exact), one logistic step on an output row, one loss
 *   per objective (negative sampling, hierarchical softmax), and the input built
 *   per architecture (skip-gram: one context row; CBOW: sum/mean of the context);
 *   plus the skip-gram minibatch with shared negatives (Ji et al. 2016), which
 *   reuses the sigmoid, the noise draw and the row prefetch.
 * See train.h for the structs and the order of random draws. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <malloc.h>
#endif

#include "rng.h"
#include "train.h"
#include "vecops.h"

/* Function multi-versioning: each entry point is compiled three times, for
 * baseline x86-64, x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512), and
 * dispatched on first use (W2V_MULTIVERSION below).  Users get the fast path
 * without -march=native; the helpers are forced inline (W2V_INLINE), so each
 * copy gets its own inner loops.  Our own dispatch rather than GCC's
 * target_clones: it can say which copy runs (w2v_simd_path) and tests can
 * select each one to check it against tests/reference.py.  The v3/v4 copies
 * contract a*b+c into FMA (GCC's default -ffp-contract=fast), the only
 * arithmetic difference between the copies. */
/* arch=x86-64-v3/v4 target attributes need GCC 11 or Clang 12. */
#if defined(__x86_64__) && !defined(W2V_NO_CLONES) && \
    ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && __GNUC__ >= 11))
#define W2V_HAVE_CLONES 1
#define W2V_TARGET_V3 __attribute__((target("arch=x86-64-v3")))
#define W2V_TARGET_V4 __attribute__((target("arch=x86-64-v4")))
#else
#define W2V_HAVE_CLONES 0
#endif

/* Bin i holds sigmoid at the centre of [-MAX_EXP + i*w, -MAX_EXP + (i+1)*w),
 * w = 2*MAX_EXP/SIZE: half the worst-case error of word2vec.c's left-edge table. */
static real_t sigmoid_table[W2V_SIGMOID_TABLE_SIZE];
static int sigmoid_table_ready = 0;

#define W2V_TABLE_SCALE ((real_t)W2V_SIGMOID_TABLE_SIZE / (real_t)(2 * W2V_MAX_EXP))

void w2v_init_tables(void) {
    if (__atomic_load_n(&sigmoid_table_ready, __ATOMIC_ACQUIRE))
        return;
    for (int i = 0; i < W2V_SIGMOID_TABLE_SIZE; i++) {
        double x = -W2V_MAX_EXP + (i + 0.5) * (2.0 * W2V_MAX_EXP / W2V_SIGMOID_TABLE_SIZE);
        sigmoid_table[i] = (real_t)(1.0 / (1.0 + exp(-x)));
    }
    __atomic_store_n(&sigmoid_table_ready, 1, __ATOMIC_RELEASE);
}

W2V_INLINE real_t sigmoid_tabulated(real_t x) {
    if (x >= (real_t)W2V_MAX_EXP)
        return 1;
    if (x <= -(real_t)W2V_MAX_EXP)
        return 0;
    int i = (int)((x + (real_t)W2V_MAX_EXP) * W2V_TABLE_SCALE);
    /* x just below MAX_EXP can round up to SIZE */
    return sigmoid_table[i < W2V_SIGMOID_TABLE_SIZE ? i : W2V_SIGMOID_TABLE_SIZE - 1];
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

/* The same three steps over a block of n scores at once (the shared-negative
 * minibatch), labels 1 for k < n_pos and 0 after: written without branches
 * so that the compiler can vectorize them. */

/* 1 when every x[k] is finite (x - x is 0 for a finite x, NaN otherwise). */
W2V_INLINE int all_finite(const real_t *x, int n) {
    int ok = 1;
    for (int k = 0; k < n; k++)
        ok &= (x[k] - x[k]) == 0;
    return ok;
}

/* Sum of -log sigmoid(+-score) (logistic_step's loss) over the block. */
W2V_INLINE double logistic_loss(int kind, const real_t *score, int n, int n_pos) {
    double loss = 0;
    for (int k = 0; k < n; k++) {
        const real_t p_label = sigmoid(kind, k < n_pos ? score[k] : -score[k]);
        loss -= (double)logf(p_label > W2V_LOSS_MIN_PROB ? p_label : W2V_LOSS_MIN_PROB);
    }
    return loss;
}

/* g[k] = (label_k - sigmoid(g[k])) * alpha for finite scores; the table
 * sigmoid here gives exactly sigmoid_tabulated's values. */
W2V_INLINE void logistic_gradients(int kind, real_t *restrict g, int n, int n_pos, real_t alpha) {
    if (kind == W2V_SIGMOID_EXACT) {
        for (int k = 0; k < n; k++)
            g[k] = ((real_t)(k < n_pos) - sigmoid_exact(g[k])) * alpha;
        return;
    }
    const real_t hi = (real_t)W2V_MAX_EXP, lo = -(real_t)W2V_MAX_EXP;
    for (int k = 0; k < n; k++) {
        const real_t x = g[k];
        const real_t clipped = x < hi ? (x > lo ? x : lo) : hi;
        int i = (int)((clipped + hi) * W2V_TABLE_SCALE);
        i = i < W2V_SIGMOID_TABLE_SIZE - 1 ? i : W2V_SIGMOID_TABLE_SIZE - 1;
        real_t p = sigmoid_table[i];
        p = x >= hi ? 1 : p;
        p = x <= lo ? 0 : p;
        g[k] = ((real_t)(k < n_pos) - p) * alpha;
    }
}

/* Rows of syn1neg / syn0 are spread over megabytes; a row's first touch is a
 * cache miss that dominates a d=100 step.  Fetching all of a row early lets the
 * misses of several rows overlap with useful work. */
W2V_INLINE void prefetch_row(const real_t *row, int d) {
#if (defined(__GNUC__) || defined(__clang__)) && !defined(W2V_NO_PREFETCH)
    for (int i = 0; i < d; i += 64 / (int)sizeof(real_t))
        __builtin_prefetch(row + i, 1, 3);
#else
    (void)row;
    (void)d;
#endif
}

/* Row r of a shared output matrix, or this worker's copy of it when r is one
 * of its private rows (train.h, "Private output rows"; with none, n == 0 and
 * the shared row is always taken).  Branch-free: about half of all output
 * steps hit a private row, a coin flip the predictor cannot learn. */
W2V_INLINE real_t *out_row(const w2v_private_rows *own, real_t *shared, int64_t r, int d) {
    const uint64_t k = (uint64_t)(r - own->lo);     /* wraps when r < lo */
    /* unsigned address arithmetic: defined even for the row not taken */
    const uintptr_t mine = (uintptr_t)own->rows + (uintptr_t)(k * (uint64_t)d * sizeof(real_t));
    const uintptr_t theirs = (uintptr_t)(shared + r * d);
    const uintptr_t pick = -(uintptr_t)(k < (uint64_t)own->n);
    return (real_t *)(theirs ^ ((mine ^ theirs) & pick));
}
W2V_INLINE real_t *syn1neg_row(const w2v_model *m, const w2v_worker *w, index_t word) {
    return out_row(&w->own_syn1neg, m->syn1neg, word, m->dim);
}
W2V_INLINE real_t *syn1_row(const w2v_model *m, const w2v_worker *w, index_t node) {
    return out_row(&w->own_syn1, m->syn1, node, m->dim);
}

/* Hierarchical softmax: one binary decision per inner node on the target's
 * Huffman path, label 1 - code (word2vec.c). */
W2V_INLINE int loss_hs(const w2v_model *m, w2v_worker *w, const real_t *h, index_t target,
                       real_t alpha) {
    const int64_t end = m->hs_offsets[target + 1];
    for (int64_t k = m->hs_offsets[target]; k < end; k++) {
        real_t *row = syn1_row(m, w, m->hs_points[k]);
        if (!logistic_step(m, w, h, row, (real_t)(1 - m->hs_codes[k]), alpha))
            return 0;
    }
    return 1;
}

/* Negative sampling, first half: the `negative` noise words of one example from
 * the alias table, a draw equal to the target dropped (not redrawn), as
 * word2vec.c.  Their rows are prefetched: callers draw one example ahead, so
 * the misses overlap with the previous example's arithmetic.  Returns how many
 * words were kept in noise[]. */
W2V_INLINE int draw_noise(const w2v_model *m, w2v_worker *w, index_t target, index_t *noise) {
    const uint32_t V = (uint32_t)m->vocab_size;
    int count = 0;
    for (int k = 0; k < m->negative; k++) {
        const uint64_t r = w2v_rng_next(&w->rng);
        const uint32_t col = w2v_rng_below(r, V);
        /* branch-free select: the comparison is a coin flip the predictor cannot learn */
        const index_t alias = m->alias_index[col];
        const index_t keep = -(index_t)((uint32_t)r < m->alias_prob[col]);
        const index_t word = alias ^ (((index_t)col ^ alias) & keep);
        noise[count] = word;
        count += word != target;
        prefetch_row(syn1neg_row(m, w, word), m->dim);
    }
    return count;
}

/* Negative sampling, second half: the target with label 1, the drawn noise
 * words with label 0. */
W2V_INLINE int loss_ns(const w2v_model *m, w2v_worker *w, const real_t *h, index_t target,
                       const index_t *noise, int count, real_t alpha) {
    if (!logistic_step(m, w, h, syn1neg_row(m, w, target), 1, alpha))
        return 0;
    for (int k = 0; k < count; k++)
        if (!logistic_step(m, w, h, syn1neg_row(m, w, noise[k]), 0, alpha))
            return 0;
    return 1;
}

/* All enabled objectives for one (input h, target) example, HS first; their
 * losses and gradients add.  Leaves the input's step in w->grad. */
W2V_INLINE int train_example(const w2v_model *m, w2v_worker *w, const real_t *h, index_t target,
                             const index_t *noise, int noise_count, real_t alpha) {
    w2v_zero(w->grad, m->dim);
    if (m->hs && !loss_hs(m, w, h, target, alpha))
        return 0;
    if (m->negative > 0 && !loss_ns(m, w, h, target, noise, noise_count, alpha))
        return 0;
    return 1;
}

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
    prefetch_row(m->syn0 + (int64_t)sent[right] * m->dim, m->dim);
}

/* Random draws taken ahead of the training that uses them (train.h gives their
 * order), so that the noise rows have the previous step's work to arrive.
 * The chunk kernels keep two records, the current and the next, and swap them. */
typedef struct {
    int64_t win;      /* a centre's effective window */
    int count;        /* noise words kept in noise[] */
    index_t *noise;   /* [negative] one of the worker's two noise buffers */
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

/* Skip-gram, word2vec.c's orientation: the input is one context word's row of
 * syn0 and the target the centre word; the context row takes the step. */
W2V_INLINE int train_chunk_sg(const w2v_model *m, w2v_worker *w, const w2v_progress *p,
                              const index_t *sent, int64_t len, real_t alpha) {
    const int d = m->dim;
    const int ns = m->negative > 0;
    /* One draws record per example: the next example's noise is drawn before
     * the current one trains; the next example of a centre's last one is the
     * next centre's first, whose window is drawn then too. */
    draws cur = {0, 0, w->noise}, next = {0, 0, w->noise + m->negative};
    draw_centre(m, w, sent, 0, &cur);
    for (int64_t i = 0; i < len; i++) {
        if (halted(p))
            return W2V_STOPPED;
        const int64_t lo = i - cur.win > 0 ? i - cur.win : 0;
        const int64_t hi = i + cur.win < len - 1 ? i + cur.win : len - 1;
        const index_t target = sent[i];
        prefetch_next_centre(m, w, sent, len, i);
        for (int64_t j = lo == i ? lo + 1 : lo; j <= hi;) {
            const int64_t next_j = j + 1 == i ? j + 2 : j + 1;
            if (next_j <= hi)
                next.count = ns ? draw_noise(m, w, target, next.noise) : 0;
            else if (i + 1 < len)
                draw_centre(m, w, sent, i + 1, &next);
            real_t *in = m->syn0 + (int64_t)sent[j] * d;
            if (!train_example(m, w, in, target, cur.noise, cur.count, alpha))
                return W2V_NONFINITE;
            w2v_add(w->grad, in, d);
            w->examples++;
            swap_draws(&cur, &next);
            j = next_j;
        }
    }
    return W2V_OK;
}

/* CBOW: the input is the sum (cbow_mean=0) or mean (cbow_mean=1) of the
 * context rows, the target the centre word.  The input step is added undivided
 * to every context row: for the sum this is exactly each row's SGD step (h is
 * linear in each row with coefficient 1); for the mean it is cw times the
 * exact step, as word2vec.c does (gensim instead divides by cw in the sum case). */
W2V_INLINE int train_chunk_cbow(const w2v_model *m, w2v_worker *w, const w2v_progress *p,
                                const index_t *sent, int64_t len, real_t alpha) {
    const int d = m->dim;
    real_t *h = w->h;
    /* the next centre's draws are taken before this centre trains */
    draws cur = {0, 0, w->noise}, next = {0, 0, w->noise + m->negative};
    draw_centre(m, w, sent, 0, &cur);
    for (int64_t i = 0; i < len; i++) {
        if (halted(p))
            return W2V_STOPPED;
        if (i + 1 < len)
            draw_centre(m, w, sent, i + 1, &next);
        prefetch_next_centre(m, w, sent, len, i);
        const int64_t lo = i - cur.win > 0 ? i - cur.win : 0;
        const int64_t hi = i + cur.win < len - 1 ? i + cur.win : len - 1;
        const int cw = (int)(hi - lo); /* context words (>= 1): the window minus the centre */
        w2v_zero(h, d);
        for (int64_t j = lo; j <= hi; j++)
            if (j != i)
                w2v_add(m->syn0 + (int64_t)sent[j] * d, h, d);
        if (m->cbow_mean && cw > 1)
            w2v_scale(1.0f / (real_t)cw, h, d);
        if (!train_example(m, w, h, sent[i], cur.noise, cur.count, alpha))
            return W2V_NONFINITE;
        for (int64_t j = lo; j <= hi; j++)
            if (j != i)
                w2v_add(w->grad, m->syn0 + (int64_t)sent[j] * d, d);
        w->examples++;
        swap_draws(&cur, &next);
    }
    return W2V_OK;
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
W2V_INLINE int train_batch_sg(int simd, const w2v_model *m, w2v_worker *w, int n_in,
                              index_t centre, const index_t *noise, int count, real_t alpha) {
    const int vec8 = simd != W2V_SIMD_BASELINE;
    const int d = m->dim;
    const int n_out = count + 1;
    real_t *const *in = w->batch_in;
    real_t **out = w->batch_out;
    /* [n_out x n_in], output-major: row 0 (the centre, label 1) is the first
     * n_in entries, so a label is a comparison of the flat index */
    real_t *g = w->batch_g;
    out[0] = syn1neg_row(m, w, centre);
    for (int k = 0; k < count; k++)
        out[1 + k] = syn1neg_row(m, w, noise[k]);

    for (int o = 0; o < n_out; o++)
        w2v_dot_rows(vec8, out[o], in, n_in, d, g + o * n_in);
    const int n_g = n_out * n_in;
    if (!all_finite(g, n_g))
        return 0;
    if (m->compute_loss)
        w->loss += logistic_loss(m->sigmoid, g, n_g, n_in);
    logistic_gradients(m->sigmoid, g, n_g, n_in, alpha);
    /* dIn first (it reads the outputs before their update), then the outputs
     * in place (they read the inputs before theirs), then the inputs. */
    real_t *grad = w->batch_grad;
    for (int b = 0; b < n_in; b++)
        w2v_combine_rows(vec8, grad + (int64_t)b * d, 1, out, g + b, n_in, n_out, d);
    for (int o = 0; o < n_out; o++)
        w2v_combine_rows(vec8, out[o], 0, in, g + o * n_in, 1, n_in, d);
    for (int b = 0; b < n_in; b++)
        w2v_add(grad + (int64_t)b * d, in[b], d);
    return 1;
}

/* Skip-gram with shared negatives: one minibatch per centre word (train.h
 * gives the order of the draws).  The next centre's window and noise are drawn
 * before this centre trains, so that their rows arrive in cache meanwhile. */
W2V_INLINE int train_chunk_sg_shared(int simd, const w2v_model *m, w2v_worker *w,
                                     const w2v_progress *p, const index_t *sent, int64_t len,
                                     real_t alpha) {
    const int d = m->dim;
    draws cur = {0, 0, w->noise}, next = {0, 0, w->noise + m->negative};
    draw_centre(m, w, sent, 0, &cur);
    for (int64_t i = 0; i < len; i++) {
        if (halted(p))
            return W2V_STOPPED;
        if (i + 1 < len)
            draw_centre(m, w, sent, i + 1, &next);
        prefetch_next_centre(m, w, sent, len, i);
        const int64_t lo = i - cur.win > 0 ? i - cur.win : 0;
        const int64_t hi = i + cur.win < len - 1 ? i + cur.win : len - 1;
        int n_in = 0;
        for (int64_t j = lo; j <= hi; j++)
            if (j != i)
                w->batch_in[n_in++] = m->syn0 + (int64_t)sent[j] * d;
        if (!train_batch_sg(simd, m, w, n_in, sent[i], cur.noise, cur.count, alpha))
            return W2V_NONFINITE;
        w->examples += n_in;
        swap_draws(&cur, &next);
    }
    return W2V_OK;
}

double w2v_alpha_at(const w2v_progress *p, int64_t words_done) {
    if (p->total_words <= 0)
        return p->start_alpha;
    double frac = (double)words_done / (double)p->total_words;
    if (frac > 1.0)
        frac = 1.0;
    return p->start_alpha - (p->start_alpha - p->end_alpha) * frac;
}

int64_t w2v_progress_words_done(const w2v_progress *p) {
    return __atomic_load_n(&p->words_done, __ATOMIC_RELAXED);
}

int w2v_progress_stopped(const w2v_progress *p) {
    return __atomic_load_n(&p->stop, __ATOMIC_RELAXED);
}

int w2v_progress_nonfinite(const w2v_progress *p) {
    return __atomic_load_n(&p->nonfinite, __ATOMIC_RELAXED);
}

void w2v_progress_request_stop(w2v_progress *p) {
    __atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
}

/* Scratch written at every step, in whole cache lines of its own: two workers'
 * buffers must never share a line (false sharing between threads). */
static void *alloc_lines(size_t bytes) {
    const size_t line = 64;
    bytes = (bytes + line - 1) / line * line;
#if defined(_WIN32)
    return _aligned_malloc(bytes, line);
#else
    void *ptr = NULL;
    return posix_memalign(&ptr, line, bytes) == 0 ? ptr : NULL;
#endif
}

static void free_lines(void *ptr) {
#if defined(_WIN32)
    _aligned_free(ptr);
#else
    free(ptr);
#endif
}

/* Rows [lo, lo + n) of a matrix of `rows` rows, n capped to it. */
static int private_rows_init(w2v_private_rows *own, int64_t lo, int64_t n, int64_t rows, int d) {
    n = n < rows - lo ? n : rows - lo;
    own->lo = lo;
    own->n = n > 0 ? n : 0;
    if (own->n == 0)
        return 1;
    own->rows = alloc_lines((size_t)own->n * (size_t)d * sizeof(real_t));
    own->base = alloc_lines((size_t)own->n * (size_t)d * sizeof(real_t));
    return own->rows && own->base;
}

static void private_rows_free(w2v_private_rows *own) {
    free_lines(own->rows);
    free_lines(own->base);
    own->rows = own->base = NULL;
    own->n = 0;
}

/* Start of a w2v_train_stream call: the private rows as the shared ones are now. */
static void private_rows_load(w2v_private_rows *own, const real_t *shared, int d) {
    const size_t bytes = (size_t)own->n * (size_t)d * sizeof(real_t);
    if (bytes == 0)
        return;
    memcpy(own->rows, shared + own->lo * d, bytes);
    memcpy(own->base, shared + own->lo * d, bytes);
}

/* Adds this worker's change since the last sync to the shared rows and takes
 * back their current values, the other workers' changes included. */
W2V_INLINE void private_rows_sync(w2v_private_rows *own, real_t *shared, int d) {
    if (own->n == 0)
        return;
    real_t *restrict row = shared + own->lo * d;
    real_t *restrict mine = own->rows, *restrict base = own->base;
    const int64_t n = own->n * d;
    for (int64_t k = 0; k < n; k++) {
        const real_t v = row[k] + (mine[k] - base[k]);
        row[k] = v;
        mine[k] = v;
        base[k] = v;
    }
}

int w2v_worker_init(w2v_worker *w, const w2v_model *m, int64_t max_sentence_length,
                    uint64_t seed, int64_t private_rows, int64_t private_nodes) {
    memset(w, 0, sizeof(*w));
    w2v_init_tables();
    const int dim = m->dim, negative = m->negative > 0 ? m->negative : 1;
    w->rng = seed;
    w->dim = dim;
    w->max_sentence_length = max_sentence_length;
    w->report_every = 10000;
    w->sync_every = W2V_SYNC_WORDS;
    w->h = alloc_lines((size_t)dim * sizeof(real_t));
    w->grad = alloc_lines((size_t)dim * sizeof(real_t));
    w->sentence = alloc_lines((size_t)max_sentence_length * sizeof(index_t));
    w->noise = alloc_lines((size_t)(2 * negative) * sizeof(index_t));
    int ok = w->h && w->grad && w->sentence && w->noise;
    if (ok && m->shared_negatives) {
        const int64_t context = max_sentence_length - 1 > 1 ? max_sentence_length - 1 : 1;
        w->batch_capacity = (int)(2 * (int64_t)m->window < context ? 2 * (int64_t)m->window : context);
        const size_t n_in = (size_t)w->batch_capacity, n_out = (size_t)negative + 1;
        w->batch_in = alloc_lines(n_in * sizeof(real_t *));
        w->batch_out = alloc_lines(n_out * sizeof(real_t *));
        w->batch_g = alloc_lines(n_in * n_out * sizeof(real_t));
        w->batch_grad = alloc_lines(n_in * (size_t)dim * sizeof(real_t));
        ok = w->batch_in && w->batch_out && w->batch_g && w->batch_grad;
    }
    if (ok && private_rows > 0 && m->negative > 0)
        ok = private_rows_init(&w->own_syn1neg, 0, private_rows, m->vocab_size, dim);
    if (ok && private_nodes > 0 && m->hs) {   /* inner nodes 0..V-2, the root V-2 */
        const int64_t nodes = m->vocab_size - 1;
        const int64_t n = private_nodes < nodes ? private_nodes : nodes;
        ok = private_rows_init(&w->own_syn1, nodes - n, n, nodes, dim);
    }
    if (!ok) {
        w2v_worker_free(w);
        return -1;
    }
    return 0;
}

void w2v_worker_free(w2v_worker *w) {
    free_lines(w->h);
    free_lines(w->grad);
    free_lines(w->sentence);
    free_lines(w->noise);
    free_lines(w->batch_in);
    free_lines(w->batch_out);
    free_lines(w->batch_g);
    free_lines(w->batch_grad);
    private_rows_free(&w->own_syn1neg);
    private_rows_free(&w->own_syn1);
    w->h = w->grad = w->batch_g = w->batch_grad = NULL;
    w->sentence = w->noise = NULL;
    w->batch_in = w->batch_out = NULL;
}

/* `simd` (enum w2v_simd) is a constant in each instruction-set copy: it picks
 * vector widths where the compiler would pick badly (csrc/vecops.h). */
W2V_INLINE int train_stream(int simd, const w2v_model *shared_model, w2v_worker *worker,
                            w2v_progress *p, const index_t *ids, int64_t n,
                            int64_t *raw_words, int64_t *effective_words) {
    /* Private copies for the duration of the call: the model struct lives in a
     * Python object whose reference count other threads write (a cache line
     * that would bounce), and a local worker lets the compiler keep the RNG
     * state and counters in registers.  Written back at the single exit. */
    const w2v_model model = *shared_model;
    w2v_worker local = *worker;
    const w2v_model *m = &model;
    w2v_worker *w = &local;
    const uint32_t V = (uint32_t)m->vocab_size;
    const int64_t max_len = w->max_sentence_length;
    index_t *sent = w->sentence;
    int64_t pos = 0, raw = 0, kept = 0, pending = 0;
    int status = W2V_OK;
    real_t alpha = (real_t)w2v_alpha_at(p, w2v_progress_words_done(p));
    private_rows_load(&w->own_syn1neg, m->syn1neg, m->dim);
    private_rows_load(&w->own_syn1, m->syn1, m->dim);
    int64_t unsynced = 0;

    while (pos < n) {
        if (halted(p)) {
            status = W2V_STOPPED;
            break;
        }
        /* Read one chunk: subsample the whole sentence before windowing, as
         * word2vec.c, stopping at EOS or when the buffer is full. */
        int64_t len = 0, chunk_raw = 0;
        while (pos < n) {
            const index_t id = ids[pos++];
            if (id == W2V_EOS)
                break;
            if ((uint32_t)id >= V) { /* also catches negative ids */
                w->bad_pos = pos - 1;
                status = W2V_BAD_ID;
                break;
            }
            chunk_raw++;
            const uint32_t thr = m->keep_threshold[id];
            if (thr == UINT32_MAX || (uint32_t)(w2v_rng_next(&w->rng) >> 32) <= thr) {
                sent[len++] = id;
                if (len == max_len)
                    break;
            }
        }
        raw += chunk_raw;
        pending += chunk_raw;
        if (status != W2V_OK)
            break;
        kept += len;
        if (pending >= w->report_every) {
            int64_t done = __atomic_add_fetch(&p->words_done, pending, __ATOMIC_RELAXED);
            pending = 0;
            alpha = (real_t)w2v_alpha_at(p, done);
        }
        if (len < 2) {
            /* no (context, centre) pair; a lone centre still draws its window */
            if (len == 1)
                centre_window(m, w);
        } else {
            status = m->shared_negatives ? train_chunk_sg_shared(simd, m, w, p, sent, len, alpha)
                     : m->sg ? train_chunk_sg(m, w, p, sent, len, alpha)
                             : train_chunk_cbow(m, w, p, sent, len, alpha);
        }
        if (status != W2V_OK)
            break;
        unsynced += chunk_raw;
        if (unsynced >= w->sync_every) {
            private_rows_sync(&w->own_syn1neg, m->syn1neg, m->dim);
            private_rows_sync(&w->own_syn1, m->syn1, m->dim);
            unsynced = 0;
        }
    }
    /* always, even when stopped: the private steps belong to the model */
    private_rows_sync(&w->own_syn1neg, m->syn1neg, m->dim);
    private_rows_sync(&w->own_syn1, m->syn1, m->dim);
    if (pending)
        __atomic_add_fetch(&p->words_done, pending, __ATOMIC_RELAXED);
    if (status == W2V_NONFINITE)
        __atomic_store_n(&p->nonfinite, 1, __ATOMIC_RELAXED);
    *worker = local;
    *raw_words += raw;
    *effective_words += kept;
    return status;
}

W2V_INLINE double train_example_hook(int simd, const w2v_model *m, w2v_worker *w,
                                     const real_t *h, index_t target, real_t alpha) {
    (void)simd;
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

W2V_INLINE double train_centre_hook(int simd, const w2v_model *m, w2v_worker *w,
                                    const index_t *context, int n_context, index_t centre,
                                    real_t alpha) {
    w2v_model with_loss = *m;
    with_loss.compute_loss = 1;
    const double saved = w->loss;
    w->loss = 0;
    for (int b = 0; b < n_context; b++)
        w->batch_in[b] = m->syn0 + (int64_t)context[b] * m->dim;
    const int count = draw_noise(m, w, centre, w->noise);
    const int ok = train_batch_sg(simd, &with_loss, w, n_context, centre, w->noise, count, alpha);
    const double loss = w->loss;
    w->loss = saved + (m->compute_loss ? loss : 0);
    return ok ? loss : NAN;
}

W2V_INLINE int fused_multiply_add(int simd) {
    (void)simd;
    /* (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24: the 2^-24 survives only without the
     * intermediate rounding of the product; volatile keeps this from folding */
    volatile real_t a = 1.0f + 0x1p-12f, c = -1.0f;
    real_t x = a, y = a;
    return x * y + c != 0x1p-11f;
}

/* ------------------------------------------------------- path dispatch */

static int simd_cpu_supports(int path) {
#if W2V_HAVE_CLONES
    __builtin_cpu_init();
    /* The runtime also checks that the OS saves the AVX / AVX-512 registers. */
#if !defined(__clang__) && __GNUC__ >= 12
    /* the whole ISA level, as GCC's own target_clones resolver tests it */
    const int v3 = __builtin_cpu_supports("x86-64-v3");
    const int v4 = v3 && __builtin_cpu_supports("x86-64-v4");
#else
    /* the level's defining features (every AVX2 + FMA + BMI2 CPU also has the
     * level's F16C, LZCNT and MOVBE) */
    const int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                   __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
    const int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                   __builtin_cpu_supports("avx512vl");
#endif
    switch (path) {
    case W2V_SIMD_BASELINE: return 1;
    case W2V_SIMD_AVX2: return v3;
    case W2V_SIMD_AVX512: return v4;
    default: return 0;
    }
#else
    return path == W2V_SIMD_BASELINE;
#endif
}

static int simd_selected = -1;     /* -1: not chosen yet */

int w2v_simd_supported(int path) {
    return simd_cpu_supports(path);
}

int w2v_simd_path(void) {
    int path = __atomic_load_n(&simd_selected, __ATOMIC_RELAXED);
    if (path >= 0)
        return path;
    path = simd_cpu_supports(W2V_SIMD_AVX512) ? W2V_SIMD_AVX512
         : simd_cpu_supports(W2V_SIMD_AVX2)   ? W2V_SIMD_AVX2
                                              : W2V_SIMD_BASELINE;
    /* racing first calls all compute the same answer */
    __atomic_store_n(&simd_selected, path, __ATOMIC_RELAXED);
    return path;
}

int w2v_simd_select(int path) {
    if (!simd_cpu_supports(path))
        return -1;
    const int previous = w2v_simd_path();
    __atomic_store_n(&simd_selected, path, __ATOMIC_RELAXED);
    return previous;
}

/* The baseline copy inlines vecops.h's 8-float helpers (dead code there, as
 * vec8 == 0): no value with the AVX calling convention ever crosses a call. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

/* One public entry point over three copies of an inline body: the body (and
 * every W2V_INLINE helper under it) is compiled once per target attribute,
 * and receives its path as a constant first argument. */
#if W2V_HAVE_CLONES
#define W2V_MULTIVERSION(ret, name, body, params, ...)                                  \
    W2V_TARGET_V4 static ret name##_avx512 params {                                     \
        return body(W2V_SIMD_AVX512, ##__VA_ARGS__);                                    \
    }                                                                                   \
    W2V_TARGET_V3 static ret name##_avx2 params { return body(W2V_SIMD_AVX2, ##__VA_ARGS__); } \
    static ret name##_baseline params { return body(W2V_SIMD_BASELINE, ##__VA_ARGS__); } \
    ret name params {                                                                   \
        switch (w2v_simd_path()) {                                                      \
        case W2V_SIMD_AVX512: return name##_avx512(__VA_ARGS__);                        \
        case W2V_SIMD_AVX2: return name##_avx2(__VA_ARGS__);                            \
        default: return name##_baseline(__VA_ARGS__);                                   \
        }                                                                               \
    }
#else
#define W2V_MULTIVERSION(ret, name, body, params, ...) \
    ret name params { return body(W2V_SIMD_BASELINE, ##__VA_ARGS__); }
#endif

W2V_MULTIVERSION(int, w2v_train_stream, train_stream,
                 (const w2v_model *m, w2v_worker *w, w2v_progress *p, const index_t *ids,
                  int64_t n, int64_t *raw_words, int64_t *effective_words),
                 m, w, p, ids, n, raw_words, effective_words)

W2V_MULTIVERSION(double, w2v_train_example, train_example_hook,
                 (const w2v_model *m, w2v_worker *w, const real_t *h, index_t target,
                  real_t alpha),
                 m, w, h, target, alpha)

W2V_MULTIVERSION(double, w2v_train_centre, train_centre_hook,
                 (const w2v_model *m, w2v_worker *w, const index_t *context, int n_context,
                  index_t centre, real_t alpha),
                 m, w, context, n_context, centre, alpha)

W2V_MULTIVERSION(int, w2v_fused_multiply_add, fused_multiply_add, (void))
