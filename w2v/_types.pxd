# Mirrors csrc/w2v_types.h.
from libc.stdint cimport int32_t

cdef extern from "w2v_types.h" nogil:
    ctypedef float real_t
    ctypedef int32_t index_t
    index_t W2V_EOS
