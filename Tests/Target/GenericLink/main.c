/* A C firmware with a generic linker script (cortex-m4.ld) and startup
 * (startup.c), linked with libcairn.a the way README.md tells a C firmware
 * to link it: no -u flag, no edit to the script. It allocates, frees and
 * prints, and checks that Cairn served every request (its statistics count
 * the blocks, the blocks lie in .bss where the script put Cairn's heap
 * array) rather than newlib's allocator (whose blocks would lie above .bss,
 * from _sbrk). Prints "generic-link: N passed, N failed" and exits with the
 * number of failures.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"

#define CHECK_FIRMWARE "generic-link"
#include "../Support/check.h"

/* cortex-m4.ld's bounds of .bss. */
extern char _sbss[], _ebss[];

static int in_bss(const void *pointer) {
    return (const char *)pointer >= _sbss && (const char *)pointer < _ebss;
}

static struct cairn_heap_stats heap_stats(void) {
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    return stats;
}

int main(void) {
    /* The heap was set up by Cairn's constructor, which the startup ran
     * after zeroing .bss: nothing has allocated yet. */
    struct cairn_heap_stats fresh = heap_stats();
    check(fresh.capacity > 0 && fresh.in_use == 0, "Cairn's heap is set up before main, and empty");
    check(fresh.capacity <= (size_t)(_ebss - _sbss), "the heap array fits in .bss");

    printf("generic-link: a generic linker script and startup, libcairn.a, no -u\n");
    fflush(stdout);
    /* newlib's stdio has allocated stdout's buffer by now. */
    struct cairn_heap_stats after_printf = heap_stats();
    check(after_printf.in_use > 0, "printf's buffer came from Cairn (its statistics count it)");
    /* The slab counts live blocks; the bump allocator, which never reuses
     * memory, counts none: the checks of the count are the slab's. */
    int counts_blocks = after_printf.live_blocks != 0;
    check(stdout->_bf._base != NULL && in_bss(stdout->_bf._base), "printf's buffer lies in Cairn's heap array, in .bss");

    enum { count = 16 };
    unsigned char *blocks[count];
    for (int i = 0; i < count; i++) {
        size_t size = 8 + (size_t)i * 40;
        blocks[i] = malloc(size);
        if (blocks[i] != NULL) memset(blocks[i], i, size);
    }
    int all_allocated = 1, all_in_bss = 1;
    for (int i = 0; i < count; i++) {
        all_allocated &= blocks[i] != NULL;
        all_in_bss &= in_bss(blocks[i]);
    }
    check(all_allocated, "malloc of 16 blocks from 8 to 608 bytes");
    check(all_in_bss, "malloc's blocks lie in Cairn's heap array, in .bss");
    if (counts_blocks) check(heap_stats().live_blocks == after_printf.live_blocks + count, "Cairn counts the 16 blocks");
    int kept = 1;
    for (int i = 0; i < count; i++) {
        for (size_t j = 0; blocks[i] != NULL && j < 8 + (size_t)i * 40; j++) kept &= blocks[i][j] == i;
    }
    check(kept, "every block keeps its contents");
    for (int i = 0; i < count; i++) free(blocks[i]);
    if (counts_blocks) check(heap_stats().live_blocks == after_printf.live_blocks, "free returns the 16 blocks to Cairn");

    uint32_t *table = calloc(32, sizeof *table);
    int zeroed = table != NULL;
    for (int i = 0; table != NULL && i < 32; i++) zeroed &= table[i] == 0;
    check(zeroed, "calloc zeroes");
    uint32_t *grown = table != NULL ? realloc(table, 4096) : NULL;
    check(grown != NULL && grown[31] == 0 && malloc_usable_size(grown) >= 4096, "realloc grows and keeps the contents");
    free(grown != NULL ? grown : table);

    char *name = strdup("cairn");
    check(name != NULL && in_bss(name) && strcmp(name, "cairn") == 0, "newlib's strdup allocates from Cairn");
    free(name);

    if (counts_blocks) check(heap_stats().live_blocks == after_printf.live_blocks, "every block freed but printf's buffer");
    check(cairn_check_integrity() == 0, "the integrity check finds the heap intact");

    return check_finish();
}
