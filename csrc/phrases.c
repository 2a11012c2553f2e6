/* Phrase learning and applying; see phrases.h for the rules (gensim 4's Phrases). */
#include "phrases.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1: ASCII whitespace, 2: also ends a line (ARCHITECTURE.md "Tokens"). */
static const unsigned char ph_space[256] = {
    [' '] = 1, ['\t'] = 1, ['\v'] = 1, ['\f'] = 1, ['\n'] = 2, ['\r'] = 2,
};

double ph_score(const ph_scoring *s, int64_t a, int64_t b, int64_t ab) {
    /* Same operations in the same order as gensim's original_scorer and
     * npmi_scorer, so that the doubles are bit-identical. */
    if (s->kind == PH_SCORE_NPMI) {
        if ((double)ab < s->min_count) return -INFINITY;
        const double n = s->corpus_word_count;
        const double pa = (double)a / n, pb = (double)b / n, pab = (double)ab / n;
        const double ratio = pab / (pa * pb);
        if (!(ratio > 0.0) || !(pab > 0.0)) return -INFINITY; /* log of 0: never a phrase */
        return log(ratio) / -log(pab);
    }
    const double denom = (double)a * (double)b;
    if (denom == 0.0) return -INFINITY;
    return ((double)ab - s->min_count) / denom * s->len_vocab;
}

int64_t ph_count(const vt_table *t, const char *w, size_t len) {
    const int64_t k = vt_find(t, w, len);
    return k >= 0 ? t->entries[k].count : 0;
}

const char *ph_entry(const vt_table *t, size_t k, size_t *len) {
    *len = t->entries[k].len;
    return t->arena + t->entries[k].offset;
}

static int ph_reserve(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return VT_OK;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    char *p = (char *)realloc(*buf, c);
    if (!p) return VT_ENOMEM;
    *buf = p;
    *cap = c;
    return VT_OK;
}

static inline int ph_append(char **buf, size_t *len, size_t *cap, const char *src, size_t n) {
    if (*len + n > *cap && ph_reserve(buf, cap, *len + n) != VT_OK) return VT_ENOMEM;
    memcpy(*buf + *len, src, n);
    *len += n;
    return VT_OK;
}

/* Keep a token cut at a block end as the vocabulary scanner does: only its first
 * VT_MAX_TOKEN_BYTES + 1 bytes (vt_token_len cuts it), so memory stays bounded. */
static inline int ph_keep_partial(ph_tokens *t, const char *src, size_t n) {
    if (n > VT_MAX_TOKEN_BYTES + 1 - t->partial_len) n = VT_MAX_TOKEN_BYTES + 1 - t->partial_len;
    return ph_append(&t->partial, &t->partial_len, &t->partial_cap, src, n);
}

static inline int ph_is_connector(const vt_table *connectors, const char *w, size_t len) {
    return connectors && connectors->size && vt_find(connectors, w, len) >= 0;
}

/* ---- tokenizer: one inline loop, instantiated for learner and applier ---- */

enum { PH_LEARN, PH_APPLY };

static int ln_token(ph_learner *l, const char *w, size_t len);
static int ln_end_sentence(ph_learner *l);
static int ap_token(ph_applier *a, const char *w, size_t len);
static int ap_end_sentence(ph_applier *a);
static int ap_end_line(ph_applier *a);

static inline int ph_on_token(const int mode, void *st, ph_tokens *t, const char *w, size_t len) {
    int rc = mode == PH_LEARN ? ln_token((ph_learner *)st, w, len)
                              : ap_token((ph_applier *)st, w, len);
    if (rc != VT_OK) return rc;
    if (++t->sentence_tokens == t->max_sentence_length) {
        /* the line goes on as a new sentence */
        t->sentence_tokens = 0;
        return mode == PH_LEARN ? ln_end_sentence((ph_learner *)st)
                                : ap_end_sentence((ph_applier *)st);
    }
    return VT_OK;
}

static inline int ph_on_eol(const int mode, void *st, ph_tokens *t) {
    int rc = VT_OK;
    if (t->sentence_tokens) {
        t->sentence_tokens = 0;
        rc = mode == PH_LEARN ? ln_end_sentence((ph_learner *)st)
                              : ap_end_sentence((ph_applier *)st);
    }
    if (rc == VT_OK && mode == PH_APPLY) rc = ap_end_line((ph_applier *)st);
    return rc;
}

