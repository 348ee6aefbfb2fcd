/// A good-fit allocator over one region: blocks of any size at 8-byte
/// granularity, allocated and freed in O(1), with all its metadata inside
/// the region. The slab allocator's arena is one: its class pages and its
/// blocks above the largest size class are fit-heap blocks (see
/// ``SlabAllocator``).
///
/// The region is laid out as
///
///     [ control block | pad | block | block | ... | block | sentinel ]
///
/// - The **control block** holds the bins (see FitHeap+Bins.swift): its
///   size follows from the region (2 bin heads per power of two up to the
///   largest possible block), so a 4 KiB region spends 72 bytes on it and
///   a 4 MiB one 164.
/// - **Blocks** tile the rest; each is a 4-byte header and its payload
///   (see FitHeap+Blocks.swift). Payloads are 8-aligned; the first block's
///   is also 16-aligned (the pad is chosen so), which makes the Embedded
///   Swift runtime's 16-byte alignment free for a heap filled from the
///   bottom with sizes that are multiples of 16.
/// - The **sentinel** is a header of size 0 marked in use: the block walk
///   stops there, and the last block never merges past it. Its address + 4
///   is the heap's end, which ``shrinkTop(byAtLeast:alignTo:)`` and
///   ``growTop(to:)`` move, for an owner that keeps memory above the heap
///   (the slab allocator does not: its pages are fit-heap blocks).
///
/// Cost: allocate looks at up to 4 blocks of one bin, makes two bitmap
/// scans, one unlink and at most two links (twice that for an alignment
/// above 8 whose first candidate is misplaced); free is one validation, at
/// most two unlinks and one link. Nothing walks a list or a range whose
/// length grows with the heap.
///
/// A block is cut to exactly its request's size. What is left of the free
/// block it was cut from stays free: a block in a bin, or, when only 8
/// bytes are left, a free **fragment** (a header and a footer, in no bin)
/// that merges back when either neighbour is freed.
///
/// Alignment above 8 first tries a block that holds the request and happens
/// to leave room for its gap (at 16, any block whose payload is already
/// 16-aligned, which sizes that are multiples of 16 keep), then searches for
/// `alignment - 8` more bytes (the largest gap before an aligned payload).
/// The gap stays free like any remainder, a block or a fragment: nothing is
/// lost, and no block holds bytes it was not asked for.
///
/// Bad frees (a pointer outside the heap, not 8-aligned, whose header is
/// not a plausible live block, or already free) are reported through
/// ``misuseHandler`` and change nothing. Plausible means: the header's
/// size is a multiple of 8, at least 16 and within the heap, the next
/// block's "previous in use" bit agrees, and a free neighbour it would
/// merge with has matching boundary tags, and the header carries its
/// keyed tag (FitHeap+Blocks.swift). A header forged inside a live block
/// without its tag is reported as heap corruption; a blind forgery guesses
/// the 8-bit tag 1 time in 256 and is then taken for a block.
///
/// State is held as addresses (`UInt`), as in ``SlabAllocator``, so an
/// unconfigured heap is all zeros and fails every allocation. The public
/// entry points are inlined and leave through static functions taking the
/// heap `inout`, for the reason given in SlabAllocator's "Ways out of the
/// fast paths".
///
/// Noncopyable: two copies would hand out the same memory.
public struct FitHeap: ~Copyable {
    /// Address of the control block, 8-aligned; bin links are offsets from it.
    var controlBlock: UInt = 0
    /// Address of the bin heads inside the control block.
    var binHeads: UInt = 0
    /// Address of the first block's header (≡ 12 mod 16).
    var firstBlock: UInt = 0
    /// Address of the sentinel's header; the heap ends 4 bytes later.
    var sentinel: UInt = 0
    /// The odd multiplier of in-use header tags (see FitHeap+Blocks.swift).
    var headerKey: UInt32 = 0
    /// The highest end ``growTop(to:)`` may give the heap: the region's end
    /// rounded down to 8.
    var regionTop: UInt = 0
    /// First levels of bins (the control block's size follows from it).
    var firstLevelCount: UInt = 0
    /// Bit `f` set when some bin of first level `f` is non-empty.
    var firstLevelMap: UInt32 = 0
    var regionBytes: UInt = 0
    var outOfMemoryCount: UInt = 0
    var misuseCount: UInt = 0
    /// Heap corruptions detected (see FitHeap+LinkChecks.swift), also
    /// counted in ``misuseCount``.
    /// Each loses the damaged block (the rest of its bin is not counted).
    var corruptionCount: UInt = 0

