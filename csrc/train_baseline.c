/* The baseline copy of the training kernels (x86-64 SSE2, or any other
 * architecture): csrc/train_kernels.h compiled for the compiler's default target. */
#include "train_paths.h"

#define W2V_PATH W2V_SIMD_BASELINE
#define W2V_PATH_NAME(name) name##_baseline
#define W2V_PATH_TARGET
#include "train_kernels.h"
