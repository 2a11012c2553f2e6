/* Phrase (collocation) learning and applying over byte tokens, with the
 * semantics of gensim 4's Phrases (mirrored in w2v/_phrases.pxd).
 *
 * Learning counts, per sentence, every non-connector token (a unigram) and,
 * for every two consecutive non-connector tokens, the string
 * "a<D>c1<D>...<D>b" of the pair joined by the delimiter D with the connector
 * tokens between them (a phrase); both go into one vt_table, which is
 * gensim's `vocab` (its size is the `len_vocab` of the default score).
 * After each sentence, when the table holds more than max_vocab_size
 * entries, every entry with count < min_reduce is dropped and min_reduce
 * grows by one (gensim's rule; max_vocab_size 0: unbounded).
 *
 * Applying walks a sentence left to right: a candidate is the pending start
 * token, the connectors after it and the next non-connector token; when the
 * candidate's score is above the threshold it is emitted joined and the next
 * token starts afresh, otherwise the start and its connectors are emitted as
 * they were and the new token becomes the start.
 *
 * Plain C, no Python.h.  A learner or applier belongs to one thread.
 */
#ifndef W2V_PHRASES_H
#define W2V_PHRASES_H

#include <stddef.h>
#include <stdint.h>

#include "vocab_table.h"

#define PH_SCORE_DEFAULT 0 /* (ab - min_count) / (a * b) * len_vocab (Mikolov et al. 2013) */
#define PH_SCORE_NPMI 1    /* ln(p(ab) / (p(a) p(b))) / -ln(p(ab)) (Bouma 2009) */

/* What scoring needs besides the three counts. */
typedef struct ph_scoring {
    int kind;                  /* PH_SCORE_DEFAULT or PH_SCORE_NPMI */
    double min_count;
    double len_vocab;
    double corpus_word_count;
} ph_scoring;

double ph_score(const ph_scoring *s, int64_t a, int64_t b, int64_t ab);
/* Count of word in t (0 when absent). */
int64_t ph_count(const vt_table *t, const char *w, size_t len);
/* Bytes of entry k (its length in *len). */
const char *ph_entry(const vt_table *t, size_t k, size_t *len);

/* Token and sentence boundaries shared by learner and applier. */
typedef struct ph_tokens {
    int64_t max_sentence_length;  /* file input: a line is cut into sentences of this many tokens */
    int64_t sentence_tokens;      /* tokens of the current sentence so far */
    char *partial;                /* token cut at the end of the last block */
    size_t partial_len, partial_cap;
} ph_tokens;

/* Pair counts keyed by the two tokens' entry indices in the learner's vocab:
 * one probe of a small slot per pair instead of hashing and comparing the
 * joined string.  Open addressing, load <= 0.7. */
typedef struct ph_pair_slot {
    uint64_t key;                 /* (a + 1) << 32 | (b + 1); 0: empty */
    int64_t count;
} ph_pair_slot;

typedef struct ph_pairs {
    ph_pair_slot *slots;          /* NULL until the first pair */
    uint32_t *ord;                /* per slot: first-occurrence ordinal (ph_learner.next_ord) */
    uint64_t mask;
    size_t size;
} ph_pairs;

typedef struct ph_learner {
    vt_table *vocab;              /* owned; unigrams and joined phrases (settled: see below) */
    const vt_table *connectors;   /* borrowed; NULL or empty: none */
    const char *delim;
    size_t delim_len;
    int64_t max_vocab_size;       /* 0: unbounded */
    int64_t min_reduce;           /* next pruning threshold (count < min_reduce goes) */
    int64_t total_words;          /* every token read, connectors included */
    int64_t sentences;
    int have_start;
    char *pending;                /* start token, then <D>connector for each connector since */
    size_t pending_len, pending_cap;
    /* words to add, collected over a sentence and added in one vt_add_many */
    char *ops;
    size_t ops_len, ops_cap;
    size_t *op_offs, *op_lens;
    size_t n_ops, op_cap;
    ph_tokens tok;
    /* Without connector words, a pair of adjacent tokens is counted in
     * `pairs` under the indices of its two unigrams, and vocab holds only
     * what it held at the last settle plus new unigrams.  ph_learner_settle
     * writes the pairs into vocab as joined strings, every entry in order of
     * first occurrence (the ordinals), which gives the table the string
     * counting would have built.  vocab is exact only after a settle. */
    int use_pairs;
    /* 1 while vocab holds only unigrams free of the delimiter and every pair
     * is in `pairs`: no two of them then join to the same string, so sizes,
     * candidates and merges are read off the pairs without settling */
    int pure;
    ph_pairs pairs;
    size_t settled;               /* vocab entries [0, settled) have ordinal = index */
    uint32_t *vord;               /* ordinal of vocab entry settled + k */
    size_t vord_cap;
    uint64_t next_ord;
    size_t *op_ids;               /* vocab index of each queued op */
    uint64_t *op_keys;            /* pair key ending at each queued op (0: none) */
    int have_prev;                /* the last op of the sentence so far is prev_id */
    size_t prev_id;
} ph_learner;

/* Returns NULL when out of memory.  The delimiter and connectors must outlive it. */
ph_learner *ph_learner_new(const vt_table *connectors, const char *delim, size_t delim_len,
                           int64_t max_vocab_size, int64_t max_sentence_length);
