"""Benchmark corpora: the shared Wikipedia+Gutenberg text, its 10M-word slice,
synthetic Zipf text, and the package's bundled sample as a last resort.

Everything large is produced on demand into a cache folder, streamed (bounded
memory) and published atomically (temporary file + ``os.replace``), so that two
benchmark processes racing for the same file both end up reading a complete one.

Locations (environment overrides first):

* shared corpus: ``$W2V_SHARED_DATA``, else the first existing of
  ``<checkout>/../shared/data/corpus`` (a source checkout of w2v sitting beside
  the shared data) and ``./shared/data/corpus``, ``../shared/data/corpus``
* evaluation files: ``$W2V_EVAL_DATA``, else ``eval/`` beside the corpus folder
* cache:         ``$W2V_BENCH_DATA`` or ``<temp dir>/w2v-bench-data``

The cache file names match the copies prepared by hand in ``/tmp/w2vdata``
(``first10M.paragraphs.txt``, ``full.paragraphs.txt``), so
``W2V_BENCH_DATA=/tmp/w2vdata`` reuses them.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]     # the installed w2v/ folder
# In a source checkout the shared data sits beside the repository; from an
# installed package the current directory is the only hint left.
DEFAULT_SHARED_DIR = PACKAGE_DIR.parent.parent / "shared" / "data" / "corpus"
_SHARED_CANDIDATES = (DEFAULT_SHARED_DIR, Path("shared") / "data" / "corpus",
                      Path("..") / "shared" / "data" / "corpus")
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "w2v-bench-data"
FULL_XZ_NAME = "en-wiki-gutenberg-109M.paragraphs.txt.xz"
FULL_NAME = "full.paragraphs.txt"
QUESTIONS_NAME = "questions-words.txt"
WORDSIM_NAME = "wordsim353.tsv"
# Shipped inside the package (package-data), so it exists wherever w2v is installed.
SAMPLE_CORPUS = PACKAGE_DIR / "data" / "austen.txt.xz"
TEN_MILLION = 10_000_000

_CHUNK = 1 << 20
# Same token definition as the project (ARCHITECTURE.md "Tokens"): runs of
# bytes other than ASCII whitespace; bytes regexes use exactly that set for \s.
_TOKEN_RE = re.compile(rb"\S+")


def shared_data_dir() -> Optional[Path]:
    """The shared corpus folder, or None when it is not there."""
    env = os.environ.get("W2V_SHARED_DATA")
    for path in ([Path(env)] if env else _SHARED_CANDIDATES):
        if path.is_dir():
            return path.resolve()
    return None


def eval_files(eval_dir: Optional[PathLike] = None) -> tuple[Optional[Path], Optional[Path]]:
    """(questions-words.txt, wordsim353.tsv) from ``eval_dir``, ``$W2V_EVAL_DATA`` or
    the ``eval`` folder beside the shared corpus; None for each file not found."""
    if eval_dir is None:
        env = os.environ.get("W2V_EVAL_DATA")
        shared = shared_data_dir()
        eval_dir = Path(env) if env else (shared.parent / "eval" if shared else None)
    if eval_dir is None:
        return None, None
    found = [Path(eval_dir) / name for name in (QUESTIONS_NAME, WORDSIM_NAME)]
    return tuple(p if p.is_file() else None for p in found)  # type: ignore[return-value]


def cache_dir(create: bool = True) -> Path:
    """The folder holding decompressed/generated corpora."""
    env = os.environ.get("W2V_BENCH_DATA")
    path = Path(env) if env else DEFAULT_CACHE_DIR
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def words_label(n_words: int) -> str:
    """10_000_000 -> '10M', 1_500_000 -> '1500K', 123 -> '123' (for file names)."""
    for unit, size in (("M", 1_000_000), ("K", 1_000)):
        if n_words % size == 0 and n_words >= size:
            return f"{n_words // size}{unit}"
    return str(n_words)


def open_maybe_compressed(path: PathLike) -> BinaryIO:
    """Open for binary reading, decompressing xz/gz/bz2 recognised by magic bytes."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rb")
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if magic.startswith(b"BZh"):
        return bz2.open(path, "rb")
    return open(path, "rb")


