# Mirrors csrc/train.h.
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from w2v._types cimport real_t, index_t

cdef extern from "train.h" nogil:
    int W2V_SIGMOID_TABLE_SIZE
    int W2V_MAX_EXP
    float W2V_EXACT_CLIP
    float W2V_LOSS_MIN_PROB

    enum w2v_sigmoid_kind:
        W2V_SIGMOID_TABLE
        W2V_SIGMOID_EXACT

    enum w2v_status:
        W2V_OK
        W2V_STOPPED
        W2V_NONFINITE
        W2V_BAD_ID

    ctypedef struct w2v_model:
        real_t *syn0
        real_t *syn1neg
        real_t *syn1
        const uint32_t *keep_threshold
        const uint32_t *alias_prob
        const index_t *alias_index
        const uint8_t *hs_codes
        const index_t *hs_points
        const int64_t *hs_offsets
        int64_t vocab_size
        int dim
        int64_t stride
        int window
        int negative
        int hs
        int sg
        int cbow_mean
        int shrink_windows
        int compute_loss
        int sigmoid
        int shared_negatives
        const real_t *lockf

    ctypedef struct w2v_progress:
        int64_t words_done
        int64_t total_words
        double start_alpha
        double end_alpha
        int stop
        int nonfinite
        int sync_lock

    ctypedef struct w2v_private_rows:
        int64_t lo
        int64_t n

    ctypedef struct w2v_worker:
        uint64_t rng
        int dim
        int64_t max_sentence_length
        int64_t report_every
        int64_t sync_every
        real_t *h
        real_t *grad
        index_t *sentence
        real_t **noise
        double loss
        int64_t examples
        int64_t bad_pos
        int batch_capacity
        real_t **batch_in
        real_t **batch_out
        real_t *batch_g
        real_t *batch_grad
        w2v_private_rows own_syn1neg
        w2v_private_rows own_syn1

    enum w2v_init_status:
        W2V_NO_BUFFERS
        W2V_BAD_SIZE

    void w2v_init_tables()
    int w2v_worker_init(w2v_worker *w, const w2v_model *m, int64_t max_sentence_length,
                        uint64_t seed, int64_t private_rows, int64_t private_nodes)
    void w2v_worker_free(w2v_worker *w)
    double w2v_alpha_at(const w2v_progress *p, int64_t words_done)
    int64_t w2v_progress_words_done(const w2v_progress *p)
    int w2v_progress_stopped(const w2v_progress *p)
    int w2v_progress_nonfinite(const w2v_progress *p)
    void w2v_progress_request_stop(w2v_progress *p)
    int w2v_train_stream(const w2v_model *m, w2v_worker *w, w2v_progress *p,
                         const index_t *ids, int64_t n,
                         int64_t *raw_words, int64_t *effective_words)
    double w2v_train_example(const w2v_model *m, w2v_worker *w, const real_t *h,
                             index_t target, real_t alpha)
    double w2v_train_centre(const w2v_model *m, w2v_worker *w, const index_t *context,
                            int n_context, index_t centre, real_t alpha)
    void w2v_private_rows_add_and_sync(const w2v_model *m, w2v_worker *w, w2v_progress *p,
                                       real_t step, int64_t times)
    int w2v_fused_multiply_add()

    enum w2v_simd:
        W2V_SIMD_BASELINE
        W2V_SIMD_AVX2
        W2V_SIMD_AVX512

    int w2v_simd_path()
    int w2v_simd_supported(int path)
    int w2v_simd_select(int path)

