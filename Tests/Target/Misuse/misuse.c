// Commits exactly one heap misuse, chosen at build time with
// -DMISUSE_KIND=<n> (the enum below), through the real C hooks. Meant for
// the checked build (CHECKED=1): Cairn must print its report and stop the
// firmware with status 70 inside the call that finds the misuse, so the
// `UNREACHED` line after it must never appear. check-misuse.sh runs it.
//
// Before the misuse the firmware prints `misuse: <kind>, expect <address>`:
// the address the report must name.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "board.h"
#include "../Support/launder.h"

// Macros, not an enum: #if compares them.
#define MISUSE_DOUBLE_FREE 1
#define MISUSE_FOREIGN_POINTER 2
#define MISUSE_INTERIOR_POINTER 3
#define MISUSE_WRITE_PAST_END 4
#define MISUSE_WRITE_AFTER_FREE 5

#ifndef MISUSE_KIND
#error "build with -DMISUSE_KIND=1..5"
#endif

// Checked builds quarantine this many freed blocks (SlabConfiguration).
enum { QUARANTINE_SLOTS = 8 };

static void announce(const char *kind, const void *expected) {
    board_puts("misuse: ");
    board_puts(kind);
    board_puts(", expect ");
    board_puthex32((uint32_t)(uintptr_t)expected);
    board_puts("\n");
}

static void commit_misuse(void) {
#if MISUSE_KIND == MISUSE_DOUBLE_FREE
    void *block = malloc(24);
    announce("double free", block);
    free(block);
    free(launder(block));
#elif MISUSE_KIND == MISUSE_FOREIGN_POINTER
    // After a first allocation: the heap configures itself (and its misuse
    // handler) on first use, and a free before that goes unreported.
    void *first = malloc(16);
    uint32_t on_stack[4] = {0};
    announce("free of a stack address", on_stack);
    free(launder(on_stack));
    free(first);
#elif MISUSE_KIND == MISUSE_INTERIOR_POINTER
    uint8_t *block = malloc(32);
    announce("free of an interior pointer", block + 8);
    free(launder(block + 8));
#elif MISUSE_KIND == MISUSE_WRITE_PAST_END
    // 20 bytes asked for: byte 20 is the first byte of the canary.
    uint8_t *block = malloc(20);
    announce("write past the end, then free", block);
    ((volatile uint8_t *)launder(block))[20] = 0x00;
    free(block);
#elif MISUSE_KIND == MISUSE_WRITE_AFTER_FREE
    // The written block leaves quarantine after QUARANTINE_SLOTS more
    // frees of its size; its poison is verified then.
    uint8_t *block = malloc(24);
    uint8_t *others[QUARANTINE_SLOTS + 1];
    for (int i = 0; i <= QUARANTINE_SLOTS; i++) {
        others[i] = malloc(24);
    }
    announce("write after free", block);
    free(block);
    ((volatile uint8_t *)launder(block))[5] = 0x42;
    for (int i = 0; i <= QUARANTINE_SLOTS; i++) {
        free(others[i]);
    }
#else
#error "unknown MISUSE_KIND"
#endif
}

int main(void) {
    commit_misuse();
    board_puts("UNREACHED: the heap did not stop the firmware\n");
    return 1;
}
