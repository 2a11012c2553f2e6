/* word2vec training kernels: skip-gram / CBOW x negative sampling / hierarchical
 * softmax, Hogwild SGD (Mikolov et al. 2013, "Efficient Estimation of Word
 * Representations" and "Distributed Representations of Words and Phrases"),
 * and skip-gram with negatives shared by the whole window of a centre word
 * (Ji et al. 2016, "Parallelizing Word2Vec in Shared and Distributed Memory").
 *
 * Three structs, one per sharing pattern:
 *   w2v_model     read-mostly, shared by all threads: weight matrices (updated
 *                 lock-free, Hogwild), sampling tables, hyper-parameters.
 *   w2v_progress  shared by all threads of one train() call: word counter for the
 *                 learning rate, stop / nonfinite flags; touched with atomics.
 *   w2v_worker    owned by exactly one thread: RNG, scratch vectors, sentence
 *                 buffer, loss accumulator; allocated once, never per token.
 *
 * Random draws of one worker, in this order (tests/reference.py follows it):
 *   reading a sentence: one draw per token whose keep threshold is below
 *     2^32-1 (a threshold of 2^32-1 always keeps, so no draw is spent on it);
 *   then per centre position, left to right: one draw b = r % window when
 *     shrink_windows (effective window window - b, as word2vec.c);
 *   then per training example, `negative` alias draws for its noise words, a
 *     draw equal to the target dropped (not replaced), as word2vec.c.
 * Skip-gram draws the noise of the next (context, centre) example before
 * training the current one (for a centre's last example: the next centre's
 * window and its first example's noise), and CBOW the next centre's window
 * and noise before training the current centre, to prefetch their rows; this
 * moves draws only relative to float arithmetic, never relative to other
 * draws.
 * Examples of one centre go left to right over its context; within an example
 * hierarchical softmax runs before negative sampling (word2vec.c's order).
 *
 * Shared negatives (w2v_model.shared_negatives, skip-gram + negative sampling
 * only) replace the per-example noise: per centre position, left to right, the
 * window draw (when shrink_windows) and then, when the chunk holds at least 2
 * tokens (so every centre has a context word), `negative` alias draws shared by
 * all of that centre's context words, a draw equal to the centre dropped (not
 * replaced) and duplicates kept (a word drawn twice counts twice).  The window
 * and noise of the next centre are drawn before the current one trains, to
 * prefetch their rows (again order-preserving).  One centre is one minibatch:
 * inputs In = the context rows of syn0 in window order (j < i, then j > i),
 * outputs Out = (centre, noise_1, ..., noise_K) rows of syn1neg, labels
 * (1, 0, ..., 0); with the rows as they were before the minibatch,
 *   S = In Out^T,  G = (label - sigmoid(S)) * alpha,
 *   dIn = G Out (dIn[b] summed over outputs in order, from 0),
 *   then Out[o] += G[:,o]^T In for o in order (each row summed over the inputs
 *   in order, starting from the row), then In[b] += dIn[b] for b in order;
 * the loss (compute_loss) adds the pairs output by output, input by input.
 * A word repeated among the inputs or among the outputs receives every one of
 * its updates (summed, all computed from the pre-minibatch rows).
 *
 * Private output rows (a worker made with private_rows or private_nodes > 0;
 * Word2Vec does so for skip-gram with several threads): the rows of the
 * private_rows most frequent words in syn1neg (ids 0..private_rows-1, the
 * vocabulary being sorted by count) and of the private_nodes inner nodes
 * nearest the Huffman root in syn1 (ids V-1-private_nodes..V-2) are read and
 * written in the worker's own copy.  The worker adds what it changed in them
 * to the shared rows, and takes back the others' changes, every sync_every
 * words read (default W2V_SYNC_WORDS) and when w2v_train_stream returns
 * ("syncs"; one worker at a time, so that no update is lost: the shared copy
 * of a private row is written only by syncs).  These few rows take
 * most of the output updates; shared, their cache lines move between the
 * cores at nearly every step, which cost skip-gram a third of its 2-thread
 * speed when the cores are far apart, and hierarchical softmax most of it
 * (bench/RESULTS.md, "Private output rows").  The random draws and the
 * arithmetic of each step are unchanged; a worker just sees the other
 * workers' steps on these rows up to one sync late.  A worker with none writes
 * in place and follows tests/reference.py.
 *
 * Learning rate: a worker adds its word count to progress->words_done once it
 * has read report_every words (checked after reading each chunk) and then
 * recomputes alpha from the shared counter; alpha is constant in between. */
