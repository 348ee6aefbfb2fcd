/* The timed call: the one piece of the harness whose instruction count
 * must be exactly the same around every allocator.
 *
 *   void *bench_time_call(fn, a0, a1, a2)
 *
 * calls fn(a0, a1, a2) and returns its r0 unchanged. Around the call it
 * reads SysTick's current value (SYST_CVR) five times before and five times
 * after, storing each into bench_counter_reads[0..9]. The reads sit two
 * instructions apart, so under `-icount shift=6` on a 25 MHz core (1.6
 * counter ticks per instruction) their offsets 0, 2, 4, 6, 8 fall on all
 * five phases of the tick grid: the sum of the five before/after
 * differences is then exactly 8 times the instructions in between, with no
 * rounding (see bench_clock.c). Each read is paired with the read at the
 * same offset after the call, so every pair spans the same instructions.
 *
 * Thumb-1 only: the same code runs on Cortex-M0 and Cortex-M4.
 */
    .syntax unified
    .thumb

    .section .text.bench_time_call, "ax", %progbits
    .global bench_time_call
    .type bench_time_call, %function
    .thumb_func
bench_time_call:
    push {r4-r7, lr}
    mov r12, r0
    mov r0, r1
    mov r1, r2
    mov r2, r3
    ldr r4, =0xE000E018         @ SYST_CVR
    ldr r6, =bench_counter_reads
    mov r7, r12
    ldr r5, [r4]
    str r5, [r6, #0]
    ldr r5, [r4]
    str r5, [r6, #4]
    ldr r5, [r4]
    str r5, [r6, #8]
    ldr r5, [r4]
    str r5, [r6, #12]
    ldr r5, [r4]
    str r5, [r6, #16]
    blx r7
    ldr r5, [r4]
    str r5, [r6, #20]
    ldr r5, [r4]
    str r5, [r6, #24]
    ldr r5, [r4]
    str r5, [r6, #28]
    ldr r5, [r4]
    str r5, [r6, #32]
    ldr r5, [r4]
    str r5, [r6, #36]
    pop {r4-r7, pc}
    .size bench_time_call, . - bench_time_call
    .ltorg

/* The calibration callee: one instruction, so a timed call of it measures
 * the harness alone (its return is the one instruction every callee has). */
    .section .text.bench_null_call, "ax", %progbits
    .global bench_null_call
    .type bench_null_call, %function
    .thumb_func
bench_null_call:
    bx lr
    .size bench_null_call, . - bench_null_call

/* A loop of exactly 2 * n + 1 instructions from entry to return for n >= 1
 * (subs and bne per iteration, the final bx), for the counter's self-test. */
    .section .text.bench_known_loop, "ax", %progbits
    .global bench_known_loop
    .type bench_known_loop, %function
    .thumb_func
bench_known_loop:
1:  subs r0, #1
    bne 1b
    bx lr
    .size bench_known_loop, . - bench_known_loop
