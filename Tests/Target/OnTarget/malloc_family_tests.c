// The malloc family as C firmware uses it: through Cairn's real hooks and
// the firmware's one heap, each C rule checked on the target (errno and
// out-parameters included). Rules that only a slab heap keeps (reuse after
// free, the size of an older block) are skipped for ALLOCATOR=bump.
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "block_pattern.h"
#include "c_suites.h"
#include "harness.h"
#include "test_profile.h"

// These tests pass impossible sizes and look at blocks after free and
// after a failed realloc on purpose: GCC's warnings about that are moot.
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#pragma GCC diagnostic ignored "-Wuse-after-free"

#define SENTINEL ((void *)0xDEADBEE0u)

static bool aligned_to(const void *p, uintptr_t alignment) {
    return ((uintptr_t)p & (alignment - 1)) == 0;
}

static void malloc_aligns_to_eight(void) {
    void *blocks[8];
    for (size_t i = 0; i < 8; i++) {
        blocks[i] = malloc(1 + i * 5);
        ontarget_check_value(blocks[i] != NULL && aligned_to(blocks[i], 8), "malloc aligns every block to 8",
                             "misaligned or NULL", (uint32_t)(uintptr_t)blocks[i]);
    }
    for (size_t i = 0; i < 8; i++) free(blocks[i]);
}

static void posix_memalign_follows_the_rules(void) {
    // EINVAL: not a power of two, or smaller than a pointer; out untouched.
    static const size_t bad_alignments[] = {0, 1, 2, 3, 12, 24, 0x80000001u};
    for (size_t i = 0; i < sizeof bad_alignments / sizeof bad_alignments[0]; i++) {
        void *out = SENTINEL;
        int result = posix_memalign(&out, bad_alignments[i], 16);
        ontarget_check_value(result == EINVAL, "posix_memalign rejects a bad alignment with EINVAL",
                             "wrong result for alignment", (uint32_t)bad_alignments[i]);
        ontarget_check_value(out == SENTINEL, "posix_memalign failure leaves *out untouched",
                             "*out written for alignment", (uint32_t)bad_alignments[i]);
    }
    // ENOMEM: sizes no heap can hold; out untouched.
    static const size_t huge_sizes[] = {SIZE_MAX, SIZE_MAX - 3, SIZE_MAX / 2 + 1, CAIRN_HEAP_SIZE + 1};
    for (size_t i = 0; i < sizeof huge_sizes / sizeof huge_sizes[0]; i++) {
        void *out = SENTINEL;
        int result = posix_memalign(&out, 8, huge_sizes[i]);
        ontarget_check_value(result == ENOMEM && out == SENTINEL,
                             "posix_memalign gives ENOMEM for huge sizes, *out untouched", "failed for size",
                             (uint32_t)huge_sizes[i]);
    }
    // Every power of two from a pointer to 4 KiB, or to a quarter of the heap
    // where that is less (the micro:bit's 8 KiB): a block of just over its
    // alignment may need twice its size of free pages to find an aligned start.
    for (size_t alignment = sizeof(void *); alignment <= 4096 && alignment * 4 <= CAIRN_HEAP_SIZE; alignment <<= 1) {
        void *out = SENTINEL;
        int result = posix_memalign(&out, alignment, alignment + 3);
        bool ok = result == 0 && out != SENTINEL && out != NULL && aligned_to(out, alignment);
        ontarget_check_value(ok, "posix_memalign honours every alignment", "failed for alignment",
                             (uint32_t)alignment);
        if (ok) {
            ontarget_check_value(malloc_usable_size(out) >= alignment + 3,
                                 "posix_memalign block holds its size", "usable size too small",
                                 (uint32_t)malloc_usable_size(out));
            free(out);
        }
    }
}

static void aligned_alloc_and_memalign_follow_the_rules(void) {
    void *p = aligned_alloc(64, 100);
    ontarget_check(p != NULL && aligned_to(p, 64), "aligned_alloc(64, 100) is aligned", "misaligned or NULL");
    free(p);
    errno = 0;
    p = aligned_alloc(3, 16);
    ontarget_check(p == NULL && errno == EINVAL, "aligned_alloc rejects alignment 3 with EINVAL",
                   "not NULL with EINVAL");
    errno = 0;
    p = aligned_alloc(8, SIZE_MAX);
    ontarget_check(p == NULL && errno == ENOMEM, "aligned_alloc gives ENOMEM for SIZE_MAX", "not NULL with ENOMEM");
    // memalign raises alignments below a pointer to a pointer.
    p = memalign(1, 10);
    ontarget_check(p != NULL && aligned_to(p, sizeof(void *)), "memalign(1, 10) is pointer aligned",
                   "misaligned or NULL");
    free(p);
    p = memalign(256, 300);
    ontarget_check(p != NULL && aligned_to(p, 256), "memalign(256, 300) is aligned", "misaligned or NULL");
    free(p);
}

