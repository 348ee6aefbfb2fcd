// Test data for blocks: a churn fills each block from a tag (its slot and
// serial number) and checks every byte before it frees the block, so two
// blocks that overlap, or a block the allocator wrote into, show up as a
// changed byte. Also the churns' random numbers. C and Swift share both.
#ifndef ONTARGET_BLOCK_PATTERN_H
#define ONTARGET_BLOCK_PATTERN_H

#include <stddef.h>
#include <stdint.h>

// Byte `index` of a block filled from `tag`: neighbouring tags and
// neighbouring bytes differ, and the pattern does not repeat every 256 bytes.
static inline uint8_t ontarget_pattern_byte(uint32_t tag, size_t index) {
    return (uint8_t)(tag * 131u + index * 7u + (index >> 8));
}

void ontarget_fill(void *block, size_t size, uint32_t tag);

// Index of the first byte of `block[0 ..< size]` that does not hold the
// pattern of `tag`, or `size` when all do.
size_t ontarget_first_changed_byte(const void *block, size_t size, uint32_t tag);

// xorshift32 (Marsaglia, 2003): tiny, and the same sequence on every board,
// so a seed replays a run exactly. `*state` must not be 0.
static inline uint32_t ontarget_next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

// A non-zero xorshift state for any seed (0 included).
static inline uint32_t ontarget_random_state(uint32_t seed) {
    return seed != 0 ? seed : 0x9E3779B9u;
}

#endif
