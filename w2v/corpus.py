"""Corpus streaming, vocabulary counting and corpus encoding.

A corpus is either files (plain, gzip, bzip2 or xz, recognised by their magic
bytes) or an in-memory re-iterable of token lists.  Tokens and sentences follow
ARCHITECTURE.md: ASCII-whitespace-separated byte strings, ``\\n`` and ``\\r`` end
lines, empty lines give no sentence, lines longer than ``max_sentence_length``
tokens are cut into consecutive sentences, bytes are decoded as UTF-8 with
``errors="surrogateescape"``.

File corpora are counted and encoded in C (``w2v._scan``), a byte block at a
time, so memory stays bounded (block buffers plus the longest token) whatever
the line lengths.  Plain files are split into ``workers`` byte ranges, each
counted by a Python thread that reads its range with ``readinto`` and hands
every block to C with the GIL released; the per-range tables are merged in
range order, which keeps words in order of first occurrence.  Threads rather
than an OpenMP ``prange``: the work per call is a whole block (1 MiB), so the
two cost the same, and threads also parallelise the file reads, need no
OpenMP build and let a reader thread decompress while C counts.
"""
import hashlib
import logging
import os
import queue
import re
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice, repeat

import numpy as np

from w2v import _scan
# re-exported: the corpus readers were their first users
from w2v.compression import CorruptFileError, check_file, detect_compression, open_binary
from w2v.remote import expand_url, is_url, open_source, source_size

logger = logging.getLogger(__name__)

__all__ = [
    "Corpus", "CorruptFileError", "EncodedCorpus", "MAX_TOKEN_BYTES", "WordCounts",
    "cap_token", "corpus_fingerprint", "corpus_name", "count_words", "fingerprint_mismatch",
    "detect_compression", "encode_file_corpus", "encode_sentences", "open_binary", "same_paths",
]

# Plain files smaller than this per range are not split further: a range
# costs a thread hand-off and a file open.
_MIN_RANGE_BYTES = 1 << 16

