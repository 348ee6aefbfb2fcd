/* Interrupt masking around every heap operation: save PRIMASK, mask,
 * restore. Nests, and costs three instructions. The Swift entry points
 * (Sources/Cairn/Platform/CEntryPoints.swift) call these; being static
 * inline, they are inlined there, so a hook is a branch into Swift and no
 * more. On the host they compile to nothing (the host build has no hooks). */
#ifndef CAIRN_CRITICAL_H
#define CAIRN_CRITICAL_H

#include <stdint.h>

static inline __attribute__((always_inline)) uint32_t cairn_enter(void) {
    uint32_t primask = 0;
#if defined(__arm__) && !defined(__linux__)
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
#endif
    return primask;
}

static inline __attribute__((always_inline)) void cairn_leave(uint32_t primask) {
#if defined(__arm__) && !defined(__linux__)
    __asm volatile("msr primask, %0" : : "r"(primask) : "memory");
#else
    (void)primask;
#endif
}

#endif
