"""Alias table for drawing negative samples from unigram**ns_exponent (Mikolov et al. 2013).

Walker's alias method: V columns of equal mass; column i keeps word i with probability
prob[i] / 2**32 and gives the rest to word alias[i].  One draw is one 64-bit random number
and two reads from 8*V bytes, whatever the distribution (see ARCHITECTURE.md):

    r = rng(); i = (uint32)(((r >> 32) * V) >> 32); w = ((uint32)r < prob[i]) ? i : alias[i];

Why not word2vec.c's flat table or gensim's cumulative table: bench/bench_sampling.sh
(splitmix64, counts max(5, 1e7/rank) ** 0.75, gcc -O3, ns per draw, median of 5 runs of
1e7 draws; "indep" = independent draws summed (throughput), "chain" = each draw perturbs
the next RNG state (latency); two runs on the shared 2-core AMD EPYC dev box at load ~3,
so +-50% noise; tv = total variation of the distribution the table really draws from):

                          V = 57k                       V = 231k
                     indep     chain     tv        indep     chain     tv
  cumulative+bsearch  122/95   97/118  2.3e-6     140/75   148/103  9.3e-6
  alias                 6/9    12/16   1.4e-6       8/7     24/16   2.2e-6
  flat table 1e7       20/20  246/131  9.5e-4      14/13   227/143  3.9e-3
  flat table 1e8       32/24  275/284  9.7e-5      32/31   398/346  3.8e-4

The alias table is the fastest in both modes, 2-4x ahead of the flat table on throughput
and ~10x on latency (its 8*V bytes stay in L2/L3 where the flat table misses to DRAM).
The flat table quantises probabilities to 1/table_size (rare words get 0 or 1 slots) and
costs 400 MB at 1e8; the alias table is exact to 2**-32 per column in 8*V bytes.  What is
left of its tv comes from the draw rule's column choice, (r >> 32) * V >> 32, which favours
some columns by up to V / 2**32 relative (this module's table gives the same 1.4e-6 / 2.2e-6).
"""
from typing import NamedTuple, Optional

import numpy as np

from w2v.huffman import HuffmanTree, build_huffman_any_order

__all__ = ["SamplingTables", "build_alias", "draw", "alias_probabilities"]

_ONE = 1 << 32  # a full column, in units of 2**-32


def _integer_masses(counts, ns_exponent):
    """Column-scaled masses: int64 q with q >= 0, sum(q) == V * 2**32 exactly, q ~ counts**ns_exponent."""
    counts = np.asarray(counts)
    if counts.ndim != 1:
        raise ValueError(f"counts must be 1-D, got shape {counts.shape}")
    V = counts.shape[0]
    if V == 0:
        raise ValueError("counts is empty")
    if V > np.iinfo(np.int32).max:
        raise ValueError(f"too many words for int32 ids: {V}")
    if counts.dtype.kind not in "iubf":
        raise ValueError(f"counts must be numbers, got dtype {counts.dtype}")
    ns_exponent = float(ns_exponent)
    if not np.isfinite(ns_exponent):
        raise ValueError(f"ns_exponent must be finite, got {ns_exponent}")
    c = counts.astype(np.float64)
    if not np.all(np.isfinite(c)) or c.min() < 0:
        raise ValueError("counts must be finite and >= 0")
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        weights = np.power(c, ns_exponent)
        total = weights.sum()
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"counts**ns_exponent is not finite (ns_exponent={ns_exponent} with a zero "
                         "or huge count)")
    if not (total > 0 and np.isfinite(total)):
        raise ValueError(f"counts**ns_exponent sums to {total}: no word can be drawn")
    target = V * _ONE
    scaled = weights * (target / total)
    q = np.minimum(np.floor(scaled), float(target)).astype(np.int64)
    # Rounding left a small integer shortfall (or excess, from float error): give it to the
    # largest fractional parts when it is a plain shortfall, else to the heaviest word.
    short = target - int(q.sum())
    if 0 < short <= V:
        frac = scaled - q
        q[np.argpartition(-frac, short - 1)[:short]] += 1
    elif short != 0:
        q[int(np.argmax(q))] += short
    return q


