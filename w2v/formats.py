"""Vector file formats: word2vec C text and binary (read, write, tell apart), the w2v
folders (told apart here, read by ``KeyedVectors.load`` / ``Word2Vec.load``), and the
TensorBoard Embedding Projector's TSV pair (write).

word2vec C format: header ``"<count> <dim>\\n"``, then per word either
``word v1 ... vd\\n`` (text) or ``word<space><d little-endian float32>`` optionally followed
by ``\\n`` (binary; we write the ``\\n`` like word2vec.c, gensim 4.4 does not; both are
read). Reading validates everything and raises ``ValueError`` naming the file instead of
crashing or allocating beyond what the file size allows. Compressed files (gzip, bzip2,
xz) are read and written through :mod:`w2v.compression`: recognised by their first bytes
when read, compressed by the name's suffix when written.

``KeyedVectors.save_word2vec_format`` / ``load_word2vec_format`` call the functions here;
:func:`is_binary_word2vec` is the one test of text against binary (the ``w2v`` command
and :func:`load_vectors` use it).
"""
import errno
import os
import re
import warnings

import numpy as np

from w2v._io import atomic_directory, atomic_write
from w2v.remote import is_url
from w2v.compression import (open_append, open_binary, open_write, plain_size,
                             strip_compression_suffix)

__all__ = ["FORMAT_NAMES", "detect_format", "display", "export_projector", "format_for_name",
           "is_binary_word2vec", "load_vectors", "load_word2vec_format", "read_word2vec_header",
           "save_vectors", "save_word2vec_format"]

_MAX_HEADER_BYTES = 4096
_MAX_WORD_BYTES = 1 << 20          # far above any real token; bounds the search for a word's end
_MAX_TEXT_LINE = 1 << 24           # bounds memory per text line (d up to ~8M values)
_MAX_DIM = (1 << 31) - 1
_READ_CHUNK = 1 << 22
_MAX_READ_PIECE = 1 << 26          # never ask a reader for more at once (BufferedReader preallocates)
_ASCII_WS = " \t\n\r\x0b\x0c"
# One value of a text record: what float() accepts, less "_" separators and padding.
_TEXT_NUMBER = re.compile(rb"[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
                          rb"|(?i:nan|inf|infinity))")

FORMAT_NAMES = {"native-model": "w2v Word2Vec model (folder)",
                "native-kv": "w2v KeyedVectors (folder)",
                "bin": "word2vec binary", "text": "word2vec text",
                "gensim": "gensim model or KeyedVectors (pickle, read without running code)"}


# ---------------------------------------------------------------------- telling formats apart
def read_word2vec_header(path):
    """``(count, dimension)`` from the first line of a word2vec file (plain or compressed);
    ValueError naming the file when it has no such line."""
    with open_binary(path) as f:
        n, dim, _ = _read_header(f, os.fspath(path))
    return n, dim


def is_binary_word2vec(path):
    """True (binary), False (text) or None (cannot tell) from the first record of a
    word2vec file; nothing after the first record is looked at.

    Text when the rest of the first line after ``word<space>`` is exactly `dim` numbers;
    binary when ``4 * dim`` bytes follow the word instead. (A binary vector whose bytes
    happen to spell `dim` numbers and a newline would pass for text: no real file does.)
    """
    with open_binary(path) as f:
        try:
            _, dim, _ = _read_header(f, os.fspath(path))
        except ValueError:
            return None
        # the longest text record: a word and dim values of at most 64 bytes each
        limit = _MAX_WORD_BYTES + 64 * (dim + 1)
        line = f.readline(limit)
        if line.endswith(b"\n") or len(line) < limit:      # a whole line (or the file)
            tokens = line.split()
            if len(tokens) == dim + 1 and all(_TEXT_NUMBER.fullmatch(v) for v in tokens[1:]):
                return False
        space = line.find(b" ")
        if space <= 0:
            return None
        rest = line[space + 1:]
        if len(rest) < 4 * dim:      # the vector held a newline byte: read the remainder
            rest += f.read(4 * dim - len(rest))
    return True if len(rest) >= 4 * dim else None


