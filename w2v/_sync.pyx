# Entry points of csrc/sync.c: the rows a replica changed since the last sync, and
# applying the changes of every replica (w2v.distributed). One call per matrix
# and round; the GIL is released for the loop. Changes are float32 arrays, or
# bfloat16 ones held as uint16 (numpy has no bfloat16).
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport int64_t, uint16_t

import numpy as np

from w2v._types cimport index_t, real_t


cdef extern from "sync.h" nogil:
    int64_t sync_changed_rows(const real_t *replica, const real_t *base, int dim,
                              const index_t *due, int64_t n_due,
                              index_t *out_rows, void *out_delta, int bf16)
    int sync_apply(real_t *base, real_t *replica, int64_t n_rows, int dim, int n_parts,
                   const index_t *const *rows, const int64_t *n,
                   const void *const *delta, int bf16, const real_t *row_scale)


cdef _check_pair(const real_t[:, ::1] base, const real_t[:, ::1] replica):
    if replica.shape[0] != base.shape[0] or replica.shape[1] != base.shape[1]:
        raise ValueError("replica and base differ in shape")


def changed_rows(const real_t[:, ::1] replica, const real_t[:, ::1] base, due=None,
                 bfloat16=False):
    """(rows int32[n], replica[rows] - base[rows] [n, dim]) for the rows of ``due``
    (int32 ids; None: every row) whose difference is not all zeros; the
    differences as float32, or as bfloat16 in uint16 when ``bfloat16``."""
    _check_pair(base, replica)
    cdef const index_t[::1] due_ids
    cdef const index_t *due_ptr = NULL
    cdef int64_t n_due = replica.shape[0]
    if due is not None:
        due = np.ascontiguousarray(due, dtype=np.int32)
        if len(due) and (due.min() < 0 or due.max() >= replica.shape[0]):
            raise ValueError("a due row is outside the matrix")
        due_ids = due
        n_due = due_ids.shape[0]
        if n_due:
            due_ptr = &due_ids[0]
    rows_np = np.empty(max(n_due, 1), dtype=np.int32)
    # room for every due row; only the rows written are touched (and returned)
    delta_np = np.empty((max(n_due, 1), replica.shape[1]),
                        dtype=np.uint16 if bfloat16 else np.float32)
    cdef index_t[::1] rows = rows_np
    cdef real_t[:, ::1] d32
    cdef uint16_t[:, ::1] d16
    cdef void *out
    cdef int64_t n = 0
    cdef int dim = <int>replica.shape[1]
    cdef int is_bf16 = bool(bfloat16)
    if n_due and dim:
        if is_bf16:
            d16 = delta_np
            out = &d16[0, 0]
        else:
            d32 = delta_np
            out = &d32[0, 0]
        with nogil:
            n = sync_changed_rows(&replica[0, 0], &base[0, 0], dim, due_ptr, n_due,
                                  &rows[0], out, is_bf16)
    return rows_np[:n], delta_np[:n]


def apply_changes(real_t[:, ::1] base, real_t[:, ::1] replica, parts,
                  const real_t[::1] row_scale=None):
    """One sync of one matrix: ``parts`` is every replica's (rows, delta) as
    changed_rows gives them (ascending rows; delta float32, or uint16 holding
    bfloat16), in shard order.  For each row any part holds:
    ``base[row] += f * (sum of its deltas, in part order); replica[row] = base[row]``,
    ``f`` being ``row_scale[row]`` (float32, one per row of the matrix), or 1."""
    _check_pair(base, replica)
    cdef const real_t *factors = NULL
    if row_scale is not None:
        if row_scale.shape[0] != base.shape[0]:
            raise ValueError("row_scale needs one factor per row")
        if row_scale.shape[0]:
            factors = &row_scale[0]
    arrays = []                     # keeps the contiguous copies alive
    bf16 = None
    for rows, delta in parts:
        rows = np.ascontiguousarray(rows, dtype=np.int32)
        delta = np.asarray(delta)
        if bf16 is None:
            bf16 = delta.dtype == np.uint16
        if bf16 != (delta.dtype == np.uint16):
            raise ValueError("parts differ in wire type")
        delta = np.ascontiguousarray(delta, dtype=np.uint16 if bf16 else np.float32)
        if delta.ndim != 2 or delta.shape[0] != rows.shape[0] or \
                (rows.shape[0] and delta.shape[1] != base.shape[1]):
            raise ValueError("rows and delta differ in length, or delta in width")
        if rows.shape[0]:
            arrays.append((rows, delta))
    cdef int n_parts = len(arrays)
    cdef int dim = <int>base.shape[1]
    if not n_parts or not dim:
        return
    cdef const index_t ** row_ptrs = <const index_t **>PyMem_Malloc(n_parts * sizeof(void *))
    cdef const void ** delta_ptrs = <const void **>PyMem_Malloc(n_parts * sizeof(void *))
    cdef int64_t *counts = <int64_t *>PyMem_Malloc(n_parts * sizeof(int64_t))
    cdef const index_t[::1] ids
    cdef const real_t[:, ::1] d32
    cdef const uint16_t[:, ::1] d16
    cdef int k, rc = 0, is_bf16 = bf16
    try:
        if not row_ptrs or not delta_ptrs or not counts:
            raise MemoryError()
        for k in range(n_parts):
            ids = arrays[k][0]
            row_ptrs[k] = &ids[0]
            counts[k] = ids.shape[0]
            if is_bf16:
                d16 = arrays[k][1]
                delta_ptrs[k] = &d16[0, 0]
            else:
                d32 = arrays[k][1]
                delta_ptrs[k] = &d32[0, 0]
        with nogil:
            rc = sync_apply(&base[0, 0], &replica[0, 0], base.shape[0], dim, n_parts,
                            row_ptrs, counts, delta_ptrs, is_bf16, factors)
    finally:
        PyMem_Free(row_ptrs)
        PyMem_Free(delta_ptrs)
        PyMem_Free(counts)
    if rc == -2:
        raise MemoryError()
    if rc:
        raise ValueError("a synced row is outside the matrix, or a part's rows are not "
                         "ascending")
