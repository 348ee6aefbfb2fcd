// board_exit through Arm semihosting: the only way firmware under QEMU can
// hand an exit status to the shell.
#include <stdint.h>

#include "board.h"

enum {
    SYS_EXIT = 0x18,
    SYS_EXIT_EXTENDED = 0x20,
    ADP_Stopped_ApplicationExit = 0x20026,
    ADP_Stopped_RunTimeErrorUnknown = 0x20023,
};

// On ARMv6-M and ARMv7-M a semihosting request is `bkpt 0xab` with the
// operation in r0 and its argument in r1. With no debugger or QEMU listening,
// the bkpt escalates to HardFault instead.
static uint32_t semihosting_call(uint32_t operation, uint32_t argument) {
    register uint32_t r0 __asm("r0") = operation;
    register uint32_t r1 __asm("r1") = argument;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void board_exit(int status) {
    if (status == 0) {
        // 32-bit SYS_EXIT takes the reason itself (not a block) and can only
        // say "success" (ApplicationExit) or "failure": every host has it.
        semihosting_call(SYS_EXIT, ADP_Stopped_ApplicationExit);
    } else {
        // SYS_EXIT_EXTENDED takes {reason, status}, so the exact status
        // reaches the shell (QEMU supports it for A32/T32).
        uint32_t block[2] = {ADP_Stopped_ApplicationExit, (uint32_t)status};
        semihosting_call(SYS_EXIT_EXTENDED, (uint32_t)(uintptr_t)block);
        // Still here: the host lacks the extension. Exit 1 rather than 0.
        semihosting_call(SYS_EXIT, ADP_Stopped_RunTimeErrorUnknown);
    }
    for (;;) {
        // No host took the exit: park the core.
    }
}
