"""Vocabulary: min_count / max_final_vocab / trim_rule, ordering, subsampling thresholds,
and word2vec.c ``-save-vocab`` files.

Semantics follow gensim 4.4's ``Word2Vec.prepare_vocab``: ``max_final_vocab`` raises the
effective min_count to one more than the count of the word ranked ``max_final_vocab``
(so ties at the cut are all dropped, and fewer words than asked may remain);
``trim_rule(word, count, min_count)`` returns RULE_KEEP / RULE_DISCARD / RULE_DEFAULT.
"""
import math
import os
import re

import numpy as np

from w2v._io import atomic_write
from w2v.corpus import Corpus, corpus_name, count_words

__all__ = ["Vocab", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP"]

# Same values as gensim.utils, so gensim trim rules work unchanged.
RULE_DEFAULT = 0
RULE_DISCARD = 1
RULE_KEEP = 2

_UINT32_MAX = 2**32 - 1
_INT64_MAX = np.iinfo(np.int64).max
_COUNT_RE = re.compile(rb"[0-9]+\Z")
_WHITESPACE = frozenset(" \t\n\v\f\r")


def _check_nonneg_int(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


class Vocab:
    """The retained vocabulary of a corpus, with the statistics of the scan that built it.

    Attributes
    ----------
    index_to_key : list[str]        word of each id
    key_to_index : dict[str, int]   id of each word
    counts : np.int64[V]            corpus count of each word
    raw_words : int                 all tokens seen in the corpus
    retained_words : int            sum of ``counts``
    n_sentences : int               sentences seen by the scan
    min_count, effective_min_count, max_final_vocab : settings applied
    sorted_vocab : bool             ids are in descending count order
    pruned_words, pruned_count      distinct words / tokens pruned during the scan
    discarded_words, discarded_count  distinct words / tokens dropped here (min_count, trim_rule)
    """

    def __init__(self, index_to_key, counts, *, raw_words=None, n_sentences=0, min_count=1,
                 effective_min_count=None, max_final_vocab=None, sorted_vocab=None,
                 pruned_words=0, pruned_count=0, discarded_words=0, discarded_count=0):
        index_to_key = list(index_to_key)
        counts = np.array(counts, dtype=np.int64)
        if counts.shape != (len(index_to_key),):
            raise ValueError(f"{len(index_to_key)} words but counts has shape {counts.shape}")
        if counts.size and counts.min() < 0:
            raise ValueError("counts must be >= 0")
        key_to_index = dict(zip(index_to_key, range(len(index_to_key))))
        if len(key_to_index) != len(index_to_key):
            raise ValueError(f"duplicate words: {_first_duplicate(index_to_key)!r}")
        self.index_to_key = index_to_key
        self.key_to_index = key_to_index
        self.counts = counts
        self.retained_words = _exact_sum(counts)
        self.raw_words = self.retained_words if raw_words is None else int(raw_words)
        self.n_sentences = int(n_sentences)
        self.min_count = int(min_count)
        self.effective_min_count = self.min_count if effective_min_count is None else int(effective_min_count)
        self.max_final_vocab = max_final_vocab
        if sorted_vocab is None:
            sorted_vocab = bool(np.all(counts[1:] <= counts[:-1]))
        self.sorted_vocab = bool(sorted_vocab)
        self.pruned_words = int(pruned_words)
        self.pruned_count = int(pruned_count)
        self.discarded_words = int(discarded_words)
        self.discarded_count = int(discarded_count)

    @classmethod
    def from_counts(cls, words, counts, *, total_words=None, n_sentences=0, pruned_words=0,
                    pruned_count=0, min_count=5, max_final_vocab=None, trim_rule=None,
                    sorted_vocab=True, ties="first", distinct=False):
        """Apply min_count / max_final_vocab / trim_rule to a scan result and order the words.

        ``words``/``counts`` are in first-occurrence order.  ``total_words`` (all tokens seen)
        defaults to ``sum(counts) + pruned_count``.  With ``sorted_vocab`` words are ordered by
        descending count; equal counts keep first-occurrence order (``ties="first"``, a stable
        sort, so re-sorting a sorted vocabulary changes nothing) or reverse it
        (``ties="gensim"``: gensim 4.4's ``sort_by_descending_frequency`` puts the word seen
        last first).  Without ``sorted_vocab`` the first-occurrence order is kept.
        ``distinct=True`` skips checking that the words are distinct, for callers whose
        words come from a counting table (duplicates among the kept words are still
        refused).
        """
        words = words if isinstance(words, list) else list(words)
        counts = np.asarray(counts)
        if counts.ndim != 1 or counts.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but counts has shape {counts.shape}")
        if counts.size and counts.dtype.kind not in "iu":
            raise ValueError(f"counts must be integers, got dtype {counts.dtype}")
        if counts.size and counts.dtype.kind == "u" and counts.max() > _INT64_MAX:
            raise ValueError("counts do not fit in int64")
        counts = counts.astype(np.int64)
        if counts.size and counts.min() < 0:
            raise ValueError(f"counts must be >= 0 (word {words[int(np.argmin(counts))]!r} has "
                             f"{counts.min()})")
        if not distinct and len(set(words)) != len(words):
            raise ValueError(f"duplicate words: {_first_duplicate(words)!r}")
        min_count = _check_nonneg_int("min_count", min_count)
        max_final_vocab = _check_nonneg_int("max_final_vocab", max_final_vocab, allow_none=True)
        pruned_words = _check_nonneg_int("pruned_words", pruned_words)
        pruned_count = _check_nonneg_int("pruned_count", pruned_count)
        n_sentences = _check_nonneg_int("n_sentences", n_sentences)
        if ties not in ("first", "gensim"):
            raise ValueError(f"ties must be 'first' or 'gensim', got {ties!r}")
        seen = _exact_sum(counts)
        if total_words is None:
            total_words = seen + pruned_count
        total_words = _check_nonneg_int("total_words", total_words)
        if total_words < seen:
            raise ValueError(f"total_words={total_words} is less than the sum of counts ({seen})")

        keep, effective_min_count = _keep_mask(words, counts, min_count, max_final_vocab, trim_rule)
        kept = np.flatnonzero(keep)
        if kept.size == 0:
            raise ValueError(f"vocabulary is empty: {total_words} words seen, none with count >= "
                             f"min_count={effective_min_count}"
                             + (" kept by trim_rule" if trim_rule is not None else ""))
        if sorted_vocab:
            if ties == "first":
                kept = kept[np.argsort(-counts[kept], kind="stable")]
            else:
                kept = kept[np.lexsort((-kept, -counts[kept]))]
        discarded_count = seen - _exact_sum(counts[kept])
        # object-array gather: about twice as fast as a list comprehension for large V
        if kept.size == len(words) and not sorted_vocab:
            kept_words = list(words)
        else:
            word_array = np.fromiter(words, dtype=object, count=len(words))
            kept_words = word_array[kept].tolist()
        return cls(kept_words, counts[kept], raw_words=total_words,
                   n_sentences=n_sentences, min_count=min_count,
                   effective_min_count=effective_min_count, max_final_vocab=max_final_vocab,
                   sorted_vocab=bool(sorted_vocab), pruned_words=pruned_words,
                   pruned_count=pruned_count, discarded_words=len(words) - kept.size,
                   discarded_count=discarded_count)

    @classmethod
    def from_corpus(cls, corpus, *, workers=1, max_vocab_size=None, **rules):
        """Scan `corpus` (``count_words``) and apply `rules` (the keyword arguments of
        :meth:`from_counts`: min_count, max_final_vocab, trim_rule, sorted_vocab, ties).
        ValueError naming the corpus when it holds no word, or none is kept."""
        corpus = corpus if isinstance(corpus, Corpus) else Corpus(corpus)
        counts = count_words(corpus, workers=workers, max_vocab_size=max_vocab_size)
        if counts.total_words == 0:
            raise ValueError(f"{corpus_name(corpus)}: the corpus is empty (no words)")
        try:
            return cls.from_counts(counts.words, counts.counts, total_words=counts.total_words,
                                   n_sentences=counts.n_sentences,
                                   pruned_words=counts.pruned_words,
                                   pruned_count=counts.pruned_count, distinct=True, **rules)
        except ValueError as exc:
            raise ValueError(f"{corpus_name(corpus)}: {exc}") from None

    def updated(self, words, counts, *, total_words, n_sentences=0, min_count=5,
                max_final_vocab=None, trim_rule=None):
        """This vocabulary grown by a new scan (``words``/``counts`` in first-occurrence
        order), as gensim 4's ``build_vocab(update=True)``: ``min_count``,
        ``max_final_vocab`` and ``trim_rule`` judge the new counts alone; the words
        they keep that are new are appended in scan order, and every known word's
        count grows by its new count (kept or not).  Ids of known words never
        change.  Returns ``(vocab, keep)``, ``keep`` the rules' verdict on each scanned
        word; the statistics add up both scans.
        """
        words = words if isinstance(words, list) else list(words)
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (len(words),):
            raise ValueError(f"{len(words)} words but counts has shape {counts.shape}")
        if counts.size and counts.min() < 0:
            raise ValueError("counts must be >= 0")
        min_count = _check_nonneg_int("min_count", min_count)
        max_final_vocab = _check_nonneg_int("max_final_vocab", max_final_vocab, allow_none=True)
        keep, effective_min_count = _keep_mask(words, counts, min_count, max_final_vocab, trim_rule)
        known = self.key_to_index
        index = np.fromiter((known.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        old = index >= 0
        new_counts = self.counts.copy()
        np.add.at(new_counts, index[old], counts[old])
        added = np.flatnonzero(keep & ~old)
        added_words = [words[i] for i in added.tolist()]
        all_counts = np.concatenate([new_counts, counts[added]])
        vocab = Vocab(self.index_to_key + added_words, all_counts,
                      raw_words=self.raw_words + int(total_words),
                      n_sentences=self.n_sentences + int(n_sentences), min_count=min_count,
                      effective_min_count=effective_min_count, max_final_vocab=max_final_vocab,
                      pruned_words=self.pruned_words, pruned_count=self.pruned_count,
                      discarded_words=self.discarded_words + int(np.count_nonzero(~keep & ~old)),
                      discarded_count=self.discarded_count + _exact_sum(counts[~keep & ~old]))
        return vocab, keep

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, word):
        return word in self.key_to_index

    def __repr__(self):
        return (f"<Vocab {len(self)} words, {self.retained_words} of {self.raw_words} tokens, "
                f"min_count={self.effective_min_count}>")

    # -- subsampling -------------------------------------------------------------------------

    def keep_thresholds(self, sample):
        """uint32 keep threshold per word for subsampling frequent words (word2vec.c formula).

        With ``T = sample * retained_words``, word w is kept with probability
        ``p = (sqrt(c/T) + 1) * T / c``; the threshold is ``min(ceil(p * 2**32) - 1, 2**32 - 1)``
        and a kernel keeps a token iff ``(uint32)(rng() >> 32) <= threshold[w]``.
        ``sample == 0`` keeps everything.  (Unlike gensim, ``sample >= 1`` has no special
        meaning: it is a fraction like any other.)
        """
        sample = float(sample)
        if not math.isfinite(sample) or sample < 0:
            raise ValueError(f"sample must be a finite number >= 0, got {sample}")
        if sample == 0:
            return np.full(len(self), _UINT32_MAX, dtype=np.uint32)
        return _thresholds(self.counts, sample * float(self.retained_words))

    def downsampling_estimate(self, sample):
        """(words downsampled, expected tokens kept per epoch) for ``sample``, as gensim logs."""
        keep = self.keep_thresholds(sample)
        p = (keep.astype(np.float64) + 1.0) / 2.0**32
        return int(np.count_nonzero(keep < _UINT32_MAX)), float(np.dot(p, self.counts))

    # -- word2vec.c vocabulary files ---------------------------------------------------------

    def save(self, path):
        """Write ``word count`` lines (word2vec.c ``-save-vocab`` format), atomically."""
        words = self.index_to_key
        if not all(isinstance(w, str) for w in words):
            self._raise_unsavable()
        try:
            text = "".join([f"{w} {c}\n" for w, c in zip(words, self.counts.tolist())])
            payload = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            payload = None
        # each line holds exactly one space and one newline unless a word has whitespace
        if (payload is None or any(payload.count(ch) for ch in b"\t\v\f\r")
                or payload.count(b" ") != len(words) or payload.count(b"\n") != len(words)
                or payload.startswith(b" ") or b"\n " in payload):
            self._raise_unsavable()
        with atomic_write(path) as f:
            f.write(payload)

    def _raise_unsavable(self):
        for word in self.index_to_key:
            if not isinstance(word, str):
                raise TypeError(f"cannot save non-str word {word!r}")
            if not word or any(ch in _WHITESPACE for ch in word):
                raise ValueError(f"cannot save word {word!r}: empty or contains whitespace")
            try:
                word.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError as e:  # a lone surrogate that no byte string decodes to
                raise ValueError(f"cannot save word {word!r}: {e.reason}") from None
        raise AssertionError("unreachable: no unsavable word found")

    @classmethod
    def load(cls, path, *, min_count=1, max_final_vocab=None, trim_rule=None, sorted_vocab=True,
             ties="first"):
        """Read a word2vec.c vocabulary file (``word count`` per line).

        The file order stands for first occurrence.  Lines may end in ``\\n``, ``\\r\\n`` or
        ``\\r``; fields are separated by any ASCII whitespace; blank lines are skipped.
        Statistics the file does not hold (raw_words, n_sentences, pruning) are taken as
        the sum of counts and 0.
        """
        path = os.fspath(path)
        with open(path, "rb") as f:
            data = f.read()
        parsed = _parse_vocab_fast(data)
        words, counts = parsed if parsed is not None else _parse_vocab_checked(data, path)
        if not words:
            raise ValueError(f"{path}: no words in vocabulary file")
        return cls.from_counts(words, counts, min_count=min_count,
                               max_final_vocab=max_final_vocab, trim_rule=trim_rule,
                               sorted_vocab=sorted_vocab, ties=ties)


def _keep_mask(words, counts, min_count, max_final_vocab, trim_rule):
    """(bool mask of the words to keep, effective min_count), gensim 4.4's rules."""
    effective_min_count = min_count
    if max_final_vocab is not None and max_final_vocab < len(words):
        # count of the word ranked max_final_vocab (0-based) in descending order
        kth = len(words) - 1 - max_final_vocab
        effective_min_count = max(min_count, int(np.partition(counts, kth)[kth]) + 1)
    keep = counts >= effective_min_count
    if trim_rule is not None:
        for i, (word, count) in enumerate(zip(words, counts.tolist())):
            rule = trim_rule(word, count, effective_min_count)
            if rule == RULE_KEEP:
                keep[i] = True
            elif rule == RULE_DISCARD:
                keep[i] = False
    return keep, effective_min_count


def _parse_vocab_fast(data):
    """(words, int64 counts) of a well-formed vocabulary file with vectorised checks, or None
    if anything looks wrong (then the line-by-line parser finds and reports it)."""
    fields = data.split()
    if len(fields) % 2:
        return None
    # every non-blank line must hold exactly two fields: count field starts per line
    b = np.frombuffer(data, dtype=np.uint8)
    is_newline = (b == 10) | (b == 13)
    is_text = ~(is_newline | (b == 32) | (b == 9) | (b == 11) | (b == 12))
    starts = np.flatnonzero(is_text & ~np.concatenate(([False], is_text[:-1])))
    per_line = np.bincount(np.cumsum(is_newline)[starts])
    if np.any((per_line != 0) & (per_line != 2)):
        return None
    counts_b = fields[1::2]
    if counts_b and not b"".join(counts_b).isdigit():
        return None
    try:
        counts = np.array(list(map(int, counts_b)), dtype=np.int64)
    except OverflowError:
        return None
    # decoding the words joined by "\n" equals decoding each one: "\n" is ASCII, and no
    # invalid byte sequence spans it
    words = b"\n".join(fields[0::2]).decode("utf-8", "surrogateescape").split("\n") if fields else []
    if len(set(words)) != len(words):
        return None
    return words, counts


def _parse_vocab_checked(data, path):
    """Line-by-line parse of a vocabulary file, raising ValueError at the first bad line."""
    words, counts, line_of = [], [], {}
    for lineno, line in enumerate(data.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            what = "missing count" if len(fields) == 1 else f"{len(fields)} fields"
            raise ValueError(f"{path}:{lineno}: expected 'word count', got {what}: {line[:80]!r}")
        word_b, count_b = fields
        if not _COUNT_RE.match(count_b):
            kind = "negative count" if count_b.startswith(b"-") else "count is not a non-negative integer"
            raise ValueError(f"{path}:{lineno}: {kind}: {count_b[:40]!r}")
        count = int(count_b)
        if count > _INT64_MAX:
            raise ValueError(f"{path}:{lineno}: count too large: {count}")
        word = word_b.decode("utf-8", "surrogateescape")
        if word in line_of:
            raise ValueError(f"{path}:{lineno}: duplicate word {word!r} (first on line "
                             f"{line_of[word]})")
        line_of[word] = lineno
        words.append(word)
        counts.append(count)
    return words, np.array(counts, dtype=np.int64)


def _thresholds(counts, T):
    c = counts.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (np.sqrt(c / T) + 1) * T / c
        t = np.ceil(p * 2.0**32) - 1
    # count 0 (only with min_count=0) gives inf/nan: such a word is never seen, keep it
    t[~(t < _UINT32_MAX)] = _UINT32_MAX
    return t.astype(np.uint32)


def _exact_sum(counts):
    """Sum of non-negative int64 counts, without silent wrap-around."""
    if counts.size == 0:
        return 0
    if int(counts.max()) <= _INT64_MAX // counts.size:
        return int(counts.sum())
    return sum(counts.tolist())


def _first_duplicate(words):
    seen = set()
    for w in words:
        if w in seen:
            return w
        seen.add(w)
    return None


