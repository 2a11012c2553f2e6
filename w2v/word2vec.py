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
import errno
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
from dataclasses import dataclass, replace as _dc_replace

import numpy as np

from w2v import gensim_compat
from w2v._io import atomic_directory, check_free_space, read_directory, temporary_directory
from w2v._train import Model, Progress, Worker, epoch_parallel, train_epoch_file, weight_matrix
from w2v._vecmath import top_desc
from w2v.corpus import (MAX_WORKERS, Corpus, _phrase_list, check_fingerprint,
                        corpus_fingerprint, corpus_name, count_words, encode_file_corpus,
                        encode_sentences, fingerprint_mismatch, same_paths)
from w2v.formats import read_word2vec_header
from w2v.huffman import HuffmanTree
from w2v.keyedvectors import KeyedVectors
from w2v.phrases import FrozenPhrases
from w2v.remote import source_stamp
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
# ... but only the hot rows of a large vocabulary: at most 1/_PRIVATE_SHARE of
# the rows, none below _PRIVATE_MIN_VOCAB words.  A copy of the whole output
# layer of a small vocabulary (graph walks: a few hundred nodes) lets every
# thread train for 16Ki words on rows that take thousands of updates each from
# the others meanwhile: 4 workers lost a quarter of the NMI of DeepWalk
# vectors (issue 13, bench/RESULTS.md "Small vocabularies").
_PRIVATE_SHARE = 8
_PRIVATE_MIN_VOCAB = 1 << 13
# Several workers add the words they read to the shared counter (and take the
# learning rate from it) every this many words, one worker alone every 10k as
# word2vec.c (tests/reference.py).  With 10k each, a batch of 10k words trained
# with the rate of its start and the other workers' unreported words, so the
# rate lagged the schedule by up to workers x 10k words: on a small corpus the
# last batches trained at several times min_alpha (issue 13, CBOW).
_REPORT_WORDS = 10000
_REPORT_WORDS_SHARED = 1024


def _private_rows(vocab_size, workers, sg, vector_size):
    """(syn1neg rows, syn1 rows) each worker trains in its own copy."""
    if workers < 2 or not sg or vocab_size < _PRIVATE_MIN_VOCAB:
        return 0, 0
    cap = vocab_size // _PRIVATE_SHARE
    return min(_PRIVATE_ROW_BYTES // (4 * vector_size), cap), min(_PRIVATE_NODES, cap)

# Upper bounds of the integer parameters, checked before any work (and so also for
# the parameters read from a saved model.json).  Each fits the C type it is given to
# (int, int64) with room for the size arithmetic done on it, and is far beyond any
# useful value; README, "Parameter limits", lists them.
PARAM_LIMITS = {
    "vector_size": 1 << 20,           # C int; 4 MiB per row
    "window": 1 << 20,                # C int
    "negative": 1 << 20,              # C int; 2 x negative noise ids per thread
    "workers": MAX_WORKERS,           # threads: an OpenMP team or Python threads
    "max_sentence_length": 1 << 24,   # a buffer of this many int32 ids per thread
    "epochs": (1 << 31) - 1,
    "batch_words": (1 << 31) - 1,
    "min_count": (1 << 63) - 1,       # compared with int64 counts
    "max_vocab_size": (1 << 63) - 1,
    "max_final_vocab": (1 << 63) - 1,
    "seed": (1 << 64) - 1,            # a PCG64 seed and the threads' uint64 seeds
}
_LIMIT_REASONS = {
    "workers": "each thread has its own buffers; more threads than cores only slow training",
    "max_sentence_length": "each thread holds a buffer of max_sentence_length word ids; "
                           "longer lines are split into sentences of this length anyway",
}

MODEL_FORMAT = "w2v.Word2Vec"
MODEL_VERSION = 1
_MODEL_FILE = "model.json"
_LOCKF_FILE = "vectors_lockf.npy"
# A Huffman tree not built from the counts (a converted gensim model's): HuffmanTree's fields
_TREE_FILES = ("huffman_codes.npy", "huffman_points.npy", "huffman_offsets.npy")
# Constructor arguments stored in model.json (callbacks and trim_rule are code: not saved).
_SAVED_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample",
                 "seed", "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent",
                 "cbow_mean", "epochs", "sorted_vocab", "batch_words", "compute_loss",
                 "max_final_vocab", "shrink_windows", "max_sentence_length", "sigmoid",
                 "shared_negatives", "max_vocab_rule")
# Parameters added after format_version 1 was fixed: their value when model.json lacks them
_PARAM_DEFAULTS = {"max_vocab_rule": "word2vec"}
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


class NoVocabularyError(RuntimeError, ValueError):
    """Training or scoring before the vocabulary is built.  gensim raises RuntimeError
    there; this is both, so either ``except`` clause catches it."""


