// The C side of the demo, seen from Swift.
#ifndef CAIRN_DEMO_BRIDGING_H
#define CAIRN_DEMO_BRIDGING_H

// Uses malloc, strdup, calloc, realloc and printf; returns the number of
// checks that failed.
int demo_c_exercise(void);

// Prints the deepest stack use so far (the board paints the stack at reset).
void demo_report_stack(void);

// Ends the program with `status` (semihosting exit under QEMU).
void demo_exit(int status) __attribute__((noreturn));

#endif
