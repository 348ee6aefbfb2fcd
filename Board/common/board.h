// The whole board API that Cairn and its test firmware may use.
// Every board implements board_putchar (uart.c); everything else lives in
// Board/common and is written once for Cortex-M0 and Cortex-M4 alike.
#ifndef CAIRN_BOARD_H
#define CAIRN_BOARD_H

#include <stdint.h>

// Exit statuses the board layer itself reports (the shell sees them through
// QEMU's semihosting exit). Firmware's own failures should use 1..99.
enum {
    BOARD_EXIT_HARD_FAULT = 101,
    BOARD_EXIT_UNHANDLED_EXCEPTION = 102,
};

// Blocking write of one byte to the console UART. Never allocates.
void board_putchar(int c);

// Writes a NUL-terminated string, without a trailing newline. Never allocates.
void board_puts(const char *s);

// Writes `value` as "0x" followed by exactly 8 hex digits. Never allocates.
void board_puthex32(uint32_t value);

// Writes `value` in decimal, without leading zeros. Never allocates.
void board_putdec32(uint32_t value);

// Ends the program: under QEMU (semihosting) the host process exits with
// `status`; on a board without a debugger attached it parks the core.
void board_exit(int status) __attribute__((noreturn));

// Masks interrupts and returns the previous PRIMASK, for a short critical
// section that nests: `uint32_t s = board_irq_save(); ...; board_irq_restore(s);`
// Inline so a critical section in the allocator costs three instructions.
static inline uint32_t board_irq_save(void) {
    uint32_t primask;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

// Restores the PRIMASK saved by board_irq_save (re-enables interrupts only
// if they were enabled before the matching save).
static inline void board_irq_restore(uint32_t primask) {
    __asm volatile("msr primask, %0" : : "r"(primask) : "memory");
}

#endif
