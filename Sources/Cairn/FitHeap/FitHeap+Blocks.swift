// Blocks and their boundary tags: the layout of one block, and the helpers
// that split and merge blocks. Every other part of FitHeap reads and writes
// blocks only through these.
//
// A block is a 4-byte header word followed by its payload. Its address is
// the address of its header; the payload starts 4 bytes later.
//
//     in use:             header | payload ...
//     free (16 or more):  header | next | prev | ... | size (footer)
//     free fragment (8):  header | size (footer)
//
// Header word: the block size (a multiple of 8, below 2^24) | bit 0 "this
// block is in use" | bit 1 "the previous physical block is in use"; bit 2
// is always 0. An in-use block's header (and the sentinel's) carries in its
// top 8 bits a tag keyed by ``FitHeap/headerKey`` over its address, size
// and flags: that header lies where an overflow of the live block before
// it reaches, and a forged size would make its free release a live
// neighbour too. A forged header fails the tag (1 chance in 256 without
// the key) and its free is reported as heap corruption. Free headers carry
// no tag: their size is checked against their footer and links instead
// (FitHeap+LinkChecks.swift).
// `next` and `prev` link the free block into its bin (FitHeap+Bins.swift).
// An 8-byte fragment is what is left in front of an aligned block or after
// a block cut from a larger one when 8 bytes remain: it is in no bin, and
// merges with its neighbours like any free block.
//
// Invariants every helper here relies on (and checkIntegrity proves):
// - block addresses are ≡ 4 (mod 8), so every payload is 8-aligned, and lie
//   in [firstBlock, sentinel]; the blocks tile that range exactly;
// - no two free blocks touch, so the block before a free block is in use
//   (or the free block is the first one, whose "previous in use" bit is set
//   by convention): a free block's header is always `size | previousInUse`;
// - the sentinel (size 0, in use) follows the last block.

extension FitHeap {
    /// Every block size, alignment and gap is a multiple of 8 bytes.
    static let granule: UInt = 8
    static let granuleShift: UInt = 3
    /// Bytes of a block's header word; the payload starts this far in.
    static let headerBytes: UInt = 4
    /// The smallest block: header, two links and a footer.
    static let minimumBlock: UInt = 16
    /// A free gap too small for the links: header and footer only.
    static let fragmentSize: UInt = 8

    static let inUseBit: UInt32 = 1
    static let previousInUseBit: UInt32 = 2
    /// The header bits that are not size; bit 2 is never set in a valid header.
    static let flagBits: UInt32 = 7
    /// The header bits of an in-use block's tag, and of its size.
    static let tagBits: UInt32 = 0xFF00_0000
    static let sizeBits: UInt32 = 0x00FF_FFF8
    /// Bytes a heap spans at most (sizes must stay below the tag bits):
    /// ``configure(region:headerKey:)`` uses a larger region's first 16 MiB.
    static let largestSpan: UInt = 1 << 24

    // MARK: - Tags (the only places a header, footer or link is addressed)

    /// The header word of `block`. Precondition: `block` is in [firstBlock, sentinel].
    @inline(__always)
    static func headerWord(_ block: UInt) -> UInt32 {
        loadWord(block)
    }

    /// The size in a header word, free or in use.
    @inline(__always)
    static func size(ofHeader header: UInt32) -> UInt {
        UInt(header & sizeBits)
    }

    /// The tag of an in-use header at `block` whose size and flags are
    /// `word`: the top 8 bits of `(block ^ word) * key`, for an odd `key`.
    /// A multiply carries every bit of the size and flags into the top
    /// bits through the key's lower bits, so the tag of another size
    /// cannot be had from a tag seen, without the key.
    @inline(__always)
    static func tag(_ block: UInt, _ word: UInt32, key: UInt32) -> UInt32 {
        ((UInt32(truncatingIfNeeded: block) ^ word) &* key) & tagBits
    }

    /// True when the in-use header `header` of `block` carries its tag.
    @inline(__always)
    static func isTagged(_ header: UInt32, at block: UInt, key: UInt32) -> Bool {
        header & tagBits == tag(block, header & ~tagBits, key: key)
    }

    /// Writes the header of the free block `block` (its predecessor is in
    /// use, see the invariants above). Precondition: `size` is a multiple
    /// of 8, below ``largestSpan``.
    @inline(__always)
    static func writeFreeHeader(_ block: UInt, size: UInt) {
        storeWord(UInt32(truncatingIfNeeded: size) | previousInUseBit, block)
    }

