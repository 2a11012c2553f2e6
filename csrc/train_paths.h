/* Internal to the training kernels: what csrc/train.c (tables, workers,
 * dispatch) shares with the three instruction-set copies of the kernels
 * (csrc/train_baseline.c, train_avx2.c, train_avx512.c, each compiling
 * csrc/train_kernels.h once for its target).
 *
 * The copies are separate translation units so that they compile in parallel
 * (one TU with all three took 26 s, the critical path of the build).  Our own
 * dispatch rather than GCC's target_clones: it can say which copy runs
 * (w2v_simd_path) and tests can select each one to check it against
 * tests/reference.py.  The v3/v4 copies contract a*b+c into FMA (GCC's default
 * -ffp-contract=fast), the only arithmetic difference between the copies. */
#ifndef W2V_TRAIN_PATHS_H
#define W2V_TRAIN_PATHS_H

#include "train.h"

/* arch=x86-64-v3/v4 target attributes need GCC 11 or Clang 12. */
#if defined(__x86_64__) && !defined(W2V_NO_CLONES) && \
    ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && __GNUC__ >= 11))
#define W2V_HAVE_CLONES 1
#else
#define W2V_HAVE_CLONES 0
#endif

/* Symbols shared between the kernel TUs but not exported from the extension:
 * hidden, so that the copies reach them PC-relative, as a static, not through
 * the GOT (the sigmoid table is read at every logistic step). */
#if defined(__GNUC__) || defined(__clang__)
#define W2V_HIDDEN __attribute__((visibility("hidden")))
#else
#define W2V_HIDDEN
#endif

#if defined(__GNUC__) || defined(__clang__)
#define W2V_NOINLINE __attribute__((noinline))
#else
#define W2V_NOINLINE
#endif

/* Bin i holds sigmoid at the centre of [-MAX_EXP + i*w, -MAX_EXP + (i+1)*w),
 * w = 2*MAX_EXP/SIZE: half the worst-case error of word2vec.c's left-edge
 * table.  Filled by w2v_init_tables (csrc/train.c). */
extern W2V_HIDDEN real_t w2v_sigmoid_table[W2V_SIGMOID_TABLE_SIZE];
#define W2V_TABLE_SCALE ((real_t)W2V_SIGMOID_TABLE_SIZE / (real_t)(2 * W2V_MAX_EXP))

/* Private output rows (train.h), in csrc/train.c: once per call and once per
 * sync_every words, so not worth a copy per path.  load: the worker's copies
 * as the shared rows are now; sync: serialized merge (see train.c). */
W2V_HIDDEN void w2v_private_rows_load(const w2v_model *m, w2v_worker *w, w2v_progress *p);
W2V_HIDDEN void w2v_private_rows_sync(const w2v_model *m, w2v_worker *w, w2v_progress *p);

/* The entry points of one copy: train.h's functions of the same name without
 * the suffix dispatch to them. */
#define W2V_PATH_ENTRY_POINTS(suffix)                                                      \
    W2V_HIDDEN int w2v_train_stream_##suffix(const w2v_model *m, w2v_worker *w,            \
                                             w2v_progress *p, const index_t *ids,          \
                                             int64_t n, int64_t *raw_words,                \
                                             int64_t *effective_words);                    \
    W2V_HIDDEN double w2v_train_example_##suffix(const w2v_model *m, w2v_worker *w,        \
                                                 const real_t *h, index_t target,          \
                                                 real_t alpha);                            \
    W2V_HIDDEN double w2v_train_centre_##suffix(const w2v_model *m, w2v_worker *w,         \
                                                const index_t *context, int n_context,     \
                                                index_t centre, real_t alpha);             \
    W2V_HIDDEN int w2v_fused_multiply_add_##suffix(void);

W2V_PATH_ENTRY_POINTS(baseline)
#if W2V_HAVE_CLONES
W2V_PATH_ENTRY_POINTS(avx2)
W2V_PATH_ENTRY_POINTS(avx512)
#endif

#endif
