/// A bump allocator: hands out the arena from low to high addresses.
///
/// Allocation is O(1) (align the top, compare, add). Memory comes back in
/// three ways: ``reset()`` frees everything, ``rewind(to:)`` frees everything
/// allocated after a ``mark()``, and freeing the most recent block rolls the
/// top back to where that block began. Any other free is a no-op that is
/// counted in ``BumpStatistics/ignoredFrees``: a bump allocator cannot reuse a
/// hole below the top, by design.
///
/// Blocks carry no header, so the size of a block is known only while it is
/// the most recent one (see ``usableSize(of:)``).
///
/// The allocator is noncopyable: two copies would hand out the same memory.
public struct BumpAllocator: ~Copyable {
    // All addresses. Invariant: base <= lastBlock <= top <= end, where
    // lastBlock == top when there is no block to roll back.
    var base: UInt = 0
    var end: UInt = 0
    var top: UInt = 0
    var lastBlock: UInt = 0
    /// Highest top before the last time the top went down (it is only
    /// recorded then, off the allocation path); the peak is the larger of
    /// this and the current top.
    var peakTop: UInt = 0
    var failedRequests: UInt = 0
    var ignoredFrees: UInt = 0
    var rollbacks: UInt = 0

    /// Misuse reports (an invalid mark) go here; `nil` ignores them.
    public var misuseHandler: MisuseHandler? = nil

    /// An unconfigured allocator: every request fails until ``init(region:)``.
    public init() {}

    /// An unconfigured allocator that already reports misuse to `handler`.
    public init(misuseHandler handler: MisuseHandler) {
        misuseHandler = handler
    }

    /// An allocator over `region`, which must outlive it.
    public init(region: UnsafeMutableRawBufferPointer, misuseHandler handler: MisuseHandler? = nil) {
        misuseHandler = handler
        let start = region.baseAddress.map { address(of: $0) } ?? 0
        base = start
        end = start &+ UInt(region.count)
        top = start
        lastBlock = start
        peakTop = start
    }

    /// True once the allocator has a region.
    public var isConfigured: Bool { end != 0 }

    /// A block of `byteCount` bytes aligned to `alignment` (a power of two),
    /// or `nil` when the arena is exhausted, the alignment is not a power of
    /// two, or the arithmetic would overflow. A zero-byte request returns a
    /// unique one-byte block, so that every returned pointer is distinct.
    @inline(__always)
    public mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        guard byteCount != 0 else { return allocateOneByte(alignment: alignment) }
        // Rounding `top` up cannot be allowed to wrap past the end of the
        // address space, nor can `start + size`: both are checked.
        guard isPowerOfTwo(alignment),
              let start = roundUp(top, toMultipleOf: alignment),
              let newTop = checkedAdd(start, byteCount),
              newTop <= end
        else {
            failedRequests &+= 1
            return nil
        }
        lastBlock = start
        top = newTop
        return rawPointer(start)
    }

    /// A zero-byte request takes one byte, so that every block is distinct.
    @inline(never)
    mutating func allocateOneByte(alignment: UInt) -> UnsafeMutableRawPointer? {
        allocate(byteCount: 1, alignment: alignment)
    }

    /// Records the peak before the top goes down to `newTop`.
    mutating func lowerTop(to newTop: UInt) {
        if top > peakTop { peakTop = top }
        top = newTop
    }

    /// Frees `pointer` if it is the most recent block (the top rolls back to
    /// its start); otherwise counts an ignored free. A pointer outside the
    /// arena is reported as foreign.
    public mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt = 0) {
        let p = address(of: pointer)
        guard p >= base, p < end else {
            report(.foreignPointer, p, caller)
            return
        }
        if p == lastBlock && lastBlock != top {
            lowerTop(to: lastBlock)
            rollbacks &+= 1
        } else {
            ignoredFrees &+= 1
        }
    }

    /// Bytes that may be used at `pointer`: known only for the most recent
    /// block (its size up to the top); `nil` for any other block.
    public func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        let p = address(of: pointer)
        return p == lastBlock && lastBlock != top ? top &- p : nil
    }

    /// Resizes the most recent block in place by moving the top. Returns
    /// false (nothing changes) for any other block or when it does not fit.
    public mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        let p = address(of: pointer)
        guard p == lastBlock, lastBlock != top,
              let newTop = checkedAdd(p, max(byteCount, 1)),
              newTop <= end
        else { return false }
        if newTop < top { lowerTop(to: newTop) } else { top = newTop }
        return true
    }

    /// Bytes from `pointer` to the top: how much a moving `realloc` may copy
    /// without reading past what was handed out. Zero outside the used part.
    public func bytesBelowTop(from pointer: UnsafeMutableRawPointer) -> UInt {
        owns(pointer) ? top &- address(of: pointer) : 0
    }

    /// Frees every block.
    public mutating func reset() {
        lowerTop(to: base)
        lastBlock = base
    }

    /// The current top, to be given back to ``rewind(to:)``.
    public func mark() -> BumpMark {
        BumpMark(top: top)
    }

    /// Frees every block allocated since `mark` was taken (a block that grew
    /// in place across the mark keeps only its bytes below the mark). Returns false and
    /// reports ``MisuseKind/invalidMark`` when `mark` lies above the current
    /// top or outside the arena (it was taken before a reset or a deeper
    /// rewind, or by another allocator).
    @discardableResult
    public mutating func rewind(to mark: BumpMark) -> Bool {
        guard mark.top >= base, mark.top <= top else {
            report(.invalidMark, mark.top, 0)
            return false
        }
        lowerTop(to: mark.top)
        lastBlock = mark.top
        return true
    }

    /// Capacity, use and counters.
    public var statistics: BumpStatistics {
        BumpStatistics(capacity: end &- base, bytesInUse: top &- base, peakBytesInUse: max(peakTop, top) &- base,
                       failedRequests: failedRequests, ignoredFrees: ignoredFrees, rollbacks: rollbacks)
    }

    /// True when `pointer` lies in the part of the arena handed out so far.
    public func owns(_ pointer: UnsafeRawPointer) -> Bool {
        let p = address(of: pointer)
        return p >= base && p < top
    }

    private func report(_ kind: MisuseKind, _ p: UInt, _ caller: UInt) {
        guard let handler = misuseHandler else { return }
        MisuseReport(kind: kind, address: p, caller: caller).send(to: handler)
    }
}

/// A position in a ``BumpAllocator``'s arena; see ``BumpAllocator/mark()``.
public struct BumpMark: Equatable {
    let top: UInt
}

/// What a ``BumpAllocator`` holds and has done.
public struct BumpStatistics: Equatable {
    /// Bytes in the arena.
    public var capacity: UInt
    /// Bytes from the start of the arena to the top (padding included).
    public var bytesInUse: UInt
    /// Highest value `bytesInUse` has reached.
    public var peakBytesInUse: UInt
    /// Requests that returned `nil`.
    public var failedRequests: UInt
    /// Frees of blocks other than the most recent one (no-ops by design).
    public var ignoredFrees: UInt
    /// Frees that rolled the top back.
    public var rollbacks: UInt
}
