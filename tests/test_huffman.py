import heapq
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from w2v.huffman import HuffmanTree, build_huffman

sorted_counts = st.lists(st.integers(0, 10**6), min_size=1, max_size=300).map(
    lambda xs: sorted(xs, reverse=True))


def heap_cost(counts):
    """Optimal sum(count * code length), from a textbook heapq Huffman (sum of merged weights)."""
    if len(counts) == 1:
        return 0
    heap = list(counts)
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


def reference_tree(counts):
    """Step-by-step Python two-queue Huffman (inner node taken on ties, like word2vec.c)."""
    V = len(counts)
    weight = list(counts) + [None] * (V - 1)
    parent = [None] * (2 * V - 1)
    bit = [0] * (2 * V - 1)
    leaf, inner = V - 1, V
    for new in range(V, 2 * V - 1):
        picked = []
        for _ in range(2):
            if leaf >= 0 and (inner == new or weight[leaf] < weight[inner]):
                picked.append(leaf)
                leaf -= 1
            else:
                picked.append(inner)
                inner += 1
        weight[new] = weight[picked[0]] + weight[picked[1]]
        parent[picked[0]] = parent[picked[1]] = new
        bit[picked[1]] = 1
    codes, points = [], []
    for w in range(V):
        c, p, node = [], [], w
        while parent[node] is not None:
            c.append(bit[node])
            p.append(parent[node] - V)
            node = parent[node]
        codes.append(c[::-1])
        points.append(p[::-1])
    return codes, points


def paths(tree, V):
    return [tuple(map(int, tree.codes[tree.offsets[w]:tree.offsets[w + 1]])) for w in range(V)]


def check_tree(counts, tree):
    V = len(counts)
    assert isinstance(tree, HuffmanTree)
    assert tree.codes.dtype == np.uint8 and tree.points.dtype == np.int32
    assert tree.offsets.dtype == np.int64 and tree.offsets.shape == (V + 1,)
    assert tree.offsets[0] == 0 and tree.offsets[-1] == tree.codes.size == tree.points.size
    lengths = np.diff(tree.offsets)
    assert np.all(lengths >= (1 if V > 1 else 0))
    assert set(np.unique(tree.codes).tolist()) <= {0, 1}
    codes = paths(tree, V)

    # prefix-free: in sorted order a prefix would sit right before a word it prefixes
    ordered = sorted(codes)
    for a, b in zip(ordered, ordered[1:]):
        assert b[:len(a)] != a, (a, b)
    # Kraft equality: a full binary tree
    if V >= 2:
        assert sum(Fraction(1, 2 ** int(n)) for n in lengths) == 1
    # optimal
    assert int(np.dot(np.asarray(counts, dtype=object), lengths.astype(object))) == heap_cost(counts)

    # points: inner nodes 0..V-2, root (V-2) first, ids fall along a path (children are
    # created before parents), and (node, branch) -> child is one consistent tree.
    if V >= 2:
        assert tree.points.min() >= 0 and tree.points.max() == V - 2
        child = {}
        for w in range(V):
            p = tree.points[tree.offsets[w]:tree.offsets[w + 1]].tolist()
            c = codes[w]
            assert p[0] == V - 2
            assert all(x > y for x, y in zip(p, p[1:]))
            for j in range(len(p)):
                target = ("inner", p[j + 1]) if j + 1 < len(p) else ("leaf", w)
                assert child.setdefault((p[j], c[j]), target) == target
        assert len(child) == 2 * (V - 1)
        assert {k[0] for k in child} == set(range(V - 1))


@settings(max_examples=150, deadline=None)
@given(sorted_counts)
def test_properties(counts):
    check_tree(counts, build_huffman(counts))


@settings(max_examples=100, deadline=None)
@given(sorted_counts)
def test_matches_stepwise_reference(counts):
    tree = build_huffman(np.array(counts, dtype=np.int64))
    ref_codes, ref_points = reference_tree(counts)
    V = len(counts)
    assert paths(tree, V) == [tuple(c) for c in ref_codes]
    assert [tree.points[tree.offsets[w]:tree.offsets[w + 1]].tolist() for w in range(V)] == ref_points


def test_random_large_against_heap():
    rng = np.random.default_rng(1)
    counts = np.sort(rng.zipf(1.2, 20000) % 10**9)[::-1]
    tree = build_huffman(counts)
    assert int(np.dot(counts.astype(object), np.diff(tree.offsets).astype(object))) == heap_cost(counts.tolist())


def test_v1_empty_path():
    tree = build_huffman([7])
    assert tree.codes.size == 0 and tree.points.size == 0
    assert tree.offsets.tolist() == [0, 0]


def test_v2():
    tree = build_huffman([5, 3])
    assert tree.offsets.tolist() == [0, 1, 2]
    assert tree.points.tolist() == [0, 0]
    # the lighter node of a merge takes branch 0, the heavier branch 1 (word2vec.c)
    assert tree.codes.tolist() == [1, 0]


def test_small_known_tree():
    # merges: (1,2)->3, then tie 3 vs leaf 3: inner node first -> (3*,3)->6, then (5,6)->11
    tree = build_huffman([5, 3, 2, 1])
    assert paths(tree, 4) == [(0,), (1, 1), (1, 0, 1), (1, 0, 0)]
    assert tree.points.tolist() == [2, 2, 1, 2, 1, 0, 2, 1, 0]


def test_deep_fibonacci_tree():
    fib = [1, 1]
    while len(fib) < 70:
        fib.append(fib[-1] + fib[-2])
    counts = fib[::-1]
    tree = build_huffman(counts)
    lengths = np.diff(tree.offsets)
    assert lengths.max() == len(counts) - 1 > 40
    check_tree(counts, tree)


def test_deep_powers_of_two_tree():
    counts = [2 ** k for k in range(60, -1, -1)] + [1]
    tree = build_huffman(counts)
    assert np.diff(tree.offsets).tolist() == list(range(1, 62)) + [61]
    check_tree(counts, tree)


def test_uniform_counts_balanced():
    tree = build_huffman(np.full(1024, 3))
    assert np.all(np.diff(tree.offsets) == 10)


def test_zero_counts():
    check_tree([4, 0, 0, 0], build_huffman([4, 0, 0, 0]))


def test_accepts_other_integer_dtypes():
    a = build_huffman(np.array([9, 4, 4, 1], dtype=np.uint16))
    b = build_huffman([9, 4, 4, 1])
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_path_helper():
    tree = build_huffman([5, 3, 2, 1])
    codes, points = tree.path(2)
    assert codes.tolist() == [1, 0, 1] and points.tolist() == [2, 1, 0]
    assert tree.code_lengths().tolist() == [1, 2, 3, 3]


@pytest.mark.parametrize("counts, match", [
    ([], "empty"),
    ([1, 2], "descending"),
    ([5, 3, 4, 1], r"counts\[1\]=3 < counts\[2\]=4"),
    ([3, -1], ">= 0"),
    ([[3, 2]], "1-D"),
    ([3.0, 2.0], "integers"),
    ([2**62, 2**62, 2**62], "int64"),
])
def test_invalid(counts, match):
    with pytest.raises(ValueError, match=match):
        build_huffman(np.array(counts) if counts else np.array([], dtype=np.int64))
