// The firmware's heap router: the bump arena carved from the heap
// (BUMP_ARENA_SIZE), the allocator selected for thread mode, and the
// routed forms of the hooks' slow paths. The rules are ``HeapRouter``'s
// (the same source the host tests run); this file only binds them to the
// global heap, to IPSR and to the C names.
//
// A hook tests ``HeapRouter/routesToBump`` once (mirrored in the slab, see
// `mirrorRouting`) and comes here only when it is set; a free needs no
// test, because the bump arena lies outside the slab's arena and such a
// free reaches `routedFreeOutsideSlab` from the slab's foreign-address
// path.
//
// The router itself lives in the first bytes of the bump arena, so that a
// firmware without one pays a single word of RAM for it (`routerAddress`).
#if hasFeature(Embedded) && os(none)
import CairnPlatform

/// Address of the heap router at the start of the bump arena; 0 when the
/// build has none. Touched with interrupts masked only.
nonisolated(unsafe) var routerAddress: UInt = 0

/// The heap router, or `nil` without a bump arena.
@inline(__always)
var heapRouter: UnsafeMutablePointer<HeapRouter>? {
    UnsafeMutablePointer(bitPattern: routerAddress)
}

/// Copies the router's state where the hooks test it. Call after every
/// change of `routesToBump`, with interrupts masked.
@inline(__always)
func mirrorRouting() {
    #if !CAIRN_BUMP
    platformHeap.routerEngaged = heapRouter?.pointee.routesToBump ?? 0
    #endif
}

/// Bytes the router takes at the start of the bump arena (8-byte units,
/// so that the arena after it keeps malloc's alignment).
let routerBytes = (MemoryLayout<HeapRouter>.stride + 7) & ~7

/// Gives the last `cairn_platform_bump_arena_size()` bytes of `region` to
/// the heap router (itself first, then its bump arena) and returns the
/// rest, for the slab. Whatever was selected before is forgotten. A
/// bump-allocator build, or a size that leaves no bump arena or no slab,
/// keeps the whole region for the heap.
func carveBumpArena(from region: UnsafeMutableRawBufferPointer) -> UnsafeMutableRawBufferPointer {
    routerAddress = 0
    mirrorRouting()
    #if CAIRN_BUMP
    return region
    #else
    // Whole 8-byte units, so that the slab's part keeps the region's alignment.
    let bytes = Int(cairn_platform_bump_arena_size() & ~7)
    guard bytes > routerBytes, bytes < region.count, let base = region.baseAddress else { return region }
    let slabBytes = (region.count - bytes) & ~7
    let start = base + slabBytes
    let router = start.bindMemory(to: HeapRouter.self, capacity: 1)
    router.initialize(to: HeapRouter(region: UnsafeMutableRawBufferPointer(start: start + routerBytes,
                                                                           count: region.count - slabBytes - routerBytes),
                                     misuseHandler: reportMisuseAndMaybeStop))
    routerAddress = UInt(bitPattern: router)
    return UnsafeMutableRawBufferPointer(start: base, count: slabBytes)
    #endif
}

