/* Heap figures for the newlib builds (BENCH_NEWLIB_NANO for newlib-nano). */
#include <malloc.h>

#include "bench.h"

#ifdef BENCH_NEWLIB_NANO
const char bench_allocator_name[] = "newlib-nano";
#else
const char bench_allocator_name[] = "newlib";
#endif

extern size_t newlib_heap_high_water;

size_t bench_heap_peak_bytes(void) { return newlib_heap_high_water; }

size_t bench_heap_held_bytes(void) { return (size_t)mallinfo().uordblks; }

/* The hooks' cost is Cairn's alone: the run does not apply here. */
int bench_workload_hooks(void) { return 2; }
