/* Build-time facts reported by w2v.show_config(). */
#ifndef W2V_CONFIG_H
#define W2V_CONFIG_H

#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef W2V_COMPILE_FLAGS
#define W2V_COMPILE_FLAGS "unknown"
#endif

static inline int w2v_openmp_enabled(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* Threads OpenMP would use by default (1 without OpenMP). */
static inline int w2v_max_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static inline const char *w2v_compile_flags(void) { return W2V_COMPILE_FLAGS; }

#endif