/// The global heap seen through the router: what the hooks use once the
/// bump arena is selected or a scope is open, and on a pointer the slab
/// does not know (and `calloc`, `aligned_alloc`, `malloc_usable_size`).
/// The slab's side goes through `OutOfLineHeap`, the slab's one
/// out-of-line copy of each operation, so routing adds little code.
struct RoutedPlatformHeap: RawAllocator {
    @inline(never)
    mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        var slab = OutOfLineHeap()
        guard let router = heapRouter else { return slab.allocate(byteCount: byteCount, alignment: alignment) }
        return HeapRouter.allocate(&router.pointee, &slab, byteCount: byteCount, alignment: alignment,
                                   inHandlerMode: cairn_in_handler_mode())
    }

    @inline(never)
    mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt) {
        var slab = OutOfLineHeap()
        guard let router = heapRouter else { return slab.deallocate(pointer, caller: caller) }
        HeapRouter.deallocate(&router.pointee, &slab, pointer, caller: caller)
    }

    @inline(never)
    func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        var slab = OutOfLineHeap()
        guard let router = heapRouter else { return slab.usableSize(of: pointer) }
        return HeapRouter.usableSize(&router.pointee, &slab, of: pointer)
    }

    /// ``resizeOrMeasure(_:byteCount:)``'s first answer.
    mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        resizeOrMeasure(pointer, byteCount: byteCount) == .resized
    }

    @inline(never)
    func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        var slab = OutOfLineHeap()
        guard let router = heapRouter else { return slab.bytesToPreserve(from: pointer) }
        return HeapRouter.bytesToPreserve(&router.pointee, &slab, from: pointer)
    }

    @inline(never)
    mutating func resizeOrMeasure(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> ResizeOutcome {
        var slab = OutOfLineHeap()
        guard let router = heapRouter else { return slab.resizeOrMeasure(pointer, byteCount: byteCount) }
        return HeapRouter.resizeOrMeasure(&router.pointee, &slab, pointer, byteCount: byteCount)
    }

    @inline(never)
    mutating func deallocate(knownLive pointer: UnsafeMutableRawPointer, caller: UInt) {
        var slab = OutOfLineHeap()
        guard let router = heapRouter else { return slab.deallocate(knownLive: pointer, caller: caller) }
        HeapRouter.deallocate(&router.pointee, &slab, knownLive: pointer, caller: caller)
    }
}

/// The global heap as `malloc` and `posix_memalign` allocate from it: the
/// slab's fast path inlined, behind one test of the router's mirror,
/// placed where the hook already holds the heap's address. Only
/// `allocate` is for the hooks; the rest serves the protocol.
struct HookHeap: RawAllocator {
    @inline(__always)
    mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        if platformHeap.routerEngaged != 0 { return routedAllocate(byteCount, alignment) }
        return platformHeap.allocate(byteCount: byteCount, alignment: alignment)
    }

    mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt) {
        var heap = RoutedPlatformHeap()
        heap.deallocate(pointer, caller: caller)
    }

    func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        RoutedPlatformHeap().usableSize(of: pointer)
    }

    mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        var heap = RoutedPlatformHeap()
        return heap.resizeInPlace(pointer, byteCount: byteCount)
    }

    func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        RoutedPlatformHeap().bytesToPreserve(from: pointer)
    }
}

/// An allocation while the router is engaged.
@inline(never)
func routedAllocate(_ byteCount: UInt, _ alignment: UInt) -> UnsafeMutableRawPointer? {
    var heap = RoutedPlatformHeap()
    return heap.allocate(byteCount: byteCount, alignment: alignment)
}

/// `realloc` of a block the slab does not know, or while the router is
/// engaged: the owner resizes in place; a move takes its new block from
/// the allocator that serves now.
@inline(never)
func routedRealloc(_ pointer: UnsafeMutableRawPointer, _ size: UInt, _ caller: UInt) -> UnsafeMutableRawPointer? {
    var heap = RoutedPlatformHeap()
    if let block = CHeap.realloc(&heap, pointer, byteCount: size, caller: caller) { return block }
    cairn_set_errno(CHeap.ENOMEM)
    return nil
}

/// The slab's foreign-address path: true when the bump arena owned
/// `block` (freed, ignored or reported there).
@inline(never)
func routedFreeOutsideSlab(_ block: UInt, caller: UInt) -> Bool {
    heapRouter?.pointee.freeIfOwned(block, caller: caller) ?? false
}

@c(cairn_swift_use)
func cairnUse(_ allocator: Int32) -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    guard allocator >= 0, let choice = HeapChoice(rawValue: UInt8(truncatingIfNeeded: allocator)) else { return -1 }
    guard let router = heapRouter else { return choice == .slab ? 0 : -1 }
    guard router.pointee.select(choice) else { return -1 }
    mirrorRouting()
    return 0
}

/// Opens a scope of `bytes` on the firmware's bump arena (see
/// ``HeapRouter/openScope(bytes:inHandlerMode:)``), with interrupts
/// masked, and tells the hooks; `nil` when none opens. Swift's
/// `CairnHeap.withArena` and C's `cairn_arena_open` both open through it.
func openPlatformScope(bytes: UInt) -> ArenaScope? {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    guard let router = heapRouter,
          let scope = router.pointee.openScope(bytes: bytes, inHandlerMode: cairn_in_handler_mode())
    else { return nil }
    mirrorRouting()
    return scope
}

