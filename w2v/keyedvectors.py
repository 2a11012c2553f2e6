"""Word vectors: lookups, similarity queries, native save/load.

Names and semantics follow gensim 4.4's ``KeyedVectors`` so user code carries over; the
differences are listed in the class docstring.

Norms cache
-----------
Queries need per-row L2 norms. They are computed lazily (``fill_norms()``) and cached in
``kv.norms``. Assigning ``kv.vectors = ...`` drops the cache automatically, but code that
writes INTO ``kv.vectors`` in place (the trainer does, every batch) must afterwards call
``kv.fill_norms(force=True)`` or set ``kv.norms = None``; otherwise queries use stale norms.

Native format
-------------
``save`` / ``load``: a directory holding ``keyedvectors.json`` (format version,
vector_size, keys), ``vectors.npy`` (memory-mappable) and ``counts.npy`` / ``vecattr-<name>.npy``
for per-key attributes, replaced atomically (``w2v._io``). No pickle anywhere
(``allow_pickle=False``). Keys that are not valid UTF-8 (decoded with ``surrogateescape``)
survive through JSON escapes.

Elsewhere
---------
The word2vec C formats (``save_word2vec_format`` / ``load_word2vec_format``) live in
:mod:`w2v.formats`, the evaluation (``evaluate_word_analogies`` / ``evaluate_word_pairs``)
in :mod:`w2v.evaluation`; the methods here call them.
"""
import json
import logging
import os
import re
from numbers import Integral

import numpy as np

from w2v import evaluation, formats, gensim_compat
from w2v._io import atomic_directory, read_directory
from w2v._vecmath import top_desc, unitvec
from w2v.evaluation import CorrelationResult  # noqa: F401  (re-exported: gensim's place for it)

logger = logging.getLogger(__name__)

__all__ = ["KeyedVectors", "CorrelationResult", "load_word2vec_format"]

_KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)

NATIVE_FORMAT = "w2v.KeyedVectors"
NATIVE_VERSION = 1
_META_FILE = "keyedvectors.json"
_VECTORS_FILE = "vectors.npy"
_COUNTS_FILE = "counts.npy"
# Per-key attributes not saved: the Huffman paths of hierarchical softmax ('code',
# 'point': one small array per word, gensim's layout), which Word2Vec stores as its tree.
_DERIVED_ATTRS = ("code", "point")


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


def _check_key(key):
    if isinstance(key, bool) or not isinstance(key, _KEY_TYPES):
        raise TypeError(f"keys must be str or int, not {type(key).__name__}: {key!r}")
    return int(key) if isinstance(key, np.integer) else key