static inline int ph_scan(const int mode, void *st, ph_tokens *t, const char *buf, size_t n,
                          int final) {
    const unsigned char *p = (const unsigned char *)buf;
    const unsigned char *const end = p + n;
    int rc;
    if (t->partial_len) {
        const unsigned char *q = p;
        while (q < end && !ph_space[*q]) q++;
        if ((rc = ph_keep_partial(t, (const char *)p, (size_t)(q - p))) != VT_OK) return rc;
        if (q == end && !final) return VT_OK;
        rc = ph_on_token(mode, st, t, t->partial, vt_token_len(t->partial, t->partial_len));
        t->partial_len = 0;
        if (rc != VT_OK) return rc;
        p = q;
    }
    for (;;) {
        while (p < end && ph_space[*p]) {
            if (ph_space[*p] == 2 && (rc = ph_on_eol(mode, st, t)) != VT_OK) return rc;
            p++;
        }
        if (p == end) break;
        const unsigned char *start = p;
        while (p < end && !ph_space[*p]) p++;
        if (p == end && !final) return ph_keep_partial(t, (const char *)start, (size_t)(p - start));
        const size_t len = vt_token_len((const char *)start, (size_t)(p - start));
        if ((rc = ph_on_token(mode, st, t, (const char *)start, len)) != VT_OK) return rc;
    }
    return final ? ph_on_eol(mode, st, t) : VT_OK;
}

/* ---- learning ---- */

ph_learner *ph_learner_new(const vt_table *connectors, const char *delim, size_t delim_len,
                           int64_t max_vocab_size, int64_t max_sentence_length) {
    ph_learner *l = (ph_learner *)calloc(1, sizeof(ph_learner));
    if (!l) return NULL;
    l->vocab = vt_table_new(0);
    if (!l->vocab) {
        free(l);
        return NULL;
    }
    l->connectors = connectors;
    l->delim = delim;
    l->delim_len = delim_len;
    l->max_vocab_size = max_vocab_size;
    l->min_reduce = 1;
    l->tok.max_sentence_length = max_sentence_length > 0 ? max_sentence_length : INT64_MAX;
    return l;
}

void ph_learner_free(ph_learner *l) {
    if (!l) return;
    vt_table_free(l->vocab);
    free(l->pending);
    free(l->ops);
    free(l->op_offs);
    free(l->op_lens);
    free(l->tok.partial);
    free(l);
}

int ph_prune(vt_table *vocab, int64_t max_size, int64_t *min_reduce) {
    if (max_size <= 0 || (int64_t)vocab->size <= max_size) return VT_OK;
    int rc = vt_prune(vocab, *min_reduce - 1);
    *min_reduce += 1;
    return rc;
}

/* Words are added a sentence (or PH_OPS_FLUSH words) at a time, in the order
 * gensim adds them, so that vt_add_many can prefetch ahead. */
#define PH_OPS_FLUSH 4096

static int ln_flush(ph_learner *l) {
    const int rc = vt_add_many(l->vocab, l->ops, l->op_offs, l->op_lens, NULL, l->n_ops);
    l->n_ops = 0;
    l->ops_len = 0;
    return rc;
}

/* Queue the word a + b (b may be empty). */
static int ln_queue(ph_learner *l, const char *a, size_t alen, const char *b, size_t blen) {
    int rc;
    if (l->n_ops == l->op_cap) {
        size_t cap = l->op_cap ? l->op_cap * 2 : 256;
        size_t *o = (size_t *)realloc(l->op_offs, cap * sizeof(size_t));
        if (!o) return VT_ENOMEM;
        l->op_offs = o;
        o = (size_t *)realloc(l->op_lens, cap * sizeof(size_t));
        if (!o) return VT_ENOMEM;
        l->op_lens = o;
        l->op_cap = cap;
    }
    l->op_offs[l->n_ops] = l->ops_len;
    l->op_lens[l->n_ops] = alen + blen;
    if ((rc = ph_append(&l->ops, &l->ops_len, &l->ops_cap, a, alen)) != VT_OK ||
        (rc = ph_append(&l->ops, &l->ops_len, &l->ops_cap, b, blen)) != VT_OK)
        return rc;
    l->n_ops += 1;
    return l->n_ops >= PH_OPS_FLUSH ? ln_flush(l) : VT_OK;
}

