/* A heap of two regions on mps2-an386: the build's heap array (SSRAM2,
 * 0x20000000) and 16 KiB of another memory bank the board has (PSRAM at
 * 0x21000000), added with cairn_add_region. It fills both, checks each
 * region's statistics and the total, has posix_memalign, calloc,
 * aligned_alloc and realloc served by the second region when the first
 * is full, frees across them, and (release build) has a pointer outside
 * both reported.
 * Prints "regions: N passed, N failed" (and the heap report, which
 * check-regions.sh reads) and exits with the number of failures.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"

#define CHECK_FIRMWARE "regions"
#include "../Support/check.h"
#include "../Support/launder.h"

#define SECOND_BASE ((uintptr_t)0x21000000u)
#define SECOND_BYTES ((size_t)16384)

static int in_second(const void *block) {
    return (uintptr_t)block >= SECOND_BASE && (uintptr_t)block < SECOND_BASE + SECOND_BYTES;
}

static struct cairn_heap_stats region_stats(size_t index) {
    struct cairn_heap_stats stats = {0};
    if (cairn_get_region_stats(index, &stats) != 0) stats.capacity = (size_t)-1;
    return stats;
}

static struct cairn_heap_stats total_stats(void) {
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    return stats;
}

enum { max_blocks = 4000 };
static unsigned char *blocks[max_blocks];
static size_t sizes[max_blocks];
static const size_t pattern[] = {8, 24, 200, 40, 1000, 12, 96, 520};

int main(void) {
    printf("regions: a heap array and %u bytes at %p\n", (unsigned)SECOND_BYTES, launder_address(SECOND_BASE));
    fflush(stdout);
    unsigned char *probe = malloc(16);
    check(probe != NULL && !in_second(probe), "the first region serves before any is added");
    check(cairn_region_count() == 1, "one region to start with");

    /* Refused: NULL, too small, overlapping the first region. */
    check(cairn_add_region(NULL, SECOND_BYTES) == -1, "a NULL region is refused");
    check(cairn_add_region(launder_address(SECOND_BASE), 16) == -1, "a region too small for its tables is refused");
    check(cairn_add_region(probe, 4096) == -1, "a region overlapping the first is refused");
    check(cairn_region_count() == 1, "refused regions are not counted");
    free(probe);

    check(cairn_add_region(launder_address(SECOND_BASE), SECOND_BYTES) == 0, "the second bank is added");
    check(cairn_region_count() == 2, "two regions");
    check(cairn_add_region(launder_address(SECOND_BASE + SECOND_BYTES / 2), SECOND_BYTES) == -1,
          "a region overlapping the second is refused");
    struct cairn_heap_stats first0 = region_stats(0), second0 = region_stats(1), total0 = total_stats();
    check(second0.capacity > SECOND_BYTES / 2 && second0.capacity < SECOND_BYTES && second0.live_blocks == 0,
          "the second region's figures: its capacity, nothing live");
    check(total0.capacity == first0.capacity + second0.capacity, "the total capacity is the regions' sum");
    check(region_stats(2).capacity == (size_t)-1, "there is no third region");

    /* Fill both. */
    size_t count = 0, in_first = 0, in_second_count = 0;
    int contents_set = 1;
    while (count < max_blocks) {
        size_t size = pattern[count % (sizeof pattern / sizeof pattern[0])];
        unsigned char *block = malloc(size);
        if (block == NULL) break;
        memset(block, (int)count, size);
        blocks[count] = block;
        sizes[count] = size;
        if (in_second(block)) in_second_count++; else in_first++;
        count++;
    }
    printf("regions: %u blocks, %u in the first region, %u in the second\n", (unsigned)count, (unsigned)in_first,
           (unsigned)in_second_count);
    check(count < max_blocks, "the fill ends in an out-of-memory answer");
    check(in_first > 0 && in_second_count > 0, "both regions serve blocks");
    struct cairn_heap_stats first1 = region_stats(0), second1 = region_stats(1), total1 = total_stats();
    check(first1.live_blocks == first0.live_blocks + in_first, "the first region counts its blocks");
    check(second1.live_blocks == in_second_count, "the second region counts its blocks");
    check(second1.in_use >= second1.capacity / 2, "the second region is filled");
    check(total1.live_blocks == first1.live_blocks + second1.live_blocks &&
              total1.in_use == first1.in_use + second1.in_use && total1.reserved == first1.reserved + second1.reserved,
          "the total is the regions' sum");
    check(total1.out_of_memory == total0.out_of_memory + 1, "the total counts the one allocation both refused");
    check(second1.out_of_memory >= 1, "the second region counts what it refused");
    check(cairn_check_integrity() == 0, "both regions intact when full");

    /* Every allocating entry point reaches the second region once the
     * first has no byte left: both topped up with 8-byte blocks, then room
     * made in the second region only. */
    while (count < max_blocks) {
        unsigned char *block = malloc(8);
        if (block == NULL) break;
        memset(block, (int)count, 8);
        blocks[count] = block;
        sizes[count] = 8;
        if (in_second(block)) in_second_count++; else in_first++;
        count++;
    }
    check(count < max_blocks && malloc(1) == NULL, "both regions full to the last byte");
    size_t hole = max_blocks, small_first = max_blocks;
    for (size_t i = 0; i < count; i++) {
        if (in_second(blocks[i]) && (hole == max_blocks || sizes[i] > sizes[hole])) hole = i;
        if (!in_second(blocks[i]) && sizes[i] == 8) small_first = i;
    }
    check(hole != max_blocks && sizes[hole] >= 520 && small_first != max_blocks,
          "a large block in the second region, an 8-byte one in the first");
    if (hole != max_blocks && small_first != max_blocks) {
        for (size_t j = 0; j < sizes[hole]; j++) contents_set &= blocks[hole][j] == (unsigned char)hole;
        free(blocks[hole]);
        blocks[hole] = malloc(0); /* keeps the slot freeable; size 0 */
        sizes[hole] = 0;
        void *aligned = NULL;
        check(posix_memalign(&aligned, 16, 96) == 0 && in_second(aligned) && ((uintptr_t)aligned & 15) == 0,
              "posix_memalign is served by the second region");
        unsigned *zeroed = calloc(24, sizeof *zeroed);
        int all_zero = zeroed != NULL;
        for (size_t j = 0; zeroed != NULL && j < 24; j++) all_zero &= zeroed[j] == 0;
        check(all_zero && in_second(zeroed), "calloc is served by the second region, zeroed");
        void *wide = aligned_alloc(32, 64);
        check(wide != NULL && in_second(wide) && ((uintptr_t)wide & 31) == 0,
              "aligned_alloc is served by the second region");
        unsigned char *moved_over = realloc(blocks[small_first], 120);
        int kept = moved_over != NULL && in_second(moved_over);
        for (size_t j = 0; kept && j < 8; j++) kept &= moved_over[j] == (unsigned char)small_first;
        check(kept, "realloc moves a full first region's block into the second, contents kept");
        if (moved_over != NULL) {
            memset(moved_over, (int)small_first, 120);
            blocks[small_first] = moved_over;
            sizes[small_first] = 120;
        }
        free(aligned);
        free(zeroed);
        free(wide);
    }

    /* Every other block back, across both regions. */
    size_t freed_second = 0;
    in_second_count = 0;
    for (size_t i = 0; i < count; i++) in_second_count += in_second(blocks[i]);
    for (size_t i = 0; i < count; i += 2) {
        for (size_t j = 0; j < sizes[i]; j++) contents_set &= blocks[i][j] == (unsigned char)i;
        freed_second += in_second(blocks[i]);
        free(blocks[i]);
        blocks[i] = NULL;
    }
    check(freed_second > 0 && region_stats(1).live_blocks == in_second_count - freed_second,
          "frees of the second region's blocks reach it");

    /* realloc of a second-region block: grown (in place or moved), contents kept. */
    size_t moved = max_blocks;
    for (size_t i = 1; i < count; i += 2) {
        if (in_second(blocks[i])) { moved = i; break; }
    }
    check(moved != max_blocks, "an odd block lies in the second region");
    if (moved != max_blocks) {
        check(malloc_usable_size(blocks[moved]) >= sizes[moved], "malloc_usable_size knows a second-region block");
        size_t grown_size = sizes[moved] + 256;
        unsigned char *grown = realloc(blocks[moved], grown_size);
        int kept = grown != NULL;
        for (size_t j = 0; grown != NULL && j < sizes[moved]; j++) kept &= grown[j] == (unsigned char)moved;
        check(kept, "realloc grows a second-region block and keeps its contents");
        if (grown != NULL) {
            memset(grown, (int)moved, grown_size);
            blocks[moved] = grown;
            sizes[moved] = grown_size;
        }
    }

