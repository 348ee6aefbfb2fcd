/// Which allocator serves a thread-mode allocation: the slab (``SlabAllocator``,
/// the default) or a bump arena (``BumpAllocator``) beside it, and the
/// scoped arenas opened on that bump arena.
///
/// The words: the *bump arena* is a region of its own, outside the slab's
/// arena (a firmware carves it from its heap with `BUMP_ARENA_SIZE`). A
/// firmware boots with its permanent objects in it (``select(_:)`` with
/// `.bump`), then selects the slab for everything that comes and goes. A
/// *scope* (``openScope(bytes:inHandlerMode:)``) serves every thread-mode
/// allocation from the bump arena, at most `bytes` of it, until it closes
/// and the top goes back to where it was: everything allocated in it is
/// released at once. Scopes nest (an inner scope takes its bytes from the
/// outer one's), and open on top of whatever the bump arena already holds.
///
/// Rules, the same on the host and on the target:
/// - An allocation in handler mode (an interrupt) always comes from the
///   slab: an interrupt cannot know what the code it interrupted has
///   selected, and memory it keeps must outlive any scope.
/// - A free goes to the allocator that owns the address, whatever is
///   selected: a bump block below the top is a counted no-op, or rolls
///   the top back when it is the newest block (see ``BumpAllocator``); an
///   address in the bump arena at or above the top was released by a scope
///   that has closed (or never handed out): it is reported as a foreign
///   pointer (a checked firmware stops) and counted in ``lateFrees``.
/// - A request a scope cannot hold fails (`nil`): a scope's size is its
///   budget, not a hint.
///
/// Cost: a firmware that never selects the bump arena and opens no scope
/// pays one test of ``routesToBump`` per allocation (of its mirror in the
/// slab, where the firmware's hooks test it), and nothing per free
/// of a slab block (a bump block's address lies outside the slab's arena,
/// so its free already leaves the slab's fast path). DESIGN.md has the
/// instruction counts.
///
/// Noncopyable: it holds a ``BumpAllocator``.
public struct HeapRouter: ~Copyable {
    /// The bump arena, for boot-time objects and scopes. Changed only
    /// through the router, which keeps its limit for the open scopes.
    public internal(set) var bump = BumpAllocator()
    /// Non-zero while thread-mode allocations go to the bump arena: bit 0
    /// is the selection, the rest counts open scopes (in steps of 2). One
    /// word, so the allocation paths test a single load.
    public private(set) var routesToBump: UInt = 0
    /// Frees of bump-arena addresses at or above the top.
    public private(set) var lateFrees: UInt = 0
    /// End of the bump arena (a scope lowers `bump.end` to its own limit).
    var arenaEnd: UInt = 0

    /// An unconfigured router: no bump arena, everything goes to the slab.
    public init() {}

    /// A router with the bump arena over `region` (which must outlive it).
    public init(region: UnsafeMutableRawBufferPointer, misuseHandler handler: MisuseHandler? = nil) {
        bump = BumpAllocator(region: region, misuseHandler: handler)
        arenaEnd = bump.end
    }

    /// True when there is a bump arena.
    public var hasBumpArena: Bool { bump.isConfigured }

    /// The allocator selected for thread mode outside scopes.
    public var selection: HeapChoice { routesToBump & 1 != 0 ? .bump : .slab }

    /// Scopes open now.
    public var openScopes: UInt { routesToBump &>> 1 }

    /// Selects the allocator that serves thread-mode allocations outside
    /// scopes. Selecting `.bump` without a bump arena is refused (false,
    /// nothing changes).
    @discardableResult
    public mutating func select(_ choice: HeapChoice) -> Bool {
        switch choice {
        case .slab:
            routesToBump &= ~1
        case .bump:
            guard hasBumpArena else { return false }
            routesToBump |= 1
        }
        return true
    }

