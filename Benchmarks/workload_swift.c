/* Workload 7's C side: the two functions the Swift object calls instead of
 * posix_memalign and free (mk/bench.mk renames its references), and the
 * driver.
 *
 * Two runs, each on a fresh heap, make the same allocator calls in the same
 * order:
 * - "swift": every call is timed (the alloc and free series) and the bytes
 *   requested are tracked, through a table from block to size;
 * - "swift-total": calls pass straight through and the whole workload is
 *   timed once. The pass-through costs a fixed number of instructions per
 *   call, measured at start-up and taken off, so the figure is the
 *   workload's own instructions, allocator calls included.
 */
#include <errno.h>
#include <stdlib.h>

#include "bench.h"

#if CAIRN_HEAP_SIZE < 65536
enum { SWIFT_SCALE = 24, SIZE_TABLE = 128 };
#else
enum { SWIFT_SCALE = 200, SIZE_TABLE = 2048 };
#endif

int bench_swift_run(int scale);

typedef int (*alloc_function)(void **, size_t, size_t);
typedef void (*free_function)(void *);

static int timing;
static alloc_function alloc_target = posix_memalign;
static free_function free_target = free;
static uint32_t alloc_calls, free_calls;

/* --- Block sizes of live blocks: open addressing, linear probing ---------- */

static struct { uintptr_t block; uint32_t bytes; } sizes[SIZE_TABLE];
static uint32_t live_blocks;

static uint32_t slot_of(uintptr_t block) { return (uint32_t)(block >> 3) * 2654435761u % SIZE_TABLE; }

static void remember(void *block, size_t bytes) {
    uint32_t i = slot_of((uintptr_t)block);
    while (sizes[i].block != 0) i = (i + 1) % SIZE_TABLE;
    sizes[i].block = (uintptr_t)block;
    sizes[i].bytes = (uint32_t)bytes;
    live_blocks++;
}

/* Removes `block`; returns its size (0 when unknown). Backward-shift
 * deletion keeps every probe chain unbroken. */
static size_t forget(void *block) {
    uint32_t i = slot_of((uintptr_t)block);
    while (sizes[i].block != (uintptr_t)block) {
        if (sizes[i].block == 0) return 0;
        i = (i + 1) % SIZE_TABLE;
    }
    size_t bytes = sizes[i].bytes;
    live_blocks--;
    uint32_t hole = i;
    for (uint32_t j = (i + 1) % SIZE_TABLE; sizes[j].block != 0; j = (j + 1) % SIZE_TABLE) {
        uint32_t home = slot_of(sizes[j].block);
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            sizes[hole] = sizes[j];
            hole = j;
        }
    }
    sizes[hole].block = 0;
    return bytes;
}

/* --- The functions the Swift object calls ------------------------------- */

int bench_swift_posix_memalign(void **out, size_t alignment, size_t bytes) {
    if (!timing) {
        alloc_calls++;
        return alloc_target(out, alignment, bytes);
    }
    int result = (int)(intptr_t)bench_time_call((const void *)alloc_target, (uintptr_t)out, alignment, bytes);
    bench_series_add(&bench_allocs, bench_callee_instructions());
    if (result != 0) {
        bench_allocs.failures++;
    } else {
        bench_note_alloc(bytes);
        remember(*out, bytes);
    }
    return result;
}

void bench_swift_free(void *block) {
    if (!timing) {
        free_calls++;
        free_target(block);
        return;
    }
    bench_time_call((const void *)free_target, (uintptr_t)block, 0, 0);
    bench_series_add(&bench_frees, bench_callee_instructions());
    if (block != NULL) bench_note_free(forget(block));
}

void bench_swift_checkpoint(void) {
    if (timing) bench_checkpoint(live_blocks);
}

/* --- Driver --------------------------------------------------------------- */

static int null_alloc(void **out, size_t alignment, size_t bytes) {
    (void)out;
    (void)alignment;
    (void)bytes;
    return 0;
}

static int checksum;
static void run_swift(uintptr_t scale) { checksum = bench_swift_run((int)scale); }

int bench_workload_swift(int total_only) {
    bench_warm = 1;
    if (!total_only) {
        timing = 1;
        run_swift(SWIFT_SCALE);
        timing = 0;
        bench_extra_name = "checksum";
        bench_extra_value = (uint64_t)checksum;
        return 0;
    }
    /* The pass-through's own cost per call: time it around a callee of one
     * instruction (bench_null_call for free; null_alloc's return for
     * posix_memalign, measured the same way and taken off). */
    free_target = (free_function)bench_null_call;
    bench_time_call((const void *)bench_swift_free, 0, 0, 0);
    uint32_t free_overhead = bench_callee_instructions() - 1;
    alloc_target = null_alloc;
    bench_time_call((const void *)null_alloc, 0, 0, 0);
    uint32_t null_alloc_cost = bench_callee_instructions();
    bench_time_call((const void *)bench_swift_posix_memalign, 0, 0, 0);
    uint32_t alloc_overhead = bench_callee_instructions() - null_alloc_cost;
    alloc_target = posix_memalign;
    free_target = free;
    alloc_calls = free_calls = 0;

    uint32_t instructions = 0;
    if (bench_time_long((const void *)run_swift, SWIFT_SCALE, &instructions) != 0) return 70;
    uint64_t overhead = (uint64_t)alloc_calls * alloc_overhead + (uint64_t)free_calls * free_overhead;
    bench_extra_name = "workload_instructions";
    bench_extra_value = instructions - overhead;
    bench_allocs.ops = alloc_calls;
    bench_frees.ops = free_calls;
    return 0;
}
