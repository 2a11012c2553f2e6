"""The Word2Vec trainer: gensim-4 names and semantics over w2v's nogil kernels.

A training run has two input paths, both feeding the same C kernel
(`w2v_train_stream` in csrc/train.c, called with the GIL released):

* ``corpus_file=`` (or a file-backed :class:`w2v.corpus.Corpus`): the corpus is
  encoded once into an on-disk int32 cache; every epoch is one nogil call
  (`w2v._train.train_epoch_file`) in which an OpenMP team of ``workers``
  threads claims sentence-aligned chunks of the cache with an atomic counter:
  no Python and no lock on the critical path.  A build without OpenMP trains
  this path on one thread, with a warning.
* ``sentences=`` / ``corpus_iterable=`` (any re-iterable of token lists): one
  producer thread encodes batches of about ``batch_words`` tokens into a bounded
  queue that ``workers`` Python threads drain, each in nogil kernel calls.

Either way the calling thread stays free to report progress, run callbacks and
turn Ctrl-C into a clean stop between sentences.
"""
import json
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
import warnings
import weakref
from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from w2v._io import atomic_directory
from w2v._train import Model, Progress, Worker, epoch_parallel, train_epoch_file
from w2v.corpus import Corpus, encode_file_corpus, encode_sentences
from w2v.keyedvectors import KeyedVectors
from w2v.sampling import SamplingTables
from w2v.training import TrainingPlan, thread_seed
from w2v.vocab import Vocab

logger = logging.getLogger(__name__)

# Encoded-cache chunks claimed by the OpenMP threads: big enough that claiming
# and reading one is noise, small enough that the threads finish an
# epoch together: about 64 chunks per worker, 16Ki to 1Mi tokens each.  (With
# fixed 1Mi-token chunks a 2M-word corpus gave each of 2 threads one chunk or
# none, and 10M words left up to a tenth of an epoch to one thread.)
_CHUNK_TOKENS = 1 << 20
_MIN_CHUNK_TOKENS = 1 << 14
_CHUNKS_PER_WORKER = 64
# Skip-gram with several workers: each trains the output rows of the most
# frequent words (this many bytes of syn1neg) and of the Huffman nodes nearest
# the root (this many rows of syn1) in its own copy, synced every 16Ki words
# (csrc/train.h, "Private output rows").  Measured in bench/RESULTS.md, "Private
# output rows": faster when the cores are far apart, as fast when close, as
# good or better vectors.  CBOW writes in place: the copies cost it 6% when the
# cores are close and gave it no better vectors.
_PRIVATE_ROW_BYTES = 2 << 20
_PRIVATE_NODES = 1024

MODEL_FORMAT = "w2v.Word2Vec"
MODEL_VERSION = 1
_MODEL_FILE = "model.json"
# Constructor arguments stored in model.json (callbacks and trim_rule are code: not saved).
_SAVED_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample",
                 "seed", "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent",
                 "cbow_mean", "epochs", "sorted_vocab", "batch_words", "compute_loss",
                 "max_final_vocab", "shrink_windows", "max_sentence_length", "sigmoid",
                 "shared_negatives")
_SAVED_VOCAB_STATS = ("raw_words", "n_sentences", "min_count", "effective_min_count",
                      "max_final_vocab", "sorted_vocab", "pruned_words", "pruned_count",
                      "discarded_words", "discarded_count")


# gensim 4 arguments that w2v accepts and ignores, and why.  Every other gensim 4
# argument of these methods is implemented; anything else is a TypeError.
GENSIM_IGNORED = {
    "__init__": {
        "hashfxn": "the initial vectors come from one PCG64 stream seeded by seed, "
                   "not from a hash of each word",
        "null_word": "gensim's padding word serves concatenated context vectors, "
                     "which Word2Vec never builds",
        "comment": "gensim stores it in a lifecycle log, which w2v does not keep",
    },
    "build_vocab": {
        "progress_per": "the scan runs in nogil passes and logs once, at its end",
        "keep_raw_vocab": "the raw counts are dropped once the vocabulary is built either way",
    },
    "build_vocab_from_freq": {
        "keep_raw_vocab": "the raw counts are dropped once the vocabulary is built either way",
    },
    "train": {
        "word_count": "every train() call starts its learning-rate schedule at 0 "
                      "(resume=True continues an interrupted one)",
        "report_delay": "progress goes to the progress= callable about every 0.5 s",
    },
}