static int ln_token(ph_learner *l, const char *w, size_t len) {
    int rc;
    l->total_words += 1;
    if (ph_is_connector(l->connectors, w, len)) {
        /* inside a candidate it joins the phrase; before any start it is skipped */
        if (!l->have_start) return VT_OK;
        if ((rc = ph_append(&l->pending, &l->pending_len, &l->pending_cap, l->delim,
                            l->delim_len)) != VT_OK)
            return rc;
        return ph_append(&l->pending, &l->pending_len, &l->pending_cap, w, len);
    }
    if ((rc = ln_queue(l, w, len, "", 0)) != VT_OK) return rc;
    if (l->have_start) {
        if ((rc = ph_append(&l->pending, &l->pending_len, &l->pending_cap, l->delim,
                            l->delim_len)) != VT_OK ||
            (rc = ln_queue(l, l->pending, l->pending_len, w, len)) != VT_OK)
            return rc;
    }
    /* every token both ends one candidate and starts the next */
    l->pending_len = 0;
    l->have_start = 1;
    return ph_append(&l->pending, &l->pending_len, &l->pending_cap, w, len);
}

static int ln_end_sentence(ph_learner *l) {
    int rc;
    l->have_start = 0;
    l->pending_len = 0;
    l->sentences += 1;
    if ((rc = ln_flush(l)) != VT_OK) return rc;
    return ph_prune(l->vocab, l->max_vocab_size, &l->min_reduce);
}

int ph_learn_block(ph_learner *l, const char *buf, size_t n, int final) {
    return ph_scan(PH_LEARN, l, &l->tok, buf, n, final);
}

int ph_learn_tokens(ph_learner *l, const char *blob, const int64_t *lens,
                    const int64_t *sent_lens, int64_t n_sent) {
    int rc;
    size_t off = 0, i = 0;
    for (int64_t j = 0; j < n_sent; j++) {
        for (int64_t k = 0; k < sent_lens[j]; k++, i++) {
            if ((rc = ln_token(l, blob + off, (size_t)lens[i])) != VT_OK) return rc;
            off += (size_t)lens[i];
        }
        if ((rc = ln_end_sentence(l)) != VT_OK) return rc;
    }
    return VT_OK;
}

/* ---- exporting ---- */

size_t ph_candidates(const vt_table *vocab, const char *delim, size_t delim_len,
                     int64_t skip_le, int64_t *out_index, int64_t *out_a, int64_t *out_b) {
    size_t n = 0;
    const char d0 = delim[0];
    for (size_t k = 0; k < vocab->size; k++) {
        const vt_entry *e = &vocab->entries[k];
        if (e->count <= skip_le) continue;
        const char *s = vocab->arena + e->offset;
        const size_t len = e->len;
        /* str.split semantics: non-overlapping matches, left to right */
        size_t first = (size_t)-1, last_end = 0, i = 0;
        while (i + delim_len <= len) {
            const char *hit = (const char *)memchr(s + i, d0, len - delim_len + 1 - i);
            if (!hit) break;
            i = (size_t)(hit - s);
            if (memcmp(hit, delim, delim_len) == 0) {
                if (first == (size_t)-1) first = i;
                i += delim_len;
                last_end = i;
            } else {
                i += 1;
            }
        }
        if (first == (size_t)-1) continue;
        const int64_t a = vt_find(vocab, s, first);
        if (a < 0) continue;
        const int64_t b = vt_find(vocab, s + last_end, len - last_end);
        if (b < 0) continue;
        out_index[n] = (int64_t)k;
        out_a[n] = vocab->entries[a].count;
        out_b[n] = vocab->entries[b].count;
        n++;
    }
    return n;
}

/* ---- applying ---- */

static inline int ph_filter_has(const ph_model *m, uint64_t h) {
    return (int)((m->filter[(h >> 6) & m->filter_mask] >> (h & 63)) & 1);
}