    /// Every detected misuse is passed here; `nil` ignores them. Either way
    /// the bad request changes nothing.
    public var misuseHandler: MisuseHandler? = nil

    /// An unconfigured heap (all zeros): see ``configure(region:)``.
    public init() {}

    /// An unconfigured heap that already reports misuse to `handler`.
    public init(misuseHandler handler: MisuseHandler) {
        misuseHandler = handler
    }

    /// A heap over `region` (which must outlive it), or `nil` when the
    /// region cannot hold the control block and one minimum block.
    public init?(region: UnsafeMutableRawBufferPointer) {
        guard configure(region: region) else { return nil }
    }

    /// True once the heap owns a region.
    public var isConfigured: Bool { firstLevelCount != 0 }

    /// Bytes of blocks (headers included) between the control block and the
    /// sentinel: what the heap can hand out, less 4 bytes per block.
    public var capacity: UInt { sentinel &- firstBlock }

    /// The tag key of a heap configured without one: any odd number keys
    /// the tags; a firmware's slab passes its per-boot link key instead.
    public static let defaultHeaderKey: UInt32 = 0x9E37_79B9

    /// The address where the heap ends (its sentinel's end), 0 when unconfigured.
    public var heapEnd: UInt { isConfigured ? sentinel &+ 4 : 0 }

    // MARK: - Configuration

    /// Takes `region` (any address and size; it must outlive the heap) and
    /// lays out the control block and one free block covering the rest.
    /// Forgets any earlier region and its blocks; keeps ``misuseHandler``.
    /// A region above 16 MiB (``largestSpan``) is used up to its first
    /// 16 MiB: block sizes share their header word with a tag. Returns
    /// false, leaving the heap unconfigured, when the region cannot hold
    /// one minimum block. `headerKey` keys the in-use headers' tags (the
    /// slab passes its link key; see FitHeap+Blocks.swift).
    public mutating func configure(region: UnsafeMutableRawBufferPointer,
                                   headerKey key: UInt32 = FitHeap.defaultHeaderKey) -> Bool {
        let handler = misuseHandler
        self = FitHeap()
        misuseHandler = handler
        guard let base = region.baseAddress else { return false }
        let start = address(of: base)
        guard let alignedStart = roundUp(start, toMultipleOf: Self.granule),
              let end = checkedAdd(start, UInt(region.count)) else { return false }
        let top = min(roundDown(end, toMultipleOf: Self.granule), checkedAdd(alignedStart, Self.largestSpan) ?? end)
        guard top > alignedStart else { return false }
        headerKey = key | 1
        // The fewest first levels whose bins cover the largest block the
        // space left after their control block can hold: start from enough
        // levels for the whole space and drop levels while the capacity they
        // free still needs no more. (Fewer levels never shrink the capacity.)
        guard var levels = Self.firstLevels(forBlocksUpTo: top &- alignedStart) else { return false }
        while levels > 1, let first = Self.firstBlockAddress(alignedStart, levels &- 1), first < top,
              let needed = Self.firstLevels(forBlocksUpTo: top &- 4 &- first), needed <= levels &- 1 {
            levels &-= 1
        }
        guard let first = Self.firstBlockAddress(alignedStart, levels), first < top,
              top &- 4 &- first >= Self.minimumBlock else { return false }
        controlBlock = alignedStart
        binHeads = alignedStart &+ roundUp(levels, toMultipleOf: 4).unsafelyUnwrapped
        firstLevelCount = levels
        firstBlock = first
        sentinel = top &- 4
        regionTop = top
        regionBytes = UInt(region.count)
        fillBytes(controlBlock, 0, Self.controlBlockBytes(firstLevels: levels))
        writeLiveHeader(sentinel, size: 0, flags: Self.inUseBit)
        makeFree(firstBlock, size: capacity)
        return true
    }