static void calloc_zeroes_and_checks_overflow(void) {
    // Dirty a block first, so that calloc must really zero reused memory.
    uint8_t *dirty = malloc(96);
    if (dirty != NULL) ontarget_fill(dirty, 96, 30);
    free(dirty);
    uint8_t *zeroed = calloc(24, 4);
    ontarget_check(zeroed != NULL, "calloc(24, 4) gives a block", "NULL");
    size_t non_zero = 0;
    for (size_t i = 0; zeroed != NULL && i < 96; i++) non_zero += zeroed[i] != 0;
    ontarget_check_value(non_zero == 0, "calloc zeroes reused memory", "non-zero bytes", (uint32_t)non_zero);
    free(zeroed);

    errno = 0;
    void *p = calloc(65536, 65536);
    ontarget_check(p == NULL && errno == ENOMEM, "calloc(65536, 65536) overflows to NULL with ENOMEM",
                   "not NULL with ENOMEM");
    errno = 0;
    p = calloc(SIZE_MAX, 2);
    ontarget_check(p == NULL && errno == ENOMEM, "calloc(SIZE_MAX, 2) overflows to NULL with ENOMEM",
                   "not NULL with ENOMEM");
}

static void realloc_follows_the_rules(bool bump) {
    char *p = realloc(NULL, 40);
    ontarget_check(p != NULL && aligned_to(p, 8), "realloc(NULL, n) is malloc(n)", "NULL or misaligned");
    if (p == NULL) return;
    ontarget_fill(p, 40, 31);
    char *grown = realloc(p, 1000);
    ontarget_check(grown != NULL, "realloc grows a block", "NULL");
    if (grown == NULL) {
        free(p);
        return;
    }
    ontarget_check(ontarget_first_changed_byte(grown, 40, 31) == 40, "realloc keeps the contents", "a byte changed");
    ontarget_fill(grown, 1000, 32);

    // A failed realloc keeps the old block, live and unchanged.
    errno = 0;
    char *failed = realloc(grown, SIZE_MAX - 8);
    ontarget_check(failed == NULL && errno == ENOMEM, "realloc to a huge size fails with ENOMEM",
                   "not NULL with ENOMEM");
    ontarget_check(ontarget_first_changed_byte(grown, 1000, 32) == 1000, "failed realloc keeps the old contents",
                   "a byte changed");
    ontarget_check_value(malloc_usable_size(grown) >= 1000, "failed realloc keeps the old block live",
                         "usable size", (uint32_t)malloc_usable_size(grown));

    // realloc(p, 0): Cairn keeps p as a unique minimum-size block and
    // returns it, so that NULL always means failure (see CHeap.realloc).
    char *shrunk = realloc(grown, 0);
    ontarget_check(shrunk != NULL, "realloc(p, 0) returns a block, not NULL", "NULL");
    if (!bump) ontarget_check(shrunk == grown, "realloc(p, 0) keeps p", "returned another block");
    free(shrunk != NULL ? shrunk : grown);
}

static void malloc_zero_is_unique_and_freeable(void) {
    void *a = malloc(0);
    void *b = malloc(0);
    ontarget_check(a != NULL && b != NULL && a != b, "malloc(0) gives unique blocks", "NULL or the same block");
    free(b);
    // A zero-size block is a live block like any other: realloc grows it.
    void *grown = realloc(a, 100);
    ontarget_check(grown != NULL, "realloc grows a malloc(0) block", "NULL");
    free(grown != NULL ? grown : a);
    free(NULL);  // must do nothing
}

static void malloc_usable_size_covers_the_request(bool bump) {
    ontarget_check(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) is 0", "non-zero");
    static const size_t sizes[] = {1, 8, 13, 100, 511, 512, 513, 1025, 3000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *p = malloc(sizes[i]);
        // A bump heap knows the size of its newest block only: checked at once.
        size_t usable = malloc_usable_size(p);
        ontarget_check_value(p != NULL && usable >= sizes[i], "malloc_usable_size covers the request",
                             "too small for size", (uint32_t)sizes[i]);
        free(p);
        if (!bump && p != NULL) {
            ontarget_check_value(malloc_usable_size(p) == 0, "malloc_usable_size of a freed block is 0",
                                 "non-zero for size", (uint32_t)sizes[i]);
        }
    }
}

void ontarget_run_malloc_family_tests(void) {
    struct ontarget_profile profile;
    ontarget_get_profile(&profile);
    malloc_aligns_to_eight();
    posix_memalign_follows_the_rules();
    aligned_alloc_and_memalign_follow_the_rules();
    calloc_zeroes_and_checks_overflow();
    realloc_follows_the_rules(profile.global_heap_is_bump);
    malloc_zero_is_unique_and_freeable();
    malloc_usable_size_covers_the_request(profile.global_heap_is_bump);
}
