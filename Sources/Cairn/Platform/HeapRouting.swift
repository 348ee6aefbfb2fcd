// The firmware's heap router: the bump arena carved from the heap
// (BUMP_ARENA_SIZE), the allocator selected for thread mode, and the
// routed forms of the hooks' slow paths. The rules are ``HeapRouter``'s
// (the same source the host tests run); this file only binds them to the
// global heap, to IPSR and to the C names.
//
// A hook tests ``HeapRouter/routesToBump`` once (mirrored in the slab, see
// `mirrorRouting`) and comes here only when it is set; a free needs no test, because the bump arena lies outside the
// slab's arena and such a free reaches `routedFreeOutsideSlab` from the
// slab's foreign-address path.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

/// Laid out by the linker like `platformHeap`: zeros but for the handler.
/// Touched with interrupts masked only.
nonisolated(unsafe) var heapRouter = HeapRouter(misuseHandler: reportMisuseAndMaybeStop)

/// Copies the router's state where the hooks test it. Call after every
/// change of `heapRouter.routesToBump`, with interrupts masked.
@inline(__always)
func mirrorRouting() {
    #if !CAIRN_BUMP
    platformHeap.routerEngaged = heapRouter.routesToBump
    #endif
}

/// Gives the last `cairn_platform_bump_arena_size()` bytes of `region` to
/// the router as its bump arena and returns the rest, for the slab. The
/// selection goes back to the slab. A bump-allocator build (or a region
/// too small to leave the slab a part) keeps the whole region.
func carveBumpArena(from region: UnsafeMutableRawBufferPointer) -> UnsafeMutableRawBufferPointer {
    heapRouter = HeapRouter(misuseHandler: reportMisuseAndMaybeStop)
    mirrorRouting()
    #if CAIRN_BUMP
    return region
    #else
    // Whole 8-byte units, so that the slab's part keeps the region's alignment.
    let bytes = Int(cairn_platform_bump_arena_size() & ~7)
    guard bytes > 0, bytes < region.count, let base = region.baseAddress else { return region }
    let slabBytes = (region.count - bytes) & ~7
    heapRouter = HeapRouter(region: UnsafeMutableRawBufferPointer(start: base + slabBytes, count: region.count - slabBytes),
                            misuseHandler: reportMisuseAndMaybeStop)
    return UnsafeMutableRawBufferPointer(start: base, count: slabBytes)
    #endif
}

/// The global heap seen through the router: what the hooks use once the
/// bump arena is selected or a scope is open, and on a pointer the slab
/// does not know. Every method is out of line, one copy each.
struct RoutedPlatformHeap: RawAllocator {
    @inline(never)
    mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        HeapRouter.allocate(&heapRouter, &platformHeap, byteCount: byteCount, alignment: alignment,
                            inHandlerMode: cairn_in_handler_mode())
    }

    @inline(never)
    mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt) {
        HeapRouter.deallocate(&heapRouter, &platformHeap, pointer, caller: caller)
    }

    @inline(never)
    func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        HeapRouter.usableSize(&heapRouter, &platformHeap, of: pointer)
    }

    @inline(never)
    mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        HeapRouter.resizeInPlace(&heapRouter, &platformHeap, pointer, byteCount: byteCount)
    }

    @inline(never)
    func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        HeapRouter.bytesToPreserve(&heapRouter, &platformHeap, from: pointer)
    }

    @inline(never)
    mutating func resizeOrMeasure(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> ResizeOutcome {
        HeapRouter.resizeOrMeasure(&heapRouter, &platformHeap, pointer, byteCount: byteCount)
    }

    @inline(never)
    mutating func deallocate(knownLive pointer: UnsafeMutableRawPointer, caller: UInt) {
        HeapRouter.deallocate(&heapRouter, &platformHeap, knownLive: pointer, caller: caller)
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
    heapRouter.freeIfOwned(block, caller: caller)
}

@c(cairn_swift_use)
func cairnUse(_ allocator: Int32) -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    guard let choice = HeapChoice(rawValue: UInt8(truncatingIfNeeded: allocator)), allocator >= 0 else { return -1 }
    guard heapRouter.select(choice) else { return -1 }
    mirrorRouting()
    return 0
}

@c(cairn_swift_get_arena_stats)
func cairnGetArenaStats(_ out: UnsafeMutablePointer<cairn_arena_stats>) {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    let stats = heapRouter.statistics
    out.pointee = cairn_arena_stats(
        capacity: Int(stats.bump.capacity), in_use: Int(stats.bump.bytesInUse),
        peak_in_use: Int(stats.bump.peakBytesInUse), failed: Int(stats.bump.failedRequests),
        ignored_frees: Int(stats.bump.ignoredFrees), rollbacks: Int(stats.bump.rollbacks),
        late_frees: Int(stats.lateFrees), open_scopes: Int(stats.openScopes), selected: Int32(stats.selection.rawValue))
}

/// The heap report's lines for the bump arena (none when there is none).
func writeBumpArenaReport() {
    guard heapRouter.hasBumpArena else { return }
    let stats = heapRouter.statistics
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
#endif

#if hasFeature(Embedded) && os(none) && CAIRN_BUMP
extension BumpAllocator {
    /// A bump-allocator build has nothing to route: the hooks' test folds away.
    var routerEngaged: UInt { 0 }
}
#endif
