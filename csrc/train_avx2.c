/* The x86-64-v3 (AVX2 + FMA) copy of the training kernels: csrc/train_kernels.h
 * with its entry points compiled for that target (and every helper, inlined). */
#include "train_paths.h"

#if W2V_HAVE_CLONES
#define W2V_PATH W2V_SIMD_AVX2
#define W2V_PATH_NAME(name) name##_avx2
#define W2V_PATH_TARGET __attribute__((target("arch=x86-64-v3")))
#include "train_kernels.h"
#else
typedef int w2v_no_avx2_path;   /* ISO C wants a declaration in every file */
#endif
