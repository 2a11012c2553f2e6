"""Phrases: learn collocations ("new york" -> "new_york") and join them in a corpus.

gensim 4's ``Phrases`` / ``FrozenPhrases`` API and answers, with counting and
applying in C (``w2v._phrases``, csrc/phrases.c), in parallel over byte ranges
of plain corpus files or over batches of in-memory sentences.

The rules (gensim 4's):

* Learning counts every non-connector token, and for every two consecutive
  non-connector tokens of a sentence the token ``a<delim>c1<delim>...<delim>b``
  joining them with the connector words between them.  Both go into one
  table, ``vocab``; ``len(vocab)`` is the ``len_vocab`` of the default score
  and ``corpus_word_count`` counts every token, connectors included.
* After each sentence, when ``vocab`` holds more than ``max_vocab_size``
  entries, every entry with count < ``min_reduce`` is dropped and
  ``min_reduce`` grows by one.  ``add_vocab`` counts new sentences into a
  table of their own and merges it in the same way.
* ``export_phrases``/``freeze`` keep the entries holding the delimiter whose
  score (first piece, last piece, whole entry; split on the delimiter) is
  above ``threshold``.
* Applying walks each sentence left to right and joins a pending start token,
  its connectors and the next token when their score is above ``threshold``;
  a joined phrase is never extended (bigrams only; run again on the output
  for trigrams: :func:`phrase_corpus_file` with ``passes=2``).

Differences from gensim: files are read as w2v reads corpora (ARCHITECTURE.md
"Tokens": ASCII whitespace, lines longer than ``max_sentence_length`` tokens
are cut, as gensim's ``LineSentence`` cuts them); save/load write JSON plus
``.npz`` arrays, never pickle; with ``workers > 1`` each thread counts its own
part and the parts are merged in order, which gives gensim's counts exactly
unless ``max_vocab_size`` pruning happens (each thread then prunes its own
table, bounded by ``max_vocab_size // workers``); and an empty-string token
starts a phrase like any other (gensim drops it).
"""
import importlib
import json
import logging
import math
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, islice

import numpy as np

from w2v import _phrases
from w2v._io import atomic_directory, atomic_write
from w2v.corpus import (_EOL_BYTE, Corpus, _append_file, _blocks, _expand_path, _phrased,
                        _read_range, _sized, _split_points, detect_compression)

logger = logging.getLogger(__name__)

__all__ = ["ENGLISH_CONNECTOR_WORDS", "FrozenPhrases", "Phrases", "Phraser", "npmi_scorer",
           "learn_phrases", "original_scorer", "phrase_corpus_file"]

NEGATIVE_INFINITY = float("-inf")

# Articles, prepositions and conjunctions that may sit inside a phrase
# (bank_of_america) but never start or end one; gensim 4's list.
ENGLISH_CONNECTOR_WORDS = frozenset(
    "a an the for of with without at from to in on by and or".split())

_DECODE = ("utf-8", "surrogateescape")
_BLOCK = 1 << 20
_BATCH_SENTENCES = 4096
_FORMAT = 1


def original_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                    corpus_word_count):
    """Mikolov et al. 2013: ``(bigram_count - min_count) / (worda_count * wordb_count) * len_vocab``."""
    denom = worda_count * wordb_count
    if denom == 0:
        return NEGATIVE_INFINITY
    return (bigram_count - min_count) / float(denom) * len_vocab


def npmi_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                corpus_word_count):
    """Normalized pointwise mutual information (Bouma 2009), in [-1, 1];
    -inf below ``min_count``."""
    if bigram_count < min_count:
        return NEGATIVE_INFINITY
    n = float(corpus_word_count)
    pa, pb, pab = worda_count / n, wordb_count / n, bigram_count / n
    try:
        return math.log(pab / (pa * pb)) / -math.log(pab)
    except ValueError:      # a zero count: never a phrase
        return NEGATIVE_INFINITY


_BUILTIN = {"default": (_phrases.SCORE_DEFAULT, original_scorer),
            "npmi": (_phrases.SCORE_NPMI, npmi_scorer)}
_SCORER_PARAMS = ("worda_count", "wordb_count", "bigram_count", "len_vocab", "min_count",
                  "corpus_word_count")


