"""Typed entry points over csrc/phrases.c: learning and applying phrases.

Every call releases the GIL for one whole block or batch of sentences, so
Python threads that each own a ``Learner`` (or an ``Applier``) work on
different parts of a corpus in parallel.  Words are bytes here; w2v/phrases.py
decodes them at the edges.
"""
import numpy as np

from libc.stdint cimport int64_t
from w2v._vocab_table cimport (
    VT_OK, vt_check, vt_table, vt_table_new, vt_table_free,
    vt_find, vt_add, vt_export_counts, vt_export_lengths, vt_total_bytes,
    vt_export_bytes,
)

SCORE_DEFAULT = PH_SCORE_DEFAULT
SCORE_NPMI = PH_SCORE_NPMI


cdef inline int _check(int rc) except -1:
    return vt_check(rc, "phrase table")


cdef list _table_words(vt_table *t):
    cdef size_t n = t.size
    cdef int64_t[::1] lens
    cdef bytearray blob
    cdef char *p
    cdef list out = []
    cdef size_t i
    cdef int64_t off = 0
    if n == 0:
        return out
    lens = np.empty(n, dtype=np.int64)
    blob = bytearray(vt_total_bytes(t))
    p = blob
    vt_export_lengths(t, &lens[0])
    vt_export_bytes(t, p)
    for i in range(n):
        out.append(p[off:off + lens[i]])
        off += lens[i]
    return out


cdef object _table_counts(vt_table *t):
    cdef int64_t[::1] out = np.empty(t.size, dtype=np.int64)
    if t.size:
        vt_export_counts(t, &out[0])
    return np.asarray(out)


cdef class Table:
    """A set of byte strings in insertion order (connector words, frozen phrases)."""
    cdef vt_table *t

    def __cinit__(self, words=()):
        self.t = vt_table_new(0)
        if self.t == NULL:
            raise MemoryError("cannot allocate a phrase table")
        cdef bytes w
        cdef size_t i = 0
        for w in words:
            _check(vt_add(self.t, w, len(w), 1))
            i += 1
            if self.t.size != i:
                raise ValueError(f"duplicate entry {w!r}")

    def __dealloc__(self):
        vt_table_free(self.t)

    def __len__(self):
        return self.t.size

    def find(self, bytes w):
        return vt_find(self.t, w, len(w))

    def words(self):
        return _table_words(self.t)


