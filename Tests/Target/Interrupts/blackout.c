// The interrupt blackout Cairn causes, measured on mps2-an386 and
// mps2-an505 under `ICOUNT=1` (mk/reliability.mk's blackout test).
//
// This firmware's Cairn is built with CAIRN_BLACKOUT_PROBE, which makes
// cairn_enter and cairn_leave (cairn_critical.h) call the two probes below
// when they mask and unmask interrupts from an unmasked state: each probe
// reads a free-running CMSDK timer, so every interval for which Cairn kept
// interrupts masked is measured, and the longest kept. No other build has
// the probes.
//
// Two phases, each PHASE_TICKS SysTick interrupts long (SysTick every
// IRQ_PERIOD core clocks):
//   quiet  main spins without touching the heap;
//   storm  main fills the heap until every request fails (every class
//          exhausted, so class refills reclaim pages), frees part of it at
//          random and fills again, through malloc, calloc, realloc,
//          posix_memalign and free.
// The SysTick handler reads how many core clocks passed since the counter
// reloaded: its latency. Printed, in instructions (the counters calibrated
// on a loop of known length): the longest blackout, the probes' own cost
// (an empty critical section), and the latency of the periodic interrupt,
// worst and average, in each phase. The make recipe compares the blackout
// with the stated worst case (scripts/wcet.py on this very ELF), with
// realloc's copy and calloc's zeroing of STORM_LARGEST bytes added.
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "board.h"
#include "cairn.h"
#include "cairn_critical.h"
#include "../Support/systick.h"
#include "xorshift32.h"

#ifndef CAIRN_BLACKOUT_PROBE
#error "build with -DCAIRN_BLACKOUT_PROBE (mk/reliability.mk)"
#endif
#ifndef IRQ_PERIOD
#define IRQ_PERIOD 4000
#endif
#ifndef PHASE_TICKS
#define PHASE_TICKS 3000
#endif
// The CMSDK APB timer the probes read (mk/reliability.mk, per board).
#ifndef BLACKOUT_TIMER
#error "BLACKOUT_TIMER (a CMSDK timer's base address) must come from the build"
#endif

#define TIMER_CTRL (*(volatile uint32_t *)(BLACKOUT_TIMER + 0x00u))
#define TIMER_VALUE (*(volatile uint32_t *)(BLACKOUT_TIMER + 0x04u))
#define TIMER_RELOAD (*(volatile uint32_t *)(BLACKOUT_TIMER + 0x08u))

// --- The probes --------------------------------------------------------------

static uint32_t masked_at;
static volatile uint32_t longest_ticks, sections;

void cairn_blackout_begin(void) {
    masked_at = TIMER_VALUE;
}

void cairn_blackout_end(void) {
    uint32_t ticks = masked_at - TIMER_VALUE;   // the timer counts down
    if (ticks > longest_ticks) longest_ticks = ticks;
    sections++;
}

// --- Calibration: counter ticks per instruction, times 1024 -------------------

// 2 * n + 1 instructions from the first subs to the bx... here inline: the
// loop alone, 2 * n instructions (subs, bne).
__attribute__((noinline)) static void known_loop(uint32_t n) {
    __asm volatile("1: subs %0, #1\n\tbne 1b" : "+l"(n) : : "cc");
}

enum { CALIBRATION_LOOPS = 200000 };

static uint32_t timer_ticks_x1024, systick_ticks_x1024;

static void calibrate(void) {
    uint32_t t0 = TIMER_VALUE;
    known_loop(CALIBRATION_LOOPS);
    uint32_t t1 = TIMER_VALUE;
    timer_ticks_x1024 = (uint32_t)((uint64_t)(t0 - t1) * 1024 / (2u * CALIBRATION_LOOPS));
    systick_start_counting();
    uint32_t s0 = SYST_CVR;
    known_loop(CALIBRATION_LOOPS);
    uint32_t s1 = SYST_CVR;
    systick_stop();
    systick_ticks_x1024 = (uint32_t)((uint64_t)((s0 - s1) & SYSTICK_MASK) * 1024 / (2u * CALIBRATION_LOOPS));
}

static uint32_t instructions(uint64_t ticks, uint32_t ticks_x1024) {
    return ticks_x1024 == 0 ? 0 : (uint32_t)((ticks * 1024 + ticks_x1024 / 2) / ticks_x1024);
}

// --- The periodic interrupt -------------------------------------------------------

static volatile uint32_t ticks, latency_worst;
static volatile uint64_t latency_total;
static uint32_t previous_reload;   // the timer's value when SysTick last reloaded

void SysTick_Handler(void) {
    // SysTick reloads every IRQ_PERIOD core clocks and pends the interrupt;
    // the free-running timer counts the same clock (checked in main). The
    // interrupt was due at the first reload after the one the previous
    // tick served: a blackout longer than a period delays it across
    // several reloads, which the counter alone cannot tell apart.
    uint32_t now = TIMER_VALUE;
    uint32_t since_reload = (IRQ_PERIOD - 1) - SYST_CVR;
    uint32_t latency = ticks == 0 ? since_reload : (previous_reload - IRQ_PERIOD) - now;
    // A reload between the two reads of the previous tick made it take
    // that reload, whose interrupt is this one, for the one before: this
    // tick was due a period earlier than computed.
    if ((int32_t)latency < 0) latency += IRQ_PERIOD;
    previous_reload = now + since_reload;   // the timer counts down
    if (latency > latency_worst) latency_worst = latency;
    latency_total += latency;
    ticks++;
}