class Word2Vec:
    """Train word vectors with skip-gram or CBOW (Mikolov et al. 2013).

    The constructor takes gensim 4's arguments; when a corpus is given it
    builds the vocabulary and trains right away, as gensim does.  Extra
    arguments: ``max_sentence_length`` (longer sentences are split, never
    truncated), ``sigmoid`` ("table" or "exact") and ``shared_negatives``
    (skip-gram negative sampling with one set of noise words per window, as
    small dense matrix products: Ji et al. 2016), ``cache_dir`` (the folder
    for the id cache of a corpus file, default ``$W2V_CACHE_DIR``, else the
    system's temporary folder; not saved with the model) and ``max_vocab_rule``: how
    ``max_vocab_size`` prunes the scan.  "word2vec" (the default: word2vec.c's rule,
    in C, on ``workers`` threads) drops the words counted ``<= min_reduce`` times
    before a new word would overflow the table; "gensim" (gensim's counts exactly,
    in Python on one thread) drops those counted ``< min_reduce`` times after each
    sentence that overflows it, its first round dropping nothing.  The default keeps
    the table within ``max_vocab_size`` at every moment, gensim's lets one sentence
    overshoot it.

    ``phrases``: a :class:`w2v.phrases.FrozenPhrases` (or a list of them, applied
    in order) joined into the corpus while it is scanned and encoded, so the
    model trains on ``new_york`` without a phrased copy of the corpus on disk
    (``build_vocab``, ``scan_vocab`` and ``train`` take ``phrases=`` too, replacing
    the model's).  They are saved with the model (``phrases0/``... beside
    model.json) and applied again when a loaded model trains.

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
                 max_sentence_length=10000, sigmoid="table", shared_negatives=False,
                 max_vocab_rule="word2vec", phrases=None, cache_dir=None, client=None):
        self.vector_size = _int_param("vector_size", vector_size)
        self.alpha = _float_param("alpha", alpha)
        self.min_alpha = _float_param("min_alpha", min_alpha)
        self.window = _int_param("window", window)
        self.min_count = _int_param("min_count", min_count)
        self.max_vocab_size = max_vocab_size
        self.max_final_vocab = max_final_vocab
        self.sample = _float_param("sample", sample)
        self.seed = _int_param("seed", seed)
        self.workers = _int_param("workers", workers)
        self.sg = int(bool(sg))
        self.hs = int(bool(hs))
        self.negative = _int_param("negative", negative)
        self.ns_exponent = _float_param("ns_exponent", ns_exponent)
        self.cbow_mean = int(bool(cbow_mean))
        self.epochs = _int_param("epochs", epochs)
        self.sorted_vocab = int(bool(sorted_vocab))
        self.batch_words = _int_param("batch_words", batch_words)
        self.compute_loss = bool(compute_loss)
        self.callbacks = tuple(callbacks)
        self.shrink_windows = bool(shrink_windows)
        self.max_sentence_length = _int_param("max_sentence_length", max_sentence_length)
        self.sigmoid = sigmoid
        self.shared_negatives = bool(shared_negatives)
        self.max_vocab_rule = max_vocab_rule
        self.phrases = _phrase_list(phrases)
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
        self._huffman_tree = None     # a Huffman tree read from a file (gensim's), else None:
                                      # built from the counts
        # where the id cache's scratch folder goes (None: W2V_CACHE_DIR, else the system's
        # temporary folder); a property of this machine, not saved with the model
        self.cache_dir = None if cache_dir is None else os.fspath(cache_dir)
        self.corpus_fingerprint = None  # the files the vocabulary was built from (corpus.py)

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
        """Every parameter in its range (:data:`PARAM_LIMITS` for the upper bounds), before
        any long work: a ValueError naming the parameter and the bound."""
        def need(cond, msg):
            if not cond:
                raise ValueError(msg)
        for name, high in PARAM_LIMITS.items():
            value = getattr(self, name)
            if value is not None and _int_param(name, value) > high:
                raise ValueError(f"{name} must be <= {high:,}, got {value:,}"
                                 + (f" ({_LIMIT_REASONS[name]})" if name in _LIMIT_REASONS else ""))
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
        need(self.min_count >= 0, f"min_count must be >= 0, got {self.min_count}")
        need(self.seed >= 0, f"seed must be >= 0, got {self.seed}")
        need(np.isfinite(self.ns_exponent), f"ns_exponent must be finite, got {self.ns_exponent}")
        need(self.batch_words > 0, f"batch_words must be > 0, got {self.batch_words}")
        need(self.max_sentence_length > 0,
             f"max_sentence_length must be > 0, got {self.max_sentence_length}")
        need(self.max_vocab_size is None or int(self.max_vocab_size) > 0,
             f"max_vocab_size must be None or > 0, got {self.max_vocab_size}")
        need(self.max_final_vocab is None or int(self.max_final_vocab) > 0,
             f"max_final_vocab must be None or > 0, got {self.max_final_vocab}")
        need(self.max_vocab_rule in ("word2vec", "gensim"),
             f"max_vocab_rule must be 'word2vec' or 'gensim', got {self.max_vocab_rule!r}")
        need(self.sigmoid in ("table", "exact"), f"sigmoid must be 'table' or 'exact', got {self.sigmoid!r}")
        need(not self.shared_negatives or (self.sg and self.negative and not self.hs),
             "shared_negatives=True needs skip-gram with negative sampling only (sg=1, negative > 0, hs=0)")

    @staticmethod
    def _corpus(corpus_iterable, corpus_file, max_sentence_length, phrases=()):
        if corpus_iterable is not None and corpus_file is not None:
            raise ValueError("give either corpus_iterable (sentences) or corpus_file, not both")
        if corpus_iterable is None and corpus_file is None:
            raise ValueError("no corpus: give corpus_iterable (sentences) or corpus_file")
        if isinstance(corpus_iterable, Corpus):
            if corpus_iterable.phrases or not phrases:
                return corpus_iterable
            return Corpus(corpus_iterable, corpus_iterable.max_sentence_length,
                          corpus_iterable.block_size, phrases=phrases)
        if isinstance(corpus_iterable, (list, tuple)) and corpus_iterable \
                and isinstance(corpus_iterable[0], (str, bytes)):
            raise TypeError(
                f"corpus_iterable (sentences) must be an iterable of token lists, e.g. "
                f"[['first', 'sentence'], ['second', 'one']], but its first item is the string "
                f"{corpus_iterable[0][:40]!r}; split each sentence into tokens, or pass file "
                f"names as corpus_file=")
        source = corpus_file if corpus_file is not None else corpus_iterable
        return Corpus(source, max_sentence_length=max_sentence_length, phrases=phrases)

    # -------------------------------------------------------------- vocabulary
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, min_count=None, sample=None,
                    dry_run=False, phrases=None, client=None):
        """Scan the corpus, build the vocabulary and (re)initialize the weights.

        ``min_count`` and ``sample``, when not None, replace the model's (gensim's
        ``prepare_vocab`` arguments, which gensim's build_vocab passes on; gensim
        also reads a 0 as "the model's", w2v takes it as given).
        ``progress_per`` and ``keep_raw_vocab`` are accepted and ignored: the scan
        logs once, at its end, and the raw counts are dropped once the vocabulary
        is built either way (:data:`GENSIM_IGNORED`).  ``dry_run=True`` is not
        supported (NotImplementedError).

        ``update=True`` grows the trained model's vocabulary with a new corpus, as
        gensim 4 does (:meth:`w2v.vocab.Vocab.updated`): the rules judge the new
        counts alone, kept new words are appended, known words' counts grow, their
        rows are kept, the new rows are initialised like the first ones, and the
        sampling tables (Huffman tree included) are rebuilt from the summed counts.
        ``corpus_count``/``corpus_total_words`` then describe the new corpus only,
        the one that ``train`` is called with next.
        """
        if dry_run:
            raise NotImplementedError("dry_run=True is not supported: build_vocab always "
                                      "builds the vocabulary")
        if update:
            self._require_vocab_for_update()
        self._set_vocab_params(min_count, sample)
        self._set_phrases(phrases)
        corpus = self._corpus(corpus_iterable, corpus_file, self.max_sentence_length, self.phrases)
        trim_rule = trim_rule if trim_rule is not None else getattr(self, "_trim_rule", None)
        if update or (self.max_vocab_rule == "gensim" and self.max_vocab_size):
            self.scan_vocab(corpus, trim_rule=trim_rule)
            self.prepare_vocab(update=update, trim_rule=trim_rule)
            return self
        t0 = time.perf_counter()
        fingerprint = corpus_fingerprint(corpus)
        rules = dict(
            max_vocab_size=self.max_vocab_size,
            min_count=self.min_count, max_final_vocab=self.max_final_vocab,
            trim_rule=trim_rule, sorted_vocab=bool(self.sorted_vocab))
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
        if fingerprint is not None:
            fingerprint["words"] = vocab.raw_words
        self.corpus_fingerprint = fingerprint
        self._set_vocab(vocab)
        return self

    def _set_phrases(self, phrases):
        if phrases is not None:
            self.phrases = _phrase_list(phrases)

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None,
                              trim_rule=None, update=False):
        """Build the vocabulary from a ``{word: count}`` mapping (gensim's name),
        e.g. a word2vec.c vocabulary file read with :meth:`w2v.vocab.Vocab.load`.
        ``keep_raw_vocab`` is accepted and ignored (:data:`GENSIM_IGNORED`).
        ``update=True`` grows the vocabulary as :meth:`build_vocab` does."""
        words = list(word_freq)
        counts = np.fromiter((word_freq[w] for w in words), dtype=np.int64, count=len(words))
        if update:
            self._require_vocab_for_update()
            self.corpus_count = int(corpus_count or 0)
            self.corpus_total_words = int(counts.sum())
            self._update_vocab(words, counts, int(counts.sum()), self.corpus_count, trim_rule)
            return self
        vocab = Vocab.from_counts(words, counts, n_sentences=corpus_count or 0,
                                  min_count=self.min_count, max_final_vocab=self.max_final_vocab,
                                  trim_rule=trim_rule, sorted_vocab=bool(self.sorted_vocab))
        self.corpus_count = int(corpus_count or 0)
        self.corpus_total_words = int(counts.sum())
        self.corpus_fingerprint = None
        self._set_vocab(vocab)
        return self

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None,
                   trim_rule=None, phrases=None):
        """gensim's first build_vocab step: count the words into ``raw_vocab``
        (``{word: count}``, editable before :meth:`prepare_vocab`); returns
        ``(total_words, corpus_count)``.  ``progress_per`` is ignored and ``trim_rule``
        applies in prepare_vocab, and in the scan's pruning with ``max_vocab_rule="gensim"``."""
        self._set_phrases(phrases)
        corpus = self._corpus(corpus_iterable, corpus_file, self.max_sentence_length, self.phrases)
        fingerprint = corpus_fingerprint(corpus)
        if self.max_vocab_rule == "gensim" and self.max_vocab_size:
            trim = trim_rule if trim_rule is not None else getattr(self, "_trim_rule", None)
            scan = gensim_compat.count_words_gensim(corpus, self.max_vocab_size, trim)
        else:
            scan = count_words(corpus, workers=workers or self.workers,
                               max_vocab_size=self.max_vocab_size)
        self.raw_vocab = dict(zip(scan.words, scan.counts.tolist()))
        # prepare_vocab reads the words from raw_vocab: keep only the totals here, so
        # the words go with raw_vocab once the vocabulary is built
        self._raw_scan = _dc_replace(scan, words=[], counts=np.empty(0, np.int64))
        if fingerprint is not None:
            fingerprint["words"] = scan.total_words
        self._raw_fingerprint = fingerprint
        return scan.total_words, scan.n_sentences

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None, min_count=None,
                      sample=None, dry_run=False):
        """gensim's second build_vocab step: apply min_count / max_final_vocab /
        trim_rule to ``raw_vocab`` and install the vocabulary (with fresh weights).
        As gensim, a ``min_count`` or ``sample`` of None or 0 means the model's.
        Returns gensim's report: drop_unique, retain_total, downsample_unique,
        downsample_total, num_retained_words.  ``dry_run=True`` only reports.
        ``update=True`` grows the existing vocabulary instead (:meth:`build_vocab`),
        its weights with it."""
        scan = getattr(self, "_raw_scan", None)
        if scan is None:
            raise NoVocabularyError("no raw vocabulary: call scan_vocab first")
        words = list(self.raw_vocab)
        counts = np.fromiter((self.raw_vocab[w] for w in words), dtype=np.int64, count=len(words))
        min_count = min_count or self.min_count
        sample = sample or self.sample
        trim_rule = trim_rule if trim_rule is not None else getattr(self, "_trim_rule", None)
        if update:
            self._require_vocab_for_update()
            if dry_run:
                raise NotImplementedError("dry_run=True with update=True is not supported")
            self._set_vocab_params(min_count, sample)
            self.corpus_count = scan.n_sentences
            self.corpus_total_words = scan.total_words
            self.corpus_fingerprint = getattr(self, "_raw_fingerprint", None)  # train() reads it next
            report = self._update_vocab(words, counts, scan.total_words, scan.n_sentences,
                                        trim_rule)
            if not keep_raw_vocab:
                self.raw_vocab = {}
            return report
        vocab = Vocab.from_counts(
            words, counts, total_words=max(scan.total_words, int(counts.sum())),
            n_sentences=scan.n_sentences, pruned_words=scan.pruned_words,
            pruned_count=scan.pruned_count, min_count=min_count,
            max_final_vocab=self.max_final_vocab, trim_rule=trim_rule,
            sorted_vocab=bool(self.sorted_vocab))
        report = _vocab_report(vocab.discarded_words, vocab.counts, sample)
        if dry_run:
            return report
        self._set_vocab_params(min_count, sample)
        self.corpus_count = scan.n_sentences
        self.corpus_total_words = scan.total_words
        self.corpus_fingerprint = getattr(self, "_raw_fingerprint", None)
        self._set_vocab(vocab)
        if not keep_raw_vocab:
            self.raw_vocab = {}
        return report

    def prepare_weights(self, update=False):
        """gensim's third build_vocab step: fresh weights for the vocabulary (seeded by
        ``seed``, so calling it again gives the same initial vectors).  With
        ``update=True`` there is nothing left to do: ``prepare_vocab(update=True)``
        grew the weights with the vocabulary."""
        if self.vocab is None:
            raise NoVocabularyError("build the vocabulary first")
        if not update:
            self._set_vocab(self.vocab)

    init_weights = prepare_weights

    @property
    def effective_min_count(self):
        """The min_count the vocabulary was built with, raised by max_final_vocab (gensim's
        name); None before a vocabulary is built."""
        return None if self.vocab is None else self.vocab.effective_min_count

    def reset_from(self, other_model):
        """gensim's reset_from: take the vocabulary (words, counts, corpus size) of
        ``other_model`` and start from fresh weights; the parameters stay this model's."""
        self.corpus_count = other_model.corpus_count
        self.corpus_total_words = other_model.corpus_total_words
        self.corpus_fingerprint = other_model.corpus_fingerprint
        self._set_vocab(other_model.vocab)

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
        self.training_state = None
        n, d = len(vocab.index_to_key), self.vector_size
        self._check_memory(n)
        vectors = weight_matrix(n, d)
        self._initial_rows(0, n, out=vectors)
        self.wv = KeyedVectors.from_arrays(vocab.index_to_key, vectors, counts=vocab.counts)
        self.wv.vectors_lockf = np.ones(1, dtype=np.float32)    # gensim's "no lock" default
        self.syn1neg = weight_matrix(n, d) if self.negative else None
        self.syn1 = weight_matrix(n, d) if self.hs else None
        self._huffman_tree = None
        self._prepare_tables()

    def _set_loaded_tree(self, tree):
        """Use the Huffman tree ``tree`` (whose inner nodes index the rows of a loaded
        syn1; None: build it from the counts) and prepare the sampling tables."""
        self._huffman_tree = tree
        self._prepare_tables()

    def _initial_rows(self, start, stop, out):
        """word2vec.c initialization of input rows start..stop-1 into ``out`` (stop -
        start rows): uniform in [-0.5/d, 0.5/d).  The first vocabulary draws its rows
        from PCG64(seed); the rows a vocabulary update adds come from
        PCG64([seed, start]), a stream of their own (outputs start at zero).  Drawn
        in blocks of rows, the same values as one draw of the whole matrix, with no
        temporary as large as it."""
        d = self.vector_size
        bits = np.random.PCG64(self.seed if start == 0 else [self.seed, start])
        generator = np.random.Generator(bits)
        block = max(1, (1 << 20) // d)
        for i in range(0, stop - start, block):
            rows = generator.random((min(block, stop - start - i), d), dtype=np.float32)
            rows -= np.float32(0.5)
            rows /= np.float32(d)
            out[i:i + len(rows)] = rows

    def _check_memory(self, n_words):
        """Refuse (MemoryError) a vocabulary of n_words that cannot be trained in the memory
        available now (:func:`_check_memory`)."""
        _check_memory(n_words, self.vector_size, 1 + bool(self.negative) + bool(self.hs),
                      workers=self.workers, max_sentence_length=self.max_sentence_length,
                      hs=self.hs, sg=self.sg)

    def _require_vocab_for_update(self):
        if self.vocab is None:
            raise RuntimeError("cannot update a vocabulary that was never built: call "
                               "build_vocab() first (update=True adds to an existing one)")

    def _update_vocab(self, words, counts, total_words, n_sentences, trim_rule):
        """Grow the vocabulary by one scan (build_vocab(update=True)): known rows kept,
        new rows appended, tables rebuilt (the Huffman tree from the counts, also when
        the model's came from a gensim file).  Returns gensim's prepare_vocab report."""
        vocab, keep = self.vocab.updated(words, counts, total_words=total_words,
                                         n_sentences=n_sentences, min_count=self.min_count,
                                         max_final_vocab=self.max_final_vocab,
                                         trim_rule=trim_rule)
        old_n, n, d = len(self.vocab), len(vocab), self.vector_size
        added = n - old_n
        self._check_memory(n)
        vectors = weight_matrix(n, d)
        vectors[:old_n] = self.wv.vectors
        self._initial_rows(old_n, n, out=vectors[old_n:])
        wv = KeyedVectors.from_arrays(vocab.index_to_key, vectors)
        for name, values in self.wv.expandos.items():
            if name not in HuffmanPaths.NAMES:      # remade from the new tree on first use
                wv.expandos[name] = np.concatenate([values, np.zeros(added, dtype=values.dtype)])
        wv.expandos["count"] = vocab.counts.copy()
        lockf = getattr(self.wv, "vectors_lockf", None)
        if lockf is not None and np.size(lockf) == old_n and old_n != 1:
            lockf = np.concatenate([lockf, np.ones(n - old_n, dtype=np.float32)])
        wv.vectors_lockf = lockf if lockf is not None else np.ones(1, dtype=np.float32)
        for name in ("syn1neg", "syn1"):
            array = getattr(self, name)
            if array is not None:
                grown = weight_matrix(n, d)
                grown[:old_n] = array
                setattr(self, name, grown)
        self.wv = wv
        self.vocab = vocab
        self._cache = None
        self.training_state = None
        self._huffman_tree = None
        self._prepare_tables()
        logger.info("vocabulary update: %d new words (now %d), counts of known words increased; "
                    "new corpus: %d words, %d sentences", added, n, total_words, n_sentences)
        return _vocab_report(int(np.count_nonzero(~keep)), counts[keep], self.sample)

    def _prepare_tables(self):
        tree = self._huffman_tree if self.hs else None
        self._tables = SamplingTables.build(self.vocab, sample=self.sample, negative=self.negative,
                                            ns_exponent=self.ns_exponent,
                                            hs=self.hs and tree is None)
        if tree is not None:
            self._tables = self._tables._replace(huffman=tree)
        expandos = {k: v for k, v in self.wv.expandos.items() if k not in HuffmanPaths.NAMES}
        self.wv.expandos = HuffmanPaths(expandos, self._tables.huffman) if self.hs else expandos

    def _lockf(self):
        """``wv.vectors_lockf`` as the kernels take it: None when every factor is 1
        (then the kernels run exactly as without), else float32 [V]."""
        lockf = getattr(self.wv, "vectors_lockf", None)
        if lockf is None:
            return None
        lockf = np.asarray(lockf, dtype=np.float32).reshape(-1)
        n = len(self.wv.vectors)
        if lockf.size == 1:       # gensim's default: one factor for every word
            lockf = np.full(n, lockf[0], dtype=np.float32)
        if lockf.shape != (n,):
            raise ValueError(f"wv.vectors_lockf holds {lockf.size} values: expected 1 or one "
                             f"per word ({n})")
        return None if np.all(lockf == 1) else np.ascontiguousarray(lockf)

    def _kernel_model(self, compute_loss):
        self._uniform_rows()
        return Model(syn0=self.wv.vectors, syn1neg=self.syn1neg, syn1=self.syn1,
                     **self._tables.model_arrays(), lockf=self._lockf(),
                     sg=self.sg, hs=self.hs, negative=self.negative, window=self.window,
                     cbow_mean=self.cbow_mean, shrink_windows=self.shrink_windows,
                     compute_loss=compute_loss, sigmoid=self.sigmoid,
                     shared_negatives=self.shared_negatives)

    # ---------------------------------------------------------------- training
    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=False, callbacks=(), progress=None,
              checkpoint=None, checkpoint_every=1, resume=False, phrases=None, client=None,
              sync=None):
        """Train on a corpus; the learning rate decays linearly over all its epochs.

        As in gensim, the size of the corpus must be given (``total_examples``
        sentences or ``total_words`` words, usually ``model.corpus_count`` /
        ``model.corpus_total_words``) so that the schedule is right, and so must
        ``epochs`` (usually ``model.epochs``; ValueError without it, except with
        ``resume=True``).  Training before ``build_vocab`` raises
        :class:`NoVocabularyError` (a RuntimeError, as gensim's, and a ValueError).
        ``word_count`` and ``report_delay`` are accepted and ignored
        (:data:`GENSIM_IGNORED` says why).

        ``progress``: an optional callable, called from the calling thread about
        every 0.5 s with a :class:`TrainingProgress` (progress bars, logging).

        ``checkpoint``: a directory where the whole model, with the position in
        the learning-rate schedule, is saved (atomically) after every
        ``checkpoint_every`` epochs. ``resume=True`` on a model loaded from such
        a checkpoint continues with the epoch after it, the schedule picking up
        where it stopped (the corpus and sizes must be the same as before).
        A checkpoint path that cannot be used (its folder missing or not writable,
        a file in the way, a folder holding something other than a w2v model) is
        refused before training starts.  A checkpoint that fails to be written
        during the run (disk full, I/O error) does not stop training: a
        RuntimeWarning names the path and the error, the directory keeps the
        previous checkpoint intact (saves are atomic), and the next checkpoint is
        tried as planned.

        Corpus files that changed since ``build_vocab`` (size, first or last 64
        KiB, word count) raise ValueError naming both, as does another corpus when
        resuming; other files than the vocabulary's train, as in gensim, with a
        warning that names both (the schedule follows the totals given).  An
        iterable corpus cannot be checked; as gensim, w2v warns when an epoch
        reads another number of words than the schedule expects.

        ``client``: a ``dask.distributed.Client``: train data-parallel on its
        worker processes (``corpus_file`` only; ``workers`` threads in each), see
        :mod:`w2v.distributed`.  ``sync``: how their replicas are merged there, a
        :class:`w2v.distributed.DistributedOptions` (round length, tiers, merge
        rule, wire type); None: its defaults.
        """
        if self.vocab is None:
            raise NoVocabularyError("you must first build the vocabulary (build_vocab) "
                                    "before training the model")
        if epochs is None and not resume:
            raise ValueError("You must specify an explicit epochs count. The usual value is "
                             "epochs=model.epochs.")
        if int(checkpoint_every) <= 0:
            raise ValueError(f"checkpoint_every must be > 0, got {checkpoint_every}")
        if sync is not None and client is None:
            raise ValueError("sync= sets how a cluster merges its replicas: it needs client=")
        if resume:
            plan = self.training_state
            if plan is None:
                raise ValueError("resume=True, but this model holds no interrupted training "
                                 "(load it from a checkpoint written with checkpoint=...)")
        else:
            if total_words is None and total_examples is not None and self.corpus_count > 0:
                # sentences -> raw words at the last scanned corpus's rate (after a vocabulary
                # update the vocabulary's own totals cover every corpus scanned so far)
                total_words = self.corpus_total_words * total_examples / self.corpus_count
            plan = TrainingPlan.fresh(
                self.vocab, epochs=int(epochs),
                start_alpha=self.alpha if start_alpha is None else start_alpha,
                end_alpha=self.min_alpha if end_alpha is None else end_alpha,
                total_examples=total_examples, total_words=total_words)
        if checkpoint is not None:
            _check_checkpoint_path(checkpoint)
        self._writable_weights()
        self._set_phrases(phrases)
        corpus = self._corpus(corpus_iterable, corpus_file, self.max_sentence_length, self.phrases)
        own_corpus = self._check_corpus(corpus, resume)
        if client is not None:      # data-parallel on a Dask cluster (w2v.distributed)
            from w2v import distributed
            self.train_count += 1
            return distributed.train(self, client, plan, corpus,
                                     compute_loss=bool(compute_loss or self.compute_loss),
                                     callbacks=tuple(callbacks) or self.callbacks,
                                     on_progress=progress, checkpoint=checkpoint,
                                     checkpoint_every=checkpoint_every, options=sync)
        run = self._start_run(plan, corpus, own_corpus,
                              compute_loss=bool(compute_loss or self.compute_loss),
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

    def _start_run(self, plan, corpus, own_corpus, *, compute_loss, callbacks, queue_factor,
                   on_progress):
        """The kernel model, the shared progress counter and one seeded worker per thread."""
        model = self._kernel_model(compute_loss)
        rows, nodes = _private_rows(len(self.wv.index_to_key), self.workers, self.sg,
                                    self.vector_size)
        report = _REPORT_WORDS if self.workers == 1 else _REPORT_WORDS_SHARED
        workers = [Worker(model, seed=thread_seed(self.seed, self.train_count, i),
                          max_sentence_length=self.max_sentence_length, report_every=report,
                          private_rows=rows, private_nodes=nodes)
                   for i in range(self.workers)]
        self.train_count += 1
        if len(plan.rng_states) == len(workers):     # resuming with as many threads
            for worker, rng_state in zip(workers, plan.rng_states):
                worker.rng_state = rng_state
        encoded = self._encoded(corpus) if corpus.paths else None
        recorded = self.corpus_fingerprint
        if own_corpus and encoded is not None and recorded["words"] is not None \
                and encoded.raw_tokens != recorded["words"]:
            raise ValueError(f"the corpus {corpus_name(corpus)} now holds {encoded.raw_tokens:,} "
                             f"words, the vocabulary was built from {recorded['words']:,}: it "
                             f"changed since build_vocab; build the vocabulary again")
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
                words_read = run.encoded.raw_tokens
            else:
                raw, eff, words_read = self._run_epoch_iterable(
                    run.corpus, run.workers, run.progress, run.queue_factor, run.reporter(epoch))
        except FloatingPointError:
            if not run.progress.nonfinite:
                raise
        secs = time.perf_counter() - t0
        if run.progress.nonfinite:
            raise FloatingPointError(
                f"training diverged in epoch {epoch + 1}: non-finite values appeared "
                f"(alpha={run.plan.start_alpha} is probably too large); the vectors are not usable")
        self._check_epoch_words(run, epoch, words_read)
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

    def _check_corpus(self, corpus, resume):
        """True when the corpus files are those the vocabulary was built from.  Files
        that changed since (the same paths) are refused, and so is any other corpus when
        resuming; other files are gensim's legitimate case (a vocabulary built on a larger
        corpus, training on a part of it, the schedule following the total given): a
        warning names both."""
        recorded = self.corpus_fingerprint
        if recorded is None or corpus.paths is None:
            # a vocabulary from an iterable, word counts or an old save; or an iterable
            return False
        current = corpus_fingerprint(corpus)
        problem = fingerprint_mismatch(recorded, current)
        if problem is None:
            return True
        if resume or same_paths(recorded, current):
            raise ValueError(f"{problem}: training on it would not follow the vocabulary and "
                             f"its learning-rate schedule; build the vocabulary on it first")
        msg = (f"{problem}: training on it as told, the learning rate following the "
               f"total_words / total_examples given")
        warnings.warn(msg, UserWarning, stacklevel=3)
        logger.warning(msg)
        return False

    def _check_epoch_words(self, run, epoch, words_read):
        """gensim's warning when an epoch read another number of words (all tokens) than
        train() was told (another corpus than the vocabulary's, or a wrong total_words /
        total_examples): the learning rate then does not end at end_alpha.  Once per call."""
        expected = run.plan.total_words
        if run.progress.stopped or run.warned_words or \
                abs(words_read - expected) <= max(0.5, 1e-9 * expected):
            return
        run.warned_words = True
        msg = (f"EPOCH {epoch + 1}: read {words_read:,} words, but train() was told "
               f"{expected:,.0f} per epoch (total_words / total_examples): the learning rate "
               f"will not end at {run.plan.end_alpha}; is the corpus the one the vocabulary "
               f"was built from?")
        warnings.warn(msg, RuntimeWarning, stacklevel=4)
        logger.warning(msg)

    def _save_checkpoint(self, run, next_epoch, path):
        """Save the model with the position reached: resume=True starts at ``next_epoch``."""
        state = run.plan.at_epoch(next_epoch, run.progress.words_done,
                                  [w.rng_state for w in run.workers])
        if self._write_checkpoint(state, next_epoch, path, run.checkpointed, run.plan.words_done):
            run.checkpointed = next_epoch

    def _write_checkpoint(self, state, next_epoch, path, last_written, run_start):
        """Save the model with ``training_state`` = ``state`` and ``words_done``
        counting this run's words so far (``run_start``: the schedule's word count
        when this train() began); False (and a warning) when the save fails.
        ``last_written``: the epoch of the run's last checkpoint, or 0."""
        words_done = self.words_done
        self.training_state = state
        self.words_done += state.words_done - run_start
        try:
            self.save(path)
        except OSError as e:
            # A long run is worth more than one checkpoint: go on, say so (README,
            # "What happens when things go wrong").
            kept = (f"it still holds the checkpoint after epoch {last_written}"
                    if last_written else "it holds no checkpoint of this run")
            warnings.warn(f"the checkpoint after epoch {next_epoch} could not be written to "
                          f"{os.fspath(path)} ({_os_error_text(e)}); training continues and "
                          f"{kept}", RuntimeWarning, stacklevel=5)
            return False
        finally:
            self.words_done = words_done      # train() adds the run's words at its end
        logger.info("checkpoint after epoch %d written to %s", next_epoch, path)
        return True

    def _writable_weights(self):
        """Weights loaded with mmap='r' are read-only: train on an in-memory copy."""
        if not self.wv.vectors.flags.writeable:
            logger.info("copying memory-mapped read-only vectors into memory for training")
        self._lay_out_weights(lambda a: not a.flags.writeable)

    def _lay_out_weights(self, picks=lambda a: True):
        """Copy the weight matrices that ``picks`` selects into the kernels' row layout
        (:func:`w2v._train.weight_matrix`)."""
        if picks(self.wv.vectors):
            self.wv.vectors = weight_matrix(*self.wv.vectors.shape, like=self.wv.vectors)
        for name in ("syn1neg", "syn1"):
            array = getattr(self, name)
            if array is not None and picks(array):
                setattr(self, name, weight_matrix(*array.shape, like=array))

    def _uniform_rows(self):
        """The kernels take one row stride for all the weights: when they differ (a
        C-contiguous ``wv.vectors`` assigned over the padded one, say), all of them
        are copied into the kernels' layout (:func:`w2v._train.weight_matrix`)."""
        arrays = {"vectors": self.wv.vectors, "syn1neg": self.syn1neg, "syn1": self.syn1}
        strides = {a.strides for a in arrays.values()
                   if isinstance(a, np.ndarray) and a.ndim == 2 and len(a) > 1}
        if len(strides) > 1:
            logger.info("copying the weights into one row layout for training")
            self._lay_out_weights()

    # ------------------------------------------------------------ persistence
    def save(self, path, separately=None, sep_limit=None, ignore=frozenset(), pickle_protocol=None):
        """Save the whole model (vectors, output weights, vocabulary, parameters and
        training progress) to the directory ``path``, atomically, without pickle:
        arrays as .npy (memory-mappable), everything else as JSON.  gensim's
        ``separately``, ``sep_limit``, ``ignore`` and ``pickle_protocol`` are accepted
        and ignored: every array is always its own .npy file, and nothing is pickled."""
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
                "corpus": self.corpus_fingerprint,
            },
            "vocab": {name: getattr(vocab, name) for name in _SAVED_VOCAB_STATS},
            "phrases": [f"phrases{i}" for i in range(len(self.phrases))],
        }
        with atomic_directory(path) as tmp:
            self.wv._save_files(tmp)
            for name in ("syn1neg", "syn1"):
                array = getattr(self, name)
                if array is not None:
                    np.save(os.path.join(tmp, name + ".npy"), array, allow_pickle=False)
            lockf = getattr(self.wv, "vectors_lockf", None)
            if lockf is not None and not np.all(np.asarray(lockf) == 1):
                np.save(os.path.join(tmp, _LOCKF_FILE), np.asarray(lockf, dtype=np.float32),
                        allow_pickle=False)
            if self.hs and self._huffman_tree is not None:     # read from a gensim model
                for name, array in zip(_TREE_FILES, self._huffman_tree):
                    np.save(os.path.join(tmp, name), array, allow_pickle=False)
            for name, phrases in zip(meta["phrases"], self.phrases):
                phrases.save(os.path.join(tmp, name))
            with open(os.path.join(tmp, _MODEL_FILE), "w", encoding="ascii") as f:
                json.dump(meta, f, ensure_ascii=True, indent=1)

    @classmethod
    def load(cls, path, mmap=None):
        """Load a model saved by :meth:`save`; ``mmap='r'`` memory-maps the arrays
        (read-only: training later works on a copy).  Every file comes from the same
        save, even while another process saves to ``path`` (``w2v._io.read_directory``).
        A gensim-saved ``.model`` file (gensim 1.x to 4.x, with its ``.npy`` side files)
        is read too, without running any code from it (:mod:`w2v.gensim_compat`)."""
        path = os.fspath(path)
        if os.path.isfile(path) and gensim_compat.is_pickle(path):
            return gensim_compat.load_word2vec(path, mmap=mmap, model_class=cls)
        if not os.path.isdir(path):
            raise _not_a_model(path)
        return read_directory(path, lambda saved: cls._read_saved(saved, mmap))

    @classmethod
    def _read_saved(cls, saved, mmap):
        meta_path = saved.join(_MODEL_FILE)
        try:
            with saved.open(_MODEL_FILE, "r", encoding="ascii") as f:
                meta = json.load(f)
        except (FileNotFoundError, NotADirectoryError):
            raise _not_a_model(saved.path) from None
        except (OSError, ValueError) as e:
            raise ValueError(f"{meta_path}: cannot read the model metadata: {e}") from e
        if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
            raise ValueError(f"{meta_path}: not a w2v Word2Vec model file")
        if meta.get("format_version") != MODEL_VERSION:
            raise ValueError(f"{meta_path}: format_version {meta.get('format_version')!r} is not "
                             f"supported (this w2v reads {MODEL_VERSION})")
        try:
            return cls._from_saved(saved, meta, mmap)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as e:
            raise ValueError(f"{saved.path}: damaged or incompatible model: "
                             f"{type(e).__name__}: {e}") from e

    @classmethod
    def _from_saved(cls, saved, meta, mmap):
        params, state, stats = meta["params"], meta["state"], meta["vocab"]
        model = cls(**{name: params[name] if name not in _PARAM_DEFAULTS
                       else params.get(name, _PARAM_DEFAULTS[name]) for name in _SAVED_PARAMS})
        wv = KeyedVectors._read_saved(saved, mmap)
        if wv.vector_size != model.vector_size:
            raise ValueError(f"vectors have size {wv.vector_size}, the parameters say "
                             f"{model.vector_size}")
        counts = wv.expandos.get("count")
        if counts is None:
            raise ValueError("the word counts are missing")
        model.vocab = Vocab(wv.index_to_key, counts,
                            **{name: stats[name] for name in _SAVED_VOCAB_STATS})
        model.wv = wv
        wv.vectors_lockf = np.ones(1, dtype=np.float32)
        if saved.exists(_LOCKF_FILE):
            lockf = saved.load_npy(_LOCKF_FILE)
            if lockf.dtype != np.float32 or lockf.shape not in ((1,), (len(wv),)):
                raise ValueError(f"{_LOCKF_FILE} holds {lockf.dtype} {lockf.shape}, expected "
                                 f"float32 (1,) or ({len(wv)},)")
            wv.vectors_lockf = lockf
        for name, enabled in (("syn1neg", model.negative), ("syn1", model.hs)):
            if enabled:
                array = saved.load_npy(name + ".npy", mmap)
                if array.shape != wv.vectors.shape or array.dtype != np.float32:
                    raise ValueError(f"{name}.npy holds {array.dtype} {array.shape}, "
                                     f"expected float32 {wv.vectors.shape}")
                setattr(model, name, array)
        if mmap is None:      # in memory anyway: in the kernels' row layout
            model._lay_out_weights()
        for name in ("corpus_count", "corpus_total_words", "train_count", "words_done"):
            setattr(model, name, _nonneg_int(name, state[name]))
        model.running_training_loss = float(state["running_training_loss"])
        model.epoch_losses = [float(x) for x in state["epoch_losses"]]
        if state["training_state"] is not None:
            model.training_state = TrainingPlan.from_json(state["training_state"])
        model.corpus_fingerprint = check_fingerprint(state.get("corpus"))  # absent from older saves
        tree = None
        if model.hs and saved.exists(_TREE_FILES[2]):
            tree = HuffmanTree(*(saved.load_npy(name) for name in _TREE_FILES))
            n = len(wv.index_to_key)
            if (tree.offsets.shape != (n + 1,) or tree.codes.dtype != np.uint8
                    or tree.points.dtype != np.int32 or tree.offsets[0] != 0
                    or (np.diff(tree.offsets) < 0).any() or tree.offsets[-1] != len(tree.codes)
                    or len(tree.points) != len(tree.codes) or (tree.codes > 1).any()
                    or (len(tree.points) and not 0 <= tree.points.min() <= tree.points.max() < n)):
                raise ValueError("the stored Huffman tree is damaged")
        model._set_loaded_tree(tree)
        names = meta.get("phrases", [])
        if not isinstance(names, list) or not all(
                isinstance(n, str) and n and os.path.basename(n) == n and n not in (".", "..")
                for n in names):
            raise ValueError(f"bad phrases entry {names!r}: expected a list of folder names")
        model.phrases = tuple(FrozenPhrases.load(saved.pinned_path(n)) for n in names)
        return model

    def get_latest_training_loss(self):
        """Loss summed over the latest train() call (float64, per-thread sums)."""
        return self.running_training_loss

    def predict_output_word(self, context_words_list, topn=10):
        """gensim's predict_output_word: the ``topn`` likeliest centre words given the
        context words, as ``[(word, probability), ...]``: a softmax over ``syn1neg``
        of the (mean, with cbow_mean) context vector, a CBOW-style pass even for
        skip-gram.  None (and a warning) when no context word is known.  Needs
        negative sampling (RuntimeError otherwise, as gensim)."""
        if not self.negative:
            raise RuntimeError("We have currently only implemented predict_output_word for the "
                               "negative sampling scheme, so you need to have run word2vec with "
                               "negative > 0 for this to work.")
        if self.vocab is None or self.syn1neg is None:
            raise RuntimeError("Parameters required for predicting the output words not found.")
        rows = [self.wv.get_index(w) for w in context_words_list if w in self.wv]
        if not rows:
            logger.warning("All the input context words are out-of-vocabulary for the current model.")
            return None
        hidden = np.sum(self.wv.vectors[rows], axis=0)
        if self.cbow_mean:
            hidden /= len(rows)
        prob = np.exp(np.dot(hidden, self.syn1neg.T))
        prob /= np.sum(prob)
        best = top_desc(prob, topn)
        return [(self.wv.index_to_key[i], prob[i]) for i in best.tolist()]

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2,
              report_delay=1):
        """gensim's score: the log probability of each sentence under the hierarchical
        softmax (hs=1; RuntimeError otherwise), float32, for at most ``total_sentences``
        sentences.  Skip-gram scores every (word, context) pair in the full window,
        CBOW each word from its window's (mean) context vector; unknown words are
        skipped, no subsampling.  gensim's log-sigmoid table (1000 cells over
        [-6, 6]; pairs outside it add nothing).  Differs from gensim only in that a
        sentence longer than ``max_sentence_length`` is scored in pieces rather than
        cut.  ``chunksize``, ``queue_factor`` and ``report_delay`` are ignored (one thread)."""
        if self.vocab is None:
            raise NoVocabularyError("you must first build vocabulary before scoring new data")
        if not self.hs:
            raise RuntimeError("We have currently only implemented score for the hierarchical "
                               "softmax scheme, so you need to have run word2vec with hs=1 and "
                               "negative=0 for this to work.")
        tree, index = self._tables.huffman, self.wv.key_to_index
        syn0, syn1 = self.wv.vectors, self.syn1
        scores = []
        for sentence in sentences:
            if len(scores) >= total_sentences:
                break
            ids = [index[w] for w in sentence if w in index]
            total = np.float32(0)
            for start in range(0, len(ids), self.max_sentence_length):
                piece = ids[start:start + self.max_sentence_length]
                total += _score_piece(piece, tree, syn0, syn1, self.window, self.sg, self.cbow_mean)
            scores.append(total)
        return np.array(scores, dtype=np.float32)

    # --- input path (a): encoded cache, chunks claimed by the workers themselves
    def _encoded(self, corpus):
        key = (tuple(corpus.paths), corpus.max_sentence_length, corpus.phrases,
               tuple(source_stamp(p) for p in corpus.paths))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        parent = self.cache_dir if self.cache_dir is not None else os.environ.get("W2V_CACHE_DIR")
        if parent is None:
            parent = tempfile.gettempdir()
        # 4 bytes per in-vocabulary word and per sentence end, as the scan counted them
        words = self.vocab.retained_words + self.vocab.n_sentences
        check_free_space(self._cache_dir or parent, 4 * words,
                         f"the id cache of {corpus_name(corpus)} ({words:,} ids)")
        if self._cache_dir is None:
            self._cache_dir = temporary_directory(parent, "w2v-cache-")
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
        words_read = [0]

        def produce():
            try:
                batch, n = [], 0
                for sentence in corpus:
                    if progress.stopped:
                        break
                    batch.append(sentence)
                    n += len(sentence)
                    words_read[0] += len(sentence)
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
        return (*result, words_read[0])

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
    checkpointed: int = 0   # the epoch after which the last checkpoint was written
    warned_words: bool = False      # the epoch word-count warning was given

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


