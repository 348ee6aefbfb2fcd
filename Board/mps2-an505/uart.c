// Console on UART0 of the MPS2 AN505: an Arm CMSDK APB UART, at
// 0x40200000 behind the FPGA's APB peripheral protection controller, and
// at 0x50200000 through its secure alias, which the Secure state uses.
// That controller resets with every port secure and privileged, which is
// what this firmware is, so the UART needs no set-up beyond its own.
#include <stdint.h>

#include "board.h"
#include "board_internal.h"

#define UART0_BASE 0x50200000u
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x00))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x08))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10))

#define STATE_TX_FULL (1u << 0)
#define CTRL_TX_ENABLE (1u << 0)

// 20 MHz peripheral clock / 115200 baud. The UART rejects a divider below
// 16 (QEMU logs a guest error), so it must be set before TX is enabled.
#define BAUDDIV_115200 173u

void board_console_init(void) {
    UART_BAUDDIV = BAUDDIV_115200;
    // Without TX enabled a byte written to DATA is never sent and TX_FULL
    // stays set for ever, so board_putchar would spin.
    UART_CTRL = CTRL_TX_ENABLE;
}

void board_putchar(int c) {
    while (UART_STATE & STATE_TX_FULL) {
    }
    UART_DATA = (uint8_t)c;
}
