/// What a caller did wrong. Passed to the ``MisuseHandler`` of an allocator.
///
/// Raw values are stable: the firmware fault reporter prints them by name and
/// tests compare them.
public enum MisuseKind: UInt8 {
    /// `free` of an address outside the allocator's arena.
    case foreignPointer = 1
    /// `free` of an address inside the arena that is not the start of a block
    /// (an interior pointer, or a pointer into metadata or free memory).
    case notBlockStart = 2
    /// `free` of a block that is already free. (Once a freed class block's
    /// whole page has gone back to the fit heap, or a freed large block has
    /// merged with a free neighbour, a second free of it is reported as
    /// ``notBlockStart`` instead. Either way nothing changes.)
    case doubleFree = 3
    /// Checked builds: the canary after a block was overwritten.
    case bufferOverflow = 4
    /// Checked builds: a freed block was written while it was free.
    case writeAfterFree = 5
    /// A bump mark that does not belong to the current arena state.
    case invalidMark = 6
    /// A word the heap keeps in memory a program can write (a free-list
    /// link, a class page's descriptor, a fit-heap header or bin link)
    /// failed its check: an overflow of a neighbouring block or a write
    /// after free changed it. `address` is the damaged block (or
    /// descriptor). The heap never follows the bad word: it abandons that
    /// list, counts the free blocks lost with it, and carries on.
    case heapCorruption = 7
}

/// One detected misuse: what, where, which size class and who called.
public struct MisuseReport {
    public var kind: MisuseKind
    /// The address the caller passed.
    public var address: UInt
    /// Size class index of the block, or -1 when the address has none.
    public var sizeClass: Int
    /// Block size in bytes of that class (0 when none).
    public var blockSize: UInt
    /// Return address of the caller of the allocation hook (0 when unknown).
    public var caller: UInt

    public init(kind: MisuseKind, address: UInt, sizeClass: Int = -1, blockSize: UInt = 0, caller: UInt = 0) {
        self.kind = kind
        self.address = address
        self.sizeClass = sizeClass
        self.blockSize = blockSize
        self.caller = caller
    }
}

/// Called with every detected misuse, as `(kind, address, sizeClass,
/// blockSize, caller)`: the fields of a ``MisuseReport`` (rebuild it with
/// ``MisuseReport/init(rawKind:address:sizeClass:blockSize:caller:)``).
/// It must not allocate from the same heap. A firmware's handler prints the
/// report and stops; host tests record it. When it returns, the allocator
/// ignores the bad request: nothing is freed and no list is touched.
public typealias MisuseHandler = @convention(c) (UInt8, UInt, Int, UInt, UInt) -> Void

extension MisuseReport {
    /// The report a ``MisuseHandler`` was called with.
    public init(rawKind: UInt8, address: UInt, sizeClass: Int, blockSize: UInt, caller: UInt) {
        self.init(kind: MisuseKind(rawValue: rawKind) ?? .foreignPointer, address: address,
                  sizeClass: sizeClass, blockSize: blockSize, caller: caller)
    }

    /// Passes this report to `handler`.
    func send(to handler: MisuseHandler) {
        handler(kind.rawValue, address, sizeClass, blockSize, caller)
    }
}

/// Called with `(address, caller)` of a free outside an allocator's arena
/// (see ``SlabAllocator/foreignBlockHandler``): true when it freed the
/// block (or reported it) as another region's, false to let the allocator
/// report a foreign pointer.
public typealias ForeignBlockHandler = @convention(c) (UInt, UInt) -> Bool