def _not_a_model(path):
    """The error for a path that holds no model.json: what the path is, and what was expected."""
    expected = (f"expected a folder written by Word2Vec.save or as a training checkpoint "
                f"(holding {_MODEL_FILE}), or a gensim-saved model file")
    if not os.path.lexists(path):
        return ValueError(f"{path} is not a saved w2v Word2Vec model: no such file or folder; "
                          f"{expected}")
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "keyedvectors.json")):
            what = "a folder of word vectors saved by KeyedVectors.save, not a whole model"
        else:
            what = f"a folder without {_MODEL_FILE}"
        return ValueError(f"{path} is not a saved w2v Word2Vec model: it is {what}; {expected}")
    try:
        read_word2vec_header(path)
        what = "a word2vec vectors file (vectors only: no vocabulary counts or training state)"
    except (OSError, ValueError):
        what = "a file of another kind"
    return ValueError(f"{path} is not a saved w2v Word2Vec model: it is {what}; {expected}")


def _check_checkpoint_path(path):
    """Refuse, before training, a checkpoint path that cannot be written or whose
    replacement would destroy something that is not a w2v model."""
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise FileNotFoundError(errno.ENOENT, "the checkpoint's parent folder does not exist",
                                parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "the checkpoint's parent folder is not writable",
                              parent)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise ValueError(f"checkpoint {path}: a file is in the way (a checkpoint is a folder)")
    if os.path.isdir(path) and os.listdir(path) and \
            not os.path.isfile(os.path.join(path, _MODEL_FILE)):
        raise ValueError(f"checkpoint {path}: the folder holds files but no {_MODEL_FILE}; "
                         f"a checkpoint replaces its folder, so give a new or empty one")


