// The harness's counters and its console lines (see harness.h).
#include "harness.h"

#include "board.h"

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
    board_putdec32(passed_checks);
    board_puts(" passed, ");
    board_putdec32(failed_checks);
    board_puts(" failed\n");
    board_exit(failed_checks == 0 ? 0 : 1);
}
