/* One training epoch over the encoded id cache, by a team of OpenMP threads.
 *
 * The cache (ARCHITECTURE.md, "Encoded corpus") is a file of int32 ids, -1
 * ending each sentence, cut into chunks that end at sentence ends.  Thread t
 * of the team trains with workers[t]: it claims the next chunk (one atomic
 * increment), reads it with pread into a buffer of its own and trains on it
 * with w2v_train_stream, until no chunk is left or progress stops.  No Python
 * and no lock on this path: the caller releases the GIL for the whole epoch.
 *
 * Built without OpenMP, workers[0] alone trains every chunk (the build warns,
 * and so does w2v.Word2Vec). */
#ifndef W2V_EPOCH_H
#define W2V_EPOCH_H

#include <stdint.h>
#include "train.h"

/* Statuses beyond enum w2v_status. */
enum w2v_epoch_status {
    W2V_IO_ERROR = 10,    /* pread failed (io_errno) or the file ended early (io_errno 0) */
    W2V_NO_MEMORY = 11,   /* the chunk buffer could not be allocated */
    W2V_BAD_BOUNDS = 12,  /* chunk bounds whose buffer size or file offset would overflow
                             (every result gets it; nothing was trained) */
};

typedef struct {
    int status;                /* enum w2v_status or w2v_epoch_status; W2V_OK if it never ran */
    int io_errno;
    int64_t raw_words;         /* as w2v_train_stream counts them */
    int64_t effective_words;
    int64_t bad_pos;           /* W2V_BAD_ID: index of the bad id in the file */
} w2v_epoch_result;

/* 1 when this build runs a team of threads (OpenMP), 0 when one thread. */
int w2v_epoch_parallel(void);

/* Chunk k is ids [bounds[k], bounds[k+1]) of the file open as fd, k < n_chunks.
 * results[t] receives thread t's counts and status (all n_workers entries are
 * written).  A thread that fails sets progress->stop so that the others
 * return.  Returns the number of threads that trained. */
int w2v_train_epoch_file(const w2v_model *m, w2v_worker *const *workers, int n_workers,
                         w2v_progress *p, int fd, const int64_t *bounds, int64_t n_chunks,
                         w2v_epoch_result *results);

#endif
