/* Types shared by every w2v kernel (defined once; mirrored in w2v/_types.pxd). */
#ifndef W2V_TYPES_H
#define W2V_TYPES_H

#include <stdint.h>

typedef float real_t;     /* embedding element type (float32 on the Python side) */
typedef int32_t index_t;  /* word id in an encoded corpus */

/* In an encoded corpus (int32 ids), W2V_EOS ends a sentence. */
#define W2V_EOS ((index_t)-1)

#endif