def detect_format(path):
    """'native-model' (a folder saved by ``Word2Vec.save``), 'native-kv' (a folder saved by
    ``KeyedVectors.save``), 'gensim' (a file gensim saved: a pickle), 'bin' or 'text'
    (word2vec C formats: by content, else by the extension, compression suffix aside).
    A URL (``s3://...``, read through fsspec) names a word2vec file: saved folders and
    gensim's pickles are read from local paths only."""
    path = os.fspath(path)
    if not is_url(path):
        if os.path.isdir(path):
            if os.path.isfile(os.path.join(path, "model.json")):
                return "native-model"
            if os.path.isfile(os.path.join(path, "keyedvectors.json")):
                return "native-kv"
            raise ValueError(f"{path}: a folder, but not one saved by w2v "
                             f"(no model.json or keyedvectors.json)")
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such file or folder", path)
        from w2v import gensim_compat
        if gensim_compat.is_pickle(path, old_protocols=False):
            return "gensim"
    try:
        binary = is_binary_word2vec(path)
    except FileNotFoundError as exc:           # a URL's file missing: name the URL
        raise FileNotFoundError(errno.ENOENT, "no such file", path) from exc
    if binary is None:
        binary = strip_compression_suffix(os.path.basename(path)).lower().endswith(".bin")
    return "bin" if binary else "text"


def format_for_name(path):
    """Output format from a name: 'text' for .txt/.vec, 'bin' for .bin (either optionally
    followed by .gz/.bz2/.xz), 'native' (a folder) for anything else."""
    lower = strip_compression_suffix(os.path.basename(os.path.normpath(path))).lower()
    if lower.endswith((".txt", ".vec")):
        return "text"
    if lower.endswith(".bin"):
        return "bin"
    return "native"


def load_vectors(path):
    """KeyedVectors from `path`, whatever its format (:func:`detect_format`): a folder
    saved by ``Word2Vec.save`` or ``KeyedVectors.save`` (vectors memory-mapped read-only),
    a file gensim saved (its vectors, read without running code from it), or a word2vec
    binary/text file (plain or compressed). Word2vec files hold no word counts, so the
    result has none (no made-up ones). Words that are not valid UTF-8 are kept
    losslessly (surrogateescape)."""
    from w2v.keyedvectors import KeyedVectors

    fmt = detect_format(path)
    if fmt == "gensim":
        return KeyedVectors.load(path)
    if fmt in ("native-model", "native-kv"):
        # Word2Vec.save stores its vectors as a KeyedVectors folder in the same place.
        return KeyedVectors.load(path, mmap="r")
    kv = load_word2vec_format(path, binary=(fmt == "bin"), unicode_errors="surrogateescape")
    kv.expandos.pop("count", None)
    return kv


def save_vectors(kv, path, fmt):
    """Write `kv` as 'native' (a KeyedVectors folder), 'bin' or 'text' (word2vec)."""
    if fmt == "native":
        kv.save(path)
    else:
        save_word2vec_format(kv, path, binary=(fmt == "bin"))


def display(word):
    """A key as printable text: bytes that are not UTF-8 (held as surrogateescape) become
    ``\\xNN``, other keys ``str(key)``."""
    if not isinstance(word, str):
        return str(word)
    try:
        return word.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no byte decodes to
        return word.encode("utf-8", "backslashreplace").decode("ascii")


# ---------------------------------------------------------------------- Embedding Projector
def _tsv_field(word):
    # The projector splits on tabs and lines: escape them (words never hold them when they
    # come from w2v's tokenizer, but a KeyedVectors folder may).
    return display(word).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") \
        .replace("\r", "\\r")


