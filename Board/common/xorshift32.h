// xorshift32 (Marsaglia, 2003), the one pseudo-random generator of every
// firmware: the board layer's arc4random_buf, the test firmware's seeded
// runs and the benchmarks' workloads. Tiny, and the same sequence on every
// board, so a seed replays a run exactly.
#ifndef CAIRN_BOARD_XORSHIFT32_H
#define CAIRN_BOARD_XORSHIFT32_H

#include <stdint.h>

// The next number of the sequence in `*state`, which it advances. Full
// period over the non-zero states: `*state` must not be 0 (it would stay 0),
// and a non-zero state never becomes 0.
static inline uint32_t xorshift32_next(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

#endif
