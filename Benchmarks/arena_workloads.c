/* The smallest-arena workloads in plain C: churn, mixed churn and phases
 * (the Swift-like one is in arena_swift_like.c). Each keeps its blocks in
 * arena_table, fills every block when it is allocated, checks it before
 * it is freed and checks every live block at the end.
 */
#include <string.h>

#include "arena.h"

#if BENCH_ARENA_SMALL
enum { CHURN_SLOTS = 32, CHURN_STEPS = 3000, CHURN_MIN = 8, CHURN_MAX = 128 };
enum { MIXED_SLOTS = 32, MIXED_STEPS = 3000, MIXED_MIN = 16, MIXED_MAX = 64,
       MIXED_LARGE_MIN = 128, MIXED_LARGE_MAX = 512 };
enum { PHASE_LIVE = 2560, PHASE_ROUNDS = 4 };
static const uint16_t phase_sizes[3][2] = { { 8, 32 }, { 48, 128 }, { 256, 768 } };
#else
enum { CHURN_SLOTS = 256, CHURN_STEPS = 10000, CHURN_MIN = 8, CHURN_MAX = 256 };
enum { MIXED_SLOTS = 128, MIXED_STEPS = 10000, MIXED_MIN = 16, MIXED_MAX = 64,
       MIXED_LARGE_MIN = 256, MIXED_LARGE_MAX = 2048 };
enum { PHASE_LIVE = 32768, PHASE_ROUNDS = 4 };
static const uint16_t phase_sizes[3][2] = { { 8, 32 }, { 64, 256 }, { 512, 2048 } };
#endif
/* A phase keeps one block in keep_one_in[phase] (chosen at random). */
static const uint32_t keep_one_in[3] = { 4, 8, 4 };

_Static_assert((int)CHURN_SLOTS <= (int)ARENA_TABLE_ENTRIES && (int)MIXED_SLOTS <= (int)ARENA_TABLE_ENTRIES,
               "churn slots must fit in the shared table");

enum { CHURN_SEED = 0xC0FFEEu, MIXED_SEED = 0xBADC0DEu, PHASES_SEED = 0x5EED1234u };

/* Checks and frees blocks [0, count) of the table. */
static void free_all(uint32_t count) {
    for (uint32_t i = 0; i < count; i++) arena_block_check(&arena_table[i]);
    for (uint32_t i = 0; i < count; i++) arena_block_free(&arena_table[i]);
}

/* --- Churn: a random slot freed and refilled, STEPS times ------------------------
 * Slots start empty and fill as they are first picked; from then on the
 * heap stays about as full as the slots make it. */

static size_t mixed_size(void) {
    if ((arena_random() & 15) == 0) return arena_between(MIXED_LARGE_MIN, MIXED_LARGE_MAX);
    return arena_between(MIXED_MIN, MIXED_MAX);
}

static void churn(uint32_t slots, uint32_t steps, int mixed) {
    memset(arena_table, 0, sizeof arena_table);
    for (uint32_t step = 0; step < steps; step++) {
        struct arena_block *slot = &arena_table[arena_random() % slots];
        arena_block_free(slot);
        size_t size = mixed ? mixed_size() : arena_between(CHURN_MIN, CHURN_MAX);
        *slot = arena_block_new(size, 0);
    }
    free_all(slots);
}

void arena_workload_churn(void) {
    arena_seed(CHURN_SEED);
    churn(CHURN_SLOTS, CHURN_STEPS, 0);
}

void arena_workload_mixed(void) {
    arena_seed(MIXED_SEED);
    churn(MIXED_SLOTS, MIXED_STEPS, 1);
}

/* --- Phases: small, then mid, then large blocks, each phase mostly freed ---------
 * Each phase allocates blocks of its sizes until the live requested bytes
 * would pass PHASE_LIVE, then frees all but one in keep_one_in[phase] of
 * its own blocks at random. The blocks a round keeps stay live through
 * the next round and are freed at its end, so every phase must reuse
 * memory that blocks of other sizes held.
 *
 * The table stays dense and in allocation order: [0, previous) kept from
 * the round before, [previous, count) this round's. */

static uint32_t count;

static void fill_phase(unsigned phase) {
    for (;;) {
        size_t size = arena_between(phase_sizes[phase][0], phase_sizes[phase][1]);
        if (arena_requested_live + size > PHASE_LIVE || count == ARENA_TABLE_ENTRIES) return;
        arena_table[count++] = arena_block_new(size, 0);
    }
}

/* Frees, from [start, count), all but one block in `keep` at random. */
static void thin(uint32_t start, uint32_t keep) {
    uint32_t kept = start;
    for (uint32_t i = start; i < count; i++) {
        if (arena_random() % keep == 0) {
            arena_table[kept++] = arena_table[i];
        } else {
            arena_block_free(&arena_table[i]);
        }
    }
    count = kept;
}

void arena_workload_phases(void) {
    arena_seed(PHASES_SEED);
    count = 0;
    uint32_t previous = 0;
    for (unsigned round = 0; round < PHASE_ROUNDS; round++) {
        for (unsigned phase = 0; phase < 3; phase++) {
            uint32_t start = count;
            fill_phase(phase);
            thin(start, keep_one_in[phase]);
        }
        /* The previous round's survivors go; this round's move down. */
        free_all(previous);
        memmove(&arena_table[0], &arena_table[previous], (count - previous) * sizeof arena_table[0]);
        count -= previous;
        previous = count;
    }
    free_all(count);
}