static void start_ticks(void) {
    ticks = 0;
    latency_worst = 0;
    latency_total = 0;
    systick_start_periodic(IRQ_PERIOD);
}

static void stop_ticks(void) {
    uint32_t saved = board_irq_save();
    systick_stop();
    board_irq_restore(saved);
}

// --- The storm ---------------------------------------------------------------------

enum { SLOTS = 2048 };
static void *slots[SLOTS];
static uint32_t sizes[SLOTS];
static uint32_t random_state = 0x2545F491u;
static uint32_t operations, failures;

static uint32_t next_random(void) {
    return xorshift32_next(&random_state);
}

// Mostly class sizes, some large blocks, a few big ones (at most
// STORM_LARGEST bytes: realloc copies and calloc zeroes up to that many
// with interrupts masked).
#ifndef STORM_LARGEST
#define STORM_LARGEST 18688
#endif
static uint32_t random_size(void) {
    uint32_t r = next_random();
    uint32_t pick = r % 100;
    r >>= 8;
    if (pick < 70) return 1 + r % 256;
    if (pick < 95) return 257 + r % 2048;
    return 2305 + r % (STORM_LARGEST - 2304);
}

static void *allocate(uint32_t size) {
    operations++;
    switch (next_random() % 4) {
    case 0: return calloc(1, size);
    case 1: {
        void *block = NULL;
        return posix_memalign(&block, (size_t)8 << (next_random() % 6), size) == 0 ? block : NULL;
    }
    default: return malloc(size);
    }
}

static void storm_step(void) {
    unsigned slot = next_random() % SLOTS;
    if (slots[slot] == NULL) {
        uint32_t size = random_size();
        slots[slot] = allocate(size);
        if (slots[slot] == NULL) {
            failures++;
            // Full: free a random tenth, so the next fill refills classes
            // whose pages were given back.
            for (unsigned i = 0; i < SLOTS / 10; i++) {
                unsigned victim = next_random() % SLOTS;
                free(slots[victim]);
                slots[victim] = NULL;
            }
        } else {
            sizes[slot] = size;
        }
    } else if (next_random() % 4 == 0) {
        operations++;
        uint32_t size = random_size();
        void *moved = realloc(slots[slot], size);
        if (moved != NULL) {
            slots[slot] = moved;
            sizes[slot] = size;
        }
    } else {
        operations++;
        free(slots[slot]);
        slots[slot] = NULL;
    }
}

// --- Report ------------------------------------------------------------------------

static void field(const char *key, uint32_t value) {
    board_puts(key);
    board_puts("=");
    board_putdec32(value);
    board_puts(" ");
}

static void report_phase(const char *name) {
    board_puts("blackout: phase=");
    board_puts(name);
    board_puts(" ");
    field("ticks", ticks);
    field("latency_worst", instructions(latency_worst, timer_ticks_x1024));
    field("latency_avg", ticks == 0 ? 0 : instructions(latency_total / ticks, timer_ticks_x1024));
    board_puts("\n");
}

int main(void) {
    TIMER_CTRL = 0;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1;
    calibrate();
    board_puts("blackout: ");
    field("timer_ticks_per_1024_instructions", timer_ticks_x1024);
    field("systick_ticks_per_1024_instructions", systick_ticks_x1024);
    field("period_clocks", IRQ_PERIOD);
    board_puts("\n");
    // The latency is read on the timer in core clocks: both must count the
    // same clock.
    if (timer_ticks_x1024 == 0 || timer_ticks_x1024 * 100 < systick_ticks_x1024 * 99
        || timer_ticks_x1024 * 100 > systick_ticks_x1024 * 101) {
        board_puts("blackout: FAIL the timer does not count the core clock\n");
        return 1;
    }

    // The probes' own cost: an empty critical section.
    uint32_t saved = cairn_enter();
    cairn_leave(saved);
    uint32_t probe_ticks = longest_ticks;
    longest_ticks = 0;
    sections = 0;

    start_ticks();
    while (ticks < PHASE_TICKS) {
        known_loop(50);
    }
    stop_ticks();
    report_phase("quiet");
    uint32_t quiet_worst = latency_worst;

    start_ticks();
    while (ticks < PHASE_TICKS) {
        storm_step();
    }
    stop_ticks();
    report_phase("storm");

    uint32_t longest = longest_ticks > probe_ticks ? longest_ticks - probe_ticks : 0;
    board_puts("blackout: ");
    field("sections", sections);
    field("operations", operations);
    field("failed_allocations", failures);
    field("probe_instructions", instructions(probe_ticks, timer_ticks_x1024));
    field("longest_instructions", instructions(longest, timer_ticks_x1024));
    board_puts("\n");
    for (unsigned i = 0; i < SLOTS; i++) free(slots[i]);
    int ok = cairn_check_integrity() == 0 && sections > 0 && failures > 0;
    board_puts(ok ? "blackout: storm done, heap intact\n" : "blackout: FAIL heap damaged or storm too short\n");
    // Only Cairn masks interrupts in the storm: a tick waits at most the
    // longest blackout, plus what it waits with nothing masked, plus the
    // probes and the handler's return into a pending tick.
    int plausible = latency_worst <= longest_ticks + quiet_worst + 4 * probe_ticks + 256;
    if (!plausible) board_puts("blackout: FAIL a tick waited longer than the longest blackout allows\n");
    return ok && plausible ? 0 : 1;
}
