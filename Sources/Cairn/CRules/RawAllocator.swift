/// What the C allocation rules (``CHeap``) need from an allocator.
/// ``SlabAllocator`` and ``BumpAllocator`` both conform.
public protocol RawAllocator: ~Copyable {
    /// A block of `byteCount` bytes at `alignment` (a power of two), or `nil`.
    mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer?
    /// Frees a block; misuse is reported by the allocator and changes nothing.
    mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt)
    /// Bytes usable at a live block, or `nil` when unknown.
    func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt?
    /// Resizes a live block without moving it, or returns false.
    mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool
    /// Bytes that a moving `realloc` may copy from `pointer`: its usable size,
    /// or for allocators that do not know it, a bound that stays inside memory
    /// handed out; `nil` when `pointer` is not a live block. (A live block
    /// may have 0 bytes to preserve: `malloc(0)` in a checked build.)
    func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt?
    /// `realloc`'s first step: resize `pointer` in place when `byteCount`
    /// fits, else say how many bytes a move must copy, or that `pointer` is
    /// not a live block. The default asks ``resizeInPlace(_:byteCount:)``
    /// and then ``bytesToPreserve(from:)``; an allocator that validates a
    /// pointer at a cost answers with one validation.
    mutating func resizeOrMeasure(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> ResizeOutcome
    /// Frees a block the caller has just found live (``resizeOrMeasure``
    /// answered `.mustMove`, and nothing since could have freed it), so an
    /// allocator may skip the tests that catch a bad pointer. The default
    /// is ``deallocate(_:caller:)``, tests and all.
    mutating func deallocate(knownLive pointer: UnsafeMutableRawPointer, caller: UInt)
}

/// The answer of ``RawAllocator/resizeOrMeasure(_:byteCount:)``.
public enum ResizeOutcome: Equatable {
    case resized
    case mustMove(preserving: UInt)
    case notLive
}

extension RawAllocator where Self: ~Copyable {
    public mutating func deallocate(knownLive pointer: UnsafeMutableRawPointer, caller: UInt) {
        deallocate(pointer, caller: caller)
    }

    public mutating func resizeOrMeasure(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> ResizeOutcome {
        if resizeInPlace(pointer, byteCount: byteCount) { return .resized }
        guard let preserve = bytesToPreserve(from: pointer) else { return .notLive }
        return .mustMove(preserving: preserve)
    }
}

extension SlabAllocator: RawAllocator {
    public func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        usableSize(of: UnsafeRawPointer(pointer))
    }

    public func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        usableSize(of: UnsafeRawPointer(pointer))
    }
}

extension BumpAllocator: RawAllocator {
    public func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        // A bump block's size is unknown unless it is the newest; everything
        // from it to the top was handed out, so copying that much reads only
        // memory the caller may read, and includes the whole old block.
        owns(pointer) ? bytesBelowTop(from: pointer) : nil
    }
}
