"""Typed entry points to the word2vec training kernels (csrc/train.h).

Model    the shared weights, sampling tables and hyper-parameters (one per training run)
Progress the learning-rate schedule and stop flags shared by the workers of one train() call
Worker   one thread's RNG and scratch; ``Worker.train`` releases the GIL once per call

Several Workers (one per Python thread) may train the same Model at once,
Hogwild: weight rows are updated without locks.  train_epoch_file runs them
all at once on an OpenMP team (csrc/epoch.h), one nogil call per epoch.
"""
import os

import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t, uint64_t, INT32_MAX, INT64_MAX
from libc.stdlib cimport malloc, free
from libc.string cimport memset

from w2v._types cimport real_t, index_t
# the extern declarations of csrc/train.h come from w2v/_train.pxd (same name: included automatically)
from w2v._epoch cimport (W2V_BAD_BOUNDS, W2V_IO_ERROR, W2V_NO_MEMORY, w2v_epoch_result, w2v_epoch_parallel,
                         w2v_train_epoch_file)

cnp.import_array()

_SIGMOIDS = {"table": W2V_SIGMOID_TABLE, "exact": W2V_SIGMOID_EXACT}
DEFAULT_SIGMOID = "table"

SIGMOID_TABLE_SIZE = W2V_SIGMOID_TABLE_SIZE
MAX_EXP = W2V_MAX_EXP
EXACT_CLIP = W2V_EXACT_CLIP
LOSS_MIN_PROB = W2V_LOSS_MIN_PROB


def fused_multiply_add():
    """True when the kernels run a copy with FMA (AVX2+FMA or AVX-512), where a*b+c
    is one rounding (results then differ in the last bits from the baseline copy)."""
    return bool(w2v_fused_multiply_add())


_SIMD_NAMES = {W2V_SIMD_BASELINE: "baseline", W2V_SIMD_AVX2: "avx2+fma", W2V_SIMD_AVX512: "avx512"}
_SIMD_CODES = {name: code for code, name in _SIMD_NAMES.items()}


def simd_path():
    """The instruction-set copy of the training kernels in use: 'avx512',
    'avx2+fma' or 'baseline' (the best one this CPU supports unless
    set_simd_path chose another).  No -march=native is needed for any of them."""
    return _SIMD_NAMES[w2v_simd_path()]


def simd_paths():
    """The copies this machine can run, best last."""
    return [name for code, name in sorted(_SIMD_NAMES.items()) if w2v_simd_supported(code)]


def set_simd_path(name):
    """Run the kernels' `name` copy from now on (for benchmarks and tests: every
    copy computes the same thing, up to FMA rounding).  Returns the previous name;
    ValueError when this CPU or build lacks it."""
    if name not in _SIMD_CODES:
        raise ValueError(f"unknown SIMD path {name!r}; one of {sorted(_SIMD_CODES)}")
    previous = w2v_simd_select(_SIMD_CODES[name])
    if previous < 0:
        raise ValueError(f"this machine cannot run the {name!r} kernels; it can run {simd_paths()}")
    return _SIMD_NAMES[previous]


def _raise_for_status(status, *, vocab_size=0, bad_pos=0, bad_id=None, io_errno=0, path=None):
    """The exception for a kernel status (enum w2v_status, w2v_epoch_status);
    returns for W2V_OK and W2V_STOPPED.  bad_pos: the bad id's position
    (W2V_BAD_ID), bad_id its value when known; path: the file read (W2V_IO_ERROR,
    and named in the W2V_BAD_ID message when given)."""
    where = f"{path}: " if path is not None else ""
    if status == W2V_BAD_ID:
        what = "the id" if bad_id is None else f"word id {bad_id}"
        raise ValueError(f"{where}{what} at position {bad_pos} is outside [0, {vocab_size}) "
                         "and is not the end-of-sentence -1")
    if status == W2V_NONFINITE:
        raise FloatingPointError("a training score became NaN or infinite "
                                 "(learning rate too high?); training stopped")
    if status == W2V_IO_ERROR:
        if io_errno:
            raise OSError(io_errno, f"{where}{os.strerror(io_errno)}")
        raise OSError(f"{where}the id cache ended early (was it changed while training?)")
    if status == W2V_NO_MEMORY:
        raise MemoryError("cannot allocate a chunk buffer for training")
    if status == W2V_BAD_BOUNDS:
        raise ValueError(f"chunk bounds out of range for {path}: a chunk or an offset "
                         f"too large to address")


