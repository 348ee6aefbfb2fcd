/* Interrupt masking for the hooks: save PRIMASK, mask, restore. Nests, and
 * costs three instructions. Private to Cairn's C shim. */
#ifndef CAIRN_CRITICAL_H
#define CAIRN_CRITICAL_H

#include <stdint.h>

static inline __attribute__((always_inline)) uint32_t cairn_enter(void) {
    uint32_t primask;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline __attribute__((always_inline)) void cairn_leave(uint32_t primask) {
    __asm volatile("msr primask, %0" : : "r"(primask) : "memory");
}

#endif
