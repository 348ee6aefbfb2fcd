/* The benchmark harness: one firmware per allocator, built from the same
 * workload sources; the run's semihosting command line picks the workload.
 *
 * Measured quantity: instructions executed by one allocator call, from the
 * first instruction of the C entry point (malloc, free, ...) to its return,
 * inclusive. QEMU runs with `-icount shift=6`, so the virtual clock moves
 * 64 ns per instruction and SysTick (core clock) counts a fixed number of
 * ticks per instruction: 1.6 on mps2-an386 (25 MHz), 1.024 on microbit
 * (16 MHz). See bench_clock.c.
 */
#ifndef CAIRN_BENCH_H
#define CAIRN_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* --- Clock (bench_clock.c, bench_timer.S) --------------------------------- */

/* Starts SysTick free-running from the core clock (RELOAD 0xFFFFFF, no
 * interrupt) and calibrates the harness's own cost. */
void bench_clock_init(void);

/* Calls fn(a0, a1, a2) between two sets of counter reads; returns its r0. */
void *bench_time_call(const void *fn, uintptr_t a0, uintptr_t a1, uintptr_t a2);

/* Instructions the callee of the last bench_time_call executed (entry to
 * return inclusive): the harness's calibrated cost is taken off. */
uint32_t bench_callee_instructions(void);

/* Times fn(a0) over any length below 2^24 counter ticks (10.4 million
 * instructions on mps2); returns 0 and the callee's instructions, or -1
 * when the counter wrapped and the figure would be wrong. */
int bench_time_long(const void *fn, uintptr_t a0, uint32_t *instructions);

/* The calibration callees (bench_timer.S). */
void bench_null_call(void);
void bench_known_loop(uint32_t iterations); /* 2n + 1 instructions */

/* Counter self-test: known loops measured exactly (mps2) or within 2%
 * (every board). Prints a line per loop; returns the number of failures. */
int bench_clock_self_test(void);

/* --- Series of timed calls ------------------------------------------------- */

struct bench_series {
    uint32_t ops;
    uint32_t failures;
    uint64_t total;      /* instructions */
    uint32_t worst;
    uint32_t warm_worst; /* worst once bench_warm is set (after round 0) */
};

/* Set by a workload once its first (cold) round is over. */
extern int bench_warm;

void bench_series_add(struct bench_series *series, uint32_t instructions);

/* The series every workload fills; printed by bench_main.c. */
extern struct bench_series bench_allocs, bench_frees, bench_reallocs;

/* --- Memory accounting ----------------------------------------------------- */

/* Bytes the workload has requested and not freed, and the peak. */
void bench_note_alloc(size_t bytes);
void bench_note_free(size_t bytes);
/* Records per-block overhead now: (bytes the allocator holds for live
 * blocks - bytes requested) / live blocks. Call at the workload's most
 * crowded moment. */
void bench_checkpoint(uint32_t live_blocks);

/* --- Timed allocator calls (bench_main.c) ---------------------------------- */

void *bench_malloc(size_t bytes);
void bench_free(void *block, size_t bytes);
void *bench_realloc(void *block, size_t old_bytes, size_t bytes);

/* --- Per-allocator figures (bench_heap_cairn.c or bench_heap_newlib.c) ----- */

/* Name used in the results: cairn-slab, cairn-bump, newlib-nano, newlib. */
extern const char bench_allocator_name[];
/* Highest bytes of arena the allocator took so far: Cairn's peak_in_use,
 * newlib's _sbrk high-water mark. */
size_t bench_heap_peak_bytes(void);
/* Bytes the allocator holds for the live blocks (block sizes, headers and
 * padding): Cairn's `reserved`, newlib's mallinfo().uordblks. */
size_t bench_heap_held_bytes(void);

/* --- Workloads --------------------------------------------------------------- */

/* Each returns 0, or a non-zero code when the workload itself went wrong
 * (data corrupted), which is different from allocation failures. */
int bench_workload_pair(void);
int bench_workload_fifo(void);
int bench_workload_lifo(void);
int bench_workload_realloc_in_place(void);
int bench_workload_realloc_moving(void);
int bench_workload_churn(void);
int bench_workload_mixed_churn(void);
int bench_workload_bound(void);
int bench_workload_run_bound(void);
int bench_workload_swift(int total_only);
/* Adversarial workloads, one per entry point (worst_case.c, Cairn builds
 * only). */
int bench_workload_worst_malloc(void);
int bench_workload_worst_free(void);
int bench_workload_worst_memalign(void);
int bench_workload_worst_realloc(void);
int bench_workload_worst_calloc(void);
/* Cairn builds only (bench_hooks.c): the hooks' own cost. */
int bench_workload_hooks(void);

/* Extra figure a workload reports (moves for realloc, total for Swift). */
extern uint64_t bench_extra_value;
extern const char *bench_extra_name;
/* Further key=value figures for the RESULT line (at most 8 per run). */
void bench_report(const char *key, uint64_t value);

/* Lowest block address and highest block end (address + requested bytes)
 * the workload was given, over every allocation: the address range it
 * touched. 0 and 0 before the first. */
extern uintptr_t bench_touched_low, bench_touched_high;

/* Output without printf (newlib's stdio allocates its buffers). */
void bench_put(const char *text);
void bench_put_u64(uint64_t value);
void bench_put_field(const char *key, uint64_t value);

#endif
