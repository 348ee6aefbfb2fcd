/* A C-only firmware linked against libcairn.a, to prove the library stands
 * on its own: only the standard allocation functions and cairn.h, newlib-nano
 * for printf and strdup, and the library last on the link line. Its startup
 * and console are the board layer's, standing in for the firmware's own.
 * Prints "c-firmware: N passed, N failed" and exits with the number of
 * failures (the heap report finding the heap intact is one of the checks).
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"

#define CHECK_FIRMWARE "c-firmware"
#include "../Support/check.h"

/* The largest request the checks make: 700 bytes, or less on a small heap
 * (the micro:bit's is 7 KiB), so that every request can succeed. */
static size_t largest_request;

/* A pattern that differs from block to block (seed) and byte to byte. */
static void fill(unsigned char *block, size_t size, unsigned seed) {
    for (size_t i = 0; i < size; i++) block[i] = (unsigned char)(seed + i);
}

/* Every byte of `block` still holds the pattern `fill` wrote. */
static int holds(const unsigned char *block, size_t size, unsigned seed) {
    for (size_t i = 0; i < size; i++) {
        if (block[i] != (unsigned char)(seed + i)) return 0;
    }
    return 1;
}

/* Blocks of many sizes, all live at once, then freed in a different order. */
static void exercise_malloc_and_free(void) {
    enum { count = 24 };
    unsigned char *blocks[count];
    size_t sizes[count];
    for (int i = 0; i < count; i++) {
        sizes[i] = 1 + (size_t)i * 37 % largest_request;
        blocks[i] = malloc(sizes[i]);
        check(blocks[i] != NULL, "malloc");
        if (blocks[i] != NULL) fill(blocks[i], sizes[i], (unsigned)i);
    }
    for (int i = 0; i < count; i += 2) {
        check(blocks[i] == NULL || holds(blocks[i], sizes[i], (unsigned)i), "blocks keep their contents");
        free(blocks[i]);
    }
    for (int i = 1; i < count; i += 2) {
        check(blocks[i] == NULL || holds(blocks[i], sizes[i], (unsigned)i), "blocks keep their contents");
        free(blocks[i]);
    }
}

static int holds_zeroes(const unsigned char *block, size_t size) {
    for (size_t i = 0; i < size; i++) {
        if (block[i] != 0) return 0;
    }
    return 1;
}

static void exercise_calloc_realloc_and_alignment(void) {
    uint32_t *table = calloc(64, sizeof *table);
    check(table != NULL, "calloc");
    int zeroed = 1;
    for (int i = 0; table != NULL && i < 64; i++) zeroed &= table[i] == 0;
    check(zeroed, "calloc zeroes");

    size_t grown_size = 3 * largest_request;
    unsigned char *grown = realloc(table, grown_size);
    check(grown != NULL, "realloc");
    check(grown != NULL && holds_zeroes(grown, 64 * sizeof *table), "realloc keeps the contents");
    check(grown != NULL && malloc_usable_size(grown) >= grown_size, "malloc_usable_size after realloc");
    free(grown != NULL ? (void *)grown : (void *)table);

    void *aligned = NULL;
    check(posix_memalign(&aligned, 64, 100) == 0, "posix_memalign");
    check(((uintptr_t)aligned & 63) == 0, "posix_memalign alignment");
    free(aligned);

    void *page = aligned_alloc(256, 256);
    check(page != NULL && ((uintptr_t)page & 255) == 0, "aligned_alloc");
    free(page);
}

static struct cairn_heap_stats heap_stats(void) {
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    return stats;
}

int main(void) {
    /* Before anything allocates (printf will): cairn_init sets the heap up,
     * so that no allocation pays for it, and a second call changes nothing. */
    int first_init = cairn_init();
    struct cairn_heap_stats fresh = heap_stats();
    int second_init = cairn_init();
    printf("c-firmware: C on libcairn.a (printf and strdup from newlib-nano)\n");
    check(first_init == 0 && second_init == 0, "cairn_init returns 0");
    check(fresh.capacity > 0 && fresh.in_use == 0, "cairn_init configures the heap before any allocation");
    /* newlib's stdio has made its allocations (stream structures, stdout's
     * buffer) by now and keeps them: they are the baseline for the leak
     * check. The bump allocator counts no blocks (it never reuses memory),
     * so it reports 0 here and has no leak check. */
    struct cairn_heap_stats before = heap_stats();
    largest_request = before.capacity / 32;
    if (largest_request > 700) largest_request = 700;

    exercise_malloc_and_free();
    exercise_calloc_realloc_and_alignment();
    char *name = strdup("libcairn");
    check(name != NULL && strcmp(name, "libcairn") == 0, "strdup");
    free(name);

    if (before.live_blocks != 0) {
        check(heap_stats().live_blocks == before.live_blocks, "every block freed (but newlib's)");
    }
    check(cairn_check_integrity() == 0, "integrity check");
    fflush(stdout);
    check(cairn_print_report() == 0, "heap report finds the heap intact");

    return check_finish();
}
