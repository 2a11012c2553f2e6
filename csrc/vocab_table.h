/* Byte tokenizer and insertion-ordered open-addressing hash table for
 * vocabulary counting and corpus encoding (mirrored in w2v/_vocab_table.pxd).
 *
 * Tokens are runs of non-whitespace bytes (ASCII whitespace: space \t \n \v \f \r);
 * \n and \r end a line; a line is cut into sentences of at most
 * max_sentence_length tokens (see ARCHITECTURE.md "Tokens").
 *
 * Plain C, no Python.h.  Nothing here is thread-safe: each thread owns its
 * tables and scanners, and tables are merged afterwards in range order.
 */
#ifndef W2V_VOCAB_TABLE_H
#define W2V_VOCAB_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "w2v_types.h"

/* Status codes returned by the functions below. */
#define VT_OK 0
#define VT_ENOMEM 1     /* an allocation failed */
#define VT_EOVERFLOW 2  /* an output buffer was too small (caller's sizing bug) */
#define VT_ETOOBIG 3    /* more than 2^32 - 2 distinct words, or a word over 4 GiB */

/* Longer tokens are cut to this many bytes, at a UTF-8 character boundary
 * (vt_token_len), and the rest of the token is dropped: a run of bytes without
 * whitespace (a file of NULs) then costs a bounded buffer, and no word is too
 * long for the word2vec formats.  word2vec.c cuts at 100 bytes. */
#define VT_MAX_TOKEN_BYTES 1000

/* One distinct word.  Entries live in insertion order, so walking them gives
 * words in order of first occurrence; bytes live in the table's arena. */
typedef struct vt_entry {
    uint64_t key;     /* the word's bytes if len <= 8, else its last 8 bytes */
    int64_t count;
    uint64_t offset;  /* into arena */
    uint32_t len;
    uint32_t _pad;
} vt_entry;

typedef struct vt_table {
    /* slot = (hash >> 32) << 32 | (entry index + 1); 0 marks an empty slot.
     * Keeping 32 hash bits in the slot skips most entry loads on a mismatch. */
    uint64_t *slots;
    uint64_t mask;        /* number of slots - 1 (a power of two) */
    vt_entry *entries;
    size_t size;          /* distinct words held now */
    size_t entries_cap;
    char *arena;
    size_t arena_len, arena_cap;
    /* Bounded counting as word2vec.c's ReduceVocab: before a new word would make
     * size exceed max_size, drop every word with count <= min_reduce, then
     * min_reduce += 1, repeating until there is room.  max_size 0: unbounded. */
    size_t max_size;
    int64_t min_reduce;   /* next pruning threshold, starts at 1 */
    int64_t pruned_words; /* entries removed by pruning (a word removed twice counts twice) */
    int64_t pruned_count; /* token occurrences those entries held */
    size_t peak_size;     /* most distinct words held at any time */
} vt_table;

/* Tokenizer state carried across the blocks of one byte range.  Counting
 * reports sentences so that ranges cut anywhere at whitespace merge exactly:
 * a range is (head: tokens before its first line end) + (complete lines) +
 * (tail: tokens after its last line end); see vt_scanner_* fields. */
typedef struct vt_scanner {
    int64_t max_sentence_length;
    /* partial token at the end of the last block */
    char *partial;
    size_t partial_len, partial_cap;
    /* counting */
    int64_t line_tokens;    /* tokens of the current line seen in this range */
    int seen_eol;           /* a line end occurred in this range */
    int64_t head_tokens;    /* tokens before the first line end (valid when seen_eol) */
    int64_t mid_sentences;  /* sentences of lines that started and ended in this range */
    /* encoding */
    int64_t chunk_tokens;   /* raw tokens in the current sentence chunk */
    int64_t chunk_ids;      /* in-vocabulary ids written for the current chunk */
    int64_t n_ids;          /* ids written (without EOS markers) */
    int64_t n_sentences;    /* EOS markers written */
    /* both */
    int64_t raw_tokens;     /* tokens read */
} vt_scanner;

/* ---- table ---- */
vt_table *vt_table_new(size_t max_size);
void vt_table_free(vt_table *t);
uint64_t vt_hash(const char *word, size_t len);
/* Index of word, or -1. */
int64_t vt_find(const vt_table *t, const char *word, size_t len);
/* Add count occurrences of word (pruning first if it is new and the table is
 * full).  Returns VT_OK or an error code. */
int vt_add(vt_table *t, const char *word, size_t len, int64_t count);
/* Add counts[i] (1 when counts is NULL) occurrences of each of n words, in
 * order; word i is buf[offs[i] : offs[i] + lens[i]], and its entry index goes
 * to out_index[i] unless out_index is NULL.  Same result as n vt_add calls,
 * faster on a large table: slots, entries and bytes of the words a few places
 * ahead are prefetched while the current one is added. */
int vt_add_many(vt_table *t, const char *buf, const size_t *offs, const size_t *lens,
                const int64_t *counts, size_t n, size_t *out_index);
/* Make room for n distinct words without growing (slots and entries); VT_OK or VT_ENOMEM. */
int vt_reserve(vt_table *t, size_t n);
/* Remove every word with count <= threshold; returns VT_OK or VT_ENOMEM. */
int vt_prune(vt_table *t, int64_t threshold);
/* Add every word of src (in src's order) to dst; src's pruning record and
 * peak are folded into dst's.  Unless remap is NULL, remap[k] receives the
 * dst index of src's entry k (src->size of them). */
int vt_merge(vt_table *dst, const vt_table *src, size_t *remap);
/* Copy counts (int64[size]), word lengths (int64[size]) or all word bytes
 * (arena order == entry order, total vt_total_bytes) out of the table. */
void vt_export_counts(const vt_table *t, int64_t *out);
void vt_export_lengths(const vt_table *t, int64_t *out);
size_t vt_total_bytes(const vt_table *t);
void vt_export_bytes(const vt_table *t, char *out);

/* ---- scanner ---- */
void vt_scanner_init(vt_scanner *s, int64_t max_sentence_length);
void vt_scanner_free(vt_scanner *s);
/* Tokenize buf[0:n] and count its tokens in t.  With final != 0 the buffer
 * ends the range (a pending token is completed).  Returns VT_OK or an error. */
int vt_count_block(vt_scanner *s, vt_table *t, const char *buf, size_t n, int final);
/* Tokenize buf[0:n] and write the ids of in-vocabulary tokens (entry index in
 * vocab) to out, W2V_EOS after each non-empty sentence.  *out_len receives
 * how many were written; out_cap >= n + 2 always suffices. */
int vt_encode_block(vt_scanner *s, const vt_table *vocab, const char *buf, size_t n,
                    int final, index_t *out, size_t out_cap, size_t *out_len);
/* Length of a token of len bytes after the cap: len if len <= VT_MAX_TOKEN_BYTES,
 * else VT_MAX_TOKEN_BYTES less the 1..3 bytes of a UTF-8 character the cut would
 * split (word must hold VT_MAX_TOKEN_BYTES + 1 bytes then). */
size_t vt_token_len(const char *word, size_t len);
/* First offset >= pos where buf holds whitespace (n if none). */
size_t vt_next_space(const char *buf, size_t n, size_t pos);

#endif
