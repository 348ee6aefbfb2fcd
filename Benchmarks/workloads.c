/* Workloads 1-6 and the worst-case-memory workload, in C, through the
 * standard allocation functions (bench_malloc and friends time each call).
 * Every block is filled and checked, so an allocator that hands out
 * overlapping memory fails the run instead of looking fast.
 *
 * Sizes are scaled to the board's heap: the full set on mps2-an386, a
 * smaller one for microbit's 8 KiB arena (BENCH_SMALL).
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "xorshift32.h"

#if CAIRN_HEAP_SIZE < 65536
#define BENCH_SMALL 1
#endif

#ifdef BENCH_SMALL
enum { PAIR_ROUNDS = 500, LIST_BLOCKS = 64, LIST_ROUNDS = 10, REALLOC_ROUNDS = 100 };
enum { CHURN_SLOTS = 32, CHURN_STEPS = 2000, CHURN_MAX = 128 };
enum { MIXED_SMALL_MAX = 32, MIXED_LARGE_MIN = 128, MIXED_LARGE_MAX = 512 };
enum { BOUND_LIVE = 320 };
enum { RUN_LIVE = 2048, RUN_LARGEST = 1024 };
#else
enum { PAIR_ROUNDS = 1000, LIST_BLOCKS = 100, LIST_ROUNDS = 20, REALLOC_ROUNDS = 100 };
enum { CHURN_SLOTS = 256, CHURN_STEPS = 10000, CHURN_MAX = 256 };
enum { MIXED_SMALL_MAX = 64, MIXED_LARGE_MIN = 256, MIXED_LARGE_MAX = 2048 };
enum { BOUND_LIVE = 16384 };
enum { RUN_LIVE = 65536, RUN_LARGEST = 32768 };
#endif
enum { CHURN_MIN = 8 };
/* Printed with the results, so a run can be replayed. */
enum { CHURN_SEED = 0xC0FFEEu };

/* --- Block contents: a pattern derived from the address and size --------- */

static void fill(void *block, size_t bytes) {
    uint8_t *b = block;
    uint8_t seed = (uint8_t)((uintptr_t)block >> 3) ^ (uint8_t)bytes;
    for (size_t i = 0; i < bytes; i++) b[i] = (uint8_t)(seed + i);
}

static int intact(const void *block, size_t bytes) {
    const uint8_t *b = block;
    uint8_t seed = (uint8_t)((uintptr_t)block >> 3) ^ (uint8_t)bytes;
    for (size_t i = 0; i < bytes; i++) {
        if (b[i] != (uint8_t)(seed + i)) return 0;
    }
    return 1;
}

/* xorshift32.h: deterministic and cheap; the same sequence on every board. */
static uint32_t random_state;
static uint32_t next_random(void) {
    return xorshift32_next(&random_state);
}

static uint32_t random_between(uint32_t low, uint32_t high) {
    return low + next_random() % (high - low + 1);
}

/* --- 1. One 16-byte allocate/free pair, repeated ---------------------------- */

int bench_workload_pair(void) {
    for (int round = 0; round < PAIR_ROUNDS; round++) {
        bench_warm = round > 0;
        void *block = bench_malloc(16);
        if (block == NULL) continue;
        fill(block, 16);
        if (round == 0) bench_checkpoint(1);
        if (!intact(block, 16)) return 10;
        bench_free(block, 16);
    }
    return 0;
}

/* --- 2 and 3. LIST_BLOCKS blocks of 1..LIST_BLOCKS bytes, freed FIFO / LIFO - */

static int list_workload(int lifo) {
    static void *blocks[LIST_BLOCKS];
    for (int round = 0; round < LIST_ROUNDS; round++) {
        bench_warm = round > 0;
        for (int i = 0; i < LIST_BLOCKS; i++) {
            blocks[i] = bench_malloc((size_t)i + 1);
            if (blocks[i] != NULL) fill(blocks[i], (size_t)i + 1);
        }
        if (round == LIST_ROUNDS - 1) bench_checkpoint(LIST_BLOCKS);
        for (int n = 0; n < LIST_BLOCKS; n++) {
            int i = lifo ? LIST_BLOCKS - 1 - n : n;
            if (blocks[i] == NULL) continue;
            if (!intact(blocks[i], (size_t)i + 1)) return 20;
            bench_free(blocks[i], (size_t)i + 1);
        }
    }
    return 0;
}

int bench_workload_fifo(void) { return list_workload(0); }
int bench_workload_lifo(void) { return list_workload(1); }

