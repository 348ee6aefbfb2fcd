// 4-byte atomics for ARMv6-M (Cortex-M0), which has no LDREX/STREX: LLVM
// lowers Swift's atomics to these libcalls instead. One core, so masking
// interrupts is enough to make a read-modify-write atomic. Not safe for
// data shared with a second bus master (DMA) or a second core.
//
// Signatures follow GCC's libatomic ABI; the memory order argument can be
// ignored because a single in-order core with interrupts masked is already
// sequentially consistent (the "memory" clobbers stop the compiler from
// moving accesses across).
#include <stdbool.h>
#include <stdint.h>

#include "board.h"

// GCC knows these names as built-ins typed with `unsigned int`, while
// newlib's uint32_t is `unsigned long`: spell the built-in's type so the
// declarations match, and check it is the 4 bytes the names promise.
typedef unsigned int atomic_word_t;
_Static_assert(sizeof(atomic_word_t) == 4, "__atomic_*_4 operate on 4-byte words");

// An aligned 32-bit load or store is a single access on the M0 (which
// faults on unaligned ones), so it is atomic without masking.
atomic_word_t __atomic_load_4(const volatile void *ptr, int order) {
    (void)order;
    return *(const volatile atomic_word_t *)ptr;
}

void __atomic_store_4(volatile void *ptr, atomic_word_t value, int order) {
    (void)order;
    *(volatile atomic_word_t *)ptr = value;
}

// The read-modify-write of exchange, fetch_add and fetch_sub: with
// interrupts masked, `*ptr` becomes what `change` makes of it and `value`.
// Returns the word it held. Inlined with `change` a constant, each entry
// point is its own straight-line code.
enum word_change { REPLACE, ADD, SUBTRACT };

__attribute__((always_inline)) static inline atomic_word_t read_modify_write(volatile void *ptr, atomic_word_t value,
                                                                           enum word_change change) {
    volatile atomic_word_t *word = ptr;
    uint32_t saved = board_irq_save();
    atomic_word_t old = *word;
    *word = change == ADD ? old + value : change == SUBTRACT ? old - value : value;
    board_irq_restore(saved);
    return old;
}

atomic_word_t __atomic_exchange_4(volatile void *ptr, atomic_word_t value, int order) {
    (void)order;
    return read_modify_write(ptr, value, REPLACE);
}

// On failure writes the value found to *expected, as the ABI requires.
bool __atomic_compare_exchange_4(volatile void *ptr, void *expected, atomic_word_t desired,
                                 bool weak, int success_order, int failure_order) {
    (void)weak;
    (void)success_order;
    (void)failure_order;
    volatile atomic_word_t *word = ptr;
    atomic_word_t *want = expected;
    uint32_t saved = board_irq_save();
    atomic_word_t current = *word;
    bool swapped = current == *want;
    if (swapped) {
        *word = desired;
    }
    board_irq_restore(saved);
    if (!swapped) {
        *want = current;
    }
    return swapped;
}

atomic_word_t __atomic_fetch_add_4(volatile void *ptr, atomic_word_t value, int order) {
    (void)order;
    return read_modify_write(ptr, value, ADD);
}

atomic_word_t __atomic_fetch_sub_4(volatile void *ptr, atomic_word_t value, int order) {
    (void)order;
    return read_modify_write(ptr, value, SUBTRACT);
}
