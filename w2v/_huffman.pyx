# Typed loops behind w2v.huffman.build_huffman (validation lives in the Python layer).
#
# Node numbering: leaves are 0..V-1 (word ids, counts non-increasing), the inner node
# created by the a-th merge is V + a, so the root is 2V - 2 and inner node V + a is row a
# of syn1.  A parent is always created after its children, hence parent[n] > n.
from libc.stdint cimport int32_t, int64_t, uint8_t

import numpy as np


def huffman_paths(const int64_t[::1] counts):
    """Return (codes uint8[total], points int32[total], offsets int64[V+1]) for V >= 2."""
    cdef Py_ssize_t V = counts.shape[0]
    cdef Py_ssize_t n_nodes = 2 * V - 1
    cdef Py_ssize_t root = n_nodes - 1
    weight_np = np.empty(n_nodes, dtype=np.int64)
    parent_np = np.empty(n_nodes, dtype=np.int64)
    bit_np = np.zeros(n_nodes, dtype=np.uint8)
    depth_np = np.empty(n_nodes, dtype=np.int64)
    offsets_np = np.empty(V + 1, dtype=np.int64)
    cdef int64_t[::1] weight = weight_np
    cdef int64_t[::1] parent = parent_np
    cdef uint8_t[::1] bit = bit_np
    cdef int64_t[::1] depth = depth_np
    cdef int64_t[::1] offsets = offsets_np
    cdef Py_ssize_t leaf, inner, new, k, node, pos, picked[2]
    cdef int64_t total

    with nogil:
        for node in range(V):
            weight[node] = counts[node]
        # Two queues: unmerged leaves are taken from the end (smallest count first); inner
        # nodes are created in non-decreasing weight order, so the oldest unmerged one is
        # the lightest.  On equal weights the inner node is taken, as word2vec.c does, so
        # the tree is the same as word2vec.c's for the same counts.
        leaf = V - 1
        inner = V
        for new in range(V, n_nodes):
            for k in range(2):
                if leaf >= 0 and (inner == new or weight[leaf] < weight[inner]):
                    picked[k] = leaf
                    leaf -= 1
                else:
                    picked[k] = inner
                    inner += 1
            weight[new] = weight[picked[0]] + weight[picked[1]]
            parent[picked[0]] = new
            parent[picked[1]] = new
            bit[picked[1]] = 1

        depth[root] = 0
        for node in range(root - 1, -1, -1):
            depth[node] = depth[parent[node]] + 1
        offsets[0] = 0
        for node in range(V):
            offsets[node + 1] = offsets[node] + depth[node]
        total = offsets[V]

    codes_np = np.empty(total, dtype=np.uint8)
    points_np = np.empty(total, dtype=np.int32)
    cdef uint8_t[::1] codes = codes_np
    cdef int32_t[::1] points = points_np
    cdef int32_t n_words = <int32_t>V

    with nogil:
        # Walk each leaf up to the root, filling its path from the end: position j holds
        # the inner node at depth j and the branch (0/1) taken below it.
        for leaf in range(V):
            node = leaf
            pos = offsets[leaf + 1] - 1
            while node != root:
                codes[pos] = bit[node]
                points[pos] = <int32_t>(parent[node] - n_words)
                node = parent[node]
                pos -= 1
    return codes_np, points_np, offsets_np
