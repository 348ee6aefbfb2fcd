// Ending the run through Arm semihosting, which QEMU turns into its own
// exit status.
#include <stdint.h>

#include "board.h"

// `bkpt 0xab` with the operation in r0 and its argument in r1.
static void semihosting(uint32_t operation, uint32_t argument) {
    register uint32_t r0 __asm("r0") = operation;
    register uint32_t r1 __asm("r1") = argument;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

void board_exit(int status) {
    enum { SYS_EXIT_EXTENDED = 0x20, APPLICATION_EXIT = 0x20026 };
    uint32_t block[2] = {APPLICATION_EXIT, (uint32_t)status};
    semihosting(SYS_EXIT_EXTENDED, (uint32_t)(uintptr_t)block);
    for (;;) {
    }
}

// newlib's exit path, and Cairn's on a fatal heap error.
void _exit(int status) {
    board_exit(status);
}
