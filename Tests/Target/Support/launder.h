// launder: a pointer passed through a volatile, so that GCC can neither see
// where it came from nor warn about or fold what a test does with it on
// purpose (a double free, a free of a stack address or of a pointer
// outside the heap, a write past a block's end).
#ifndef TARGET_SUPPORT_LAUNDER_H
#define TARGET_SUPPORT_LAUNDER_H

#include <stdint.h>

static inline void *launder(void *pointer) {
    void *volatile laundered = pointer;
    return laundered;
}

// An address as a pointer, laundered.
static inline void *launder_address(uintptr_t address) {
    return launder((void *)address);
}

#endif
