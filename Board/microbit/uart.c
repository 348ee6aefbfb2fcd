// Console on the nRF51's UART0, which the micro:bit routes to its USB
// interface chip (TX on pin P0.24).
#include <stdint.h>

#include "board.h"
#include "board_internal.h"

#define UART0_BASE 0x40002000u
#define UART_REG(offset) (*(volatile uint32_t *)(UART0_BASE + (offset)))
#define UART_TASKS_STARTTX UART_REG(0x008)
#define UART_EVENTS_TXDRDY UART_REG(0x11C)
#define UART_ENABLE UART_REG(0x500)
#define UART_PSELTXD UART_REG(0x50C)
#define UART_TXD UART_REG(0x51C)
#define UART_BAUDRATE UART_REG(0x524)

#define ENABLE_UART 4u
#define BAUDRATE_115200 0x01D7E000u
#define MICROBIT_TX_PIN 24u

void board_console_init(void) {
    UART_PSELTXD = MICROBIT_TX_PIN;
    UART_BAUDRATE = BAUDRATE_115200;
    // ENABLE must be exactly 4, and every other register write is ignored
    // (by the chip and by QEMU's model) while the UART is disabled.
    UART_ENABLE = ENABLE_UART;
    UART_TASKS_STARTTX = 1;
}

// One byte at a time: TXD holds a single byte, and a write while the
// previous byte is still going out is dropped without notice, so wait for
// TXDRDY after every byte.
void board_putchar(int c) {
    UART_EVENTS_TXDRDY = 0;
    UART_TXD = (uint8_t)c;
    while (UART_EVENTS_TXDRDY == 0) {
    }
}
