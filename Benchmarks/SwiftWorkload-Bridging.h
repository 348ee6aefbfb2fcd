// What the Swift workload sees of the harness.
#ifndef CAIRN_BENCH_SWIFT_BRIDGING_H
#define CAIRN_BENCH_SWIFT_BRIDGING_H

// Marks the workload's most crowded moment (per-block overhead is taken there).
void bench_swift_checkpoint(void);

#endif