    /// Writes the header of the in-use block (or the sentinel) `block`,
    /// tagged. Precondition: as ``writeFreeHeader(_:size:)``; `flags`
    /// has ``inUseBit``.
    @inline(__always)
    func writeLiveHeader(_ block: UInt, size: UInt, flags: UInt32) {
        storeTaggedHeader(UInt32(truncatingIfNeeded: size) | flags, at: block)
    }

    /// Stores `word` (size and flags of an in-use header) at `block` with
    /// its tag: the one place a tag is written.
    @inline(__always)
    func storeTaggedHeader(_ word: UInt32, at block: UInt) {
        storeWord(word | Self.tag(block, word, key: headerKey), block)
    }

    /// Bytes of the live block whose payload is at `payload`, its header
    /// included. Precondition: `payload` is a live block's.
    @inline(__always)
    static func blockBytes(ofPayload payload: UInt) -> UInt {
        size(ofHeader: headerWord(payload &- headerBytes))
    }

    /// The last word of a block of `size` bytes at `block`. Precondition: `size >= 8`.
    @inline(__always)
    static func footerAddress(_ block: UInt, size: UInt) -> UInt {
        block &+ size &- 4
    }

    /// Size of the free block that ends where `block` starts, read from its
    /// footer. Precondition: `block`'s "previous in use" bit is clear.
    @inline(__always)
    static func previousBlockSize(_ block: UInt) -> UInt {
        UInt(loadWord(block &- 4))
    }

    /// Sets or clears the "previous in use" bit of the in-use block (or the
    /// sentinel) `block`, keeping its size, and tags it anew.
    @inline(__always)
    func setPreviousInUse(_ block: UInt, _ inUse: Bool) {
        let word = loadWord(block) & ~Self.tagBits
        storeTaggedHeader(inUse ? word | Self.previousInUseBit : word & ~Self.previousInUseBit, at: block)
    }

    /// Address of the "next free block" link. Precondition: the block is free, 16 bytes or more.
    @inline(__always)
    static func nextLinkAddress(_ block: UInt) -> UInt { block &+ 4 }

    /// Address of the "previous free block" link. Precondition: as ``nextLinkAddress(_:)``.
    @inline(__always)
    static func previousLinkAddress(_ block: UInt) -> UInt { block &+ 8 }

    // MARK: - Sizes

    /// The block size that serves `byteCount` payload bytes: header added,
    /// rounded up to 8, at least the minimum block; `nil` when it cannot fit
    /// in the heap at all (checked before any addition, so no request wraps).
    @inline(__always)
    func blockSize(forRequest byteCount: UInt) -> UInt? {
        let limit = capacity
        // capacity < 2^32 - 16 (the heap lies below the top of a 32-bit
        // address space), so after this test the additions cannot wrap.
        guard byteCount <= limit else { return nil }
        let size = max(Self.minimumBlock, (byteCount &+ Self.headerBytes &+ Self.granule &- 1) & ~(Self.granule &- 1))
        return size <= limit ? size : nil
    }

    // MARK: - Splitting and merging

    /// Makes `block` a free block of `size` bytes: header, footer, and its bin
    /// when it is big enough for one (a fragment is in none). Leaves the next
    /// block's "previous in use" bit alone. Precondition: the block before
    /// `block` is in use (or `block` is the first block); `size >= 8`.
    @inline(__always)
    mutating func writeFreeBlock(_ block: UInt, size: UInt) {
        Self.writeFreeHeader(block, size: size)
        storeWord(UInt32(truncatingIfNeeded: size), Self.footerAddress(block, size: size))
        if size >= Self.minimumBlock { insertIntoBin(block, size: size) }
    }

    /// ``writeFreeBlock(_:size:)`` and tells the next block that its
    /// predecessor is free. Precondition: as there, and the next block is
    /// in use (or the sentinel).
    @inline(__always)
    mutating func makeFree(_ block: UInt, size: UInt) {
        writeFreeBlock(block, size: size)
        setPreviousInUse(block &+ size, false)
    }

    /// Takes the free block `block` of `size` bytes out of the free
    /// structures so that a neighbour can absorb it, and clears its stale
    /// header (a later free of that address then reads 0 and is reported,
    /// not taken for a block). Precondition: `block` is free.
    @inline(__always)
    mutating func absorbFreeBlock(_ block: UInt, size: UInt) {
        if size >= Self.minimumBlock { removeFromBin(block, size: size) }
        storeWord(0, block)
    }