def _enc(token):
    if isinstance(token, str):
        return token.encode(*_DECODE)
    if isinstance(token, (bytes, bytearray)):
        return bytes(token)
    raise TypeError(f"tokens must be str or bytes, got {type(token).__name__} {token!r:.40}")


def _dec(b):
    return b.decode(*_DECODE)


def _sentence_list(sentence):
    if isinstance(sentence, (str, bytes)):
        raise TypeError(f"sentences must be lists of tokens, got {type(sentence).__name__} "
                        f"{sentence[:40]!r}; split lines into tokens (or pass corpus_file=)")
    return sentence if isinstance(sentence, (list, tuple)) else list(sentence)


def _flatten(batch):
    """(token bytes, token lengths, tokens per sentence) of a list of token lists."""
    sent_lens = np.fromiter(map(len, batch), np.int64, len(batch))
    flat = list(chain.from_iterable(batch))
    try:
        text = "".join(flat)
    except TypeError:       # bytes (or bad) tokens: one at a time
        text = None
    if text is not None and text.isascii():
        return text.encode("ascii"), np.fromiter(map(len, flat), np.int64, len(flat)), sent_lens
    enc = [_enc(t) for t in flat]
    return b"".join(enc), np.fromiter(map(len, enc), np.int64, len(enc)), sent_lens


def _unflatten(out, tok_lens, sent_lens):
    """Token lists (str) from concatenated token bytes."""
    ends = np.cumsum(tok_lens).tolist()
    starts = [0] + ends[:-1]
    if out.isascii():
        text = out.decode("ascii")
        toks = [text[a:b] for a, b in zip(starts, ends)]
    else:
        toks = [_dec(out[a:b]) for a, b in zip(starts, ends)]
    result, i = [], 0
    for n in sent_lens.tolist():
        result.append(toks[i:i + n])
        i += n
    return result


def _batches(sentences, size=_BATCH_SENTENCES):
    it = iter(sentences)
    while True:
        batch = [_sentence_list(s) for s in islice(it, size)]
        if not batch:
            return
        yield batch


def _is_single(obj):
    """(is one sentence, obj to use): gensim's rule; an empty input is one sentence."""
    it = iter(obj)
    try:
        first = next(it)
    except StopIteration:
        return True, obj
    rest = chain([first], it)
    if isinstance(first, (str, bytes)):
        return True, rest
    if it is obj:           # a one-shot iterator of sentences
        return False, rest
    return False, obj


def _check_workers(workers):
    workers = int(workers)
    if workers < 1:
        raise ValueError("workers must be >= 1")
    return workers


def _corpus_paths(corpus_file):
    if isinstance(corpus_file, Corpus):
        if corpus_file.paths is None:
            raise TypeError("corpus_file must be files; pass in-memory sentences as sentences=")
        return corpus_file.paths
    if isinstance(corpus_file, (list, tuple)):
        return [f for p in corpus_file for f in _expand_path(p)]
    return _expand_path(corpus_file)


