/// The C library's allocation rules, written once over any ``RawAllocator``
/// so that the host tests prove them and the firmware hooks only forward.
///
/// Error numbers are returned, never stored: the C shim sets `errno` where
/// the C rule says so (`malloc` and friends set it, `posix_memalign` returns
/// it). Every function leaves the heap unchanged when it fails.
public enum CHeap {
    /// `EINVAL` and `ENOMEM`: the same numbers in newlib and glibc.
    public static let EINVAL: Int32 = 22
    public static let ENOMEM: Int32 = 12

    /// The alignment `malloc` guarantees: 8, as AAPCS requires for
    /// `long long` and `double` (and at least a pointer on a 64-bit host).
    public static let fundamentalAlignment = UInt(max(8, MemoryLayout<UnsafeRawPointer>.size))

    /// A pointer's size, the smallest alignment `posix_memalign` accepts.
    public static let pointerSize = UInt(MemoryLayout<UnsafeRawPointer>.size)

    /// `posix_memalign`: 0 and a block in `out`, or `EINVAL` (alignment not a
    /// power of two, or smaller than a pointer) or `ENOMEM`, with `out`
    /// untouched. A zero size gives a unique freeable block.
    ///
    /// This is the one call the Embedded Swift runtime makes (with a
    /// pointer-size or 16-byte alignment), so it takes the fast path.
    @inline(__always)
    public static func posixMemalign<A: RawAllocator & ~Copyable>(
        _ allocator: inout A, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
        alignment: UInt, byteCount: UInt
    ) -> Int32 {
        guard isPowerOfTwo(alignment), alignment >= pointerSize else { return EINVAL }
        guard let block = allocator.allocate(byteCount: byteCount, alignment: alignment) else { return ENOMEM }
        out.pointee = block
        return 0
    }

    /// `malloc`: a block aligned to ``fundamentalAlignment``, or `nil`
    /// (`ENOMEM`). A zero size gives a unique freeable block.
    @inline(__always)
    public static func malloc<A: RawAllocator & ~Copyable>(_ allocator: inout A, byteCount: UInt) -> UnsafeMutableRawPointer? {
        allocator.allocate(byteCount: byteCount, alignment: fundamentalAlignment)
    }

    /// `free`: `nil` is ignored; misuse is the allocator's to report.
    @inline(__always)
    public static func free<A: RawAllocator & ~Copyable>(_ allocator: inout A, _ pointer: UnsafeMutableRawPointer?, caller: UInt = 0) {
        guard let pointer else { return }
        allocator.deallocate(pointer, caller: caller)
    }

    /// `calloc`: `count * size` zeroed bytes, or `nil` (`ENOMEM`) when the
    /// product overflows `size_t` or memory is short.
    public static func calloc<A: RawAllocator & ~Copyable>(_ allocator: inout A, count: UInt, size: UInt) -> UnsafeMutableRawPointer? {
        guard let total = checkedMultiply(count, size),
              let block = allocator.allocate(byteCount: total, alignment: fundamentalAlignment)
        else { return nil }
        fillBytes(address(of: block), 0, total)
        return block
    }

    /// `realloc`:
    /// - `realloc(NULL, n)` is `malloc(n)`;
    /// - `realloc(p, 0)` keeps `p` as a unique minimum-size block and returns
    ///   it (as musl and the BSDs do), so that `NULL` always means failure;
    /// - a size that fits the block in place keeps the same pointer;
    /// - otherwise a new block, the old contents copied, the old block freed;
    /// - on failure `nil` (`ENOMEM`) and the old block is untouched and live.
    /// A `pointer` that is not a live block is reported as a bad free and
    /// returns `nil`.
    @inline(__always)
    public static func realloc<A: RawAllocator & ~Copyable>(
        _ allocator: inout A, _ pointer: UnsafeMutableRawPointer?, byteCount: UInt, caller: UInt = 0
    ) -> UnsafeMutableRawPointer? {
        realloc(pointer, measure: { allocator.resizeOrMeasure($0, byteCount: byteCount) },
                malloc: { malloc(&allocator, byteCount: byteCount) },
                move: { realloc(&allocator, $0, byteCount: byteCount, after: $1, caller: caller) })
    }

    /// ``realloc(_:_:byteCount:caller:)`` by its steps: `malloc` for
    /// `realloc(NULL, n)`; `measure`, the heap's
    /// ``RawAllocator/resizeOrMeasure(_:byteCount:)``; `move`, the rest
    /// once `measure` could not resize in place
    /// (``realloc(_:_:byteCount:after:caller:)`` on the heap that holds the
    /// block). A firmware inlines this and `measure` (a block that keeps its
    /// place costs one validation) and keeps the other two out of line.
    @inline(__always)
    public static func realloc(
        _ pointer: UnsafeMutableRawPointer?, measure: (UnsafeMutableRawPointer) -> ResizeOutcome,
        malloc: () -> UnsafeMutableRawPointer?,
        move: (UnsafeMutableRawPointer, ResizeOutcome) -> UnsafeMutableRawPointer?
    ) -> UnsafeMutableRawPointer? {
        guard let pointer else { return malloc() }
        let outcome = measure(pointer)
        if outcome == .resized { return pointer }
        return move(pointer, outcome)
    }

    /// The rest of ``realloc(_:_:byteCount:caller:)`` once `pointer` was
    /// measured and could not be resized in place.
    @inline(__always)
    public static func realloc<A: RawAllocator & ~Copyable>(
        _ allocator: inout A, _ pointer: UnsafeMutableRawPointer, byteCount: UInt, after outcome: ResizeOutcome,
        caller: UInt
    ) -> UnsafeMutableRawPointer? {
        let preserve: UInt
        switch outcome {
        case .resized:
            return pointer
        case .notLive:
            // Not a live block: let the allocator name the misuse.
            allocator.deallocate(pointer, caller: caller)
            return nil
        case .mustMove(let bytes):
            preserve = bytes
        }
        // Zero bytes fit any live block, even one the allocator cannot
        // resize (an older bump block).
        if byteCount == 0 { return pointer }
        guard let moved = allocator.allocate(byteCount: byteCount, alignment: fundamentalAlignment) else { return nil }
        copyBytes(from: address(of: pointer), to: address(of: moved), min(preserve, byteCount))
        // Found live above, and nothing since could free it.
        allocator.deallocate(knownLive: pointer, caller: caller)
        return moved
    }

    /// `aligned_alloc` (C11/C17) and `memalign`: `nil` with `EINVAL` when the
    /// alignment is not a power of two, else as `posix_memalign` (alignments
    /// below a pointer are raised to it).
    public static func alignedAlloc<A: RawAllocator & ~Copyable>(
        _ allocator: inout A, alignment: UInt, byteCount: UInt
    ) -> (UnsafeMutableRawPointer?, Int32) {
        guard isPowerOfTwo(alignment) else { return (nil, EINVAL) }
        let block = allocator.allocate(byteCount: byteCount, alignment: max(alignment, pointerSize))
        return (block, block == nil ? ENOMEM : 0)
    }

    /// `malloc_usable_size`: bytes usable at `pointer`; 0 for `NULL` and for
    /// anything the allocator does not know as a live block.
    public static func usableSize<A: RawAllocator & ~Copyable>(_ allocator: borrowing A, _ pointer: UnsafeMutableRawPointer?) -> UInt {
        guard let pointer else { return 0 }
        return allocator.usableSize(of: pointer) ?? 0
    }
}
