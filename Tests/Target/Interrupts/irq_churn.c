// The heap under interrupts, on mps2-an386 and mps2-an505: SysTick fires every
// IRQ_RELOAD core clocks (some hundred instructions under `ICOUNT=1`) and
// its handler frees and allocates blocks of its own, while main churns the
// heap with random sizes and checks every block's content before it lets
// go of it. Each hook masks interrupts (cairn_hooks.c), so the handler can
// only ever land between two heap calls of main, or in the middle of main
// filling or checking a block: both must be harmless.
//
// At the end (SysTick off): the handler ran many times, every block still
// holds its pattern, the integrity check passes, and the statistics count
// exactly the blocks main and the handler hold. Prints `N passed, N failed`
// and exits 1 on any failure. The seed (IRQ_SEED) is printed to replay.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "board.h"
#include "cairn.h"
#include "../Support/systick.h"
#include "xorshift32.h"

#ifndef IRQ_SEED
#define IRQ_SEED 1
#endif
#ifndef IRQ_OPERATIONS
#define IRQ_OPERATIONS 200000
#endif
// Core clocks between ticks. 25 MHz core; under ICOUNT=1 (shift 6: 64 ns
// an instruction) 1000 clocks are 40 us, 625 instructions. The handler
// itself takes about 330 clocks in a release build and 1400 in a checked
// one (poisoning, canaries): a period much shorter leaves main no time.
#ifndef IRQ_RELOAD
#define IRQ_RELOAD 1000
#endif
// Fewer ticks than this means the interrupt did not really interleave.
#ifndef IRQ_MIN_TICKS
#define IRQ_MIN_TICKS 20000
#endif

// --- Blocks with a checkable pattern -----------------------------------------

// Word i of a block holds tag * K + i, its tail bytes the low byte of the
// next word: unique to the allocation (the tag) and to the position (so a
// copy to the wrong offset shows). Word-wise, because the handler must be
// short next to the tick period: blocks start 8-byte aligned.
struct block {
    uint8_t *bytes;
    uint32_t size;
    uint32_t tag;   // different for every allocation
};

static uint32_t pattern_base(uint32_t tag) {
    return tag * 0x9E3779B1u;
}

// Patterns bytes [from, size) of the block; `from` is a multiple of 4.
static void fill(const struct block *b, uint32_t from) {
    uint32_t *words = (uint32_t *)(void *)b->bytes;
    uint32_t base = pattern_base(b->tag);
    uint32_t i = from / 4;
    for (; i < b->size / 4; i++) {
        words[i] = base + i;
    }
    for (uint32_t at = i * 4; at < b->size; at++) {
        b->bytes[at] = (uint8_t)(base + i);
    }
}

// True when the first `count` bytes hold the block's pattern.
static int intact(const struct block *b, uint32_t count) {
    const uint32_t *words = (const uint32_t *)(const void *)b->bytes;
    uint32_t base = pattern_base(b->tag);
    uint32_t i = 0;
    for (; i < count / 4; i++) {
        if (words[i] != base + i) {
            return 0;
        }
    }
    for (uint32_t at = i * 4; at < count; at++) {
        if (b->bytes[at] != (uint8_t)(base + i)) {
            return 0;
        }
    }
    return 1;
}

// --- The interrupt handler's blocks --------------------------------------------

enum { ISR_SLOTS = 16, ISR_LARGEST = 96 };
static struct block isr_blocks[ISR_SLOTS];
static volatile uint32_t isr_ticks, isr_held, isr_errors, isr_out_of_memory;
static volatile uint64_t isr_clocks;
static uint32_t isr_random = 0x1234567u ^ IRQ_SEED;
static uint32_t isr_tag = 0x80000000u;

// Odd ticks free the slot's block, even ticks refill it: half of the
// handler's slots are live at any time, and each tick calls the heap once.
static void handler_work(void) {
    uint32_t tick = isr_ticks + 1;
    isr_ticks = tick;
    struct block *b = &isr_blocks[(tick >> 1) % ISR_SLOTS];
    if (b->bytes != NULL) {
        if (!intact(b, b->size)) {
            isr_errors++;
        }
        free(b->bytes);
        b->bytes = NULL;
        isr_held--;
    } else {
        b->size = 1 + xorshift32_next(&isr_random) % ISR_LARGEST;
        b->tag = isr_tag++;
        b->bytes = malloc(b->size);
        if (b->bytes == NULL) {
            isr_out_of_memory++;
            return;
        }
        fill(b, 0);
        isr_held++;
    }
}

// Also measures itself in core clocks (SysTick's own counter), to show
// how much of the time the handler takes.
void SysTick_Handler(void) {
    uint32_t entered = SYST_CVR;   // counts down from IRQ_RELOAD - 1
    handler_work();
    uint32_t left = SYST_CVR;
    // A reload in between (the handler overran a period) counts as a period.
    isr_clocks += left <= entered ? entered - left : IRQ_RELOAD;
}

// --- Main's churn -----------------------------------------------------------------

enum { MAIN_SLOTS = 96 };
static struct block main_blocks[MAIN_SLOTS];
static uint32_t main_held, main_errors, main_out_of_memory;
static uint32_t main_random = IRQ_SEED;
static uint32_t main_tag = 1;

// Mostly class blocks, some large (fit-heap) blocks, a few big ones.
static uint32_t random_size(void) {
    uint32_t r = xorshift32_next(&main_random);
    uint32_t pick = r % 100;
    r >>= 8;
    if (pick < 60) return 1 + r % 64;
    if (pick < 90) return 65 + r % 448;
    if (pick < 98) return 513 + r % 1536;
    return 2049 + r % 6144;
}