    /// True when an allocation made now goes to the bump arena.
    @inline(__always)
    public func servesFromBump(inHandlerMode: Bool) -> Bool {
        routesToBump != 0 && !inHandlerMode
    }

    /// True when `block` lies in the bump arena (handed out or not).
    @inline(__always)
    public func ownsAddress(_ block: UInt) -> Bool {
        block &- bump.base < arenaEnd &- bump.base
    }

    // MARK: - Scopes

    /// Opens a scope of at most `bytes` bytes on top of the bump arena, or
    /// returns `nil` (nothing changes) in handler mode, without a bump
    /// arena, or when fewer than `bytes` bytes are left above the top.
    /// Every scope must be closed, innermost first, with
    /// ``closeScope(_:)``.
    public mutating func openScope(bytes: UInt, inHandlerMode: Bool) -> ArenaScope? {
        guard !inHandlerMode, hasBumpArena,
              let limit = checkedAdd(bump.top, bytes), limit <= bump.end
        else { return nil }
        routesToBump &+= 2
        let scope = ArenaScope(top: bump.top, lastBlock: bump.lastBlock, end: bump.end, limit: limit,
                               depth: openScopes)
        // Nothing below the scope can roll back while it is open.
        bump.lastBlock = bump.top
        bump.end = limit
        return scope
    }

    /// Closes the innermost scope: every block allocated in it is released
    /// (the top goes back to where the scope began) and the bump arena's
    /// limit and newest block are those from before it opened. Returns
    /// false, changing nothing, for a scope that is not the innermost open
    /// one (closed already, an outer one while an inner is open, or a
    /// scope a C caller made up): its depth must be the open scopes' count,
    /// its limit the arena's, and its start and outer limit must hold it.
    @discardableResult
    public mutating func closeScope(_ scope: ArenaScope) -> Bool {
        guard scope.depth != 0, scope.depth == openScopes, scope.limit == bump.end, scope.top <= bump.top,
              scope.lastBlock <= scope.top, scope.limit <= scope.end, scope.end <= arenaEnd
        else { return false }
        bump.lowerTop(to: scope.top)
        bump.lastBlock = scope.lastBlock
        bump.end = scope.end
        routesToBump &-= 2
        return true
    }

    // MARK: - Free

    /// Frees `block` if it lies in the bump arena and returns true; returns
    /// false (nothing happens) for any other address.
    public mutating func freeIfOwned(_ block: UInt, caller: UInt) -> Bool {
        guard ownsAddress(block) else { return false }
        guard block < bump.top else {
            lateFrees &+= 1
            if let handler = bump.misuseHandler {
                MisuseReport(kind: .foreignPointer, address: block, caller: caller).send(to: handler)
            }
            return true
        }
        bump.deallocate(rawPointer(block), caller: caller)
        return true
    }

    /// What the bump arena holds and what went to it.
    public var statistics: HeapRouterStatistics {
        var figures = bump.statistics
        figures.capacity = arenaEnd &- bump.base
        return HeapRouterStatistics(bump: figures, selection: selection, openScopes: openScopes,
                             lateFrees: lateFrees)
    }
}

/// The allocator a firmware selects for thread-mode allocations.
public enum HeapChoice: UInt8 {
    case slab = 0
    case bump = 1
}

/// What ``HeapRouter/closeScope(_:)`` restores: the bump arena's top,
/// newest block and limit from before the scope opened. Close each scope
/// once, innermost first (`CairnHeap.withArena` does).
public struct ArenaScope: Equatable {
    /// The bump arena's top, newest block and limit before the scope.
    let top: UInt
    let lastBlock: UInt
    let end: UInt
    /// The scope's own limit: the arena's while it is the innermost.
    let limit: UInt
    /// Scopes open once it opened, itself included: 1 for the outermost.
    let depth: UInt
}

