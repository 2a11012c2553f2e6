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
    l->use_pairs = !(connectors && connectors->size);
    l->pure = l->use_pairs;
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
    free(l->op_ids);
    free(l->op_keys);
    free(l->vord);
    free(l->pairs.slots);
    free(l->pairs.ord);
    free(l->tok.partial);
    free(l);
}

int ph_prune(vt_table *vocab, int64_t max_size, int64_t *min_reduce) {
    if (max_size <= 0 || (int64_t)vocab->size <= max_size) return VT_OK;
    int rc = vt_prune(vocab, *min_reduce - 1);
    *min_reduce += 1;
    return rc;
}

/* ---- pair counts (ph_pairs) ---- */

#define PH_PAIRS_MIN 4096
#define PH_MAX_ORD 0xFFFFFFFEu /* a vt_table's most entries */
#define PH_PAIRS_AHEAD 16 /* pairs prefetched ahead of the one being added */

static inline uint64_t pp_hash(uint64_t key) {
    key *= 0x9E3779B97F4A7C15ULL;
    key ^= key >> 32;
    key *= 0xD6E8FEB86659FD93ULL;
    return key ^ (key >> 29);
}

static inline uint64_t pp_key(size_t a, size_t b) {
    return ((uint64_t)(a + 1) << 32) | (uint64_t)(b + 1);
}

/* Grow until `more` new pairs fit under load 0.7. */
static int pp_reserve(ph_pairs *p, size_t more) {
    size_t nslots = p->slots ? p->mask + 1 : PH_PAIRS_MIN;
    while ((p->size + more) * 10 > nslots * 7) nslots *= 2;
    if (p->slots && nslots == p->mask + 1) return VT_OK;
    ph_pair_slot *slots = (ph_pair_slot *)calloc(nslots, sizeof(ph_pair_slot));
    uint32_t *ord = (uint32_t *)malloc(nslots * sizeof(uint32_t));
    if (!slots || !ord) {
        free(slots);
        free(ord);
        return VT_ENOMEM;
    }
    const uint64_t mask = nslots - 1;
    for (uint64_t s = 0; p->slots && s <= p->mask; s++) {
        if (!p->slots[s].key) continue;
        uint64_t i = pp_hash(p->slots[s].key) & mask;
        while (slots[i].key) i = (i + 1) & mask;
        slots[i] = p->slots[s];
        ord[i] = p->ord[s];
    }
    free(p->slots);
    free(p->ord);
    p->slots = slots;
    p->ord = ord;
    p->mask = mask;
    return VT_OK;
}

/* Add count to a pair (room reserved); a new one takes ordinal *next_ord. */
static inline void pp_add(ph_pairs *p, uint64_t key, int64_t count, uint64_t *next_ord) {
    uint64_t i = pp_hash(key) & p->mask;
    for (;;) {
        ph_pair_slot *s = &p->slots[i];
        if (s->key == key) {
            s->count += count;
            return;
        }
        if (!s->key) {
            s->key = key;
            s->count = count;
            p->ord[i] = (uint32_t)(*next_ord)++;
            p->size += 1;
            return;
        }
        i = (i + 1) & p->mask;
    }
}

static void pp_clear(ph_pairs *p) {
    free(p->slots);
    free(p->ord);
    memset(p, 0, sizeof(*p));
}

/* Words are added a sentence (or PH_OPS_FLUSH words) at a time, in the order
 * gensim adds them, so that vt_add_many can prefetch ahead. */
#define PH_OPS_FLUSH 4096

/* Room for the ordinals of every vocab entry added since the last settle. */
static int ln_reserve_vord(ph_learner *l) {
    const size_t need = l->vocab->size - l->settled;
    if (need <= l->vord_cap) return VT_OK;
    size_t cap = l->vord_cap ? l->vord_cap : 1024;
    while (cap < need) cap *= 2;
    uint32_t *v = (uint32_t *)realloc(l->vord, cap * sizeof(uint32_t));
    if (!v) return VT_ENOMEM;
    l->vord = v;
    l->vord_cap = cap;
    return VT_OK;
}

