"""Huffman tree for hierarchical softmax, as flat arrays (Mikolov et al. 2013).

Word ``w``'s path from the root is ``codes[offsets[w]:offsets[w+1]]`` (the branch taken,
0/1) and ``points[offsets[w]:offsets[w+1]]`` (the inner node at each depth, 0..V-2, a row of
``syn1``; the root is V-2).  There is no maximum code length: degenerate counts
(Fibonacci-like) give paths of length V-1.

Built with the two-queue method in O(V): leaves arrive sorted, and merged nodes are made
in non-decreasing weight order, so the two lightest nodes are always at the head of one of
two queues.  The tree is the one word2vec.c builds for the same counts.
"""
from typing import NamedTuple

import numpy as np

from w2v._huffman import huffman_paths

__all__ = ["HuffmanTree", "build_huffman", "build_huffman_any_order"]


class HuffmanTree(NamedTuple):
    codes: np.ndarray    # uint8[total]
    points: np.ndarray   # int32[total]
    offsets: np.ndarray  # int64[V+1]

    def path(self, w):
        """(codes, points) of word ``w``, root first."""
        lo, hi = self.offsets[w], self.offsets[w + 1]
        return self.codes[lo:hi], self.points[lo:hi]

    def code_lengths(self):
        return np.diff(self.offsets)


def build_huffman(counts):
    """Build the Huffman tree of ``counts`` (1-D, integers >= 0, sorted descending)."""
    counts = np.asarray(counts)
    if counts.ndim != 1:
        raise ValueError(f"counts must be 1-D, got shape {counts.shape}")
    V = counts.shape[0]
    if V == 0:
        raise ValueError("counts is empty: a Huffman tree needs at least one word")
    if V > np.iinfo(np.int32).max:
        raise ValueError(f"too many words for int32 node ids: {V}")
    if counts.dtype.kind not in "iub":
        raise ValueError(f"counts must be integers, got dtype {counts.dtype}")
    if counts.dtype.kind == "u" and counts.max() > np.iinfo(np.int64).max:
        raise ValueError("counts do not fit in int64")
    counts = np.ascontiguousarray(counts, dtype=np.int64)
    drops = np.flatnonzero(counts[1:] > counts[:-1])
    if drops.size:
        i = int(drops[0])
        raise ValueError(
            f"counts must be sorted in descending order (counts[{i}]={counts[i]} < "
            f"counts[{i + 1}]={counts[i + 1]}); build the vocabulary with sorted_vocab=True")
    if counts[-1] < 0:  # sorted, so the last one is the smallest
        raise ValueError(f"counts must be >= 0, got {counts[-1]}")
    # Inner-node weights are partial sums: the total must not overflow int64.
    if int(counts[0]) * V > np.iinfo(np.int64).max and sum(map(int, counts)) > np.iinfo(np.int64).max:
        raise ValueError("sum of counts does not fit in int64")

    if V == 1:
        return HuffmanTree(np.empty(0, np.uint8), np.empty(0, np.int32), np.zeros(2, np.int64))
    codes, points, offsets = huffman_paths(counts)
    return HuffmanTree(codes, points, offsets)


def build_huffman_any_order(counts):
    """The Huffman tree of ``counts`` in any order (a vocabulary grown by an update
    appends its new words unsorted): built over the counts sorted descending (ties
    in id order), each word's path then stored at its own id."""
    counts = np.asarray(counts)
    if counts.ndim != 1 or counts.size == 0 or not np.any(counts[1:] > counts[:-1]):
        return build_huffman(counts)      # sorted (or invalid: build_huffman says why)
    order = np.argsort(-counts.astype(np.int64), kind="stable")
    tree = build_huffman(counts[order])
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    lengths = tree.code_lengths()[rank]
    offsets = np.zeros(order.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    gather = np.repeat(tree.offsets[:-1][rank] - offsets[:-1], lengths) + np.arange(offsets[-1])
    return HuffmanTree(tree.codes[gather], tree.points[gather], offsets)
