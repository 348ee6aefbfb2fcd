// C symbols the Embedded Swift runtime needs that a bare-metal newlib lacks.
#include <stddef.h>
#include <stdint.h>

#include "xorshift32.h"

// Swift seeds Hasher from arc4random_buf. There is no entropy source on
// these boards, and a fixed sequence makes every run reproducible, which
// is what allocator tests want. Not for anything security related.
void arc4random_buf(void *buf, size_t n) {
    static uint32_t state = 0x2545F491u;
    uint8_t *out = buf;
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)xorshift32_next(&state);
}
