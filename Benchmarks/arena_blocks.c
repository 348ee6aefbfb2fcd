/* What every smallest-arena workload shares: allocation through the
 * allocator under test with the run's accounting (a refusal ends the run),
 * the block-contents pattern and its check, tracked blocks, and the
 * seeded random numbers.
 */
#include <stdlib.h>

#include "arena.h"
#include "xorshift32.h"

size_t arena_requested_live, arena_requested_peak;
uint32_t arena_allocations;
struct arena_block arena_table[ARENA_TABLE_ENTRIES];

/* --- Allocation ----------------------------------------------------------- */

void *arena_allocate(size_t size, size_t alignment) {
    void *block = NULL;
    if (alignment == 0) {
        block = malloc(size);
    } else if (posix_memalign(&block, alignment, size) != 0) {
        block = NULL;
    }
    if (block == NULL) arena_finish(ARENA_REFUSED);
    arena_allocations++;
    arena_requested_live += size;
    if (arena_requested_live > arena_requested_peak) arena_requested_peak = arena_requested_live;
    return block;
}

void arena_release(void *block, size_t size) {
    free(block);
    arena_requested_live -= size;
}

/* --- Contents --------------------------------------------------------------- */

/* 40503 is odd, so tags are distinct for 65536 consecutive calls. */
uint16_t arena_next_tag(void) {
    static uint16_t serial;
    return (uint16_t)(++serial * 40503u);
}

/* Even bytes count up from the tag's low byte, odd ones from its high byte. */
static uint8_t pattern(uint16_t tag, size_t i) {
    return (uint8_t)(((i & 1) ? tag >> 8 : tag) + (i >> 1));
}

void arena_fill(uint8_t *bytes, size_t from, size_t to, uint16_t tag) {
    for (size_t i = from; i < to; i++) bytes[i] = pattern(tag, i);
}

void arena_expect(const uint8_t *bytes, size_t from, size_t to, uint16_t tag) {
    for (size_t i = from; i < to; i++) {
        if (bytes[i] != pattern(tag, i)) arena_finish(ARENA_CORRUPT);
    }
}

/* --- Tracked blocks ------------------------------------------------------------ */

struct arena_block arena_block_new(size_t size, size_t alignment) {
    struct arena_block block = { arena_allocate(size, alignment), (uint16_t)size, arena_next_tag() };
    arena_fill(block.bytes, 0, size, block.tag);
    return block;
}

void arena_block_check(const struct arena_block *block) {
    if (block->bytes != NULL) arena_expect(block->bytes, 0, block->size, block->tag);
}

void arena_block_free(struct arena_block *block) {
    if (block->bytes == NULL) return;
    arena_block_check(block);
    arena_release(block->bytes, block->size);
    block->bytes = NULL;
}

/* --- xorshift32 ------------------------------------------------------------------ */

static uint32_t random_state = 1;

void arena_seed(uint32_t seed) {
    arena_workload_seed = seed;
    random_state = seed;
}

uint32_t arena_random(void) {
    return xorshift32_next(&random_state);
}

uint32_t arena_between(uint32_t low, uint32_t high) {
    return low + arena_random() % (high - low + 1);
}
