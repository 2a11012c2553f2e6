/* Syncing replicas: see sync.h. Each pair of entry points is one loop,
 * specialised by the compiler for the two wire types. */
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

static inline int64_t changed_rows(const real_t *replica, const real_t *base, int dim,
                                   const index_t *due, int64_t n_due, index_t *out_rows,
                                   real_t *out_f32, uint16_t *out_bf16) {
    int64_t n_out = 0;
    for (int64_t i = 0; i < n_due; i++) {
        index_t row = due ? due[i] : (index_t)i;
        const real_t *r = replica + (int64_t)row * dim;
        const real_t *b = base + (int64_t)row * dim;
        int changed = 0;
        if (out_f32) {
            real_t *d = out_f32 + n_out * dim;
            for (int j = 0; j < dim; j++) {
                d[j] = r[j] - b[j];
                changed |= d[j] != 0;
            }
        } else {
            uint16_t *d = out_bf16 + n_out * dim;
            for (int j = 0; j < dim; j++) {
                real_t x = r[j] - b[j];
                d[j] = to_bf16(x);
                changed |= x != 0;
            }
        }
        if (changed)
            out_rows[n_out++] = row;     /* else the next row overwrites this one */
    }
    return n_out;
}

int64_t sync_changed_rows(const real_t *replica, const real_t *base, int dim,
                          const index_t *due, int64_t n_due,
                          index_t *out_rows, real_t *out_delta) {
    return changed_rows(replica, base, dim, due, n_due, out_rows, out_delta, NULL);
}

int64_t sync_changed_rows_bf16(const real_t *replica, const real_t *base, int dim,
                               const index_t *due, int64_t n_due,
                               index_t *out_rows, uint16_t *out_delta) {
    return changed_rows(replica, base, dim, due, n_due, out_rows, NULL, out_delta);
}

static inline int add_rows(real_t *base, real_t *replica, int64_t n_rows, int dim,
                           const index_t *rows, int64_t n, const real_t *d_f32,
                           const uint16_t *d_bf16, const real_t *row_scale) {
    for (int64_t i = 0; i < n; i++)
        if (rows[i] < 0 || rows[i] >= n_rows)
            return -1;
    for (int64_t i = 0; i < n; i++) {
        real_t *b = base + (int64_t)rows[i] * dim;
        real_t f = row_scale ? row_scale[rows[i]] : 1;
        if (d_f32) {
            const real_t *d = d_f32 + i * dim;
            for (int j = 0; j < dim; j++)
                b[j] += f * d[j];         /* exact when f == 1 */
        } else {
            const uint16_t *d = d_bf16 + i * dim;
            for (int j = 0; j < dim; j++)
                b[j] += f * from_bf16(d[j]);
        }
        memcpy(replica + (int64_t)rows[i] * dim, b, (size_t)dim * sizeof(real_t));
    }
    return 0;
}

int sync_add_rows(real_t *base, real_t *replica, int64_t n_rows, int dim,
                  const index_t *rows, int64_t n, const real_t *delta,
                  const real_t *row_scale) {
    return add_rows(base, replica, n_rows, dim, rows, n, delta, NULL, row_scale);
}

int sync_add_rows_bf16(real_t *base, real_t *replica, int64_t n_rows, int dim,
                       const index_t *rows, int64_t n, const uint16_t *delta,
                       const real_t *row_scale) {
    return add_rows(base, replica, n_rows, dim, rows, n, NULL, delta, row_scale);
}
