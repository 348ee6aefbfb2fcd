// The Swift view of the firmware heap, for Embedded Swift firmware that
// imports Cairn. Each call goes through the C entry point, which masks
// interrupts while the heap is walked.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

/// The firmware's heap: the allocator behind `posix_memalign`/`free` and
/// the C `malloc` family.
public enum CairnHeap {
    /// Sets the heap up if it is not yet (see `cairn_init`: Cairn's C
    /// constructor already does it before `main`); true when it is ready.
    /// For a startup that runs no constructors.
    @discardableResult
    public static func setUp() -> Bool {
        cairn_init() == 0
    }

    /// Gives the heap another region (`cairn_add_region`): true when added.
    /// Call it at startup, before anything allocates.
    @discardableResult
    public static func addRegion(_ region: UnsafeMutableRawBufferPointer) -> Bool {
        cairn_add_region(region.baseAddress, region.count) == 0
    }

    /// Prints the heap report on the console; true when the heap is intact.
    @discardableResult
    public static func printReport() -> Bool {
        cairn_print_report() == 0
    }

    /// Runs the integrity check: nil when every invariant holds, else the
    /// broken one.
    public static func checkIntegrity() -> IntegrityProblem? {
        IntegrityProblem(rawValue: UInt8(truncatingIfNeeded: cairn_check_integrity()))
    }

    /// Sets the function a release build calls after it reports a heap
    /// corruption (see ``MisuseKind/heapCorruption`` and `cairn.h`): with
    /// the damaged block's address and size class (-1: the fit heap), with
    /// interrupts masked; it may log, reset, or return to carry on. `nil`
    /// removes it. Checked builds report and stop instead.
    public static func setCorruptionHook(_ hook: cairn_corruption_hook?) {
        cairn_set_corruption_hook(hook)
    }

    /// Heap corruptions detected so far, and the free blocks lost with them.
    public static var corruption: (count: Int, lostBlocks: Int) {
        var lost = 0
        let count = cairn_corruption_count(&lost)
        return (count, lost)
    }

    /// Capacity, use, peak and counters, in bytes.
    public static var statistics: cairn_heap_stats {
        var stats = cairn_heap_stats()
        cairn_get_stats(&stats)
        return stats
    }
}
#endif
