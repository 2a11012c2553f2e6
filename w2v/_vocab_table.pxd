# Mirrors csrc/vocab_table.h.
from libc.stdint cimport int64_t, uint32_t, uint64_t
from w2v._types cimport index_t

cdef extern from "vocab_table.h" nogil:
    int VT_OK
    int VT_ENOMEM
    int VT_EOVERFLOW
    int VT_ETOOBIG
    int VT_MAX_TOKEN_BYTES

    ctypedef struct vt_table:
        size_t size
        size_t max_size
        int64_t min_reduce
        int64_t pruned_words
        int64_t pruned_count
        size_t peak_size

    ctypedef struct vt_scanner:
        int64_t max_sentence_length
        size_t partial_len
        int64_t line_tokens
        int seen_eol
        int64_t head_tokens
        int64_t mid_sentences
        int64_t chunk_tokens
        int64_t chunk_ids
        int64_t n_ids
        int64_t n_sentences
        int64_t raw_tokens

    vt_table *vt_table_new(size_t max_size)
    void vt_table_free(vt_table *t)
    uint64_t vt_hash(const char *word, size_t len)
    int64_t vt_find(const vt_table *t, const char *word, size_t len)
    int vt_add(vt_table *t, const char *word, size_t len, int64_t count)
    int vt_prune(vt_table *t, int64_t threshold)
    int vt_merge(vt_table *dst, const vt_table *src, size_t *remap)
    void vt_export_counts(const vt_table *t, int64_t *out)
    void vt_export_lengths(const vt_table *t, int64_t *out)
    size_t vt_total_bytes(const vt_table *t)
    void vt_export_bytes(const vt_table *t, char *out)

    void vt_scanner_init(vt_scanner *s, int64_t max_sentence_length)
    void vt_scanner_free(vt_scanner *s)
    int vt_count_block(vt_scanner *s, vt_table *t, const char *buf, size_t n, int final)
    int vt_encode_block(vt_scanner *s, const vt_table *vocab, const char *buf, size_t n,
                        int final, index_t *out, size_t out_cap, size_t *out_len)
    size_t vt_token_len(const char *word, size_t len)
    size_t vt_next_space(const char *buf, size_t n, size_t pos)


cdef inline int vt_check(int rc, str what) except -1:
    """The status of a vt_* call (or a ph_* call, same codes) as an exception;
    ``what`` names the table in the message ("vocabulary table", "phrase table")."""
    if rc == VT_OK:
        return 0
    if rc == VT_ENOMEM:
        raise MemoryError(f"out of memory in the {what}")
    if rc == VT_ETOOBIG:
        raise OverflowError(f"{what} limit: more than 2**32 - 2 distinct entries "
                            "or a single token over 4 GiB")
    if rc == VT_EOVERFLOW:
        raise RuntimeError("output buffer too small (internal sizing error)")
    raise RuntimeError(f"{what} error {rc}")