#ifndef W2V_TRAIN_H
#define W2V_TRAIN_H

#include <stdint.h>
#include "w2v_types.h"

/* word2vec.c's sigmoid table: W2V_SIGMOID_TABLE_SIZE entries over
 * [-W2V_MAX_EXP, W2V_MAX_EXP]; outside that range the table sigmoid is exactly
 * 0 or 1 (a confidently right score then gets no update, a confidently wrong one
 * the full step). */
#define W2V_SIGMOID_TABLE_SIZE 1000
#define W2V_MAX_EXP 6
/* The exact sigmoid clips its argument here so expf never overflows; in float32
 * 1/(1+exp(-x)) has already saturated to 1 well before. */
#define W2V_EXACT_CLIP 30.0f
/* The loss is -log of the sigmoid actually used, clamped away from 0. */
#define W2V_LOSS_MIN_PROB 1e-8f

enum w2v_sigmoid_kind { W2V_SIGMOID_TABLE = 0, W2V_SIGMOID_EXACT = 1 };

/* Default words a worker with private output rows reads between two syncs. */
#define W2V_SYNC_WORDS 16384

/* Status returned by w2v_train_stream. */
enum w2v_status {
    W2V_OK = 0,          /* the whole stream was trained */
    W2V_STOPPED = 1,     /* progress->stop was set (or another worker saw a non-finite score) */
    W2V_NONFINITE = 2,   /* this worker met a NaN/inf score; progress->nonfinite is set */
    W2V_BAD_ID = 3,      /* an id outside [0, V) other than W2V_EOS; see worker->bad_pos */
};

typedef struct {
    /* The weights: rows of dim floats, row r at r * stride (all three matrices
     * alike; stride >= dim, the floats past dim never used nor written).
     * syn0: input ("word") vectors [V rows]; the embeddings users keep. */
    real_t *syn0;
    /* syn1neg: output vectors for negative sampling [V rows]; NULL when negative == 0. */
    real_t *syn1neg;
    /* syn1: output vectors of the Huffman tree's inner nodes, rows 0..V-2 used; NULL when !hs. */
    real_t *syn1;
    const uint32_t *keep_threshold;   /* [V] subsampling, see ARCHITECTURE.md */
    const uint32_t *alias_prob;       /* [V] alias table of the noise distribution */
    const index_t *alias_index;       /* [V] */
    const uint8_t *hs_codes;          /* Huffman paths, flat; word w: [hs_offsets[w], hs_offsets[w+1]) */
    const index_t *hs_points;
    const int64_t *hs_offsets;        /* [V+1] */
    int64_t vocab_size;               /* V */
    int dim;
    int64_t stride;                   /* floats from one row of a weight matrix to the next */
    int window;                       /* >= 1 */
    int negative;                     /* noise words per example; 0 disables negative sampling */
    int hs;                           /* hierarchical softmax on/off (may be on together with negative) */
    int sg;                           /* 1 skip-gram, 0 CBOW */
    int cbow_mean;                    /* CBOW input: 1 mean, 0 sum of the context vectors */
    int shrink_windows;               /* word2vec.c's dynamic window */
    int compute_loss;                 /* accumulate -log sigmoid into worker->loss */
    int sigmoid;                      /* enum w2v_sigmoid_kind */
    int shared_negatives;             /* skip-gram NS: one noise set per centre (Ji et al. 2016); needs sg, negative > 0, !hs */
    /* [V] learning-rate factor of each input row (gensim's vectors_lockf): the
     * row takes lockf[w] times its SGD step, none at all when 0 (frozen, bit
     * for bit).  NULL: every row takes its full step. */
    const real_t *lockf;
} w2v_model;

