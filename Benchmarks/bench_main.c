/* The benchmark firmware's main: reads the workload name from the
 * semihosting command line (`qemu ... -append WORKLOAD`), runs it on a
 * fresh heap and prints one RESULT line of key=value fields, which
 * scripts/bench.py turns into the tables. Exit status 0 unless the
 * workload's data was corrupted or the clock self-test failed.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "board.h"

struct bench_series bench_allocs, bench_frees, bench_reallocs;
int bench_warm;
uint64_t bench_extra_value;
const char *bench_extra_name;

uintptr_t bench_touched_low, bench_touched_high;

static size_t requested_live, requested_peak, requested_largest;
static uint64_t overhead_bytes_x100;
static int overhead_known;

/* --- Output ------------------------------------------------------------- */

void bench_put(const char *text) { board_puts(text); }

void bench_put_u64(uint64_t value) {
    char digits[21];
    int i = sizeof digits - 1;
    digits[i] = 0;
    do {
        digits[--i] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    board_puts(&digits[i]);
}

void bench_put_field(const char *key, uint64_t value) {
    board_puts(key);
    board_puts("=");
    bench_put_u64(value);
}

/* --- Series and memory accounting ------------------------------------- */

void bench_series_add(struct bench_series *series, uint32_t instructions) {
    series->ops++;
    series->total += instructions;
    if (instructions > series->worst) series->worst = instructions;
    if (bench_warm && instructions > series->warm_worst) series->warm_worst = instructions;
}

/* Extra figures for the RESULT line. */
enum { MAX_REPORTS = 8 };
static struct { const char *key; uint64_t value; } reports[MAX_REPORTS];
static unsigned report_count;

void bench_report(const char *key, uint64_t value) {
    if (report_count == MAX_REPORTS) return;
    reports[report_count].key = key;
    reports[report_count].value = value;
    report_count++;
}

static void note_touched(const void *block, size_t bytes) {
    uintptr_t low = (uintptr_t)block, high = low + bytes;
    if (bench_touched_high == 0 || low < bench_touched_low) bench_touched_low = low;
    if (high > bench_touched_high) bench_touched_high = high;
}

void bench_note_alloc(size_t bytes) {
    if (bytes > requested_largest) requested_largest = bytes;
    requested_live += bytes;
    if (requested_live > requested_peak) requested_peak = requested_live;
}

void bench_note_free(size_t bytes) { requested_live -= bytes; }

void bench_checkpoint(uint32_t live_blocks) {
    size_t held = bench_heap_held_bytes();
    if (live_blocks == 0) return;
    overhead_bytes_x100 = held > requested_live ? (uint64_t)(held - requested_live) * 100 / live_blocks : 0;
    overhead_known = 1;
}

/* --- Timed calls ---------------------------------------------------------- */

void *bench_malloc(size_t bytes) {
    void *block = bench_time_call((const void *)malloc, bytes, 0, 0);
    bench_series_add(&bench_allocs, bench_callee_instructions());
    if (block == NULL) {
        bench_allocs.failures++;
    } else {
        bench_note_alloc(bytes);
        note_touched(block, bytes);
    }
    return block;
}

void bench_free(void *block, size_t bytes) {
    if (block == NULL) return;
    bench_time_call((const void *)free, (uintptr_t)block, 0, 0);
    bench_series_add(&bench_frees, bench_callee_instructions());
    bench_note_free(bytes);
}

void *bench_realloc(void *block, size_t old_bytes, size_t bytes) {
    void *moved = bench_time_call((const void *)realloc, (uintptr_t)block, bytes, 0);
    bench_series_add(&bench_reallocs, bench_callee_instructions());
    if (moved == NULL) {
        bench_reallocs.failures++;
    } else {
        bench_note_free(old_bytes);
        bench_note_alloc(bytes);
        note_touched(moved, bytes);
    }
    return moved;
}

/* --- Command line ---------------------------------------------------------- */

/* SYS_GET_CMDLINE: QEMU answers with the ELF path, a space and the -append
 * text. Returns the last word, or "" when there is none. The whole line
 * (with a path as long as the clone's) is read into a stack buffer, which
 * costs no static RAM on the 16 KiB board; only the word is kept. */
static const char *workload_name(void) {
    static char word[24];
    char line[320];
    struct { char *buffer; int length; } block = { line, sizeof line - 1 };
    register uintptr_t r0 __asm("r0") = 0x15;
    register void *r1 __asm("r1") = &block;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    if (r0 != 0) return "";
    line[sizeof line - 1] = 0;
    const char *last = line;
    for (const char *c = line; *c; c++) {
        if (*c == ' ') last = c + 1;
    }
    size_t n = 0;
    while (last[n] != 0 && n < sizeof word - 1) { word[n] = last[n]; n++; }
    word[n] = 0;
    return word;
}

static void put_series(const char *name, const struct bench_series *s) {
    bench_put(" ");
    bench_put(name);
    bench_put_field("_ops", s->ops);
    bench_put(" ");
    bench_put(name);
    bench_put_field("_total", s->total);
    bench_put(" ");
    bench_put(name);
    bench_put_field("_worst", s->worst);
    bench_put(" ");
    bench_put(name);
    bench_put_field("_warm_worst", s->warm_worst);
    bench_put(" ");
    bench_put(name);
    bench_put_field("_failures", s->failures);
}

struct workload {
    const char *name;
    int (*run)(void);
};

/* The adversarial runs are linked into the Cairn builds only (worst_case.c;
 * full newlib's RAM on microbit has no room for their tables): weak here,
 * and unknown where they are absent. */
#pragma weak bench_workload_worst_malloc
#pragma weak bench_workload_worst_free
#pragma weak bench_workload_worst_memalign
#pragma weak bench_workload_worst_realloc
#pragma weak bench_workload_worst_calloc

static int swift_per_call(void) { return bench_workload_swift(0); }
static int swift_total(void) { return bench_workload_swift(1); }

static const struct workload workloads[] = {
    { "pair", bench_workload_pair },
    { "fifo", bench_workload_fifo },
    { "lifo", bench_workload_lifo },
    { "realloc-in-place", bench_workload_realloc_in_place },
    { "realloc-moving", bench_workload_realloc_moving },
    { "churn", bench_workload_churn },
    { "mixed-churn", bench_workload_mixed_churn },
    { "swift", swift_per_call },
    { "swift-total", swift_total },
    { "bound", bench_workload_bound },
    { "run-bound", bench_workload_run_bound },
    { "hooks", bench_workload_hooks },
    { "worst-malloc", bench_workload_worst_malloc },
    { "worst-free", bench_workload_worst_free },
    { "worst-memalign", bench_workload_worst_memalign },
    { "worst-realloc", bench_workload_worst_realloc },
    { "worst-calloc", bench_workload_worst_calloc },
};

/* Sets the allocator up without leaving a block behind: an impossible
 * request. Cairn configures its heap on the first failure, newlib asks
 * _sbrk. Timed so the set-up cost is on record, apart from the workload. */
static uint32_t first_call(void) {
    void *block = bench_time_call((const void *)malloc, SIZE_MAX / 2, 0, 0);
    uint32_t instructions = bench_callee_instructions();
    if (block != NULL) free(block);
    return instructions;
}

int main(void) {
    bench_clock_init();
    const char *name = workload_name();
    if (strcmp(name, "smoke") == 0) {
        int failures = bench_clock_self_test();
        bench_put(failures == 0 ? "bench-smoke: PASS\n" : "bench-smoke: FAIL\n");
        return failures == 0 ? 0 : 1;
    }
    for (unsigned i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        if (strcmp(name, workloads[i].name) != 0 || workloads[i].run == NULL) continue;
        uint32_t setup = first_call();
        int status = workloads[i].run();
        bench_put("RESULT allocator=");
        bench_put(bench_allocator_name);
        bench_put(" workload=");
        bench_put(name);
        bench_put_field(" status", (uint64_t)status);
        bench_put_field(" setup", setup);
        put_series("alloc", &bench_allocs);
        put_series("free", &bench_frees);
        put_series("realloc", &bench_reallocs);
        bench_put_field(" peak_requested", requested_peak);
        bench_put_field(" peak_arena", bench_heap_peak_bytes());
        bench_put_field(" largest_request", requested_largest);
        bench_put_field(" touched", bench_touched_high - bench_touched_low);
        if (overhead_known) bench_put_field(" overhead_x100", overhead_bytes_x100);
        if (bench_extra_name != NULL) {
            bench_put(" ");
            bench_put_field(bench_extra_name, bench_extra_value);
        }
        for (unsigned r = 0; r < report_count; r++) {
            bench_put(" ");
            bench_put_field(reports[r].key, reports[r].value);
        }
        bench_put("\n");
        return status;
    }
    bench_put("bench: unknown workload '");
    bench_put(name);
    bench_put("'\n");
    return 2;
}