cdef class Learner:
    """Counts unigrams and joined phrases of sentences (csrc/phrases.h)."""
    cdef ph_learner *l
    cdef Table connectors
    cdef bytes delim

    def __cinit__(self, Table connectors, bytes delim, int64_t max_vocab_size=0,
                  int64_t max_sentence_length=10000):
        if not delim:
            raise ValueError("the delimiter must not be empty")
        self.connectors = connectors
        self.delim = delim
        self.l = ph_learner_new(connectors.t, self.delim, len(self.delim), max_vocab_size,
                                max_sentence_length)
        if self.l == NULL:
            raise MemoryError("cannot allocate a phrase learner")

    def __dealloc__(self):
        ph_learner_free(self.l)

    def finish(self):
        """End of a thread's counting: when readers would need the pairs as
        joined strings (not pure), make them now, in this thread, rather than
        in the first reader alone."""
        if not self.l.pure:
            self._settle()

    cdef int _settle(self) except -1:
        """Make ``l.vocab`` exact (pairs counted by index become joined
        strings); every method that reads or changes it calls this first."""
        cdef int rc
        with nogil:
            rc = ph_learner_settle(self.l)
        return _check(rc)

    def learn_block(self, const unsigned char[::1] buf, Py_ssize_t n=-1, bint final=False):
        """Count the tokens of ``buf[:n]`` (file bytes; lines are sentences)."""
        cdef int rc
        cdef const char *p = NULL
        if n < 0 or n > buf.shape[0]:
            n = buf.shape[0]
        if n > 0:
            p = <const char *>&buf[0]
        with nogil:
            rc = ph_learn_block(self.l, p, n, final)
        _check(rc)

    def learn_tokens(self, const unsigned char[::1] blob, const int64_t[::1] lens,
                     const int64_t[::1] sent_lens):
        """Count whole sentences given as concatenated token bytes and lengths."""
        cdef int rc
        cdef const char *p = NULL
        cdef const int64_t *pl = NULL
        _check_tokens(blob, lens, sent_lens)
        if blob.shape[0]:
            p = <const char *>&blob[0]
        if lens.shape[0]:
            pl = &lens[0]
        if sent_lens.shape[0] == 0:
            return
        with nogil:
            rc = ph_learn_tokens(self.l, p, pl, &sent_lens[0], sent_lens.shape[0])
        _check(rc)

    def add_counts(self, const unsigned char[::1] blob, const int64_t[::1] lens,
                   const int64_t[::1] counts):
        """Add ``counts[i]`` occurrences of word i (bytes ``lens[i]`` long, all
        concatenated in ``blob``), without pruning: restores a saved vocabulary."""
        cdef Py_ssize_t i
        cdef size_t off = 0
        cdef int rc = VT_OK
        cdef const char *p = NULL
        cdef int64_t one = 1
        if lens.shape[0] != counts.shape[0]:
            raise ValueError("lengths and counts differ in length")
        sent = np.array([lens.shape[0]], dtype=np.int64)
        _check_tokens(blob, lens, sent)
        for i in range(counts.shape[0]):
            if counts[i] < 1:
                raise ValueError(f"counts must be >= 1, entry {i} has {counts[i]}")
        if blob.shape[0]:
            p = <const char *>&blob[0]
        self._settle()
        with nogil:
            for i in range(lens.shape[0]):
                rc = vt_add(self.l.vocab, p + off, lens[i], counts[i])
                if rc != VT_OK:
                    break
                off += lens[i]
        self.l.pure = 0   # the words may hold the delimiter
        _check(rc)
        self._settle()

    def words_at(self, const int64_t[::1] index):
        """Entries ``index`` (as ``candidates`` gives them) as bytes."""
        cdef Py_ssize_t i
        cdef size_t n, n2, size
        cdef const char *p
        cdef const char *p2
        cdef list out = []
        if not self.l.pure:
            self._settle()
        size = self.l.vocab.size
        for i in range(index.shape[0]):
            if index[i] < 0:
                raise IndexError(index[i])
            if <size_t>index[i] < size:
                p = ph_entry(self.l.vocab, index[i], &n)
                out.append(p[:n])
            elif ph_pair_words(self.l, index[i] - size, &p, &n, &p2, &n2):
                out.append(p[:n] + self.delim + p2[:n2])
            else:
                raise IndexError(index[i])
        return out

    def merge(self, Learner other):
        """gensim's add_vocab: fold ``other``'s counts in, then prune once by
        this learner's bound (when it already held words)."""
        cdef int rc
        cdef bint had = self.l.vocab.size > 0
        if had and other.l.min_reduce > self.l.min_reduce:
            self.l.min_reduce = other.l.min_reduce
        with nogil:
            rc = ph_learner_merge(self.l, other.l)
            if rc == VT_OK and had:
                rc = ph_learner_prune(self.l)
        _check(rc)
        self.l.total_words += other.l.total_words
        self.l.sentences += other.l.sentences

    def words(self):
        """Entries (unigrams and phrases) as bytes, in insertion order."""
        self._settle()
        return _table_words(self.l.vocab)

    def counts(self):
        self._settle()
        return _table_counts(self.l.vocab)

    def find(self, bytes w):
        self._settle()
        return vt_find(self.l.vocab, w, len(w))

    def count(self, bytes w):
        self._settle()
        return ph_count(self.l.vocab, w, len(w))

    def candidates(self, int64_t skip_le=0):
        """(index, count of first piece, count of last piece, count) of every
        entry counted more than ``skip_le`` times that holds the delimiter and
        whose first and last pieces are entries, in order of first occurrence
        (``words_at`` turns indices into words)."""
        cdef size_t n, k
        cdef const char *d = self.delim
        cdef size_t dl = len(self.delim)
        cdef int64_t[::1] vi, va, vb, vab, vo
        if self.l.pure:
            n = self.l.pairs.size
            idx, a, b, ab, o = (np.empty(max(n, 1), dtype=np.int64) for _ in range(5))
            vi, va, vb, vab, vo = idx, a, b, ab, o
            with nogil:
                k = ph_pair_candidates(self.l, skip_le, &vi[0], &va[0], &vb[0], &vab[0], &vo[0])
            first = np.argsort(o[:k], kind="stable")
            return idx[first], a[first], b[first], ab[first]
        self._settle()
        n = self.l.vocab.size
        idx = np.empty(n, dtype=np.int64)
        a = np.empty(n, dtype=np.int64)
        b = np.empty(n, dtype=np.int64)
        vi, va, vb = idx, a, b
        if n == 0:
            return idx, a, b, np.empty(0, dtype=np.int64)
        with nogil:
            k = ph_candidates(self.l.vocab, d, dl, skip_le, &vi[0], &va[0], &vb[0])
        idx = idx[:k]
        return idx, a[:k], b[:k], self.counts()[idx]

    def __len__(self):
        """Entries: unigrams and phrases."""
        if not self.l.pure:
            self._settle()
        return self.l.vocab.size + self.l.pairs.size

    @property
    def total_words(self):
        return self.l.total_words

    @total_words.setter
    def total_words(self, int64_t v):
        self.l.total_words = v

    @property
    def sentences(self):
        return self.l.sentences

    @property
    def min_reduce(self):
        return self.l.min_reduce

    @min_reduce.setter
    def min_reduce(self, int64_t v):
        self.l.min_reduce = v

    @property
    def max_vocab_size(self):
        return self.l.max_vocab_size

    @max_vocab_size.setter
    def max_vocab_size(self, int64_t v):
        self.l.max_vocab_size = v


