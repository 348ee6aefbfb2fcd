/* A C firmware whose heap is the region its linker script sets aside, not
 * an array of Cairn's: libcairn.a built with HEAP_BASE_SYMBOL (and
 * HEAP_LIMIT_SYMBOL, or HEAP_SIZE bytes), linked with the generic script
 * and startup of Tests/Target/GenericLink, unedited. It checks that Cairn's
 * heap is that region: its capacity is the region's less Cairn's tables,
 * every block (printf's buffer, a fill of the whole heap with 1 KiB blocks)
 * lies inside it, and the fill reaches its top. Prints
 * "heap-symbols: N passed, N failed" and exits with the number of failures.
 *
 * Built with -DHEAP_BASE=<symbol> and -DHEAP_LIMIT=<symbol> or
 * -DHEAP_BYTES=<bytes>: the same bounds the library was given.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"

#define CHECK_FIRMWARE "heap-symbols"
#include "../Support/check.h"

extern char HEAP_BASE[];
#ifdef HEAP_LIMIT
extern char HEAP_LIMIT[];
#define REGION_END HEAP_LIMIT
#else
#define REGION_END (HEAP_BASE + HEAP_BYTES)
#endif
#define STRINGIFY(x) #x
#define NAME(x) STRINGIFY(x)

/* cortex-m4.ld's symbols: .bss, and the stack below _estack. */
extern char _sbss[], _ebss[], _estack[], _stack_size[];

/* Addresses as integers: the symbols mark bounds, not C objects. */
static uintptr_t region_base(void) { return (uintptr_t)HEAP_BASE; }
static uintptr_t region_limit(void) { return (uintptr_t)REGION_END; }

static int in_region(const void *pointer, size_t bytes) {
    uintptr_t p = (uintptr_t)pointer;
    return p >= region_base() && p + bytes <= region_limit();
}

static struct cairn_heap_stats heap_stats(void) {
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    return stats;
}

/* Room for the fill's pointers: a 4 MiB region holds about 4,000 blocks. */
enum { block_bytes = 1024, max_blocks = 4200 };
static void *blocks[max_blocks];

int main(void) {
    uintptr_t base = region_base(), limit = region_limit();
    size_t region = limit - base;
    /* Before the first printf, which allocates stdout's buffer. */
    struct cairn_heap_stats fresh = heap_stats();
    printf("heap-symbols: heap from %s (%p) to %p, %u bytes; .bss %p-%p\n", NAME(HEAP_BASE), (void *)base,
           (void *)limit, (unsigned)region, (const void *)_sbss, (const void *)_ebss);
    check(limit > base && base >= (uintptr_t)_ebss && limit <= (uintptr_t)_estack - (uintptr_t)_stack_size,
          "the region lies above .bss and below the stack");
    check(fresh.capacity <= region && fresh.capacity >= region - region / 16,
          "the heap's capacity is the region's, less at most 1/16 for Cairn's tables");
    check(fresh.in_use == 0, "the heap is set up before main, and empty");
    check(fresh.capacity > (size_t)(_ebss - _sbss), "the heap is bigger than the whole .bss (no array of Cairn's there)");

    fflush(stdout);
    const char *buffer = (const char *)stdout->_bf._base;
    check(buffer != NULL && in_region(buffer, 1), "printf's buffer lies in the region");
    struct cairn_heap_stats after_printf = heap_stats();
    check(after_printf.in_use > 0, "printf's buffer came from Cairn");

    /* Fill the heap: every block inside the region, the last ones near its
     * top, and most of the region handed out. */
    size_t count = 0, handed = 0;
    int inside = 1;
    uintptr_t highest = base;
    while (count < max_blocks) {
        char *block = malloc(block_bytes);
        if (block == NULL) break;
        inside &= in_region(block, block_bytes);
        memset(block, (int)count, block_bytes);
        if ((uintptr_t)block + block_bytes > highest) highest = (uintptr_t)block + block_bytes;
        blocks[count++] = block;
        handed += block_bytes;
    }
    printf("heap-symbols: %u blocks of %u bytes, the highest ending at %p\n", (unsigned)count, (unsigned)block_bytes,
           (void *)highest);
    check(count < max_blocks, "the fill ends in an out-of-memory answer");
    check(inside, "every block lies in the region");
    check(handed >= region - region / 8, "the fill hands out at least 7/8 of the region");
    check(highest >= limit - 2 * block_bytes - 1024, "the fill reaches the region's top");

    int kept = 1;
    for (size_t i = 0; i < count; i++) {
        const unsigned char *block = blocks[i];
        kept &= block[0] == (unsigned char)i && block[block_bytes - 1] == (unsigned char)i;
        free(blocks[i]);
    }
    check(kept, "every block keeps its contents");
    check(cairn_check_integrity() == 0, "the integrity check finds the heap intact");
    check(heap_stats().live_blocks == after_printf.live_blocks, "every block of the fill is back");

    return check_finish();
}
