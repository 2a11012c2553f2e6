/* Byte tokenizer + insertion-ordered open-addressing hash table (linear
 * probing, load factor <= 0.7, doubling growth).  Per token: one hash, one or
 * two probes, one memcmp; no allocation except amortised arena/table growth. */
#include "vocab_table.h"

#include <stdlib.h>
#include <string.h>

#define VT_MIN_SLOTS 1024
#define VT_MAX_ENTRIES 0xFFFFFFFEu

/* 1 for the six ASCII whitespace bytes, 2 for the two that also end a line. */
static const unsigned char vt_space_class[256] = {
    ['\t'] = 1, ['\v'] = 1, ['\f'] = 1, [' '] = 1, ['\n'] = 2, ['\r'] = 2,
};

/* Every whitespace byte is <= 0x20, so one compare rejects almost all token bytes. */
#define VT_IS_SPACE(c) ((c) <= 0x20 && vt_space_class[(c)])

static inline uint64_t vt_load64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t vt_load32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t vt_mix(uint64_t h) {
    /* finaliser with full avalanche so both the slot index (low bits) and the
     * slot tag (high bits) depend on every input bit */
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ULL;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ULL;
    h ^= h >> 32;
    return h;
}

/* Word-at-a-time hash.  Short words (the vast majority) take one or two
 * possibly overlapping loads; the length is mixed in, so overlap is harmless. */
uint64_t vt_hash(const char *word, size_t len) {
    const unsigned char *p = (const unsigned char *)word;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)len * 0xA0761D6478BD642FULL);
    size_t n = len;
    while (n > 8) {
        h = (h ^ vt_load64(p)) * 0xE7037ED1A0B428DBULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t k;
    if (n >= 4) {
        k = ((uint64_t)vt_load32(p) << 32) | vt_load32(p + n - 4);
    } else if (n > 0) {
        k = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
    } else {
        k = 0;
    }
    h = (h ^ k) * 0xE7037ED1A0B428DBULL;
    return vt_mix(h);
}

vt_table *vt_table_new(size_t max_size) {
    vt_table *t = (vt_table *)calloc(1, sizeof(vt_table));
    if (!t) return NULL;
    t->slots = (uint64_t *)calloc(VT_MIN_SLOTS, sizeof(uint64_t));
    t->mask = VT_MIN_SLOTS - 1;
    t->entries_cap = 512;
    t->entries = (vt_entry *)malloc(t->entries_cap * sizeof(vt_entry));
    t->arena_cap = 4096;
    t->arena = (char *)malloc(t->arena_cap);
    if (!t->slots || !t->entries || !t->arena) {
        vt_table_free(t);
        return NULL;
    }
    t->max_size = max_size;
    t->min_reduce = 1;
    return t;
}

void vt_table_free(vt_table *t) {
    if (!t) return;
    free(t->slots);
    free(t->entries);
    free(t->arena);
    free(t);
}

/* Slot holding word, or the empty slot where it would go. */
static inline uint64_t vt_probe(const vt_table *t, const char *word, size_t len, uint64_t h,
                                int *found) {
    uint64_t i = h & t->mask;
    const uint64_t tag = h >> 32;
    for (;;) {
        const uint64_t s = t->slots[i];
        if (s == 0) {
            *found = 0;
            return i;
        }
        if ((s >> 32) == tag) {
            const vt_entry *e = &t->entries[(uint32_t)s - 1];
            if (e->len == len && memcmp(t->arena + e->offset, word, len) == 0) {
                *found = 1;
                return i;
            }
        }
        i = (i + 1) & t->mask;
    }
}

int64_t vt_find(const vt_table *t, const char *word, size_t len) {
    int found;
    const uint64_t i = vt_probe(t, word, len, vt_hash(word, len), &found);
    return found ? (int64_t)(uint32_t)t->slots[i] - 1 : -1;
}

