/* Byte tokenizer + insertion-ordered open-addressing hash table (linear
 * probing, load factor <= 0.7, doubling growth).
 *
 * Every word has a 64-bit key: for words of at most 8 bytes the bytes
 * themselves (as a little-endian number, zero-extended), for longer words
 * their last 8 bytes.  The entry keeps it, so a short word is matched by
 * comparing (length, key) with no access to the arena, and on little-endian
 * machines the tokenizer gets the key of a short token from the same 8-byte
 * load that finds its end.  Per token: one load, one mix, one or two probes;
 * no allocation except amortised arena/table growth. */
#include "vocab_table.h"

#include <stdlib.h>
#include <string.h>

#define VT_MIN_SLOTS 1024
#define VT_MAX_ENTRIES 0xFFFFFFFEu

/* The word-at-a-time token scan needs little-endian loads and a count of
 * trailing zeros; elsewhere the byte-at-a-time scan gives the same result. */
#if (defined(__GNUC__) || defined(__clang__)) && \
    !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
#define VT_SWAR 1
#else
#define VT_SWAR 0
#endif

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

#define VT_K1 0xA0761D6478BD642FULL
#define VT_K2 0xE7037ED1A0B428DBULL

static inline uint64_t vt_hash_short(uint64_t key, size_t len) {
    return vt_mix((key ^ ((uint64_t)len * VT_K1)) * VT_K2);
}

/* Hash of a word and (through *key) its key; the one definition every path
 * must agree with. */
static inline uint64_t vt_hash_key(const char *word, size_t len, uint64_t *key) {
    const unsigned char *p = (const unsigned char *)word;
    if (len <= 8) {
        uint64_t k = 0;
        for (size_t i = 0; i < len; i++) k |= (uint64_t)p[i] << (8 * i);
        *key = k;
        return vt_hash_short(k, len);
    }
    uint64_t h = (uint64_t)len * VT_K1;
    size_t n = len;
    while (n > 8) {
        h = (h ^ vt_load64(p)) * VT_K2;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    *key = vt_load64((const unsigned char *)word + len - 8);
    return vt_mix((h ^ *key) * VT_K2);
}

uint64_t vt_hash(const char *word, size_t len) {
    uint64_t key;
    return vt_hash_key(word, len, &key);
}

static inline uint64_t vt_entry_hash(const vt_table *t, const vt_entry *e) {
    if (e->len <= 8) return vt_hash_short(e->key, e->len);
    uint64_t key;
    return vt_hash_key(t->arena + e->offset, e->len, &key);
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

/* Bytes [0, len - 8) of two words of len > 8 bytes whose last 8 bytes (the
 * key) are already known to be equal; one load each up to 16 bytes. */
static inline int vt_head_equal(const char *a, const char *b, size_t len) {
    if (len <= 16)
        return vt_load64((const unsigned char *)a) == vt_load64((const unsigned char *)b);
    return memcmp(a, b, len - 8) == 0;
}

/* Slot holding word, or the empty slot where it would go. */
static inline uint64_t vt_probe(const vt_table *t, const char *word, size_t len, uint64_t h,
                                uint64_t key, int *found) {
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
            if (e->len == len && e->key == key &&
                (len <= 8 || vt_head_equal(t->arena + e->offset, word, len))) {
                *found = 1;
                return i;
            }
        }
        i = (i + 1) & t->mask;
    }
}

static inline int64_t vt_find_hashed(const vt_table *t, const char *word, size_t len, uint64_t h,
                                     uint64_t key) {
    int found;
    const uint64_t i = vt_probe(t, word, len, h, key, &found);
    return found ? (int64_t)(uint32_t)t->slots[i] - 1 : -1;
}

int64_t vt_find(const vt_table *t, const char *word, size_t len) {
    uint64_t key;
    const uint64_t h = vt_hash_key(word, len, &key);
    return vt_find_hashed(t, word, len, h, key);
}

/* Rebuild the slot array with nslots slots from the entries (hashes recomputed
 * from the keys: short words never touch the arena). */
