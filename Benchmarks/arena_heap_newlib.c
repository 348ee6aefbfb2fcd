/* The smallest-arena firmware's newlib heap (full or nano, by
 * BENCH_NEWLIB_NANO): newlib_support.c's _sbrk, built with
 * BENCH_ARENA_BYTES, refuses to move the break beyond newlib_heap_limit. */
#include "arena.h"

#ifdef BENCH_NEWLIB_NANO
const char arena_allocator_name[] = "newlib-nano";
#else
const char arena_allocator_name[] = "newlib";
#endif

extern size_t newlib_heap_limit;
extern const size_t newlib_heap_capacity;

int arena_heap_init(size_t bytes) {
    if (bytes > newlib_heap_capacity) return -1;
    newlib_heap_limit = bytes;
    return 0;
}
