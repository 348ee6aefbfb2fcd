// The Swift side of the C allocation hooks. cairn_hooks.c defines the
// standard names (malloc, free, posix_memalign, ...) as tail branches to
// these; each masks interrupts (cairn_critical.h, inlined here) and applies
// the C rule from CHeap to the platform heap.
//
// Only posix_memalign (the Embedded Swift runtime's one call), malloc,
// free and realloc's validation get the allocator's fast path inlined.
// Everything rarer goes through `OutOfLineHeap`, whose methods are single
// out-of-line copies, or an out-of-line function of its own: the flash a
// firmware pays for stays close to one copy of the algorithm. A failure
// configures the heap if it was its first use and tries again, in one of
// two places: `allocateAfterRefusal` behind an inlined fast path,
// `retryingOnFirstUse` around an out-of-line one.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

@c(cairn_swift_posix_memalign)
func cairnPosixMemalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: UInt, _ size: UInt) -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    var hooks = HookHeap()
    let result = CHeap.posixMemalign(&hooks, out, alignment: alignment, byteCount: size)
    if result != CHeap.ENOMEM { return result }
    return posixMemalignAfterFailure(out, alignment, size)
}

@c(cairn_swift_malloc)
func cairnMalloc(_ size: UInt) -> UnsafeMutableRawPointer? {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    return hookMalloc(size)
}

/// `malloc`'s body, interrupts masked by the caller: the slab's fast path
/// inlined, any failure out of line. Shared with `realloc(NULL, n)`.
@inline(__always)
func hookMalloc(_ size: UInt) -> UnsafeMutableRawPointer? {
    var hooks = HookHeap()
    if let block = CHeap.malloc(&hooks, byteCount: size) { return block }
    return mallocAfterFailure(size)
}

@c(cairn_swift_free)
func cairnFree(_ pointer: UnsafeMutableRawPointer?, _ caller: UInt) {
    let saved = cairn_enter()
    #if CAIRN_BUMP
    if let pointer { platformHeap.deallocate(pointer, caller: caller) }
    #else
    // NULL is let go on the slab's foreign-address path.
    platformHeap.deallocate(address: UInt(bitPattern: pointer), caller: caller)
    #endif
    cairn_leave(saved)
}

@c(cairn_swift_calloc)
func cairnCalloc(_ count: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    var heap = RoutedPlatformHeap()
    let block = retryingOnFirstUse({ CHeap.calloc(&heap, count: count, size: size) }, failed: { $0 == nil })
    if let block { return block }
    cairn_set_errno(CHeap.ENOMEM)
    return nil
}

@c(cairn_swift_realloc)
func cairnRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: UInt, _ caller: UInt) -> UnsafeMutableRawPointer? {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    // The first region measures, inlined; a block it cannot resize moves
    // out of line, in whichever heap holds it.
    return CHeap.realloc(pointer, measure: { platformHeap.resizeOrMeasure($0, byteCount: size) },
                         malloc: { mallocAfterNull(size) },
                         move: { reallocAfterMeasure($0, size, $1, caller) })
}

/// `realloc(NULL, n)`: `malloc(n)` out of line.
@inline(never)
func mallocAfterNull(_ size: UInt) -> UnsafeMutableRawPointer? {
    hookMalloc(size)
}

/// A `realloc` that cannot keep its block: move it, or report a bad pointer.
@inline(never)
func reallocAfterMeasure(_ pointer: UnsafeMutableRawPointer, _ size: UInt, _ outcome: ResizeOutcome,
                         _ caller: UInt) -> UnsafeMutableRawPointer? {
    #if CAIRN_BUMP
    if let block = CHeap.realloc(&platformHeap, pointer, byteCount: size, after: outcome, caller: caller) {
        return block
    }
    cairn_set_errno(CHeap.ENOMEM)
    return nil
    #else
    // The bump arena's blocks, and any move while the bump arena serves,
    // go through the heap router (which sees every region through
    // `OutOfLineHeap`).
    if platformHeap.routerEngaged != 0 || (outcome == .notLive && heapRouter != nil) {
        return routedRealloc(pointer, size, caller)
    }
    // A block of the first region that the first region can move.
    if case .mustMove = outcome,
       let block = CHeap.realloc(&platformHeap, pointer, byteCount: size, after: outcome, caller: caller) {
        return block
    }
    return reallocAcrossRegions(pointer, size, outcome, caller)
    #endif
}

/// The rest of `reallocAfterMeasure`: a block the first region does not
/// hold (another region's, or a bad pointer, reported), or one it could
/// not find room to move.
@inline(never)
func reallocAcrossRegions(_ pointer: UnsafeMutableRawPointer, _ size: UInt, _ outcome: ResizeOutcome,
                          _ caller: UInt) -> UnsafeMutableRawPointer? {
    // With one region, a second try of a move fails as the first did.
    if case .mustMove = outcome, !hasOtherRegions {
        cairn_set_errno(CHeap.ENOMEM)
        return nil
    }
    var heap = OutOfLineHeap()
    var measured = outcome
    if outcome == .notLive, let preserve = heap.bytesToPreserve(from: pointer) {
        measured = .mustMove(preserving: preserve)
    }
    if let block = CHeap.realloc(&heap, pointer, byteCount: size, after: measured, caller: caller) { return block }
    cairn_set_errno(CHeap.ENOMEM)
    return nil
}

@c(cairn_swift_aligned_alloc)
func cairnAlignedAlloc(_ alignment: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    var heap = RoutedPlatformHeap()
    let (block, code) = retryingOnFirstUse({ CHeap.alignedAlloc(&heap, alignment: alignment, byteCount: size) },
                                           failed: { $0.1 == CHeap.ENOMEM })
    if block == nil { cairn_set_errno(code) }
    return block
}

