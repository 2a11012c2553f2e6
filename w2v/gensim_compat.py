"""Reading gensim's saved models safely, and handing vectors to and from gensim.

gensim saves a ``Word2Vec`` or ``KeyedVectors`` as a pickle (``.model``, ``.kv``), with its
large arrays beside it as ``<file>.<attribute>.npy`` (``<file>.wv.vectors.npy``,
``<file>.syn1neg.npy``, ...; ``sep_limit`` decides which).  Unpickling runs whatever code
the file names, so a downloaded model could run a command.  This module reads those files
with :class:`RestrictedUnpickler`, which builds only what a gensim model holds:

* numpy arrays, dtypes and scalars (numpy's own reconstruction functions);
* plain containers (``collections.defaultdict``, ``collections.OrderedDict``) and ``int``,
  the default factory of gensim's ``raw_vocab``;
* every ``gensim.*`` class (and numpy's random-state classes, which gensim models carry) as
  an inert :class:`Stub` that only records the state the file gives it.

Anything else (``os.system``, ``subprocess``, ``builtins.eval``, ...) is refused before it
is looked up, so nothing named in the file ever runs.  w2v objects are then rebuilt from the
recorded state.  Layouts read: gensim 4 (``index_to_key``, ``expandos``), gensim 3
(``vocab`` dict of ``Vocab`` objects, ``vectors``, ``trainables``/``vocabulary``),
gensim 1-2 (``syn0``, ``index2word``) and pre-1.0 models holding ``syn0`` themselves.

This is the only place w2v reads a pickle; its own files are JSON + .npy.
"""
import _compat_pickle
import collections
import os
import pickle
import re

import numpy as np

from w2v.compression import open_binary

__all__ = ["RestrictedUnpickler", "Stub", "is_pickle", "load_any", "load_gensim", "load_keyedvectors",
           "load_word2vec", "to_gensim", "from_gensim", "convert", "count_words_gensim"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Refused(pickle.UnpicklingError):
    """The file names something a gensim model does not hold (it could run code)."""


class Stub:
    """An inert stand-in for a class named in a gensim pickle: it records the
    constructor arguments and the state given to it, and has no other behaviour."""
    _module = _name = None

    def __new__(cls, *args, **kwargs):      # NEWOBJ calls only __new__, REDUCE calls the class
        self = super().__new__(cls)
        self.args = args
        self.state = {}
        return self

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:    # (__dict__, slots)
            dict_state, slot_state = state
            state = {**(dict_state or {}), **(slot_state or {})}
        if isinstance(state, dict):
            self.state.update(state)
        else:
            self.state["__state__"] = state

    def get(self, name, default=None):
        return self.state.get(name, default)

    @property
    def qualname(self):
        return f"{self._module}.{self._name}"

    def __repr__(self):
        return f"<Stub {self.qualname}: {sorted(self.state)}>"


def _allowed_globals():
    """The callables a gensim file may name, made afresh for each load: a pickle can set
    attributes of what it names (BUILD), and must not change them for the next load."""
    def _reconstructor(cls, base, state):
        """copyreg._reconstructor (protocol 0/1 pickles of gensim 1.x objects), for stubs only."""
        is_stub = isinstance(cls, type) and issubclass(cls, Stub)
        if not is_stub or base is not object or state is not None:
            raise Refused("refused: copyreg._reconstructor of a non-gensim object")
        return cls()

    def _latin1_bytes(text, encoding):
        """_codecs.encode as Python 3 protocol-2 pickles use it for bytes (numpy array data);
        latin-1 only, so no other codec is ever looked up."""
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise Refused(f"refused: _codecs.encode with {encoding!r}")
        return text.encode("latin-1")

    try:
        from numpy._core import multiarray, numeric     # numpy >= 2
    except ImportError:                                 # numpy 1.x
        from numpy.core import multiarray, numeric
    allowed = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("collections", "defaultdict"): collections.defaultdict,
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("builtins", "int"): int,
        ("builtins", "float"): float,
        ("copyreg", "_reconstructor"): _reconstructor,
        ("builtins", "object"): object,
        ("_codecs", "encode"): _latin1_bytes,
    }
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
        allowed[(module, "scalar")] = multiarray.scalar
    for module in ("numpy.core.numeric", "numpy._core.numeric"):
        allowed[(module, "_frombuffer")] = numeric._frombuffer
    return allowed


# Names gensim models carry that w2v does not need: built as stubs, never looked up.
_INERT = {("builtins", "hash")}
_INERT_MODULES = ("gensim.", "numpy.random.")


