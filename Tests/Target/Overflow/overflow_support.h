// What both overflow firmware share: the corruption hook they install and
// count, and how a run fails (a line check-overflow.sh shows, exit 1).
#ifndef OVERFLOW_SUPPORT_H
#define OVERFLOW_SUPPORT_H

#include <stdint.h>

#include "board.h"

static volatile unsigned hook_calls;

static void on_corruption(void *address, int size_class) {
    (void)address;
    (void)size_class;
    hook_calls++;
}

static void fail(const char *what, const void *block) {
    board_puts("overflow FAILED: ");
    board_puts(what);
    board_puts(" ");
    board_puthex32((uint32_t)(uintptr_t)block);
    board_puts("\n");
    board_exit(1);
}

#endif
