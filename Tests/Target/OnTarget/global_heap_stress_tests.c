// The firmware's heap under stress, through the real hooks: exhaustion and
// full recovery, then a seeded random churn of the whole malloc family with
// content checks. Slab heap only: a bump heap never reuses freed memory,
// so exhausting it would starve the tests that follow.
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "block_pattern.h"
#include "c_suites.h"
#include "cairn.h"
#include "cairn_geometry.h"
#include "harness.h"
#include "test_profile.h"

// Blocks are chained through their first word while the heap is full.
struct chained_block {
    struct chained_block *next;
};

static size_t exhaustion_size(uint32_t round) {
    switch (round % 6) {
    case 0: return 12;
    case 1: return 100;
    case 2: return CAIRN_BUILD_LARGEST_CLASS;
    case 3: return CAIRN_BUILD_PAGE_SIZE + 1;
    case 4: return 3 * CAIRN_BUILD_PAGE_SIZE;
    default: return 40;
    }
}

static void global_heap_recovers_from_exhaustion(void) {
    struct cairn_heap_stats start, full, end;
    cairn_get_stats(&start);
    struct chained_block *head = NULL;
    uint32_t count = 0;
    for (uint32_t round = 0;; round++) {
        struct chained_block *block = malloc(exhaustion_size(round));
        if (block == NULL) break;
        block->next = head;
        head = block;
        count++;
    }
    // Then the smallest blocks, until not even they fit.
    for (;;) {
        errno = 0;
        struct chained_block *block = malloc(sizeof *block);
        if (block == NULL) break;
        block->next = head;
        head = block;
        count++;
    }
    ontarget_check_value(errno == ENOMEM, "malloc on a full heap sets ENOMEM", "errno", (uint32_t)errno);
    cairn_get_stats(&full);
    ontarget_check_value(count > 8, "the global heap fills with blocks", "blocks", count);
    ontarget_check_value(full.out_of_memory >= start.out_of_memory + 2, "the global heap counts failed requests",
                         "failures counted", (uint32_t)(full.out_of_memory - start.out_of_memory));
    // What is left is 8-byte fragments between blocks, each smaller than
    // the smallest block: under 1 % of the heap.
    ontarget_check_value(full.capacity - full.in_use < full.capacity / 100,
                         "exhaustion uses the whole global heap", "bytes left",
                         (uint32_t)(full.capacity - full.in_use));
    ontarget_check_value(cairn_check_integrity() == 0, "the global heap is intact when full", "broken invariant",
                         (uint32_t)cairn_check_integrity());

    // Free every other block, then the rest, so that spans merge out of order.
    struct chained_block *survivors = NULL;
    for (bool odd = false; head != NULL; odd = !odd) {
        struct chained_block *block = head;
        head = block->next;
        if (odd) {
            free(block);
        } else {
            block->next = survivors;
            survivors = block;
        }
    }
    ontarget_check_value(cairn_check_integrity() == 0, "the global heap is intact half freed", "broken invariant",
                         (uint32_t)cairn_check_integrity());
    while (survivors != NULL) {
        struct chained_block *block = survivors;
        survivors = block->next;
        free(block);
    }
    cairn_get_stats(&end);
    ontarget_check_value(end.live_blocks == start.live_blocks, "freeing everything leaves the blocks live before",
                         "live blocks", (uint32_t)end.live_blocks);
    ontarget_check_value(cairn_check_integrity() == 0, "the global heap is intact after freeing everything",
                         "broken invariant", (uint32_t)cairn_check_integrity());

    // Classes may keep an empty page each, so in_use need not return to its
    // start value; but those pages go back to the pool when it runs dry, so
    // all that was free at the start must be allocatable as one block again.
    // The margin covers live blocks at the start that split the free pages.
    size_t margin = 2 * CAIRN_BUILD_PAGE_SIZE;
    size_t big = start.capacity - start.in_use - margin;
    void *whole = malloc(big);
    ontarget_check_value(whole != NULL, "the global heap recovers fully after exhaustion",
                         "malloc failed for size", (uint32_t)big);
    free(whole);
}