class RestrictedUnpickler(pickle.Unpickler):
    """A pickle reader that builds numpy arrays, plain containers and inert
    :class:`Stub` objects for gensim's classes, and refuses every other global."""

    def __init__(self, file):
        # latin1: gensim's own choice, so Python 2 pickles' numpy byte strings load
        super().__init__(file, encoding="latin1")
        self._allowed = _allowed_globals()
        self._stubs = {}

    def find_class(self, module, name):
        # Python 2 names (protocol 0-2 pickles), renamed as pickle's own find_class does
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = self._allowed.get((module, name))
        if found is not None:
            return found
        if (module, name) in _INERT or module.startswith(_INERT_MODULES) or module == "gensim":
            key = (module, name)
            if key not in self._stubs:
                self._stubs[key] = type(name, (Stub,), {"_module": module, "_name": name})
            return self._stubs[key]
        raise Refused(f"refused to load {module}.{name}: a gensim model file "
                                     f"holds no such object (it could run code)")

    def persistent_load(self, pid):
        raise Refused("refused: persistent ids are not part of gensim files")


def is_pickle(path, old_protocols=True):
    """True when ``path`` is a file that starts like a pickle (protocol 2+, or, with
    ``old_protocols``, 0/1), after decompression when it is gzip/bz2/xz.  gensim has
    written protocol 2+ since 1.0; protocols 0/1 start with common letters."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        return False
    try:
        with open_binary(path) as f:
            head = f.read(2)
    except (OSError, ValueError):
        return False
    return len(head) == 2 and (head[0] == 0x80 and 2 <= head[1] <= 5 or
                               old_protocols and head[:1] in (b"(", b"}", b"c"))


def _unpickle(path):
    # gensim 4 writes a plain pickle even under a .gz name, gensim 3 (smart_open) a
    # compressed one: the magic bytes tell
    with open_binary(path) as f:
        try:
            return RestrictedUnpickler(f).load()
        except Refused as e:
            raise ValueError(f"{path}: {e}") from None
        except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, IndexError, KeyError,
                ImportError, ValueError) as e:      # ValueError: bad protocol, bad UTF-8, ...
            raise ValueError(f"{path}: not a readable gensim file: {type(e).__name__}: {e}") \
                from None
        except SystemError as e:    # CPython's unpickler on some damaged streams
            raise ValueError(f"{path}: not a readable gensim file: {type(e).__name__}: {e}") \
                from None
        except (OverflowError, MemoryError) as e:
            # a record whose length field is damaged claims more bytes than exist
            raise ValueError(f"{path}: not a readable gensim file: a record claims more memory "
                             f"than this machine has (a damaged file, or a model too large "
                             f"for it): {type(e).__name__}: {e}") from None


def _load_specials(obj, fname, mmap, compressed):
    """gensim's SaveLoad._load_specials over stubs: arrays stored beside the pickle."""
    if not isinstance(obj, Stub):
        return
    for attr in obj.get("__recursive_saveloads", []) or []:
        _check_attr(attr, fname)
        _load_specials(obj.get(attr), f"{fname}.{attr}", mmap, compressed)
    for attr in obj.get("__numpys", []) or []:
        _check_attr(attr, fname)
        side = f"{fname}.{attr}.{'npz' if compressed else 'npy'}"
        try:
            if compressed:
                with np.load(side, allow_pickle=False) as z:
                    obj.state[attr] = z["val"]
            else:
                obj.state[attr] = np.load(side, mmap_mode=mmap, allow_pickle=False)
        except (OSError, ValueError, KeyError) as e:
            raise ValueError(f"{side}: cannot read the array {attr!r} stored beside {fname}: {e}") from e
    if obj.get("__scipys"):
        raise ValueError(f"{fname}: sparse matrices are not part of a Word2Vec model")
    for attr in obj.get("__ignoreds", []) or []:
        obj.state[attr] = None


def _check_attr(attr, fname):
    if not isinstance(attr, str) or not _IDENT.match(attr):
        raise ValueError(f"{fname}: bad attribute name {attr!r} for a side file")


def load_gensim(path, mmap=None):
    """Read a gensim-saved file (and its side arrays) into stubs: the root :class:`Stub`."""
    path = os.fspath(path)
    compressed = path.endswith((".gz", ".bz2"))     # gensim's rule for its side files: .npz
    if compressed and mmap:
        raise ValueError(f"{path}: a compressed gensim file cannot be memory-mapped (mmap=None)")
    root = _unpickle(path)
    if not isinstance(root, Stub):
        raise ValueError(f"{path}: holds a {type(root).__name__}, not a gensim model")
    _load_specials(root, path, mmap, compressed)
    return root