@c(cairn_swift_usable_size)
func cairnUsableSize(_ pointer: UnsafeMutableRawPointer?) -> UInt {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    let heap = RoutedPlatformHeap()
    return CHeap.usableSize(heap, pointer)
}

/// A malloc that the first region refused: as `allocateAfterRefusal`,
/// and errno set to ENOMEM when that fails too.
@inline(never)
func mallocAfterFailure(_ size: UInt) -> UnsafeMutableRawPointer? {
    if let block = allocateAfterRefusal(byteCount: size, alignment: CHeap.fundamentalAlignment) { return block }
    cairn_set_errno(CHeap.ENOMEM)
    return nil
}

/// A posix_memalign the first region refused for want of memory (so the
/// alignment is valid): as `allocateAfterRefusal` (posix_memalign returns
/// its error, errno stays).
@inline(never)
func posixMemalignAfterFailure(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: UInt,
                               _ size: UInt) -> Int32 {
    guard let block = allocateAfterRefusal(byteCount: size, alignment: alignment) else { return CHeap.ENOMEM }
    out.pointee = block
    return 0
}

/// Where an allocation the first region refused goes next: the whole heap,
/// once configured, when the refusal was the heap's first use; else the
/// regions after the first (the hooks with an inlined fast path).
@inline(__always)
func allocateAfterRefusal(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
    if heapWasUnconfigured() {
        var heap = OutOfLineHeap()
        return heap.allocate(byteCount: byteCount, alignment: alignment)
    }
    return allocateInOtherRegions(byteCount: byteCount, alignment: alignment)
}

/// `attempt`, and once more when it `failed` on the heap's first use (the
/// heap is configured in between): the hooks that allocate out of line,
/// through every region at once.
@inline(__always)
func retryingOnFirstUse<Result>(_ attempt: () -> Result, failed: (Result) -> Bool) -> Result {
    let result = attempt()
    return failed(result) && heapWasUnconfigured() ? attempt() : result
}

/// True once `cairn_add_region` added a region.
@inline(__always)
var hasOtherRegions: Bool {
    #if CAIRN_BUMP
    return false
    #else
    return cairn_get_other_regions() != nil
    #endif
}

/// A block from the regions after the first (none in a bump build).
@inline(__always)
func allocateInOtherRegions(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
    #if CAIRN_BUMP
    return nil
    #else
    return cairn_get_other_regions()?.pointee.allocate(byteCount, alignment)
    #endif
}

/// The platform heap seen through one out-of-line copy of each operation,
/// every region of it: a block is allocated in the first region that has
/// one, and a block's operations go to the region that holds it (but for
/// `resizeOrMeasure`, the first region's alone: realloc measures other
/// regions' blocks with `bytesToPreserve`). A block of a region other than
/// the first is never resized in place: realloc moves it (the slab's
/// in-place resize, reached through a region's record, copies the
/// allocator in a checked build).
struct OutOfLineHeap: RawAllocator {
    @inline(never)
    mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        if let block = platformHeap.allocate(byteCount: byteCount, alignment: alignment) { return block }
        return allocateInOtherRegions(byteCount: byteCount, alignment: alignment)
    }

    /// Only for a pointer no region holds as a live block (realloc's bad
    /// pointer): the free entry point reports it, with no second copy of
    /// the free path here.
    @inline(never)
    mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt) {
        cairnFree(pointer, caller)
    }

    @inline(never)
    func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        #if !CAIRN_BUMP
        if let regions = otherRegion(holding: pointer) {
            let bytes = regions.usable_size(address(of: pointer))
            return bytes < 0 ? nil : UInt(bytes)
        }
        #endif
        return platformHeap.usableSize(of: pointer)
    }

    /// ``resizeOrMeasure(_:byteCount:)``'s first answer.
    mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        resizeOrMeasure(pointer, byteCount: byteCount) == .resized
    }

    @inline(never)
    func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        // A slab block's bytes to preserve are its usable size.
        #if CAIRN_BUMP
        return platformHeap.bytesToPreserve(from: pointer)
        #else
        return usableSize(of: pointer)
        #endif
    }

    @inline(never)
    mutating func deallocate(knownLive pointer: UnsafeMutableRawPointer, caller: UInt) {
        #if !CAIRN_BUMP
        if let regions = otherRegion(holding: pointer) { return regions.free_known_live(address(of: pointer), caller) }
        #endif
        platformHeap.deallocate(knownLive: pointer, caller: caller)
    }

    /// Another region's block is measured, never resized (see above).
    @inline(never)
    mutating func resizeOrMeasure(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> ResizeOutcome {
        #if !CAIRN_BUMP
        if let regions = otherRegion(holding: pointer) {
            let bytes = regions.usable_size(address(of: pointer))
            return bytes < 0 ? .notLive : .mustMove(preserving: UInt(bytes))
        }
        #endif
        return platformHeap.resizeOrMeasure(pointer, byteCount: byteCount)
    }

    #if !CAIRN_BUMP
    /// The other regions' entry points when one of them holds `pointer`,
    /// else `nil` (the first region's, or no region's). The first region's
    /// arena is tested first, as its fast paths do.
    @inline(__always)
    func otherRegion(holding pointer: UnsafeMutableRawPointer) -> cairn_other_regions_table? {
        let block = address(of: pointer)
        guard let regions = cairn_get_other_regions()?.pointee, block &- platformHeap.arenaBase >= platformHeap.arenaBytes,
              regions.hold(block)
        else { return nil }
        return regions
    }
    #endif
}
#endif
