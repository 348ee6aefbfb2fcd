/* Cairn's build configuration, turned into data: the heap array and the
 * slab geometry. Every value comes from a -D flag the Makefile sets from
 * `make HEAP_SIZE=... PAGE_SIZE=... LARGEST_CLASS=... SIZE_CLASSES=...`;
 * the library sources hold no tuning constants of their own.
 *
 * The console and fatal-stop functions are weak: a board (or a C firmware
 * linking libcairn.a) may define its own; the defaults use newlib's _write
 * and _exit, which every newlib firmware already provides.
 */
#if defined(__arm__) && !defined(__linux__)

#include <unistd.h>

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

_Static_assert((CAIRN_PAGE_SIZE & (CAIRN_PAGE_SIZE - 1)) == 0, "PAGE_SIZE must be a power of two");
_Static_assert(CAIRN_PAGE_SIZE == 0 || (CAIRN_PAGE_SIZE >= 64 && CAIRN_PAGE_SIZE <= 32768),
               "PAGE_SIZE must be 64 ... 32768");
_Static_assert(CAIRN_HEAP_SIZE >= 1024, "HEAP_SIZE must be at least 1 KiB");

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

#ifdef CAIRN_SIZE_CLASSES
static const uint16_t cairn_size_classes[] = { CAIRN_SIZE_CLASSES };
#endif

void cairn_platform_heap_config(struct cairn_heap_config *out) {
    out->storage = cairn_heap_storage;
    out->storage_size = sizeof cairn_heap_storage;
    out->page_size = CAIRN_PAGE_SIZE;
    out->largest_class = CAIRN_LARGEST_CLASS;
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
