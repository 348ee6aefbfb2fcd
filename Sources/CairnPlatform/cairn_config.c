/* Cairn's build configuration, turned into data: the heap array (or the
 * linker symbols that bound the heap) and the slab geometry. Every value comes from a -D flag the Makefile sets from
 * `make HEAP_SIZE=... PAGE_SIZE=... LARGEST_CLASS=... SIZE_CLASSES=...`;
 * the library sources hold no tuning constants of their own.
 *
 * The console and fatal-stop functions are weak: a board (or a C firmware
 * linking libcairn.a) may define its own; the defaults use newlib's _write
 * and _exit, which every newlib firmware already provides.
 */
#if defined(__arm__) && !defined(__linux__)

#include <unistd.h>

#include "cairn_geometry.h"
#include "cairn_platform.h"

#ifndef CAIRN_HEAP_SIZE
#error "CAIRN_HEAP_SIZE (bytes of the heap array) must be set by the build"
#endif
/* Zero: chosen from HEAP_SIZE by the library (the rule is in cairn_geometry.h). */
#ifndef CAIRN_PAGE_SIZE
#define CAIRN_PAGE_SIZE 0
#endif
#ifndef CAIRN_LARGEST_CLASS
#define CAIRN_LARGEST_CLASS 0
#endif
/* The heap's regions, its first included (cairn_add_region adds the others). */
#ifndef CAIRN_MAX_REGIONS
#define CAIRN_MAX_REGIONS 4
#endif
_Static_assert(CAIRN_MAX_REGIONS >= 1, "MAX_REGIONS must be at least 1");

_Static_assert((CAIRN_PAGE_SIZE & (CAIRN_PAGE_SIZE - 1)) == 0, "PAGE_SIZE must be a power of two");
_Static_assert(CAIRN_PAGE_SIZE == 0 || (CAIRN_PAGE_SIZE >= CAIRN_MIN_PAGE_SIZE && CAIRN_PAGE_SIZE <= CAIRN_MAX_PAGE_SIZE),
               "PAGE_SIZE must be 64 ... 32768 (CAIRN_MIN_PAGE_SIZE ... CAIRN_MAX_PAGE_SIZE)");
_Static_assert(CAIRN_HEAP_SIZE >= 1024, "HEAP_SIZE must be at least 1 KiB");

#ifdef CAIRN_HEAP_BASE_SYMBOL
/* The heap from the firmware's memory map (make HEAP_BASE_SYMBOL=...): the
 * arena starts at a symbol of the firmware's linker script (CMSIS's
 * __HeapBase, newlib's end) and ends at another (HEAP_LIMIT_SYMBOL: CMSIS's
 * __HeapLimit, or any symbol the script puts below the stack), or
 * HEAP_SIZE bytes above the start where no limit symbol is named. No heap
 * array is compiled: the library adds no RAM of its own for the heap, and
 * the script's own heap region is used as it stands. The script must keep
 * that region clear of the stack and of .bss (where it puts `end`, above
 * .bss, it does). A limit at or below the base gives an empty region,
 * which the set-up refuses (every allocation then fails). */
extern uint8_t CAIRN_HEAP_BASE_SYMBOL[];
#ifdef CAIRN_HEAP_LIMIT_SYMBOL
extern uint8_t CAIRN_HEAP_LIMIT_SYMBOL[];
#endif

static size_t cairn_heap_bytes(void) {
#ifdef CAIRN_HEAP_LIMIT_SYMBOL
    uintptr_t base = (uintptr_t)CAIRN_HEAP_BASE_SYMBOL, limit = (uintptr_t)CAIRN_HEAP_LIMIT_SYMBOL;
    return limit > base ? (size_t)(limit - base) : 0;
#else
    return CAIRN_HEAP_SIZE;
#endif
}
#else
/* Zero-fill storage in a section of its own, named .bss.*: the compiler
 * makes a .bss.* section NOBITS, so the heap is never stored in flash, and
 * every standard linker script's `*(.bss .bss.*)` places it in RAM with no
 * edit. Cairn's own scripts (LinkerScripts/cairn-sections.ld) take this
 * file's .bss.* sections out of .bss, into .cairn_heap, which reset does not
 * zero (the allocator initialises what it uses): the heap array must stay
 * this file's only zero-initialised variable. The slab lays its tables out
 * first and aligns its first page itself, so the array needs no more than
 * the tables' alignment. */
__attribute__((section(".bss.cairn_heap"), aligned(16)))
static uint8_t cairn_heap_storage[CAIRN_HEAP_SIZE];
#endif

#ifdef CAIRN_SIZE_CLASSES
static const uint16_t cairn_size_classes[] = { CAIRN_SIZE_CLASSES };
#endif

void cairn_platform_heap_config(struct cairn_heap_config *out) {
#ifdef CAIRN_HEAP_BASE_SYMBOL
    out->storage = CAIRN_HEAP_BASE_SYMBOL;
    out->storage_size = cairn_heap_bytes();
#else
    out->storage = cairn_heap_storage;
    out->storage_size = sizeof cairn_heap_storage;
#endif
    out->page_size = CAIRN_PAGE_SIZE;
    out->largest_class = CAIRN_LARGEST_CLASS;
    out->max_regions = CAIRN_MAX_REGIONS;
#ifdef CAIRN_SIZE_CLASSES
    out->size_classes = cairn_size_classes;
    out->size_class_count = sizeof cairn_size_classes / sizeof cairn_size_classes[0];
#else
    out->size_classes = 0;
    out->size_class_count = 0;
#endif
}

/* The port's own _write, not newlib's write(): that wrapper keeps errno in
 * newlib's reentrancy structure and would link it (1 KiB) into every
 * firmware. */
int _write(int fd, const char *text, int length);

__attribute__((weak)) void cairn_platform_write(const char *text, size_t length) {
    (void)_write(1, text, (int)length);
}

/* No entropy by default: see cairn_platform.h. */
__attribute__((weak)) uint32_t cairn_platform_entropy(void) { return 0; }

__attribute__((weak, noreturn)) void cairn_platform_fatal(void) {
    _exit(70);
}

#endif