cdef int _check_tokens(const unsigned char[::1] blob, const int64_t[::1] lens,
                       const int64_t[::1] sent_lens) except -1:
    cdef Py_ssize_t i
    cdef int64_t total = 0, n = 0
    for i in range(sent_lens.shape[0]):
        if sent_lens[i] < 0:
            raise ValueError("negative sentence length")
        n += sent_lens[i]
    if n != lens.shape[0]:
        raise ValueError("sentence lengths do not add up to the number of tokens")
    for i in range(lens.shape[0]):
        if lens[i] < 0:
            raise ValueError("negative token length")
        total += lens[i]
    if total != blob.shape[0]:
        raise ValueError("token lengths do not add up to the bytes given")
    return 0


def score(int kind, double min_count, double len_vocab, double corpus_word_count,
          const int64_t[::1] a, const int64_t[::1] b, const int64_t[::1] ab):
    """Built-in score of each (a, b, ab) count triple, as gensim computes it."""
    cdef ph_scoring s
    cdef Py_ssize_t i, n = a.shape[0]
    s.kind = kind
    s.min_count = min_count
    s.len_vocab = len_vocab
    s.corpus_word_count = corpus_word_count
    out = np.empty(n, dtype=np.float64)
    cdef double[::1] o = out
    with nogil:
        for i in range(n):
            o[i] = ph_score(&s, a[i], b[i], ab[i])
    return out