static int ph_has_delim(const ph_learner *l, const char *w, size_t len) {
    for (size_t i = 0; i + l->delim_len <= len; i++)
        if (w[i] == l->delim[0] && memcmp(w + i, l->delim, l->delim_len) == 0) return 1;
    return 0;
}

/* Pair mode: the queued ops are the sentence's tokens; add them as unigrams,
 * then count each adjacent pair, giving every new entry its ordinal in the
 * order string counting would have added it (the unigram, then the pair
 * ending at it). */
static int ln_flush_pairs(ph_learner *l) {
    const size_t n = l->n_ops, before = l->vocab->size;
    l->n_ops = 0;
    l->ops_len = 0;
    int rc = vt_add_many(l->vocab, l->ops, l->op_offs, l->op_lens, NULL, n, l->op_ids);
    /* each op adds at most two entries, and an ordinal is an index of the
     * settled table, which holds at most VT_MAX_ENTRIES */
    if (rc == VT_OK && l->next_ord + 2 * n > PH_MAX_ORD) rc = VT_ETOOBIG;
    if (rc != VT_OK || (rc = ln_reserve_vord(l)) != VT_OK ||
        (rc = pp_reserve(&l->pairs, n)) != VT_OK)
        return rc;
    for (size_t i = 0; l->pure && i < n; i++)
        if (l->op_ids[i] >= before && ph_has_delim(l, l->ops + l->op_offs[i], l->op_lens[i]))
            l->pure = 0;
    const size_t *ids = l->op_ids;
    uint64_t *keys = l->op_keys;
    for (size_t i = 0; i < n; i++) {
        keys[i] = l->have_prev ? pp_key(l->prev_id, ids[i]) : 0;
        l->prev_id = ids[i];
        l->have_prev = 1;
    }
    size_t next_new = before;
    for (size_t i = 0; i < n; i++) {
        if (i + PH_PAIRS_AHEAD < n)
            __builtin_prefetch(&l->pairs.slots[pp_hash(keys[i + PH_PAIRS_AHEAD]) & l->pairs.mask]);
        if (ids[i] == next_new) {
            l->vord[next_new - l->settled] = (uint32_t)l->next_ord++;
            next_new += 1;
        }
        if (keys[i]) pp_add(&l->pairs, keys[i], 1, &l->next_ord);
    }
    return VT_OK;
}

static int ln_flush(ph_learner *l) {
    if (l->use_pairs) return ln_flush_pairs(l);
    const int rc = vt_add_many(l->vocab, l->ops, l->op_offs, l->op_lens, NULL, l->n_ops, NULL);
    l->n_ops = 0;
    l->ops_len = 0;
    return rc;
}

/* An item of the settle order: a vocab entry (key < 2^32: its index) or a
 * pair (key >= 2^32: the pair's key), with its count. */
typedef struct ph_item {
    uint64_t key;
    int64_t count;
} ph_item;

#define PH_SETTLE_AHEAD 16

/* Every entry of l (next_ord of them) in order of first occurrence: the
 * settled prefix, then the new unigrams and the pairs by ordinal (scattered
 * here so that readers go through it sequentially).  NULL: out of memory. */
static ph_item *ph_order(const ph_learner *l) {
    const vt_table *v = l->vocab;
    const size_t n = (size_t)l->next_ord;
    ph_item *order = (ph_item *)malloc((n ? n : 1) * sizeof(ph_item));
    if (!order) return NULL;
    for (size_t k = 0; k < v->size; k++) {
        const size_t x = k < l->settled ? k : l->vord[k - l->settled];
        order[x].key = k;
        order[x].count = v->entries[k].count;
    }
    for (uint64_t s = 0; l->pairs.slots && s <= l->pairs.mask; s++) {
        const ph_pair_slot *ps = &l->pairs.slots[s];
        if (ps->key) {
            order[l->pairs.ord[s]].key = ps->key;
            order[l->pairs.ord[s]].count = ps->count;
        }
    }
    return order;
}

