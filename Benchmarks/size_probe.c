/* The program whose flash is compared across allocators: the same main,
 * linked with no allocator use (BENCH_PROBE=0), with malloc and free
 * (1), or with everything an Embedded Swift and C firmware calls:
 * malloc, free, calloc, realloc and posix_memalign (2). volatile keeps
 * every call. */
#include <stdlib.h>

#include "board.h"

volatile size_t probe_bytes = 24;
void *volatile probe_sink;

int main(void) {
#if BENCH_PROBE >= 1
    void *block = malloc(probe_bytes);
    probe_sink = block;
    free(block);
#endif
#if BENCH_PROBE >= 2
    void *more = calloc(2, probe_bytes);
    more = realloc(more, probe_bytes * 4);
    probe_sink = more;
    free(more);
    void *aligned = NULL;
    if (posix_memalign(&aligned, 16, probe_bytes) == 0) probe_sink = aligned;
    free(aligned);
#endif
    board_puts("size probe\n");
    return 0;
}