def export_projector(kv, directory, limit=None):
    """Write ``vectors.tsv`` and ``metadata.tsv`` for the TensorBoard Embedding Projector.

    The projector reads a one-column metadata file as labels with no header, and a
    several-column one as having a header line; so with counts the file starts with
    ``word\\tcount``, without counts it is just the words. When `directory` is new or
    holds nothing else, the pair is replaced in one atomic step; otherwise each file is
    replaced atomically on its own (the folder's other files are left alone).
    Returns the number of words written.
    """
    n = len(kv) if limit is None else min(limit, len(kv))
    counts = kv.expandos.get("count")
    names = {"vectors.tsv", "metadata.tsv"}

    def write(vec_path, meta_path):
        with atomic_write(vec_path, "wb") as f:
            rows = max(1, (1 << 20) // max(1, 12 * kv.vector_size))
            for lo in range(0, n, rows):
                block = np.asarray(kv.vectors[lo:min(n, lo + rows)], dtype=np.float64)
                text = "\n".join("\t".join(f"{x:.6g}" for x in row) for row in block.tolist())
                f.write(text.encode("ascii") + b"\n")
        with atomic_write(meta_path, "wb") as f:
            words = [_tsv_field(w) for w in kv.index_to_key[:n]]
            if counts is not None:
                lines = ["word\tcount"] + [f"{w}\t{c}" for w, c in zip(words, counts[:n].tolist())]
            else:
                lines = words
            f.write(("\n".join(lines) + "\n").encode("utf-8"))

    directory = os.fspath(directory)
    if not os.path.isdir(directory) or set(os.listdir(directory)) <= names:
        with atomic_directory(directory) as tmp:
            write(os.path.join(tmp, "vectors.tsv"), os.path.join(tmp, "metadata.tsv"))
    else:
        write(os.path.join(directory, "vectors.tsv"), os.path.join(directory, "metadata.tsv"))
    return n


# ---------------------------------------------------------------------- word2vec C format
def save_word2vec_format(kv, fname, fvocab=None, binary=False, total_vec=None, write_header=True,
                         prefix="", append=False, sort_attr="count"):
    """Write vectors in word2vec C format (atomically, unless `append`).

    Text values are printed with 9 significant digits (17 for float64), enough to read
    float32 back bit-exactly; binary is little-endian float32 with a ``\\n`` after each
    vector. Keys are ordered by descending `sort_attr` when that attribute exists (as
    gensim), else in index order. Keys are written UTF-8 with ``surrogateescape``, so
    keys read from invalid UTF-8 get their original bytes back. `fvocab` gets
    ``word count`` lines (word2vec's -save-vocab format). Keys that are empty or contain
    ASCII whitespace cannot be written (ValueError): the file would not read back.
    Names ending in .gz, .bz2 or .xz are written compressed (with `append`, as one more
    compressed stream, which readers take as the continuation of the file).
    """
    n, dim = len(kv.index_to_key), kv.vector_size
    if kv.vectors.shape != (n, dim):
        raise ValueError(f"vectors have shape {kv.vectors.shape}, expected ({n}, {dim})")
    if total_vec is None:
        total_vec = n
    if sort_attr in kv.expandos:
        order = np.argsort(-kv.expandos[sort_attr], kind="stable")
    else:
        if fvocab is not None:
            raise ValueError(f"Cannot store vocabulary with '{sort_attr}' because that attribute does not exist")
        order = np.arange(n)
    words = [f"{prefix}{k}" for k in kv.index_to_key]
    _check_writable_words(words, fname)
    open_out = open_append if append else open_write
    if fvocab is not None:
        counts = kv.expandos[sort_attr]
        with open_out(fvocab) as fout:
            for lo in range(0, n, 65536):
                part = order[lo:lo + 65536].tolist()
                fout.write("".join(f"{words[i]} {counts[i]}\n" for i in part)
                           .encode("utf8", "surrogateescape"))
    text_fmt = " ".join(["%.17g" if kv.vectors.dtype == np.float64 else "%.9g"] * dim)
    with open_out(fname) as fout:
        if write_header:
            fout.write(f"{total_vec} {dim}\n".encode("ascii"))
        rows = max(1, (1 << 20) // max(1, 4 * dim))
        for lo in range(0, n, rows):
            part = order[lo:lo + rows]
            block = kv.vectors[part]
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


def load_word2vec_format(fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                         limit=None, datatype=np.float32, no_header=False, kv_class=None):
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
    `kv_class`: the class built (default ``KeyedVectors``).
    """
    fname = os.fspath(fname)
    if no_header and binary:
        raise NotImplementedError("no_header only available for text-format files")
    counts = _read_vocab_counts(fvocab, encoding, unicode_errors) if fvocab is not None else None
    with open_binary(fname) as fin:
        size = plain_size(fin)
        if no_header:
            n_records, dim, left = None, None, size
        else:
            n_records, dim, header_len = _read_header(fin, fname)
            left = None if size is None else size - header_len
        announced = n_records
        if limit and n_records is not None:
            n_records = min(n_records, limit)
        reader = _read_binary_records if binary else _read_text_records
        words, vectors, rest = reader(fin, fname, n_records, dim, left, encoding, unicode_errors,
                                      limit or None, np.dtype(datatype))
        if announced is not None and not (limit and limit <= announced) \
                and _data_follows(fin, rest):
            # gensim reads the header's count and ignores the rest: the same vectors, said
            warnings.warn(f"{fname}: the header announces {announced} vectors but more records "
                          f"follow them; read the first {announced} (as gensim does); fix the "
                          f"header count to load them all", UserWarning, stacklevel=3)
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
                      f"(e.g. {dups[:5]!r})", UserWarning, stacklevel=3)
        vectors = vectors[keep]
        words = [words[i] for i in keep]
    with np.errstate(over="ignore", invalid="ignore"):
        vectors = vectors.astype(datatype, copy=False)
    bad = ~np.isfinite(vectors).all(axis=1)
    if bad.any():
        warnings.warn(f"{fname}: {int(bad.sum())} vector(s) contain NaN or infinite values "
                      f"(first: {words[int(np.argmax(bad))]!r})", RuntimeWarning, stacklevel=3)
    if kv_class is None:
        from w2v.keyedvectors import KeyedVectors as kv_class
    kv = kv_class(dim, 0, dtype=vectors.dtype)
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
                          f"their count is 0 (e.g. {missing[:5]!r})", UserWarning, stacklevel=3)
        kv.expandos["count"] = np.array([counts.get(w, 0) for w in words], dtype=np.int64)
    return kv


def _check_writable_words(words, fname):
    joined = "\x00".join(words)
    if any(c in joined for c in _ASCII_WS) or not all(words):
        for w in words:
            if not w or any(c in w for c in _ASCII_WS):
                raise ValueError(f"{fname}: key {w!r} is empty or contains whitespace; "
                                 f"it cannot be stored in word2vec format")


def _read_header(fin, fname):
    line = fin.readline(_MAX_HEADER_BYTES)
    if len(line) >= _MAX_HEADER_BYTES and not line.endswith(b"\n"):
        raise ValueError(f"{fname}: no word2vec header (first line longer than {_MAX_HEADER_BYTES} bytes)")
    parts = line.split()
    if len(parts) != 2 or not all(re.fullmatch(rb"[0-9]{1,18}", p) for p in parts):
        raise ValueError(f"{fname}: bad word2vec header {line[:80]!r}: expected '<count> <dimension>' "
                         f"(not a word2vec file? pass no_header=True for a text file without one)")
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
    return words, rows.result(), buf[pos:]


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
    return words, rows.result(), b""


def _data_follows(fin, rest):
    """Whether anything but whitespace is left: `rest` (bytes already read), then the file."""
    if rest.strip():
        return True
    while True:
        piece = fin.read(_READ_CHUNK)
        if not piece:
            return False
        if piece.strip():
            return True


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
    with open_binary(fvocab) as fin:
        for line_no, line in enumerate(fin, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not re.fullmatch(rb"[0-9]{1,19}", parts[1]):
                raise ValueError(f"{fvocab}: line {line_no}: expected '<word> <count>', got {line[:80]!r}")
            word = _decode_word(parts[0], fvocab, line_no - 1, encoding, errors)
            counts.setdefault(word, int(parts[1]))
    return counts