def _os_error_text(e):
    text = e.strerror or str(e)
    return f"{e.filename}: {text}" if e.filename else text


def _int_param(name, value):
    """An integer parameter as a Python int; ValueError naming it when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError(f"{name} must be an integer, got {value!r}") from e


def _float_param(name, value):
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError(f"{name} must be a number, got {value!r}") from e


class HuffmanPaths(dict):
    """``wv.expandos`` of a hierarchical-softmax model: gensim's per-word Huffman paths,
    ``'code'`` (uint8 branches) and ``'point'`` (uint32 inner nodes, rows of syn1), root
    first, appear on first use (``expandos['code']``, ``get_vecattr(w, 'code')``): as one
    small array per word they cost about 200 MB per million words."""
    NAMES = ("code", "point")

    def __init__(self, attrs, tree):
        super().__init__(attrs)
        self.tree = tree

    def __missing__(self, name):
        if name not in self.NAMES:
            raise KeyError(name)
        n = len(self.tree.offsets) - 1
        codes, points = np.empty(n, dtype=object), np.empty(n, dtype=object)
        point_u32 = self.tree.points.view(np.uint32)
        bounds = self.tree.offsets.tolist()
        for w, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
            codes[w] = self.tree.codes[lo:hi]
            points[w] = point_u32[lo:hi]
        self["code"], self["point"] = codes, points
        return self[name]


def _log_sigmoid_table():
    """gensim's LOG_TABLE: log(sigmoid(x)) at 1000 points over [-6, 6), in float32 as it
    computes them (its lookups reach only cells 0..995: see _score_piece)."""
    x = (np.arange(1000, dtype=np.float32) / np.float32(1000) * np.float32(2) - np.float32(1)) \
        * np.float32(6)
    e = np.exp(x.astype(np.float64)).astype(np.float32)
    e = e / (e + np.float32(1))
    return np.log(e.astype(np.float64)).astype(np.float32)


_LOG_SIGMOID = None


def _score_piece(ids, tree, syn0, syn1, window, sg, cbow_mean):
    """Sum of log sigmoid(+-h . syn1[node]) along each word's Huffman path (gensim's
    score_sentence_sg / score_sentence_cbow), float32 accumulation, gensim's table lookup."""
    global _LOG_SIGMOID
    if _LOG_SIGMOID is None:
        _LOG_SIGMOID = _log_sigmoid_table()
    total = np.float32(0)
    n = len(ids)
    ids = np.asarray(ids, dtype=np.intp)
    for i in range(n):
        codes, points = tree.path(ids[i])
        if len(codes) == 0:
            continue
        lo, hi = max(0, i - window), min(n, i + window + 1)
        context = np.concatenate([ids[lo:i], ids[i + 1:hi]])
        if sg:
            hidden = syn0[context]                          # one row per (word, context) pair
        else:
            hidden = syn0[context].sum(axis=0, dtype=np.float32)[np.newaxis]
            if cbow_mean and len(context):
                hidden = hidden * (np.float32(1) / np.float32(len(context)))
        f = (hidden @ syn1[points].T) * np.where(codes == 0, np.float32(1), np.float32(-1))
        f = f[(f > -6) & (f < 6)]
        # gensim's index: (f + 6) * (1000 // 6 // 2), its DEF constants divided as integers
        cells = ((f + np.float32(6)) * np.float32(83)).astype(np.intp)
        total += _LOG_SIGMOID[cells].sum(dtype=np.float32)
    return total