/* --- 4. realloc growing a block ------------------------------------------------
 * In place: a 17-byte block grown to 20 bytes, which every allocator here
 * can do without moving (Cairn's 24-byte class; newlib's 24-byte chunk).
 * Moving: a 16-byte block with another block allocated right after it,
 * grown to 200 bytes: no allocator can grow it where it is. Only the
 * realloc calls are in the realloc series; `moves` counts new addresses. */

static int realloc_workload(int moving) {
    uint64_t moves = 0;
    for (int round = 0; round < REALLOC_ROUNDS; round++) {
        bench_warm = round > 0;
        size_t from = moving ? 16 : 17;
        size_t to = moving ? 200 : 20;
        void *block = bench_malloc(from);
        void *neighbour = moving ? bench_malloc(16) : NULL;
        if (block == NULL) continue;
        fill(block, from);
        void *grown = bench_realloc(block, from, to);
        if (grown == NULL) {
            bench_free(block, from);
        } else {
            moves += grown != block;
            uint8_t *b = grown;
            uint8_t seed = (uint8_t)((uintptr_t)block >> 3) ^ (uint8_t)from;
            for (size_t i = 0; i < from; i++) {
                if (b[i] != (uint8_t)(seed + i)) return 40;
            }
            if (round == REALLOC_ROUNDS - 1) bench_checkpoint(moving ? 2 : 1);
            bench_free(grown, to);
        }
        bench_free(neighbour, 16);
    }
    bench_extra_name = "moves";
    bench_extra_value = moves;
    return 0;
}

int bench_workload_realloc_in_place(void) { return realloc_workload(0); }
int bench_workload_realloc_moving(void) { return realloc_workload(1); }

/* --- 5 and 6. Seeded random churn over CHURN_SLOTS live slots ------------------
 * Fill every slot, then CHURN_STEPS times free a random slot and refill it
 * with a new random size, then free everything. The first fill is the cold
 * round. */

static void *slots[CHURN_SLOTS];
static uint16_t slot_bytes[CHURN_SLOTS];

static size_t churn_size(int mixed) {
    if (!mixed) return random_between(CHURN_MIN, CHURN_MAX);
    /* One in sixteen large. */
    if ((next_random() & 15) == 0) return random_between(MIXED_LARGE_MIN, MIXED_LARGE_MAX);
    return random_between(CHURN_MIN, MIXED_SMALL_MAX);
}

static int churn_workload(int mixed) {
    random_state = CHURN_SEED;
    bench_warm = 0;
    for (int i = 0; i < CHURN_SLOTS; i++) {
        slot_bytes[i] = (uint16_t)churn_size(mixed);
        slots[i] = bench_malloc(slot_bytes[i]);
        if (slots[i] != NULL) fill(slots[i], slot_bytes[i]);
    }
    bench_warm = 1;
    for (int step = 0; step < CHURN_STEPS; step++) {
        uint32_t i = next_random() % CHURN_SLOTS;
        if (slots[i] != NULL) {
            if (!intact(slots[i], slot_bytes[i])) return 50;
            bench_free(slots[i], slot_bytes[i]);
        }
        slot_bytes[i] = (uint16_t)churn_size(mixed);
        slots[i] = bench_malloc(slot_bytes[i]);
        if (slots[i] != NULL) fill(slots[i], slot_bytes[i]);
    }
    uint32_t live = 0;
    for (int i = 0; i < CHURN_SLOTS; i++) live += slots[i] != NULL;
    bench_checkpoint(live);
    for (int i = 0; i < CHURN_SLOTS; i++) {
        if (slots[i] == NULL) continue;
        if (!intact(slots[i], slot_bytes[i])) return 51;
        bench_free(slots[i], slot_bytes[i]);
        slots[i] = NULL;
    }
    bench_extra_name = "seed";
    bench_extra_value = CHURN_SEED;
    return 0;
}

int bench_workload_churn(void) { return churn_workload(0); }
int bench_workload_mixed_churn(void) { return churn_workload(1); }

/* --- Worst-case memory: the adversary of a per-class-page slab -----------------
 * Live bytes never exceed BOUND_LIVE. For each size class in increasing
 * order, allocate the smallest request that lands in that class (one more
 * than the class below) until the live budget is spent, then free every
 * block except the first in each PAGE_SIZE-aligned window of addresses. Each
 * kept block pins a whole page of its class, and no later class can use
 * that page. Classes that malloc's 8-byte alignment skips are skipped. The
 * class sizes are Cairn's standard ones (SlabConfiguration):
 * 8, 12, then four per doubling up to LARGEST_CLASS. Other allocators run
 * the same program; it is not their worst case. */

#include "cairn_geometry.h"

enum { BOUND_MAX_BLOCKS = BOUND_LIVE };
static void *bound_blocks[BOUND_MAX_BLOCKS];

