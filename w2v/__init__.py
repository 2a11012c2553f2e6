"""w2v: fast word2vec training with multithreaded nogil C kernels."""
import os
import sys

from w2v._version import __version__

try:
    from w2v import _buildinfo
except ImportError as exc:  # pragma: no cover - depends on how w2v was installed
    _here = os.path.dirname(os.path.abspath(__file__))
    if os.path.exists(os.path.join(os.path.dirname(_here), "setup.py")):
        raise ImportError(
            f"w2v is being imported from its source folder ({_here}), whose C extensions "
            "are not built. Either run Python from another folder, so that the installed "
            "w2v is imported, or build the extensions in place first: "
            "`python setup.py build_ext --inplace` (see README.md, Development)."
        ) from exc
    raise ImportError(
        f"w2v's compiled extensions cannot be loaded from {_here} ({exc}); "
        "reinstall w2v with `pip install --force-reinstall .` from its source folder."
    ) from exc


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
    if name in ("Phrases", "FrozenPhrases", "ENGLISH_CONNECTOR_WORDS"):
        from w2v import phrases
        return getattr(phrases, name)
    raise AttributeError(f"module 'w2v' has no attribute {name!r}")
