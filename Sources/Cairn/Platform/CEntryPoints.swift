// The Swift side of the C allocation hooks. cairn_hooks.c defines the
// standard names (malloc, free, posix_memalign, ...) as tail branches to
// these; each masks interrupts (cairn_critical.h, inlined here) and applies
// the C rule from CHeap to the platform heap.
//
// Only posix_memalign (the Embedded Swift runtime's one call), malloc,
// free and realloc's validation get the allocator's fast path inlined.
// Everything rarer goes through `OutOfLineHeap`, whose methods are single
// out-of-line copies, or an out-of-line function of its own: the flash a
// firmware pays for stays close to one copy of the algorithm. Failures
// leave through `mallocAfterFailure` and its kin, which configure the heap
// on first use and set errno.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

@c(cairn_swift_posix_memalign)
func cairnPosixMemalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: UInt, _ size: UInt) -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    var hooks = HookHeap()
    let result = CHeap.posixMemalign(&hooks, out, alignment: alignment, byteCount: size)
    if result != CHeap.ENOMEM { return result }
    var heap = OutOfLineHeap()
    return heapWasUnconfigured() ? CHeap.posixMemalign(&heap, out, alignment: alignment, byteCount: size) : result
}

@c(cairn_swift_malloc)
func cairnMalloc(_ size: UInt) -> UnsafeMutableRawPointer? {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
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
    if let block = CHeap.calloc(&heap, count: count, size: size) { return block }
    if heapWasUnconfigured(), let block = CHeap.calloc(&heap, count: count, size: size) { return block }
    cairn_set_errno(CHeap.ENOMEM)
    return nil
}

@c(cairn_swift_realloc)
func cairnRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: UInt, _ caller: UInt) -> UnsafeMutableRawPointer? {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    // Only the measuring is inlined: a block that keeps its place costs one
    // validation and a compare; moving it goes out of line.
    guard let pointer else { return mallocAfterNull(size) }
    let outcome = platformHeap.resizeOrMeasure(pointer, byteCount: size)
    if outcome == .resized { return pointer }
    return reallocAfterMeasure(pointer, size, outcome, caller)
}

/// `realloc(NULL, n)`: `malloc(n)`, and possibly the heap's first use.
@inline(never)
func mallocAfterNull(_ size: UInt) -> UnsafeMutableRawPointer? {
    // The same two lines as `cairnMalloc`'s body, written out: sharing them
    // through an inlined helper changes the code layout of `malloc` and
    // costs it an instruction.
    var hooks = HookHeap()
    if let block = CHeap.malloc(&hooks, byteCount: size) { return block }
    return mallocAfterFailure(size)
}

/// A `realloc` that cannot keep its block: move it, or report a bad pointer.
@inline(never)
func reallocAfterMeasure(_ pointer: UnsafeMutableRawPointer, _ size: UInt, _ outcome: ResizeOutcome,
                         _ caller: UInt) -> UnsafeMutableRawPointer? {
    if outcome == .notLive || platformHeap.routerEngaged != 0 { return routedRealloc(pointer, size, caller) }
    if let block = CHeap.realloc(&platformHeap, pointer, byteCount: size, after: outcome, caller: caller) {
        return block
    }
    cairn_set_errno(CHeap.ENOMEM)
    return nil
}

@c(cairn_swift_aligned_alloc)
func cairnAlignedAlloc(_ alignment: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    var heap = RoutedPlatformHeap()
    var (block, code) = CHeap.alignedAlloc(&heap, alignment: alignment, byteCount: size)
    if code == CHeap.ENOMEM && heapWasUnconfigured() {
        (block, code) = CHeap.alignedAlloc(&heap, alignment: alignment, byteCount: size)
    }
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

/// A malloc that failed: configures the heap if this was its first use and
/// tries once more; sets errno to ENOMEM when that fails too.
@inline(never)
func mallocAfterFailure(_ size: UInt) -> UnsafeMutableRawPointer? {
    var heap = OutOfLineHeap()
    if heapWasUnconfigured(), let block = CHeap.malloc(&heap, byteCount: size) { return block }
    cairn_set_errno(CHeap.ENOMEM)
    return nil
}

/// The platform heap seen through one out-of-line copy of each operation.
struct OutOfLineHeap: RawAllocator {
    @inline(never)
    mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        platformHeap.allocate(byteCount: byteCount, alignment: alignment)
    }

    @inline(never)
    mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt) {
        platformHeap.deallocate(pointer, caller: caller)
    }

    @inline(never)
    func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        platformHeap.usableSize(of: pointer)
    }

    @inline(never)
    mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        platformHeap.resizeInPlace(pointer, byteCount: byteCount)
    }

    @inline(never)
    func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        platformHeap.bytesToPreserve(from: pointer)
    }

    @inline(never)
    mutating func deallocate(knownLive pointer: UnsafeMutableRawPointer, caller: UInt) {
        platformHeap.deallocate(knownLive: pointer, caller: caller)
    }

    @inline(never)
    mutating func resizeOrMeasure(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> ResizeOutcome {
        platformHeap.resizeOrMeasure(pointer, byteCount: byteCount)
    }
}
#endif
