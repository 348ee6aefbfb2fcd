// Fatal exceptions: print where the CPU was, without printf or allocation
// (the heap may be what broke), then exit non-zero.
#include <stdint.h>

#include "board.h"
#include "board_internal.h"
#include "stack_guard.h"

#define BOARD_STRINGIFY_(x) #x
#define BOARD_STRINGIFY(x) BOARD_STRINGIFY_(x)

#if __ARM_ARCH_7M__ || __ARM_ARCH_7EM__ || __ARM_ARCH_8M_MAIN__
// uint64_t: the stack pointer must be 8-byte aligned at a call (AAPCS).
uint64_t board_fault_stack[BOARD_FAULT_STACK_BYTES / 8];
#endif

// Until a firmware or the stack guard (mpu_fault_report.c) replaces them,
// they report like Default_Handler, which reads the exception from IPSR.
__attribute__((weak)) void MemManage_Handler(void) { Default_Handler(); }
__attribute__((weak)) void SysTick_Handler(void) { Default_Handler(); }

// Boards with a stack guard (mpu_fault_report.c) replace this.
__attribute__((weak)) void board_check_stack_overflow(const uint32_t *frame, uint32_t exc_return) {
    (void)frame;
    (void)exc_return;
}

// What the CPU pushes on exception entry, lowest address first.
enum { FRAME_R0, FRAME_R1, FRAME_R2, FRAME_R3, FRAME_R12, FRAME_LR, FRAME_PC, FRAME_XPSR };

void board_report_hard_fault(const uint32_t *frame, uint32_t exc_return) __attribute__((noreturn, used));

void board_report_hard_fault(const uint32_t *frame, uint32_t exc_return) {
    board_check_stack_overflow(frame, exc_return);
    board_puts("\nHardFault: PC=");
    board_puthex32(frame[FRAME_PC]);
    board_puts(" LR=");
    board_puthex32(frame[FRAME_LR]);
    board_puts(" xPSR=");
    board_puthex32(frame[FRAME_XPSR]);
    board_puts(" EXC_RETURN=");
    board_puthex32(exc_return);
#if __ARM_ARCH_7M__ || __ARM_ARCH_7EM__ || __ARM_ARCH_8M_MAIN__
    // ARMv7-M and ARMv8-M Mainline say why: CFSR bits name the fault,
    // BFAR/MMFAR the address (valid only when CFSR's BFARVALID / MMARVALID
    // bit is set).
    board_puts(" CFSR=");
    board_puthex32(*(volatile uint32_t *)0xE000ED28u);
    board_puts(" HFSR=");
    board_puthex32(*(volatile uint32_t *)0xE000ED2Cu);
    board_puts(" BFAR=");
    board_puthex32(*(volatile uint32_t *)0xE000ED38u);
#endif
    board_puts("\n");
    board_exit(BOARD_EXIT_HARD_FAULT);
}

// Finds the stacked frame and tail-calls the C reporter. EXC_RETURN bit 2
// tells which stack the CPU pushed to (0: MSP, 1: PSP). Written in the
// Thumb-1 subset so the same code runs on Cortex-M0; `ldr`+`bx` instead of
// `b` because a Thumb-1 `b` reaches only +-2 KiB. On ARMv7-M and ARMv8-M
// Mainline the reporter runs on board_fault_stack: after a stack overflow
// MSP points into the stack guard, and the report must not push below it,
// into the heap.
__attribute__((naked)) void HardFault_Handler(void) {
    __asm volatile(
        "movs r0, #4\n\t"
        "mov  r1, lr\n\t"
        "tst  r0, r1\n\t"
        "bne  1f\n\t"
        "mrs  r0, msp\n\t"
        "b    2f\n"
        "1:\n\t"
        "mrs  r0, psp\n"
        "2:\n\t"
#if __ARM_ARCH_7M__ || __ARM_ARCH_7EM__ || __ARM_ARCH_8M_MAIN__
        "ldr  r2, =board_fault_stack + " BOARD_STRINGIFY(BOARD_FAULT_STACK_BYTES) "\n\t"
        "mov  sp, r2\n\t"
#endif
        "ldr  r2, =board_report_hard_fault\n\t"
        "bx   r2\n\t"
        ".ltorg\n");
}

// Any exception or interrupt nobody claimed. IPSR holds its number.
void Default_Handler(void) {
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    board_puts("\nUnhandled exception: IPSR=");
    board_puthex32(ipsr);
    board_puts("\n");
    board_exit(BOARD_EXIT_UNHANDLED_EXCEPTION);
}