/// Closes `scope` when it is the innermost open one (see
/// ``HeapRouter/closeScope(_:)``), with interrupts masked, and tells the
/// hooks; false, changing nothing, otherwise.
@discardableResult
func closePlatformScope(_ scope: ArenaScope) -> Bool {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    guard let router = heapRouter, router.pointee.closeScope(scope) else { return false }
    mirrorRouting()
    return true
}

@c(cairn_swift_arena_open)
func cairnArenaOpen(_ record: UnsafeMutablePointer<cairn_arena_scope>?, _ bytes: UInt) -> Int32 {
    guard let record, let scope = openPlatformScope(bytes: bytes) else { return -1 }
    record.pointee = cairn_arena_scope(top: scope.top, last_block: scope.lastBlock, end: scope.end,
                                       limit: scope.limit, depth: scope.depth)
    return 0
}

@c(cairn_swift_arena_close)
func cairnArenaClose(_ record: UnsafePointer<cairn_arena_scope>?) -> Int32 {
    guard let record else { return -1 }
    let scope = ArenaScope(top: record.pointee.top, lastBlock: record.pointee.last_block, end: record.pointee.end,
                           limit: record.pointee.limit, depth: record.pointee.depth)
    return closePlatformScope(scope) ? 0 : -1
}

/// The router's figures; all zero (the slab selected) without a bump arena.
var routerStatistics: HeapRouterStatistics {
    heapRouter?.pointee.statistics ?? HeapRouter().statistics
}

@c(cairn_swift_get_arena_stats)
func cairnGetArenaStats(_ out: UnsafeMutablePointer<cairn_arena_stats>) {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    let stats = routerStatistics
    out.pointee = cairn_arena_stats(
        capacity: Int(stats.bump.capacity), in_use: Int(stats.bump.bytesInUse),
        peak_in_use: Int(stats.bump.peakBytesInUse), failed: Int(stats.bump.failedRequests),
        ignored_frees: Int(stats.bump.ignoredFrees), rollbacks: Int(stats.bump.rollbacks),
        late_frees: Int(stats.lateFrees), open_scopes: Int(stats.openScopes), selected: Int32(stats.selection.rawValue))
}

/// The heap report's lines for the bump arena (none when there is none).
func writeBumpArenaReport() {
    guard heapRouter != nil else { return }
    let stats = routerStatistics
    Console.write("  bump arena      ")
    Console.write(stats.bump.bytesInUse, width: 8)
    Console.write(" of ")
    Console.write(stats.bump.capacity)
    Console.write(" bytes, peak ")
    Console.write(stats.bump.peakBytesInUse)
    Console.write(stats.selection == .bump ? ", selected\n" : "\n")
    Console.write("  bump frees      ")
    Console.write(stats.bump.ignoredFrees, width: 8)
    Console.write(" ignored, ")
    Console.write(stats.bump.rollbacks)
    Console.write(" rolled back, ")
    Console.write(stats.lateFrees)
    Console.write(" late\n")
}

/// The heap map's `map arena` line (none without a bump arena); see
/// HeapMap.swift for the format.
func writeBumpArenaMapLine() {
    guard let router = heapRouter else { return }
    let stats = routerStatistics
    Console.write("map arena base=")
    Console.writeHex(router.pointee.bump.base)
    Console.write(" capacity=")
    Console.write(stats.bump.capacity)
    Console.write(" used=")
    Console.write(stats.bump.bytesInUse)
    Console.write(" peak=")
    Console.write(stats.bump.peakBytesInUse)
    Console.write(" selected=")
    Console.write(UInt(stats.selection.rawValue))
    Console.write(" scopes=")
    Console.write(stats.openScopes)
    Console.write("\n")
}

#if CAIRN_BUMP
extension BumpAllocator {
    /// A bump-allocator build has nothing to route: the hooks' test folds away.
    var routerEngaged: UInt { 0 }
}
#endif
#endif
