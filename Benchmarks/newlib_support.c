/* What newlib's malloc (full or nano) needs in a firmware that does not
 * link Cairn: an _sbrk over a static array as large as Cairn's arena (or,
 * in the smallest-arena firmware, one that stops at a given limit), and
 * posix_memalign, which newlib does not have (the Embedded Swift runtime
 * calls it), as a thin layer over memalign.
 *
 * The board's _sbrk (Board/common/newlib_syscalls.c) refuses on purpose and
 * is a strong symbol; mk/bench.mk links a copy of that object with its
 * _sbrk made weak, so this one takes its place.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>

/* Built with BENCH_ARENA_BYTES (the smallest-arena firmware), the array is
 * the largest arena a probe can ask for and the break stops at
 * newlib_heap_limit, which the firmware sets from its command line. The
 * timing firmware is built without it and has no limit but the array. */
#ifdef BENCH_ARENA_BYTES
#define NEWLIB_HEAP_BYTES BENCH_ARENA_BYTES
size_t newlib_heap_limit = NEWLIB_HEAP_BYTES;
const size_t newlib_heap_capacity = NEWLIB_HEAP_BYTES;
#define NEWLIB_HEAP_LIMIT newlib_heap_limit
#else
#define NEWLIB_HEAP_BYTES CAIRN_HEAP_SIZE
#define NEWLIB_HEAP_LIMIT sizeof newlib_heap
#endif

/* Same section as Cairn's arena: not in flash, not zeroed, and inside the
 * board's RAM check. */
__attribute__((section(".cairn_heap"), aligned(8)))
static uint8_t newlib_heap[NEWLIB_HEAP_BYTES];
static size_t heap_top;
/* Highest break so far: the arena bytes newlib needed. */
size_t newlib_heap_high_water;

void *_sbrk(ptrdiff_t increment) {
    size_t room = increment < 0 ? heap_top : NEWLIB_HEAP_LIMIT - heap_top;
    size_t change = increment < 0 ? (size_t)-increment : (size_t)increment;
    if (change > room) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *previous = &newlib_heap[heap_top];
    heap_top = increment < 0 ? heap_top - change : heap_top + change;
    if (heap_top > newlib_heap_high_water) newlib_heap_high_water = heap_top;
    return previous;
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *block = memalign(alignment, size);
    if (block == NULL) return ENOMEM;
    *out = block;
    return 0;
}
