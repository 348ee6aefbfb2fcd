// What the tests may use on the board they run on: a static region for the
// Swift scenarios to run their own allocators over, the slab geometry for
// it, a slot table and loop counts for the randomised churns (scaled down
// for the micro:bit's 16 KiB of RAM), and the seed.
#ifndef ONTARGET_TEST_PROFILE_H
#define ONTARGET_TEST_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// One live block of a churn: its start, the size asked for, and the tag
// its contents were filled from (see block_pattern.h).
struct ontarget_slot {
    uint8_t *block;
    uint32_t size;
    uint32_t tag;
};

struct ontarget_profile {
    const char *board;        // BOARD the firmware was built for
    bool global_heap_is_bump; // ALLOCATOR=bump: the malloc family never reuses memory
    uint8_t *region;          // static, 8-byte aligned, owned by the Swift scenarios
    size_t region_size;
    size_t page_size;         // slab geometry for the region
    size_t largest_class;
    struct ontarget_slot *slots; // scratch for one churn at a time
    uint32_t slot_count;
    uint32_t churn_rounds;
    size_t largest_churn_block; // churn sizes are 0 ... this
    uint32_t seed;            // TEST_SEED: replays a randomised run
};

void ontarget_get_profile(struct ontarget_profile *out);

// Prints the run's first line: board, allocator behind malloc, seed.
void ontarget_print_banner(void);

#endif