class _PhrasesTransformation:
    """What Phrases and FrozenPhrases share: applying to sentences."""

    max_sentence_length = 10000

    def _connector_table(self):
        if getattr(self, "_connectors_cache", None) is None:
            self._connectors_cache = _phrases.Table(sorted({_enc(w) for w in self.connector_words}))
        return self._connectors_cache

    def _model(self):
        """A _phrases.Model for applying, or None when scoring is Python-only."""
        raise NotImplementedError

    def score_candidate(self, word_a, word_b, in_between):
        """(joined phrase, score) when ``word_a in_between... word_b`` is a phrase,
        else (None, None)."""
        raise NotImplementedError

    def _apply_batch(self, batch):
        """(phrased sentences, scores per token (None: not a phrase)) of a batch."""
        model = self._model()
        if model is None:
            result = [list(self._analyze_python(s)) for s in batch]
            return [[t for t, _ in r] for r in result], [[s for _, s in r] for r in result]
        blob, lens, sent_lens = _flatten(batch)
        out, tok_lens, scores, out_sent = _phrases.Applier(model).apply_tokens(blob, lens,
                                                                               sent_lens)
        sentences = _unflatten(out, tok_lens, out_sent)
        score_lists, i = [], 0
        sc = [None if math.isnan(s) else s for s in scores.tolist()]
        for n in out_sent.tolist():
            score_lists.append(sc[i:i + n])
            i += n
        return sentences, score_lists

    def _analyze_python(self, sentence):
        """The left-to-right rule in Python (for a Python scoring function)."""
        connectors = self.connector_words
        start, between = None, []
        for word in sentence:
            if word in connectors:
                if start is None:
                    yield word, None
                else:
                    between.append(word)
                continue
            if start is not None:
                phrase, score = self.score_candidate(start, word, between)
                if score is not None:
                    yield phrase, score
                    start, between = None, []
                    continue
                yield start, None
                yield from ((w, None) for w in between)
            start, between = word, []
        if start is not None:
            yield start, None
            yield from ((w, None) for w in between)

    def analyze_sentence(self, sentence):
        """Yield (token, score) for the phrased sentence: score is None for a token
        that is not a joined phrase."""
        sentences, scores = self._apply_batch([_sentence_list(sentence)])
        return zip(sentences[0], scores[0])

    def __getitem__(self, sentence):
        """``model[sentence]``: the sentence with phrases joined; ``model[corpus]``:
        a re-iterable of phrased sentences (one-shot if ``corpus`` is)."""
        single, obj = _is_single(sentence)
        if not single:
            return _PhrasedCorpus(self, obj)
        return self._apply_batch([_sentence_list(obj)])[0][0]

    def apply_sentences(self, sentences):
        """Phrased copies of a list of token lists, in one call into C."""
        return self._apply_batch([_sentence_list(s) for s in sentences])[0]

    def find_phrases(self, sentences):
        """{phrase: score} of the phrases that occur in ``sentences``."""
        result = {}
        for batch in _batches(sentences):
            phrased, scores = self._apply_batch(batch)
            for toks, scs in zip(phrased, scores):
                for t, s in zip(toks, scs):
                    if s is not None:
                        result[t] = s
        return result


class _PhrasedCorpus:
    """``model[corpus]``: phrased sentences, a batch at a time."""

    def __init__(self, model, corpus):
        self.model = model
        self.corpus = corpus

    def __iter__(self):
        for batch in _batches(self.corpus):
            yield from self.model.apply_sentences(batch)