static size_t random_size(uint32_t random, size_t largest) {
    return (random & 3) != 0 ? (random >> 2) % (CAIRN_BUILD_LARGEST_CLASS + 1) : (random >> 2) % (largest + 1);
}

static void global_heap_survives_random_churn(const struct ontarget_profile *profile) {
    struct ontarget_slot *slots = profile->slots;
    const uint32_t slot_count = profile->slot_count;
    for (uint32_t i = 0; i < slot_count; i++) slots[i] = (struct ontarget_slot){0};
    uint32_t failures_before = ontarget_failures();
    uint32_t random = ontarget_random_state(profile->seed ^ 0x5A5A5A5Au);
    uint32_t serial = 0, allocations = 0;
    // First bad round per kind of fault, 0 when none (round numbers start at 1).
    uint32_t changed = 0, misaligned = 0, broken = 0;
    for (uint32_t round = 1; round <= profile->churn_rounds; round++) {
        if (round % 256 == 0 && broken == 0 && cairn_check_integrity() != 0) broken = round;
        uint32_t r = xorshift32_next(&random);
        struct ontarget_slot *slot = &slots[r % slot_count];
        size_t size = random_size(xorshift32_next(&random), profile->largest_churn_block);
        uint32_t action = (r >> 16) & 7;
        if (slot->block != NULL) {
            if (ontarget_first_changed_byte(slot->block, slot->size, slot->tag) != slot->size && changed == 0) {
                changed = round;
            }
            if (action < 2) {
                uint8_t *moved = realloc(slot->block, size);
                if (moved == NULL) continue;  // the old block stays, unchanged
                size_t kept = size < slot->size ? size : slot->size;
                if (ontarget_first_changed_byte(moved, kept, slot->tag) != kept && changed == 0) changed = round;
                ontarget_fill(moved, size, ++serial);
                *slot = (struct ontarget_slot){moved, (uint32_t)size, serial};
            } else {
                free(slot->block);
                slot->block = NULL;
            }
            continue;
        }
        uint8_t *block;
        size_t alignment = 8;
        if (action == 0) {
            alignment = (size_t)1 << (2 + (r >> 19) % 7);  // 4 ... 256
            void *out = NULL;
            block = posix_memalign(&out, alignment, size) == 0 ? out : NULL;
        } else if (action == 1) {
            block = calloc(1, size);
        } else {
            block = malloc(size);
        }
        if (block == NULL) continue;
        allocations++;
        if (((uintptr_t)block & (alignment - 1)) != 0 && misaligned == 0) misaligned = round;
        ontarget_fill(block, size, ++serial);
        *slot = (struct ontarget_slot){block, (uint32_t)size, serial};
    }
    ontarget_check_value(changed == 0, "C churn keeps every block's contents", "first bad round", changed);
    ontarget_check_value(misaligned == 0, "C churn honours every alignment", "first bad round", misaligned);
    ontarget_check_value(broken == 0, "C churn keeps the global heap intact", "first bad round", broken);
    ontarget_check_value(allocations >= profile->churn_rounds / 4, "C churn allocates", "allocations", allocations);
    for (uint32_t i = 0; i < slot_count; i++) {
        if (slots[i].block == NULL) continue;
        ontarget_check_value(ontarget_first_changed_byte(slots[i].block, slots[i].size, slots[i].tag) == slots[i].size,
                             "C churn keeps every block's contents", "a survivor changed in slot", i);
        free(slots[i].block);
        slots[i].block = NULL;
    }
    ontarget_check_value(cairn_check_integrity() == 0, "the global heap is intact after the churn",
                         "broken invariant", (uint32_t)cairn_check_integrity());
    if (ontarget_failures() != failures_before) ontarget_print_replay_seed(profile->seed);
}

void ontarget_run_global_heap_stress_tests(void) {
    struct ontarget_profile profile;
    ontarget_get_profile(&profile);
    if (profile.global_heap_is_bump) return;
    global_heap_recovers_from_exhaustion();
    global_heap_survives_random_churn(&profile);
}

void ontarget_check_global_heap_intact(void) {
    ontarget_check_value(cairn_check_integrity() == 0, "the global heap is intact at the end", "broken invariant",
                         (uint32_t)cairn_check_integrity());
}
