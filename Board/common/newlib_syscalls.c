// The system calls newlib expects from a bare-metal port. Console streams go
// to the UART; there is no file system, no process and, on purpose, no heap.
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/reent.h>
#include <sys/stat.h>

#include "board.h"

// errno lives in newlib's reentrancy structure (1 KiB in the full newlib).
// The errno macro would link that structure into every firmware, even one
// that never reads errno. Through a weak reference the word is written only
// where the firmware links it itself (it reads errno, or uses stdio).
#pragma weak _impure_ptr
static void set_errno(int code) {
    if (&_impure_ptr != NULL) _impure_ptr->_errno = code;
}

// newlib's own malloc grows its heap through _sbrk. Refusing keeps every
// byte of dynamic memory in Cairn's arena: if something in newlib still
// reaches its private malloc, it fails visibly instead of using RAM the
// linker script never gave it.
void *_sbrk(ptrdiff_t increment) {
    (void)increment;
    set_errno(ENOMEM);
    return (void *)-1;
}

static int is_console(int fd) {
    return fd >= 0 && fd <= 2;
}

int _write(int fd, const char *buf, int len) {
    if (!is_console(fd)) {
        set_errno(EBADF);
        return -1;
    }
    for (int i = 0; i < len; i++) {
        board_putchar(buf[i]);
    }
    return len;
}

// Console input is not wired up: reads see end of file.
int _read(int fd, char *buf, int len) {
    (void)buf;
    (void)len;
    if (!is_console(fd)) {
        set_errno(EBADF);
        return -1;
    }
    return 0;
}

int _close(int fd) {
    (void)fd;
    set_errno(EBADF);
    return -1;
}

int _fstat(int fd, struct stat *st) {
    if (!is_console(fd)) {
        set_errno(EBADF);
        return -1;
    }
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd) {
    if (!is_console(fd)) {
        set_errno(EBADF);
        return 0;
    }
    return 1;
}

int _lseek(int fd, int offset, int whence) {
    (void)fd;
    (void)offset;
    (void)whence;
    set_errno(ESPIPE);
    return -1;
}

void _exit(int status) {
    board_exit(status);
}

// abort() raises SIGABRT through _kill; reporting failure makes newlib fall
// through to _exit, which ends the run with a non-zero status.
int _kill(int pid, int sig) {
    (void)pid;
    (void)sig;
    set_errno(EINVAL);
    return -1;
}

int _getpid(void) {
    return 1;
}
