"""Word vectors: lookups, similarity queries, evaluation, word2vec C formats, native save.

Names and semantics follow gensim 4.4's ``KeyedVectors`` so user code carries over; the
differences are listed in the class docstring.

Norms cache
-----------
Queries need per-row L2 norms. They are computed lazily (``fill_norms()``) and cached in
``kv.norms``. Assigning ``kv.vectors = ...`` drops the cache automatically, but code that
writes INTO ``kv.vectors`` in place (the trainer does, every batch) must afterwards call
``kv.fill_norms(force=True)`` or set ``kv.norms = None``; otherwise queries use stale norms.

File formats
------------
* word2vec C format, text or binary (``save_word2vec_format`` / ``load_word2vec_format``):
  header ``"<count> <dim>\\n"``, then per word either ``word v1 ... vd\\n`` (text) or
  ``word<space><d little-endian float32>`` optionally followed by ``\\n`` (binary; we write
  the ``\\n`` like word2vec.c, gensim 4.4 does not; both are read). Reading validates
  everything and raises ``ValueError`` naming the file instead of crashing or allocating
  beyond what the file size allows. gzip/bz2/xz input is recognised by its magic bytes.
* native (``save`` / ``load``): a directory holding ``keyedvectors.json`` (format version,
  vector_size, keys), ``vectors.npy`` (memory-mappable) and ``counts.npy`` / ``vecattr-<name>.npy``
  for per-key attributes. No pickle anywhere (``allow_pickle=False``). Keys that are not
  valid UTF-8 (decoded with ``surrogateescape``) survive through JSON escapes.

Every save is atomic (``w2v._io``): an interrupted save leaves the previous file intact
(except ``save_word2vec_format(append=True)``, which appends in place). Names ending in
``.gz``/``.bz2`` are written compressed.
"""
import bz2
import collections
import contextlib
import gzip
import io
import json
import logging
import lzma
import os
import re
import warnings
import zlib
from numbers import Integral

import numpy as np

from w2v._io import atomic_directory, atomic_write

logger = logging.getLogger(__name__)

__all__ = ["KeyedVectors", "CorrelationResult", "load_word2vec_format"]

_KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)

NATIVE_FORMAT = "w2v.KeyedVectors"
NATIVE_VERSION = 1
_META_FILE = "keyedvectors.json"
_VECTORS_FILE = "vectors.npy"
_COUNTS_FILE = "counts.npy"

_MAX_HEADER_BYTES = 4096
_MAX_WORD_BYTES = 1 << 20          # far above any real token; bounds the search for a word's end
_MAX_TEXT_LINE = 1 << 24           # bounds memory per text line (d up to ~8M values)
_MAX_DIM = (1 << 31) - 1
_READ_CHUNK = 1 << 22
_MAX_READ_PIECE = 1 << 26          # never ask a reader for more at once (BufferedReader preallocates)
_ASCII_WS = " \t\n\r\x0b\x0c"


class CorrelationResult(collections.namedtuple("CorrelationResult", "statistic pvalue")):
    """(statistic, pvalue) returned by ``evaluate_word_pairs`` when scipy is not installed
    (pvalue is then None). Indexable like the scipy result objects it stands in for."""
    __slots__ = ()

    @property
    def correlation(self):
        return self.statistic


def _missing(key):
    return KeyError(f"Key '{key}' not present in vocabulary")


def _ensure_list(value):
    """A single key or vector becomes a one-element list, a 2-D array a list of rows."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def _top_desc(x, topn):
    """Indices of the `topn` largest values of `x`, largest first.
    Same numpy calls (and so the same tie order) as gensim's ``matutils.argsort(reverse=True)``."""
    x = -np.asarray(x)
    if topn >= x.size:
        return np.argsort(x)[:topn]
    part = np.argpartition(x, topn)[:topn]
    return part.take(np.argsort(x.take(part)))


_DNRM2 = []


def _dnrm2(vec64):
    # gensim normalises with BLAS dnrm2 (through scipy); use the same routine when it is
    # there so that query vectors are bit-identical, numpy otherwise (differs in the last ulp).
    if not _DNRM2:
        try:
            from scipy.linalg.blas import dnrm2
        except ImportError:
            dnrm2 = None
        _DNRM2.append(dnrm2)
    if _DNRM2[0] is not None:
        return _DNRM2[0](vec64)
    return float(np.sqrt(np.dot(vec64, vec64)))


def _unitvec(vec):
    """Unit-length copy in float64 (zero vector returned unchanged), as gensim's unitvec."""
    vec64 = np.asarray(vec, dtype=np.float64)
    if vec64.size == 0:
        return vec64
    n = _dnrm2(vec64)
    if n > 0.0:
        return vec64 * (1.0 / n)
    return vec64


def _check_key(key):
    if isinstance(key, bool) or not isinstance(key, _KEY_TYPES):
        raise TypeError(f"keys must be str or int, not {type(key).__name__}: {key!r}")
    return int(key) if isinstance(key, np.integer) else key


