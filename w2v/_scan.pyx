"""Typed entry points over csrc/vocab_table.c: counting and encoding byte blocks.

Each call releases the GIL for one whole block, so Python threads that each own
a ``Scanner`` and a ``VocabTable`` count different byte ranges in parallel.
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t
from w2v._types cimport index_t
from w2v._vocab_table cimport (
    VT_MAX_TOKEN_BYTES, vt_check, vt_table, vt_scanner,
    vt_table_new, vt_table_free, vt_find, vt_add, vt_prune, vt_merge,
    vt_export_counts, vt_export_lengths, vt_total_bytes, vt_export_bytes,
    vt_scanner_init, vt_scanner_free, vt_count_block, vt_encode_block, vt_next_space,
    vt_token_len,
)

# Longer tokens are cut to this many bytes at a UTF-8 character boundary
# (csrc/vocab_table.h); w2v.corpus cuts iterable corpora's tokens the same way.
MAX_TOKEN_BYTES = VT_MAX_TOKEN_BYTES


cdef inline int _check(int rc) except -1:
    return vt_check(rc, "vocabulary table")


cdef class VocabTable:
    """Insertion-ordered word -> count table of byte strings.

    ``max_size`` > 0 bounds the distinct words held (word2vec.c pruning, see
    csrc/vocab_table.h); 0 leaves it unbounded.
    """
    cdef vt_table *t

    def __cinit__(self, size_t max_size=0):
        self.t = vt_table_new(max_size)
        if self.t == NULL:
            raise MemoryError("cannot allocate a vocabulary table")

    def __dealloc__(self):
        vt_table_free(self.t)

    @staticmethod
    def from_words(words):
        """Lookup table whose entry i is ``words[i]`` (str, encoded back to bytes
        with UTF-8/surrogateescape).  Duplicate words raise ValueError."""
        cdef VocabTable table = VocabTable()
        cdef bytes b
        cdef Py_ssize_t i = 0
        for w in words:
            if isinstance(w, str):
                b = w.encode("utf-8", "surrogateescape")
            elif isinstance(w, (bytes, bytearray)):
                b = bytes(w)
            else:
                raise TypeError(f"vocabulary words must be str or bytes, got {type(w).__name__}")
            _check(vt_add(table.t, b, len(b), 1))
            i += 1
            if <Py_ssize_t>table.t.size != i:
                raise ValueError(f"duplicate word in vocabulary: {w!r}")
        return table

    def __len__(self):
        return self.t.size

    def add(self, bytes word, int64_t count=1):
        _check(vt_add(self.t, word, len(word), count))

    def find(self, bytes word):
        """Entry index of ``word``, or -1."""
        return vt_find(self.t, word, len(word))

    def prune(self, int64_t threshold):
        """Remove every word with count <= threshold (recorded as pruned)."""
        _check(vt_prune(self.t, threshold))

    def merge(self, VocabTable other):
        """Add ``other``'s words in its order (pruning as this table's bound says)."""
        cdef int rc
        with nogil:
            rc = vt_merge(self.t, other.t, NULL)
        _check(rc)

    def take(self, VocabTable other):
        """``merge`` for a table that is dropped afterwards: when this table holds
        nothing yet and its bound does not prune ``other``'s words, it takes
        other's entries instead of copying them (one table in memory, not two),
        and ``other`` is left empty."""
        cdef vt_table *mine = self.t
        if (mine.size or mine.pruned_words or
                (mine.max_size and other.t.size > mine.max_size)):
            self.merge(other)
            return
        self.t, other.t = other.t, mine
        self.t.max_size, mine.max_size = mine.max_size, self.t.max_size
        if mine.min_reduce > self.t.min_reduce:
            self.t.min_reduce = mine.min_reduce

    def counts(self):
        cdef int64_t[::1] out = np.empty(self.t.size, dtype=np.int64)
        if self.t.size:
            vt_export_counts(self.t, &out[0])
        return np.asarray(out)

    def word_bytes(self):
        """Words as bytes, in insertion (first occurrence) order."""
        return self._words(False)

    def words(self):
        """Words decoded as UTF-8 with surrogateescape, in insertion order."""
        return self._words(True)

    cdef list _words(self, bint decode):
        cdef size_t n = self.t.size
        cdef int64_t[::1] lens = np.empty(n, dtype=np.int64)
        cdef bytearray blob = bytearray(vt_total_bytes(self.t))
        cdef char *p = blob
        cdef list out = []
        cdef size_t i
        cdef int64_t off = 0
        if n == 0:
            return out
        vt_export_lengths(self.t, &lens[0])
        vt_export_bytes(self.t, p)
        for i in range(n):
            if decode:
                out.append(p[off:off + lens[i]].decode("utf-8", "surrogateescape"))
            else:
                out.append(p[off:off + lens[i]])
            off += lens[i]
        return out

    @property
    def max_size(self):
        return self.t.max_size

    @property
    def min_reduce(self):
        return self.t.min_reduce

    @property
    def pruned_words(self):
        return self.t.pruned_words

    @property
    def pruned_count(self):
        return self.t.pruned_count

    @property
    def peak_size(self):
        return self.t.peak_size


cdef class Scanner:
    """Tokenizer state for one byte range (or one stream), fed block by block."""
    cdef vt_scanner s

    def __cinit__(self, int64_t max_sentence_length=10000):
        if max_sentence_length < 1:
            raise ValueError("max_sentence_length must be >= 1")
        vt_scanner_init(&self.s, max_sentence_length)

    def __dealloc__(self):
        vt_scanner_free(&self.s)

    def count(self, VocabTable table, const unsigned char[::1] buf, Py_ssize_t n=-1,
              bint final=False):
        """Count the tokens of ``buf[:n]`` (all of it when n < 0) into ``table``."""
        cdef int rc
        cdef const char *p = NULL
        if n < 0 or n > buf.shape[0]:
            n = buf.shape[0]
        if n > 0:
            p = <const char *>&buf[0]
        with nogil:
            rc = vt_count_block(&self.s, table.t, p, n, final)
        _check(rc)

    def encode(self, VocabTable vocab, const unsigned char[::1] buf, int32_t[::1] out,
               Py_ssize_t n=-1, bint final=False):
        """Write the ids of ``buf[:n]``'s in-vocabulary tokens to ``out`` (sentence
        ends as -1); returns how many were written.  ``len(out) >= n + 2``."""
        cdef int rc
        cdef size_t written = 0
        cdef const char *p = NULL
        if n < 0 or n > buf.shape[0]:
            n = buf.shape[0]
        if <size_t>out.shape[0] < <size_t>n + 2:
            raise ValueError("encode output buffer must hold len(block) + 2 ids")
        if n > 0:
            p = <const char *>&buf[0]
        with nogil:
            rc = vt_encode_block(&self.s, vocab.t, p, n, final, <index_t *>&out[0],
                                 out.shape[0], &written)
        _check(rc)
        return written

    @property
    def raw_tokens(self):
        return self.s.raw_tokens

    @property
    def seen_eol(self):
        return bool(self.s.seen_eol)

    @property
    def head_tokens(self):
        """Tokens before the first line end (all tokens when there was none)."""
        return self.s.head_tokens if self.s.seen_eol else self.s.line_tokens

    @property
    def mid_sentences(self):
        """Sentences of the lines that both start and end inside this range."""
        return self.s.mid_sentences

    @property
    def tail_tokens(self):
        """Tokens after the last line end (all tokens when there was none)."""
        return self.s.line_tokens

    @property
    def n_ids(self):
        return self.s.n_ids

    @property
    def n_sentences(self):
        """Sentence ends (-1) written by ``encode``."""
        return self.s.n_sentences

    @property
    def partial_len(self):
        return self.s.partial_len


def token_len(const unsigned char[::1] word):
    """Bytes of ``word`` that the tokenizer keeps (``len(word)`` up to MAX_TOKEN_BYTES)."""
    if word.shape[0] == 0:
        return 0
    return vt_token_len(<const char *>&word[0], word.shape[0])


def next_space(const unsigned char[::1] buf, Py_ssize_t pos=0):
    """First offset >= pos where ``buf`` holds an ASCII whitespace byte (len(buf) if none)."""
    if buf.shape[0] == 0:
        return 0
    return vt_next_space(<const char *>&buf[0], buf.shape[0], pos)