# ---------------------------------------------------------------------------- layouts
_KV_CLASSES = {"KeyedVectors", "Word2VecKeyedVectors", "EuclideanKeyedVectors"}


def _is_word2vec(stub):
    return stub._name == "Word2Vec"


def _vectors_state(stub, path):
    """(keys, vectors, vecattrs) of a gensim KeyedVectors stub (any layout), or of a
    pre-1.0 Word2Vec that holds syn0/vocab itself."""
    vectors = stub.get("vectors")
    if vectors is None:
        vectors = stub.get("syn0")
    if not isinstance(vectors, np.ndarray) or vectors.ndim != 2:
        raise ValueError(f"{path}: no vectors found (neither 'vectors' nor 'syn0' is a 2-D array)")
    keys = stub.get("index_to_key")
    if keys is None:
        keys = stub.get("index2word", stub.get("index2entity"))
    vecattrs = {}
    expandos = stub.get("expandos")
    if isinstance(expandos, dict):
        vecattrs.update(expandos)
    old_vocab = stub.get("vocab")
    if isinstance(old_vocab, dict) and old_vocab and "key_to_index" not in stub.state:
        # gensim < 4: {word: Vocab(count, index, sample_int, code, point)}
        n = len(old_vocab)
        if keys is None:
            keys = [None] * n
            for word, entry in old_vocab.items():
                keys[_entry(entry, "index", word, path)] = word
        columns = {}
        for word, entry in old_vocab.items():
            index = _entry(entry, "index", word, path)
            for attr, value in entry.state.items():
                if attr != "index":
                    columns.setdefault(attr, [None] * n)[index] = value
        for attr, values in columns.items():
            if attr in ("code", "point"):
                dtype = np.uint8 if attr == "code" else np.uint32
                arr = np.empty(n, dtype=object)
                for i, v in enumerate(values):
                    arr[i] = np.asarray(v, dtype=dtype)
            else:
                arr = np.asarray(values, dtype=np.uint32 if attr == "sample_int" else np.int64)
            vecattrs[attr] = arr
    if keys is None:
        raise ValueError(f"{path}: no word list found (index_to_key / index2word / vocab)")
    keys = list(keys)
    if len(keys) != vectors.shape[0] or any(k is None for k in keys):
        raise ValueError(f"{path}: {len(keys)} words for {vectors.shape[0]} vectors")
    for attr, values in vecattrs.items():
        if not isinstance(values, np.ndarray) or values.shape != (len(keys),):
            raise ValueError(f"{path}: per-word attribute {attr!r} does not have one value per word")
    return keys, vectors, vecattrs


def _entry(entry, attr, word, path):
    if not isinstance(entry, Stub) or not isinstance(entry.get(attr), (int, np.integer)):
        raise ValueError(f"{path}: vocabulary entry of {word!r} has no {attr}")
    return int(entry.get(attr))


def _keyedvectors(keys, vectors, vecattrs, kv_class):
    counts = vecattrs.get("count")
    kv = kv_class.from_arrays(keys, vectors, counts=counts)
    for attr, values in vecattrs.items():
        if attr != "count":
            kv.expandos[attr] = values
    return kv


def load_keyedvectors(path, mmap=None, kv_class=None):
    """A gensim-saved ``KeyedVectors`` (or the vectors of a gensim ``Word2Vec``) as a
    w2v :class:`~w2v.keyedvectors.KeyedVectors`."""
    path = os.fspath(path)
    return _rebuilt(_kv_from_root, load_gensim(path, mmap=mmap), path, kv_class)


def _kv_from_root(root, path, kv_class=None):
    if kv_class is None:
        from w2v.keyedvectors import KeyedVectors as kv_class
    if _is_word2vec(root):
        wv = root.get("wv")
        root = wv if isinstance(wv, Stub) else root
    elif root._name not in _KV_CLASSES:
        raise ValueError(f"{path}: holds a gensim {root.qualname}, not KeyedVectors or Word2Vec")
    return _keyedvectors(*_vectors_state(root, path), kv_class)


def load_word2vec(path, mmap=None, model_class=None):
    """A gensim-saved ``Word2Vec`` (gensim 1.x to 4.x) as a w2v
    :class:`~w2v.word2vec.Word2Vec`: same vectors, output weights, vocabulary, counts,
    Huffman tree and training parameters."""
    path = os.fspath(path)
    return _rebuilt(_word2vec_from_root, load_gensim(path, mmap=mmap), path, model_class)