#ifndef CAIRN_CHECKED
    /* A pointer outside both: reported, nothing changes. (A checked build
     * stops at the report: the misuse test covers that.) */
    struct cairn_heap_stats before = total_stats();
    free(launder_address(SECOND_BASE + SECOND_BYTES + 64));
    free(launder_address(SECOND_BASE + 8)); /* the second region's own tables */
    struct cairn_heap_stats after = total_stats();
    check(after.misuse == before.misuse + 2 && after.live_blocks == before.live_blocks,
          "frees outside both regions' blocks are reported and change nothing");
#endif

    for (size_t i = 1; i < count; i += 2) {
        for (size_t j = 0; j < sizes[i]; j++) contents_set &= blocks[i][j] == (unsigned char)i;
        free(blocks[i]);
    }
    check(contents_set, "every block kept its contents");
    struct cairn_heap_stats first2 = region_stats(0), second2 = region_stats(1);
    check(first2.live_blocks == first0.live_blocks && second2.live_blocks == 0 && second2.reserved == 0,
          "every block is back in its region");
    check(cairn_check_integrity() == 0, "both regions intact after the frees");

    /* Both regions serve again. */
    void *again = malloc(SECOND_BYTES / 2);
    check(again != NULL, "a large block after the frees");
    free(again);

    check(cairn_print_report() == 0, "the report finds the heap intact");
    cairn_print_heap_map();  /* check-regions.sh reads a map per region */
    return check_finish();
}
