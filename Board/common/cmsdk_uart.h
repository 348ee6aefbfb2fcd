// Transmit-only driver for the Arm CMSDK APB UART, the console UART of the
// MPS2 boards. Each board's uart.c passes its UART's base address and the
// baud divider for its peripheral clock.
#ifndef CAIRN_CMSDK_UART_H
#define CAIRN_CMSDK_UART_H

#include <stdint.h>

#define CMSDK_UART_REGISTER(base, offset) (*(volatile uint32_t *)((base) + (offset)))
#define CMSDK_UART_DATA(base) CMSDK_UART_REGISTER(base, 0x00u)
#define CMSDK_UART_STATE(base) CMSDK_UART_REGISTER(base, 0x04u)
#define CMSDK_UART_CTRL(base) CMSDK_UART_REGISTER(base, 0x08u)
#define CMSDK_UART_BAUDDIV(base) CMSDK_UART_REGISTER(base, 0x10u)

#define CMSDK_UART_STATE_TX_FULL (1u << 0)
#define CMSDK_UART_CTRL_TX_ENABLE (1u << 0)

// The UART rejects a divider below 16 (QEMU logs a guest error), so it is
// set before TX is enabled.
static inline void cmsdk_uart_init(uint32_t base, uint32_t baud_divider) {
    CMSDK_UART_BAUDDIV(base) = baud_divider;
    // Without TX enabled a byte written to DATA is never sent and TX_FULL
    // stays set for ever, so cmsdk_uart_putchar would spin.
    CMSDK_UART_CTRL(base) = CMSDK_UART_CTRL_TX_ENABLE;
}

static inline void cmsdk_uart_putchar(uint32_t base, int c) {
    while (CMSDK_UART_STATE(base) & CMSDK_UART_STATE_TX_FULL) {
    }
    CMSDK_UART_DATA(base) = (uint8_t)c;
}

#endif