class KeyedVectors:
    """A set of keys (words), each with a dense vector, plus optional per-key attributes
    (``'count'`` is the word frequency, an int64 array).

    Differences from gensim 4.4 (deliberate):
      * missing keys always raise ``KeyError("Key 'x' not present in vocabulary")``,
        including in ``n_similarity`` (gensim silently drops them there);
      * ``most_similar_cosmul`` honours ``restrict_vocab`` (gensim ignores it);
      * ``evaluate_word_analogies(similarity_function='most_similar_cosmul')`` uses 3CosMul
        (gensim 4.4 ignores the argument and always uses 3CosAdd);
      * ``save``/``load`` use the pickle-free directory format described in the module doc;
      * ``similarity`` returns a Python float.
    """

    def __init__(self, vector_size, count=0, dtype=np.float32):
        self.vector_size = int(vector_size)
        self.index_to_key = [None] * count      # preallocated slots filled by add_vector
        self.next_index = 0
        self.key_to_index = {}
        self.expandos = {}                      # attr name -> array with one value per key
        self.norms = None
        self.vectors = np.zeros((count, self.vector_size), dtype=dtype)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(cls, index_to_key, vectors, counts=None):
        """Wrap existing arrays: `vectors` (n x d, float; not copied when it is already a
        floating-point array) with keys `index_to_key` (n unique str/int) and optional
        `counts` (n integers, stored as the ``'count'`` attribute)."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D (keys x dims), got shape {vectors.shape}")
        if not np.issubdtype(vectors.dtype, np.floating):
            vectors = vectors.astype(np.float32)
        keys = [_check_key(k) for k in index_to_key]
        if len(keys) != vectors.shape[0]:
            raise ValueError(f"{len(keys)} keys but {vectors.shape[0]} vectors")
        key_to_index = {}
        for i, k in enumerate(keys):
            if key_to_index.setdefault(k, i) != i:
                raise ValueError(f"duplicate key {k!r} at positions {key_to_index[k]} and {i}")
        kv = cls(vectors.shape[1], 0, dtype=vectors.dtype)
        kv.index_to_key = keys
        kv.key_to_index = key_to_index
        kv.next_index = len(keys)
        kv.vectors = vectors
        if counts is not None:
            counts = np.array(counts, dtype=np.int64)
            if counts.shape != (len(keys),):
                raise ValueError(f"counts must have shape ({len(keys)},), got {counts.shape}")
            kv.expandos["count"] = counts
        return kv

    @property
    def vectors(self):
        """The n x d matrix. Assigning a new array drops the cached norms; after writing
        into it in place call ``fill_norms(force=True)`` (or set ``norms = None``)."""
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        self._vectors = value
        self.norms = None

    def __str__(self):
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __repr__ = __str__

    def __len__(self):
        return len(self.index_to_key)

    # ------------------------------------------------------------------ per-key attributes
    def allocate_vecattrs(self, attrs=None, types=None):
        """Make attribute arrays as long as ``index_to_key`` (new entries zero)."""
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[a].dtype for a in attrs]
        n = len(self.index_to_key)
        for attr, t in zip(attrs, types):
            t = np.int64 if t is int else np.float64 if t is float else object if t is str else t
            old = self.expandos.get(attr)
            if old is None:
                self.expandos[attr] = np.zeros(n, dtype=t)
                continue
            if not np.can_cast(np.dtype(t), old.dtype, casting="same_kind"):
                raise TypeError(f"attribute {attr!r} holds {old.dtype}, cannot store {np.dtype(t)}")
            if len(old) != n:
                new = np.zeros(n, dtype=old.dtype)
                m = min(n, len(old))
                new[:m] = old[:m]
                self.expandos[attr] = new

    def set_vecattr(self, key, attr, val):
        """Set attribute `attr` (e.g. ``'count'``) of `key` to `val`."""
        t = np.asarray(val).dtype if isinstance(val, np.generic) else type(val)
        self.allocate_vecattrs([attr], [t])
        self.expandos[attr][self.get_index(key)] = val

    def get_vecattr(self, key, attr):
        """Attribute `attr` of `key` (``KeyError`` if `key` or `attr` is unknown)."""
        index = self.get_index(key)
        if attr not in self.expandos:
            raise KeyError(f"no attribute {attr!r} (known: {sorted(self.expandos)})")
        return self.expandos[attr][index]

    # ------------------------------------------------------------------ lookups
    def get_index(self, key, default=None):
        """Row of `key`; an int that is not a key is taken as a row number when in range.
        Missing: `default` if given, else ``KeyError``."""
        val = self.key_to_index.get(key, -1)
        if val >= 0:
            return val
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise _missing(key)

    def has_index_for(self, key):
        return self.get_index(key, -1) >= 0

    def __contains__(self, key):
        return self.has_index_for(key)

    def get_vector(self, key, norm=False):
        """Read-only view of the vector of `key` (unit length if `norm`)."""
        index = self.get_index(key)
        if norm:
            self.fill_norms()
            result = self.vectors[index] / self.norms[index]
        else:
            result = self.vectors[index]
        result.setflags(write=False)    # writing through it would silently stale the norms
        return result

    word_vec = get_vector

    def __getitem__(self, key_or_keys):
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        indices = [self.get_index(k) for k in key_or_keys]
        return self.vectors[np.asarray(indices, dtype=np.intp)]

    def fill_norms(self, force=False):
        """Compute (or with `force`, recompute) the cached per-row L2 norms ``self.norms``."""
        if self.norms is None or force:
            self.norms = np.linalg.norm(self.vectors, axis=1)

    def get_normed_vectors(self):
        self.fill_norms()
        return self.vectors / self.norms[:, np.newaxis]

    def unit_normalize_all(self):
        """Scale all vectors to unit length, in place (training cannot sensibly continue)."""
        self.fill_norms()
        self.vectors /= self.norms[:, np.newaxis]
        self.norms = np.ones(len(self.vectors), dtype=self.vectors.dtype)

    # ------------------------------------------------------------------ adding keys
    def add_vector(self, key, vector):
        """Add one key; fills a preallocated slot when there is one. Returns its index."""
        key = _check_key(key)
        if key in self.key_to_index:
            raise ValueError(f"key {key!r} is already present")
        i = self.next_index
        if i < len(self.index_to_key) and self.index_to_key[i] is None:
            self.index_to_key[i] = key
            self.key_to_index[key] = i
            self.vectors[i] = vector
            self.norms = None
            self.next_index += 1
            return i
        self.add_vectors([key], np.asarray(vector).reshape(1, -1))
        self.next_index = len(self.index_to_key)
        return len(self.index_to_key) - 1

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Append keys with their vectors (rows of `weights`); keys already present keep
        their vector unless `replace`. `extras`: {attr: array per key}."""
        if isinstance(keys, _KEY_TYPES):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        keys = [_check_key(k) for k in keys]
        weights = np.asarray(weights, dtype=self.vectors.dtype)
        if weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"weights must have shape ({len(keys)}, {self.vector_size}), got {weights.shape}")
        extras = {a: np.asarray(v) for a, v in (extras or {}).items()}
        new_pos, old_pos, seen = [], [], set()
        for pos, key in enumerate(keys):
            if key in self.key_to_index:
                old_pos.append(pos)
            elif key not in seen:
                seen.add(key)
                new_pos.append(pos)
        n0 = len(self.index_to_key)
        for pos in new_pos:
            self.key_to_index[keys[pos]] = len(self.index_to_key)
            self.index_to_key.append(keys[pos])
        self.vectors = np.concatenate([self.vectors[:n0], weights[new_pos]])
        self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])
        self.allocate_vecattrs()
        for attr, v in extras.items():
            self.expandos[attr][n0:] = v[new_pos]
        if replace and old_pos:
            rows = [self.key_to_index[keys[p]] for p in old_pos]
            self.vectors[rows] = weights[old_pos]
            for attr, v in extras.items():
                self.expandos[attr][rows] = v[old_pos]
            self.norms = None

    def __setitem__(self, keys, weights):
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def sort_by_descending_frequency(self):
        """Reorder keys by descending ``'count'`` (stable: ties keep their order)."""
        if not len(self):
            return
        order = np.argsort(-np.asarray(self.expandos["count"], dtype=np.int64), kind="stable")
        self.index_to_key = [self.index_to_key[i] for i in order]
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(self.vectors):
            self.vectors = self.vectors[order]

    # ------------------------------------------------------------------ similarity queries
    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """Weighted mean of the vectors of `keys` (keys or raw vectors) divided by the sum of
        |weights|; unit vectors are averaged if `pre_normalize`, the result normalised if
        `post_normalize`."""
        if len(keys) == 0:
            raise ValueError("cannot compute mean with no input")
        if weights is None:
            weights = np.ones(len(keys), dtype=self.vectors.dtype)
        elif isinstance(weights, list):
            weights = np.array(weights, dtype=self.vectors.dtype)
        if len(keys) != weights.shape[0]:
            raise ValueError("keys and weights array must have same number of elements")
        mean = np.zeros(self.vector_size, self.vectors.dtype)
        total = 0
        # accumulation order and dtypes as gensim, so query vectors are bit-identical
        for key, w in zip(keys, weights):
            if isinstance(key, np.ndarray):
                mean += w * key
                total += abs(w)
            elif self.has_index_for(key):
                mean += w * self.get_vector(key, norm=pre_normalize)
                total += abs(w)
            elif not ignore_missing:
                raise _missing(key)
        if total > 0:
            mean = mean / total
        if post_normalize:
            mean = _unitvec(mean).astype(self.vectors.dtype)
        return mean

    def _query_keys(self, positive, negative):
        """Split positive/negative items (key, vector, or (item, weight)) into items + weights."""
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        items = []
        weights = np.concatenate((np.ones(len(positive)), -np.ones(len(negative))))
        for i, item in enumerate(positive + negative):
            if isinstance(item, _EXTENDED_KEY_TYPES):
                items.append(item)
            else:
                items.append(item[0])
                weights[i] = item[1]
        return items, weights

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None):
        """Top-`topn` keys by cosine similarity to the normalised weighted mean of the unit
        vectors of `positive` (weight +1) and `negative` (weight -1) keys or vectors; the
        query keys themselves are not returned. ``[(key, similarity), ...]``, or with
        ``topn=None`` the array of similarities to every key in range.
        `restrict_vocab`: only the first that many keys are candidates."""
        if isinstance(topn, Integral) and topn < 1:
            return []
        items, weights = self._query_keys(positive, negative)
        self.fill_norms()
        clip_end = clip_end or len(self.vectors)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        mean = self.get_mean_vector(items, weights, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        exclude = [self.get_index(k) for k in items
                   if isinstance(k, _KEY_TYPES) and self.has_index_for(k)]
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(mean, topn)
        dists = np.dot(self.vectors[clip_start:clip_end], mean) / self.norms[clip_start:clip_end]
        if not topn:
            return dists
        return self._ranked(dists, topn, exclude, clip_start)

    def _ranked(self, dists, topn, exclude, offset=0):
        best = _top_desc(dists, topn + len(exclude))
        exclude = set(exclude)
        result = [(self.index_to_key[i + offset], float(dists[i]))
                  for i in best.tolist() if i + offset not in exclude]
        return result[:topn]

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """3CosMul (Levy & Goldberg 2014, eq. 4, cosines shifted to [0, 1]):
        prod_p (1+cos(x,p))/2 / (prod_n (1+cos(x,n))/2 + 1e-6). Keys are unit-normalised,
        raw vectors used as given (as gensim)."""
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        if not positive:
            raise ValueError("cannot compute similarity with no input")
        self.fill_norms()
        exclude = [self.get_index(w) for w in positive + negative
                   if not isinstance(w, np.ndarray) and w in self.key_to_index]
        terms = [w if isinstance(w, np.ndarray) else self.get_vector(w, norm=True)
                 for w in positive + negative]
        end = restrict_vocab or len(self.vectors)
        # one matrix product for all query terms
        cos = np.dot(self.vectors[:end], np.stack(terms).T) / self.norms[:end, np.newaxis]
        shifted = (1 + cos) / 2
        dists = np.prod(shifted[:, :len(positive)], axis=1) / (
            np.prod(shifted[:, len(positive):], axis=1) + 0.000001)
        if not topn:
            return dists
        return self._ranked(dists, topn, exclude)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity between one vector and each row of `vectors_all`."""
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        return np.dot(vectors_all, vector_1) / (norm * all_norms)

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances (1 - similarity) from a key or vector to `other_words`
        (all keys when empty)."""
        if isinstance(word_or_vector, _KEY_TYPES):
            vec = self.get_vector(word_or_vector)
        else:
            vec = word_or_vector
        if not other_words:
            others = self.vectors
        else:
            others = self.vectors[[self.get_index(w) for w in other_words]]
        return 1 - self.cosine_similarities(vec, others)

    def similarity(self, w1, w2):
        """Cosine similarity of two keys."""
        u1 = _unitvec(self[w1]).astype(self.vectors.dtype)
        u2 = _unitvec(self[w2]).astype(self.vectors.dtype)
        return float(np.dot(u1, u2))

    def distance(self, w1, w2):
        return 1 - self.similarity(w1, w2)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity of the means of two key lists (raw vectors averaged)."""
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        m1 = self.get_mean_vector(ws1, pre_normalize=False, ignore_missing=False)
        m2 = self.get_mean_vector(ws2, pre_normalize=False, ignore_missing=False)
        return float(np.dot(_unitvec(m1).astype(m1.dtype), _unitvec(m2).astype(m2.dtype)))

    def rank_by_centrality(self, words, use_norm=True):
        """``[(similarity to the normalised centroid, word), ...]``, most central first.
        Unknown words are ignored with a warning."""
        self.fill_norms()
        used = [w for w in words if w in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           set(words) - set(used))
        if not used:
            raise ValueError("cannot select a word from an empty list")
        vecs = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(self.vectors.dtype)
        mean = self.get_mean_vector(vecs, post_normalize=True)
        return sorted(zip(np.dot(vecs, mean).tolist(), used), reverse=True)

    def doesnt_match(self, words):
        """The word furthest from the centroid of `words`."""
        return self.rank_by_centrality(words)[-1][1]

    def closer_than(self, key1, key2):
        """Keys closer to `key1` than `key2` is."""
        d = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(d < d[i2]).tolist() if i != i1]

    def rank(self, key1, key2):
        """1 + the number of keys closer to `key1` than `key2`."""
        return len(self.closer_than(key1, key2)) + 1

    def most_similar_to_given(self, key1, keys_list):
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    # ------------------------------------------------------------------ evaluation
    def _ok_vocab(self, restrict_vocab, case_insensitive):
        """{(upper-cased) key: index} over the first `restrict_vocab` keys; among case
        variants the first (most frequent) one wins."""
        ok = {}
        for i, k in enumerate(self.index_to_key[:restrict_vocab]):
            ok.setdefault(k.upper() if case_insensitive and isinstance(k, str) else k, i)
        return ok

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar"):
        """Accuracy on an analogy file (``: section`` lines, then ``a b c d`` lines: a is
        to b as c is to d), as word2vec's compute-accuracy and gensim 4.4:

        the answer is the best candidate among the first `restrict_vocab` keys by 3CosAdd
        (cosine to normalised unit(b) + unit(c) - unit(a)), a, b and c excluded; questions
        with a word outside those keys are skipped, or counted wrong with `dummy4unknown`;
        with `case_insensitive` words and keys are upper-cased (the first of several case
        variants of a key wins). Lines that do not hold 4 words are skipped.

        Batched: the cosines between every distinct question word and every candidate
        come from one matrix product per block of candidates, and each question's scores
        are assembled from three rows of it (seconds for the 19,544 questions of
        questions-words.txt). Results equal gensim's question by question: a question
        whose decision is within the float32 rounding bound is re-solved with gensim's
        exact sequence of operations.

        `similarity_function='most_similar_cosmul'` ranks by 3CosMul instead (gensim 4.4
        accepts the argument but always uses 3CosAdd).

        Returns ``(accuracy, sections)``; sections are dicts ``{'section', 'correct',
        'incorrect'}`` (lists of 4-tuples), the last one ``'Total accuracy'``.
        """
        if similarity_function not in ("most_similar", "most_similar_cosmul"):
            raise ValueError(f"similarity_function must be 'most_similar' or 'most_similar_cosmul', "
                             f"not {similarity_function!r}")
        ok_vocab = self._ok_vocab(restrict_vocab, case_insensitive)
        logger.info("Evaluating word analogies for top %s words in the model on %s", restrict_vocab, analogies)
        sections, questions = [], []    # questions: (section number, (a, b, c, d), oov)
        n_quads = oov = 0
        with _open_input(analogies) as (fin, _size):
            for line_no, raw in enumerate(fin):
                line = raw.decode("utf8")
                if line.startswith(": "):
                    sections.append(line.lstrip(": ").strip())
                    continue
                if not sections:
                    raise ValueError(f"Missing section header before line #{line_no} in {analogies}")
                words = line.split()
                if len(words) != 4:
                    logger.info("Skipping invalid line #%i in %s", line_no, analogies)
                    continue
                if case_insensitive:
                    words = [w.upper() for w in words]
                n_quads += 1
                is_oov = any(w not in ok_vocab for w in words)
                oov += is_oov
                if is_oov and not dummy4unknown:
                    continue
                questions.append((len(sections) - 1, tuple(words), is_oov))

        solve = [q for q in questions if not q[2]]
        if solve:
            idx = np.array([[ok_vocab[w] for w in q[1][:3]] for q in solve], dtype=np.intp)
            end = min(restrict_vocab, len(self)) if restrict_vocab else len(self)
            names = [k.upper() if case_insensitive and isinstance(k, str) else k
                     for k in self.index_to_key[:end]]
            correct = self._solve_analogies(idx, [q[1] for q in solve], names, ok_vocab,
                                            restrict_vocab, similarity_function == "most_similar_cosmul")
        results = iter(correct.tolist() if solve else [])
        out = [{"section": name, "correct": [], "incorrect": []} for name in sections]
        for sec, quad, is_oov in questions:
            ok = False if is_oov else next(results)
            out[sec]["correct" if ok else "incorrect"].append(quad)
        for s in out:
            _log_section(s)
        total = {
            "section": "Total accuracy",
            "correct": [q for s in out for q in s["correct"]],
            "incorrect": [q for s in out for q in s["incorrect"]],
        }
        if n_quads:
            logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / n_quads)
        score = _log_section(total)
        out.append(total)
        return score, out

    def _solve_analogies(self, idx, quads, names, ok_vocab, restrict_vocab, cosmul):
        """Boolean per question: is gensim's prediction the expected word?
        `idx`: (n, 3) rows of a, b, c.

        An analogy file uses few distinct words (905 in questions-words.txt for 19,544
        questions), so instead of one product per question, cos(x, w) is computed once for
        every distinct question word w and candidate x (one matrix product per block of
        candidates), and a question's 3CosAdd score is assembled from three of those rows:
        x.(b + c - a) / (|x| |b + c - a|) over unit a, b, c. This is the same number as
        gensim's up to float32 rounding; a question whose decision is within the rounding
        bound is re-solved with gensim's exact operations."""
        self.fill_norms()
        vectors, norms = self.vectors, self.norms
        end = min(restrict_vocab, len(vectors)) if restrict_vocab else len(vectors)
        k = min(9, end)             # 3 excluded + 5 looked at + 1 to measure the decision gap
        words, inv = np.unique(idx, return_inverse=True)
        inv = inv.reshape(idx.shape)
        tol = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            unit = vectors[words] / norms[words, np.newaxis]        # float32, as gensim
            scale = None
            if not cosmul:
                y = ((unit[inv[:, 1]] + unit[inv[:, 2]]) - unit[inv[:, 0]]).astype(np.float64)
                inv_len = 1.0 / np.sqrt(np.einsum("ij,ij->i", y, y))
                scale = inv_len.astype(vectors.dtype)
                # gensim's float32 score is within (d+3)u of x.y/(|x||y|) (dot product bound
                # d*u*|x||y|, plus rounding the unit query vector and the division); ours
                # within ((3d+12)/|y| + 2)u (three dot products, the float32 sum b + c - a,
                # two more additions). Twice the sum of both bounds, to be safe.
                u = np.finfo(vectors.dtype).eps / 2
                dim = vectors.shape[1]
                tol = (2.0 * u * ((dim + 5) + (3 * dim + 12) * inv_len)).tolist()
        top, vals = _analogy_candidates(unit, inv, scale, vectors[:end], norms[:end], k, cosmul)
        result = np.zeros(len(idx), dtype=bool)
        for q, (a, b, c) in enumerate(idx.tolist()):
            quad = quads[q]
            verdict = _decide(top[q], vals[q], {a, b, c}, quad[:3], quad[3], names, ok_vocab,
                              None if cosmul else tol[q], end)
            if verdict is None:
                verdict = self._solve_analogy_exactly(a, b, c, quad, names, ok_vocab, restrict_vocab)
            result[q] = verdict
        return result

    def _solve_analogy_exactly(self, a, b, c, quad, names, ok_vocab, restrict_vocab):
        """One question through gensim's most_similar(positive=[b, c], negative=[a], topn=5),
        with its exact sequence of float operations (rows a, b, c given as indices)."""
        vectors, norms = self.vectors, self.norms
        mean = np.zeros(self.vector_size, vectors.dtype)
        total = 0
        for row, w in ((b, 1.0), (c, 1.0), (a, -1.0)):
            w = np.float64(w)
            mean += w * (vectors[row] / norms[row])
            total += abs(w)
        mean = _unitvec(mean / total).astype(vectors.dtype)
        end = restrict_vocab or len(vectors)
        dists = np.dot(vectors[:end], mean) / norms[:end]
        excluded = {a, b, c}
        shortlist = [i for i in _top_desc(dists, 8).tolist() if i not in excluded][:5]
        predicted = None
        for i in shortlist:
            predicted = names[i]
            if predicted in ok_vocab and predicted not in quad[:3]:
                break
        return predicted == quad[3]

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlation of model cosine similarities with human judgements in `pairs`
        (``word1<delimiter>word2<delimiter>score`` lines, ``#`` comments), as gensim 4.4.

        Returns ``(pearson, spearman, oov_ratio)``: pearson and spearman are scipy's result
        objects when scipy is importable, else ``CorrelationResult(statistic, pvalue=None)``
        (Spearman with average ranks for ties); `oov_ratio` is the PERCENTAGE of pairs with
        a word outside the first `restrict_vocab` keys (skipped, or scored 0.0 with
        `dummy4unknown`, when the ratio is taken over the scored pairs only, as gensim)."""
        ok_vocab = self._ok_vocab(restrict_vocab, case_insensitive)
        gold, model, oov = [], [], 0
        with _open_input(pairs) as (raw, _size), io.TextIOWrapper(raw, encoding=encoding) as fin:
            for line_no, line in enumerate(fin):
                if not line or line.startswith("#"):
                    continue
                try:
                    parts = line.split(delimiter)
                    if case_insensitive:
                        parts = [p.upper() for p in parts]
                    a, b, sim = parts
                    sim = float(sim)
                except (ValueError, TypeError):
                    logger.info("Skipping invalid line #%d in %s", line_no, pairs)
                    continue
                if a not in ok_vocab or b not in ok_vocab:
                    oov += 1
                    if dummy4unknown:
                        gold.append(sim)
                        model.append(0.0)
                    continue
                gold.append(sim)
                model.append(self._pair_similarity(ok_vocab[a], ok_vocab[b]))
        if not gold:
            raise ValueError(f"No valid similarity judgements found in {pairs}: either invalid format "
                             f"or all are out-of-vocabulary in {self}")
        pearson, spearman = _correlations(gold, model)
        if dummy4unknown:
            oov_ratio = float(oov) / len(gold) * 100
        else:
            oov_ratio = float(oov) / (len(gold) + oov) * 100
        logger.info("Pearson correlation coefficient against %s: %.4f", pairs, pearson[0])
        logger.info("Spearman rank-order correlation coefficient against %s: %.4f", pairs, spearman[0])
        logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
        return pearson, spearman, oov_ratio

    def _pair_similarity(self, i, j):
        dtype = self.vectors.dtype
        return np.dot(_unitvec(self.vectors[i]).astype(dtype), _unitvec(self.vectors[j]).astype(dtype))

    # ------------------------------------------------------------------ word2vec C format
    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None, write_header=True,
                             prefix="", append=False, sort_attr="count"):
        """Write vectors in word2vec C format (atomically, unless `append`).

        Text values are printed with 9 significant digits (17 for float64), enough to read
        float32 back bit-exactly; binary is little-endian float32 with a ``\\n`` after each
        vector. Keys are ordered by descending `sort_attr` when that attribute exists (as
        gensim), else in index order. Keys are written UTF-8 with ``surrogateescape``, so
        keys read from invalid UTF-8 get their original bytes back. `fvocab` gets
        ``word count`` lines (word2vec's -save-vocab format). Keys that are empty or contain
        ASCII whitespace cannot be written (ValueError): the file would not read back.
        """
        n, dim = len(self.index_to_key), self.vector_size
        if self.vectors.shape != (n, dim):
            raise ValueError(f"vectors have shape {self.vectors.shape}, expected ({n}, {dim})")
        if total_vec is None:
            total_vec = n
        if sort_attr in self.expandos:
            order = np.argsort(-self.expandos[sort_attr], kind="stable")
        else:
            if fvocab is not None:
                raise ValueError(f"Cannot store vocabulary with '{sort_attr}' because that attribute does not exist")
            order = np.arange(n)
        words = [f"{prefix}{k}" for k in self.index_to_key]
        _check_writable_words(words, fname)
        open_out = _open_append if append else _open_output
        if fvocab is not None:
            counts = self.expandos[sort_attr]
            with open_out(fvocab) as fout:
                for lo in range(0, n, 65536):
                    part = order[lo:lo + 65536].tolist()
                    fout.write("".join(f"{words[i]} {counts[i]}\n" for i in part)
                               .encode("utf8", "surrogateescape"))
        text_fmt = " ".join(["%.17g" if self.vectors.dtype == np.float64 else "%.9g"] * dim)
        with open_out(fname) as fout:
            if write_header:
                fout.write(f"{total_vec} {dim}\n".encode("ascii"))
            rows = max(1, (1 << 20) // max(1, 4 * dim))
            for lo in range(0, n, rows):
                part = order[lo:lo + rows]
                block = self.vectors[part]
                if binary:
                    raw = np.ascontiguousarray(block, dtype="<f4").tobytes()
                    step = 4 * dim
                    fout.write(b"".join(
                        words[i].encode("utf8", "surrogateescape") + b" " + raw[r * step:(r + 1) * step] + b"\n"
                        for r, i in enumerate(part.tolist())))
                else:
                    fout.write("".join(
                        f"{words[i]} {text_fmt % tuple(vals)}\n"
                        for i, vals in zip(part.tolist(), block.tolist())).encode("utf8", "surrogateescape"))

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                             limit=None, datatype=np.float32, no_header=False):
        """Read a word2vec C format file (text or binary; plain, gzip, bz2 or xz).

        `limit`: read at most that many vectors. `unicode_errors`: how words that are not
        valid `encoding` are decoded (``'strict'`` raises ``UnicodeDecodeError``, a
        ValueError naming the file; ``'surrogateescape'`` keeps the bytes losslessly).
        `no_header`: text file without the count/dimension line (e.g. GloVe).
        Duplicate words: the first vector is kept, later ones are dropped with one warning
        (as gensim, which logs one warning per duplicate). NaN/inf values load with a
        RuntimeWarning. Any malformed, truncated or inconsistent file raises ``ValueError``
        naming the file; nothing is allocated beyond what the file's size can hold.
        Counts come from `fvocab` when given, else are made up as count - index (as gensim).
        """
        fname = os.fspath(fname)
        if no_header and binary:
            raise NotImplementedError("no_header only available for text-format files")
        counts = _read_vocab_counts(fvocab, encoding, unicode_errors) if fvocab is not None else None
        with _open_input(fname) as (fin, size), _corrupt_stream_is_value_error(fname, size):
            if no_header:
                n_records, dim, left = None, None, size
            else:
                n_records, dim, header_len = _read_header(fin, fname)
                left = None if size is None else size - header_len
            if limit and n_records is not None:
                n_records = min(n_records, limit)
            reader = _read_binary_records if binary else _read_text_records
            words, vectors = reader(fin, fname, n_records, dim, left, encoding, unicode_errors,
                                    limit or None, np.dtype(datatype))
        dim = vectors.shape[1]
        keep, key_to_index, dups = [], {}, []
        for i, w in enumerate(words):
            if w in key_to_index:
                dups.append(w)
            else:
                key_to_index[w] = len(keep)
                keep.append(i)
        if dups:
            warnings.warn(f"{fname}: {len(dups)} duplicate word(s), kept the first vector of each "
                          f"(e.g. {dups[:5]!r})", UserWarning, stacklevel=2)
            vectors = vectors[keep]
            words = [words[i] for i in keep]
        with np.errstate(over="ignore", invalid="ignore"):
            vectors = vectors.astype(datatype, copy=False)
        bad = ~np.isfinite(vectors).all(axis=1)
        if bad.any():
            warnings.warn(f"{fname}: {int(bad.sum())} vector(s) contain NaN or infinite values "
                          f"(first: {words[int(np.argmax(bad))]!r})", RuntimeWarning, stacklevel=2)
        kv = cls(dim, 0, dtype=vectors.dtype)
        kv.index_to_key = words
        kv.key_to_index = key_to_index
        kv.next_index = len(words)
        kv.vectors = vectors
        total = len(words) + len(dups) if n_records is None else n_records
        if counts is None:
            kv.expandos["count"] = total - np.arange(len(words), dtype=np.int64)
        else:
            missing = [w for w in words if w not in counts]
            if missing:
                warnings.warn(f"vocabulary file {fvocab} is incomplete: {len(missing)} word(s) missing, "
                              f"their count is 0 (e.g. {missing[:5]!r})", UserWarning, stacklevel=2)
            kv.expandos["count"] = np.array([counts.get(w, 0) for w in words], dtype=np.int64)
        return kv

    # ------------------------------------------------------------------ native format
    def save(self, fname):
        """Save to directory `fname` (replaced atomically if it exists): keyedvectors.json,
        vectors.npy and one .npy per numeric per-key attribute. No pickle."""
        with atomic_directory(fname) as tmp:
            self._save_files(tmp)

    def _save_files(self, directory):
        """Write the native files into an existing directory (no atomicity: callers wrap this
        in ``atomic_directory``; Word2Vec.save stores its KeyedVectors this way)."""
        keys = [_check_key(k) for k in self.index_to_key]
        n = len(keys)
        if self.vectors.shape != (n, self.vector_size):
            raise ValueError(f"vectors have shape {self.vectors.shape}, expected ({n}, {self.vector_size})")
        attrs = {}
        for attr, values in self.expandos.items():
            if not re.fullmatch(r"[A-Za-z0-9_]+", attr):
                raise ValueError(f"attribute name {attr!r} cannot be saved (letters, digits, _ only)")
            values = np.asarray(values)
            if values.dtype == object or values.dtype.kind not in "biuf":
                raise ValueError(f"attribute {attr!r} of dtype {values.dtype} cannot be saved without pickle")
            if values.shape != (n,):
                raise ValueError(f"attribute {attr!r} has shape {values.shape}, expected ({n},)")
            fn = _COUNTS_FILE if attr == "count" else f"vecattr-{attr}.npy"
            np.save(os.path.join(directory, fn), values, allow_pickle=False)
            attrs[attr] = fn
        np.save(os.path.join(directory, _VECTORS_FILE), np.ascontiguousarray(self.vectors), allow_pickle=False)
        meta = {
            "format": NATIVE_FORMAT,
            "format_version": NATIVE_VERSION,
            "vector_size": self.vector_size,
            "count": n,
            "vectors": _VECTORS_FILE,
            "vecattrs": attrs,
            "keys": keys,
        }
        # ensure_ascii: keys decoded with surrogateescape become \udcXX escapes (lossless)
        with open(os.path.join(directory, _META_FILE), "w", encoding="ascii") as f:
            json.dump(meta, f, ensure_ascii=True)

    @classmethod
    def load(cls, fname, mmap=None):
        """Load a directory written by ``save``. ``mmap='r'`` memory-maps the vectors
        read-only (``'r+'``, ``'c'`` as for ``np.load``)."""
        directory = os.fspath(fname)
        if mmap not in (None, "r", "r+", "c"):
            raise ValueError(f"mmap must be None, 'r', 'r+' or 'c', not {mmap!r}")
        meta_path = os.path.join(directory, _META_FILE)
        if not os.path.isdir(directory):
            raise ValueError(f"{directory} is not a w2v KeyedVectors directory (gensim pickle files "
                             f"are not read; convert them with save_word2vec_format)")
        try:
            with open(meta_path, encoding="ascii") as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            raise ValueError(f"{meta_path}: cannot read KeyedVectors metadata: {e}") from e
        return cls._from_native(directory, meta, mmap)

    @classmethod
    def _from_native(cls, directory, meta, mmap):
        def bad(msg):
            return ValueError(f"{os.path.join(directory, _META_FILE)}: {msg}")

        if not isinstance(meta, dict) or meta.get("format") != NATIVE_FORMAT:
            raise bad("not a w2v KeyedVectors file")
        version = meta.get("format_version")
        if not isinstance(version, int) or not 1 <= version <= NATIVE_VERSION:
            raise bad(f"format_version {version!r} is not supported (this w2v reads 1..{NATIVE_VERSION})")
        keys, dim, attrs = meta.get("keys"), meta.get("vector_size"), meta.get("vecattrs", {})
        if not isinstance(keys, list) or not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
            raise bad("'keys' must be a list of strings or integers")
        if not isinstance(dim, int) or dim < 0:
            raise bad(f"bad vector_size {dim!r}")
        if not isinstance(attrs, dict):
            raise bad("'vecattrs' must be an object")
        key_to_index = {k: i for i, k in enumerate(keys)}
        if len(key_to_index) != len(keys):
            raise bad("duplicate keys")

        def load_npy(name, mode):
            if not isinstance(name, str) or os.path.basename(name) != name or not name.endswith(".npy"):
                raise bad(f"bad file name {name!r}")
            path = os.path.join(directory, name)
            try:
                return np.load(path, mmap_mode=mode, allow_pickle=False)
            except (OSError, ValueError) as e:
                raise ValueError(f"{path}: {e}") from e

        vectors = load_npy(meta.get("vectors", _VECTORS_FILE), mmap)
        if vectors.ndim != 2 or vectors.shape != (len(keys), dim) or vectors.dtype.kind != "f":
            raise bad(f"vectors.npy holds {vectors.dtype} {vectors.shape}, expected float ({len(keys)}, {dim})")
        kv = cls(dim, 0, dtype=vectors.dtype)
        kv.index_to_key = keys
        kv.key_to_index = key_to_index
        kv.next_index = len(keys)
        kv.vectors = vectors
        for attr, name in attrs.items():
            values = load_npy(name, None)
            if values.shape != (len(keys),) or values.dtype.kind not in "biuf":
                raise bad(f"attribute {attr!r}: {values.dtype} {values.shape}, expected ({len(keys)},)")
            kv.expandos[attr] = values
        return kv


def load_word2vec_format(*args, **kwargs):
    """Alias for ``KeyedVectors.load_word2vec_format``."""
    return KeyedVectors.load_word2vec_format(*args, **kwargs)


# ---------------------------------------------------------------------- evaluation helpers
def _log_section(section):
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


def _analogy_candidates(unit, inv, scale, cand, cand_norms, k, cosmul):
    """For each question (row of `inv`: positions of a, b, c in `unit`), the k best
    candidate rows of `cand` and their scores, best first (lists of lists).
    3CosAdd: (cos(x,b) + cos(x,c) - cos(x,a)) * scale; 3CosMul:
    ((1+cos(x,b))/2 * (1+cos(x,c))/2) / ((1+cos(x,a))/2 + 1e-6). NaN scores rank last."""
    n_q, n_cand, n_words = len(inv), len(cand), len(unit)
    best_idx = np.full((n_q, k), -1, dtype=np.intp)
    best_val = np.full((n_q, k), -np.inf, dtype=cand.dtype)
    # bounded working set: ~32 MB of cosines per candidate block, ~16 MB of scores per batch
    block = max(256, min(n_cand, (1 << 23) // max(n_words, 1)))
    batch = max(1, (1 << 22) // block)
    for c0 in range(0, n_cand, block):
        c1 = min(n_cand, c0 + block)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cos = np.dot(unit, cand[c0:c1].T)
            cos /= cand_norms[c0:c1]
            if cosmul:
                cos += 1
                cos /= 2
        kk = min(k, c1 - c0)
        for q0 in range(0, n_q, batch):
            q = slice(q0, q0 + batch)
            a, b, c = inv[q, 0], inv[q, 1], inv[q, 2]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                if cosmul:
                    scores = cos[b] * cos[c]
                    scores /= cos[a] + 0.000001
                else:
                    scores = cos[b]
                    scores += cos[c]
                    scores -= cos[a]
                    scores *= scale[q, np.newaxis]
            if not np.isfinite(scores).all():
                scores[np.isnan(scores)] = -np.inf
            cols, vals = _top_k_per_row(scores, kk)
            merged_idx = np.concatenate([best_idx[q], cols + c0], axis=1)
            merged_val = np.concatenate([best_val[q], vals], axis=1)
            pick = np.argpartition(merged_val, merged_val.shape[1] - k, axis=1)[:, merged_val.shape[1] - k:]
            best_idx[q] = np.take_along_axis(merged_idx, pick, axis=1)
            best_val[q] = np.take_along_axis(merged_val, pick, axis=1)
    order = np.argsort(-best_val, axis=1, kind="stable")
    return (np.take_along_axis(best_idx, order, axis=1).tolist(),
            np.take_along_axis(best_val, order, axis=1).tolist())


def _top_k_per_row(scores, k, block=64):
    """Column indices and values of the k largest entries of each row (any order).

    Selection over whole rows costs as much as the matrix product, so columns are dealt
    into groups (group g = columns g, g + G, g + 2G, ...: the group maxima are then an
    elementwise maximum of contiguous slices, which vectorises): the k largest entries lie
    in the k groups with the largest maxima (plus the ragged tail), and only those few
    hundred columns are partitioned."""
    b, n = scores.shape
    n_groups = n // block
    if n_groups <= 4 * k:
        if k < n:
            cols = np.argpartition(scores, n - k, axis=1)[:, n - k:]
        else:
            cols = np.broadcast_to(np.arange(n), (b, n))
        return cols, np.take_along_axis(scores, cols, axis=1)
    body = scores[:, :n_groups * block].reshape(b, block, n_groups)
    group_max = body[:, 0].copy()
    for i in range(1, block):
        np.maximum(group_max, body[:, i], out=group_max)
    best = np.argpartition(group_max, n_groups - k, axis=1)[:, n_groups - k:]
    cols = (best[:, :, np.newaxis] + n_groups * np.arange(block)).reshape(b, k * block)
    if n_groups * block < n:
        tail = np.broadcast_to(np.arange(n_groups * block, n), (b, n - n_groups * block))
        cols = np.concatenate([cols, tail], axis=1)
    vals = np.take_along_axis(scores, cols, axis=1)
    pick = np.argpartition(vals, vals.shape[1] - k, axis=1)[:, vals.shape[1] - k:]
    return np.take_along_axis(cols, pick, axis=1), np.take_along_axis(vals, pick, axis=1)


def _decide(top, vals, excluded, ignore, expected, names, ok_vocab, tol, end):
    """gensim's verdict for one analogy from its candidates `top` (best first, scores
    `vals`): skip the a/b/c rows, look at the next 5 at most, predict the first whose name
    is not a question word (else the last one looked at). With a `tol`, None when the
    batched scores cannot decide it safely: the winner is within `tol` of the next score
    (or not finite), or no candidate qualified (case variants of question words only)."""
    looked, predicted = 0, None
    for j, i in enumerate(top):
        if i in excluded:
            continue
        looked += 1
        predicted = names[i]
        if predicted in ok_vocab and predicted not in ignore:
            if tol is not None:
                nxt = vals[j + 1] if j + 1 < len(vals) else (-np.inf if len(vals) == end else None)
                # written so that a NaN tolerance or score also means "not safe"
                if nxt is None or not np.isfinite(vals[j]) or not vals[j] - nxt > tol:
                    return None
            return predicted == expected
        if looked == 5:
            break
    return None if tol is not None else predicted == expected


def _average_ranks(x):
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    sx = x[order]
    starts = np.flatnonzero(np.r_[True, sx[1:] != sx[:-1]])
    ends = np.r_[starts[1:], len(x)]
    ranks = np.empty(len(x))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def _pearson(x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xm, ym = x - x.mean(), y - y.mean()
    denom = np.sqrt(np.dot(xm, xm) * np.dot(ym, ym))
    if not denom > 0:
        return float("nan")
    return float(np.clip(np.dot(xm, ym) / denom, -1.0, 1.0))


def _correlations(gold, model):
    """(pearson, spearman) with scipy when importable (p-values included), numpy otherwise."""
    try:
        from scipy import stats
    except ImportError:
        stats = None
    if stats is not None:
        return stats.pearsonr(gold, model), stats.spearmanr(gold, model)
    return (CorrelationResult(_pearson(gold, model), None),
            CorrelationResult(_pearson(_average_ranks(gold), _average_ranks(model)), None))


# ---------------------------------------------------------------------- word2vec format I/O
def _check_writable_words(words, fname):
    joined = "\x00".join(words)
    if any(c in joined for c in _ASCII_WS) or not all(words):
        for w in words:
            if not w or any(c in w for c in _ASCII_WS):
                raise ValueError(f"{fname}: key {w!r} is empty or contains whitespace; "
                                 f"it cannot be stored in word2vec format")


@contextlib.contextmanager
def _open_output(fname):
    """Atomic binary output; .gz / .bz2 names are compressed."""
    fname = os.fspath(fname)
    with atomic_write(fname, "wb") as raw:
        if fname.endswith(".gz"):
            with gzip.GzipFile(filename=os.path.basename(fname)[:-3], mode="wb", fileobj=raw, mtime=0) as f:
                yield f
        elif fname.endswith(".bz2"):
            with bz2.BZ2File(raw, "wb") as f:
                yield f
        else:
            yield raw


@contextlib.contextmanager
def _open_append(fname):
    with open(fname, "ab") as f:
        yield f


@contextlib.contextmanager
def _open_input(fname):
    """Yield (binary stream, size in bytes or None when compressed). gzip, bz2 and xz are
    recognised by magic bytes (a word2vec file starts with ASCII, so never looks like them)."""
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(open(fname, "rb"))
        magic = raw.read(10)
        raw.seek(0)
        if magic[:3] == b"\x1f\x8b\x08":
            yield stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb")), None
        elif magic[:3] == b"BZh" and magic[3:4].isdigit() and magic[4:10] == b"1AY&SY":
            yield stack.enter_context(bz2.BZ2File(raw, "rb")), None
        elif magic[:6] == b"\xfd7zXZ\x00":
            yield stack.enter_context(lzma.LZMAFile(raw, "rb")), None
        else:
            yield raw, os.fstat(raw.fileno()).st_size


@contextlib.contextmanager
def _corrupt_stream_is_value_error(fname, size):
    """Decompressors report damaged input as OSError/EOFError/zlib.error/LZMAError; for the
    caller that is a malformed file like any other: ValueError naming it."""
    try:
        yield
    except ValueError:
        raise
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as e:
        if size is not None:        # plain file: a real I/O error, not a format problem
            raise
        raise ValueError(f"{fname}: corrupt compressed data ({type(e).__name__}: {e})") from e


def _read_header(fin, fname):
    line = fin.readline(_MAX_HEADER_BYTES)
    if len(line) >= _MAX_HEADER_BYTES and not line.endswith(b"\n"):
        raise ValueError(f"{fname}: no word2vec header (first line longer than {_MAX_HEADER_BYTES} bytes)")
    parts = line.split()
    if len(parts) != 2 or not all(re.fullmatch(rb"[0-9]{1,18}", p) for p in parts):
        raise ValueError(f"{fname}: bad word2vec header {line[:80]!r}: expected '<count> <dimension>' "
                         f"(pass no_header=True for a text file without one)")
    n, dim = int(parts[0]), int(parts[1])
    if not 1 <= dim <= _MAX_DIM:
        raise ValueError(f"{fname}: bad word2vec header {line[:80]!r}: dimension must be in 1..{_MAX_DIM}")
    return n, dim, len(line)


def _decode_word(raw, fname, number, encoding, errors):
    try:
        word = raw.decode(encoding, errors)
    except UnicodeDecodeError as e:
        # keep gensim's exception type (a ValueError) but say where and what to do
        raise UnicodeDecodeError(e.encoding, e.object, e.start, e.end,
                                 f"{e.reason}, in word #{number} of {fname} (pass unicode_errors="
                                 f"'surrogateescape', 'replace' or 'ignore' to load it)") from None
    if not word:
        raise ValueError(f"{fname}: word #{number} is empty")
    return word


class _Rows:
    """Growable (n, dim) array. With a known upper bound it allocates once; otherwise it
    doubles, so memory stays proportional to the records actually read."""

    def __init__(self, dim, dtype, exact=None, hint=None):
        self.dim, self.dtype, self.n = dim, dtype, 0
        self.limit = exact if exact is not None else hint
        self.arr = np.empty((exact if exact is not None else 0, dim), dtype=dtype)

    def reserve(self, extra):
        need = self.n + extra
        if need > len(self.arr):
            cap = max(need, 2 * len(self.arr), 1)
            if self.limit is not None:
                cap = min(cap, max(self.limit, need))
            new = np.empty((cap, self.dim), dtype=self.dtype)
            new[:self.n] = self.arr[:self.n]
            self.arr = new
        return self.arr

    def result(self):
        return self.arr if self.n == len(self.arr) else self.arr[:self.n].copy()


def _truncated(fname, got, n_records):
    return _TruncatedFile(f"{fname}: unexpected end of file after {got} of {n_records} vectors "
                          f"(truncated file, or the header count is wrong)")


class _TruncatedFile(ValueError, EOFError):
    """Truncated word2vec file: a ValueError, and an EOFError as gensim raises."""


def _read_more(fin, buf, pos, want):
    """Drop consumed bytes and append at least `want` more (less only at end of file).
    Reads in bounded pieces: a reader asked for n bytes may allocate n up front."""
    parts, got = [buf[pos:]], 0
    while got < want:
        piece = fin.read(min(max(want - got, _READ_CHUNK), _MAX_READ_PIECE))
        if not piece:
            return b"".join(parts), True
        parts.append(piece)
        got += len(piece)
    return b"".join(parts), False


def _read_binary_records(fin, fname, n_records, dim, left, encoding, errors, limit, datatype):
    rec = 4 * dim
    if left is not None and n_records * (rec + 2) > left:
        # each record is at least a 1-byte word, a space and the vector
        raise _TruncatedFile(f"{fname}: header announces {n_records} vectors of dimension {dim} "
                             f"(at least {n_records * (rec + 2)} bytes) but only {left} bytes follow it")
    rows = _Rows(dim, "<f4", exact=n_records if left is not None else None, hint=n_records)
    words = []
    buf, pos, eof = b"", 0, False
    while len(words) < n_records:
        space = buf.find(b" ", pos, pos + _MAX_WORD_BYTES)
        if space < 0:
            if len(buf) - pos >= _MAX_WORD_BYTES:
                raise ValueError(f"{fname}: word #{len(words)} is longer than {_MAX_WORD_BYTES} bytes "
                                 f"(not a binary word2vec file?)")
            if eof:
                raise _truncated(fname, len(words), n_records)
            buf, eof = _read_more(fin, buf, pos, _READ_CHUNK)
            pos = 0
            continue
        end = space + 1 + rec
        if end > len(buf):
            if eof:
                raise _truncated(fname, len(words), n_records)
            buf, eof = _read_more(fin, buf, pos, end - len(buf))
            pos = 0
            continue
        # the optional newline of the previous record (word2vec.c writes one) starts this word
        words.append(_decode_word(buf[pos:space].lstrip(b"\r\n"), fname, len(words), encoding, errors))
        arr = rows.reserve(1)
        arr[rows.n] = np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1)
        rows.n += 1
        pos = end
    return words, rows.result()


def _read_text_records(fin, fname, n_records, dim, left, encoding, errors, limit, datatype):
    header = n_records is not None
    if header and left is not None and n_records * (2 * dim + 1) > left + 1:
        # each line is at least a 1-byte word and dim single-digit values, space-separated
        raise _TruncatedFile(f"{fname}: header announces {n_records} vectors of dimension {dim} "
                             f"but only {left} bytes follow it")
    if not header:
        n_records = limit if limit else None
    # allocate all rows up front only when the file size vouched for the header's count
    exact = n_records if header and left is not None else None
    store = np.float64 if datatype.itemsize > 4 else np.float32
    words, flat, rows = [], [], None
    line_no = 1 if header else 0
    while n_records is None or len(words) < n_records:
        max_line = _MAX_TEXT_LINE if dim is None else min(_MAX_TEXT_LINE, _MAX_WORD_BYTES + 64 * (dim + 1))
        line = fin.readline(max_line)
        line_no += 1
        if not line:
            if header:
                raise _truncated(fname, len(words), n_records)
            break
        if len(line) >= max_line and not line.endswith(b"\n"):
            raise ValueError(f"{fname}: line {line_no} is longer than {max_line} bytes")
        tokens = line.split()
        if not tokens:
            continue
        if dim is None:
            dim = len(tokens) - 1
            if dim < 1:
                raise ValueError(f"{fname}: line {line_no} has no vector values")
        if len(tokens) != dim + 1:
            raise ValueError(f"{fname}: line {line_no} has {len(tokens) - 1} values after the word, "
                             f"expected {dim}")
        try:
            values = list(map(float, tokens[1:]))
        except ValueError:
            for t in tokens[1:]:
                try:
                    float(t)
                except ValueError:
                    raise ValueError(f"{fname}: line {line_no}: malformed number {t[:40]!r}") from None
            raise
        words.append(_decode_word(tokens[0], fname, len(words), encoding, errors))
        flat.extend(values)
        if len(flat) >= 1 << 16:
            rows = _flush_text(rows, flat, dim, exact, n_records, store)
    if dim is None:
        raise ValueError(f"{fname}: no vectors in file")
    rows = _flush_text(rows, flat, dim, exact, n_records, store)
    return words, rows.result()


def _flush_text(rows, flat, dim, exact, hint, store):
    if rows is None:
        rows = _Rows(dim, store, exact=exact, hint=hint)
    if flat:
        with np.errstate(over="ignore", invalid="ignore"):
            block = np.array(flat, dtype=store).reshape(-1, dim)
        arr = rows.reserve(len(block))
        arr[rows.n:rows.n + len(block)] = block
        rows.n += len(block)
        flat.clear()
    return rows


def _read_vocab_counts(fvocab, encoding, errors):
    counts = {}
    with _open_input(fvocab) as (fin, _size):
        for line_no, line in enumerate(fin, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not re.fullmatch(rb"[0-9]{1,19}", parts[1]):
                raise ValueError(f"{fvocab}: line {line_no}: expected '<word> <count>', got {line[:80]!r}")
            word = _decode_word(parts[0], fvocab, line_no - 1, encoding, errors)
            counts.setdefault(word, int(parts[1]))
    return counts
