/* Syncing replicas of the weight matrices (w2v.distributed): the rows a replica
 * changed since the last sync, and the in-order application of everybody's
 * changes. Plain C, no Python.h; the Python entry points are w2v/_sync.pyx.
 *
 * A matrix is n_rows x dim row-major real_t. `base` holds the values of the last
 * sync, identical in every replica; `replica` is what this process trains.
 * Changes travel as float32 or as bfloat16 (the upper 16 bits of a float32,
 * rounded to nearest even: the float32 range with 8 significant bits, half the
 * bytes); both ends convert alike, so every base still gets the same values. */
#ifndef W2V_SYNC_H
#define W2V_SYNC_H

#include <stdint.h>
#include "w2v_types.h"

/* For the rows `due` (n_due ids; rows 0..n_due-1 when due == NULL), write
 * the id of each row whose replica - base is not all zeros to out_rows and
 * that difference to out_delta (one dim-wide row each, in the same order):
 * float32, or bfloat16 (uint16) when bf16.  out_delta must have room for n_due
 * rows; the ids in due must be < the matrices' rows.  Returns the number of
 * rows written. */
int64_t sync_changed_rows(const real_t *replica, const real_t *base, int dim,
                          const index_t *due, int64_t n_due,
                          index_t *out_rows, void *out_delta, int bf16);

/* One sync of one matrix: the changes of every replica, parts 0..n_parts-1 in
 * shard order.  Part k is n[k] rows with strictly ascending ids rows[k] and their
 * changes, one dim-wide row each: delta[k], float32, or bfloat16 (uint16) when
 * bf16.  For each row that any part holds, in one pass over the rows:
 *     base[row] += f * (d_a + d_b + ...)    (the parts holding it, in part order)
 *     replica[row] = base[row]
 * where f = row_scale[row] (one factor per row of the matrix: how the replicas'
 * changes merge), or 1 when row_scale is NULL (their sum).  Every process
 * applies the same parts in the same order, so the bases stay equal bit for bit.
 * Returns -1 (and changes nothing) when a part's ids are outside [0, n_rows) or
 * not ascending, -2 when out of memory, else 0. */
int sync_apply(real_t *base, real_t *replica, int64_t n_rows, int dim, int n_parts,
               const index_t *const *rows, const int64_t *n,
               const void *const *delta, int bf16, const real_t *row_scale);

#endif
