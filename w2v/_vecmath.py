"""Unit vectors and top-k selection computed exactly as gensim 4.4 computes them, so that
query and evaluation results match gensim's bit for bit (used by ``keyedvectors`` and
``evaluation``)."""
import numpy as np


def top_desc(x, topn):
    """Indices of the `topn` largest values of `x`, largest first.
    Same numpy calls (and so the same tie order) as gensim's ``matutils.argsort(reverse=True)``."""
    x = -np.asarray(x)
    if topn >= x.size:
        return np.argsort(x)[:topn]
    part = np.argpartition(x, topn)[:topn]
    return part.take(np.argsort(x.take(part)))


_DNRM2 = []


def _dnrm2(vec64):
    # gensim normalises with BLAS dnrm2 (through scipy); use the same routine when it is
    # there so that query vectors are bit-identical, numpy otherwise (differs in the last ulp).
    if not _DNRM2:
        try:
            from scipy.linalg.blas import dnrm2
        except ImportError:
            dnrm2 = None
        _DNRM2.append(dnrm2)
    if _DNRM2[0] is not None:
        return _DNRM2[0](vec64)
    return float(np.sqrt(np.dot(vec64, vec64)))


def unitvec(vec):
    """Unit-length copy in float64 (zero vector returned unchanged), as gensim's unitvec."""
    vec64 = np.asarray(vec, dtype=np.float64)
    if vec64.size == 0:
        return vec64
    n = _dnrm2(vec64)
    if n > 0.0:
        return vec64 * (1.0 / n)
    return vec64
