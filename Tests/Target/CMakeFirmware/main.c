/* The firmware of CMakeLists.txt: C on Cairn through cairn::cairn. It
 * allocates with the C library's functions (its own malloc and free,
 * newlib's asprintf and printf), checks through cairn.h that Cairn served
 * them from a heap of the size the CMake cache asked for, prints Cairn's
 * report through newlib's malloc_stats, and prints
 * "cmake-firmware: N passed, N failed"; the exit status is the failures.
 */
#define _GNU_SOURCE /* asprintf */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"

#define CHECK_FIRMWARE "cmake-firmware"
#include "../Support/check.h"

static struct cairn_heap_stats heap_stats(void) {
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    return stats;
}

int main(void) {
    printf("cmake-firmware: built by CMake, linked with cairn::cairn\n");
    fflush(stdout);

    struct cairn_heap_stats before = heap_stats();
#ifdef EXPECTED_HEAP_SIZE
    /* The slab's pages take the heap but for its page table and the
     * alignment of the first page. */
    check(before.capacity <= EXPECTED_HEAP_SIZE && before.capacity >= EXPECTED_HEAP_SIZE / 2,
          "the heap is CAIRN_HEAP_SIZE bytes");
#endif
    check(before.in_use > 0, "printf's buffer came from Cairn");
    /* The slab counts live blocks; the bump allocator, which never reuses
     * memory, counts none, and only its in_use tells that it allocated. */
    int counts_blocks = before.live_blocks != 0;

    enum { count = 10 };
    char *lines[count];
    int formatted = 1;
    for (int i = 0; i < count; i++) {
        formatted &= asprintf(&lines[i], "line %d of %d", i + 1, count) > 0;
    }
    check(formatted && strcmp(lines[count - 1], "line 10 of 10") == 0, "asprintf (newlib) allocates and formats");
    struct cairn_heap_stats formatted_stats = heap_stats();
    check(counts_blocks ? formatted_stats.live_blocks == before.live_blocks + count
                        : formatted_stats.in_use > before.in_use,
          "asprintf's blocks came from Cairn");
    for (int i = 0; i < count; i++) free(lines[i]);

    void *big = malloc(3000);
    check(big != NULL && malloc_usable_size(big) >= 3000, "malloc of 3000 bytes");
    free(big);
    if (counts_blocks) check(heap_stats().live_blocks == before.live_blocks, "free returns every block");
    check(cairn_check_integrity() == 0, "the integrity check finds the heap intact");

    fflush(stdout);
    malloc_stats(); /* newlib's name, Cairn's report */
    return check_finish();
}
