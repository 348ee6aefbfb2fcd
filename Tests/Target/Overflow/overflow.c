// A heap overflow as a program makes it by mistake, through the real C
// hooks: eight 24-byte blocks, every other one freed, then a linear
// overflow out of each kept block writes one attacker-chosen word over the
// bytes after it, up to and including the first two words of the free
// block that follows; then sixteen malloc(24). The word is chosen at build
// time with -DOVERFLOW_KIND=<n>:
//   1  the absolute address of a global (a "write here next" address)
//   2  that address minus the free block's own address (a relative link)
//   3  0xFFFFFFF0
//   4  an address in the stack
//
// Release build: every block malloc returns must lie inside the heap and
// overlap no live block, the corruption hook must have been called and the
// corruption and misuse counts raised; the firmware then prints
// `overflow ok` and exits 0. Checked build: Cairn must report the damage
// and stop (status 70) before `UNREACHED`; check-overflow.sh checks both.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "board.h"
#include "cairn.h"
#include "../Support/launder.h"
#include "overflow_support.h"

#ifndef OVERFLOW_KIND
#error "build with -DOVERFLOW_KIND=1..4"
#endif

enum { BLOCK_BYTES = 24, FIRST = 8, AFTER = 16 };
// Live blocks: the kept four, then two rounds of AFTER.

static uint32_t target_global[4];
static void *live[FIRST / 2 + 2 * AFTER];
static unsigned live_count;

static uint32_t attack_word(const uint8_t *victim, const uint32_t *stack_word) {
#if OVERFLOW_KIND == 1
    (void)victim; (void)stack_word;
    return (uint32_t)(uintptr_t)target_global;
#elif OVERFLOW_KIND == 2
    (void)stack_word;
    return (uint32_t)(uintptr_t)target_global - (uint32_t)(uintptr_t)victim;
#elif OVERFLOW_KIND == 3
    (void)victim; (void)stack_word;
    return 0xFFFFFFF0u;
#else
    (void)victim;
    return (uint32_t)(uintptr_t)stack_word;
#endif
}

int main(void) {
    struct cairn_heap_config config;
    cairn_platform_heap_config(&config);
    cairn_set_corruption_hook(on_corruption);
    uint32_t stack_word[2] = {0, 0};

    uint8_t *blocks[FIRST];
    for (unsigned i = 0; i < FIRST; i++) blocks[i] = malloc(BLOCK_BYTES);
    for (unsigned i = 1; i < FIRST; i += 2) free(blocks[i]);
    for (unsigned i = 0; i < FIRST; i += 2) live[live_count++] = blocks[i];

    board_puts("overflow: kind " );
    board_putdec32(OVERFLOW_KIND);
    board_puts("\n");
    // The overflow: from the end of each kept block to the end of the
    // second word of the free block after it.
    for (unsigned i = 0; i + 1 < FIRST; i += 2) {
        uint8_t *victim = launder(blocks[i + 1]);
        uint32_t word = attack_word(victim, stack_word);
        for (uint8_t *p = blocks[i] + BLOCK_BYTES; p < victim + 8; p += 4) *(volatile uint32_t *)launder(p) = word;
    }

    for (unsigned i = 0; i < AFTER; i++) hold_block(malloc(BLOCK_BYTES), BLOCK_BYTES, &config, live, &live_count);

    // The kept blocks go back: their ends were overwritten (a checked
    // build's canaries), and their free neighbours are damaged.
    for (unsigned i = 0; i < FIRST; i += 2) free(blocks[i]);
    live[0] = live[1] = live[2] = live[3] = NULL;
    for (unsigned i = 0; i < AFTER; i++) hold_block(malloc(BLOCK_BYTES), BLOCK_BYTES, &config, live, &live_count);

    board_puts("UNREACHED in a checked build\n");
    size_t lost = 0;
    size_t corruptions = cairn_corruption_count(&lost);
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    board_puts("hook calls ");
    board_putdec32(hook_calls);
    board_puts(", corruptions ");
    board_putdec32((uint32_t)corruptions);
    board_puts(", misuse ");
    board_putdec32((uint32_t)stats.misuse);
    board_puts(", lost blocks ");
    board_putdec32((uint32_t)lost);
    board_puts("\n");
    if (hook_calls == 0) fail("no hook call", NULL);
    if (corruptions == 0 || stats.misuse == 0) fail("no corruption counted", NULL);
    if (target_global[0] != 0 || target_global[1] != 0) fail("a write landed in the global", target_global);
    board_puts("overflow ok\n");
    return 0;
}