@contextmanager
def atomic_output(dst: PathLike) -> Iterator[BinaryIO]:
    """Write to a temporary file beside ``dst`` and rename it into place on success.

    The rename is atomic on one file system, so readers never see a half-written
    corpus; on error the temporary file is removed and ``dst`` is untouched.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dst.name + ".", suffix=".tmp", dir=dst.parent)
    try:
        # mkstemp makes the file private (0600); give it the usual umask-based mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb", buffering=_CHUNK) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def decompress(src: PathLike, dst: PathLike) -> Path:
    """Stream-decompress ``src`` (xz/gz/bz2/plain) to ``dst`` atomically."""
    with open_maybe_compressed(src) as fin, atomic_output(dst) as fout:
        while True:
            block = fin.read(_CHUNK)
            if not block:
                break
            fout.write(block)
    return Path(dst)


def write_first_words(src: PathLike, dst: PathLike, n_words: int) -> int:
    """Copy the first ``n_words`` tokens of ``src`` to ``dst``, one paragraph per line.

    Lines are copied byte for byte (a missing final newline is added); the line
    holding the ``n_words``-th token is cut right after that token. Reading stops
    there, so only a prefix of a compressed ``src`` is ever decompressed.
    Returns the number of tokens written (less than ``n_words`` only when
    ``src`` is shorter).
    """
    if n_words < 0:
        raise ValueError(f"n_words must be >= 0, got {n_words}")
    written = 0
    with open_maybe_compressed(src) as fin, atomic_output(dst) as fout:
        for line in fin:
            if written >= n_words:
                break
            k = len(line.split())
            if written + k <= n_words:
                fout.write(line if line.endswith(b"\n") else line + b"\n")
                written += k
                continue
            last = next(islice(_TOKEN_RE.finditer(line), n_words - written - 1, None))
            fout.write(line[: last.end()] + b"\n")
            written = n_words
    return written


def count_words(path: PathLike) -> tuple[int, int]:
    """(tokens, lines) of a text file, streaming; tokens as ARCHITECTURE.md defines them."""
    words = lines = 0
    with open_maybe_compressed(path) as f:
        for line in f:
            words += len(line.split())
            lines += 1
    return words, lines


def _shared_full_xz(shared: Optional[PathLike]) -> Path:
    base = Path(shared) if shared is not None else shared_data_dir()
    if base is None:
        raise FileNotFoundError(
            f"shared corpus folder not found (set W2V_SHARED_DATA; default {DEFAULT_SHARED_DIR})")
    src = base / FULL_XZ_NAME
    if not src.is_file():
        raise FileNotFoundError(f"{src} not found")
    return src


def paragraphs_slice(n_words: int = TEN_MILLION, *, shared: Optional[PathLike] = None,
                     cache: Optional[PathLike] = None) -> Path:
    """Path of the first ``n_words`` words of the shared corpus (built once, then cached)."""
    dst = (Path(cache) if cache is not None else cache_dir()) / f"first{words_label(n_words)}.paragraphs.txt"
    if not dst.is_file():
        write_first_words(_shared_full_xz(shared), dst, n_words)
    return dst


def paragraphs_full(*, shared: Optional[PathLike] = None, cache: Optional[PathLike] = None) -> Path:
    """Path of the whole shared corpus, decompressed (built once, then cached)."""
    dst = (Path(cache) if cache is not None else cache_dir()) / FULL_NAME
    if not dst.is_file():
        decompress(_shared_full_xz(shared), dst)
    return dst


def sample_corpus(sample: PathLike = SAMPLE_CORPUS, *, cache: Optional[PathLike] = None) -> Path:
    """The bundled sample corpus as a plain text file (decompressed into the cache if needed)."""
    sample = Path(sample)
    if not sample.is_file():
        raise FileNotFoundError(f"sample corpus {sample} not found")
    with open(sample, "rb") as f:
        plain = not f.read(6).startswith((b"\xfd7zXZ\x00", b"\x1f\x8b", b"BZh"))
    if plain:
        return sample
    name = sample.name
    for ext in (".xz", ".gz", ".bz2"):
        name = name[: -len(ext)] if name.endswith(ext) else name
    dst = (Path(cache) if cache is not None else cache_dir()) / f"sample-{name}"
    if not dst.is_file() or dst.stat().st_mtime < sample.stat().st_mtime:
        decompress(sample, dst)
    return dst


@dataclass(frozen=True)
class BenchCorpus:
    """A corpus picked for a benchmark run; ``fallback`` says it is not the one asked for."""
    path: Path
    name: str
    fallback: bool = False
    note: str = ""


def resolve_corpus(name: str = "10M", *, shared: Optional[PathLike] = None,
                   cache: Optional[PathLike] = None, sample: PathLike = SAMPLE_CORPUS) -> BenchCorpus:
    """Pick a benchmark corpus by name.

    * ``'10M'`` (or any ``'<n>M'``/``'<n>K'``/``'<n>'``): the first words of the shared corpus;
    * ``'full'``: the whole shared corpus; ``'sample'``: the bundled sample;
    * ``'zipf:<n>[:<vocab>[:<exponent>]]'``: synthetic Zipf text (vocab 100K, exponent 1
      by default), generated once into the cache;
    * a path to an existing text file.

    When the shared data is absent, falls back to the bundled sample corpus and
    says so in ``fallback``/``note`` (figures on it are not comparable).
    """
    if name == "sample":
        return BenchCorpus(sample_corpus(sample, cache=cache), "sample")
    if name.lower().startswith("zipf:"):
        n_words, vocab_size, exponent = _parse_zipf(name)
        dst = (Path(cache) if cache is not None else cache_dir()) / (
            f"zipf-{words_label(n_words)}-v{words_label(vocab_size)}-s{exponent:g}.txt")
        if not dst.is_file():
            synthetic_zipf(dst, n_words, vocab_size, exponent)
        return BenchCorpus(dst, name)
    if not re.fullmatch(r"full|\d+[KkMm]?", name.strip()) and os.path.isfile(name):
        return BenchCorpus(Path(name), Path(name).name)
    try:
        if name == "full":
            return BenchCorpus(paragraphs_full(shared=shared, cache=cache), "full")
        return BenchCorpus(paragraphs_slice(_parse_words(name), shared=shared, cache=cache), name)
    except FileNotFoundError as exc:
        return BenchCorpus(sample_corpus(sample, cache=cache), "sample", True,
                           f"shared corpus unavailable ({exc}); using the bundled sample")


def _parse_zipf(name: str) -> tuple[int, int, float]:
    parts = name.split(":")[1:]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"bad synthetic corpus {name!r}: expected zipf:<n>[:<vocab>[:<exponent>]]")
    n_words = _parse_words(parts[0])
    vocab_size = _parse_words(parts[1]) if len(parts) > 1 else 100_000
    exponent = float(parts[2]) if len(parts) > 2 else 1.0
    return n_words, vocab_size, exponent


def _parse_words(name: str) -> int:
    m = re.fullmatch(r"(\d+)([KM]?)", name.strip(), flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"unknown corpus name {name!r}: expected 'full', 'sample', '10M', '500K', ...")
    return int(m.group(1)) * {"": 1, "K": 1_000, "M": 1_000_000}[m.group(2).upper()]


def zipf_token(rank: int) -> bytes:
    """The synthetic word of a 0-based rank: 'w' + base-36 digits (short, distinct, ASCII)."""
    return b"w" + np.base_repr(rank, 36).lower().encode()


def synthetic_zipf(path: PathLike, n_words: int, vocab_size: int, exponent: float = 1.0,
                   words_per_line: int = 55, seed: int = 0, *, chunk_words: int = 1 << 20) -> Path:
    """Write ``n_words`` tokens drawn i.i.d. from a Zipf law over ``vocab_size`` words.

    Rank r (0-based) has probability proportional to ``(r + 1) ** -exponent`` and is
    written as ``zipf_token(r)``; lines hold ``words_per_line`` tokens (the last one
    may be shorter; 55 is the mean paragraph length of the 10M slice). Ranks are drawn
    by inverse-CDF lookup of ``numpy.random.default_rng(seed)`` doubles, one per
    token in order, so the file depends only on the arguments, never on
    ``chunk_words``. Not every rank need occur: the realised vocabulary can be
    smaller than ``vocab_size`` for short files or steep exponents.
    """
    if n_words < 0 or vocab_size < 1 or words_per_line < 1 or chunk_words < 1:
        raise ValueError("need n_words >= 0, vocab_size >= 1, words_per_line >= 1, chunk_words >= 1")
    weights = np.arange(1, vocab_size + 1, dtype=np.float64) ** -float(exponent)
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    tokens = np.array([zipf_token(r) for r in range(vocab_size)], dtype=object)
    rng = np.random.default_rng(seed)
    # Chunks hold whole lines so line breaks do not depend on the chunk size.
    per_chunk = max(1, chunk_words // words_per_line) * words_per_line
    with atomic_output(path) as out:
        left = n_words
        while left > 0:
            n = min(per_chunk, left)
            ranks = np.searchsorted(cdf, rng.random(n), side="right")
            np.minimum(ranks, vocab_size - 1, out=ranks)  # u within 1 ulp of 1.0
            words = tokens[ranks].tolist()
            out.write(b"".join(b" ".join(words[i:i + words_per_line]) + b"\n"
                               for i in range(0, n, words_per_line)))
            left -= n
    return Path(path)


def _main(argv: Optional[list] = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Prepare benchmark corpora into the cache folder.")
    ap.add_argument("corpus", nargs="*", default=["10M"],
                    help="'10M', 'full', 'sample', '<n>M', 'zipf:<n>[:<vocab>[:<exponent>]]' ...")
    ap.add_argument("--count", action="store_true", help="also count tokens and lines")
    args = ap.parse_args(argv)
    for name in args.corpus:
        bc = resolve_corpus(name)
        extra = f"  ({bc.note})" if bc.fallback else ""
        print(f"{name}: {bc.path}{extra}")
        if args.count:
            words, lines = count_words(bc.path)
            print(f"  {words} tokens, {lines} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