int ph_model_set_filter(ph_model *m) {
    ph_model_free_filter(m);
    if (!m->phrases) return VT_OK;
    uint64_t words = 64;   /* 64 words of 64 bits at least; at most 2^20 words (8 MiB) */
    while (words < ((uint64_t)1 << 20) && words * 64 < 32 * (uint64_t)m->phrases->size) words *= 2;
    uint64_t *bits = (uint64_t *)calloc(words, sizeof(uint64_t));
    if (!bits) return VT_ENOMEM;
    m->filter = bits;
    m->filter_mask = words - 1;
    for (size_t k = 0; k < m->phrases->size; k++) {
        size_t len;
        const char *w = ph_entry(m->phrases, k, &len);
        const uint64_t h = vt_hash(w, len);
        bits[(h >> 6) & m->filter_mask] |= (uint64_t)1 << (h & 63);
    }
    return VT_OK;
}

void ph_model_free_filter(ph_model *m) {
    free(m->filter);
    m->filter = NULL;
    m->filter_mask = 0;
}

ph_applier *ph_applier_new(const ph_model *m, int64_t max_sentence_length) {
    ph_applier *a = (ph_applier *)calloc(1, sizeof(ph_applier));
    if (!a) return NULL;
    a->m = m;
    a->tok.max_sentence_length = max_sentence_length > 0 ? max_sentence_length : INT64_MAX;
    return a;
}

void ph_applier_free(ph_applier *a) {
    if (!a) return;
    free(a->pending);
    free(a->cuts);
    free(a->out);
    free(a->tok_lens);
    free(a->tok_scores);
    free(a->tok.partial);
    free(a);
}

void ph_applier_reset_output(ph_applier *a) {
    a->out_len = 0;
    a->n_out_tokens = 0;
}

static int ap_emit(ph_applier *a, const char *w, size_t len, double score, int tokens_mode) {
    int rc;
    if (tokens_mode) {
        if (a->n_out_tokens == a->tok_cap) {
            size_t cap = a->tok_cap ? a->tok_cap * 2 : 1024;
            int64_t *l = (int64_t *)realloc(a->tok_lens, cap * sizeof(int64_t));
            if (!l) return VT_ENOMEM;
            a->tok_lens = l;
            double *s = (double *)realloc(a->tok_scores, cap * sizeof(double));
            if (!s) return VT_ENOMEM;
            a->tok_scores = s;
            a->tok_cap = cap;
        }
        a->tok_lens[a->n_out_tokens] = (int64_t)len;
        a->tok_scores[a->n_out_tokens] = score;
        a->n_out_tokens += 1;
    } else if (a->line_has_tokens &&
               (rc = ph_append(&a->out, &a->out_len, &a->out_cap, " ", 1)) != VT_OK) {
        return rc;
    }
    a->line_has_tokens = 1;
    return ph_append(&a->out, &a->out_len, &a->out_cap, w, len);
}

/* Emit the pending start and its connectors as separate tokens. */
static int ap_flush(ph_applier *a, int tokens_mode) {
    int rc;
    size_t from = 0;
    for (size_t i = 0; i < a->n_cuts; i++) {
        if ((rc = ap_emit(a, a->pending + from, a->cuts[i] - from, NAN, tokens_mode)) != VT_OK)
            return rc;
        from = a->cuts[i] + a->m->delim_len;
    }
    a->n_cuts = 0;
    a->pending_len = 0;
    a->have_start = 0;
    return VT_OK;
}

static int ap_push_cut(ph_applier *a) {
    if (a->n_cuts == a->cuts_cap) {
        size_t cap = a->cuts_cap ? a->cuts_cap * 2 : 16;
        size_t *c = (size_t *)realloc(a->cuts, cap * sizeof(size_t));
        if (!c) return VT_ENOMEM;
        a->cuts = c;
        a->cuts_cap = cap;
    }
    a->cuts[a->n_cuts++] = a->pending_len;
    return VT_OK;
}

/* Score of the candidate in pending (start = pending[0:cuts[0]], last token w);
 * sets *is_phrase as gensim's score_candidate would. */
