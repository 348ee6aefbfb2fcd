// SysTick, the core's 24-bit down-counter on the core clock, as the test
// firmware drive it (Interrupts, HeapRouting, StackGuard): the periodic
// interrupt their handlers run on, a free-running count of core clocks,
// and one interrupt on demand.
#ifndef TARGET_SUPPORT_SYSTICK_H
#define TARGET_SUPPORT_SYSTICK_H

#include <stdint.h>

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE_CORE (1u << 2)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define ICSR_PENDSTCLR (1u << 25)
#define ICSR_PENDSTSET (1u << 26)

// The counter's range: it reloads from at most SYSTICK_MASK.
#define SYSTICK_MASK 0xFFFFFFu

// Starts the counter from 0, reloading with `value` (at most SYSTICK_MASK)
// every value + 1 core clocks; with `csr_interrupt` SYST_CSR_TICKINT, each
// reload also pends SysTick_Handler.
static inline void systick_start(uint32_t value, uint32_t csr_interrupt) {
    SYST_RVR = value;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE_CORE | csr_interrupt | SYST_CSR_ENABLE;
}

// A SysTick_Handler call every `period` core clocks.
static inline void systick_start_periodic(uint32_t period) {
    systick_start(period - 1, SYST_CSR_TICKINT);
}

// Counting only, no interrupt: read SYST_CVR (it counts down, modulo
// SYSTICK_MASK + 1).
static inline void systick_start_counting(void) {
    systick_start(SYSTICK_MASK, 0);
}

// Stops the counter and drops a tick already pending. With interrupts
// masked around it, the handler does not run again afterwards.
static inline void systick_stop(void) {
    SYST_CSR = 0;
    SCB_ICSR = ICSR_PENDSTCLR;
}

// Pends SysTick_Handler now, counter or not; the barriers make it run
// before the next instruction when interrupts are unmasked.
static inline void systick_pend(void) {
    SCB_ICSR = ICSR_PENDSTSET;
    __asm volatile("dsb\n\tisb" ::: "memory");
}

#endif
