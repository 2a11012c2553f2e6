# Mirrors csrc/phrases.h.
from libc.stdint cimport int64_t, uint64_t
from w2v._vocab_table cimport vt_table

cdef extern from "phrases.h" nogil:
    int PH_SCORE_DEFAULT
    int PH_SCORE_NPMI

    ctypedef struct ph_scoring:
        int kind
        double min_count
        double len_vocab
        double corpus_word_count

    double ph_score(const ph_scoring *s, int64_t a, int64_t b, int64_t ab)
    int64_t ph_count(const vt_table *t, const char *w, size_t len)
    const char *ph_entry(const vt_table *t, size_t k, size_t *len)

    ctypedef struct ph_pairs:
        size_t size
    ctypedef struct ph_learner:
        vt_table *vocab
        int pure
        ph_pairs pairs
        int64_t max_vocab_size
        int64_t min_reduce
        int64_t total_words
        int64_t sentences

    ph_learner *ph_learner_new(const vt_table *connectors, const char *delim, size_t delim_len,
                               int64_t max_vocab_size, int64_t max_sentence_length)
    void ph_learner_free(ph_learner *l)
    int ph_learn_block(ph_learner *l, const char *buf, size_t n, int final)
    int ph_learn_tokens(ph_learner *l, const char *blob, const int64_t *lens,
                        const int64_t *sent_lens, int64_t n_sent)
    int ph_learner_settle(ph_learner *l)
    int ph_learner_prune(ph_learner *l)
    int ph_learner_merge(ph_learner *dst, ph_learner *src)
    size_t ph_pair_candidates(const ph_learner *l, int64_t skip_le, int64_t *out_index,
                              int64_t *out_a, int64_t *out_b, int64_t *out_ab, int64_t *out_ord)
    int ph_pair_words(const ph_learner *l, size_t s, const char **a, size_t *alen,
                      const char **b, size_t *blen)
    int ph_prune(vt_table *vocab, int64_t max_size, int64_t *min_reduce)
    size_t ph_candidates(const vt_table *vocab, const char *delim, size_t delim_len,
                         int64_t skip_le, int64_t *out_index, int64_t *out_a, int64_t *out_b)

    ctypedef struct ph_model:
        const vt_table *connectors
        const char *delim
        size_t delim_len
        double threshold
        const vt_table *phrases
        const double *scores
        uint64_t *filter
        uint64_t filter_mask
        const vt_table *vocab
        ph_scoring scoring

    int ph_model_set_filter(ph_model *m)
    void ph_model_free_filter(ph_model *m)

    ctypedef struct ph_applier:
        char *out
        size_t out_len
        int64_t *tok_lens
        double *tok_scores
        size_t n_out_tokens
        int64_t phrases_made

    ph_applier *ph_applier_new(const ph_model *m, int64_t max_sentence_length)
    void ph_applier_free(ph_applier *a)
    int ph_apply_block(ph_applier *a, const char *buf, size_t n, int final)
    int ph_apply_tokens(ph_applier *a, const char *blob, const int64_t *lens,
                        const int64_t *sent_lens, int64_t n_sent, int64_t *out_sent_lens)
    void ph_applier_reset_output(ph_applier *a)
