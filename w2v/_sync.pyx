# Entry points of csrc/sync.c: the rows a replica changed since the last sync, and
# applying the changes of every replica (w2v.distributed). One call per matrix
# and round; the GIL is released for the loop. Changes are float32 arrays, or
# bfloat16 ones held as uint16 (numpy has no bfloat16).
from libc.stdint cimport int64_t, uint16_t

import numpy as np

from w2v._types cimport index_t, real_t


cdef extern from "sync.h" nogil:
    int64_t sync_changed_rows(const real_t *replica, const real_t *base, int dim,
                              const index_t *due, int64_t n_due,
                              index_t *out_rows, real_t *out_delta)
    int64_t sync_changed_rows_bf16(const real_t *replica, const real_t *base, int dim,
                                   const index_t *due, int64_t n_due,
                                   index_t *out_rows, uint16_t *out_delta)
    int sync_add_rows(real_t *base, real_t *replica, int64_t n_rows, int dim,
                      const index_t *rows, int64_t n, const real_t *delta,
                      const real_t *row_scale)
    int sync_add_rows_bf16(real_t *base, real_t *replica, int64_t n_rows, int dim,
                           const index_t *rows, int64_t n, const uint16_t *delta,
                           const real_t *row_scale)


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
    cdef int64_t n = 0
    cdef int dim = <int>replica.shape[1]
    if n_due and dim:
        if bfloat16:
            d16 = delta_np
            with nogil:
                n = sync_changed_rows_bf16(&replica[0, 0], &base[0, 0], dim, due_ptr, n_due,
                                           &rows[0], &d16[0, 0])
        else:
            d32 = delta_np
            with nogil:
                n = sync_changed_rows(&replica[0, 0], &base[0, 0], dim, due_ptr, n_due,
                                      &rows[0], &d32[0, 0])
    return rows_np[:n], delta_np[:n]


def add_rows(real_t[:, ::1] base, real_t[:, ::1] replica, rows, delta,
             const real_t[::1] row_scale=None):
    """``base[rows] += f * delta; replica[rows] = base[rows]`` row by row, in
    order; ``delta`` float32, or uint16 holding bfloat16 (as changed_rows gives);
    ``f`` is ``row_scale[row]`` (float32, one per row of the matrix), or 1."""
    _check_pair(base, replica)
    cdef const real_t *factors = NULL
    if row_scale is not None:
        if row_scale.shape[0] != base.shape[0]:
            raise ValueError("row_scale needs one factor per row")
        if row_scale.shape[0]:
            factors = &row_scale[0]
    cdef const index_t[::1] ids = np.ascontiguousarray(rows, dtype=np.int32)
    delta = np.asarray(delta)
    if delta.dtype != np.uint16:
        delta = np.ascontiguousarray(delta, dtype=np.float32)
    if delta.ndim != 2 or delta.shape[0] != ids.shape[0] or \
            (ids.shape[0] and delta.shape[1] != base.shape[1]):
        raise ValueError("rows and delta differ in length, or delta in width")
    cdef const real_t[:, ::1] d32
    cdef const uint16_t[:, ::1] d16
    cdef int rc = 0
    cdef int dim = <int>base.shape[1]
    if ids.shape[0] and dim:
        if delta.dtype == np.uint16:
            d16 = np.ascontiguousarray(delta)
            with nogil:
                rc = sync_add_rows_bf16(&base[0, 0], &replica[0, 0], base.shape[0], dim,
                                        &ids[0], ids.shape[0], &d16[0, 0], factors)
        else:
            d32 = delta
            with nogil:
                rc = sync_add_rows(&base[0, 0], &replica[0, 0], base.shape[0], dim,
                                   &ids[0], ids.shape[0], &d32[0, 0], factors)
    if rc:
        raise ValueError("a synced row is outside the matrix")
