// The board-scaled test settings (see test_profile.h). The build passes
// ONTARGET_RAM_SIZE, ONTARGET_BOARD, ONTARGET_SEED and, for the bump
// allocator, ONTARGET_BUMP.
#include "test_profile.h"

#include "board.h"
#include "harness.h"

#ifndef ONTARGET_RAM_SIZE
#error "ONTARGET_RAM_SIZE (the board's RAM in bytes) must be set by the build"
#endif
#ifndef ONTARGET_SEED
#define ONTARGET_SEED 1
#endif
#ifndef ONTARGET_BOARD
#define ONTARGET_BOARD "unknown board"
#endif

#if ONTARGET_RAM_SIZE <= 16384
// micro:bit: the firmware's own 8 KiB heap and 2 KiB stack leave about
// 3.5 KiB of the 16 KiB, so the region gets 3 KiB: 11 pages of 256 bytes
// plus the slab's metadata.
#define REGION_SIZE 3072
#define PAGE_SIZE 256
#define LARGEST_CLASS 128
#define SLOT_COUNT 16
#define CHURN_ROUNDS 4000
#define LARGEST_CHURN_BLOCK 600
#else
#define REGION_SIZE (32 * 1024)
#define PAGE_SIZE 1024
#define LARGEST_CLASS 512
#define SLOT_COUNT 64
#define CHURN_ROUNDS 40000
#define LARGEST_CHURN_BLOCK 4000
#endif

static uint8_t region[REGION_SIZE] __attribute__((aligned(8)));
static struct ontarget_slot slots[SLOT_COUNT];

void ontarget_get_profile(struct ontarget_profile *out) {
    out->board = ONTARGET_BOARD;
#ifdef ONTARGET_BUMP
    out->global_heap_is_bump = true;
#else
    out->global_heap_is_bump = false;
#endif
    out->region = region;
    out->region_size = sizeof region;
    out->page_size = PAGE_SIZE;
    out->largest_class = LARGEST_CLASS;
    out->slots = slots;
    out->slot_count = SLOT_COUNT;
    out->churn_rounds = CHURN_ROUNDS;
    out->largest_churn_block = LARGEST_CHURN_BLOCK;
    out->seed = ONTARGET_SEED;
}

void ontarget_print_banner(void) {
    struct ontarget_profile profile;
    ontarget_get_profile(&profile);
    board_puts("cairn on-target tests: ");
    board_puts(profile.board);
    board_puts(profile.global_heap_is_bump ? ", bump heap, seed " : ", slab heap, seed ");
    board_putdec32(profile.seed);
    board_putchar('\n');
}