/* Rebuild the slot array with nslots slots from the entries (hashes are stored). */
static int vt_rehash(vt_table *t, uint64_t nslots) {
    uint64_t *slots = (uint64_t *)calloc(nslots, sizeof(uint64_t));
    if (!slots) return VT_ENOMEM;
    const uint64_t mask = nslots - 1;
    for (size_t k = 0; k < t->size; k++) {
        const uint64_t h = t->entries[k].hash;
        uint64_t i = h & mask;
        while (slots[i]) i = (i + 1) & mask;
        slots[i] = ((h >> 32) << 32) | (uint64_t)(k + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->mask = mask;
    return VT_OK;
}

int vt_prune(vt_table *t, int64_t threshold) {
    /* Compact entries and arena in place: kept words keep their order and
     * only move towards the front, so memmove never overwrites unread bytes. */
    size_t kept = 0, arena_len = 0;
    for (size_t k = 0; k < t->size; k++) {
        vt_entry e = t->entries[k];
        if (e.count <= threshold) {
            t->pruned_words += 1;
            t->pruned_count += e.count;
            continue;
        }
        if (e.offset != arena_len) memmove(t->arena + arena_len, t->arena + e.offset, e.len);
        e.offset = arena_len;
        arena_len += e.len;
        t->entries[kept++] = e;
    }
    t->size = kept;
    t->arena_len = arena_len;
    return vt_rehash(t, t->mask + 1);
}

/* Make room for one more distinct word under max_size (word2vec.c ReduceVocab). */
static int vt_make_room(vt_table *t) {
    while (t->size >= t->max_size) {
        int rc = vt_prune(t, t->min_reduce);
        if (rc != VT_OK) return rc;
        t->min_reduce += 1;
    }
    return VT_OK;
}

static int vt_grow_entries(vt_table *t) {
    size_t cap = t->entries_cap * 2;
    vt_entry *e = (vt_entry *)realloc(t->entries, cap * sizeof(vt_entry));
    if (!e) return VT_ENOMEM;
    t->entries = e;
    t->entries_cap = cap;
    return VT_OK;
}

static int vt_grow_arena(vt_table *t, size_t need) {
    size_t cap = t->arena_cap;
    while (cap - t->arena_len < need) cap *= 2;
    char *a = (char *)realloc(t->arena, cap);
    if (!a) return VT_ENOMEM;
    t->arena = a;
    t->arena_cap = cap;
    return VT_OK;
}

static int vt_add_hashed(vt_table *t, const char *word, size_t len, uint64_t h, int64_t count) {
    int found;
    uint64_t i = vt_probe(t, word, len, h, &found);
    if (found) {
        t->entries[(uint32_t)t->slots[i] - 1].count += count;
        return VT_OK;
    }
    if (len > 0xFFFFFFFFu || t->size >= VT_MAX_ENTRIES) return VT_ETOOBIG;
    int rc;
    if (t->max_size && t->size >= t->max_size) {
        if ((rc = vt_make_room(t)) != VT_OK) return rc;
        i = vt_probe(t, word, len, h, &found);
    }
    /* keep load factor <= 0.7 */
    if ((t->size + 1) * 10 > (t->mask + 1) * 7) {
        if ((rc = vt_rehash(t, (t->mask + 1) * 2)) != VT_OK) return rc;
        i = vt_probe(t, word, len, h, &found);
    }
    if (t->size == t->entries_cap && (rc = vt_grow_entries(t)) != VT_OK) return rc;
    if (t->arena_cap - t->arena_len < len && (rc = vt_grow_arena(t, len)) != VT_OK) return rc;
    memcpy(t->arena + t->arena_len, word, len);
    vt_entry *e = &t->entries[t->size];
    e->hash = h;
    e->count = count;
    e->offset = t->arena_len;
    e->len = (uint32_t)len;
    e->_pad = 0;
    t->arena_len += len;
    t->size += 1;
    t->slots[i] = ((h >> 32) << 32) | (uint64_t)t->size;
    if (t->size > t->peak_size) t->peak_size = t->size;
    return VT_OK;
}

int vt_add(vt_table *t, const char *word, size_t len, int64_t count) {
    return vt_add_hashed(t, word, len, vt_hash(word, len), count);
}

int vt_merge(vt_table *dst, const vt_table *src) {
    for (size_t k = 0; k < src->size; k++) {
        const vt_entry *e = &src->entries[k];
        int rc = vt_add_hashed(dst, src->arena + e->offset, e->len, e->hash, e->count);
        if (rc != VT_OK) return rc;
    }
    dst->pruned_words += src->pruned_words;
    dst->pruned_count += src->pruned_count;
    if (src->min_reduce > dst->min_reduce) dst->min_reduce = src->min_reduce;
    if (src->peak_size > dst->peak_size) dst->peak_size = src->peak_size;
    return VT_OK;
}

void vt_export_counts(const vt_table *t, int64_t *out) {
    for (size_t k = 0; k < t->size; k++) out[k] = t->entries[k].count;
}

void vt_export_lengths(const vt_table *t, int64_t *out) {
    for (size_t k = 0; k < t->size; k++) out[k] = t->entries[k].len;
}

size_t vt_total_bytes(const vt_table *t) {
    size_t n = 0;
    for (size_t k = 0; k < t->size; k++) n += t->entries[k].len;
    return n;
}

void vt_export_bytes(const vt_table *t, char *out) {
    for (size_t k = 0; k < t->size; k++) {
        memcpy(out, t->arena + t->entries[k].offset, t->entries[k].len);
        out += t->entries[k].len;
    }
}

/* ---- scanner ---- */

void vt_scanner_init(vt_scanner *s, int64_t max_sentence_length) {
    memset(s, 0, sizeof(*s));
    s->max_sentence_length = max_sentence_length > 0 ? max_sentence_length : 1;
}

void vt_scanner_free(vt_scanner *s) {
    free(s->partial);
    s->partial = NULL;
    s->partial_len = s->partial_cap = 0;
}

static int vt_keep_partial(vt_scanner *s, const char *p, size_t n) {
    if (s->partial_cap - s->partial_len < n) {
        size_t cap = s->partial_cap ? s->partial_cap : 64;
        while (cap - s->partial_len < n) cap *= 2;
        char *q = (char *)realloc(s->partial, cap);
        if (!q) return VT_ENOMEM;
        s->partial = q;
        s->partial_cap = cap;
    }
    memcpy(s->partial + s->partial_len, p, n);
    s->partial_len += n;
    return VT_OK;
}

size_t vt_next_space(const char *buf, size_t n, size_t pos) {
    const unsigned char *b = (const unsigned char *)buf;
    while (pos < n && !VT_IS_SPACE(b[pos])) pos++;
    return pos;
}

/* What one tokenizer pass does per token and per line end.  The two users
 * (counting, encoding) are separate instantiations of one inline loop, so the
 * mode tests below are resolved at compile time. */
enum { VT_MODE_COUNT, VT_MODE_ENCODE };

typedef struct vt_sink {
    vt_table *table;          /* counting */
    const vt_table *vocab;    /* encoding */
    index_t *out;
    size_t out_len, out_cap;
} vt_sink;

static inline int vt_on_token(const int mode, vt_scanner *s, vt_sink *k, const char *w,
                              size_t len) {
    s->raw_tokens += 1;
    if (mode == VT_MODE_COUNT) {
        s->line_tokens += 1;
        return vt_add(k->table, w, len, 1);
    }
    const int64_t id = vt_find(k->vocab, w, len);
    if (id >= 0) {
        if (k->out_len >= k->out_cap) return VT_EOVERFLOW;
        k->out[k->out_len++] = (index_t)id;
        s->chunk_ids += 1;
        s->n_ids += 1;
    }
    if (++s->chunk_tokens == s->max_sentence_length) {
        /* the line goes on in a new sentence */
        if (s->chunk_ids) {
            if (k->out_len >= k->out_cap) return VT_EOVERFLOW;
            k->out[k->out_len++] = W2V_EOS;
            s->n_sentences += 1;
        }
        s->chunk_tokens = s->chunk_ids = 0;
    }
    return VT_OK;
}

static inline int64_t vt_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

static inline int vt_on_eol(const int mode, vt_scanner *s, vt_sink *k) {
    if (mode == VT_MODE_COUNT) {
        if (!s->seen_eol) {
            s->seen_eol = 1;
            s->head_tokens = s->line_tokens;
        } else {
            s->mid_sentences += vt_ceil_div(s->line_tokens, s->max_sentence_length);
        }
        s->line_tokens = 0;
        return VT_OK;
    }
    if (s->chunk_ids) {
        if (k->out_len >= k->out_cap) return VT_EOVERFLOW;
        k->out[k->out_len++] = W2V_EOS;
        s->n_sentences += 1;
    }
    s->chunk_tokens = s->chunk_ids = 0;
    return VT_OK;
}

static inline int vt_scan(const int mode, vt_scanner *s, vt_sink *k, const char *buf, size_t n,
                          int final) {
    const unsigned char *p = (const unsigned char *)buf;
    const unsigned char *const end = p + n;
    int rc;
    if (s->partial_len) {
        /* finish the token cut at the previous block's end */
        const unsigned char *q = p;
        while (q < end && !VT_IS_SPACE(*q)) q++;
        if ((rc = vt_keep_partial(s, (const char *)p, (size_t)(q - p))) != VT_OK) return rc;
        if (q == end && !final) return VT_OK;
        rc = vt_on_token(mode, s, k, s->partial, s->partial_len);
        s->partial_len = 0;
        if (rc != VT_OK) return rc;
        p = q;
    }
    for (;;) {
        while (p < end && VT_IS_SPACE(*p)) {
            if (vt_space_class[*p] == 2 && (rc = vt_on_eol(mode, s, k)) != VT_OK) return rc;
            p++;
        }
        if (p == end) break;
        const unsigned char *start = p;
        while (p < end && !VT_IS_SPACE(*p)) p++;
        if (p == end && !final) return vt_keep_partial(s, (const char *)start, (size_t)(p - start));
        if ((rc = vt_on_token(mode, s, k, (const char *)start, (size_t)(p - start))) != VT_OK)
            return rc;
    }
    if (final && mode == VT_MODE_ENCODE) {
        /* the range ends at a line end (or at the end of a file) */
        return vt_on_eol(mode, s, k);
    }
    return VT_OK;
}

int vt_count_block(vt_scanner *s, vt_table *t, const char *buf, size_t n, int final) {
    vt_sink k = {t, NULL, NULL, 0, 0};
    return vt_scan(VT_MODE_COUNT, s, &k, buf, n, final);
}

int vt_encode_block(vt_scanner *s, const vt_table *vocab, const char *buf, size_t n, int final,
                    index_t *out, size_t out_cap, size_t *out_len) {
    vt_sink k = {NULL, vocab, out, 0, out_cap};
    const int rc = vt_scan(VT_MODE_ENCODE, s, &k, buf, n, final);
    *out_len = k.out_len;
    return rc;
}
