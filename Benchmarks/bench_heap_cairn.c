/* Heap figures for the Cairn builds (slab or bump, through the C hooks). */
#include "bench.h"
#include "cairn.h"

#ifdef BENCH_CAIRN_BUMP
const char bench_allocator_name[] = "cairn-bump";
#else
const char bench_allocator_name[] = "cairn-slab";
#endif

size_t bench_heap_peak_bytes(void) {
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    return stats.peak_in_use;
}

size_t bench_heap_held_bytes(void) {
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    return stats.reserved;
}
