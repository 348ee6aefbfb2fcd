/* The smallest-arena firmware: one run answers "does this workload run to
 * the end in an arena of N bytes?". The semihosting command line names the
 * workload and N (`qemu ... -append "churn 23552"`); the firmware gives the
 * allocator exactly N bytes (Cairn: cairn_init_region on the first N bytes
 * of a buffer; newlib: an _sbrk that refuses beyond N), runs the workload
 * and prints one ARENA line. scripts/arena.py bisects N.
 *
 * A probe passes when no allocation was refused and every block's contents
 * were intact whenever checked (before each free and at the end). Runs are
 * deterministic: fixed xorshift seeds, no timer, nothing depends on the
 * addresses the allocator returns.
 */
#ifndef CAIRN_ARENA_H
#define CAIRN_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* Scale: "large" on mps2-an386 (tens of KiB live), "small" on microbit
 * (a few KiB). mk/bench.mk sets BENCH_ARENA_SMALL per board. */
#ifndef BENCH_ARENA_SMALL
#error "BENCH_ARENA_SMALL must come from the build"
#endif

/* --- Allocator under test (arena_heap_cairn.c or arena_heap_newlib.c) ----- */

extern const char arena_allocator_name[];
/* Gives the allocator an arena of `bytes` bytes, before anything allocates.
 * 0 when it is ready, -1 when it refuses (the probe then fails). */
int arena_heap_init(size_t bytes);

/* --- Outcome (arena_main.c) ------------------------------------------------- */

enum arena_result {
    ARENA_PASS = 0,
    ARENA_REFUSED = 1, /* an allocation returned NULL */
    ARENA_NO_HEAP = 3, /* the allocator refused the arena itself */
    ARENA_CORRUPT = 4, /* a block's contents changed while it was live */
};

/* Prints the ARENA line and ends the run with `result` as exit status. */
void arena_finish(enum arena_result result) __attribute__((noreturn));

/* --- Allocation with the run's accounting (arena_blocks.c) ----------------- */

/* Bytes requested and not freed, their peak, and allocations made. */
extern size_t arena_requested_live, arena_requested_peak;
extern uint32_t arena_allocations;

/* malloc(size) when `alignment` is 0, else posix_memalign(.., alignment,
 * size). A refused request ends the run (ARENA_REFUSED). */
void *arena_allocate(size_t size, size_t alignment);
/* free(block) of a block of `size` requested bytes. */
void arena_release(void *block, size_t size);

/* --- Block contents ------------------------------------------------------------
 * Byte i of a block tagged `tag` holds a value of (tag, i) alone, so a copy
 * (an array that grows) keeps it and two live blocks never match by chance
 * (tags are distinct over 65536 allocations). */

/* A fresh tag per call. */
uint16_t arena_next_tag(void);
void arena_fill(uint8_t *bytes, size_t from, size_t to, uint16_t tag);
/* Ends the run (ARENA_CORRUPT) unless bytes[from, to) hold the pattern. */
void arena_expect(const uint8_t *bytes, size_t from, size_t to, uint16_t tag);

/* --- Tracked blocks: allocate filled, check, free checked -------------------- */

struct arena_block {
    uint8_t *bytes; /* NULL for an empty slot */
    uint16_t size;
    uint16_t tag;
};

/* One table shared by the workloads (one runs per firmware run), so the
 * microbit's RAM goes to the arena rather than to four tables. */
#if BENCH_ARENA_SMALL
enum { ARENA_TABLE_ENTRIES = 192 };
#else
enum { ARENA_TABLE_ENTRIES = 2304 };
#endif
extern struct arena_block arena_table[ARENA_TABLE_ENTRIES];

struct arena_block arena_block_new(size_t size, size_t alignment);
void arena_block_check(const struct arena_block *block);
/* Checks and frees the block; the slot becomes empty. Empty slots are skipped. */
void arena_block_free(struct arena_block *block);

/* --- Deterministic randomness: xorshift32 ------------------------------------- */

void arena_seed(uint32_t seed);
uint32_t arena_random(void);
/* Uniform in [low, high] (modulo bias is irrelevant here). */
uint32_t arena_between(uint32_t low, uint32_t high);

/* --- Workloads (arena_workloads.c, arena_swift_like.c) ----------------------- */

void arena_workload_churn(void);
void arena_workload_mixed(void);
void arena_workload_swift_like(void);
void arena_workload_phases(void);
/* The seed the running workload chose, for the ARENA line. */
extern uint32_t arena_workload_seed;

#endif