class Word2Vec:
    """Train word vectors with skip-gram or CBOW (Mikolov et al. 2013).

    The constructor takes gensim 4's arguments; when a corpus is given it
    builds the vocabulary and trains right away, as gensim does.  Extra
    arguments: ``max_sentence_length`` (longer sentences are split, never
    truncated), ``sigmoid`` ("table" or "exact") and ``shared_negatives``
    (skip-gram negative sampling with one set of noise words per window, as
    small dense matrix products: Ji et al. 2016).

    Accepted and ignored, as listed in :data:`GENSIM_IGNORED`: ``hashfxn`` (the
    initial vectors come from one PCG64 stream seeded by ``seed``, not from a hash
    of each word), ``null_word`` (gensim's padding word serves concatenated context
    vectors, which Word2Vec never builds) and ``comment`` (gensim stores it in a
    lifecycle log, which w2v does not keep).  Any other unknown argument is a
    TypeError.
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, sample=1e-3, seed=1, workers=3,
                 min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=hash, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
                 batch_words=10000, compute_loss=False, callbacks=(), comment=None,
                 max_final_vocab=None, shrink_windows=True,
                 max_sentence_length=10000, sigmoid="table", shared_negatives=False, client=None):
        self.vector_size = int(vector_size)
        self.alpha = float(alpha)
        self.min_alpha = float(min_alpha)
        self.window = int(window)
        self.min_count = int(min_count)
        self.max_vocab_size = max_vocab_size
        self.max_final_vocab = max_final_vocab
        self.sample = float(sample)
        self.seed = int(seed)
        self.workers = int(workers)
        self.sg = int(bool(sg))
        self.hs = int(bool(hs))
        self.negative = int(negative)
        self.ns_exponent = float(ns_exponent)
        self.cbow_mean = int(bool(cbow_mean))
        self.epochs = int(epochs)
        self.sorted_vocab = int(bool(sorted_vocab))
        self.batch_words = int(batch_words)
        self.compute_loss = bool(compute_loss)
        self.callbacks = tuple(callbacks)
        self.shrink_windows = bool(shrink_windows)
        self.max_sentence_length = int(max_sentence_length)
        self.sigmoid = sigmoid
        self.shared_negatives = bool(shared_negatives)
        self._validate_params()

        self.vocab = None
        self.wv = KeyedVectors(self.vector_size)
        self.syn1neg = None
        self.syn1 = None
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.running_training_loss = 0.0
        self.epoch_losses = []
        self.train_count = 0          # train() calls so far: seeds each call's thread RNGs
        self.words_done = 0           # in-vocabulary words trained, all calls together
        self.training_state = None    # TrainingPlan of an unfinished train() (checkpoints)
        self._cache = None            # (key, EncodedCorpus) of the last file corpus encoded
        self._cache_dir = None

        if sentences is not None and corpus_file is not None:
            raise ValueError("give either sentences or corpus_file, not both")
        if sentences is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file, trim_rule=trim_rule,
                             client=client)
            self.train(corpus_iterable=sentences, corpus_file=corpus_file,
                       total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                       compute_loss=compute_loss, callbacks=callbacks, client=client)
        else:
            self._trim_rule = trim_rule

    # ------------------------------------------------------------------ checks
    def _validate_params(self):
        def need(cond, msg):
            if not cond:
                raise ValueError(msg)
        need(self.vector_size > 0, f"vector_size must be > 0, got {self.vector_size}")
        need(self.window > 0, f"window must be > 0, got {self.window}")
        need(self.negative >= 0, f"negative must be >= 0, got {self.negative}")
        need(self.hs or self.negative, "hs=0 and negative=0 leave nothing to train: "
             "enable hierarchical softmax (hs=1) or negative sampling (negative > 0)")
        need(np.isfinite(self.alpha) and self.alpha > 0, f"alpha must be > 0, got {self.alpha}")
        need(np.isfinite(self.min_alpha) and 0 <= self.min_alpha <= self.alpha,
             f"min_alpha must be in [0, alpha={self.alpha}], got {self.min_alpha}")
        need(np.isfinite(self.sample) and self.sample >= 0, f"sample must be >= 0, got {self.sample}")
        need(self.epochs > 0, f"epochs must be > 0, got {self.epochs}")
        need(self.workers > 0, f"workers must be > 0, got {self.workers}")
        need(self.min_count >= 1 or self.min_count == 0, f"min_count must be >= 0, got {self.min_count}")
        need(np.isfinite(self.ns_exponent), f"ns_exponent must be finite, got {self.ns_exponent}")
        need(self.batch_words > 0, f"batch_words must be > 0, got {self.batch_words}")
        need(self.max_sentence_length > 0,
             f"max_sentence_length must be > 0, got {self.max_sentence_length}")
        need(self.max_vocab_size is None or int(self.max_vocab_size) > 0,
             f"max_vocab_size must be None or > 0, got {self.max_vocab_size}")
        need(self.max_final_vocab is None or int(self.max_final_vocab) > 0,
             f"max_final_vocab must be None or > 0, got {self.max_final_vocab}")
        need(self.sigmoid in ("table", "exact"), f"sigmoid must be 'table' or 'exact', got {self.sigmoid!r}")
        need(not self.shared_negatives or (self.sg and self.negative and not self.hs),
             "shared_negatives=True needs skip-gram with negative sampling only (sg=1, negative > 0, hs=0)")

    @staticmethod
    def _corpus(corpus_iterable, corpus_file, max_sentence_length):
        if corpus_iterable is not None and corpus_file is not None:
            raise ValueError("give either corpus_iterable (sentences) or corpus_file, not both")
        if corpus_iterable is None and corpus_file is None:
            raise ValueError("no corpus: give corpus_iterable (sentences) or corpus_file")
        if isinstance(corpus_iterable, Corpus):
            return corpus_iterable
        source = corpus_file if corpus_file is not None else corpus_iterable
        return Corpus(source, max_sentence_length=max_sentence_length)

    # -------------------------------------------------------------- vocabulary
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, min_count=None, sample=None,
                    dry_run=False, client=None):
        """Scan the corpus, build the vocabulary and (re)initialize the weights.

        ``min_count`` and ``sample``, when not None, replace the model's (gensim's
        ``prepare_vocab`` arguments, which gensim's build_vocab passes on; gensim
        also reads a 0 as "the model's", w2v takes it as given).
        ``progress_per`` and ``keep_raw_vocab`` are accepted and ignored: the scan
        logs once, at its end, and the raw counts are dropped once the vocabulary
        is built either way (:data:`GENSIM_IGNORED`).  ``update=True`` and
        ``dry_run=True`` are not supported (NotImplementedError).
        """
        if update:
            raise NotImplementedError("vocabulary update (update=True) is not supported yet")
        if dry_run:
            raise NotImplementedError("dry_run=True is not supported: build_vocab always "
                                      "builds the vocabulary")
        self._set_vocab_params(min_count, sample)
        corpus = self._corpus(corpus_iterable, corpus_file, self.max_sentence_length)
        t0 = time.perf_counter()
        rules = dict(
            max_vocab_size=self.max_vocab_size,
            min_count=self.min_count, max_final_vocab=self.max_final_vocab,
            trim_rule=trim_rule if trim_rule is not None else getattr(self, "_trim_rule", None),
            sorted_vocab=bool(self.sorted_vocab))
        if client is None:
            vocab = Vocab.from_corpus(corpus, workers=self.workers, **rules)
        else:       # counted by the cluster's workers (w2v.distributed)
            from w2v import distributed
            vocab = distributed.vocab_from_corpus(client, corpus, **rules)
        self.corpus_count = vocab.n_sentences
        self.corpus_total_words = vocab.raw_words
        logger.info("collected %d word types from %d words and %d sentences in %.2fs; kept %d "
                    "(min_count=%d), %d of %d words (%.1f%%); pruned during the scan: %d types",
                    len(vocab) + vocab.discarded_words, vocab.raw_words, vocab.n_sentences,
                    time.perf_counter() - t0, len(vocab.index_to_key), vocab.min_count,
                    vocab.retained_words, vocab.raw_words,
                    100.0 * vocab.retained_words / max(1, vocab.raw_words), vocab.pruned_words)
        self._set_vocab(vocab)
        return self

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None,
                              trim_rule=None, update=False):
        """Build the vocabulary from a ``{word: count}`` mapping (gensim's name),
        e.g. a word2vec.c vocabulary file read with :meth:`w2v.vocab.Vocab.load`.
        ``keep_raw_vocab`` is accepted and ignored (:data:`GENSIM_IGNORED`)."""
        if update:
            raise NotImplementedError("vocabulary update (update=True) is not supported yet")
        words = list(word_freq)
        counts = np.fromiter((word_freq[w] for w in words), dtype=np.int64, count=len(words))
        vocab = Vocab.from_counts(words, counts, n_sentences=corpus_count or 0,
                                  min_count=self.min_count, max_final_vocab=self.max_final_vocab,
                                  trim_rule=trim_rule, sorted_vocab=bool(self.sorted_vocab))
        self.corpus_count = int(corpus_count or 0)
        self.corpus_total_words = int(counts.sum())
        self._set_vocab(vocab)
        return self

    def _set_vocab_params(self, min_count, sample):
        """Replace min_count and sample for this vocabulary, checked as in the constructor."""
        before = self.min_count, self.sample
        if min_count is not None:
            self.min_count = int(min_count)
        if sample is not None:
            self.sample = float(sample)
        try:
            self._validate_params()
        except ValueError:
            self.min_count, self.sample = before
            raise

    def _set_vocab(self, vocab):
        """Install a vocabulary: its sampling tables and fresh weights."""
        self.vocab = vocab
        self._cache = None
        n, d = len(vocab.index_to_key), self.vector_size
        _check_memory(n, d, 1 + bool(self.negative) + bool(self.hs))
        # word2vec.c initialization: inputs uniform in [-0.5/d, 0.5/d), outputs zero.
        rng = np.random.Generator(np.random.PCG64(self.seed))
        vectors = (rng.random((n, d), dtype=np.float32) - np.float32(0.5)) / np.float32(d)
        self.wv = KeyedVectors.from_arrays(vocab.index_to_key, vectors, counts=vocab.counts)
        self.syn1neg = np.zeros((n, d), dtype=np.float32) if self.negative else None
        self.syn1 = np.zeros((n, d), dtype=np.float32) if self.hs else None
        self._prepare_tables()

    def _prepare_tables(self):
        self._tables = SamplingTables.build(self.vocab, sample=self.sample, negative=self.negative,
                                            ns_exponent=self.ns_exponent, hs=self.hs)

    def _kernel_model(self, compute_loss):
        return Model(syn0=self.wv.vectors, syn1neg=self.syn1neg, syn1=self.syn1,
                     **self._tables.model_arrays(),
                     sg=self.sg, hs=self.hs, negative=self.negative, window=self.window,
                     cbow_mean=self.cbow_mean, shrink_windows=self.shrink_windows,
                     compute_loss=compute_loss, sigmoid=self.sigmoid,
                     shared_negatives=self.shared_negatives)

    # ---------------------------------------------------------------- training
    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=False, callbacks=(), progress=None,
              checkpoint=None, checkpoint_every=1, resume=False, client=None):
        """Train on a corpus; the learning rate decays linearly over all its epochs.

        As in gensim, the size of the corpus must be given (``total_examples``
        sentences or ``total_words`` words, usually ``model.corpus_count`` /
        ``model.corpus_total_words``) so that the schedule is right.
        ``word_count`` and ``report_delay`` are accepted and ignored
        (:data:`GENSIM_IGNORED` says why).

        ``progress``: an optional callable, called from the calling thread about
        every 0.5 s with a :class:`TrainingProgress` (progress bars, logging).

        ``checkpoint``: a directory where the whole model, with the position in
        the learning-rate schedule, is saved (atomically) after every
        ``checkpoint_every`` epochs. ``resume=True`` on a model loaded from such
        a checkpoint continues with the epoch after it, the schedule picking up
        where it stopped (the corpus and sizes must be the same as before).
        """
        if self.vocab is None:
            raise RuntimeError("build the vocabulary first (build_vocab) before training")
        if int(checkpoint_every) <= 0:
            raise ValueError(f"checkpoint_every must be > 0, got {checkpoint_every}")
        if resume:
            plan = self.training_state
            if plan is None:
                raise ValueError("resume=True, but this model holds no interrupted training "
                                 "(load it from a checkpoint written with checkpoint=...)")
        else:
            plan = TrainingPlan.fresh(
                self.vocab, epochs=self.epochs if epochs is None else int(epochs),
                start_alpha=self.alpha if start_alpha is None else start_alpha,
                end_alpha=self.min_alpha if end_alpha is None else end_alpha,
                total_examples=total_examples, total_words=total_words)
        self._writable_weights()
        corpus = self._corpus(corpus_iterable, corpus_file, self.max_sentence_length)
        if client is not None:      # data-parallel on a Dask cluster (w2v.distributed)
            if checkpoint is not None:
                raise NotImplementedError("checkpoints are not written when training on a cluster")
            from w2v import distributed
            self.train_count += 1
            return distributed.train(self, client, plan, corpus,
                                     compute_loss=bool(compute_loss or self.compute_loss),
                                     callbacks=tuple(callbacks) or self.callbacks,
                                     on_progress=progress)
        run = self._start_run(plan, corpus, compute_loss=bool(compute_loss or self.compute_loss),
                              callbacks=tuple(callbacks) or self.callbacks,
                              queue_factor=queue_factor, on_progress=progress)
        for cb in run.callbacks:
            _call(cb, "on_train_begin", self)
        self.running_training_loss = 0.0
        self.epoch_losses = []
        try:
            for epoch in range(plan.epoch, plan.epochs):
                self._train_epoch(run, epoch)
                if checkpoint is not None and (epoch + 1) % int(checkpoint_every) == 0 \
                        and epoch + 1 < plan.epochs:
                    self._save_checkpoint(run, epoch + 1, checkpoint)
            self.training_state = None
        finally:
            # also after Ctrl-C: the vectors stay as the kernels left them
            self.words_done += run.progress.words_done - plan.words_done
            self.wv.fill_norms(force=True)
        secs = time.perf_counter() - run.t_start
        logger.info("training on %d raw words (%d effective) took %.1fs, %.0f effective words/s",
                    run.raw_words, run.effective_words, secs,
                    run.effective_words / max(secs, 1e-9))
        for cb in run.callbacks:
            _call(cb, "on_train_end", self)
        return run.effective_words, run.raw_words

    def _start_run(self, plan, corpus, *, compute_loss, callbacks, queue_factor, on_progress):
        """The kernel model, the shared progress counter and one seeded worker per thread."""
        model = self._kernel_model(compute_loss)
        private = self.workers > 1 and self.sg
        workers = [Worker(model, seed=thread_seed(self.seed, self.train_count, i),
                          max_sentence_length=self.max_sentence_length,
                          private_rows=_PRIVATE_ROW_BYTES // (4 * self.vector_size) if private else 0,
                          private_nodes=_PRIVATE_NODES if private else 0)
                   for i in range(self.workers)]
        self.train_count += 1
        if len(plan.rng_states) == len(workers):     # resuming with as many threads
            for worker, rng_state in zip(workers, plan.rng_states):
                worker.rng_state = rng_state
        encoded = self._encoded(corpus) if corpus.paths else None
        if encoded is not None and len(workers) > 1 and not epoch_parallel():
            msg = (f"w2v was built without OpenMP: training on a corpus file runs on 1 thread, "
                   f"not workers={len(workers)} (reinstall with a compiler that supports "
                   f"OpenMP, e.g. gcc; see w2v.show_config())")
            warnings.warn(msg, RuntimeWarning, stacklevel=3)
            logger.warning(msg)
        progress = Progress(plan.schedule_words(self.vocab), plan.start_alpha, plan.end_alpha,
                            words_done=plan.words_done)
        return _Run(plan, progress, workers, corpus, encoded, queue_factor, compute_loss,
                    callbacks, on_progress, t_start=time.perf_counter())

    def _train_epoch(self, run, epoch):
        """Train epoch ``epoch`` (0-based): callbacks around it, the divergence
        check, the loss bookkeeping and the log line."""
        for cb in run.callbacks:
            _call(cb, "on_epoch_begin", self)
        loss_before = run.loss()
        t0 = time.perf_counter()
        try:
            if run.encoded is not None:
                raw, eff = self._run_epoch_cache(run.encoded, run.workers, run.progress,
                                                 run.reporter(epoch))
            else:
                raw, eff = self._run_epoch_iterable(run.corpus, run.workers, run.progress,
                                                    run.queue_factor, run.reporter(epoch))
        except FloatingPointError:
            if not run.progress.nonfinite:
                raise
        secs = time.perf_counter() - t0
        if run.progress.nonfinite:
            raise FloatingPointError(
                f"training diverged in epoch {epoch + 1}: non-finite values appeared "
                f"(alpha={run.plan.start_alpha} is probably too large); the vectors are not usable")
        epoch_loss = run.loss() - loss_before
        self.epoch_losses.append(epoch_loss)
        self.running_training_loss += epoch_loss
        run.raw_words += raw
        run.effective_words += eff
        logger.info("EPOCH %d: %d raw words (%d effective) in %.2fs, %.0f effective "
                    "words/s, alpha %.6f%s", epoch + 1, raw, eff, secs,
                    eff / max(secs, 1e-9), run.progress.alpha,
                    f", loss {epoch_loss:.6g}" if run.compute_loss else "")
        for cb in run.callbacks:
            _call(cb, "on_epoch_end", self)

    def _save_checkpoint(self, run, next_epoch, path):
        """Save the model with the position reached: resume=True starts at ``next_epoch``."""
        self.training_state = run.plan.at_epoch(next_epoch, run.progress.words_done,
                                                [w.rng_state for w in run.workers])
        self.save(path)
        logger.info("checkpoint after epoch %d written to %s", next_epoch, path)

    def _writable_weights(self):
        """Weights loaded with mmap='r' are read-only: train on an in-memory copy."""
        if not self.wv.vectors.flags.writeable:
            logger.info("copying memory-mapped read-only vectors into memory for training")
            self.wv.vectors = np.array(self.wv.vectors)
        for name in ("syn1neg", "syn1"):
            array = getattr(self, name)
            if array is not None and not array.flags.writeable:
                setattr(self, name, np.array(array))

    # ------------------------------------------------------------ persistence
    def save(self, path):
        """Save the whole model (vectors, output weights, vocabulary, parameters and
        training progress) to the directory ``path``, atomically, without pickle:
        arrays as .npy (memory-mappable), everything else as JSON."""
        if self.vocab is None:
            raise RuntimeError("nothing to save: build the vocabulary first")
        vocab = self.vocab
        meta = {
            "format": MODEL_FORMAT,
            "format_version": MODEL_VERSION,
            "params": {name: getattr(self, name) for name in _SAVED_PARAMS},
            "state": {
                "corpus_count": self.corpus_count,
                "corpus_total_words": self.corpus_total_words,
                "train_count": self.train_count,
                "words_done": self.words_done,
                "running_training_loss": self.running_training_loss,
                "epoch_losses": list(self.epoch_losses),
                "training_state": (None if self.training_state is None
                                   else self.training_state.to_json()),
            },
            "vocab": {name: getattr(vocab, name) for name in _SAVED_VOCAB_STATS},
        }
        with atomic_directory(path) as tmp:
            self.wv._save_files(tmp)
            for name in ("syn1neg", "syn1"):
                array = getattr(self, name)
                if array is not None:
                    np.save(os.path.join(tmp, name + ".npy"), array, allow_pickle=False)
            with open(os.path.join(tmp, _MODEL_FILE), "w", encoding="ascii") as f:
                json.dump(meta, f, ensure_ascii=True, indent=1)

    @classmethod
    def load(cls, path, mmap=None):
        """Load a model saved by :meth:`save`; ``mmap='r'`` memory-maps the arrays
        (read-only: training later works on a copy)."""
        path = os.fspath(path)
        meta_path = os.path.join(path, _MODEL_FILE)
        try:
            with open(meta_path, encoding="ascii") as f:
                meta = json.load(f)
        except FileNotFoundError:
            raise ValueError(f"{path} is not a saved w2v Word2Vec model (no {_MODEL_FILE}); "
                             f"pickled gensim models are not read") from None
        except (OSError, ValueError) as e:
            raise ValueError(f"{meta_path}: cannot read the model metadata: {e}") from e
        if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
            raise ValueError(f"{meta_path}: not a w2v Word2Vec model file")
        if meta.get("format_version") != MODEL_VERSION:
            raise ValueError(f"{meta_path}: format_version {meta.get('format_version')!r} is not "
                             f"supported (this w2v reads {MODEL_VERSION})")
        try:
            return cls._from_saved(path, meta, mmap)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as e:
            raise ValueError(f"{path}: damaged or incompatible model: "
                             f"{type(e).__name__}: {e}") from e

    @classmethod
    def _from_saved(cls, path, meta, mmap):
        params, state, stats = meta["params"], meta["state"], meta["vocab"]
        model = cls(**{name: params[name] for name in _SAVED_PARAMS})
        wv = KeyedVectors.load(path, mmap=mmap)
        if wv.vector_size != model.vector_size:
            raise ValueError(f"vectors have size {wv.vector_size}, the parameters say "
                             f"{model.vector_size}")
        counts = wv.expandos.get("count")
        if counts is None:
            raise ValueError("the word counts are missing")
        model.vocab = Vocab(wv.index_to_key, counts,
                            **{name: stats[name] for name in _SAVED_VOCAB_STATS})
        model.wv = wv
        for name, enabled in (("syn1neg", model.negative), ("syn1", model.hs)):
            if enabled:
                array = np.load(os.path.join(path, name + ".npy"), mmap_mode=mmap,
                                allow_pickle=False)
                if array.shape != wv.vectors.shape or array.dtype != np.float32:
                    raise ValueError(f"{name}.npy holds {array.dtype} {array.shape}, "
                                     f"expected float32 {wv.vectors.shape}")
                setattr(model, name, array)
        for name in ("corpus_count", "corpus_total_words", "train_count", "words_done"):
            setattr(model, name, _nonneg_int(name, state[name]))
        model.running_training_loss = float(state["running_training_loss"])
        model.epoch_losses = [float(x) for x in state["epoch_losses"]]
        if state["training_state"] is not None:
            model.training_state = TrainingPlan.from_json(state["training_state"])
        model._prepare_tables()
        return model

    def get_latest_training_loss(self):
        """Loss summed over the latest train() call (float64, per-thread sums)."""
        return self.running_training_loss

    # --- input path (a): encoded cache, chunks claimed by the workers themselves
    def _encoded(self, corpus):
        key = (tuple(corpus.paths), corpus.max_sentence_length,
               tuple((os.path.getsize(p), os.path.getmtime(p)) for p in corpus.paths))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        if self._cache_dir is None:
            self._cache_dir = tempfile.mkdtemp(prefix="w2v-cache-", dir=os.environ.get("W2V_CACHE_DIR"))
            weakref.finalize(self, shutil.rmtree, self._cache_dir, True)
        t0 = time.perf_counter()
        encoded = encode_file_corpus(corpus, self.vocab.index_to_key,
                                     os.path.join(self._cache_dir, "ids.i32"), workers=self.workers)
        logger.info("encoded %d tokens (%d sentences) into the id cache in %.2fs",
                    encoded.n_tokens, encoded.n_sentences, time.perf_counter() - t0)
        self._cache = (key, encoded)
        return encoded

    def _run_epoch_cache(self, cache, workers, progress, report):
        target = -(-len(cache.ids) // (_CHUNKS_PER_WORKER * len(workers)))
        target = min(_CHUNK_TOKENS, max(_MIN_CHUNK_TOKENS, target))
        bounds = _chunk_bounds(cache.ids, target, self.max_sentence_length)
        # Chunks are read with pread into per-thread buffers instead of slicing a
        # memory map of the whole cache: resident memory stays at workers x
        # chunk size, whatever the corpus size.
        with open(cache.path, "rb", buffering=0) as f:
            def work(all_workers):
                raw, eff, _ = train_epoch_file(all_workers, progress, f.fileno(), bounds,
                                               path=cache.path)
                return raw, eff
            # one OpenMP team for the epoch, started from a helper thread so that
            # this one keeps reporting progress and catching Ctrl-C
            return _run_threads(work, [workers], progress, report)

    # --- input path (b): one producer encodes batches into a bounded queue
    def _run_epoch_iterable(self, corpus, workers, progress, queue_factor, report):
        jobs = queue.Queue(maxsize=max(2, queue_factor * len(workers)))
        key_to_index = self.wv.key_to_index
        batch_words = self.batch_words
        producer_error = []

        def produce():
            try:
                batch, n = [], 0
                for sentence in corpus:
                    if progress.stopped:
                        break
                    batch.append(sentence)
                    n += len(sentence)
                    if n >= batch_words:
                        jobs.put(encode_sentences(batch, key_to_index))
                        batch, n = [], 0
                if batch and not progress.stopped:
                    jobs.put(encode_sentences(batch, key_to_index))
            except BaseException as exc:  # reported by the main thread
                producer_error.append(exc)
                progress.request_stop()
            finally:
                for _ in workers:
                    jobs.put(None)

        def work(worker):
            raw = eff = 0
            while True:
                ids = jobs.get()
                if ids is None:
                    break
                if progress.stopped:
                    continue
                r, e = worker.train(ids, progress)
                raw += r
                eff += e
            return raw, eff

        producer = threading.Thread(target=produce, name="w2v-producer", daemon=True)
        producer.start()
        try:
            result = _run_threads(work, workers, progress, report)
        finally:
            producer.join()
        if producer_error:
            raise producer_error[0]
        return result

    def __repr__(self):
        n = len(self.wv.index_to_key) if self.vocab is not None else 0
        return (f"Word2Vec<vocab={n}, vector_size={self.vector_size}, "
                f"{'sg' if self.sg else 'cbow'}, hs={self.hs}, negative={self.negative}, "
                f"window={self.window}, alpha={self.alpha}>")


class TrainingProgress(
        namedtuple("TrainingProgress", "words_done total_words alpha epoch epochs seconds loss")):
    """What a ``train(progress=...)`` callback receives: in-vocabulary words
    trained so far in this call and in total, the current learning rate, the
    epoch (1-based), wall seconds, and the loss so far (None unless computed)."""
    __slots__ = ()

    @property
    def fraction(self):
        return min(1.0, self.words_done / max(1, self.total_words))

    @property
    def words_per_sec(self):
        return self.words_done / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Run:
    """The moving parts of one train() call, shared by its epochs."""
    plan: TrainingPlan
    progress: Progress      # the kernels' shared word counter, learning rate and stop flags
    workers: list
    corpus: Corpus
    encoded: object         # the id cache of a file corpus (OpenMP epochs), else None
    queue_factor: int
    compute_loss: bool
    callbacks: tuple
    on_progress: object     # the caller's progress= callable, or None
    t_start: float
    raw_words: int = 0
    effective_words: int = 0

    def loss(self):
        return sum(w.loss for w in self.workers)

    def reporter(self, epoch):
        """What the waiting thread calls every ~0.5 s during ``epoch``, or None."""
        if self.on_progress is None:
            return None
        progress = self.progress
        return lambda: self.on_progress(TrainingProgress(
            progress.words_done, progress.total_words, progress.alpha, epoch + 1,
            self.plan.epochs, time.perf_counter() - self.t_start,
            self.loss() if self.compute_loss else None))


def _nonneg_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return value




def _physical_memory():
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_memory(n_words, dim, n_matrices):
    """Refuse up front a model that cannot fit in RAM, rather than letting the
    kernel's first writes into lazily committed pages get the process killed."""
    need = n_words * dim * 4 * n_matrices
    have = _physical_memory()
    if have is not None and need > have:
        raise MemoryError(
            f"the model needs {need / 2**30:.1f} GiB ({n_matrices} matrices of {n_words} words x "
            f"{dim} float32) but this machine has {have / 2**30:.1f} GiB of RAM: raise min_count, "
            f"set max_final_vocab, or lower vector_size")


def _call(callback, name, model):
    method = getattr(callback, name, None)
    if method is not None:
        method(model)


def _chunk_bounds(ids, target, max_sentence_length):
    """Offsets [0, ..., len(ids)] cutting an encoded stream into ~target-token
    chunks that end at sentence ends (chunk k is ids[bounds[k]:bounds[k+1]])."""
    n = len(ids)
    bounds = [0]
    while bounds[-1] < n:
        stop = bounds[-1] + target
        if stop < n:
            # a sentence holds at most max_sentence_length ids, so its end is near
            window = np.asarray(ids[stop:stop + max_sentence_length + 1])
            ends = np.flatnonzero(window == -1)
            stop += int(ends[0]) + 1 if len(ends) else len(window)
        bounds.append(min(n, stop))
    return np.array(bounds, dtype=np.int64)


def _run_threads(work, workers, progress, report=None, report_every=0.5):
    """Run work(item) on one thread per item of `workers` (a Worker each, or
    one list of them for an OpenMP epoch); Ctrl-C stops them all cleanly.

    The calling thread only waits: it calls report() every report_every seconds
    and turns KeyboardInterrupt into a stop request honoured between sentences."""
    results = [None] * len(workers)
    errors = []

    def target(i):
        try:
            results[i] = work(workers[i])
        except BaseException as exc:
            errors.append(exc)
            progress.request_stop()

    threads = [threading.Thread(target=target, args=(i,), name=f"w2v-worker-{i}", daemon=True)
               for i in range(len(workers))]
    try:
        for t in threads:
            t.start()
        last = time.monotonic()
        for t in threads:
            while t.is_alive():
                t.join(0.1)
                if report is not None and time.monotonic() - last >= report_every:
                    last = time.monotonic()
                    report()
    except KeyboardInterrupt:
        progress.request_stop()
        for t in threads:
            if t.ident is not None:     # started
                t.join()
        raise
    if errors:
        raise errors[0]
    if report is not None:
        report()
    raw = sum(r[0] for r in results if r)
    eff = sum(r[1] for r in results if r)
    return raw, eff