static double ap_score(const ph_applier *a, const char *w, size_t len, int *is_phrase) {
    const ph_model *m = a->m;
    if (m->phrases) {
        if (m->filter && !ph_filter_has(m, vt_hash(a->pending, a->pending_len))) {
            *is_phrase = 0;
            return -INFINITY;
        }
        const int64_t k = vt_find(m->phrases, a->pending, a->pending_len);
        const double s = k >= 0 ? m->scores[k] : -INFINITY;
        *is_phrase = s > m->threshold;
        return s;
    }
    *is_phrase = 0;
    const int64_t ia = vt_find(m->vocab, a->pending, a->cuts[0]);
    if (ia < 0) return NAN;
    const int64_t ib = vt_find(m->vocab, w, len);
    if (ib < 0) return NAN;
    const int64_t iab = vt_find(m->vocab, a->pending, a->pending_len);
    if (iab < 0) return NAN;
    const double s = ph_score(&m->scoring, m->vocab->entries[ia].count,
                              m->vocab->entries[ib].count, m->vocab->entries[iab].count);
    *is_phrase = !(s <= m->threshold);
    return s;
}

static int ap_token_mode(ph_applier *a, const char *w, size_t len, int tokens_mode) {
    int rc;
    const ph_model *m = a->m;
    if (ph_is_connector(m->connectors, w, len)) {
        if (!a->have_start) return ap_emit(a, w, len, NAN, tokens_mode);
        if ((rc = ph_append(&a->pending, &a->pending_len, &a->pending_cap, m->delim,
                            m->delim_len)) != VT_OK ||
            (rc = ph_append(&a->pending, &a->pending_len, &a->pending_cap, w, len)) != VT_OK)
            return rc;
        return ap_push_cut(a);
    }
    if (a->have_start) {
        const size_t before = a->pending_len;
        if ((rc = ph_append(&a->pending, &a->pending_len, &a->pending_cap, m->delim,
                            m->delim_len)) != VT_OK ||
            (rc = ph_append(&a->pending, &a->pending_len, &a->pending_cap, w, len)) != VT_OK)
            return rc;
        int is_phrase;
        const double s = ap_score(a, w, len, &is_phrase);
        if (is_phrase) {
            a->phrases_made += 1;
            rc = ap_emit(a, a->pending, a->pending_len, s, tokens_mode);
            a->pending_len = a->n_cuts = 0;
            a->have_start = 0;
            return rc;
        }
        a->pending_len = before;
        if ((rc = ap_flush(a, tokens_mode)) != VT_OK) return rc;
    }
    a->pending_len = 0;
    if ((rc = ph_append(&a->pending, &a->pending_len, &a->pending_cap, w, len)) != VT_OK)
        return rc;
    a->have_start = 1;
    return ap_push_cut(a);
}

static int ap_token(ph_applier *a, const char *w, size_t len) {
    return ap_token_mode(a, w, len, 0);
}

static int ap_end_sentence(ph_applier *a) {
    return a->have_start ? ap_flush(a, 0) : VT_OK;
}

static int ap_end_line(ph_applier *a) {
    if (!a->line_has_tokens) return VT_OK;
    a->line_has_tokens = 0;
    return ph_append(&a->out, &a->out_len, &a->out_cap, "\n", 1);
}

int ph_apply_block(ph_applier *a, const char *buf, size_t n, int final) {
    return ph_scan(PH_APPLY, a, &a->tok, buf, n, final);
}

int ph_apply_tokens(ph_applier *a, const char *blob, const int64_t *lens,
                    const int64_t *sent_lens, int64_t n_sent, int64_t *out_sent_lens) {
    int rc;
    size_t off = 0, i = 0;
    for (int64_t j = 0; j < n_sent; j++) {
        const size_t before = a->n_out_tokens;
        for (int64_t k = 0; k < sent_lens[j]; k++, i++) {
            if ((rc = ap_token_mode(a, blob + off, (size_t)lens[i], 1)) != VT_OK) return rc;
            off += (size_t)lens[i];
        }
        if (a->have_start && (rc = ap_flush(a, 1)) != VT_OK) return rc;
        out_sent_lens[j] = (int64_t)(a->n_out_tokens - before);
    }
    return VT_OK;
}