cdef class Model:
    """What an Applier scores with: frozen phrases and scores, or a live Learner."""
    cdef ph_model m
    cdef Table connectors
    cdef Table phrases
    cdef Learner live
    cdef bytes delim
    cdef object scores

    def __cinit__(self, Table connectors, bytes delim, double threshold, Table phrases=None,
                  scores=None, Learner live=None, int kind=0, double min_count=0):
        if not delim:
            raise ValueError("the delimiter must not be empty")
        self.connectors = connectors
        self.delim = delim
        self.m.connectors = connectors.t
        self.m.delim = self.delim
        self.m.delim_len = len(self.delim)
        self.m.threshold = threshold
        self.m.phrases = NULL
        self.m.scores = NULL
        self.m.filter = NULL
        self.m.vocab = NULL
        cdef double[::1] sv
        if phrases is not None:
            self.phrases = phrases
            self.scores = np.ascontiguousarray(scores, dtype=np.float64)
            if len(self.scores) != len(phrases):
                raise ValueError("phrases and scores differ in length")
            self.m.phrases = phrases.t
            if len(self.scores):
                sv = self.scores
                self.m.scores = &sv[0]
            if ph_model_set_filter(&self.m) != VT_OK:
                raise MemoryError("phrase filter")
        elif live is not None:
            self.live = live
            live._settle()
            self.m.vocab = live.l.vocab
            self.m.scoring.kind = kind
            self.m.scoring.min_count = min_count
            self.m.scoring.len_vocab = live.l.vocab.size
            self.m.scoring.corpus_word_count = live.l.total_words
        else:
            raise ValueError("a Model needs phrases or a live Learner")

    def __dealloc__(self):
        ph_model_free_filter(&self.m)


cdef class Applier:
    """Applies a Model to byte blocks (file text) or to sentences given as tokens."""
    cdef ph_applier *a
    cdef Model model

    def __cinit__(self, Model model, int64_t max_sentence_length=10000):
        self.model = model
        self.a = ph_applier_new(&model.m, max_sentence_length)
        if self.a == NULL:
            raise MemoryError("cannot allocate a phrase applier")

    def __dealloc__(self):
        ph_applier_free(self.a)

    def apply_block(self, const unsigned char[::1] buf, Py_ssize_t n=-1, bint final=False):
        """Phrased text of ``buf[:n]`` so far (bytes): the lines completed, each
        ended by a newline; a line cut by the block end is held back."""
        cdef int rc
        cdef const char *p = NULL
        if n < 0 or n > buf.shape[0]:
            n = buf.shape[0]
        if n > 0:
            p = <const char *>&buf[0]
        with nogil:
            rc = ph_apply_block(self.a, p, n, final)
        _check(rc)
        out = self.a.out[:self.a.out_len] if self.a.out_len else b""
        ph_applier_reset_output(self.a)
        return out

    def apply_tokens(self, const unsigned char[::1] blob, const int64_t[::1] lens,
                     const int64_t[::1] sent_lens):
        """(token bytes, token lengths, token scores (NaN: not a phrase), tokens
        per sentence) of the phrased sentences."""
        cdef int rc
        cdef const char *p = NULL
        cdef const int64_t *pl = NULL
        _check_tokens(blob, lens, sent_lens)
        out_sent = np.zeros(sent_lens.shape[0], dtype=np.int64)
        cdef int64_t[::1] os = out_sent
        if blob.shape[0]:
            p = <const char *>&blob[0]
        if lens.shape[0]:
            pl = &lens[0]
        ph_applier_reset_output(self.a)
        if sent_lens.shape[0]:
            with nogil:
                rc = ph_apply_tokens(self.a, p, pl, &sent_lens[0], sent_lens.shape[0], &os[0])
            _check(rc)
        cdef size_t n = self.a.n_out_tokens
        out = self.a.out[:self.a.out_len] if self.a.out_len else b""
        tl = np.asarray(<int64_t[:n]>self.a.tok_lens).copy() if n else np.empty(0, np.int64)
        ts = np.asarray(<double[:n]>self.a.tok_scores).copy() if n else np.empty(0, np.float64)
        ph_applier_reset_output(self.a)
        return out, tl, ts, out_sent

    @property
    def phrases_made(self):
        return self.a.phrases_made