    /// First levels needed for free blocks of up to `bytes` bytes, or `nil`
    /// when not even a minimum block fits.
    static func firstLevels(forBlocksUpTo bytes: UInt) -> UInt? {
        guard bytes >= minimumBlock else { return nil }
        return floorLog2(bytes &>> granuleShift)
    }

    /// Where the first block's header goes after a control block for
    /// `levels` levels at `controlStart`: the first address after it whose
    /// payload is 16-aligned. `nil` when that wraps.
    static func firstBlockAddress(_ controlStart: UInt, _ levels: UInt) -> UInt? {
        guard let afterControl = checkedAdd(controlStart, controlBlockBytes(firstLevels: levels) &+ headerBytes),
              let payload = roundUp(afterControl, toMultipleOf: 16) else { return nil }
        return payload &- headerBytes
    }

    // MARK: - Allocation

    /// A block of at least `byteCount` bytes whose address is a multiple of
    /// `alignment`, or `nil` when the alignment is not a power of two or no
    /// free block holds it (counted; nothing changes). Zero bytes give a
    /// unique minimum block. Alignments up to 8 cost nothing extra.
    @inline(__always)
    public mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        guard isPowerOfTwo(alignment) else { return nil }
        if alignment <= Self.granule { return Self.allocateBlock(&self, byteCount: byteCount) }
        return Self.allocateAligned(&self, byteCount: byteCount, alignment: alignment)
    }

    /// A block for `byteCount` bytes at the heap's own 8-byte alignment.
    @inline(never)
    static func allocateBlock(_ heap: inout FitHeap, byteCount: UInt) -> UnsafeMutableRawPointer? {
        guard let request = heap.blockSize(forRequest: byteCount) else { return heap.outOfMemory() }
        let block = heap.findCheckedFreeBlock(holding: request)
        guard block != 0 else { return heap.outOfMemory() }
        let size = Self.size(ofHeader: Self.headerWord(block))
        guard size >= request else { return heap.outOfMemory() }
        return rawPointer(heap.carve(block, size: size, gap: 0, request: request) &+ Self.headerBytes)
    }

    /// A block for `byteCount` bytes at `alignment` (a power of two above 8).
    ///
    /// First a block that holds the request itself, taken when its own gap
    /// (the distance from its payload to the next aligned address) leaves
    /// room: at 16 this is every block whose payload is already 16-aligned,
    /// which blocks of sizes that are multiples of 16 keep. Else a block
    /// that holds the request after the largest possible gap,
    /// `alignment - 8` bytes (payloads are 8-aligned). Two searches at most.
    @inline(never)
    static func allocateAligned(_ heap: inout FitHeap, byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        guard let request = heap.blockSize(forRequest: byteCount) else { return heap.outOfMemory() }
        let candidate = heap.findCheckedFreeBlock(holding: request)
        guard candidate != 0 else { return heap.outOfMemory() }
        if let (size, gap) = Self.alignedFit(candidate, request: request, alignment: alignment) {
            return rawPointer(heap.carve(candidate, size: size, gap: gap, request: request) &+ Self.headerBytes)
        }
        // A sum that wraps is far beyond the capacity: ask for more than the
        // capacity, which only the fallback of the search answers.
        let wanted = checkedAdd(request, alignment &- Self.granule) ?? UInt.max
        let block = heap.findCheckedFreeBlock(holding: min(wanted, heap.capacity &+ Self.granule))
        guard block != 0, let (size, gap) = Self.alignedFit(block, request: request, alignment: alignment)
        else { return heap.outOfMemory() }
        return rawPointer(heap.carve(block, size: size, gap: gap, request: request) &+ Self.headerBytes)
    }

    /// The size of the free block `block` and the gap before its first
    /// payload aligned to `alignment`, when `request` bytes fit after that
    /// gap; else `nil`. Precondition: `block` is free.
    @inline(__always)
    static func alignedFit(_ block: UInt, request: UInt, alignment: UInt) -> (UInt, UInt)? {
        let size = Self.size(ofHeader: headerWord(block))
        let gap = (0 &- (block &+ headerBytes)) & (alignment &- 1)
        guard gap <= size, request <= size &- gap else { return nil }
        return (size, gap)
    }

    /// Counts a failed allocation; returns `nil` for the caller to return.
    mutating func outOfMemory() -> UnsafeMutableRawPointer? {
        outOfMemoryCount &+= 1
        return nil
    }

    // MARK: - Free

    /// Frees a block, merging it with free neighbours. A pointer that is not
    /// a live block is reported through ``misuseHandler`` and otherwise
    /// ignored. `caller` is the return address of the hook, for the report.
    @inline(__always)
    public mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt = 0) {
        Self.deallocateBlock(&self, address(of: pointer), caller: caller)
    }

    @inline(never)
    static func deallocateBlock(_ heap: inout FitHeap, _ payload: UInt, caller: UInt) {
        switch heap.lookUpLiveBlock(payload) {
        case .live(let block, let size):
            heap.releaseBlock(block, size: size)
        case .misuse(let kind, let size):
            heap.reportMisuse(kind, payload, blockSize: size, caller: caller)
        }
    }

    /// Counts a misuse and passes it to the handler; changes nothing else.
    mutating func reportMisuse(_ kind: MisuseKind, _ payload: UInt, blockSize: UInt, caller: UInt) {
        misuseCount &+= 1
        if kind == .heapCorruption { corruptionCount &+= 1 }
        guard let handler = misuseHandler else { return }
        MisuseReport(kind: kind, address: payload, sizeClass: -1, blockSize: blockSize, caller: caller).send(to: handler)
    }

    /// What the payload address `payload` is: a live block, or what freeing
    /// it would be (with the block size when known). Reads only words of the
    /// region (the heap, or the word just before the first block), each
    /// after the test that puts it there.
    func lookUpLiveBlock(_ payload: UInt) -> FitBlockLookup {
        Self.lookUpLiveBlock(payload, firstBlock: firstBlock, sentinel: sentinel, key: headerKey)
    }

    /// ``lookUpLiveBlock(_:)`` over the three fields it reads: static, so that
    /// a caller holding the heap inside a larger global (the slab's) reads
    /// them without Swift copying that global first.
    static func lookUpLiveBlock(_ payload: UInt, firstBlock: UInt, sentinel: UInt, key: UInt32) -> FitBlockLookup {
        lookUpLiveBlockInlined(payload, firstBlock: firstBlock, sentinel: sentinel, key: key)
    }

    /// ``lookUpLiveBlock(_:firstBlock:sentinel:key:)`` inlined into its caller:
    /// for the slab's free of a large block, whose worst case it is part of
    /// (a call and an enum passed back through memory); other callers
    /// share the one out-of-line copy.
    @inline(__always)
    static func lookUpLiveBlockInlined(_ payload: UInt, firstBlock: UInt, sentinel: UInt,
                                       key: UInt32) -> FitBlockLookup {
        let block = payload &- Self.headerBytes
        // One unsigned compare rejects both sides (and everything when unconfigured).
        guard block &- firstBlock < sentinel &- firstBlock else { return .misuse(.foreignPointer, 0) }
        guard payload & (Self.granule &- 1) == 0 else { return .misuse(.notBlockStart, 0) }
        let header = Self.headerWord(block)
        let size = Self.size(ofHeader: header)
        guard header & 4 == 0, size >= Self.fragmentSize, size <= sentinel &- block else {
            return .misuse(.notBlockStart, 0)
        }
        let next = block &+ size
        let nextHeader = Self.headerWord(next)
        guard header & Self.inUseBit != 0 else {
            // A free block, if its tags agree: freed twice. Else an address
            // inside some block.
            if size >= Self.minimumBlock, header & Self.previousInUseBit != 0,
               loadWord(Self.footerAddress(block, size: size)) == UInt32(truncatingIfNeeded: size),
               nextHeader & Self.previousInUseBit == 0 {
                return .misuse(.doubleFree, size)
            }
            return .misuse(.notBlockStart, 0)
        }
        guard size >= Self.minimumBlock, nextHeader & Self.previousInUseBit != 0 else {
            return .misuse(.notBlockStart, 0)
        }
        // A free neighbour it would merge with must carry matching tags.
        if header & Self.previousInUseBit == 0 {
            let previousSize = Self.previousBlockSize(block)
            guard previousSize & (Self.granule &- 1) == 0, previousSize >= Self.fragmentSize,
                  previousSize <= block &- firstBlock,
                  Self.headerWord(block &- previousSize) == UInt32(truncatingIfNeeded: previousSize) | Self.previousInUseBit
            else { return .misuse(.notBlockStart, 0) }
        }
        if nextHeader & Self.inUseBit == 0 {
            let nextSize = Self.size(ofHeader: nextHeader)
            guard nextHeader & 4 == 0, nextSize >= Self.fragmentSize, nextSize <= sentinel &- next,
                  loadWord(Self.footerAddress(next, size: nextSize)) == UInt32(truncatingIfNeeded: nextSize)
            else { return .misuse(.notBlockStart, 0) }
        }
        // Last, so that a stray pointer whose word before fails a plainer
        // test above is a bad free: a plausible header without its tag was
        // overwritten (FitHeap+Blocks.swift).
        guard isTagged(header, at: block, key: key) else { return .misuse(.heapCorruption, 0) }
        return .live(block: block, size: size)
    }

    // MARK: - Queries and resizing

    /// Bytes usable at `pointer` (its block size less the header), or `nil`
    /// when it is not a live block.
    public func usableSize(of pointer: UnsafeRawPointer) -> UInt? {
        guard case .live(_, let size) = lookUpLiveBlock(address(of: pointer)) else { return nil }
        return size &- Self.headerBytes
    }

    /// Resizes a live block without moving it: true when `byteCount` fits.
    /// Shrinking gives back the tail (a free block, a fragment, or part of
    /// the free block after it); growing takes what it needs from a free
    /// block (or fragment) right after it.
    public mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        Self.resizeBlockInPlace(&self, address(of: pointer), byteCount: byteCount)
    }

    @inline(never)
    static func resizeBlockInPlace(_ heap: inout FitHeap, _ payload: UInt, byteCount: UInt) -> Bool {
        guard case .live(let block, let size) = heap.lookUpLiveBlock(payload),
              let request = heap.blockSize(forRequest: byteCount) else { return false }
        let flags = Self.headerWord(block) & Self.flagBits
        let next = block &+ size
        let nextHeader = Self.headerWord(next)
        let nextIsFree = nextHeader & Self.inUseBit == 0
        let nextSize = nextIsFree ? Self.size(ofHeader: nextHeader) : 0
        if request <= size {
            guard request < size else { return true }
            if nextIsFree { heap.absorbFreeBlock(next, size: nextSize) }
            heap.writeLiveHeader(block, size: request, flags: flags)
            heap.makeFree(block &+ request, size: size &- request &+ nextSize)
            return true
        }
        guard nextIsFree, size &+ nextSize >= request else { return false }
        heap.absorbFreeBlock(next, size: nextSize)
        let tail = size &+ nextSize &- request
        heap.writeLiveHeader(block, size: request, flags: flags)
        if tail != 0 {
            // The block after the tail already knows its predecessor is free.
            heap.writeFreeBlock(block &+ request, size: tail)
        } else {
            heap.setPreviousInUse(block &+ request, true)
        }
        return true
    }

    /// True when `pointer` lies inside the heap's blocks.
    public func owns(_ pointer: UnsafeRawPointer) -> Bool {
        address(of: pointer) &- firstBlock < sentinel &- firstBlock
    }
}

/// What ``FitHeap/lookUpLiveBlock(_:)`` found at an address.
enum FitBlockLookup {
    /// A live block: its header address and size.
    case live(block: UInt, size: UInt)
    /// Not a live block: the misuse a free of it is, and the block size
    /// when one is known (a double free), else 0.
    case misuse(MisuseKind, UInt)
}

extension FitHeap: RawAllocator {
    public func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        usableSize(of: UnsafeRawPointer(pointer))
    }

    public func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        usableSize(of: UnsafeRawPointer(pointer))
    }
}