typedef struct {
    int64_t words_done;      /* in-vocabulary tokens read by all threads (atomic) */
    int64_t total_words;     /* words_done at which alpha reaches end_alpha; <= 0: constant start_alpha */
    double start_alpha;
    double end_alpha;
    int stop;                /* set by the caller to interrupt; checked between sentences (atomic) */
    int nonfinite;           /* set by a worker that met a NaN/inf score (atomic) */
    int sync_lock;           /* held by the worker merging its private rows (train.c) */
} w2v_progress;

/* A worker's private copy of rows [lo, lo + n) of one shared matrix. */
typedef struct {
    int64_t lo, n;           /* n == 0: no private rows */
    real_t *rows;            /* [n x stride] the rows as this worker trains them */
    real_t *base;            /* [n x stride] the shared rows at the last sync */
} w2v_private_rows;

typedef struct {
    uint64_t rng;            /* splitmix64 state */
    int dim;
    int64_t max_sentence_length;
    int64_t report_every;    /* flush words_done to the shared counter after this many words */
    int64_t sync_every;      /* sync the private output rows after this many words */
    real_t *h;               /* [dim] CBOW input vector (neu1) */
    real_t *grad;            /* [dim] accumulated gradient step for the input (neu1e) */
    index_t *sentence;       /* [max_sentence_length] kept tokens of the current chunk */
    real_t **noise;          /* [2 * negative] output rows (syn1neg_row) of the noise words
                                of this and the next example */
    double loss;             /* sum of -log sigmoid over all logistic steps (compute_loss) */
    int64_t examples;        /* (input, target) examples trained: SG pairs, CBOW centres */
    int64_t bad_pos;         /* W2V_BAD_ID: position of the offending id in the stream */
    /* Shared-negative minibatch scratch (NULL unless the model has
     * shared_negatives; batch_in also for CBOW) for B = batch_capacity inputs
     * at most (2 * window, or fewer when a sentence chunk cannot hold that many
     * context words) and K + 1 = negative + 1 outputs: */
    int batch_capacity;
    real_t **batch_in;       /* [B] input rows (syn0) of the current centre: its context words' */
    real_t **batch_out;      /* [K+1] output rows (syn1neg): centre, then noise */
    real_t *batch_g;         /* [(K+1) x B] scores, then their gradient coefficients */
    real_t *batch_grad;      /* [B x dim] input steps dIn */
    /* Private output rows (see above): of syn1neg and of syn1. */
    w2v_private_rows own_syn1neg, own_syn1;
} w2v_worker;

/* Failures of w2v_worker_init. */
enum w2v_init_status {
    W2V_NO_BUFFERS = -1,  /* out of memory, or a buffer size that does not fit in size_t */
    W2V_BAD_SIZE = -2,    /* max_sentence_length < 1, window or negative beyond INT32_MAX / 2,
                             private_rows or private_nodes < 0, or a model without dim/window */
};

/* Fills the sigmoid table; idempotent and thread-safe in practice (every call
 * writes the same values), called by w2v_worker_init. */
void w2v_init_tables(void);

/* Sized for model m (dim, negative, window, shared_negatives, hs, vocab_size):
 * a worker trains only the model it was made for.  private_rows (of syn1neg)
 * and private_nodes (of syn1): 0, or how many output rows the worker trains in
 * its own copy ("Private output rows"; capped at the matrix, unused when the
 * model has no such matrix).  0 on success, else an enum w2v_init_status
 * (nothing left allocated). */