int ph_learner_settle(ph_learner *l) {
    vt_table *v = l->vocab;
    if (l->pairs.size == 0) {
        l->settled = v->size;
        l->next_ord = v->size;
        return VT_OK;
    }
    enum { CHUNK = 512 };
    size_t offs[CHUNK], lens[CHUNK];
    int64_t counts[CHUNK];
    char *buf = NULL;
    size_t buf_len = 0, buf_cap = 0, m = 0;
    const size_t n = (size_t)l->next_ord;
    int rc = VT_ENOMEM;
    ph_item *order = ph_order(l);
    vt_table *t = vt_table_new(0);
    if (!order || !t) goto done;
    if ((rc = vt_reserve(t, n)) != VT_OK) goto done;
    for (size_t x = 0; x < n; x++) {
        if (x + PH_SETTLE_AHEAD < n && order[x + PH_SETTLE_AHEAD].key >> 32) {
            const uint64_t key = order[x + PH_SETTLE_AHEAD].key;
            __builtin_prefetch(&v->entries[(key >> 32) - 1]);
            __builtin_prefetch(&v->entries[(key & 0xFFFFFFFFu) - 1]);
        }
        const uint64_t key = order[x].key;
        offs[m] = buf_len;
        if (key >> 32) {
            const vt_entry *a = &v->entries[(key >> 32) - 1];
            const vt_entry *b = &v->entries[(key & 0xFFFFFFFFu) - 1];
            if ((rc = ph_append(&buf, &buf_len, &buf_cap, v->arena + a->offset, a->len)) ||
                (rc = ph_append(&buf, &buf_len, &buf_cap, l->delim, l->delim_len)) ||
                (rc = ph_append(&buf, &buf_len, &buf_cap, v->arena + b->offset, b->len)))
                goto done;
        } else {
            const vt_entry *e = &v->entries[key];
            if ((rc = ph_append(&buf, &buf_len, &buf_cap, v->arena + e->offset, e->len)))
                goto done;
        }
        counts[m] = order[x].count;
        lens[m] = buf_len - offs[m];
        if (++m == CHUNK || x + 1 == n) {
            if ((rc = vt_add_many(t, buf, offs, lens, counts, m, NULL)) != VT_OK) goto done;
            m = 0;
            buf_len = 0;
        }
    }
    if (l->have_prev) { /* mid-sentence: the next pair starts at the same word */
        const vt_entry *e = &v->entries[l->prev_id];
        l->prev_id = (size_t)vt_find(t, v->arena + e->offset, e->len);
    }
    /* the new table takes the old one's place (and address) and pruning record */
    t->max_size = v->max_size;
    t->min_reduce = v->min_reduce;
    t->pruned_words = v->pruned_words;
    t->pruned_count = v->pruned_count;
    if (v->peak_size > t->peak_size) t->peak_size = v->peak_size;
    {
        const vt_table swap = *v;
        *v = *t;
        *t = swap;
    }
    pp_clear(&l->pairs);
    l->pure = 0;
    l->settled = v->size;
    l->next_ord = v->size;
    rc = VT_OK;
done:
    vt_table_free(t);
    free(order);
    free(buf);
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
        o = (size_t *)realloc(l->op_ids, cap * sizeof(size_t));
        if (!o) return VT_ENOMEM;
        l->op_ids = o;
        uint64_t *k = (uint64_t *)realloc(l->op_keys, cap * sizeof(uint64_t));
        if (!k) return VT_ENOMEM;
        l->op_keys = k;
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
    if (l->use_pairs) return VT_OK; /* the pair is counted at the flush */
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
    l->have_prev = 0;
    return ph_learner_prune(l);
}

int ph_learner_prune(ph_learner *l) {
    int rc;
    if (l->max_vocab_size <= 0 || (int64_t)(l->vocab->size + l->pairs.size) <= l->max_vocab_size)
        return VT_OK;
    /* unless pure, the held size may count a pair and an equal string twice:
     * settle, then decide */
    if ((rc = ph_learner_settle(l)) != VT_OK ||
        (rc = ph_prune(l->vocab, l->max_vocab_size, &l->min_reduce)) != VT_OK)
        return rc;
    return ph_learner_settle(l); /* pruning moved entries: restart the ordinals */
}