class Phrases(_PhrasesTransformation):
    """Detect phrases from collocation counts (gensim 4's ``Phrases``).

    ``sentences`` is an iterable of token lists (read once), ``corpus_file``
    a path (plain/gz/bz2/xz, a folder, or a list of them; one sentence per
    line), or a file :class:`w2v.corpus.Corpus` with ``phrases``: its text is
    learnt phrased (the next pass, without writing the phrased text out).
    ``workers`` threads count in parallel.  ``scoring`` is 'default',
    'npmi' or a function taking ``worda_count, wordb_count, bigram_count,
    len_vocab, min_count, corpus_word_count``.
    """

    def __init__(self, sentences=None, min_count=5, threshold=10.0, max_vocab_size=40000000,
                 delimiter="_", progress_per=10000, scoring="default",
                 connector_words=frozenset(), corpus_file=None, workers=1):
        if min_count <= 0:
            raise ValueError("min_count should be at least 1")
        if isinstance(scoring, str):
            if scoring not in _BUILTIN:
                raise ValueError(f"unknown scoring method {scoring!r}: use 'default', 'npmi' "
                                 "or a function")
            if scoring == "default" and threshold <= 0:
                raise ValueError("threshold should be positive for default scoring")
            if scoring == "npmi" and not -1 <= threshold <= 1:
                raise ValueError("threshold should be between -1 and 1 for npmi scoring")
            self.scoring = _BUILTIN[scoring][1]
        elif callable(scoring):
            import inspect
            try:
                params = inspect.signature(scoring).parameters
            except (TypeError, ValueError):
                params = {}
            missing = [p for p in _SCORER_PARAMS if p not in params]
            if missing:
                raise ValueError(f"scoring function missing expected parameters {missing}")
            self.scoring = scoring
        else:
            raise ValueError(f"scoring must be 'default', 'npmi' or a function, got {scoring!r}")
        if not isinstance(delimiter, str) or not delimiter:
            raise ValueError("delimiter must be a non-empty str")
        if int(max_vocab_size) < 1:
            raise ValueError("max_vocab_size must be >= 1")
        if sentences is not None and corpus_file is not None:
            raise ValueError("pass sentences or corpus_file, not both")
        self.min_count = min_count
        self.threshold = threshold
        self.max_vocab_size = int(max_vocab_size)
        self.delimiter = delimiter
        self.progress_per = progress_per
        self.connector_words = frozenset(connector_words)
        self.workers = _check_workers(workers)
        self._connectors_cache = None
        self._learner = self._new_learner(self.max_vocab_size)
        if sentences is not None or corpus_file is not None:
            start = time.time()
            self.add_vocab(sentences, corpus_file=corpus_file)
            logger.info("built %s in %.2fs", self, time.time() - start)

    def __str__(self):
        return (f"Phrases<{len(self._learner)} vocab, min_count={self.min_count}, "
                f"threshold={self.threshold}, max_vocab_size={self.max_vocab_size}>")

    __repr__ = __str__

    # ---- state gensim exposes

    @property
    def corpus_word_count(self):
        """Tokens counted, connector words included."""
        return self._learner.total_words

    @property
    def min_reduce(self):
        return self._learner.min_reduce

    @property
    def vocab(self):
        """{token: count} of unigrams and joined phrases (a copy, built on access)."""
        return dict(zip(map(_dec, self._learner.words()), self._learner.counts().tolist()))

    def _builtin_kind(self):
        for kind, fn in _BUILTIN.values():
            if self.scoring is fn:
                return kind
        return None

    # ---- learning

    def _new_learner(self, bound):
        return _phrases.Learner(self._connector_table(), self.delimiter.encode(*_DECODE),
                                bound, self.max_sentence_length)

    def add_vocab(self, sentences=None, corpus_file=None, workers=None):
        """Count more sentences (or a corpus file) into the model, as gensim's
        add_vocab: counted apart, then merged and pruned once."""
        workers = self.workers if workers is None else _check_workers(workers)
        if (sentences is None) == (corpus_file is None):
            raise ValueError("pass exactly one of sentences or corpus_file")
        if corpus_file is not None:
            through = corpus_file.phrases if isinstance(corpus_file, Corpus) else ()
            new = self._learn_files(_corpus_paths(corpus_file), workers, through)
        else:
            new = self._learn_sentences(sentences, workers)
        logger.info("collected %d token types (unigrams + phrases) from %d words and "
                    "%d sentences", len(new), new.total_words, new.sentences)
        if len(self._learner):
            total = self._learner.total_words + new.total_words
            self._learner.merge(new)        # sums total_words too
            self._learner.total_words = total
        else:
            # gensim takes the new table as it is, and keeps its own min_reduce
            new.total_words += self._learner.total_words
            new.min_reduce = self._learner.min_reduce
            new.max_vocab_size = self.max_vocab_size
            self._learner = new
        logger.info("merged %s", self)
        return self

    def _merge_parts(self, parts):
        """Parts counted in order -> one learner (gensim's add_vocab merge per part)."""
        first = parts[0]
        first.max_vocab_size = self.max_vocab_size
        for p in parts[1:]:
            if len(first):
                first.merge(p)
            else:
                total, mr = first.total_words + p.total_words, first.min_reduce
                p.max_vocab_size = self.max_vocab_size
                first, p = p, None
                first.total_words, first.min_reduce = total, mr
        return first

    def _learn_files(self, paths, workers, through=()):
        """Count files; ``through``: FrozenPhrases applied to the text first."""
        msl = self.max_sentence_length
        if workers == 1:
            learner = self._new_learner(self.max_vocab_size)
            for path in paths:
                for buf, n in _phrased(_sized(_blocks(path, _BLOCK, False)), through, msl):
                    learner.learn_block(buf, n)
                learner.learn_block(b"", 0, True)
            return learner
        bound = max(1, self.max_vocab_size // workers)
        parts = []
        with ThreadPoolExecutor(workers) as pool:
            for path in paths:
                if detect_compression(path) is not None:
                    learner = self._new_learner(bound)
                    for buf, n in _phrased(_sized(_blocks(path, _BLOCK, True)), through, msl):
                        learner.learn_block(buf, n)
                    learner.learn_block(b"", 0, True)
                    parts.append(learner)
                    continue
                bounds = _split_points(path, workers, _EOL_BYTE)
                futures = [pool.submit(self._learn_range, path, a, b, bound, through)
                           for a, b in zip(bounds, bounds[1:])]
                parts.extend(f.result() for f in futures)
                logger.info("counted %s in %d part(s)", path, len(futures))
        return self._merge_parts(parts)

    def _learn_range(self, path, start, end, bound, through):
        learner = self._new_learner(bound)
        for buf, n in _phrased(_read_range(path, start, end, _BLOCK), through,
                               self.max_sentence_length):
            learner.learn_block(buf, n)
        learner.learn_block(b"", 0, True)
        learner.finish()
        return learner

    def _learn_sentences(self, sentences, workers):
        if isinstance(sentences, (str, bytes, os.PathLike)):
            raise TypeError("sentences must be an iterable of token lists; pass a file "
                            "path as corpus_file=")
        bound = self.max_vocab_size if workers == 1 else max(1, self.max_vocab_size // workers)
        learners = [self._new_learner(bound) for _ in range(workers)]
        done, next_log = 0, 0
        if workers == 1:
            for batch in _batches(sentences):
                learners[0].learn_tokens(*_flatten(batch))
                done, next_log = self._progress(done + len(batch), next_log)
            return learners[0]
        # learner j takes batches j, j + workers, ...: one batch in flight per learner
        futures = [None] * workers
        with ThreadPoolExecutor(workers) as pool:
            for k, batch in enumerate(_batches(sentences)):
                j = k % workers
                if futures[j] is not None:
                    futures[j].result()
                futures[j] = pool.submit(learners[j].learn_tokens, *_flatten(batch))
                done, next_log = self._progress(done + len(batch), next_log)
            for f in futures:
                if f is not None:
                    f.result()
            for f in [pool.submit(learner.finish) for learner in learners]:
                f.result()
        return self._merge_parts(learners)

    def _progress(self, done, next_log):
        if done >= next_log:
            logger.info("PROGRESS: at sentence #%d", done)
            next_log = done + max(int(self.progress_per), _BATCH_SENTENCES)
        return done, next_log

    # ---- scoring

    def _model(self):
        kind = self._builtin_kind()
        if kind is None:
            return None
        return _phrases.Model(self._connector_table(), self.delimiter.encode(*_DECODE),
                              float(self.threshold), live=self._learner, kind=kind,
                              min_count=float(self.min_count))

    def _score(self, a, b, ab):
        kind = self._builtin_kind()
        len_vocab, n = len(self._learner), self._learner.total_words
        if kind is not None:
            return _phrases.score(kind, float(self.min_count), float(len_vocab), float(n),
                                  a, b, ab)
        return np.array([self.scoring(worda_count=x, wordb_count=y, bigram_count=z,
                                      len_vocab=len_vocab, min_count=self.min_count,
                                      corpus_word_count=n)
                         for x, y, z in zip(a.tolist(), b.tolist(), ab.tolist())],
                        dtype=np.float64)

    def score_candidate(self, word_a, word_b, in_between):
        count = self._learner.count
        a, b = count(_enc(word_a)), count(_enc(word_b))
        if a <= 0 or b <= 0:
            return None, None
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        ab = count(_enc(phrase))
        if ab <= 0:
            return None, None
        score = float(self._score(np.array([a]), np.array([b]), np.array([ab]))[0])
        if score <= self.threshold:
            return None, None
        return phrase, score

    def export_phrases(self):
        """{phrase: score} of every phrase in ``vocab`` scoring above ``threshold``."""
        # entries no built-in score can pass are skipped in C: the default score
        # is <= 0 < threshold for counts <= min_count, npmi is -inf below min_count
        kind = self._builtin_kind()
        skip = 0
        if kind == _phrases.SCORE_DEFAULT:
            skip = math.floor(self.min_count)
        elif kind == _phrases.SCORE_NPMI:
            skip = math.ceil(self.min_count) - 1
        index, a, b, ab = self._learner.candidates(max(0, skip))
        scores = self._score(a, b, ab)
        keep = ~(scores <= self.threshold)
        words = self._learner.words_at(index[keep])
        return dict(zip(map(_dec, words), scores[keep].tolist()))

    def freeze(self):
        """The phrases and what applying them needs (see :class:`FrozenPhrases`)."""
        return FrozenPhrases(self)

    # ---- save / load

    def save(self, path):
        """Save to the directory ``path``: phrases.json and vocab.npz (no pickle)."""
        words = self._learner.words()
        arrays = {"bytes": np.frombuffer(b"".join(words), dtype=np.uint8),
                  "lengths": np.fromiter(map(len, words), np.int64, len(words)),
                  "counts": self._learner.counts()}
        meta = {"min_count": self.min_count, "max_vocab_size": self.max_vocab_size,
                "progress_per": self.progress_per, "min_reduce": self.min_reduce,
                "corpus_word_count": self.corpus_word_count, "workers": self.workers}
        _save(path, "Phrases", self, meta, arrays)

    @classmethod
    def load(cls, path):
        """Load a Phrases or FrozenPhrases saved by ``save``."""
        return _load(path)


class FrozenPhrases(_PhrasesTransformation):
    """The phrases of a :class:`Phrases` model and their scores: smaller and faster,
    no more learning.  ``phrasegrams`` maps each phrase to its score."""

    def __init__(self, phrases_model):
        self.threshold = phrases_model.threshold
        self.min_count = phrases_model.min_count
        self.delimiter = phrases_model.delimiter
        self.scoring = phrases_model.scoring
        self.connector_words = phrases_model.connector_words
        self._connectors_cache = None
        start = time.time()
        self.phrasegrams = phrases_model.export_phrases()
        logger.info("exported %s from %s in %.2fs", self, phrases_model, time.time() - start)

    def __str__(self):
        return (f"FrozenPhrases<{len(self.phrasegrams)} phrases, min_count={self.min_count}, "
                f"threshold={self.threshold}>")

    __repr__ = __str__

    def _model(self):
        grams = self.phrasegrams
        key = (id(grams), len(grams))
        cache = getattr(self, "_table_cache", None)
        if cache is None or cache[0] != key:
            table = _phrases.Table([_enc(p) for p in grams])
            scores = np.fromiter(grams.values(), np.float64, len(grams))
            self._table_cache = cache = (key, table, scores)
        return _phrases.Model(self._connector_table(), self.delimiter.encode(*_DECODE),
                              float(self.threshold), phrases=cache[1], scores=cache[2])

    def score_candidate(self, word_a, word_b, in_between):
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        score = self.phrasegrams.get(phrase, NEGATIVE_INFINITY)
        if score > self.threshold:
            return phrase, score
        return None, None

    def byte_applier(self, max_sentence_length=None):
        """A streaming applier for raw corpus bytes: ``a.apply_block(buf, n=-1,
        final=False)`` returns the phrased text of the lines completed so far
        (tokens separated by one space, each line ended by a newline); call it
        with ``final=True`` (an empty block will do) at the end of the input.
        One per thread; for wiring phrases into corpus encoding.  Lines longer
        than ``max_sentence_length`` tokens (default 10,000) are cut first, as
        the corpus readers cut them."""
        return _phrases.Applier(self._model(), max_sentence_length or self.max_sentence_length)

    def apply_file(self, corpus_file, out_path, workers=1):
        """Write the phrased text of ``corpus_file`` (a path, folder or list) to
        ``out_path``: one line per input line that holds tokens, tokens separated
        by one space.  Plain files are cut at line ends into ``workers`` ranges
        applied in parallel.  The output appears only when complete.  Returns
        the number of phrases joined."""
        workers = _check_workers(workers)
        paths = _corpus_paths(corpus_file)
        out_path = os.path.abspath(os.fspath(out_path))
        if os.path.exists(out_path) and any(os.path.samefile(p, out_path) for p in paths):
            raise ValueError(f"{out_path}: the output must not be one of the input files")
        model = self._model()
        made = 0
        with atomic_write(out_path, "wb") as out, ThreadPoolExecutor(workers) as pool:
            for path in paths:
                bounds = None
                if workers > 1 and detect_compression(path) is None:
                    bounds = _split_points(path, workers, _EOL_BYTE)
                if bounds is None or len(bounds) <= 2:
                    applier = self.byte_applier()
                    for block in _blocks(path, _BLOCK, overlap=workers > 1):
                        out.write(applier.apply_block(block))
                    out.write(applier.apply_block(b"", 0, True))
                    made += applier.phrases_made
                    continue
                made += self._apply_ranges(model, path, bounds, out, out_path, pool)
        logger.info("joined %d phrases into %s", made, out_path)
        return made

    def _apply_ranges(self, model, path, bounds, out, out_path, pool):
        folder, base = os.path.split(out_path)
        parts = []
        try:
            for _ in bounds[1:]:
                fd, p = tempfile.mkstemp(prefix=f".{base}.", suffix=".part", dir=folder)
                os.close(fd)
                parts.append(p)
            futures = [pool.submit(self._apply_range, model, path, a, b, p)
                       for a, b, p in zip(bounds, bounds[1:], parts)]
            made = sum(f.result() for f in futures)
            out.flush()
            for p in parts:
                _append_file(out, p)
            return made
        finally:
            for p in parts:
                try:
                    os.unlink(p)
                except OSError:
                    pass

    def _apply_range(self, model, path, start, end, part_path):
        applier = _phrases.Applier(model, self.max_sentence_length)
        with open(part_path, "wb") as f:
            for buf, n in _read_range(path, start, end, _BLOCK):
                f.write(applier.apply_block(buf, n))
            f.write(applier.apply_block(b"", 0, True))
        return applier.phrases_made

    def save(self, path):
        """Save to the directory ``path``: phrases.json and phrases.npz (no pickle)."""
        words = [_enc(p) for p in self.phrasegrams]
        arrays = {"bytes": np.frombuffer(b"".join(words), dtype=np.uint8),
                  "lengths": np.fromiter(map(len, words), np.int64, len(words)),
                  "scores": np.fromiter(self.phrasegrams.values(), np.float64,
                                        len(self.phrasegrams))}
        _save(path, "FrozenPhrases", self, {}, arrays)

    @classmethod
    def load(cls, path):
        return _load(path)


Phraser = FrozenPhrases     # gensim's old name


# ---------------------------------------------------------------- save / load

def _scoring_name(fn):
    for name, (_, builtin) in _BUILTIN.items():
        if fn is builtin:
            return name
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or "<" in qualname or module == "__main__":
        raise ValueError(f"cannot save scoring function {fn!r}: only 'default', 'npmi' or a "
                         "function importable by module and name can be saved (no pickle)")
    return f"{module}:{qualname}"


def _scoring_from_name(name):
    if name in _BUILTIN:
        return _BUILTIN[name][1]
    module, _, qualname = name.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _save(path, kind, model, extra, arrays):
    meta = {"format": _FORMAT, "class": kind, "threshold": model.threshold,
            "min_count": model.min_count, "delimiter": model.delimiter,
            "scoring": _scoring_name(model.scoring),
            "connector_words": sorted(model.connector_words), **extra}
    with atomic_directory(path) as tmp:
        with open(os.path.join(tmp, "phrases.json"), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1, ensure_ascii=True)
        np.savez(os.path.join(tmp, "arrays.npz"), **arrays)


def _load(path):
    path = os.fspath(path)
    meta_path = os.path.join(path, "phrases.json")
    if not os.path.isfile(meta_path):
        raise FileNotFoundError(f"{path}: not a saved w2v phrases model (no phrases.json)")
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("format") != _FORMAT or meta.get("class") not in ("Phrases", "FrozenPhrases"):
        raise ValueError(f"{meta_path}: unknown phrases model format {meta.get('format')!r} "
                         f"/ class {meta.get('class')!r}")
    with np.load(os.path.join(path, "arrays.npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    blob = arrays["bytes"].tobytes()
    lengths = arrays["lengths"].astype(np.int64)
    if lengths.sum() != len(blob) or (lengths < 0).any():
        raise ValueError(f"{path}: word lengths do not match the stored bytes")
    scoring = _scoring_from_name(meta["scoring"])
    if meta["class"] == "FrozenPhrases":
        model = FrozenPhrases.__new__(FrozenPhrases)
        model.threshold, model.min_count = meta["threshold"], meta["min_count"]
        model.delimiter, model.scoring = meta["delimiter"], scoring
        model.connector_words = frozenset(meta["connector_words"])
        model._connectors_cache = None
        ends = np.cumsum(lengths).tolist()
        words = [_dec(blob[a:b]) for a, b in zip([0] + ends[:-1], ends)]
        scores = arrays["scores"].astype(np.float64)
        if len(scores) != len(words):
            raise ValueError(f"{path}: phrases and scores differ in length")
        model.phrasegrams = dict(zip(words, scores.tolist()))
        return model
    model = Phrases(min_count=meta["min_count"], threshold=meta["threshold"],
                    max_vocab_size=meta["max_vocab_size"], delimiter=meta["delimiter"],
                    progress_per=meta["progress_per"], scoring=scoring,
                    connector_words=meta["connector_words"], workers=meta.get("workers", 1))
    counts = arrays["counts"].astype(np.int64)
    if len(counts) != len(lengths):
        raise ValueError(f"{path}: words and counts differ in length")
    model._learner.add_counts(blob, lengths, counts)
    if len(model._learner) != len(counts):
        raise ValueError(f"{path}: duplicate words in the saved vocabulary")
    model._learner.total_words = int(meta["corpus_word_count"])
    model._learner.min_reduce = int(meta["min_reduce"])
    return model


# ---------------------------------------------------------------- corpus files

def learn_phrases(corpus_file, passes=1, min_count=5, threshold=10.0, scoring="default",
                  connector_words=frozenset(), delimiter="_", max_vocab_size=40000000,
                  workers=1):
    """The FrozenPhrases of ``passes`` passes over ``corpus_file`` (pass k learns
    from the text phrased by passes 1..k-1, on the fly: nothing is written).
    ``Word2Vec(corpus_file=..., phrases=learn_phrases(...))`` trains on them."""
    passes = int(passes)
    if passes < 1:
        raise ValueError("passes must be >= 1")
    paths = _corpus_paths(corpus_file)
    models = []
    for k in range(passes):
        src = Corpus(paths, phrases=models) if models else paths
        models.append(Phrases(corpus_file=src, min_count=min_count, threshold=threshold,
                              scoring=scoring, connector_words=connector_words,
                              delimiter=delimiter, max_vocab_size=max_vocab_size,
                              workers=workers).freeze())
        logger.info("pass %d: %d phrases", k + 1, len(models[-1].phrasegrams))
    return models


def phrase_corpus_file(corpus_file, out_path, passes=1, min_count=5, threshold=10.0,
                       scoring="default", connector_words=frozenset(), delimiter="_",
                       max_vocab_size=40000000, workers=1):
    """Learn phrases from ``corpus_file`` and write it phrased to ``out_path``;
    with ``passes=N`` repeat on the output (2 passes: phrases of up to 4 words,
    trigrams and more).  Returns the FrozenPhrases of each pass."""
    passes = int(passes)
    if passes < 1:
        raise ValueError("passes must be >= 1")
    out_path = os.path.abspath(os.fspath(out_path))
    folder, base = os.path.split(out_path)
    models, src, tmp = [], corpus_file, None
    try:
        for k in range(passes):
            model = Phrases(corpus_file=src, min_count=min_count, threshold=threshold,
                            scoring=scoring, connector_words=connector_words,
                            delimiter=delimiter, max_vocab_size=max_vocab_size,
                            workers=workers).freeze()
            if k == passes - 1:
                dst = out_path
            else:
                fd, dst = tempfile.mkstemp(prefix=f".{base}.pass{k + 1}.", dir=folder)
                os.close(fd)
            model.apply_file(src, dst, workers=workers)
            if tmp is not None:
                os.unlink(tmp)
            tmp = dst if dst != out_path else None
            src = dst
            models.append(model)
            logger.info("pass %d: %d phrases", k + 1, len(model.phrasegrams))
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return models
