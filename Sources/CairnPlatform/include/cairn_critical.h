/* Interrupt masking around every heap operation: save PRIMASK, mask,
 * restore. Nests, and costs three instructions. The Swift entry points
 * (Sources/Cairn/Firmware/CEntryPoints.swift) call these; being static
 * inline, they are inlined there, so a hook is a branch into Swift and no
 * more. On the host they compile to nothing (the host build has no hooks). */
#ifndef CAIRN_CRITICAL_H
#define CAIRN_CRITICAL_H

#include <stdint.h>

/* CAIRN_BLACKOUT_PROBE (the blackout test firmware's build only,
 * mk/reliability.mk): the outermost section calls these two right after
 * masking and right before unmasking, so the firmware can time every
 * interval with interrupts masked. Defined by that firmware. */
#ifdef CAIRN_BLACKOUT_PROBE
void cairn_blackout_begin(void);
void cairn_blackout_end(void);
#endif

static inline __attribute__((always_inline)) uint32_t cairn_enter(void) {
    uint32_t primask = 0;
#if defined(__arm__) && !defined(__linux__)
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
#ifdef CAIRN_BLACKOUT_PROBE
    if ((primask & 1) == 0) cairn_blackout_begin();
#endif
#endif
    return primask;
}

static inline __attribute__((always_inline)) void cairn_leave(uint32_t primask) {
#if defined(__arm__) && !defined(__linux__)
#ifdef CAIRN_BLACKOUT_PROBE
    if ((primask & 1) == 0) cairn_blackout_end();
#endif
    __asm volatile("msr primask, %0" : : "r"(primask) : "memory");
#else
    (void)primask;
#endif
}

#endif