int ph_learner_merge(ph_learner *dst, ph_learner *src) {
    int rc;
    if (!dst->pure || !src->pure) {
        if ((rc = ph_learner_settle(dst)) != VT_OK || (rc = ph_learner_settle(src)) != VT_OK ||
            (rc = vt_merge(dst->vocab, src->vocab, NULL)) != VT_OK)
            return rc;
        dst->pure = 0;
        return ph_learner_settle(dst); /* restart the ordinals after the new entries */
    }
    /* both pure: src's unigrams into dst's vocab (remap: src index -> dst index),
     * then every src entry in src's order of first occurrence, new ones taking
     * dst's next ordinals, pairs re-keyed by the remap */
    enum { CHUNK = 512 };
    const vt_table *sv = src->vocab;
    const size_t before = dst->vocab->size, n = (size_t)src->next_ord;
    if (dst->next_ord + src->next_ord > PH_MAX_ORD) return VT_ETOOBIG;
    size_t *remap = (size_t *)malloc((sv->size ? sv->size : 1) * sizeof(size_t));
    ph_item *order = ph_order(src);
    rc = VT_ENOMEM;
    if (!remap || !order) goto done;
    if ((rc = vt_merge(dst->vocab, sv, remap)) != VT_OK || (rc = ln_reserve_vord(dst)) != VT_OK)
        goto done;
    size_t next_new = before;
    for (size_t x = 0; x < n; x++) {
        /* room as needed (src's pairs are mostly dst's too), a chunk at a time */
        if (x % CHUNK == 0 && (rc = pp_reserve(&dst->pairs, CHUNK + PH_SETTLE_AHEAD)) != VT_OK)
            goto done;
        if (x + PH_SETTLE_AHEAD < n && order[x + PH_SETTLE_AHEAD].key >> 32) {
            const uint64_t key = order[x + PH_SETTLE_AHEAD].key;
            const uint64_t k2 = pp_key(remap[(key >> 32) - 1], remap[(key & 0xFFFFFFFFu) - 1]);
            __builtin_prefetch(&dst->pairs.slots[pp_hash(k2) & dst->pairs.mask]);
        }
        const uint64_t key = order[x].key;
        if (key >> 32) {
            pp_add(&dst->pairs,
                   pp_key(remap[(key >> 32) - 1], remap[(key & 0xFFFFFFFFu) - 1]),
                   order[x].count, &dst->next_ord);
        } else if (remap[key] == next_new) {
            dst->vord[next_new - dst->settled] = (uint32_t)dst->next_ord++;
            next_new += 1;
        }
    }
    rc = VT_OK;
done:
    free(remap);
    free(order);
    return rc;
}

size_t ph_pair_candidates(const ph_learner *l, int64_t skip_le, int64_t *out_index,
                          int64_t *out_a, int64_t *out_b, int64_t *out_ab, int64_t *out_ord) {
    size_t n = 0;
    const vt_entry *e = l->vocab->entries;
    for (uint64_t s = 0; l->pairs.slots && s <= l->pairs.mask; s++) {
        const ph_pair_slot *ps = &l->pairs.slots[s];
        if (!ps->key || ps->count <= skip_le) continue;
        out_index[n] = (int64_t)(l->vocab->size + s);
        out_a[n] = e[(ps->key >> 32) - 1].count;
        out_b[n] = e[(ps->key & 0xFFFFFFFFu) - 1].count;
        out_ab[n] = ps->count;
        out_ord[n] = (int64_t)l->pairs.ord[s];
        n++;
    }
    return n;
}

int ph_pair_words(const ph_learner *l, size_t pair_slot, const char **a, size_t *alen,
                  const char **b, size_t *blen) {
    if (!l->pairs.slots || pair_slot > l->pairs.mask || !l->pairs.slots[pair_slot].key)
        return 0;
    const uint64_t key = l->pairs.slots[pair_slot].key;
    *a = ph_entry(l->vocab, (key >> 32) - 1, alen);
    *b = ph_entry(l->vocab, (key & 0xFFFFFFFFu) - 1, blen);
    return 1;
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
