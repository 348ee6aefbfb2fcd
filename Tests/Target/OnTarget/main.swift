// Cairn's on-target test firmware: the allocators' algorithms run directly
// over a static region (Swift scenarios), then the malloc family through
// the real hooks and the firmware's heap (C suites). It prints one line per
// failed check, then `N passed, N failed`, and exits non-zero on failure.
import Cairn

@main
struct OnTargetTests {
    static func main() {
        ontarget_print_banner()
        runSlabScenarios()
        runBumpScenarios()
        announce("malloc family through the C hooks")
        ontarget_run_malloc_family_tests()
        announce("global heap: exhaustion, recovery, churn")
        ontarget_run_global_heap_stress_tests()
        announce("newlib's allocations")
        ontarget_run_newlib_heap_tests()
        ontarget_check_global_heap_intact()
        ontarget_finish()
    }
}