def _vocab_report(drop_unique, kept_counts, sample):
    """gensim's prepare_vocab report for the kept words' counts, with its estimate of
    the corpus left after downsampling."""
    kept = np.asarray(kept_counts, dtype=np.float64)
    total = float(kept.sum())
    threshold = total if not sample else (sample * total if sample < 1.0
                                          else int(sample * (3 + np.sqrt(5)) / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = (np.sqrt(kept / threshold) + 1) * (threshold / kept)
    return {"drop_unique": int(drop_unique), "retain_total": int(kept.sum()),
            "downsample_unique": int((prob < 1.0).sum()),
            "downsample_total": int(np.where(prob < 1.0, prob * kept, kept).sum()),
            "num_retained_words": len(kept)}


def _nonneg_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return value




# Memory estimate (_memory_needed): bytes per vocabulary word beyond the weight rows:
# the key_to_index dict entry and its int, the id encoder's hash table entry and
# copy of the word, the per-word tables (keep threshold, alias table) and the
# temporaries that build them (float64 masses, sort order).
_VOCAB_BYTES_PER_WORD = 240
# hierarchical softmax: the Huffman path (uint8 code + int32 point per level, about
# log2(V) levels) and its int64 offsets, plus the tree's build arrays
_HS_BYTES_PER_WORD_LEVEL = 5
_HS_BYTES_PER_WORD = 40


def _memory_needed(n_words, dim, n_matrices, *, workers, max_sentence_length, hs, sg):
    """Bytes a model of ``n_words`` x ``dim`` allocates to train, by part: a dict
    {part: bytes} (an estimate on the high side, not counting the corpus cache on disk)."""
    levels = max(1, int(n_words).bit_length())
    per_thread = (4 * max_sentence_length                       # sentence buffer
                  + 4 * (_CHUNK_TOKENS + max_sentence_length)   # chunk read from the id cache
                  + 64 * dim)                                   # scratch vectors
    if workers > 1 and sg:                                      # private output rows, twice
        per_thread += 2 * (_PRIVATE_ROW_BYTES + (4 * _PRIVATE_NODES * dim if hs else 0))
    return {
        "weights": 4 * n_words * dim * n_matrices,
        "vocabulary and tables": n_words * (_VOCAB_BYTES_PER_WORD + 4 + (
            _HS_BYTES_PER_WORD + _HS_BYTES_PER_WORD_LEVEL * levels if hs else 0)),
        f"buffers of {workers} thread{'s' if workers != 1 else ''}": workers * per_thread,
    }


def _available_memory(meminfo="/proc/meminfo", cgroup="/sys/fs/cgroup"):
    """(bytes that can still be allocated without swapping, where the figure comes from),
    or (None, None) when unknown.  Linux: MemAvailable of /proc/meminfo, lowered to
    what a cgroup v2 memory limit leaves; elsewhere the free physical pages."""
    have, source = None, None
    try:
        with open(meminfo, encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    have, source = int(line.split()[1]) * 1024, "MemAvailable"
                    break
    except (OSError, ValueError, IndexError):
        pass
    if have is None:
        try:
            have = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            source = "free physical memory"
        except (ValueError, OSError, AttributeError):
            pass
    try:
        with open(os.path.join(cgroup, "memory.max"), encoding="ascii") as f:
            limit = f.read().strip()
        with open(os.path.join(cgroup, "memory.current"), encoding="ascii") as f:
            used = int(f.read().strip())
        if limit != "max" and (have is None or int(limit) - used < have):
            have, source = max(0, int(limit) - used), "the cgroup memory limit"
    except (OSError, ValueError):
        pass
    return have, source


def _check_memory(n_words, dim, n_matrices, **sizes):
    """Refuse up front a model that cannot fit in the memory available now, rather than
    letting the first writes into lazily committed pages get the process killed."""
    parts = _memory_needed(n_words, dim, n_matrices, **sizes)
    need = sum(parts.values())
    have, source = _available_memory()
    if have is not None and need > have:
        gib = 2.0 ** 30
        detail = ", ".join(f"{name} {size / gib:.2f}" for name, size in parts.items())
        raise MemoryError(
            f"training needs about {need / gib:.1f} GiB ({detail} GiB; {n_matrices} weight "
            f"matrices of {n_words:,} words x {dim} float32) but only {have / gib:.1f} GiB of "
            f"memory is available ({source}): lower vector_size, set max_final_vocab, or raise "
            f"min_count (fewer threads save their buffers)")


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
