/* What newlib's malloc (full or nano) needs in a firmware that does not
 * link Cairn: an _sbrk over a static array as large as Cairn's arena, and
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

/* Same section as Cairn's arena: not in flash, not zeroed, and inside the
 * board's RAM check. */
__attribute__((section(".cairn_heap"), aligned(8)))
static uint8_t newlib_heap[CAIRN_HEAP_SIZE];
static size_t heap_top;
/* Highest break so far: the arena bytes newlib needed. */
size_t newlib_heap_high_water;

void *_sbrk(ptrdiff_t increment) {
    size_t room = increment < 0 ? heap_top : sizeof newlib_heap - heap_top;
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