void ph_learner_free(ph_learner *l);
/* Count tokens of a byte block (file input; \n and \r end lines).  With
 * final != 0 the block ends the input.  Returns VT_OK or an error code. */
int ph_learn_block(ph_learner *l, const char *buf, size_t n, int final);
/* Make l->vocab exact (see use_pairs); the table keeps its address.  Call it
 * before reading or changing l->vocab.  VT_OK or an error code. */
int ph_learner_settle(ph_learner *l);
/* Gensim's pruning rule once, by l->max_vocab_size (settles first if it prunes). */
int ph_learner_prune(ph_learner *l);
/* Add src's counts to dst (gensim's add_vocab without the pruning); src is
 * settled when either is not pure. */
int ph_learner_merge(ph_learner *dst, ph_learner *src);
/* Pure learner: the pairs counted more than skip_le times, as ph_candidates
 * gives them, plus each one's count (out_ab) and ordinal (out_ord); a pair's
 * index is vocab->size + its slot (see ph_pair_words).  Capacity: pairs.size. */
size_t ph_pair_candidates(const ph_learner *l, int64_t skip_le, int64_t *out_index,
                          int64_t *out_a, int64_t *out_b, int64_t *out_ab, int64_t *out_ord);
/* The two words of pair slot s (0 when s holds no pair). */
int ph_pair_words(const ph_learner *l, size_t s, const char **a, size_t *alen,
                  const char **b, size_t *blen);
/* Count n_sent whole sentences given as tokens: token i has the bytes
 * blob[off_i : off_i + lens[i]], sentence j has sent_lens[j] tokens. */
int ph_learn_tokens(ph_learner *l, const char *blob, const int64_t *lens,
                    const int64_t *sent_lens, int64_t n_sent);
/* Gensim's rule once: if the table holds more than max_size entries, drop
 * those with count < *min_reduce and increment *min_reduce. */
int ph_prune(vt_table *vocab, int64_t max_size, int64_t *min_reduce);

/* Phrases of a vocabulary (gensim export_phrases): every entry whose string
 * holds the delimiter, split left to right; the first and last pieces must
 * be entries too.  Writes entry index, count of first piece, count of last
 * piece for each such candidate into out_index/out_a/out_b (capacity
 * vocab->size) and returns how many.  Entries counted <= skip_le are
 * skipped (for a scorer that can never pass them).  Scoring and the
 * threshold are the caller's (ph_score for the built-in scorers). */
size_t ph_candidates(const vt_table *vocab, const char *delim, size_t delim_len,
                     int64_t skip_le, int64_t *out_index, int64_t *out_a, int64_t *out_b);

/* How an applier scores a candidate: with a frozen table (phrase string ->
 * scores[index]), or live from a vocabulary (gensim Phrases.score_candidate). */
typedef struct ph_model {
    const vt_table *connectors;   /* NULL or empty: none */
    const char *delim;
    size_t delim_len;
    double threshold;
    const vt_table *phrases;      /* frozen mode when not NULL */
    const double *scores;
    /* frozen mode: one bit per hash value of every phrase (ph_model_set_filter),
     * so most non-phrases are answered from a bitmap that stays in cache
     * instead of a probe of the phrase table; NULL: always probe */
    uint64_t *filter;
    uint64_t filter_mask;         /* words in filter - 1 */
    const vt_table *vocab;        /* live mode */
    ph_scoring scoring;
} ph_model;

/* Build (or rebuild) m->filter from m->phrases; VT_OK or VT_ENOMEM.  The
 * bitmap has about 32 bits per phrase (a few % of non-phrases pass it and
 * are probed as before).  ph_model_free_filter releases it. */
int ph_model_set_filter(ph_model *m);
void ph_model_free_filter(ph_model *m);

typedef struct ph_applier {
    const ph_model *m;
    int have_start;
    char *pending;                /* start<D>c1<D>...<D>ck: the candidate so far */
    size_t pending_len, pending_cap;
    size_t *cuts;                 /* end offset in pending of start, c1, ..., ck */
    size_t n_cuts, cuts_cap;
    /* output: tokens separated by a space, a sentence line ended by \n */
    char *out;
    size_t out_len, out_cap;
    int line_has_tokens;
    /* token output (ph_apply_tokens): per emitted token, its length and score
     * (NaN when not a phrase), and tokens per sentence */
    int64_t *tok_lens;
    double *tok_scores;
    size_t n_out_tokens, tok_cap;
    int64_t phrases_made;
    ph_tokens tok;
} ph_applier;

ph_applier *ph_applier_new(const ph_model *m, int64_t max_sentence_length);
void ph_applier_free(ph_applier *a);
/* Apply to a byte block (file input), appending the phrased text to a->out:
 * one output line per input line holding tokens.  Returns VT_OK or an error. */
int ph_apply_block(ph_applier *a, const char *buf, size_t n, int final);
/* Apply to n_sent sentences given as tokens (as ph_learn_tokens).  Output
 * tokens are concatenated in a->out (no separators), their lengths and
 * scores in a->tok_lens / a->tok_scores, each sentence's token count in
 * out_sent_lens[j]. */
int ph_apply_tokens(ph_applier *a, const char *blob, const int64_t *lens,
                    const int64_t *sent_lens, int64_t n_sent, int64_t *out_sent_lens);
/* Forget the output (keeps the buffers). */
void ph_applier_reset_output(ph_applier *a);

#endif