    /// Hands out `request` bytes of the free block `block` (still in its bin,
    /// `size` bytes), at `gap` bytes from its start; returns the new block's
    /// address. The gap and the tail stay free: each a binned block, or a
    /// fragment when it is 8 bytes. (A tail fragment rather than 8 bytes
    /// more in the block: it comes back when either neighbour is freed, not
    /// only with the block, and the block keeps exactly its request's size.)
    ///
    /// Precondition: `gap` is a multiple of 8, `gap + request <= size`.
    @inline(__always)
    mutating func carve(_ block: UInt, size: UInt, gap: UInt, request: UInt) -> UInt {
        let rest = size &- gap &- request
        if gap == 0 {
            if rest >= Self.minimumBlock && replaceAtHead(block, size: size, by: block &+ request, size: rest) {
                // The usual split: the rest takes the block's place at the
                // head of the same bin. Its successor already knows its
                // predecessor is free.
                Self.writeFreeHeader(block &+ request, size: rest)
                storeWord(UInt32(truncatingIfNeeded: rest), Self.footerAddress(block &+ request, size: rest))
                writeLiveHeader(block, size: request, flags: Self.inUseBit | Self.previousInUseBit)
                return block
            }
        } else if rest >= Self.minimumBlock && replaceAtHead(block, size: size, by: block &+ gap &+ request, size: rest) {
            // The same for an aligned request (a class page): the rest takes
            // the block's place, and the gap in front becomes a free block or
            // fragment of its own. It cannot share that bin: a gap and a rest
            // both of that bin's sizes would sum to more than the block.
            let start = block &+ gap
            Self.writeFreeHeader(start &+ request, size: rest)
            storeWord(UInt32(truncatingIfNeeded: rest), Self.footerAddress(start &+ request, size: rest))
            writeFreeBlock(block, size: gap)
            writeLiveHeader(start, size: request, flags: Self.inUseBit)
            return start
        }
        removeFromBin(block, size: size)
        var start = block
        // A free block's predecessor is in use (see the invariants above).
        var flags = Self.inUseBit | Self.previousInUseBit
        if gap != 0 {
            writeFreeBlock(block, size: gap)
            start = block &+ gap
            flags = Self.inUseBit
        }
        let tail = size &- gap &- request
        if tail != 0 {
            // The block after the tail is in use and already knows its
            // predecessor is free.
            writeFreeBlock(start &+ request, size: tail)
        } else {
            setPreviousInUse(start &+ request, true)
        }
        writeLiveHeader(start, size: request, flags: flags)
        return start
    }

    /// Frees the live block `block` of `size` bytes, merging it with a free
    /// block on either side, in O(1). Precondition: `block` was validated by
    /// ``lookUpLiveBlock(_:)``.
    @inline(__always)
    mutating func releaseBlock(_ block: UInt, size: UInt) {
        var start = block
        var total = size
        let next = block &+ size
        let nextHeader = Self.headerWord(next)
        let nextIsFree = nextHeader & Self.inUseBit == 0
        let nextSize = Self.size(ofHeader: nextHeader)
        let previousIsFree = Self.headerWord(block) & Self.previousInUseBit == 0
        if nextIsFree && !previousIsFree && nextSize >= Self.minimumBlock
            && replaceAtHead(next, size: nextSize, by: block, size: size &+ nextSize) {
            // Merged with the block after, which headed the bin the whole
            // now belongs to: the whole takes its place.
            storeWord(0, next)
            Self.writeFreeHeader(block, size: size &+ nextSize)
            storeWord(UInt32(truncatingIfNeeded: size &+ nextSize), Self.footerAddress(block, size: size &+ nextSize))
            return
        }
        if nextIsFree {
            absorbFreeBlock(next, size: nextSize)
            total &+= nextSize
        }
        if previousIsFree {
            let previousSize = Self.previousBlockSize(block)
            start = block &- previousSize
            storeWord(0, block)
            total &+= previousSize
            if previousSize >= Self.minimumBlock {
                if replaceAtHead(start, size: previousSize, by: start, size: total) {
                    // Merged into the block before, which heads the bin the
                    // whole belongs to: only its size changes.
                    Self.writeFreeHeader(start, size: total)
                    storeWord(UInt32(truncatingIfNeeded: total), Self.footerAddress(start, size: total))
                    if !nextIsFree { setPreviousInUse(start &+ total, false) }
                    return
                }
                removeFromBin(start, size: previousSize)
            }
        }
        // The block after a free next block already knows its predecessor is free.
        writeFreeBlock(start, size: total)
        if !nextIsFree { setPreviousInUse(start &+ total, false) }
    }
}