def _require(name, a, dtype, shape=None, writable=False):
    """Validate one array argument; `shape` entries None match any length."""
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != np.dtype(dtype):
        raise ValueError(f"{name} must have dtype {np.dtype(dtype)}, got {a.dtype}")
    if shape is not None:
        if a.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, a.shape)):
            want = str(tuple("*" if s is None else s for s in shape)).replace("'", "")
            raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if writable and not a.flags.writeable:
        raise ValueError(f"{name} must be writable")
    return a


# Weight rows start on 64-byte lines: a row load never straddles two lines (on
# Zen 5, d=96 trained 1.36x faster with 16-float vectors and 1.22x with 8-float
# ones aligned than 16 bytes off; bench/RESULTS.md, session 13).
ROW_ALIGN_FLOATS = 16


def weight_matrix(n, d, like=None):
    """A float32 [n, d] weight matrix laid out for the kernels: zeros (or `like`'s
    values), each row padded to a multiple of ROW_ALIGN_FLOATS floats and starting
    on a 64-byte boundary.  A view `buffer[:, :d]` of an aligned [n, stride] buffer;
    the padding floats stay zero: the kernels never use nor write them."""
    stride = -(-int(d) // ROW_ALIGN_FLOATS) * ROW_ALIGN_FLOATS
    buffer = np.zeros(int(n) * stride + ROW_ALIGN_FLOATS, dtype=np.float32)
    start = (-buffer.ctypes.data % 64) // 4
    out = buffer[start:start + int(n) * stride].reshape(int(n), stride)[:, :d]
    if like is not None:
        out[...] = like
    return out


def _require_rows(name, a, shape):
    """Validate a weight matrix: writable float32 of `shape` (None: any length) whose
    rows are contiguous and do not overlap, one row every `stride` floats; returns
    that stride (None for a matrix of fewer than 2 rows, where it does not matter)."""
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != np.dtype(np.float32):
        raise ValueError(f"{name} must have dtype float32, got {a.dtype}")
    if a.ndim != 2 or any(s is not None and s != t for s, t in zip(shape, a.shape)):
        want = str(tuple("*" if s is None else s for s in shape)).replace("'", "")
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    rows, d = a.shape
    if not a.flags.writeable:
        raise ValueError(f"{name} must be writable")
    if not a.flags.aligned or (d > 1 and a.strides[1] != 4) or (
            rows > 1 and (a.strides[0] % 4 or a.strides[0] < 4 * d)):
        raise ValueError(f"{name} must be C-contiguous, or rows of it (a[:, :d] of a "
                         f"C-contiguous array); got strides {a.strides}")
    return a.strides[0] // 4 if rows > 1 else None


cdef inline void *_data(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


cdef class Model:
    """Weights, tables and hyper-parameters shared by all workers.

    syn0: float32 [V, d] input vectors (the embeddings); syn1neg: float32 [V, d]
    negative-sampling output vectors (None when negative == 0); syn1: float32
    [>= V-1, d] hierarchical-softmax inner-node vectors (None when hs == 0).
    keep_thresholds uint32 [V]; alias_prob uint32 [V], alias_index int32 [V]
    (None allowed when negative == 0); hs_codes uint8, hs_points int32,
    hs_offsets int64 [V+1] (None allowed when hs == 0): ARCHITECTURE.md formats.
    The arrays are referenced, not copied; training updates the weights in place.
    The weights may be C-contiguous or rows of a wider C-contiguous buffer
    (weight_matrix: 64-byte-aligned rows, the kernels' fastest layout), with one
    row stride for all three.
    sigmoid: 'table' (word2vec.c's 1000-entry table over [-6, 6]) or 'exact'.
    shared_negatives: skip-gram negative sampling as minibatches (Ji et al. 2016):
    one set of `negative` noise words per centre word, shared by its whole window,
    and the window's updates computed together from the rows before the update
    (needs sg=1, hs=0, negative > 0).  Fewer random rows touched per word: faster,
    for a comparable quality (bench/bench_batch.py).
    lockf: None, or float32 [V], each input row's learning-rate factor (gensim's
    vectors_lockf): a row of syn0 takes lockf[w] times its step, none when 0.
    """
    cdef w2v_model c
    cdef readonly object syn0, syn1neg, syn1, keep_thresholds, alias_prob, alias_index
    cdef readonly object hs_codes, hs_points, hs_offsets, lockf
    cdef readonly str sigmoid
    cdef readonly bint shared_negatives

    def __init__(self, syn0, syn1neg, syn1, keep_thresholds, alias_prob, alias_index,
                 hs_codes, hs_points, hs_offsets, *, sg, hs, negative, window,
                 cbow_mean=1, shrink_windows=True, compute_loss=False,
                 sigmoid=DEFAULT_SIGMOID, shared_negatives=False, lockf=None):
        strides = {"syn0": _require_rows("syn0", syn0, (None, None))}
        cdef int64_t V = syn0.shape[0]
        cdef int64_t d = syn0.shape[1]
        if V < 1 or V > INT32_MAX:
            raise ValueError(f"vocabulary size must be in [1, {INT32_MAX}], got {V}")
        if d < 1 or d > INT32_MAX:
            raise ValueError(f"vector size must be >= 1, got {d}")
        negative = int(negative)
        window = int(window)
        hs = bool(hs)
        if negative < 0:
            raise ValueError(f"negative must be >= 0, got {negative}")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        # the worker's buffers hold 2 x negative ids and 2 x window rows (C int sizes)
        for name, value in (("negative", negative), ("window", window)):
            if value > INT32_MAX // 2:
                raise ValueError(f"{name} must be <= {INT32_MAX // 2}, got {value}")
        if not hs and negative == 0:
            raise ValueError("nothing to train: enable hs or set negative > 0")
        if sigmoid not in _SIGMOIDS:
            raise ValueError(f"sigmoid must be one of {sorted(_SIGMOIDS)}, got {sigmoid!r}")
        shared_negatives = bool(shared_negatives)
        if shared_negatives and not (sg and negative > 0 and not hs):
            raise ValueError("shared_negatives=True needs skip-gram with negative sampling only "
                             f"(sg=1, hs=0, negative > 0); got sg={int(bool(sg))}, hs={int(hs)}, "
                             f"negative={negative}")

        _require("keep_thresholds", keep_thresholds, np.uint32, (V,))
        if lockf is not None:
            _require("lockf", lockf, np.float32, (V,))
            if not np.isfinite(lockf).all():
                raise ValueError("lockf values must be finite")
        if negative > 0:
            strides["syn1neg"] = _require_rows("syn1neg", syn1neg, (V, d))
            _require("alias_prob", alias_prob, np.uint32, (V,))
            _require("alias_index", alias_index, np.int32, (V,))
            if V and (alias_index.min() < 0 or alias_index.max() >= V):
                raise ValueError(f"alias_index values must be in [0, {V})")
        else:
            syn1neg = alias_prob = alias_index = None
        if hs:
            strides["syn1"] = _require_rows("syn1", syn1, (None, d))
            _require("hs_offsets", hs_offsets, np.int64, (V + 1,))
            if hs_offsets[0] != 0 or (np.diff(hs_offsets) < 0).any():
                raise ValueError("hs_offsets must start at 0 and be non-decreasing")
            total = int(hs_offsets[V])
            _require("hs_codes", hs_codes, np.uint8, (total,))
            _require("hs_points", hs_points, np.int32, (total,))
            if total and hs_codes.max() > 1:
                raise ValueError("hs_codes must be 0 or 1")
            if total and (hs_points.min() < 0 or hs_points.max() >= syn1.shape[0]):
                raise ValueError(f"hs_points must index rows of syn1 [0, {syn1.shape[0]})")
        else:
            syn1 = hs_codes = hs_points = hs_offsets = None
        # one row stride for all the weights (d for C-contiguous ones)
        given = {name: s for name, s in strides.items() if s is not None}
        if len(set(given.values())) > 1:
            raise ValueError("syn0, syn1neg and syn1 must have the same row stride, got "
                             + ", ".join(f"{name} {s}" for name, s in given.items()))
        cdef int64_t stride = next(iter(given.values())) if given else d
        # The kernels declare the weight rows restrict: they must not overlap.
        weights = [("syn0", syn0), ("syn1neg", syn1neg), ("syn1", syn1)]
        for i, (na, a) in enumerate(weights):
            for nb, b in weights[i + 1:]:
                if a is not None and b is not None and np.may_share_memory(a, b):
                    raise ValueError(f"{na} and {nb} must not share memory")

        self.syn0, self.syn1neg, self.syn1 = syn0, syn1neg, syn1
        self.keep_thresholds = keep_thresholds
        self.alias_prob, self.alias_index = alias_prob, alias_index
        self.hs_codes, self.hs_points, self.hs_offsets = hs_codes, hs_points, hs_offsets
        self.sigmoid = sigmoid
        self.lockf = lockf

        memset(&self.c, 0, sizeof(self.c))
        self.c.syn0 = <real_t *>_data(syn0)
        self.c.syn1neg = <real_t *>_data(syn1neg)
        self.c.syn1 = <real_t *>_data(syn1)
        self.c.keep_threshold = <const uint32_t *>_data(keep_thresholds)
        self.c.alias_prob = <const uint32_t *>_data(alias_prob)
        self.c.alias_index = <const index_t *>_data(alias_index)
        self.c.hs_codes = <const uint8_t *>_data(hs_codes)
        self.c.hs_points = <const index_t *>_data(hs_points)
        self.c.hs_offsets = <const int64_t *>_data(hs_offsets)
        self.c.lockf = <const real_t *>_data(lockf)
        self.c.vocab_size = V
        self.c.dim = <int>d
        self.c.stride = stride
        self.c.window = window
        self.c.negative = negative
        self.c.hs = hs
        self.c.sg = bool(sg)
        self.c.cbow_mean = bool(cbow_mean)
        self.c.shrink_windows = bool(shrink_windows)
        self.c.compute_loss = bool(compute_loss)
        self.c.sigmoid = _SIGMOIDS[sigmoid]
        self.c.shared_negatives = shared_negatives
        self.shared_negatives = shared_negatives

    @property
    def vocab_size(self):
        return self.c.vocab_size

    @property
    def dim(self):
        return self.c.dim

    @property
    def sg(self):
        return bool(self.c.sg)

    @property
    def hs(self):
        return bool(self.c.hs)

    @property
    def negative(self):
        return self.c.negative

    @property
    def window(self):
        return self.c.window

    @property
    def cbow_mean(self):
        return bool(self.c.cbow_mean)

    @property
    def shrink_windows(self):
        return bool(self.c.shrink_windows)

    @property
    def compute_loss(self):
        return bool(self.c.compute_loss)

    @compute_loss.setter
    def compute_loss(self, value):
        self.c.compute_loss = bool(value)


cdef class Progress:
    """Learning-rate schedule and interrupt flags shared by the workers of one train() call.

    alpha = start_alpha - (start_alpha - end_alpha) * min(1, words_done / total_words)
    (constant start_alpha when total_words == 0).  Workers add the in-vocabulary
    tokens they read to words_done every report_every words (Worker) and when they return.
    """
    cdef w2v_progress c

    def __init__(self, total_words, start_alpha, end_alpha, words_done=0):
        if total_words < 0 or words_done < 0:
            raise ValueError("total_words and words_done must be >= 0")
        memset(&self.c, 0, sizeof(self.c))
        self.c.total_words = total_words
        self.c.words_done = words_done
        self.c.start_alpha = start_alpha
        self.c.end_alpha = end_alpha

    @property
    def words_done(self):
        return w2v_progress_words_done(&self.c)

    @property
    def total_words(self):
        return self.c.total_words

    @property
    def start_alpha(self):
        return self.c.start_alpha

    @property
    def end_alpha(self):
        return self.c.end_alpha

    @property
    def alpha(self):
        """The learning rate at the current words_done."""
        return w2v_alpha_at(&self.c, w2v_progress_words_done(&self.c))

    @property
    def stopped(self):
        return bool(w2v_progress_stopped(&self.c))

    @property
    def nonfinite(self):
        """True once a worker met a NaN/inf score (all workers then stop)."""
        return bool(w2v_progress_nonfinite(&self.c))

    def request_stop(self):
        """Ask every worker to return; each stops before its next centre word.
        Safe to call from any thread while workers run."""
        w2v_progress_request_stop(&self.c)


cdef class Worker:
    """One training thread's state: splitmix64 RNG seeded with `seed`, scratch
    vectors, and a buffer of max_sentence_length kept tokens (longer sentences are
    trained in consecutive chunks).  Use one Worker per thread.

    private_rows, private_nodes > 0 (for runs with several workers): the output
    rows of the private_rows most frequent words (syn1neg) and of the
    private_nodes inner nodes nearest the Huffman root (syn1) are trained in
    this worker's own copy, merged with the shared rows every sync_every words
    read (default W2V_SYNC_WORDS, 16384) and at the end of each train() call
    (csrc/train.h, "Private output rows")."""
    cdef w2v_worker c
    cdef readonly Model model
    cdef bint busy

    def __cinit__(self):
        memset(&self.c, 0, sizeof(self.c))

    def __init__(self, Model model not None, seed, max_sentence_length=10000, report_every=10000,
                 private_rows=0, private_nodes=0, sync_every=None):
        seed = int(seed)
        if not 0 <= seed < 2 ** 64:
            raise ValueError(f"seed must be in [0, 2**64), got {seed}")
        if max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
        if max_sentence_length > INT64_MAX:
            raise ValueError(f"max_sentence_length must be <= {INT64_MAX}, "
                             f"got {max_sentence_length}")
        if report_every < 1:
            raise ValueError(f"report_every must be >= 1, got {report_every}")
        if not (0 <= private_rows <= INT64_MAX and 0 <= private_nodes <= INT64_MAX):
            raise ValueError(f"private_rows and private_nodes must be >= 0, "
                             f"got {private_rows} and {private_nodes}")
        if sync_every is not None and sync_every < 1:
            raise ValueError(f"sync_every must be >= 1, got {sync_every}")
        w2v_worker_free(&self.c)
        status = w2v_worker_init(&self.c, &model.c, max_sentence_length, <uint64_t>seed,
                                 private_rows, private_nodes)
        if status == W2V_BAD_SIZE:
            raise ValueError(f"sizes out of range for the worker's buffers "
                             f"(max_sentence_length={max_sentence_length}, "
                             f"private_rows={private_rows}, private_nodes={private_nodes})")
        if status != 0:
            raise MemoryError(f"cannot allocate the worker's buffers (max_sentence_length="
                              f"{max_sentence_length} ids, vector size {model.c.dim}, "
                              f"negative {model.c.negative}, window {model.c.window})")
        self.c.report_every = report_every
        if sync_every is not None:
            self.c.sync_every = sync_every
        self.model = model

    def __dealloc__(self):
        w2v_worker_free(&self.c)

    @property
    def loss(self):
        """Sum of -log sigmoid over every logistic step since creation or reset_loss()
        (only accumulated while model.compute_loss)."""
        return self.c.loss

    @property
    def examples(self):
        """Training examples since creation or reset_loss(): (context, centre) pairs
        for skip-gram, centre words with a non-empty context for CBOW."""
        return self.c.examples

    @property
    def private_rows(self):
        """(syn1neg rows, syn1 rows) this worker trains in its own copy."""
        return self.c.own_syn1neg.n, self.c.own_syn1.n

    def _no_private_rows(self, hook):
        if self.c.own_syn1neg.n or self.c.own_syn1.n:
            raise ValueError(f"{hook} needs a Worker without private rows")

    @property
    def rng_state(self):
        return self.c.rng

    @rng_state.setter
    def rng_state(self, value):
        self.c.rng = <uint64_t>int(value)

    def reset_loss(self):
        self.c.loss = 0
        self.c.examples = 0

    def train(self, const index_t[::1] ids not None, Progress progress not None):
        """Train on an encoded stream (int32 ids, -1 ends a sentence) until its end or a stop.

        Returns (raw_words, effective_words): in-vocabulary tokens read, and those
        kept by subsampling.  Raises ValueError for an id outside [0, V) (training
        done before it is kept), FloatingPointError when this worker met a non-finite
        score (progress.nonfinite is then set and the other workers stop too).
        """
        cdef int64_t n = ids.shape[0]
        cdef const index_t *ptr = &ids[0] if n > 0 else NULL
        cdef int64_t raw = 0, eff = 0
        cdef int status
        if self.busy:
            raise RuntimeError("this Worker is already training in another thread")
        self.busy = True
        try:
            with nogil:
                status = w2v_train_stream(&self.model.c, &self.c, &progress.c, ptr, n, &raw, &eff)
        finally:
            self.busy = False
        pos = self.c.bad_pos
        _raise_for_status(status, vocab_size=self.model.c.vocab_size, bad_pos=pos,
                          bad_id=ids[pos] if status == W2V_BAD_ID else None)
        return raw, eff

    def _train_example(self, h, target, alpha):
        """Test hook: one example with input vector `h` (float32 [d]) and the model's
        enabled losses.  Updates the output rows and draws negatives from this worker's
        RNG; returns (loss, grad) with grad = alpha * -dloss/dh (before the updates)."""
        self._no_private_rows("_train_example")
        h = np.ascontiguousarray(h, dtype=np.float32)
        if h.shape != (self.model.c.dim,):
            raise ValueError(f"h must have shape ({self.model.c.dim},)")
        if not 0 <= target < self.model.c.vocab_size:
            raise ValueError("target out of range")
        cdef const real_t[::1] hv = h
        loss = w2v_train_example(&self.model.c, &self.c, &hv[0], <index_t>target, <real_t>alpha)
        grad = np.empty(self.model.c.dim, dtype=np.float32)
        cdef real_t[::1] gv = grad
        cdef int i
        for i in range(self.model.c.dim):
            gv[i] = self.c.grad[i]
        return loss, grad

    def _train_centre(self, context, centre, alpha):
        """Test hook (shared_negatives models): one minibatch of the given context word
        ids around `centre`, noise drawn from this worker's RNG; updates syn0 and
        syn1neg in place and returns the minibatch's loss (NaN after a non-finite score,
        nothing updated then)."""
        if not self.model.c.shared_negatives:
            raise ValueError("_train_centre needs a model with shared_negatives=True")
        self._no_private_rows("_train_centre")
        ctx = np.ascontiguousarray(context, dtype=np.int32)
        V = self.model.c.vocab_size
        if ctx.ndim != 1 or not 1 <= len(ctx) <= self.c.batch_capacity:
            raise ValueError(f"context must hold 1 to {self.c.batch_capacity} word ids "
                             f"(2 * window, at most max_sentence_length - 1)")
        if ctx.min() < 0 or ctx.max() >= V or not 0 <= centre < V:
            raise ValueError("word id out of range")
        cdef const index_t[::1] cv = ctx
        return w2v_train_centre(&self.model.c, &self.c, &cv[0], <int>len(ctx), <index_t>centre,
                                <real_t>alpha)

    def _add_and_sync(self, Progress progress not None, step, times):
        """Test hook for the private-row merges (csrc/train.h,
        w2v_private_rows_add_and_sync): `times` times, add `step` to every value
        of this worker's private rows and sync them, without the GIL."""
        if self.busy:
            raise RuntimeError("this Worker is already training in another thread")
        cdef real_t s = step
        cdef int64_t t = times
        self.busy = True
        try:
            with nogil:
                w2v_private_rows_add_and_sync(&self.model.c, &self.c, &progress.c, s, t)
        finally:
            self.busy = False


def epoch_parallel():
    """True when train_epoch_file runs its workers on a team of threads (this
    build has OpenMP); False when workers[0] alone trains the whole epoch."""
    return bool(w2v_epoch_parallel())


def train_epoch_file(workers, Progress progress not None, fd, bounds, path="the id cache"):
    """One epoch over an id cache file (int32 ids, -1 ending each sentence) with
    every Worker at once: a team of OpenMP threads, thread t training with
    workers[t] on chunks [bounds[k], bounds[k+1]) claimed one at a time and read
    from the open file descriptor fd (csrc/epoch.h).  The GIL is released for
    the whole epoch; progress.request_stop() from another thread ends it early.

    Returns (raw_words, effective_words, threads): as Worker.train, summed, and
    how many threads trained.  Raises as Worker.train for a bad id (its
    position in the file) or a non-finite score, OSError when the file cannot
    be read (`path` names it in the message), MemoryError."""
    workers = list(workers)
    cdef int n = len(workers)
    if n < 1:
        raise ValueError("train_epoch_file needs at least one Worker")
    cdef Worker first = workers[0]
    cdef Worker w
    if len({id(x) for x in workers}) != n:
        raise ValueError("each Worker may appear only once (one per thread)")
    for w in workers:
        if w.model is not first.model:
            raise ValueError("all workers must train the same Model")
        if w.busy:
            raise RuntimeError("a Worker is already training in another thread")
    b = np.ascontiguousarray(bounds, dtype=np.int64)
    if b.ndim != 1 or len(b) < 1 or (len(b) > 1 and (b[0] < 0 or np.any(np.diff(b) < 0))):
        raise ValueError("bounds must be a non-decreasing int64 array of chunk offsets")
    cdef const int64_t[::1] bv = b
    cdef int64_t n_chunks = len(b) - 1
    cdef int cfd = fd
    cdef w2v_worker **ptrs = <w2v_worker **>malloc(n * sizeof(w2v_worker *))
    cdef w2v_epoch_result *results = <w2v_epoch_result *>malloc(n * sizeof(w2v_epoch_result))
    cdef int i, team
    if ptrs == NULL or results == NULL:
        free(ptrs)
        free(results)
        raise MemoryError()
    try:
        for i in range(n):
            w = workers[i]
            ptrs[i] = &w.c
            w.busy = True
        with nogil:
            team = w2v_train_epoch_file(&first.model.c, ptrs, n, &progress.c, cfd, &bv[0],
                                        n_chunks, results)
        raw = sum(results[i].raw_words for i in range(n))
        eff = sum(results[i].effective_words for i in range(n))
        # a worker's own failure (which stopped the others) before a non-finite score
        order = ([i for i in range(n) if results[i].status != W2V_NONFINITE] +
                 [i for i in range(n) if results[i].status == W2V_NONFINITE])
        for i in order:
            _raise_for_status(results[i].status, vocab_size=first.model.c.vocab_size,
                              bad_pos=results[i].bad_pos, io_errno=results[i].io_errno, path=path)
        return raw, eff, team
    finally:
        for w in workers:
            w.busy = False
        free(ptrs)
        free(results)