static void main_operation(void) {
    struct block *b = &main_blocks[xorshift32_next(&main_random) % MAIN_SLOTS];
    uint32_t choice = xorshift32_next(&main_random) % 8;
    if (b->bytes == NULL) {
        b->size = random_size();
        b->tag = main_tag++;
        if (choice == 0) {
            // calloc: zeroed first, then patterned like the others.
            b->bytes = calloc(1, b->size);
            for (uint32_t i = 0; b->bytes != NULL && i < b->size; i++) {
                if (b->bytes[i] != 0) {
                    main_errors++;
                    break;
                }
            }
        } else {
            b->bytes = malloc(b->size);
        }
        if (b->bytes == NULL) {
            main_out_of_memory++;
            return;
        }
        fill(b, 0);
        main_held++;
        return;
    }
    if (!intact(b, b->size)) {
        main_errors++;
    }
    if (choice == 0) {
        // realloc keeps the common prefix; the rest is patterned anew.
        uint32_t size = random_size();
        uint8_t *moved = realloc(b->bytes, size);
        if (moved == NULL) {
            main_out_of_memory++;
            return;
        }
        uint32_t kept = size < b->size ? size : b->size;
        b->bytes = moved;
        b->size = size;
        // The tail bytes of a shrunk block change pattern: compare whole words.
        if (!intact(b, kept & ~3u)) {
            main_errors++;
        }
        fill(b, kept & ~3u);
        return;
    }
    free(b->bytes);
    b->bytes = NULL;
    main_held--;
}

// --- Report -----------------------------------------------------------------------

static int passed, failed;

static void expect(int ok, const char *what, uint32_t value) {
    board_puts(ok ? "PASS " : "FAIL ");
    board_puts(what);
    board_puts(": ");
    board_putdec32(value);
    board_puts("\n");
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

static uint32_t blocks_not_intact(const struct block *blocks, int count) {
    uint32_t broken = 0;
    for (int i = 0; i < count; i++) {
        if (blocks[i].bytes != NULL && !intact(&blocks[i], blocks[i].size)) {
            broken++;
        }
    }
    return broken;
}

static void free_all(struct block *blocks, int count) {
    for (int i = 0; i < count; i++) {
        free(blocks[i].bytes);
        blocks[i].bytes = NULL;
    }
}

int main(void) {
    board_puts("interrupt test: seed ");
    board_putdec32(IRQ_SEED);
    board_puts(", ");
    board_putdec32(IRQ_OPERATIONS);
    board_puts(" operations, SysTick every ");
    board_putdec32(IRQ_RELOAD);
    board_puts(" clocks\n");

    systick_start_periodic(IRQ_RELOAD);
    for (uint32_t op = 0; op < IRQ_OPERATIONS; op++) {
        main_operation();
    }
    // Masked first, then stopped and its pending tick dropped: the handler
    // must not run again while the books are checked and emptied.
    uint32_t saved = board_irq_save();
    systick_stop();

    uint32_t ticks = isr_ticks;
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    uint32_t held = main_held + isr_held;
    expect(ticks >= IRQ_MIN_TICKS, "SysTick handler runs", ticks);
    board_puts("     main operations per 100 ticks: ");
    board_putdec32(ticks == 0 ? 0 : (uint32_t)((uint64_t)IRQ_OPERATIONS * 100 / ticks));
    board_puts(", handler time per tick: ");
    board_putdec32(ticks == 0 ? 0 : (uint32_t)(isr_clocks / ticks));
    board_puts(" of ");
    board_putdec32(IRQ_RELOAD);
    board_puts(" clocks\n");
    expect(isr_errors == 0, "handler blocks found broken when freed", isr_errors);
    expect(main_errors == 0, "main blocks found broken when freed or resized", main_errors);
    expect(isr_out_of_memory == 0 && main_out_of_memory == 0, "allocations that failed",
           isr_out_of_memory + main_out_of_memory);
    expect(blocks_not_intact(isr_blocks, ISR_SLOTS) == 0, "handler blocks broken at the end",
           blocks_not_intact(isr_blocks, ISR_SLOTS));
    expect(blocks_not_intact(main_blocks, MAIN_SLOTS) == 0, "main blocks broken at the end",
           blocks_not_intact(main_blocks, MAIN_SLOTS));
    expect(cairn_check_integrity() == 0, "integrity check (0 = intact)", (uint32_t)cairn_check_integrity());
    expect(stats.live_blocks == held, "live blocks = main's + handler's", (uint32_t)stats.live_blocks);
    board_puts("     main holds ");
    board_putdec32(main_held);
    board_puts(", handler holds ");
    board_putdec32(isr_held);
    board_puts("\n");
    expect(stats.misuse == 0, "misuse reports", (uint32_t)stats.misuse);

    free_all(main_blocks, MAIN_SLOTS);
    free_all(isr_blocks, ISR_SLOTS);
    cairn_get_stats(&stats);
    expect(stats.live_blocks == 0, "live blocks after freeing all", (uint32_t)stats.live_blocks);
    expect(cairn_check_integrity() == 0, "integrity check after freeing all", (uint32_t)cairn_check_integrity());
    board_irq_restore(saved);

    board_putdec32((uint32_t)passed);
    board_puts(" passed, ");
    board_putdec32((uint32_t)failed);
    board_puts(" failed (seed ");
    board_putdec32(IRQ_SEED);
    board_puts(")\n");
    return failed == 0 ? 0 : 1;
}
