// Throw-away allocator for the smoke firmware only: hands out memory from
// the .cairn_heap arena in order and never reuses it. It exists so the
// board layer can be tested before Cairn's real allocator lands.
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "smoke.h"

static uint8_t arena[CAIRN_HEAP_SIZE] __attribute__((section(".cairn_heap"), aligned(8)));
static size_t arena_used;
static uint32_t allocations, frees;

int posix_memalign(void **result, size_t alignment, size_t size) {
    // POSIX: a power of two and a multiple of sizeof(void *).
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    uintptr_t start = ((uintptr_t)arena + arena_used + alignment - 1) & ~(uintptr_t)(alignment - 1);
    size_t offset = start - (uintptr_t)arena;
    // Compare before adding, so a huge size cannot wrap around.
    if (offset > sizeof arena || size > sizeof arena - offset) {
        return ENOMEM;
    }
    arena_used = offset + size;
    allocations++;
    *result = (void *)start;
    return 0;
}

void *malloc(size_t size) {
    void *p;
    return posix_memalign(&p, 8, size) == 0 ? p : NULL;
}

void free(void *p) {
    if (p != NULL) {
        frees++;
    }
}

uint32_t smoke_allocation_count(void) { return allocations; }
uint32_t smoke_free_count(void) { return frees; }
