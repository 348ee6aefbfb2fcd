// What both overflow firmware share: the corruption hook they install and
// count, how a run fails (a line check-overflow.sh shows, exit 1), and the
// oracle every block handed out after the overflow must pass.
#ifndef OVERFLOW_SUPPORT_H
#define OVERFLOW_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "cairn.h"

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

// A block of `bytes` handed out after the overflow must lie in the heap and
// overlap none of the `*count` held blocks (each `bytes` long; a NULL entry
// is none); it is then held too. NULL is allowed: running out is, escaping
// is not.
static void hold_block(uint8_t *block, size_t bytes, const struct cairn_heap_config *config, void **held,
                       unsigned *count) {
    if (block == NULL) return;
    uintptr_t start = (uintptr_t)block, heap = (uintptr_t)config->storage;
    if (start < heap || start + bytes > heap + config->storage_size) fail("block outside the heap", block);
    for (unsigned i = 0; i < *count; i++) {
        uintptr_t other = (uintptr_t)held[i];
        if (held[i] != NULL && start < other + bytes && other < start + bytes)
            fail("block overlapping a live block", block);
    }
    held[(*count)++] = block;
}

#endif
