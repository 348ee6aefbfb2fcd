/* Instruction counting with SysTick under `qemu -icount shift=6`.
 *
 * With icount the virtual clock advances exactly 2^6 ns per instruction,
 * and QEMU's SysTick, clocked from the core clock (CSR.CLKSOURCE = 1),
 * counts down one tick per core-clock period. mps2-an386's core clock is
 * 25 MHz, so one instruction is 64 / 40 = 1.6 ticks; microbit's is 16 MHz,
 * 1.024 ticks. (The reference clock, CLKSOURCE = 0, is too coarse.)
 *
 * A tick count read at one instant is floor((time + phase) / period), so
 * one pair of reads is off by up to one tick. bench_time_call reads the
 * counter five times on each side, at instruction offsets 0, 2, 4, 6, 8.
 * On mps2 those offsets land on the five different fractional phases of a
 * 1.6-tick step (0, .2, .4, .6, .8, in some order), so the rounding errors
 * of the five pairs add up to exactly zero: the sum of the five
 * differences is 5 * 1.6 = 8 ticks per instruction, an exact count. On
 * microbit the phases barely differ, so a single measured call is within
 * one instruction; averages over many calls are not biased.
 *
 * The counter is 24 bits with RELOAD = 0xFFFFFF, so each difference is
 * taken modulo 2^24: any interval shorter than 2^24 ticks (10.4 million
 * instructions on mps2) is right even across the wrap.
 */
#include "bench.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE 1u
#define SYST_CSR_CORE_CLOCK 4u
#define SYST_CSR_COUNTFLAG (1u << 16)
#define COUNTER_MASK 0xFFFFFFu

/* Counter ticks per instruction as a fraction NUM / DEN: the core clock
 * times 64 ns (set per board by mk/bench.mk). */
#ifndef BENCH_TICKS_NUM
#error "BENCH_TICKS_NUM / BENCH_TICKS_DEN (ticks per instruction) must come from the build"
#endif

/* Written by bench_time_call: five reads before the call, five after. */
uint32_t bench_counter_reads[10];

/* Instructions of a timed call to bench_null_call (whose one instruction,
 * its return, stands for the callee's own return). */
static uint32_t harness_instructions;
/* Sums that were not a whole number of instructions (mps2 only): a sign
 * that the clock is not what this file assumes. */
static uint32_t inexact_reads;

/* Five times the ticks between the read pairs of the last timed call. */
static uint32_t tick_sum(void) {
    uint32_t sum = 0;
    for (int k = 0; k < 5; k++) {
        sum += (bench_counter_reads[k] - bench_counter_reads[5 + k]) & COUNTER_MASK;
    }
    return sum;
}

/* Instructions between the read pairs of the last timed call. */
static uint32_t interval_instructions(void) {
    uint64_t scaled = (uint64_t)tick_sum() * BENCH_TICKS_DEN;
    uint32_t divisor = 5u * BENCH_TICKS_NUM;
    if (scaled % divisor != 0 && BENCH_TICKS_NUM == 8) inexact_reads++;
    return (uint32_t)((scaled + divisor / 2) / divisor);
}

uint32_t bench_callee_instructions(void) {
    uint32_t interval = interval_instructions();
    /* The callee's return replaces the null callee's. */
    return interval + 1 > harness_instructions ? interval + 1 - harness_instructions : 0;
}

void bench_clock_init(void) {
    SYST_CSR = 0;
    SYST_RVR = COUNTER_MASK;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_CORE_CLOCK;
    /* Deterministic under icount; the smallest of a few runs also guards
     * against a board that is not. */
    uint32_t least = UINT32_MAX;
    for (int i = 0; i < 8; i++) {
        bench_time_call((const void *)bench_null_call, 0, 0, 0);
        uint32_t n = interval_instructions();
        if (n < least) least = n;
    }
    harness_instructions = least;
}

int bench_time_long(const void *fn, uintptr_t a0, uint32_t *instructions) {
    /* Restart the count from RELOAD and clear COUNTFLAG (reading CSR
     * clears it): if the flag is set afterwards the count passed zero and
     * the interval may exceed 2^24 ticks. */
    SYST_CVR = 0;
    (void)SYST_CSR;
    bench_time_call(fn, a0, 0, 0);
    int wrapped = (SYST_CSR & SYST_CSR_COUNTFLAG) != 0;
    *instructions = bench_callee_instructions();
    return wrapped ? -1 : 0;
}

int bench_clock_self_test(void) {
    static const uint32_t iterations[] = { 1, 10, 100, 1000, 100000, 4000000 };
    int failures = 0;
    bench_put_field("harness_instructions", harness_instructions);
    bench_put("\n");
    for (unsigned i = 0; i < sizeof iterations / sizeof iterations[0]; i++) {
        uint32_t expected = 2 * iterations[i] + 1;
        uint32_t measured = 0;
        int wrapped = bench_time_long((const void *)bench_known_loop, iterations[i], &measured);
        uint32_t error = measured > expected ? measured - expected : expected - measured;
        /* Exact where the phases cancel (mps2); elsewhere within one or
         * two instructions, and within 2% from 100 instructions up. */
        int ok = !wrapped && (BENCH_TICKS_NUM == 8 ? error == 0
                                                   : error <= 2 && (expected < 100 || error * 50 <= expected));
        bench_put(ok ? "clock-ok" : "clock-FAIL");
        bench_put_field(" loop_expected", expected);
        bench_put_field(" measured", measured);
        bench_put("\n");
        failures += !ok;
    }
    /* A loop longer than 2^24 ticks must be reported, not wrapped silently. */
    uint32_t ignored;
    int long_flagged = bench_time_long((const void *)bench_known_loop, 9000000, &ignored) != 0;
    bench_put(long_flagged ? "clock-ok wrap detected" : "clock-FAIL wrap not detected");
    bench_put("\n");
    failures += !long_flagged;
    bench_put_field("inexact_reads", inexact_reads);
    bench_put("\n");
    failures += inexact_reads != 0;
    return failures;
}
