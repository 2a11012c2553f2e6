/* Syncing replicas: see sync.h. One loop each for finding and for applying
 * changes, specialised by the compiler for the two wire types. */
#include <stdlib.h>
#include <string.h>

#include "sync.h"

static inline uint16_t to_bf16(real_t f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)            /* NaN stays a (quiet) NaN */
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);                 /* round to nearest even */
    return (uint16_t)(u >> 16);
}

static inline real_t from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    real_t f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int64_t sync_changed_rows(const real_t *replica, const real_t *base, int dim,
                          const index_t *due, int64_t n_due,
                          index_t *out_rows, void *out_delta, int bf16) {
    int64_t n_out = 0;
    for (int64_t i = 0; i < n_due; i++) {
        index_t row = due ? due[i] : (index_t)i;
        const real_t *r = replica + (int64_t)row * dim;
        const real_t *b = base + (int64_t)row * dim;
        int changed = 0;
        for (int j = 0; j < dim; j++) {       /* (the compiler unswitches the test) */
            real_t x = r[j] - b[j];
            if (bf16)
                ((uint16_t *)out_delta)[n_out * dim + j] = to_bf16(x);
            else
                ((real_t *)out_delta)[n_out * dim + j] = x;
            changed |= x != 0;
        }
        if (changed)
            out_rows[n_out++] = row;     /* else the next row overwrites this one */
    }
    return n_out;
}

int sync_apply(real_t *base, real_t *replica, int64_t n_rows, int dim, int n_parts,
               const index_t *const *rows, const int64_t *n,
               const void *const *delta, int bf16, const real_t *row_scale) {
    for (int k = 0; k < n_parts; k++)
        for (int64_t i = 0; i < n[k]; i++)
            if (rows[k][i] < 0 || rows[k][i] >= n_rows || (i && rows[k][i] <= rows[k][i - 1]))
                return -1;
    int64_t *at = calloc((size_t)n_parts, sizeof *at);     /* each part's next row */
    real_t *sum = malloc((size_t)dim * sizeof *sum);
    if (!at || !sum) {
        free(at);
        free(sum);
        return -2;
    }
    for (;;) {
        index_t row = -1;                                   /* the smallest next row */
        for (int k = 0; k < n_parts; k++)
            if (at[k] < n[k] && (row < 0 || rows[k][at[k]] < row))
                row = rows[k][at[k]];
        if (row < 0)
            break;
        int first = 1;
        for (int k = 0; k < n_parts; k++) {
            if (at[k] >= n[k] || rows[k][at[k]] != row)
                continue;
            int64_t i = at[k]++;
            for (int j = 0; j < dim; j++) {     /* (the compiler unswitches the tests) */
                real_t v = bf16 ? from_bf16(((const uint16_t *)delta[k])[i * dim + j])
                                : ((const real_t *)delta[k])[i * dim + j];
                sum[j] = first ? v : sum[j] + v;
            }
            first = 0;
        }
        real_t *b = base + (int64_t)row * dim;
        real_t f = row_scale ? row_scale[row] : 1;
        for (int j = 0; j < dim; j++)
            b[j] += f * sum[j];           /* exact when f == 1 */
        memcpy(replica + (int64_t)row * dim, b, (size_t)dim * sizeof(real_t));
    }
    free(at);
    free(sum);
    return 0;
}
