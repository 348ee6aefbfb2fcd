/* The smallest firmware that calls the allocation functions, for `make
 * size`: linked with libcairn.a it shows what Cairn adds to a firmware,
 * linked with newlib-nano's allocator it is the baseline. It is built, not
 * run.
 *
 *   -DSIZE_PROBE_REPORT  also calls the heap report and the integrity check
 *   -DSIZE_PROBE_NEWLIB  for the newlib-nano baseline, which has no
 *                        posix_memalign (Embedded Swift's allocation call)
 */
#include <malloc.h>
#include <stdlib.h>

#ifdef SIZE_PROBE_REPORT
#include "cairn.h"
#endif

#ifdef SIZE_PROBE_NEWLIB
/* What a newlib-nano firmware would write for Embedded Swift. */
int posix_memalign(void **out, size_t alignment, size_t size) {
    *out = memalign(alignment, size);
    return *out == NULL ? 12 /* ENOMEM */ : 0;
}
#endif

/* Volatile, so the compiler can neither fold the requests nor drop a
 * malloc whose block is never used. */
volatile size_t request = 24;
void *volatile sink;

int main(void) {
    void *block = malloc(request);
    void *table = calloc(request, 4);
    block = realloc(block, 3 * request);
    void *aligned = NULL;
    int status = posix_memalign(&aligned, 32, request);
    sink = block;
    sink = table;
    sink = aligned;
    free(block);
    free(table);
    free(aligned);
#ifdef SIZE_PROBE_REPORT
    status |= cairn_check_integrity();
    status |= cairn_print_report();
#endif
    return status;
}
