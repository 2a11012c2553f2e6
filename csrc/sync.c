/* Syncing replicas: see sync.h. */
#include <string.h>

#include "sync.h"

int64_t sync_changed_rows(const real_t *replica, const real_t *base, int dim,
                          const index_t *due, int64_t n_due,
                          index_t *out_rows, real_t *out_delta) {
    int64_t n_out = 0;
    for (int64_t i = 0; i < n_due; i++) {
        index_t row = due ? due[i] : (index_t)i;
        const real_t *r = replica + (int64_t)row * dim;
        const real_t *b = base + (int64_t)row * dim;
        real_t *d = out_delta + n_out * dim;
        int changed = 0;
        for (int j = 0; j < dim; j++) {
            d[j] = r[j] - b[j];
            changed |= d[j] != 0;
        }
        if (changed)
            out_rows[n_out++] = row;     /* else the next row overwrites d */
    }
    return n_out;
}

int sync_add_rows(real_t *base, real_t *replica, int64_t n_rows, int dim,
                  const index_t *rows, int64_t n, const real_t *delta, real_t scale) {
    for (int64_t i = 0; i < n; i++)
        if (rows[i] < 0 || rows[i] >= n_rows)
            return -1;
    for (int64_t i = 0; i < n; i++) {
        real_t *b = base + (int64_t)rows[i] * dim;
        const real_t *d = delta + i * dim;
        for (int j = 0; j < dim; j++)
            b[j] += scale * d[j];     /* exact when scale == 1 */
        memcpy(replica + (int64_t)rows[i] * dim, b, (size_t)dim * sizeof(real_t));
    }
    return 0;
}