int w2v_worker_init(w2v_worker *w, const w2v_model *m, int64_t max_sentence_length,
                    uint64_t seed, int64_t private_rows, int64_t private_nodes);
void w2v_worker_free(w2v_worker *w);

/* Current learning rate (ARCHITECTURE.md "Learning rate") for a words_done value. */
double w2v_alpha_at(const w2v_progress *p, int64_t words_done);
int64_t w2v_progress_words_done(const w2v_progress *p);
int w2v_progress_stopped(const w2v_progress *p);
int w2v_progress_nonfinite(const w2v_progress *p);
void w2v_progress_request_stop(w2v_progress *p);

/* Trains on an encoded stream ids[0..n) (ARCHITECTURE.md "Encoded corpus"):
 * subsampling, dynamic window, SG or CBOW examples, NS and/or HS losses.
 * Sentences longer than the worker's buffer are trained in consecutive chunks
 * of kept tokens.  Adds the in-vocabulary tokens read to *raw_words and the kept
 * ones to *effective_words, and the former to progress->words_done.  Returns an
 * enum w2v_status. */
int w2v_train_stream(const w2v_model *m, w2v_worker *w, w2v_progress *p,
                     const index_t *ids, int64_t n,
                     int64_t *raw_words, int64_t *effective_words);

/* The two test hooks below need a worker with no private rows. */

/* Test hook: one example with a given input vector h: runs the enabled losses
 * for `target` (drawing negatives from w->rng), updates the output rows, leaves
 * the input gradient step (alpha * -dloss/dh) in w->grad and returns the loss of
 * this example (computed even when !m->compute_loss).  Returns NaN after a
 * non-finite score. */
double w2v_train_example(const w2v_model *m, w2v_worker *w, const real_t *h,
                         index_t target, real_t alpha);

/* Test hook for shared negatives: one minibatch with the given context words
 * (n_context <= w->batch_capacity) around `centre`: draws the `negative` shared noise
 * words from w->rng, updates syn0 and syn1neg, returns the minibatch's loss
 * (computed even when !m->compute_loss), NaN after a non-finite score (then
 * nothing was updated). */
double w2v_train_centre(const w2v_model *m, w2v_worker *w, const index_t *context,
                        int n_context, index_t centre, real_t alpha);

/* Test hook for the private-row merges: loads the worker's private rows, then
 * `times` times adds `step` to every value of them and syncs (as training
 * does every sync_every words).  Workers running it concurrently on one model
 * and progress must leave every shared private value at its start plus
 * step * (total times): a lost update shows. */
void w2v_private_rows_add_and_sync(const w2v_model *m, w2v_worker *w, w2v_progress *p,
                                   real_t step, int64_t times);

/* 1 when the running copy of the kernels fuses a*b+c into one rounding (FMA):
 * lets tests/reference.py follow the kernel's arithmetic bit for bit. */
int w2v_fused_multiply_add(void);

/* Instruction-set paths.  The kernels are compiled once per path in the same
 * library (no -march=native needed); the best one the CPU and OS support is
 * picked on first use.  Results differ between paths only by FMA contraction
 * (baseline: none); the vector width never changes the arithmetic. */
enum w2v_simd {
    W2V_SIMD_BASELINE = 0,   /* x86-64 SSE2, or any other architecture */
    W2V_SIMD_AVX2 = 1,       /* x86-64-v3: AVX2 + FMA */
    W2V_SIMD_AVX512 = 2,     /* x86-64-v4: AVX-512 F/BW/CD/DQ/VL */
};
/* The path the kernels run now. */
int w2v_simd_path(void);
/* 1 when this build has the path and this machine can run it. */
int w2v_simd_supported(int path);
/* Selects a supported path for all later calls (tests and benchmarks compare
 * them); returns the previous path, or -1 (nothing changed) when unsupported. */
int w2v_simd_select(int path);

#endif
