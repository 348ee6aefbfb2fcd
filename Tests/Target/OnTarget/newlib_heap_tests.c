// newlib's own allocations land in Cairn's heap. Each check fails if
// newlib's malloc were linked instead of Cairn's _malloc_r family: that
// malloc would get no memory (_sbrk always fails on these boards), so
// strdup would return NULL and stdio would fall back to a one-byte
// buffer inside the FILE, outside Cairn's arena.
#define _GNU_SOURCE  // asprintf
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_suites.h"
#include "cairn.h"
#include "harness.h"

// The arena's bounds, from the linker script (cairn-sections.ld).
extern uint8_t __cairn_heap_start[];
extern uint8_t __cairn_heap_end[];

static bool in_cairn_heap(const void *p) {
    return (uintptr_t)p >= (uintptr_t)__cairn_heap_start && (uintptr_t)p < (uintptr_t)__cairn_heap_end;
}

static void strdup_allocates_from_cairn(void) {
    static const char text[] = "a string newlib copies";
    char *copy = strdup(text);
    ontarget_check_value(copy != NULL && in_cairn_heap(copy), "strdup allocates in Cairn's heap",
                         "pointer outside the arena", (uint32_t)(uintptr_t)copy);
    if (copy == NULL) return;
    ontarget_check_value(malloc_usable_size(copy) >= sizeof text, "strdup's block is a Cairn block",
                         "usable size", (uint32_t)malloc_usable_size(copy));
    ontarget_check(strcmp(copy, text) == 0, "strdup copies the text", "the copy differs");
    free(copy);
}

static void asprintf_allocates_from_cairn(void) {
    char *text = NULL;
    int length = asprintf(&text, "%s %d", "cairn", 42);
    ontarget_check(length == 8 && text != NULL && in_cairn_heap(text) && strcmp(text, "cairn 42") == 0,
                   "asprintf allocates in Cairn's heap", "wrong text or pointer outside the arena");
    free(text);
}

// stdout gets its buffer (BUFSIZ bytes) from _malloc_r on first use. The
// harness writes to the UART directly, so nothing has used stdout before.
static void printf_buffer_comes_from_cairn(void) {
    struct cairn_heap_stats before, after;
    cairn_get_stats(&before);
    ontarget_check(stdout->_bf._base == NULL, "stdout is unused before the first printf",
                   "stdout already has a buffer");
    printf("  newlib printf: %d + %d = %d\n", 3, 4, 7);
    fflush(stdout);
    cairn_get_stats(&after);
    const uint8_t *buffer = stdout->_bf._base;
    size_t size = (size_t)stdout->_bf._size;
    ontarget_check_value(in_cairn_heap(buffer), "printf's stdio buffer is in Cairn's heap",
                         "buffer outside the arena", (uint32_t)(uintptr_t)buffer);
    ontarget_check_value(size > 1 && malloc_usable_size((void *)buffer) >= size,
                         "printf's stdio buffer is a live Cairn block", "buffer size", (uint32_t)size);
    ontarget_check_value(after.reserved >= before.reserved + size, "printf's buffer shows in the heap statistics",
                         "bytes reserved grew by", (uint32_t)(after.reserved - before.reserved));
}

void ontarget_run_newlib_heap_tests(void) {
    strdup_allocates_from_cairn();
    asprintf_allocates_from_cairn();
    printf_buffer_comes_from_cairn();
}
