// The fifth overflow (kind 5): a linear overflow out of a live large
// block over the header of the live fit-heap block after it, written
// with a size that is consistent (it ends at the header of a block whose
// "previous in use" bit is set) but also covers that block's live
// neighbour. Without the header's keyed tag, free() of the victim would
// release the neighbour too, and the next malloc would hand it out again.
//
// Release build: the free must be reported (the corruption hook called,
// the counts raised), the neighbour's bytes must survive, and no block
// handed out afterwards may leave the heap or overlap a live block; the
// firmware then prints `overflow ok`. Checked build: Cairn must report
// and stop (status 70) before `UNREACHED`. check-overflow.sh checks both.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "cairn.h"
#include "../Support/launder.h"
#include "overflow_support.h"

// Above the largest size class of every board's heap (512 bytes on the
// Cortex-M4's 1 MiB heap, 12 below 16 KiB): fit-heap blocks.
enum { BLOCK_BYTES = 600, AFTER = 4, PATTERN = 0x5A };

int main(void) {
    struct cairn_heap_config config;
    cairn_platform_heap_config(&config);
    cairn_set_corruption_hook(on_corruption);

    // Four neighbours, in address order, one stride apart.
    uint8_t *before = malloc(BLOCK_BYTES), *victim = malloc(BLOCK_BYTES);
    uint8_t *neighbour = malloc(BLOCK_BYTES), *after = malloc(BLOCK_BYTES);
    if (!before || !victim || !neighbour || !after) fail("no block", NULL);
    size_t stride = (size_t)(victim - before);
    if ((size_t)(neighbour - victim) != stride || (size_t)(after - neighbour) != stride)
        fail("blocks not side by side", neighbour);
    memset(neighbour, PATTERN, BLOCK_BYTES);

    board_puts("overflow: kind 5 (a live block's header)\n");
    // From the end of `before` up to and including `victim`'s header: a
    // size from that header to `after`'s, in use, previous in use, and a
    // top byte of 0 where the header's keyed tag goes. That guess is wrong
    // for the keys of these builds; a blind guess is right 1 time in 256,
    // so a layout or key where 0 is the tag would make this run fail.
    // (The host tests forge a tag known to be wrong.)
    uint32_t forged = (uint32_t)(after - victim) | 3u;
    for (uint8_t *p = before + BLOCK_BYTES; p < victim; p += 4) *(volatile uint32_t *)launder(p) = forged;

    free(launder(victim));

    board_puts("UNREACHED in a checked build\n");
    void *held[3 + AFTER] = {before, neighbour, after};
    unsigned held_count = 3;
    for (unsigned i = 0; i < AFTER; i++) {
        uint8_t *block = malloc(BLOCK_BYTES);
        hold_block(block, BLOCK_BYTES, &config, held, &held_count);
        if (block != NULL) memset(block, 0, BLOCK_BYTES);
    }
    for (unsigned i = 0; i < BLOCK_BYTES; i++)
        if (neighbour[i] != PATTERN) fail("the live neighbour was overwritten", neighbour + i);

    size_t lost = 0;
    size_t corruptions = cairn_corruption_count(&lost);
    board_puts("hook calls ");
    board_putdec32(hook_calls);
    board_puts(", corruptions ");
    board_putdec32((uint32_t)corruptions);
    board_puts("\n");
    if (hook_calls == 0) fail("no hook call", NULL);
    if (corruptions == 0) fail("no corruption counted", NULL);
    board_puts("overflow ok\n");
    return 0;
}
