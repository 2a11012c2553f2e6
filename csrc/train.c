/* Training kernels, the parts every instruction-set path shares: the sigmoid
 * table, the learning rate, worker allocation, and the run-time dispatch to
 * the best copy of the kernels (csrc/train_kernels.h, compiled once per path
 * by csrc/train_baseline.c, train_avx2.c and train_avx512.c; train_paths.h
 * says why).  See train.h for the structs and the order of random draws. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <malloc.h>
#include <windows.h>
#else
#include <sched.h>
#endif

#include "train.h"
#include "train_paths.h"

W2V_HIDDEN real_t w2v_sigmoid_table[W2V_SIGMOID_TABLE_SIZE];
static int sigmoid_table_ready = 0;

void w2v_init_tables(void) {
    if (__atomic_load_n(&sigmoid_table_ready, __ATOMIC_ACQUIRE))
        return;
    for (int i = 0; i < W2V_SIGMOID_TABLE_SIZE; i++) {
        double x = -W2V_MAX_EXP + (i + 0.5) * (2.0 * W2V_MAX_EXP / W2V_SIGMOID_TABLE_SIZE);
        w2v_sigmoid_table[i] = (real_t)(1.0 / (1.0 + exp(-x)));
    }
    __atomic_store_n(&sigmoid_table_ready, 1, __ATOMIC_RELEASE);
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
    if (bytes > SIZE_MAX - line)
        return NULL;
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
/* *bytes = a x b x item, or 0 (false) when a or b is negative or the product does not
 * fit in size_t: sizes that wrapped around would allocate a short buffer that the
 * kernels then overrun. */
static int size_product(int64_t a, int64_t b, size_t item, size_t *bytes) {
    if (a < 0 || b < 0 || (uint64_t)a > SIZE_MAX || (uint64_t)b > SIZE_MAX)
        return 0;
    size_t n = (size_t)a;
    if (b != 0 && n > SIZE_MAX / (size_t)b)
        return 0;
    n *= (size_t)b;
    if (item != 0 && n > SIZE_MAX / item)
        return 0;
    *bytes = n * item;
    return 1;
}

/* alloc_lines(a x b x item), NULL when that size does not exist. */
static void *alloc_product(int64_t a, int64_t b, size_t item) {
    size_t bytes;
    return size_product(a, b, item, &bytes) ? alloc_lines(bytes) : NULL;
}

static int private_rows_init(w2v_private_rows *own, int64_t lo, int64_t n, int64_t rows,
                             int64_t stride) {
    n = n < rows - lo ? n : rows - lo;
    own->lo = lo;
    own->n = n > 0 ? n : 0;
    if (own->n == 0)
        return 1;
    own->rows = alloc_product(own->n, stride, sizeof(real_t));
    own->base = alloc_product(own->n, stride, sizeof(real_t));
    return own->rows && own->base;
}

static void private_rows_free(w2v_private_rows *own) {
    free_lines(own->rows);
    free_lines(own->base);
    own->rows = own->base = NULL;
    own->n = 0;
}

int w2v_worker_init(w2v_worker *w, const w2v_model *m, int64_t max_sentence_length,
                    uint64_t seed, int64_t private_rows, int64_t private_nodes) {
    memset(w, 0, sizeof(*w));
    /* The sizes come from Python, which range-checks them; checked again here so
     * that no caller can make the size arithmetic below overflow. */
    if (max_sentence_length < 1 || m->dim < 1 || m->stride < m->dim || m->window < 1
        || m->negative < 0
        || m->window > INT32_MAX / 2 || m->negative > INT32_MAX / 2
        || private_rows < 0 || private_nodes < 0)
        return W2V_BAD_SIZE;
    w2v_init_tables();
    const int dim = m->dim, negative = m->negative > 0 ? m->negative : 1;
    w->rng = seed;
    w->dim = dim;
    w->max_sentence_length = max_sentence_length;
    w->report_every = 10000;
    w->sync_every = W2V_SYNC_WORDS;
    w->h = alloc_product(dim, 1, sizeof(real_t));
    w->grad = alloc_product(dim, 1, sizeof(real_t));
    w->sentence = alloc_product(max_sentence_length, 1, sizeof(index_t));
    w->noise = alloc_product(2, negative, sizeof(real_t *));
    int ok = w->h && w->grad && w->sentence && w->noise;
    const int64_t context = max_sentence_length - 1 > 1 ? max_sentence_length - 1 : 1;
    w->batch_capacity = (int)(2 * (int64_t)m->window < context ? 2 * (int64_t)m->window : context);
    const int64_t n_in = w->batch_capacity, n_out = (int64_t)negative + 1;
    if (ok && (m->shared_negatives || !m->sg)) {
        w->batch_in = alloc_product(n_in, 1, sizeof(real_t *));
        ok = w->batch_in != NULL;
    }
    if (ok && m->shared_negatives) {
        w->batch_out = alloc_product(n_out, 1, sizeof(real_t *));
        w->batch_g = alloc_product(n_in, n_out, sizeof(real_t));
        w->batch_grad = alloc_product(n_in, m->stride, sizeof(real_t));
        ok = w->batch_out && w->batch_g && w->batch_grad;
    }
    if (ok && private_rows > 0 && m->negative > 0)
        ok = private_rows_init(&w->own_syn1neg, 0, private_rows, m->vocab_size, m->stride);
    if (ok && private_nodes > 0 && m->hs) {   /* inner nodes 0..V-2, the root V-2 */
        const int64_t nodes = m->vocab_size - 1;
        const int64_t n = private_nodes < nodes ? private_nodes : nodes;
        ok = private_rows_init(&w->own_syn1, nodes - n, n, nodes, m->stride);
    }
    if (!ok) {
        w2v_worker_free(w);
        return W2V_NO_BUFFERS;
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
    w->sentence = NULL;
    w->noise = w->batch_in = w->batch_out = NULL;
}

/* ------------------------------------------------- private output rows */

/* The merges of one train() call take turns (progress->sync_lock).  Between
 * merges no worker writes the shared copy of a private row (every worker of a
 * run has the same private rows), so a merge `shared += mine - base` that runs
 * alone adds exactly this worker's change: no update is lost.  Unlocked, two
 * merges of the same row could read the same old value and one of the two
 * changes vanished; with a vocabulary of a few hundred words, where the copies
 * hold every output row, that cost most of the multi-worker quality (issue 13,
 * tests/test_small_vocab.py).  A merge is a few hundred microseconds every
 * 16Ki words: the lock is almost never contended. */
static void sync_lock(w2v_progress *p) {
    unsigned spins = 0;
    while (__atomic_exchange_n(&p->sync_lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&p->sync_lock, __ATOMIC_RELAXED)) {
            if (++spins % 1024 == 0) {  /* the holder may have lost its core */
#if defined(_WIN32)
                SwitchToThread();
#else
                sched_yield();
#endif
            }
        }
    }
}

