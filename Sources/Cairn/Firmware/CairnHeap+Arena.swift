// The Swift face of the heap routing: the allocator selected for thread
// mode, and scoped arenas on the bump arena (BUMP_ARENA_SIZE). The rules
// are ``HeapRouter``'s.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

extension CairnHeap {
    /// Selects the allocator that serves this firmware's thread-mode
    /// allocations outside scoped arenas: `.bump` for objects that live for
    /// ever (no per-block cost, no fragmentation), `.slab` (the default)
    /// for everything that comes and goes. Frees always go to the block's
    /// owner, and interrupt handlers always allocate from the slab. False
    /// when the build has no bump arena (nothing changes).
    @discardableResult
    public static func use(_ allocator: HeapChoice) -> Bool {
        cairn_swift_use(Int32(allocator.rawValue)) == 0
    }

    /// Runs `body` with every thread-mode allocation (Swift objects,
    /// arrays, `malloc`) served from a scoped arena of at most `bytes`
    /// bytes on the bump arena, and releases all of it at once when `body`
    /// returns. Returns `body`'s result, or `nil` without running it when
    /// no such arena can open: no bump arena in this build, fewer than
    /// `bytes` bytes left in it, or called from an interrupt handler.
    ///
    /// - Nothing allocated inside may outlive the call: the result is
    ///   `BitwiseCopyable` (it cannot hold a reference), and `body` must
    ///   not store an object it created where code after the scope finds it.
    /// - A block freed inside is a no-op, or rolls the arena back when it
    ///   is the newest; a block freed after the scope has closed is
    ///   reported as a foreign pointer (a checked firmware stops) unless a
    ///   later allocation has already reused its address.
    /// - An allocation the arena cannot hold fails, as when a heap is full
    ///   (the Swift runtime traps).
    /// - Interrupt handlers keep allocating from the slab.
    /// - Scopes nest: an inner scope takes its bytes from the outer one's.
    public static func withArena<Result: BitwiseCopyable>(bytes: Int, _ body: () -> Result) -> Result? {
        guard bytes >= 0, let scope = openPlatformScope(bytes: UInt(bytes)) else { return nil }
        let result = body()
        // The innermost scope: `body` returned, so every scope it opened has closed.
        closePlatformScope(scope)
        return result
    }

    /// The bump arena's figures and the routing state.
    public static var arenaStatistics: HeapRouterStatistics {
        let saved = cairn_enter()
        defer { cairn_leave(saved) }
        return routerStatistics
    }
}
#endif
