// Console output on UART0 of the MPS2 AN386 (a CMSDK APB UART), and the two
// routes text takes to it: putchar (Embedded Swift's print) and _write
// (Cairn's heap report, and newlib).
#include <stdint.h>

#define UART0 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0 + 0x00))
#define UART_STATE (*(volatile uint32_t *)(UART0 + 0x04))
#define UART_CTRL (*(volatile uint32_t *)(UART0 + 0x08))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0 + 0x10))

void console_init(void) {
    // 25 MHz / 115200. The divider must be set before TX is enabled.
    UART_BAUDDIV = 217;
    UART_CTRL = 1;  // TX enable
}

int putchar(int c) {
    while (UART_STATE & 1) {  // TX full
    }
    UART_DATA = (uint8_t)c;
    return (unsigned char)c;
}

int _write(int fd, const char *text, int length) {
    (void)fd;
    for (int i = 0; i < length; i++) putchar(text[i]);
    return length;
}