def build_alias(counts, ns_exponent=0.75):
    """Alias table of counts**ns_exponent: ``(prob uint32[V], alias int32[V])``.

    ns_exponent 0 gives the uniform distribution; negative exponents favour rare words
    (as gensim allows).  A full column has ``alias[i] == i`` (and prob 2**32-1).
    """
    q = _integer_masses(counts, ns_exponent)
    V = q.shape[0]
    prob = np.full(V, _ONE - 1, dtype=np.uint32)
    alias = np.arange(V, dtype=np.int32)

    # Vose's pairing, run as one sweep so numpy can do it: underfull columns (q < 1) are
    # served in index order by one donor at a time, the overfull columns in index order.
    # A donor keeps giving while its remaining mass is >= 1; once below 1 its own column is
    # topped up by the next donor.  With D[k] the cumulative deficit of the first k underfull
    # columns and S[m] the cumulative surplus of the first m donors (S[-1] == D[-1] exactly,
    # integers), underfull column k is served by donor min{m : S[m] >= D[k-1]}, and donor m
    # (not the last) ends with mass 1 + S[m] - D[k], k the first with D[k] > S[m].
    small = np.flatnonzero(q < _ONE)
    large = np.flatnonzero(q > _ONE)
    if small.size:
        deficit_cum = np.cumsum(_ONE - q[small])
        surplus_cum = np.cumsum(q[large] - _ONE)
        assert deficit_cum[-1] == surplus_cum[-1]
        donor = np.searchsorted(surplus_cum, deficit_cum - (_ONE - q[small]), side="left")
        prob[small] = q[small]
        alias[small] = large[donor]
        spent = np.searchsorted(deficit_cum, surplus_cum[:-1], side="right")
        prob[large[:-1]] = _ONE + surplus_cum[:-1] - deficit_cum[spent]
        alias[large[:-1]] = large[1:]
    return prob, alias


def draw(prob, alias, rng_values):
    """Apply the draw rule of ARCHITECTURE.md to uint64 random values (numpy reference)."""
    r = np.asarray(rng_values, dtype=np.uint64)
    V = np.uint64(prob.shape[0])
    col = (((r >> np.uint64(32)) * V) >> np.uint64(32)).astype(np.int64)
    low = (r & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return np.where(low < prob[col], col, alias[col]).astype(np.int32)


def alias_probabilities(prob, alias):
    """Exact probability of each word under the table, assuming uniform columns (float64)."""
    V = prob.shape[0]
    own = prob.astype(np.float64)
    full = alias == np.arange(V)
    own[full] = _ONE
    mass = own + np.bincount(alias[~full], weights=_ONE - own[~full], minlength=V)
    return mass / (float(V) * _ONE)


class SamplingTables(NamedTuple):
    """The per-word tables the training kernels draw from, built together from one vocabulary:
    subsampling ``keep_thresholds`` (uint32[V], :meth:`w2v.vocab.Vocab.keep_thresholds`),
    the negative-sampling alias table (``alias_prob`` uint32[V], ``alias_index`` int32[V];
    None without negative sampling) and the Huffman tree of hierarchical softmax
    (``huffman``; None without it; built over the counts in descending order even when
    a vocabulary update left them unsorted).  Formats: ARCHITECTURE.md, "Data contracts"."""
    keep_thresholds: np.ndarray
    alias_prob: Optional[np.ndarray]
    alias_index: Optional[np.ndarray]
    huffman: Optional[HuffmanTree]

    @classmethod
    def build(cls, vocab, *, sample, negative, ns_exponent, hs):
        alias_prob, alias_index = build_alias(vocab.counts, ns_exponent) if negative else (None, None)
        return cls(keep_thresholds=vocab.keep_thresholds(sample), alias_prob=alias_prob,
                   alias_index=alias_index, huffman=build_huffman_any_order(vocab.counts) if hs else None)

    def model_arrays(self):
        """The tables as the keyword arguments of :class:`w2v._train.Model`."""
        tree = self.huffman
        return dict(keep_thresholds=self.keep_thresholds, alias_prob=self.alias_prob,
                    alias_index=self.alias_index,
                    hs_codes=tree.codes if tree is not None else None,
                    hs_points=tree.points if tree is not None else None,
                    hs_offsets=tree.offsets if tree is not None else None)
