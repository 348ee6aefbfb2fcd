// The harness's counters and its console lines (see harness.h).
#include "harness.h"

#include "board.h"
#include "stack_guard.h"

static uint32_t passed_checks;
static uint32_t failed_checks;

static void put_text(const char *text, size_t length) {
    for (size_t i = 0; i < length; i++) board_putchar(text[i]);
}

bool ontarget_record(bool passed, const char *test, size_t test_length, const char *detail,
                     size_t detail_length, bool has_value, uint32_t value) {
    if (passed) {
        passed_checks++;
        return true;
    }
    failed_checks++;
    board_puts("FAIL ");
    put_text(test, test_length);
    board_puts(": ");
    put_text(detail, detail_length);
    if (has_value) {
        board_puts(" (got ");
        board_putdec32(value);
        board_puts(" = ");
        board_puthex32(value);
        board_putchar(')');
    }
    board_putchar('\n');
    return false;
}

void ontarget_say(const char *text, size_t length) {
    put_text(text, length);
    board_putchar('\n');
}

void ontarget_print_replay_seed(uint32_t seed) {
    board_puts("  replay with TEST_SEED=");
    board_putdec32(seed);
    board_putchar('\n');
}

uint32_t ontarget_failures(void) {
    return failed_checks;
}

void ontarget_finish(void) {
    // A board without an MPU (micro:bit) has no guard below the stack: an
    // overflow would run silently into the heap. The paint tells: a stack
    // that used all of its reserve has overflowed.
    size_t reserve = (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit);
    size_t used = board_stack_high_water();
    board_puts("stack: ");
    board_putdec32((uint32_t)used);
    board_puts(" of ");
    board_putdec32((uint32_t)reserve);
    board_puts(" bytes used at most\n");
    static const char test[] = "stack", detail[] = "the tests stay inside the stack reserve";
    ontarget_record(used < reserve, test, sizeof test - 1, detail, sizeof detail - 1, true, (uint32_t)used);
    board_putdec32(passed_checks);
    board_puts(" passed, ");
    board_putdec32(failed_checks);
    board_puts(" failed\n");
    board_exit(failed_checks == 0 ? 0 : 1);
}