static size_t next_class(size_t size) {
    size_t power = 1;
    while (power * 2 <= size) power *= 2;
    size_t step = power / 4 > 4 ? power / 4 : 4;
    return size + step;
}

int bench_workload_bound(void) {
    size_t live = 0;
    size_t previous = 0;
    uint32_t kept_total = 0;
    bench_warm = 1;
    /* A page's last 20 bytes hold its descriptor and the next fit-heap
     * block's header (PageDescriptor.pageTail): no class is larger. */
    for (size_t size = 8; size <= CAIRN_BUILD_LARGEST_CLASS && size <= CAIRN_BUILD_PAGE_SIZE - 20;
         size = next_class(size)) {
        /* malloc aligns to 8, so classes that are not multiples of 8 are
         * never chosen for it: the request steps to the next one. */
        if (size % 8 != 0) continue;
        size_t request = previous + 1;
        previous = size;
        int count = 0;
        while (live + request <= BOUND_LIVE && count < BOUND_MAX_BLOCKS) {
            void *block = bench_malloc(request);
            if (block == NULL) break;
            bound_blocks[count++] = block;
            live += request;
        }
        uintptr_t window = UINTPTR_MAX;
        for (int i = 0; i < count; i++) {
            uintptr_t w = (uintptr_t)bound_blocks[i] / CAIRN_BUILD_PAGE_SIZE;
            if (w != window) {
                window = w;
                kept_total++;
                continue;
            }
            bench_free(bound_blocks[i], request);
            live -= request;
        }
    }
    bench_checkpoint(kept_total);
    bench_extra_name = "kept_blocks";
    bench_extra_value = kept_total;
    /* The kept blocks stay allocated: the run ends here. */
    return 0;
}

/* --- Worst-case memory for large blocks: the large-block adversary -------------
 * Live bytes never exceed RUN_LIVE, and every block is above the largest
 * class (a fit-heap block in Cairn): 1, 2, 4, ... pages, up to RUN_LARGEST
 * bytes. Before each new size of b bytes it
 * frees every live block, in address order, whose freeing leaves the hole
 * around it (from the end of the last block kept to the start of the next
 * live one, or from the lowest address used) shorter than b, then
 * allocates blocks of b bytes until the live budget is spent. No hole can
 * then take a new block, so an allocator whose free spans are merged at
 * once must place every one beyond what it used before, while the kept
 * blocks, ever fewer per byte of address space, pin the holes. This is
 * Robson's construction for first fit in its simplest form; it is no
 * allocator's proven worst case. What it measures is the address range
 * the blocks reached (bench_touched_*). */

enum { RUN_MAX_BLOCKS = RUN_LIVE / CAIRN_BUILD_PAGE_SIZE + 1 };

struct run_block {
    uint8_t *block;
    size_t bytes;
};

static struct run_block run_blocks[RUN_MAX_BLOCKS];

/* Insertion sort by address: at most RUN_MAX_BLOCKS entries per pass. */
static void sort_run_blocks(unsigned count) {
    for (unsigned i = 1; i < count; i++) {
        struct run_block b = run_blocks[i];
        unsigned j = i;
        while (j > 0 && run_blocks[j - 1].block > b.block) {
            run_blocks[j] = run_blocks[j - 1];
            j--;
        }
        run_blocks[j] = b;
    }
}

int bench_workload_run_bound(void) {
    unsigned count = 0;
    size_t live = 0;
    bench_warm = 1;
    for (size_t bytes = CAIRN_BUILD_PAGE_SIZE; bytes <= RUN_LARGEST; bytes *= 2) {
        /* Free pass: every hole stays shorter than `bytes`. The last block
         * is always kept: freeing it would join the never-used end. */
        sort_run_blocks(count);
        uintptr_t kept_end = bench_touched_low;
        unsigned kept = 0;
        for (unsigned i = 0; i < count; i++) {
            struct run_block b = run_blocks[i];
            if (i + 1 < count && (uintptr_t)run_blocks[i + 1].block - kept_end < bytes) {
                if (!intact(b.block, b.bytes)) return 80;
                bench_free(b.block, b.bytes);
                live -= b.bytes;
                continue;
            }
            run_blocks[kept++] = b;
            kept_end = (uintptr_t)b.block + b.bytes;
        }
        count = kept;
        while (live + bytes <= RUN_LIVE && count < RUN_MAX_BLOCKS) {
            uint8_t *block = bench_malloc(bytes);
            if (block == NULL) break;
            fill(block, bytes);
            run_blocks[count].block = block;
            run_blocks[count].bytes = bytes;
            count++;
            live += bytes;
        }
    }
    bench_checkpoint(count);
    bench_extra_name = "kept_blocks";
    bench_extra_value = count;
    return 0;
}
