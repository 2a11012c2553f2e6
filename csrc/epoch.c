/* One epoch over the id cache with an OpenMP team (see epoch.h). */
#define _XOPEN_SOURCE 700   /* pread */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "epoch.h"

int w2v_epoch_parallel(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* Reads ids [start, start + n) of the file; 0 on failure (errno, or 0 at end of file). */
static int read_ids(int fd, index_t *buf, int64_t start, int64_t n, int *err) {
    char *dst = (char *)buf;
    size_t left = (size_t)n * sizeof(index_t);
    off_t offset = (off_t)start * (off_t)sizeof(index_t);
    while (left > 0) {
        const ssize_t got = pread(fd, dst, left, offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            *err = got < 0 ? errno : 0;
            return 0;
        }
        dst += got;
        left -= (size_t)got;
        offset += got;
    }
    return 1;
}

static void train_chunks(const w2v_model *m, w2v_worker *w, w2v_progress *p, int fd,
                         const int64_t *bounds, int64_t n_chunks, int64_t longest,
                         int64_t *next, w2v_epoch_result *r) {
    /* longest x 4 bytes fits in size_t (checked by the caller) */
    index_t *buf = malloc((size_t)(longest > 0 ? longest : 1) * sizeof(index_t));
    if (buf == NULL) {
        r->status = W2V_NO_MEMORY;
        w2v_progress_request_stop(p);
        return;
    }
    while (!w2v_progress_stopped(p) && !w2v_progress_nonfinite(p)) {
        const int64_t k = __atomic_fetch_add(next, 1, __ATOMIC_RELAXED);
        if (k >= n_chunks)
            break;
        const int64_t start = bounds[k], n = bounds[k + 1] - bounds[k];
        if (!read_ids(fd, buf, start, n, &r->io_errno)) {
            r->status = W2V_IO_ERROR;
            w2v_progress_request_stop(p);
            break;
        }
        const int status = w2v_train_stream(m, w, p, buf, n, &r->raw_words, &r->effective_words);
        if (status == W2V_OK)
            continue;
        r->status = status;
        if (status == W2V_BAD_ID) {
            r->bad_pos = start + w->bad_pos;
            w2v_progress_request_stop(p);
        }
        break;   /* W2V_NONFINITE already stops the others through progress */
    }
    free(buf);
}

int w2v_train_epoch_file(const w2v_model *m, w2v_worker *const *workers, int n_workers,
                         w2v_progress *p, int fd, const int64_t *bounds, int64_t n_chunks,
                         w2v_epoch_result *results) {
    memset(results, 0, (size_t)n_workers * sizeof(*results));
    int64_t longest = 0, next = 0;
    for (int64_t k = 0; k < n_chunks; k++)
        if (bounds[k + 1] - bounds[k] > longest)
            longest = bounds[k + 1] - bounds[k];
    /* a chunk's buffer and its file offsets (ids x 4 bytes) must be representable:
     * refuse rather than allocate a wrapped-around size */
    if (n_chunks > 0 && (bounds[0] < 0 || (uint64_t)longest > SIZE_MAX / sizeof(index_t)
                         || bounds[n_chunks] > INT64_MAX / (int64_t)sizeof(index_t))) {
        for (int t = 0; t < n_workers; t++)
            results[t].status = W2V_BAD_BOUNDS;
        return 0;
    }
    int team = 1;
#ifdef _OPENMP
    /* a team of exactly n_workers threads when OpenMP allows it; with fewer,
     * workers[team..] stay idle and the team still trains every chunk */
#pragma omp parallel num_threads(n_workers)
    {
        const int t = omp_get_thread_num();
        if (t == 0)
            team = omp_get_num_threads();
        train_chunks(m, workers[t], p, fd, bounds, n_chunks, longest, &next, &results[t]);
    }
#else
    train_chunks(m, workers[0], p, fd, bounds, n_chunks, longest, &next, &results[0]);
#endif
    return team;
}