static int vt_rehash(vt_table *t, uint64_t nslots) {
    uint64_t *slots = (uint64_t *)calloc(nslots, sizeof(uint64_t));
    if (!slots) return VT_ENOMEM;
    const uint64_t mask = nslots - 1;
    for (size_t k = 0; k < t->size; k++) {
        const uint64_t h = vt_entry_hash(t, &t->entries[k]);
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

/* Make room for one more distinct word under max_size (word2vec.c ReduceVocab:
 * drop counts <= min_reduce, then min_reduce += 1, until there is room).
 * Rounds that would drop nothing are skipped by starting at the smallest
 * count held: same result, without one pass per skipped threshold. */
static int vt_make_room(vt_table *t) {
    while (t->size >= t->max_size) {
        int64_t least = t->entries[0].count;
        for (size_t k = 1; k < t->size; k++)
            if (t->entries[k].count < least) least = t->entries[k].count;
        if (least > t->min_reduce) t->min_reduce = least;
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

int vt_reserve(vt_table *t, size_t n) {
    uint64_t nslots = t->mask + 1;
    while (n * 10 > nslots * 7) nslots *= 2;
    if (nslots != t->mask + 1) {
        const int rc = vt_rehash(t, nslots);
        if (rc != VT_OK) return rc;
    }
    if (n > t->entries_cap) {
        vt_entry *e = (vt_entry *)realloc(t->entries, n * sizeof(vt_entry));
        if (!e) return VT_ENOMEM;
        t->entries = e;
        t->entries_cap = n;
    }
    return VT_OK;
}

/* Add count occurrences of word; its entry index goes to *index. */
static inline int vt_add_hashed(vt_table *t, const char *word, size_t len, uint64_t h,
                                uint64_t key, int64_t count, size_t *index) {
    int found;
    uint64_t i = vt_probe(t, word, len, h, key, &found);
    if (found) {
        *index = (uint32_t)t->slots[i] - 1;
        t->entries[*index].count += count;
        return VT_OK;
    }
    if (len > 0xFFFFFFFFu || t->size >= VT_MAX_ENTRIES) return VT_ETOOBIG;
    int rc;
    if (t->max_size && t->size >= t->max_size) {
        if ((rc = vt_make_room(t)) != VT_OK) return rc;
        i = vt_probe(t, word, len, h, key, &found);
    }
    /* keep load factor <= 0.7 */
    if ((t->size + 1) * 10 > (t->mask + 1) * 7) {
        if ((rc = vt_rehash(t, (t->mask + 1) * 2)) != VT_OK) return rc;
        i = vt_probe(t, word, len, h, key, &found);
    }
    if (t->size == t->entries_cap && (rc = vt_grow_entries(t)) != VT_OK) return rc;
    if (t->arena_cap - t->arena_len < len && (rc = vt_grow_arena(t, len)) != VT_OK) return rc;
    memcpy(t->arena + t->arena_len, word, len);
    vt_entry *e = &t->entries[t->size];
    e->key = key;
    e->count = count;
    e->offset = t->arena_len;
    e->len = (uint32_t)len;
    e->_pad = 0;
    t->arena_len += len;
    *index = t->size;
    t->size += 1;
    t->slots[i] = ((h >> 32) << 32) | (uint64_t)t->size;
    if (t->size > t->peak_size) t->peak_size = t->size;
    return VT_OK;
}

int vt_add(vt_table *t, const char *word, size_t len, int64_t count) {
    uint64_t key;
    size_t index;
    const uint64_t h = vt_hash_key(word, len, &key);
    return vt_add_hashed(t, word, len, h, key, count, &index);
}

/* Prefetch distance of vt_add_many (a power of two): the slot of word i + VT_AHEAD,
 * the entry of word i + VT_AHEAD / 2 and the bytes of word i + VT_AHEAD / 4. */
#define VT_AHEAD 16

static inline void vt_prefetch_entry(const vt_table *t, uint64_t h, int bytes) {
    const uint64_t s = t->slots[h & t->mask];
    if (!s || (s >> 32) != (h >> 32)) return;
    const vt_entry *e = &t->entries[(uint32_t)s - 1];
    if (!bytes) __builtin_prefetch(e);
    else if (e->len > 8) __builtin_prefetch(t->arena + e->offset);
}

int vt_add_many(vt_table *t, const char *buf, const size_t *offs, const size_t *lens,
                const int64_t *counts, size_t n, size_t *out_index) {
    uint64_t hs[VT_AHEAD], ks[VT_AHEAD];
    size_t index;
    for (size_t i = 0; i < n && i < VT_AHEAD; i++) {
        hs[i] = vt_hash_key(buf + offs[i], lens[i], &ks[i]);
        __builtin_prefetch(&t->slots[hs[i] & t->mask]);
    }
    for (size_t i = 0; i < n; i++) {
        const size_t r = i & (VT_AHEAD - 1);
        if (i + VT_AHEAD / 2 < n) vt_prefetch_entry(t, hs[(i + VT_AHEAD / 2) & (VT_AHEAD - 1)], 0);
        if (i + VT_AHEAD / 4 < n) vt_prefetch_entry(t, hs[(i + VT_AHEAD / 4) & (VT_AHEAD - 1)], 1);
        const int rc = vt_add_hashed(t, buf + offs[i], lens[i], hs[r], ks[r],
                                     counts ? counts[i] : 1, &index);
        if (rc != VT_OK) return rc;
        if (out_index) out_index[i] = index;
        if (i + VT_AHEAD < n) {
            hs[r] = vt_hash_key(buf + offs[i + VT_AHEAD], lens[i + VT_AHEAD], &ks[r]);
            __builtin_prefetch(&t->slots[hs[r] & t->mask]);
        }
    }
    return VT_OK;
}

int vt_merge(vt_table *dst, const vt_table *src, size_t *remap) {
    enum { CHUNK = 512 };
    size_t offs[CHUNK], lens[CHUNK];
    int64_t counts[CHUNK];
    for (size_t k = 0; k < src->size; k += CHUNK) {
        const size_t m = src->size - k < CHUNK ? src->size - k : CHUNK;
        for (size_t j = 0; j < m; j++) {
            const vt_entry *e = &src->entries[k + j];
            offs[j] = e->offset;
            lens[j] = e->len;
            counts[j] = e->count;
        }
        const int rc = vt_add_many(dst, src->arena, offs, lens, counts, m, remap ? remap + k : NULL);
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

size_t vt_token_len(const char *word, size_t len) {
    if (len <= VT_MAX_TOKEN_BYTES) return len;
    /* w[cut] is the first byte dropped: step back over continuation bytes
     * (10xxxxxx), at most 3 as a character has at most 4 bytes; bytes that are
     * not UTF-8 there are cut at the cap itself */
    const unsigned char *w = (const unsigned char *)word;
    size_t cut = VT_MAX_TOKEN_BYTES;
    for (int k = 0; k < 3 && (w[cut] & 0xC0) == 0x80; k++) cut--;
    return (w[cut] & 0xC0) == 0x80 ? VT_MAX_TOKEN_BYTES : cut;
}

/* Append to the token cut at a block end; only its first VT_MAX_TOKEN_BYTES + 1
 * bytes are kept (enough for vt_token_len), so the buffer stays small. */
static int vt_keep_partial(vt_scanner *s, const char *p, size_t n) {
    if (n > VT_MAX_TOKEN_BYTES + 1 - s->partial_len) n = VT_MAX_TOKEN_BYTES + 1 - s->partial_len;
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
                              size_t len, uint64_t h, uint64_t key) {
    s->raw_tokens += 1;
    if (mode == VT_MODE_COUNT) {
        s->line_tokens += 1;
        size_t index;
        return vt_add_hashed(k->table, w, len, h, key, 1, &index);
    }
    const int64_t id = vt_find_hashed(k->vocab, w, len, h, key);
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

#if VT_SWAR
/* First whitespace byte at or after p (or end), eight bytes per step; see
 * vt_scan for the flag arithmetic.  A flagged control byte that is not
 * whitespace resumes the search after it. */
static inline const unsigned char *vt_token_end(const unsigned char *p,
                                                const unsigned char *end) {
    while (end - p >= 8) {
        const uint64_t v = vt_load64(p);
        const uint64_t m = (v - 0x2121212121212121ULL) & ~v & 0x8080808080808080ULL;
        if (!m) {
            p += 8;
            continue;
        }
        p += __builtin_ctzll(m) >> 3;
        if (vt_space_class[*p]) return p;
        p++;
    }
    while (p < end && !VT_IS_SPACE(*p)) p++;
    return p;
}
#endif

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
        const size_t len = vt_token_len(s->partial, s->partial_len);
        uint64_t key;
        const uint64_t h = vt_hash_key(s->partial, len, &key);
        rc = vt_on_token(mode, s, k, s->partial, len, h, key);
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
#if VT_SWAR
        if (end - p >= 8) {
            /* flag bytes < 0x21: (x - 0x21) borrows into bit 7 only there (~x
             * drops bytes >= 0x80); flags above the lowest may be spurious,
             * the lowest is exact */
            const uint64_t v = vt_load64(p);
            const uint64_t m = (v - 0x2121212121212121ULL) & ~v & 0x8080808080808080ULL;
            if (m) {
                const size_t len = (size_t)__builtin_ctzll(m) >> 3;
                if (vt_space_class[p[len]]) {
                    /* a token of 1..7 bytes; its key is v cut to its length */
                    const uint64_t key = v & ((1ULL << (8 * len)) - 1);
                    p += len;
                    rc = vt_on_token(mode, s, k, (const char *)start, len,
                                     vt_hash_short(key, len), key);
                    if (rc != VT_OK) return rc;
                    continue;
                }
                /* a control byte that is not whitespace: the byte loop below */
            } else {
                p = vt_token_end(p + 8, end);
            }
        }
#endif
        while (p < end && !VT_IS_SPACE(*p)) p++;
        if (p == end && !final) return vt_keep_partial(s, (const char *)start, (size_t)(p - start));
        const size_t len = vt_token_len((const char *)start, (size_t)(p - start));
        uint64_t key;
        const uint64_t h = vt_hash_key((const char *)start, len, &key);
        if ((rc = vt_on_token(mode, s, k, (const char *)start, len, h, key)) != VT_OK) return rc;
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