_DECODE = ("utf-8", "surrogateescape")
# \t \v \f become spaces and \r becomes \n: afterwards only " " and "\n" separate.
_TO_SPACE_NL = bytes.maketrans(b"\t\x0b\x0c\r", b"   \n")
# Characters str.split() treats as whitespace besides " " and "\n" (and the four
# translated away above): when a block holds none, str.split() is exact.
_OTHER_STR_SPACE = re.compile(
    "[\t\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
# Tokens are cut to this many bytes (csrc/vocab_table.h, ARCHITECTURE.md "Tokens").
MAX_TOKEN_BYTES = _scan.MAX_TOKEN_BYTES
# A str of at most this many characters is at most MAX_TOKEN_BYTES bytes of UTF-8.
_SAFE_CHARS = MAX_TOKEN_BYTES // 4
_SPACE_BYTE = re.compile(rb"[ \t\n\r\x0b\x0c]")
_EOL_BYTE = re.compile(rb"[\n\r]")


def cap_token(token):
    """``token`` (str) cut as the C tokenizer cuts a token: to MAX_TOKEN_BYTES bytes of
    UTF-8 (surrogateescape), less the bytes of a character the cut would split."""
    if len(token) <= _SAFE_CHARS:
        return token
    try:
        data = token.encode(*_DECODE)
    except UnicodeEncodeError:        # a lone surrogate that no file byte decodes to
        data = token.encode("utf-8", "surrogatepass")
    if len(data) <= MAX_TOKEN_BYTES:
        return token
    return data[:_scan.token_len(data)].decode(*_DECODE)


def _fspath(path):
    path = os.fspath(path)
    return os.fsdecode(path) if isinstance(path, bytes) else path


# ---------------------------------------------------------------- sources

def _expand_path(path):
    """Files named by one path: the file itself, or a folder's regular files; a
    URL is listed through fsspec (w2v.remote)."""
    path = _fspath(path)
    if is_url(path):
        return expand_url(path)
    if os.path.isdir(path):
        # Not recursive; hidden files (".name") skipped; sorted by name so the
        # order (and hence first-occurrence order of words) is reproducible.
        files = sorted(os.path.join(path, name) for name in os.listdir(path)
                       if not name.startswith(".") and os.path.isfile(os.path.join(path, name)))
        if not files:
            raise ValueError(f"corpus folder {path!r} holds no regular files")
        return files
    check_file(path, "corpus file")
    return [path]


def _is_path(x):
    return isinstance(x, (str, bytes, os.PathLike))


class Corpus:
    """Sentences (lists of str tokens) from files, folders or an in-memory iterable.

    ``source``:
      * a path (str, bytes or PathLike) to a file, or to a folder whose regular
        files (not recursive, names starting with "." skipped) are read in
        sorted order.  A str is always a path: one that does not exist raises
        FileNotFoundError rather than being read as characters;
      * a list or tuple of such paths;
      * any re-iterable of token lists (str or bytes tokens), e.g. a list of
        lists or gensim's ``LineSentence``.  One-shot iterators (generators)
        are refused: training iterates the corpus once per epoch.

    Iterating yields lists of str.  File lines and iterable sentences longer
    than ``max_sentence_length`` are cut into consecutive sentences; empty
    lines/sentences are skipped.  Files are read ``block_size`` bytes at a time.

    ``phrases``: a :class:`w2v.phrases.FrozenPhrases` (a ``Phrases`` is frozen)
    or a list of them, applied in order to every sentence as it is read, so the
    corpus is seen phrased ("new york" -> "new_york") without a phrased copy on
    disk.  File bytes go through each one's ``byte_applier`` before tokenizing:
    the corpus is read as ``apply_file`` would write it (a line is phrased in
    pieces of ``max_sentence_length`` tokens, and the phrased line is cut
    again); iterable sentences are phrased the same way.
    """

    def __init__(self, source, max_sentence_length=10000, block_size=1 << 20, phrases=None):
        if int(max_sentence_length) < 1:
            raise ValueError("max_sentence_length must be >= 1")
        if int(block_size) < 1:
            raise ValueError("block_size must be >= 1")
        self.max_sentence_length = int(max_sentence_length)
        self.block_size = int(block_size)
        self._iterable = None
        self.phrases = _phrase_list(phrases)
        if isinstance(source, Corpus):
            self.paths = None if source.paths is None else list(source.paths)
            self._iterable = source._iterable
            if phrases is None:
                self.phrases = source.phrases
        elif _is_path(source):
            self.paths = _expand_path(source)
        elif isinstance(source, (list, tuple)) and source and all(map(_is_path, source)):
            self.paths = [f for p in source for f in _expand_path(p)]
        elif not hasattr(source, "__iter__"):
            raise TypeError(f"cannot read a corpus from {type(source).__name__}: expected a "
                            "path, a list of paths or a re-iterable of token lists")
        elif iter(source) is source:
            raise TypeError(
                f"{type(source).__name__} is a one-shot iterator: a corpus is read once per "
                "epoch, so pass a re-iterable (a list, gensim LineSentence, or an object "
                "whose __iter__ starts over), or a file path")
        else:
            self.paths = None
            self._iterable = source

    def __repr__(self):
        what = f"{len(self.paths)} file(s)" if self.paths is not None else \
            type(self._iterable).__name__
        extra = f", phrases={len(self.phrases)} model(s)" if self.phrases else ""
        return f"Corpus({what}, max_sentence_length={self.max_sentence_length}{extra})"

    def __iter__(self):
        if self.paths is None:
            return self._iter_iterable()
        return self._iter_files()

    def _iter_files(self):
        for path in self.paths:
            yield from _iter_file_sentences(path, self.max_sentence_length, self.block_size,
                                            self.phrases)

    def _iter_iterable(self):
        msl = self.max_sentence_length
        sentences = self._iter_checked()
        if self.phrases:
            sentences = _phrase_sentences(sentences, self.phrases, msl)
        for sentence in sentences:
            if len(sentence) <= msl:
                yield sentence
            else:
                for i in range(0, len(sentence), msl):
                    yield sentence[i:i + msl]

    def _iter_checked(self):
        """The iterable's non-empty sentences as lists of str."""
        for sentence in self._iterable:
            if isinstance(sentence, (str, bytes)):
                raise TypeError(
                    f"corpus items must be lists of tokens, got {type(sentence).__name__} "
                    f"{sentence[:40]!r}; split lines into tokens (or pass a file path)")
            if not isinstance(sentence, list):
                sentence = list(sentence)
            if not sentence:
                continue
            if isinstance(sentence[0], bytes):
                sentence = [t.decode(*_DECODE) if isinstance(t, bytes) else t for t in sentence]
            try:
                longest = max(map(len, sentence))
            except TypeError:       # tokens that are not strings: nothing to cut
                longest = 0
            if longest > _SAFE_CHARS:
                sentence = [cap_token(t) if isinstance(t, str) else t for t in sentence]
            yield sentence


def _as_corpus(corpus):
    return corpus if isinstance(corpus, Corpus) else Corpus(corpus)


def _phrase_list(phrases):
    """``phrases`` (None, one phrases model or a list of them) as a tuple of
    FrozenPhrases: a learning ``Phrases`` is frozen."""
    if phrases is None:
        return ()
    models = tuple(phrases) if isinstance(phrases, (list, tuple)) else (phrases,)
    models = tuple(p.freeze() if hasattr(p, "freeze") else p for p in models)
    for p in models:
        if not (hasattr(p, "byte_applier") and hasattr(p, "apply_sentences")):
            raise TypeError(f"phrases must be w2v.phrases.FrozenPhrases (or Phrases) models, "
                            f"got {type(p).__name__}")
    return models


def _phrase_sentences(sentences, phrases, msl, batch=4096):
    """Non-empty token lists with each of ``phrases`` applied in turn, a batch at
    a time, as a file line is phrased (see :func:`_phrase_as_lines`)."""
    it = iter(sentences)
    while True:
        chunk = list(islice(it, batch))
        if not chunk:
            return
        for p in phrases:
            chunk = _phrase_as_lines(p, chunk, msl)
        yield from chunk


def _phrase_as_lines(model, sentences, msl):
    """``sentences`` phrased as the byte applier phrases lines: each one cut into
    pieces of ``msl`` tokens, the pieces phrased apart and joined back."""
    if all(len(s) <= msl for s in sentences):
        return model.apply_sentences(sentences)
    pieces, n_pieces = [], []
    for s in sentences:
        cut = [s[i:i + msl] for i in range(0, len(s), msl)]
        pieces.extend(cut)
        n_pieces.append(len(cut))
    phrased, result, i = model.apply_sentences(pieces), [], 0
    for k in n_pieces:
        result.append([t for piece in phrased[i:i + k] for t in piece])
        i += k
    return result


def _phrased(blocks, phrases, msl):
    """(buffer, n) blocks of a corpus file's bytes with ``phrases`` applied in
    order (each model's byte applier: one line per input line, sentences cut at
    ``msl`` tokens); the blocks themselves without phrases."""
    if not phrases:
        yield from blocks
        return
    appliers = [p.byte_applier(msl) for p in phrases]

    def through(data, n, final):
        for a in appliers:
            data = a.apply_block(data, n, final)
            n = len(data)
        return data

    for buf, n in blocks:
        out = through(buf, n, False)
        if out:
            yield out, len(out)
    out = through(b"", 0, True)
    if out:
        yield out, len(out)


def _sized(blocks):
    return ((b, len(b)) for b in blocks)


def corpus_name(corpus):
    """How messages name a corpus: its file, its first file and how many more, or
    'the corpus' (an in-memory iterable)."""
    paths = corpus.paths
    if not paths:
        return "the corpus"
    return paths[0] if len(paths) == 1 else f"{paths[0]} (and {len(paths) - 1} more files)"


# ---------------------------------------------------------------- identity

_HASHED_BYTES = 1 << 16


def corpus_fingerprint(corpus, words=None):
    """What identifies a file corpus cheaply: per file, its path (for messages), size and a
    hash of its first and last 64 KiB; ``words`` is the scan's word count.  None for an
    iterable corpus.  A JSON-ready dict (saved in model.json with the vocabulary).

    The modification time is not part of it: a copied or touched corpus is the same corpus
    (a checkpoint may be resumed elsewhere).  An edit that keeps the size and both ends is
    seen only through the word count, when the corpus is encoded for training."""
    if corpus.paths is None:
        return None
    files = []
    for path in corpus.paths:
        size = source_size(path)
        with open_source(path) as f:
            digest = hashlib.blake2b(f.read(_HASHED_BYTES), digest_size=16)
            if size > _HASHED_BYTES:
                f.seek(max(_HASHED_BYTES, size - _HASHED_BYTES))
                digest.update(f.read(_HASHED_BYTES))
        files.append({"path": path, "size": size, "ends_blake2b": digest.hexdigest()})
    return {"files": files, "words": None if words is None else int(words)}


def _describe_files(fingerprint):
    files = fingerprint["files"]
    first = f"{files[0]['path']} ({files[0]['size']:,} bytes)" if files else "no files"
    return first if len(files) <= 1 else f"{first} and {len(files) - 1} more files"


def fingerprint_mismatch(recorded, current):
    """None when two fingerprints name the same files (same sizes and hashed ends, in the
    same order; paths may differ), else a sentence naming both corpora."""
    same = len(recorded["files"]) == len(current["files"]) and all(
        (a["size"], a["ends_blake2b"]) == (b["size"], b["ends_blake2b"])
        for a, b in zip(recorded["files"], current["files"]))
    if same:
        return None
    changed = ("has changed since" if [f["path"] for f in recorded["files"]]
               == [f["path"] for f in current["files"]] else "is not the corpus of")
    return (f"the corpus {_describe_files(current)} {changed} the vocabulary "
            f"(built from {_describe_files(recorded)}, {recorded.get('words') or 0:,} words)")


def same_paths(recorded, current):
    """True when two fingerprints name the same files by path, in the same order."""
    return [f["path"] for f in recorded["files"]] == [f["path"] for f in current["files"]]


def check_fingerprint(value):
    """A fingerprint read back from model.json, checked (ValueError if malformed)."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("files"), list):
        raise ValueError(f"bad corpus fingerprint {value!r}")
    for f in value["files"]:
        if not (isinstance(f, dict) and isinstance(f.get("path"), str)
                and isinstance(f.get("size"), int) and isinstance(f.get("ends_blake2b"), str)):
            raise ValueError(f"bad corpus fingerprint entry {f!r}")
    words = value.get("words")
    if words is not None and (not isinstance(words, int) or words < 0):
        raise ValueError(f"bad corpus word count {words!r}")
    return {"files": value["files"], "words": words}


def _iter_file_sentences(path, msl, block_size, phrases=()):
    """Stream one file's sentences: bounded memory whatever the line length."""
    cur = []        # tokens of the current sentence (a line, or a cut of one)
    carry = []      # pieces of a token cut at a block end (hold no whitespace)
    carried = 0     # their bytes; blocks beyond MAX_TOKEN_BYTES are cut off (bounded memory)
    blocks = _phrased(_sized(_blocks(path, block_size, False)), phrases, msl)
    while True:
        block = next(blocks, (b"", 0))[0]
        if block:
            tb = block.translate(_TO_SPACE_NL)
            cut = max(tb.rfind(b" "), tb.rfind(b"\n"))
            if cut < 0:
                if carried <= MAX_TOKEN_BYTES:
                    carry.append(block[:MAX_TOKEN_BYTES + 1 - carried])
                    carried += len(carry[-1])
                continue
            data = tb[:cut + 1]
            if carry:
                data = b"".join(carry) + data
            carry = [block[cut + 1:]] if cut + 1 < len(block) else []
        elif carry:
            data = b"".join(carry)
            carry = []
        else:
            break
        carried = len(carry[0]) if carry else 0
        text = data.decode(*_DECODE)
        exact = _OTHER_STR_SPACE.search(text) is None
        for i, line in enumerate(text.split("\n")):
            if i and cur:        # a line ended
                yield cur
                cur = []
            toks = line.split() if exact else [t for t in line.split(" ") if t]
            n = len(toks)
            if not n:
                continue
            if max(map(len, toks)) > _SAFE_CHARS:
                toks = [cap_token(t) for t in toks]
            j = 0
            if cur:
                j = min(msl - len(cur), n)
                cur.extend(toks[:j])
                if len(cur) == msl:
                    yield cur
                    cur = []
            while n - j >= msl:
                yield toks[j:j + msl]
                j += msl
            if j < n:
                cur = toks[j:] if j else toks
    if cur:
        yield cur


# ---------------------------------------------------------------- counting

@dataclass
class WordCounts:
    """Raw word counts of a corpus.

    ``words`` are in order of first occurrence (after pruning, a word dropped and
    seen again counts from its new first occurrence), ``counts`` aligned int64.
    ``total_words`` counts every token read, ``n_sentences`` the sentences after
    cutting long lines.  With ``max_vocab_size``, ``pruned_words`` entries
    holding ``pruned_count`` occurrences were dropped (so
    ``counts.sum() + pruned_count == total_words``), ``min_reduce`` is the next
    pruning threshold (1 when nothing was pruned) and ``peak_size`` is the
    most distinct words any one counting table held.
    """
    words: list
    counts: np.ndarray
    total_words: int
    n_sentences: int
    pruned_words: int = 0
    pruned_count: int = 0
    min_reduce: int = 1
    peak_size: int = 0

    def __len__(self):
        return len(self.words)


# Threads of a scan, an encoding or a training run: each has its own buffers, and
# libgomp fails (or the machine thrashes) long before absurd counts.
MAX_WORKERS = 1024


def _check_workers(workers):
    workers = int(workers)
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be in [1, {MAX_WORKERS}], got {workers}")
    return workers


def count_words(corpus, workers=1, max_vocab_size=None):
    """Count the words of ``corpus`` (a :class:`Corpus` or any Corpus source).

    File corpora are counted in C; plain files in ``workers`` byte ranges in
    parallel (same result as one worker when nothing is pruned).  In-memory
    corpora are counted with ``collections.Counter``.  ``max_vocab_size`` bounds
    the distinct words held while counting, as word2vec.c does (each of the
    ``workers`` tables gets ``max_vocab_size // workers``).
    """
    corpus = _as_corpus(corpus)
    workers = _check_workers(workers)
    if max_vocab_size is not None and int(max_vocab_size) < 1:
        raise ValueError("max_vocab_size must be >= 1 or None")
    if corpus.paths is None:
        return _count_iterable(corpus, max_vocab_size)
    msl = corpus.max_sentence_length
    table = _scan.VocabTable(max_vocab_size or 0)
    total = sentences = 0
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        for path in corpus.paths:
            if pool is not None and detect_compression(path) is None:
                parts = _count_plain_parallel(path, corpus, workers, max_vocab_size, pool)
            else:
                # one stream counts straight into the corpus table, so one worker
                # prunes exactly as a single word2vec.c table would
                parts = [(_count_stream(path, corpus, table, overlap=workers > 1), None)]
            for i, (scanner, part) in enumerate(parts):
                if part is not None:
                    table.take(part)
                    parts[i] = (scanner, None)      # each range's table goes once merged
                    del part
                total += scanner.raw_tokens
            sentences += _file_sentences([scanner for scanner, _ in parts], msl)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    counts = WordCounts(words=table.words(), counts=table.counts(), total_words=total,
                        n_sentences=sentences, pruned_words=table.pruned_words,
                        pruned_count=table.pruned_count, min_reduce=table.min_reduce,
                        peak_size=table.peak_size)
    _log_counts(counts, len(corpus.paths))
    return counts


def _log_counts(counts, n_files=None):
    logger.info("collected %d word types from %d raw words and %d sentences%s%s",
                len(counts.words), counts.total_words, counts.n_sentences,
                f" in {n_files} file(s)" if n_files is not None else "",
                f"; pruned {counts.pruned_words} entries ({counts.pruned_count} occurrences)"
                if counts.pruned_words else "")


def _file_sentences(scanners, msl):
    """Sentences of one file from the scanners of its consecutive byte ranges.

    A range cut mid-line only knows the tokens before its first line end
    (head), the sentences of the lines it holds whole, and the tokens after its
    last line end (tail); the line running across ranges is summed here, so
    the total is the same wherever the ranges were cut."""
    sentences = carry = 0   # carry: tokens of the line running on into the next range
    for s in scanners:
        if s.seen_eol:
            sentences += -(-(carry + s.head_tokens) // msl) + s.mid_sentences
            carry = s.tail_tokens
        else:
            carry += s.head_tokens
    return sentences - (-carry // msl)      # a file's end ends its last line


def _count_stream(path, corpus, table, overlap):
    msl = corpus.max_sentence_length
    scanner = _scan.Scanner(msl)
    for block, n in _phrased(_sized(_blocks(path, corpus.block_size, overlap)),
                             corpus.phrases, msl):
        scanner.count(table, block, n)
    scanner.count(table, b"", 0, True)
    return scanner


def _count_range(path, start, end, block_size, msl, max_size, phrases=()):
    scanner = _scan.Scanner(msl)
    table = _scan.VocabTable(max_size)
    for block, n in _phrased(_read_range(path, start, end, block_size), phrases, msl):
        scanner.count(table, block, n)
    scanner.count(table, b"", 0, True)
    return scanner, table


def _count_plain_parallel(path, corpus, workers, max_vocab_size, pool):
    # phrases join tokens across spaces, never across lines: cut at line ends
    bounds = _split_points(path, workers, _EOL_BYTE if corpus.phrases else _SPACE_BYTE)
    max_size = max(1, max_vocab_size // (len(bounds) - 1)) if max_vocab_size else 0
    futures = [pool.submit(_count_range, path, a, b, corpus.block_size,
                           corpus.max_sentence_length, max_size, corpus.phrases)
               for a, b in zip(bounds, bounds[1:])]
    return [f.result() for f in futures]


def _split_points(path, parts, pattern):
    """Offsets [0, b1, ..., size] cutting ``path`` into <= ``parts`` ranges, each
    cut at the first byte matching ``pattern`` at or after an even split."""
    size = source_size(path)
    parts = max(1, min(parts, size // _MIN_RANGE_BYTES))
    bounds = [0]
    with open_source(path) as f:
        for i in range(1, parts):
            pos = max(size * i // parts, bounds[-1])
            f.seek(pos)
            while True:
                chunk = f.read(1 << 16)
                if not chunk:
                    pos = size
                    break
                m = pattern.search(chunk)
                if m:
                    pos += m.start()
                    break
                pos += len(chunk)
            if pos > bounds[-1] and pos < size:
                bounds.append(pos)
    bounds.append(size)
    return bounds


def _read_range(path, start, end, block_size):
    """Yield (buffer, n) blocks of path[start:end], reusing one buffer."""
    buf = bytearray(block_size)
    view = memoryview(buf)
    with open_source(path) as f:
        f.seek(start)
        left = end - start
        while left > 0:
            n = f.readinto(view[:min(block_size, left)])
            if not n:
                raise RuntimeError(f"{path}: file shrank while being read")
            left -= n
            yield buf, n


def _blocks(path, block_size, overlap):
    """Decompressed blocks of one file; with ``overlap`` a reader thread
    decompresses the next blocks while the caller works on this one."""
    if not overlap:
        with open_binary(path) as f:
            while True:
                block = f.read(block_size)
                if not block:
                    return
                yield block
    q = queue.Queue(maxsize=4)
    stop = threading.Event()

    def reader():
        try:
            with open_binary(path) as f:
                while not stop.is_set():
                    block = f.read(block_size)
                    _put(block)
                    if not block:
                        return
        except BaseException as e:      # handed to the consumer, raised there
            _put(e)

    def _put(item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=reader, name="w2v-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _count_iterable(corpus, max_vocab_size):
    counter = Counter()
    total = sentences = 0
    pruned_words = pruned_count = 0
    min_reduce = 1
    peak = 0
    bound = int(max_vocab_size) if max_vocab_size else 0
    for sentence in corpus:
        sentences += 1
        total += len(sentence)
        if not bound or len(counter) + len(sentence) <= bound:
            counter.update(sentence)
        else:
            # Near the bound: one token at a time, pruning exactly as the C
            # table does (before a new word would exceed the bound).
            for w in sentence:
                if w in counter:
                    counter[w] += 1
                    continue
                while len(counter) >= bound:
                    # rounds that would drop nothing are skipped (as in C)
                    min_reduce = max(min_reduce, min(counter.values()))
                    drop = [k for k, c in counter.items() if c <= min_reduce]
                    for k in drop:
                        pruned_count += counter.pop(k)
                    pruned_words += len(drop)
                    min_reduce += 1
                counter[w] = 1
                if len(counter) > peak:
                    peak = len(counter)
        if len(counter) > peak:
            peak = len(counter)
    counts = WordCounts(words=list(counter),
                        counts=np.fromiter(counter.values(), np.int64, len(counter)),
                        total_words=total, n_sentences=sentences, pruned_words=pruned_words,
                        pruned_count=pruned_count, min_reduce=min_reduce, peak_size=peak)
    _log_counts(counts)
    return counts


# ---------------------------------------------------------------- encoding

@dataclass
class EncodedCorpus:
    """A file corpus as int32 ids (ARCHITECTURE.md "Encoded corpus").

    ``ids`` is a read-only ``np.memmap`` of ``path`` (an empty ndarray when no
    id was written), ``n_tokens`` the ids written (without the -1 sentence
    ends), ``n_sentences`` the -1s written (non-empty sentences after dropping
    out-of-vocabulary tokens), ``raw_tokens`` every token read.
    """
    path: str
    ids: np.ndarray
    n_tokens: int
    n_sentences: int
    raw_tokens: int


def _write_all(f, data):
    view = memoryview(data).cast("B")
    while view:
        n = f.write(view)
        view = view[n:]


class _RangeEncoder:
    """Feeds blocks to one Scanner and writes its ids to one raw file."""

    def __init__(self, vocab, msl, block_size, out):
        self.vocab = vocab
        self.scanner = _scan.Scanner(msl)
        self.ids = np.empty(block_size + 2, dtype=np.int32)
        self.out = out

    def feed(self, block, n, final=False):
        if n + 2 > len(self.ids):       # phrased text can outgrow a block
            self.ids = np.empty(n + 2, dtype=np.int32)
        k = self.scanner.encode(self.vocab, block, self.ids, n, final)
        if k:
            _write_all(self.out, self.ids[:k])

    def finish(self):
        self.feed(b"", 0, True)
        return self.scanner


def _encode_range(path, start, end, vocab, msl, block_size, out_path, phrases=()):
    with open(out_path, "wb", buffering=0) as out:
        enc = _RangeEncoder(vocab, msl, block_size, out)
        for block, n in _phrased(_read_range(path, start, end, block_size), phrases, msl):
            enc.feed(block, n)
        return enc.finish()


def _append_file(out, src_path):
    """Append src_path's bytes to the raw file ``out`` (in-kernel copy when possible)."""
    with open(src_path, "rb", buffering=0) as src:
        left = os.fstat(src.fileno()).st_size
        if hasattr(os, "copy_file_range"):
            try:
                while left > 0:
                    n = os.copy_file_range(src.fileno(), out.fileno(), min(left, 1 << 30))
                    if n == 0:
                        break
                    left -= n
            except OSError:
                pass
        while left > 0:
            chunk = src.read(min(left, 1 << 22))
            if not chunk:
                raise RuntimeError(f"{src_path}: shorter than expected")
            _write_all(out, chunk)
            left -= len(chunk)


def encode_file_corpus(corpus, words, out_path, workers=1):
    """Encode a file corpus as int32 word ids with -1 sentence ends into ``out_path``.

    ``words`` is the final vocabulary (id = position).  Plain files are encoded
    in up to ``workers`` ranges cut at line ends (so sentence cutting is the
    same as reading sequentially), each written to its own part file and
    concatenated in order; a file without line ends is encoded by one thread.
    """
    corpus = _as_corpus(corpus)
    workers = _check_workers(workers)
    if corpus.paths is None:
        raise TypeError("encode_file_corpus needs a file corpus; use encode_sentences "
                        "for in-memory sentences")
    words = list(words)
    if len(words) >= 2 ** 31:
        raise ValueError("vocabulary too large for int32 ids")
    vocab = _scan.VocabTable.from_words(words)
    out_path = _fspath(out_path)
    msl, block_size = corpus.max_sentence_length, corpus.block_size
    scanners = []
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    done = False
    try:
        with open(out_path, "wb", buffering=0) as out:
            for path in corpus.paths:
                bounds = None
                if pool is not None and detect_compression(path) is None:
                    bounds = _split_points(path, workers, _EOL_BYTE)
                if bounds is None or len(bounds) == 2:
                    enc = _RangeEncoder(vocab, msl, block_size, out)
                    for block, n in _phrased(_sized(_blocks(path, block_size, pool is not None)),
                                             corpus.phrases, msl):
                        enc.feed(block, n)
                    scanners.append(enc.finish())
                    continue
                scanners.extend(_encode_parallel(path, bounds, vocab, msl, block_size,
                                                 out, out_path, pool, corpus.phrases))
        done = True
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if not done:        # never leave a half-written cache behind
            try:
                os.unlink(out_path)
            except OSError:
                pass
    n_ids = sum(s.n_ids for s in scanners)
    n_sent = sum(s.n_sentences for s in scanners)
    raw = sum(s.raw_tokens for s in scanners)
    if n_ids + n_sent:
        ids = np.memmap(out_path, dtype=np.int32, mode="r")
    else:
        ids = np.empty(0, dtype=np.int32)
    return EncodedCorpus(path=out_path, ids=ids, n_tokens=n_ids, n_sentences=n_sent,
                         raw_tokens=raw)


def _encode_parallel(path, bounds, vocab, msl, block_size, out, out_path, pool, phrases=()):
    folder, base = os.path.split(os.path.abspath(out_path))
    part_paths = []
    try:
        for _ in bounds[2:]:
            fd, p = tempfile.mkstemp(prefix=base + ".", suffix=".part", dir=folder)
            os.close(fd)
            part_paths.append(p)

        def first_range():
            enc = _RangeEncoder(vocab, msl, block_size, out)
            for block, n in _phrased(_read_range(path, bounds[0], bounds[1], block_size),
                                     phrases, msl):
                enc.feed(block, n)
            return enc.finish()

        futures = [pool.submit(first_range)]
        futures += [pool.submit(_encode_range, path, a, b, vocab, msl, block_size, p, phrases)
                    for a, b, p in zip(bounds[1:], bounds[2:], part_paths)]
        scanners = [f.result() for f in futures]
        for p in part_paths:
            _append_file(out, p)
        return scanners
    finally:
        for p in part_paths:
            try:
                os.unlink(p)
            except OSError:
                pass


def encode_sentences(sentences, key_to_index):
    """Encode token lists as one int32 array: ids of known tokens (``key_to_index``
    maps str -> id), -1 after each sentence that kept at least one token.

    Sentences are not cut here; pass a :class:`Corpus` to cut long ones."""
    get = key_to_index.get
    parts, buf = [], []
    for sentence in sentences:
        buf.extend(map(get, sentence, repeat(-2)))
        buf.append(-1)
        if len(buf) >= 1 << 20:
            parts.append(_compact_ids(buf))
            buf = []
    if buf or not parts:
        parts.append(_compact_ids(buf))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _compact_ids(buf):
    """Drop unknown tokens (-2) and the ends of sentences left empty."""
    a = np.array(buf, dtype=np.int32)
    a = a[a != -2]
    eos = a == -1
    empty = eos.copy()
    empty[1:] &= eos[:-1]   # an end right after an end (or first) closes nothing
    return a[~empty]
