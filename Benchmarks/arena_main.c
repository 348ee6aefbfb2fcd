/* The smallest-arena firmware's main: reads "WORKLOAD BYTES" from the
 * semihosting command line, gives the allocator BYTES bytes, runs the
 * workload and prints
 *
 *   ARENA allocator=... workload=... scale=... bytes=N result=pass|refused|no-heap|corrupt
 *         peak_requested=... allocations=... seed=... stack=...
 *
 * (one line; stack: bytes of stack used). The exit status is the result
 * (arena.h), 2 for a bad command line. Output goes through the board
 * console only: newlib's stdio would allocate from the heap being measured.
 */
#include <string.h>

#include "arena.h"
#include "board.h"
#include "stack_guard.h"

uint32_t arena_workload_seed;

static const char *workload_name = "";
static size_t arena_bytes;

struct workload {
    const char *name;
    void (*run)(void);
};

static const struct workload workloads[] = {
    { "churn", arena_workload_churn },
    { "mixed", arena_workload_mixed },
    { "swift-like", arena_workload_swift_like },
    { "phases", arena_workload_phases },
};

static const char *const result_names[] = {
    [ARENA_PASS] = "pass",
    [ARENA_REFUSED] = "refused",
    [ARENA_NO_HEAP] = "no-heap",
    [ARENA_CORRUPT] = "corrupt",
};

static void put_field(const char *key, uint32_t value) {
    board_puts(" ");
    board_puts(key);
    board_puts("=");
    board_putdec32(value);
}

void arena_finish(enum arena_result result) {
    /* The microbit has no stack guard: a stack whose paint is all gone has
     * run into the static data or the arena, and nothing measured holds. */
    size_t stack = board_stack_high_water();
    if (stack >= (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit)) result = ARENA_CORRUPT;
    board_puts("ARENA allocator=");
    board_puts(arena_allocator_name);
    board_puts(" workload=");
    board_puts(workload_name);
    board_puts(BENCH_ARENA_SMALL ? " scale=small" : " scale=large");
    put_field("bytes", (uint32_t)arena_bytes);
    board_puts(" result=");
    board_puts(result_names[result]);
    put_field("peak_requested", (uint32_t)arena_requested_peak);
    put_field("allocations", arena_allocations);
    put_field("seed", arena_workload_seed);
    put_field("stack", (uint32_t)stack);
    board_puts("\n");
    board_exit((int)result);
}

/* SYS_GET_CMDLINE: QEMU answers with the ELF path, a space and the -append
 * text. Splits the last two words into `name` (copied into `word`) and a
 * decimal size; returns 0, or -1 when the line does not have that form. */
static int read_command_line(char *word, size_t word_size, size_t *bytes) {
    char line[320];
    struct { char *buffer; int length; } block = { line, sizeof line - 1 };
    register uintptr_t r0 __asm("r0") = 0x15;
    register void *r1 __asm("r1") = &block;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    if (r0 != 0) return -1;
    line[sizeof line - 1] = 0;
    /* Start of the last word and of the one before it. */
    const char *last = line, *before = NULL;
    for (const char *c = line; *c; c++) {
        if (*c == ' ' && c[1] != 0 && c[1] != ' ') {
            before = last;
            last = c + 1;
        }
    }
    if (before == NULL || *last == 0) return -1;
    size_t value = 0;
    for (const char *c = last; *c; c++) {
        if (*c < '0' || *c > '9') return -1;
        value = value * 10 + (size_t)(*c - '0');
    }
    size_t n = 0;
    while (before[n] != ' ' && n < word_size - 1) { word[n] = before[n]; n++; }
    word[n] = 0;
    *bytes = value;
    return 0;
}

int main(void) {
    static char name[24];
    if (read_command_line(name, sizeof name, &arena_bytes) != 0) {
        board_puts("arena: usage: -append \"WORKLOAD BYTES\"\n");
        return 2;
    }
    for (unsigned i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        if (strcmp(name, workloads[i].name) != 0) continue;
        workload_name = workloads[i].name;
        if (arena_heap_init(arena_bytes) != 0) arena_finish(ARENA_NO_HEAP);
        workloads[i].run();
        arena_finish(ARENA_PASS);
    }
    board_puts("arena: unknown workload '");
    board_puts(name);
    board_puts("'\n");
    return 2;
}
