"""Compressed files: gzip, bzip2 and xz, for reading and for writing.

Reading recognises the format by the file's first bytes, never by its name (a
``corpus.txt`` that is really gzip is read as gzip; a ``notes.gz`` that is plain
text is read as text).  Writing compresses by the name's suffix (``.gz``,
``.bz2``, ``.xz``), the only thing a caller has before the file exists.

Damaged input is reported the same way for every format: reading a truncated or
corrupt compressed file raises :class:`CorruptFileError`, a ``ValueError`` that
names the file and the decompressed bytes read before the damage, instead of the
decompressors' assorted ``OSError`` / ``EOFError`` / ``zlib.error`` / ``LZMAError``.
"""
import bz2
import contextlib
import errno
import gzip
import io
import lzma
import os
import re
import zlib

from w2v._io import atomic_write
from w2v.remote import is_url, open_source

__all__ = ["CorruptFileError", "compression_for_name", "detect_compression", "open_append",
           "open_binary", "open_write", "plain_size", "strip_compression_suffix"]

# (pattern of the first bytes, name, opener).  Longer than the bare magic numbers
# so that text which merely starts with "BZh" stays plain: gzip names its
# method (8, deflate), bzip2 a block size digit and then the magic of either a
# first block (pi) or the end of an empty stream (sqrt(pi)).
_MAGIC = (
    (re.compile(rb"\x1f\x8b\x08"), "gzip", gzip.open),
    (re.compile(rb"BZh[1-9](?:\x31\x41\x59\x26\x53\x59|\x17\x72\x45\x38\x50\x90)"), "bz2",
     bz2.open),
    (re.compile(rb"\xfd7zXZ\x00"), "xz", lzma.open),
)
_MAGIC_LEN = 10
_OPENERS = {name: opener for _, name, opener in _MAGIC}
_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}


class CorruptFileError(ValueError):
    """A compressed file is truncated or corrupt."""

    def __init__(self, path, kind, bytes_read, cause):
        self.path = path
        self.kind = kind
        self.bytes_read = bytes_read
        super().__init__(f"{path}: truncated or corrupt {kind} data after {bytes_read} "
                         f"decompressed bytes ({type(cause).__name__}: {cause})")


def _fspath(path):
    path = os.fspath(path)
    return os.fsdecode(path) if isinstance(path, bytes) else path


def detect_compression(path):
    """'gzip', 'bz2', 'xz' or None (plain), from the file's first bytes (a path or
    a URL, see w2v.remote)."""
    with open_source(_fspath(path)) as f:
        head = f.read(_MAGIC_LEN)
    for magic, name, _ in _MAGIC:
        if magic.match(head):
            return name
    return None


def compression_for_name(path):
    """'gzip', 'bz2', 'xz' or None, from the name's suffix (case-insensitive): how a
    file about to be written is compressed."""
    lower = _fspath(path).lower()
    for suffix, kind in _SUFFIXES.items():
        if lower.endswith(suffix):
            return kind
    return None


def strip_compression_suffix(name):
    """`name` without a trailing .gz/.bz2/.xz (``vectors.bin.gz`` -> ``vectors.bin``)."""
    name = _fspath(name)
    lower = name.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix):
            return name[:-len(suffix)]
    return name


def check_file(path, what="file"):
    """FileNotFoundError / IsADirectoryError naming ``path`` unless it is a file."""
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"{what} not found", path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "expected a file, got a folder", path)


def open_binary(path):
    """Open ``path`` for binary reading, decompressing gzip/bz2/xz transparently.

    The format comes from the magic bytes, not the file name.  Reading a
    truncated or corrupt compressed file raises :class:`CorruptFileError`
    (a ValueError) naming the file and the decompressed bytes read before.
    """
    path = _fspath(path)
    if is_url(path):
        kind = detect_compression(path)
        raw = open_source(path)
        return raw if kind is None else _DecompressedFile(_OPENERS[kind](raw, "rb"), path, kind,
                                                          raw)
    check_file(path)
    kind = detect_compression(path)
    if kind is None:
        return open(path, "rb")
    return _DecompressedFile(_OPENERS[kind](path, "rb"), path, kind)


def plain_size(f):
    """Size in bytes of a file opened by :func:`open_binary`, or None when it is
    decompressed (its size is then unknown until read)."""
    if isinstance(f, _DecompressedFile):
        return None
    try:
        return os.fstat(f.fileno()).st_size
    except (AttributeError, io.UnsupportedOperation):   # a URL's file (fsspec): no descriptor
        here = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(here)
        return end


class _DecompressedFile(io.BufferedIOBase):
    """Read-only wrapper that counts decompressed bytes and names the file in errors."""

    # errors the decompressors raise on bad input (gzip.BadGzipFile is an OSError)
    _BAD_DATA = (EOFError, OSError, zlib.error, lzma.LZMAError)

    def __init__(self, f, path, kind, raw=None):
        super().__init__()
        self._f = f
        self._raw = raw         # the compressed stream when f was opened on a file object
        self.name = path
        self.kind = kind
        self.bytes_read = 0

    def _guard(self, fn, *args):
        try:
            out = fn(*args)
        except self._BAD_DATA as e:
            raise CorruptFileError(self.name, self.kind, self.bytes_read, e) from e
        self.bytes_read += out if isinstance(out, int) else len(out)
        return out

    def readable(self):
        return True

    def read(self, size=-1):
        return self._guard(self._f.read, size)

    def read1(self, size=-1):
        return self._guard(self._f.read1, size)

    def readinto(self, b):
        return self._guard(self._f.readinto, b)

    def readline(self, size=-1):
        return self._guard(self._f.readline, size)

    def close(self):
        if not self.closed:
            self._f.close()
            if self._raw is not None:
                self._raw.close()
        super().close()


@contextlib.contextmanager
def open_write(path):
    """Binary output to `path`, replaced atomically (``w2v._io.atomic_write``) when the
    ``with`` block ends cleanly; compressed when the name ends in .gz, .bz2 or .xz.
    gzip output carries no timestamp, so equal data gives equal files."""
    path = _fspath(path)
    kind = compression_for_name(path)
    with atomic_write(path, "wb") as raw:
        if kind == "gzip":
            inner = os.path.basename(strip_compression_suffix(path))
            with gzip.GzipFile(filename=inner, mode="wb", fileobj=raw, mtime=0) as f:
                yield f
        elif kind == "bz2":
            with bz2.BZ2File(raw, "wb") as f:
                yield f
        elif kind == "xz":
            with lzma.LZMAFile(raw, "wb") as f:
                yield f
        else:
            yield raw


def open_append(path):
    """Binary output appended to `path` in place (not atomic), compressed by the name's
    suffix as :func:`open_write`: the appended data is a new compressed stream, which
    gzip, bzip2 and xz readers (ours included) read as the continuation of the file."""
    path = _fspath(path)
    kind = compression_for_name(path)
    if kind is None:
        return open(path, "ab")
    return _OPENERS[kind](path, "ab")
