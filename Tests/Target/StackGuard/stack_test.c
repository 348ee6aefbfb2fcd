// Stack guard and stack high-water mark, on target. Built twice:
//
//   -DSTACK_TEST_OVERFLOW  (MPU boards) recurses without bound. The stack
//       guard must stop it with `stack overflow` and exit 103 before the
//       heap is reached: canary words between the heap and the guard are
//       checked on the way out (board_exit is wrapped, -Wl,--wrap=board_exit)
//       and the allocator's integrity check must still pass.
//       With -DSTACK_TEST_IN_HANDLER=1 too, the recursion runs in the SysTick
//       handler, where the guard hit arrives as a HardFault instead.
//   -DSTACK_TEST_HIGH_WATER  (every board) recurses to two known depths and
//       checks that board_stack_high_water() grows with the depth and stays
//       below the stack size. Prints `N passed, N failed`.
//
// Nothing here can pass by accident: the overflow firmware prints UNREACHED
// and exits 1 if the recursion ever returns.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "board.h"
#include "cairn.h"
#include "stack_guard.h"
#include "../Support/systick.h"

extern uint32_t __heap_guard_start[];   // first byte after the heap arena

// One recursion level: a frame of at least FRAME_BYTES that is written
// (so the paint and the guard both see it) and used after the call (so the
// compiler can neither drop it nor turn the recursion into a loop).
enum { FRAME_BYTES = 64 };
static volatile uint32_t depth_reached;
static volatile uint32_t depth_limit = UINT32_MAX;

static uint32_t recurse(uint32_t depth) {
    volatile uint8_t frame[FRAME_BYTES];
    for (size_t i = 0; i < sizeof frame; i++) {
        frame[i] = (uint8_t)(depth + i);
    }
    depth_reached = depth;
    if (depth >= depth_limit) {
        return frame[0];
    }
    return recurse(depth + 1) + frame[FRAME_BYTES - 1];
}

#if STACK_TEST_OVERFLOW
// Words that must survive the overflow: the first words after the heap and
// the last words below the guard (the first an overflow past the guard
// would hit). Between them lies RAM nobody uses.
enum { CANARY_WORDS = 8 };
#define CANARY 0xC4A1C4A1u

// Through uintptr_t: GCC sees linker symbols as arrays and would warn
// about indexing below one.
static uint32_t *canary_low(void) { return __heap_guard_start; }
static uint32_t *canary_high(void) {
    return (uint32_t *)((uintptr_t)__stack_guard_start - CANARY_WORDS * sizeof(uint32_t));
}

static void arm_canaries(void) {
    for (int i = 0; i < CANARY_WORDS; i++) {
        canary_low()[i] = CANARY;
        canary_high()[i] = CANARY;
    }
}

static int canaries_intact(void) {
    for (int i = 0; i < CANARY_WORDS; i++) {
        if (canary_low()[i] != CANARY || canary_high()[i] != CANARY) {
            return 0;
        }
    }
    return 1;
}

static uint32_t *block;

void __real_board_exit(int status) __attribute__((noreturn));

// Runs on the fault stack, after the report: reads memory only, the MPU
// does not cover what it reads, and it allocates nothing.
void __wrap_board_exit(int status) {
    board_puts("stack-guard: depth ");
    board_putdec32(depth_reached);
    board_puts(", heap canaries at ");
    board_puthex32((uint32_t)(uintptr_t)canary_low());
    board_puts(" and ");
    board_puthex32((uint32_t)(uintptr_t)canary_high());
    board_puts(canaries_intact() ? " intact" : " BROKEN");
    board_puts(", heap block ");
    board_puts(block != NULL && block[0] == CANARY && block[15] == CANARY ? "intact" : "BROKEN");
    board_puts(", heap integrity ");
    // The unlocked Swift entry: interrupts are masked in a fault handler.
    board_puts(cairn_swift_check_integrity() == 0 ? "ok" : "BROKEN");
    board_puts("\n");
    __real_board_exit(status);
}

#if STACK_TEST_IN_HANDLER
// In a handler of the same priority as MemManage (all are 0 at reset), a
// guard hit cannot raise MemManage: it escalates to HardFault, whose
// reporter must give the same verdict.
void SysTick_Handler(void) {
    systick_stop();
    recurse(0);
}

static void overflow(void) {
    board_puts("stack-guard: overflowing from the SysTick handler\n");
    systick_start_periodic(1000);
    for (;;) {
        __asm volatile("wfi");
    }
}
#else
static void overflow(void) {
    recurse(0);
}
#endif

int main(void) {
    arm_canaries();
    block = malloc(16 * sizeof *block);
    if (block != NULL) {
        block[0] = CANARY;
        block[15] = CANARY;
    }
    board_puts("stack-guard: guard ");
    board_puthex32((uint32_t)(uintptr_t)__stack_guard_start);
    board_puts("-");
    board_puthex32((uint32_t)(uintptr_t)__stack_guard_end);
    board_puts(", stack ");
    board_puthex32((uint32_t)(uintptr_t)__stack_limit);
    board_puts("-");
    board_puthex32((uint32_t)(uintptr_t)__stack_top);
    board_puts(", recursing without bound\n");
    overflow();
    board_puts("UNREACHED: the recursion returned\n");
    return 1;
}

#elif STACK_TEST_HIGH_WATER
static int passed, failed;

static void expect(int ok, const char *what, size_t value) {
    board_puts(ok ? "PASS " : "FAIL ");
    board_puts(what);
    board_puts(": ");
    board_putdec32((uint32_t)value);
    board_puts("\n");
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

static size_t recurse_to(uint32_t depth) {
    depth_limit = depth;
    recurse(0);
    return board_stack_high_water();
}

int main(void) {
    size_t stack_size = (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit);
    size_t at_start = board_stack_high_water();
    size_t shallow = recurse_to(4);
    size_t deep = recurse_to(16);
    size_t again = recurse_to(4);   // the mark is a high water: it never falls
    expect(at_start > 0 && at_start < stack_size, "high water at main, bytes", at_start);
    expect(shallow >= at_start + 4 * FRAME_BYTES, "after 4 levels of 64+ bytes", shallow);
    expect(deep >= shallow + 12 * FRAME_BYTES, "after 16 levels", deep);
    expect(deep < stack_size, "below the stack size", stack_size);
    expect(again == deep, "after 4 levels again (unchanged)", again);
    board_putdec32((uint32_t)passed);
    board_puts(" passed, ");
    board_putdec32((uint32_t)failed);
    board_puts(" failed\n");
    return failed == 0 ? 0 : 1;
}

#else
#error "build with -DSTACK_TEST_OVERFLOW=1 or -DSTACK_TEST_HIGH_WATER=1"
#endif