static void sync_unlock(w2v_progress *p) {
    __atomic_store_n(&p->sync_lock, 0, __ATOMIC_RELEASE);
}

/* The copies have the shared matrix's row stride (loaded whole: the floats
 * past dim come along unused; the merge writes columns [0, dim) only). */
static void rows_load(w2v_private_rows *own, const real_t *shared, int64_t stride) {
    const size_t bytes = (size_t)own->n * (size_t)stride * sizeof(real_t);
    if (bytes == 0)
        return;
    memcpy(own->rows, shared + own->lo * stride, bytes);
    memcpy(own->base, shared + own->lo * stride, bytes);
}

/* Adds this worker's change since the last sync to the shared rows and takes
 * back their current values, the other workers' changes included. */
static void rows_sync(w2v_private_rows *own, real_t *shared, int64_t stride, int d) {
    for (int64_t r = 0; r < own->n; r++) {
        real_t *restrict row = shared + (own->lo + r) * stride;
        real_t *restrict mine = own->rows + r * stride, *restrict base = own->base + r * stride;
        for (int k = 0; k < d; k++) {
            const real_t v = row[k] + (mine[k] - base[k]);
            row[k] = v;
            mine[k] = v;
            base[k] = v;
        }
    }
}

void w2v_private_rows_load(const w2v_model *m, w2v_worker *w, w2v_progress *p) {
    if (w->own_syn1neg.n == 0 && w->own_syn1.n == 0)
        return;
    sync_lock(p);   /* not a half-merged row */
    rows_load(&w->own_syn1neg, m->syn1neg, m->stride);
    rows_load(&w->own_syn1, m->syn1, m->stride);
    sync_unlock(p);
}

void w2v_private_rows_sync(const w2v_model *m, w2v_worker *w, w2v_progress *p) {
    if (w->own_syn1neg.n == 0 && w->own_syn1.n == 0)
        return;
    sync_lock(p);
    rows_sync(&w->own_syn1neg, m->syn1neg, m->stride, m->dim);
    rows_sync(&w->own_syn1, m->syn1, m->stride, m->dim);
    sync_unlock(p);
}

void w2v_private_rows_add_and_sync(const w2v_model *m, w2v_worker *w, w2v_progress *p,
                                   real_t step, int64_t times) {
    w2v_private_rows_load(m, w, p);
    for (int64_t t = 0; t < times; t++) {
        w2v_private_rows *own[2] = {&w->own_syn1neg, &w->own_syn1};
        for (int k = 0; k < 2; k++)
            for (int64_t r = 0; r < own[k]->n; r++)
                for (int64_t i = 0; i < m->dim; i++)
                    own[k]->rows[r * m->stride + i] += step;
        w2v_private_rows_sync(m, w, p);
    }
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

/* One public entry point over the three copies: the call `args` to
 * name##_avx512, _avx2 or _baseline, as w2v_simd_path says. */
#if W2V_HAVE_CLONES
#define W2V_DISPATCH(name, args)                      \
    switch (w2v_simd_path()) {                        \
    case W2V_SIMD_AVX512: return name##_avx512 args;  \
    case W2V_SIMD_AVX2: return name##_avx2 args;      \
    default: return name##_baseline args;             \
    }
#else
#define W2V_DISPATCH(name, args) return name##_baseline args;
#endif

int w2v_train_stream(const w2v_model *m, w2v_worker *w, w2v_progress *p, const index_t *ids,
                     int64_t n, int64_t *raw_words, int64_t *effective_words) {
    W2V_DISPATCH(w2v_train_stream, (m, w, p, ids, n, raw_words, effective_words))
}

double w2v_train_example(const w2v_model *m, w2v_worker *w, const real_t *h, index_t target,
                         real_t alpha) {
    W2V_DISPATCH(w2v_train_example, (m, w, h, target, alpha))
}

double w2v_train_centre(const w2v_model *m, w2v_worker *w, const index_t *context, int n_context,
                        index_t centre, real_t alpha) {
    W2V_DISPATCH(w2v_train_centre, (m, w, context, n_context, centre, alpha))
}

int w2v_fused_multiply_add(void) {
    W2V_DISPATCH(w2v_fused_multiply_add, ())
}
