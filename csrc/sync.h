/* Syncing replicas of the weight matrices (w2v.distributed): taking the rows a
 * replica changed since it last took them, and adding the other replicas'
 * changes. Plain C, no Python.h; the Python entry points are w2v/_sync.pyx.
 *
 * A matrix is n_rows x dim row-major real_t. `replica` is what this process
 * trains; `base` is the replica minus its changes not taken yet, so
 * replica - base is what it changed since it last took its changes (adding
 * the others' changes moves both alike).  Changes travel as float32 or as
 * bfloat16 (the upper 16 bits of a float32, rounded to nearest even: the
 * float32 range with 8 significant bits, half the bytes); both ends convert
 * alike, and a replica keeps its own change as it travelled. */
#ifndef W2V_SYNC_H
#define W2V_SYNC_H

#include <stdint.h>
#include "w2v_types.h"

/* For the rows `due` (n_due ids; rows 0..n_due-1 when due == NULL), write the
 * id of each row whose replica - base is not all zeros to out_rows and that
 * difference, as it travels, to the same place of out_f32 (or of out_bf16 when
 * out_f32 is NULL; one dim-wide row each), and take it:
 *     base[row] += f * sent;  replica[row] = base[row]
 * with f = row_scale[row] (one factor per row: how the replicas' changes
 * merge), or 1 when row_scale is NULL (their sum).  The output must have room
 * for n_due rows; the ids in due must be < the matrices' rows.  Returns the
 * number of rows written. */
int64_t sync_take_changes(real_t *replica, real_t *base, int dim,
                          const index_t *due, int64_t n_due, const real_t *row_scale,
                          index_t *out_rows, real_t *out_f32, uint16_t *out_bf16);

/* Add the other replicas' changes of one matrix: parts 0..n_parts-1 in shard
 * order.  Part k is n[k] rows with strictly ascending ids rows[k] and their
 * changes, one dim-wide row each: delta[k], float32, or bfloat16 (uint16) when
 * bf16.  For each row that any part holds, in one pass over the rows:
 *     s = d_a + d_b + ...     (the parts holding it, in part order)
 *     base[row] += f * s;  replica[row] += f * s
 * with f as above.  Returns -1 (and changes nothing) when a part's ids are
 * outside [0, n_rows) or not ascending, -2 when out of memory, else 0. */
int sync_add_changes(real_t *base, real_t *replica, int64_t n_rows, int dim, int n_parts,
                     const index_t *const *rows, const int64_t *n,
                     const void *const *delta, int bf16, const real_t *row_scale);

#endif