def _row_norms(vectors, rows=1 << 14):
    """``np.linalg.norm(vectors, axis=1)``, same values, a block of rows at a time: the
    whole-matrix call squares every element into a temporary as large as the matrix
    (92 MB for 231k x 100 float32, the peak of a training run)."""
    out = np.empty(len(vectors), dtype=np.linalg.norm(vectors[:0], axis=1).dtype)
    for start in range(0, len(vectors), rows):
        out[start:start + rows] = np.linalg.norm(vectors[start:start + rows], axis=1)
    return out


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
        keys = list(index_to_key)
        if not all(type(k) is str for k in keys):     # words: nothing to convert
            keys = [_check_key(k) for k in keys]
        if len(keys) != vectors.shape[0]:
            raise ValueError(f"{len(keys)} keys but {vectors.shape[0]} vectors")
        key_to_index = dict(zip(keys, range(len(keys))))
        if len(key_to_index) != len(keys):
            first = {}
            for i, k in enumerate(keys):
                if first.setdefault(k, i) != i:
                    raise ValueError(f"duplicate key {k!r} at positions {first[k]} and {i}")
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
        try:
            values = self.expandos[attr]    # may be made on first use (Huffman paths)
        except KeyError:
            raise KeyError(f"no attribute {attr!r} (known: {sorted(self.expandos)})") from None
        return values[index]

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
            self.norms = _row_norms(self.vectors)

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
            mean = unitvec(mean).astype(self.vectors.dtype)
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
        best = top_desc(dists, topn + len(exclude))
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
        u1 = unitvec(self[w1]).astype(self.vectors.dtype)
        u2 = unitvec(self[w2]).astype(self.vectors.dtype)
        return float(np.dot(u1, u2))

    def distance(self, w1, w2):
        return 1 - self.similarity(w1, w2)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity of the means of two key lists (raw vectors averaged)."""
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        m1 = self.get_mean_vector(ws1, pre_normalize=False, ignore_missing=False)
        m2 = self.get_mean_vector(ws2, pre_normalize=False, ignore_missing=False)
        return float(np.dot(unitvec(m1).astype(m1.dtype), unitvec(m2).astype(m2.dtype)))

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

    def relative_cosine_similarity(self, wa, wb, topn=10):
        """Relative cosine similarity of `wb` to `wa` (Leeuwenberg et al. 2016): their
        similarity divided by the sum of the similarities of `wa`'s `topn` nearest keys."""
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any similar words.")
        return float(self.similarity(wa, wb)) / sum(sim for _, sim in sims)

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A new KeyedVectors holding the vectors of those `keys` present here, once each,
        in their first order.  As gensim, the 'count' attribute is made up in descending
        order (len - index) unless `copy_vecattrs` copies this object's attributes.
        `allow_inference` only matters to subclasses that infer vectors (fastText): here an
        int key that is a row number counts as present when it is True."""
        chosen, seen = [], set()
        for key in keys:
            if key not in seen:
                seen.add(key)
                if key in (self if allow_inference else self.key_to_index):
                    chosen.append(key)
        rows = np.array([self.get_index(k) for k in chosen], dtype=np.intp)
        n = len(chosen)
        kv = type(self).from_arrays(chosen, self.vectors[rows].copy(),
                                    counts=np.arange(n, 0, -1, dtype=np.int64))
        if copy_vecattrs:
            for attr, values in self.expandos.items():
                kv.expandos[attr] = np.asarray(values)[rows].copy()
        return kv

    # ------------------------------------------------------------------ gensim objects
    def to_gensim(self):
        """This object as a ``gensim.models.KeyedVectors`` (vectors and attributes copied);
        needs gensim installed."""
        return gensim_compat.to_gensim(self)

    @classmethod
    def from_gensim(cls, gensim_kv):
        """A KeyedVectors from a ``gensim.models.KeyedVectors`` (vectors and attributes copied)."""
        return gensim_compat.from_gensim(gensim_kv, cls)

    # ------------------------------------------------------------------ evaluation (w2v.evaluation)
    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar"):
        """Accuracy on an analogy file (``: section`` lines, then ``a b c d`` lines), as
        word2vec's compute-accuracy and gensim 4.4; returns ``(accuracy, sections)``.
        See :func:`w2v.evaluation.evaluate_word_analogies`."""
        return evaluation.evaluate_word_analogies(
            self, analogies, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
            dummy4unknown=dummy4unknown, similarity_function=similarity_function)

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlation of cosine similarities with human judgements, as gensim 4.4; returns
        ``(pearson, spearman, oov_ratio)``. See :func:`w2v.evaluation.evaluate_word_pairs`."""
        return evaluation.evaluate_word_pairs(
            self, pairs, delimiter=delimiter, encoding=encoding, restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)

    # ------------------------------------------------------------------ word2vec C format (w2v.formats)
    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None, write_header=True,
                             prefix="", append=False, sort_attr="count"):
        """Write vectors in word2vec C format, text or binary (atomically, unless `append`;
        compressed when `fname` ends in .gz/.bz2/.xz). See :func:`w2v.formats.save_word2vec_format`."""
        formats.save_word2vec_format(self, fname, fvocab=fvocab, binary=binary, total_vec=total_vec,
                                     write_header=write_header, prefix=prefix, append=append,
                                     sort_attr=sort_attr)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                             limit=None, datatype=np.float32, no_header=False):
        """Read a word2vec C format file (text or binary; plain, gzip, bz2 or xz).
        See :func:`w2v.formats.load_word2vec_format`."""
        return formats.load_word2vec_format(fname, fvocab=fvocab, binary=binary, encoding=encoding,
                                            unicode_errors=unicode_errors, limit=limit,
                                            datatype=datatype, no_header=no_header, kv_class=cls)


    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8",
                                  unicode_errors="strict"):
        """Copy in the vectors of a word2vec C format file for the keys it shares with this
        set (none is added), and set their ``vectors_lockf`` factor to `lockf` (0, the
        default, freezes them in later training; 1 lets them train), as gensim 4.
        Unlike gensim, a ``vectors_lockf`` of one shared value is first spread to one per
        key (gensim needs the caller to do so).  Returns how many keys were merged."""
        other = formats.load_word2vec_format(fname, binary=binary, encoding=encoding,
                                             unicode_errors=unicode_errors)
        return self.intersect_vectors(other, lockf=lockf, source=fname)

    def intersect_vectors(self, other, lockf=0.0, source=None):
        """:meth:`intersect_word2vec_format` from KeyedVectors already in memory (any
        format :func:`w2v.formats.load_vectors` reads; a w2v extension)."""
        source = "another set of vectors" if source is None else f"file {source}"
        if other.vector_size != self.vector_size:
            raise ValueError(f"incompatible vector size {other.vector_size} in {source} "
                             f"(these vectors have {self.vector_size})")
        pairs = [(i, self.key_to_index[k]) for i, k in enumerate(other.index_to_key)
                 if k in self.key_to_index]
        current = getattr(self, "vectors_lockf", None)
        current = np.ones(1, np.float32) if current is None else np.asarray(current, np.float32).reshape(-1)
        factors = np.full(len(self), current[0], np.float32) if current.size == 1 else current.copy()
        if pairs:
            src, dst = map(np.array, zip(*pairs))
            self.vectors[dst] = other.vectors[src]
            factors[dst] = lockf
            self.norms = None
        self.vectors_lockf = factors
        logger.info("merged %d vectors into a %s matrix from %s", len(pairs), self.vectors.shape, source)
        return len(pairs)

    # ------------------------------------------------------------------ native format
    def save(self, fname, separately=None, sep_limit=None, ignore=frozenset(), pickle_protocol=None):
        """Save to directory `fname` (replaced atomically if it exists): keyedvectors.json,
        vectors.npy and one .npy per numeric per-key attribute. No pickle.  gensim's
        ``separately``, ``sep_limit``, ``ignore`` and ``pickle_protocol`` are accepted and
        ignored (every array is its own .npy file)."""
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
            if attr in _DERIVED_ATTRS and np.asarray(values).dtype == object:
                continue
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
        vectors = self.vectors       # rows of a padded buffer are written in C order as they are
        if vectors.flags.f_contiguous and not vectors.flags.c_contiguous:
            vectors = np.ascontiguousarray(vectors)
        np.save(os.path.join(directory, _VECTORS_FILE), vectors, allow_pickle=False)
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
        read-only (``'r+'``, ``'c'`` as for ``np.load``).  Every file comes from the
        same save, even while another process saves to ``fname`` (``w2v._io.read_directory``).
        A gensim-saved ``.kv`` file (or ``.model``: its vectors) is read too, without
        running any code from it (:mod:`w2v.gensim_compat`)."""
        directory = os.fspath(fname)
        if mmap not in (None, "r", "r+", "c"):
            raise ValueError(f"mmap must be None, 'r', 'r+' or 'c', not {mmap!r}")
        if os.path.isfile(directory) and gensim_compat.is_pickle(directory):
            return gensim_compat.load_keyedvectors(directory, mmap=mmap, kv_class=cls)
        if not os.path.isdir(directory):
            raise ValueError(f"{directory} is neither a w2v KeyedVectors directory nor a "
                             f"gensim-saved file")
        return read_directory(directory, lambda saved: cls._read_saved(saved, mmap))

    @classmethod
    def _read_saved(cls, saved, mmap):
        """Load from an open :class:`w2v._io.SavedDirectory` (Word2Vec.load shares it)."""
        meta_path = saved.join(_META_FILE)
        try:
            with saved.open(_META_FILE, "r", encoding="ascii") as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            raise ValueError(f"{meta_path}: cannot read KeyedVectors metadata: {e}") from e
        return cls._from_native(saved, meta, mmap)

    @classmethod
    def _from_native(cls, saved, meta, mmap):
        def bad(msg):
            return ValueError(f"{saved.join(_META_FILE)}: {msg}")

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
            try:
                return saved.load_npy(name, mode)
            except (OSError, ValueError) as e:
                raise ValueError(f"{saved.join(name)}: {e}") from e

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