/// The bump arena's figures (capacity is the whole arena's, also inside a
/// scope) and the routing state.
public struct HeapRouterStatistics: Equatable {
    public var bump: BumpStatistics
    public var selection: HeapChoice
    public var openScopes: UInt
    public var lateFrees: UInt
}

// MARK: - Routing a RawAllocator's calls

/// Every function takes the allocators `inout`, the queries too: on the
/// firmware's global heap a borrow from a non-mutating context makes
/// Swift copy the slab (see `scripts/check-no-heap-copy.sh`).
extension HeapRouter {
    /// A block for `byteCount` bytes from the allocator that serves now.
    @inline(__always)
    public static func allocate<Slab: RawAllocator & ~Copyable>(
        _ router: inout HeapRouter, _ slab: inout Slab, byteCount: UInt, alignment: UInt, inHandlerMode: Bool
    ) -> UnsafeMutableRawPointer? {
        if router.servesFromBump(inHandlerMode: inHandlerMode) {
            return router.bump.allocate(byteCount: byteCount, alignment: alignment)
        }
        return slab.allocate(byteCount: byteCount, alignment: alignment)
    }

    /// Frees `pointer` in the allocator that owns its address.
    public static func deallocate<Slab: RawAllocator & ~Copyable>(
        _ router: inout HeapRouter, _ slab: inout Slab, _ pointer: UnsafeMutableRawPointer, caller: UInt
    ) {
        if router.freeIfOwned(address(of: pointer), caller: caller) { return }
        slab.deallocate(pointer, caller: caller)
    }

    /// The owner's usable size of `pointer` (a bump block's is known only
    /// while it is the newest).
    public static func usableSize<Slab: RawAllocator & ~Copyable>(
        _ router: inout HeapRouter, _ slab: inout Slab, of pointer: UnsafeMutableRawPointer
    ) -> UInt? {
        router.ownsAddress(address(of: pointer)) ? router.bump.usableSize(of: pointer) : slab.usableSize(of: pointer)
    }

    /// The owner resizes `pointer` in place (a bump block only when newest):
    /// ``resizeOrMeasure(_:_:_:byteCount:)``'s first answer.
    public static func resizeInPlace<Slab: RawAllocator & ~Copyable>(
        _ router: inout HeapRouter, _ slab: inout Slab, _ pointer: UnsafeMutableRawPointer, byteCount: UInt
    ) -> Bool {
        resizeOrMeasure(&router, &slab, pointer, byteCount: byteCount) == .resized
    }

    /// What a moving `realloc` of `pointer` may copy, asked of its owner.
    public static func bytesToPreserve<Slab: RawAllocator & ~Copyable>(
        _ router: inout HeapRouter, _ slab: inout Slab, from pointer: UnsafeMutableRawPointer
    ) -> UInt? {
        if router.ownsAddress(address(of: pointer)) { return router.bump.bytesToPreserve(from: pointer) }
        return slab.bytesToPreserve(from: pointer)
    }

    /// `realloc`'s first step, asked of the owner (the slab answers with
    /// one validation, as on the hooks' fast path).
    public static func resizeOrMeasure<Slab: RawAllocator & ~Copyable>(
        _ router: inout HeapRouter, _ slab: inout Slab, _ pointer: UnsafeMutableRawPointer, byteCount: UInt
    ) -> ResizeOutcome {
        if router.ownsAddress(address(of: pointer)) { return router.bump.resizeOrMeasure(pointer, byteCount: byteCount) }
        return slab.resizeOrMeasure(pointer, byteCount: byteCount)
    }

    /// Frees a block the caller has just found live, in its owner.
    public static func deallocate<Slab: RawAllocator & ~Copyable>(
        _ router: inout HeapRouter, _ slab: inout Slab, knownLive pointer: UnsafeMutableRawPointer, caller: UInt
    ) {
        if router.freeIfOwned(address(of: pointer), caller: caller) { return }
        slab.deallocate(knownLive: pointer, caller: caller)
    }
}
