/* The smallest-arena firmware's Cairn heap: the first N bytes of a static
 * buffer, through cairn_init_region, so Cairn's metadata (class records,
 * span bins, size lookup, page table) is counted inside the N bytes, and
 * Cairn picks its geometry for N bytes as for a heap of that size. The
 * heap the constructor set up over the build's own array (shrunk to the
 * least Cairn accepts by mk/bench.mk) is replaced before anything
 * allocates.
 *
 * The buffer is aligned to the largest page Cairn picks for any region it
 * can give (the rule grows with the size), or to the build's PAGE_SIZE:
 * the bytes lost aligning the first page then depend on Cairn's own
 * layout, not on where the linker puts the buffer, so a result does not
 * move by a step when unrelated static data grows by a word.
 */
#include "arena.h"
#include "cairn.h"
#include "cairn_geometry.h"

#ifdef CAIRN_PAGE_SIZE
#define ARENA_ALIGN CAIRN_PAGE_SIZE
#else
#define ARENA_ALIGN CAIRN_PAGE_SIZE_FOR_HEAP(BENCH_ARENA_BYTES)
#endif

const char arena_allocator_name[] = "cairn-slab";

/* Not in flash, not zeroed, inside the board's RAM check. */
__attribute__((section(".cairn_heap"), aligned(ARENA_ALIGN)))
static uint8_t arena[BENCH_ARENA_BYTES];

int arena_heap_init(size_t bytes) {
    if (bytes > sizeof arena) return -1;
    return cairn_init_region(arena, bytes);
}
