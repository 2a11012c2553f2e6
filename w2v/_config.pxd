cdef extern from "w2v_config.h" nogil:
    int w2v_openmp_enabled()
    int w2v_max_threads()
    const char *w2v_compile_flags()
