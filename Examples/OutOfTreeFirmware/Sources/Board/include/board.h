// The board layer's interface to the firmware (Swift sees it as `import Board`).
#ifndef BOARD_H
#define BOARD_H

// Ends the run: under QEMU the host process exits with `status` (Arm
// semihosting); without a debugger attached the core stops here.
void board_exit(int status) __attribute__((noreturn));

#endif
