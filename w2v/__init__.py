"""w2v: fast word2vec training with multithreaded nogil C kernels."""
import os
import sys

from w2v._version import __version__
from w2v import _buildinfo


def show_config(file=None):
    """Print version, OpenMP status, default thread count and compile flags."""
    file = file or sys.stdout
    import numpy
    from w2v._train import simd_path, simd_paths
    lines = [
        f"w2v {__version__}",
        f"python {sys.version.split()[0]}, numpy {numpy.__version__}",
        f"openmp: {'on' if _buildinfo.openmp_enabled() else 'off'}",
        f"threads: {_buildinfo.max_threads()} (OpenMP default), {os.cpu_count()} CPUs visible",
        f"compile flags: {_buildinfo.compile_flags()}",
        f"SIMD path: {simd_path()} (chosen at run time; available: {', '.join(simd_paths())})",
    ]
    print("\n".join(lines), file=file)


def __getattr__(name):
    # Heavy modules load on first use, so `import w2v` stays cheap.
    if name == "Word2Vec":
        from w2v.word2vec import Word2Vec
        return Word2Vec
    if name == "KeyedVectors":
        from w2v.keyedvectors import KeyedVectors
        return KeyedVectors
    if name == "Corpus":
        from w2v.corpus import Corpus
        return Corpus
    raise AttributeError(f"module 'w2v' has no attribute {name!r}")
