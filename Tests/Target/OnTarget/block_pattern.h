// Test data for blocks: a churn fills each block from a tag (its slot and
// serial number) and checks every byte before it frees the block, so two
// blocks that overlap, or a block the allocator wrote into, show up as a
// changed byte. Also the seed of the churns' random numbers (xorshift32.h,
// the generator every firmware shares). C and Swift share both.
#ifndef ONTARGET_BLOCK_PATTERN_H
#define ONTARGET_BLOCK_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "xorshift32.h"

// Byte `index` of a block filled from `tag`: neighbouring tags and
// neighbouring bytes differ, and the pattern does not repeat every 256 bytes.
static inline uint8_t ontarget_pattern_byte(uint32_t tag, size_t index) {
    return (uint8_t)(tag * 131u + index * 7u + (index >> 8));
}

void ontarget_fill(void *block, size_t size, uint32_t tag);

// Index of the first byte of `block[0 ..< size]` that does not hold the
// pattern of `tag`, or `size` when all do.
size_t ontarget_first_changed_byte(const void *block, size_t size, uint32_t tag);

// A non-zero xorshift state for any seed (0 included).
static inline uint32_t ontarget_random_state(uint32_t seed) {
    return seed != 0 ? seed : 0x9E3779B9u;
}

#endif
