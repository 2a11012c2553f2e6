# Mirrors csrc/epoch.h.
from libc.stdint cimport int64_t
from w2v._train cimport w2v_model, w2v_worker, w2v_progress

cdef extern from "epoch.h" nogil:
    enum w2v_epoch_status:
        W2V_IO_ERROR
        W2V_NO_MEMORY

    ctypedef struct w2v_epoch_result:
        int status
        int io_errno
        int64_t raw_words
        int64_t effective_words
        int64_t bad_pos

    int w2v_epoch_parallel()
    int w2v_train_epoch_file(const w2v_model *m, w2v_worker **workers, int n_workers,
                             w2v_progress *p, int fd, const int64_t *bounds, int64_t n_chunks,
                             w2v_epoch_result *results)