def load_any(path, mmap=None):
    """A gensim-saved file as what it holds: a w2v Word2Vec for a gensim Word2Vec,
    else KeyedVectors (the file is read once)."""
    path = os.fspath(path)
    root = load_gensim(path, mmap=mmap)
    return _rebuilt(_word2vec_from_root if _is_word2vec(root) else _kv_from_root, root, path, None)


def _rebuilt(rebuild, root, path, cls):
    """rebuild(root, path, cls), any surprise in the file's state reported as a ValueError."""
    try:
        return rebuild(root, path, cls)
    except ValueError as e:
        if path in str(e):
            raise
        raise ValueError(f"{path}: damaged or unsupported gensim file: {e}") from e
    except (TypeError, AttributeError, KeyError, IndexError, OverflowError, MemoryError) as e:
        raise ValueError(f"{path}: damaged or unsupported gensim file: "
                         f"{type(e).__name__}: {e}") from e


def _word2vec_from_root(root, path, model_class=None):
    from w2v.huffman import HuffmanTree
    from w2v.keyedvectors import KeyedVectors
    from w2v.vocab import Vocab
    if model_class is None:
        from w2v.word2vec import Word2Vec as model_class
    if not _is_word2vec(root):
        raise ValueError(f"{path}: holds a gensim {root.qualname}, not a Word2Vec model "
                         f"(KeyedVectors.load reads gensim KeyedVectors)")
    # gensim 3 moved some state into helper objects; gensim 4 folds it back the same way
    state = dict(root.state)
    for helper, names in (("vocabulary", ("max_vocab_size", "min_count", "sample", "sorted_vocab",
                                          "ns_exponent", "max_final_vocab")),
                          ("trainables", ("layer1_size", "seed", "syn1neg", "syn1"))):
        sub = state.get(helper)
        if isinstance(sub, Stub):
            for name in names:
                if name in sub.state:
                    state[name] = sub.state[name]
    wv_stub = state.get("wv") if isinstance(state.get("wv"), Stub) else root
    keys, vectors, vecattrs = _vectors_state(wv_stub, path)
    if vectors.dtype != np.float32:         # the kernels train float32
        vectors = vectors.astype(np.float32)
    wv = _keyedvectors(keys, vectors, vecattrs, KeyedVectors)
    if "count" not in wv.expandos:
        raise ValueError(f"{path}: the word counts are missing")

    def param(name, default, *old):
        for n in (name,) + old:
            if state.get(n) is not None:
                return state[n]
        return default

    params = dict(
        vector_size=int(vectors.shape[1]), alpha=float(param("alpha", 0.025)),
        window=int(param("window", 5)), min_count=int(param("min_count", 5)),
        max_vocab_size=param("max_vocab_size", None), sample=float(param("sample", 1e-3)),
        seed=int(param("seed", 1)), workers=int(param("workers", 3)),
        min_alpha=float(param("min_alpha", 1e-4)), sg=int(param("sg", 0)), hs=int(param("hs", 0)),
        negative=int(param("negative", 5)), ns_exponent=float(param("ns_exponent", 0.75)),
        cbow_mean=int(param("cbow_mean", 1)), epochs=int(param("epochs", 5, "iter")),
        sorted_vocab=int(param("sorted_vocab", 1)), batch_words=int(param("batch_words", 10000)),
        compute_loss=bool(param("compute_loss", False)),
        max_final_vocab=param("max_final_vocab", None),
        shrink_windows=bool(param("shrink_windows", True)))
    params["min_alpha"] = min(params["min_alpha"], params["alpha"])
    model = model_class(**params)
    counts = wv.expandos["count"]
    total = param("corpus_total_words", None)
    model.vocab = Vocab(keys, counts, raw_words=total if total else None,
                        n_sentences=int(param("corpus_count", 0) or 0),
                        min_count=params["min_count"],
                        effective_min_count=param("effective_min_count", None),
                        max_final_vocab=params["max_final_vocab"],
                        sorted_vocab=bool(params["sorted_vocab"]))
    model.wv = wv
    model.corpus_count = model.vocab.n_sentences
    model.corpus_total_words = model.vocab.raw_words
    for name, enabled in (("syn1neg", model.negative), ("syn1", model.hs)):
        array = state.get(name)
        if not enabled:
            continue
        if not isinstance(array, np.ndarray) or array.shape != vectors.shape:
            raise ValueError(f"{path}: {name} is missing or not {vectors.shape}")
        setattr(model, name, array if array.dtype == np.float32 else array.astype(np.float32))
    model.running_training_loss = float(param("running_training_loss", 0.0))
    model.train_count = int(param("train_count", 0))
    tree = None
    if model.hs:
        codes, points = wv.expandos.get("code"), wv.expandos.get("point")
        if codes is None or points is None:
            raise ValueError(f"{path}: hs=1 but the Huffman codes/points are missing")
        lengths = np.fromiter((len(c) for c in codes), dtype=np.int64, count=len(codes))
        offsets = np.zeros(len(codes) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat_codes = np.concatenate([np.empty(0, np.uint8)] + [np.asarray(c, np.uint8) for c in codes])
        flat_points = np.concatenate([np.empty(0, np.int64)] + [np.asarray(p, np.int64) for p in points])
        point_lengths = np.fromiter((len(p) for p in points), dtype=np.int64, count=len(points))
        if not np.array_equal(lengths, point_lengths) or (flat_codes > 1).any() or (flat_points.size and not (
                0 <= flat_points.min() and flat_points.max() < len(keys))):
            raise ValueError(f"{path}: damaged Huffman codes/points")
        tree = HuffmanTree(flat_codes, flat_points.astype(np.int32), offsets)
    model._set_loaded_tree(tree)
    return model


# ---------------------------------------------------------------------------- vocabulary scan
def count_words_gensim(corpus, max_vocab_size, trim_rule=None):
    """Count the words of ``corpus`` (token lists) with gensim's ``max_vocab_size`` rule:
    after each sentence that leaves more than ``max_vocab_size`` distinct words, drop
    those counted fewer than ``min_reduce`` times (``trim_rule`` may keep or drop them:
    gensim's prune_vocab), then raise ``min_reduce`` by one.  It starts at 1, so the
    first pruning drops nothing.  (word2vec.c's rule, w2v's default, prunes before the
    table overflows, drops counts <= min_reduce and never skips a round.)  A
    :class:`w2v.corpus.WordCounts`; pure Python, one thread."""
    from w2v.corpus import WordCounts
    from w2v.vocab import RULE_DISCARD, RULE_KEEP
    counts = collections.defaultdict(int)
    total = sentences = pruned_words = pruned_count = peak = 0
    min_reduce = 1
    for sentence in corpus:
        sentences += 1
        total += len(sentence)
        for word in sentence:
            counts[word] += 1
        if max_vocab_size and len(counts) > max_vocab_size:
            peak = max(peak, len(counts))
            for word in list(counts):
                count = counts[word]
                keep = count >= min_reduce
                if trim_rule is not None:
                    rule = trim_rule(word, count, min_reduce)
                    keep = True if rule == RULE_KEEP else False if rule == RULE_DISCARD else keep
                if not keep:
                    pruned_words += 1
                    pruned_count += counts.pop(word)
            min_reduce += 1
    return WordCounts(words=list(counts), counts=np.fromiter(counts.values(), np.int64, len(counts)),
                      total_words=total, n_sentences=sentences, pruned_words=pruned_words,
                      pruned_count=pruned_count, min_reduce=min_reduce,
                      peak_size=max(peak, len(counts)))


# ---------------------------------------------------------------------------- gensim objects
def to_gensim(kv):
    """A ``gensim.models.KeyedVectors`` with the keys, vectors (copied) and per-key
    attributes of the w2v KeyedVectors ``kv``."""
    from gensim.models import KeyedVectors as GensimKeyedVectors
    out = GensimKeyedVectors(kv.vector_size, count=0, dtype=kv.vectors.dtype)
    out.index_to_key = list(kv.index_to_key)
    out.key_to_index = dict(kv.key_to_index)
    out.next_index = len(out.index_to_key)
    out.vectors = np.array(kv.vectors)
    names = list(kv.expandos) + [n for n in getattr(kv.expandos, "NAMES", ()) if n not in kv.expandos]
    out.expandos = {name: np.array(kv.expandos[name]) for name in names}
    return out


def from_gensim(gensim_kv, kv_class):
    """A w2v KeyedVectors from a gensim ``KeyedVectors`` (vectors and attributes copied)."""
    vecattrs = {attr: np.array(values) for attr, values in getattr(gensim_kv, "expandos", {}).items()}
    return _keyedvectors(list(gensim_kv.index_to_key), np.array(gensim_kv.vectors), vecattrs, kv_class)


def convert(source, out_dir):
    """Convert a gensim-saved ``.model`` (Word2Vec) or ``.kv`` (KeyedVectors) file into a
    w2v directory; returns what was written, "Word2Vec" or "KeyedVectors"."""
    source = os.fspath(source)
    root = load_gensim(source)
    if _is_word2vec(root):
        _rebuilt(_word2vec_from_root, root, source, None).save(out_dir)
        return "Word2Vec"
    _rebuilt(_kv_from_root, root, source, None).save(out_dir)
    return "KeyedVectors"
