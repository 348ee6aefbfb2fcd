/* The startup and system calls of a generic newlib firmware, of the kind a
 * vendor's project template carries, for cortex-m4.ld beside this file: a
 * vector table, a reset handler that copies .data, zeroes .bss and runs the
 * C constructors, and newlib's system calls with a working _sbrk. Nothing
 * here knows of Cairn. The UART and the exit through semihosting are the
 * board layer's (Board/mps2-an386/uart.c, Board/common/semihosting.c),
 * which need no particular linker script.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "board.h"
#include "board_internal.h"

int main(void);

/* cortex-m4.ld's symbols. */
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
extern char end[], _stack_size[];
extern void (*__preinit_array_start[])(void), (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void), (*__init_array_end[])(void);

void Reset_Handler(void) {
    board_console_init();
    const uint32_t *source = _sidata;
    for (uint32_t *word = _sdata; word < _edata; word++) *word = *source++;
    for (uint32_t *word = _sbss; word < _ebss; word++) *word = 0;
    for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; f++) (*f)();
    for (void (**f)(void) = __init_array_start; f < __init_array_end; f++) (*f)();
    board_exit(main());
}

/* Any exception: say so and stop the run, rather than hang until QEMU's
 * timeout. */
static void Fault_Handler(void) {
    for (const char *text = "\ngeneric startup: unexpected exception\n"; *text != '\0'; text++) {
        board_putchar(*text);
    }
    board_exit(BOARD_EXIT_HARD_FAULT);
}

__attribute__((section(".isr_vector"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)_estack,
    Reset_Handler,
    [2 ... 15] = Fault_Handler,
};

/* newlib's heap, for whatever allocator newlib links: from the end of .bss
 * up to the stack. */
void *_sbrk(ptrdiff_t increment) {
    static char *brk = end;
    char *limit = (char *)_estack - (uintptr_t)_stack_size;
    if (increment > limit - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *previous = brk;
    brk += increment;
    return previous;
}

int _write(int fd, const char *text, int length) {
    (void)fd;
    for (int i = 0; i < length; i++) board_putchar(text[i]);
    return length;
}

int _read(int fd, char *buffer, int length) {
    (void)fd;
    (void)buffer;
    (void)length;
    return 0;
}

int _close(int fd) {
    (void)fd;
    return -1;
}

/* The console is a character device: newlib line-buffers stdout. */
int _fstat(int fd, struct stat *status) {
    (void)fd;
    status->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd) {
    (void)fd;
    return 1;
}

int _lseek(int fd, int offset, int whence) {
    (void)fd;
    (void)offset;
    (void)whence;
    return 0;
}

void _exit(int status) {
    board_exit(status);
}

int _kill(int pid, int signal) {
    (void)pid;
    (void)signal;
    errno = EINVAL;
    return -1;
}

int _getpid(void) {
    return 1;
}
