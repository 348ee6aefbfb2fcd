// The checks of the words the fit heap keeps inside free blocks, which a
// linear overflow of the live block before them, or a write after free,
// can reach: a free block's bin links, read before they are followed or
// written through, and a bin's blocks, checked before one is handed out.
//
// Invariants (each helper below is the test of one):
// - A block a bin reaches is a free block: its address in
//   [firstBlock, sentinel) and ≡ 4 (mod 8); its header `size |
//   previousInUse` (a free block's predecessor is in use), size at least
//   16 and within the heap; its footer equal to its size; the next block's
//   "previous in use" bit clear. (``isFreeBlock(_:)``)
// - Its links agree with their neighbours: its `next` block's `prev` is
//   this block, and its `prev` block's `next` is this block, or, with no
//   `prev`, its bin's head is this block. (``linksAgree(_:size:)``)
// A forged link passes only if the forger also forged consistent tags and
// back links at the place it points to.
//
// The helpers that only read are `mutating` (see SlabAllocator+LinkChecks.swift:
// the fit heap lives inside the global slab heap).
//
// When a check fails the bin is abandoned, never followed: its head is
// cleared with its bitmap bits (its free blocks stay free in place, lost to
// allocation until a neighbour's free merges them back; the damaged block
// is counted lost), the corruption is counted and reported as ``MisuseKind/heapCorruption`` (size class -1),
// and the search goes on in the other bins.

extension FitHeap {
    /// True when `block` is a free block of the heap with consistent
    /// boundary tags (see above). Reads nothing outside the heap.
    mutating func isFreeBlock(_ block: UInt) -> Bool {
        guard block &- firstBlock < sentinel &- firstBlock, block & (Self.granule &- 1) == 4 else { return false }
        let header = Self.headerWord(block)
        let size = Self.size(ofHeader: header)
        return header & Self.flagBits == Self.previousInUseBit && size >= Self.minimumBlock
            && size <= sentinel &- block
            && loadWord(Self.footerAddress(block, size: size)) == UInt32(truncatingIfNeeded: size)
            && Self.headerWord(block &+ size) & Self.previousInUseBit == 0
    }

    /// True when the block at link offset `offset` may be read as a free
    /// block's link target: inside the heap, at a block address.
    @inline(__always)
    func isLinkTarget(_ offset: UInt32) -> Bool {
        let target = block(atOffset: offset)
        return target &- firstBlock < sentinel &- firstBlock && target & (Self.granule &- 1) == 4
    }

    /// True when the free block `block` of `size` bytes and the blocks its
    /// links name point back at it (see above).
    mutating func linksAgree(_ block: UInt, size: UInt) -> Bool {
        let mine = offset(of: block)
        let next = loadWord(Self.nextLinkAddress(block))
        let previous = loadWord(Self.previousLinkAddress(block))
        if next != 0 && !pointsBack(next, at: Self.previousLinkAddress, to: mine) { return false }
        if previous != 0 { return pointsBack(previous, at: Self.nextLinkAddress, to: mine) }
        let (first, second) = Self.bin(ofSize: size)
        return first < firstLevelCount && binHead(first, second).pointee == mine
    }

    /// True when the link `link` names a block of the heap whose link word
    /// at `linkAddress` holds `mine`: the neighbour a free block's link
    /// names agrees that the block is its neighbour.
    @inline(__always)
    func pointsBack(_ link: UInt32, at linkAddress: (UInt) -> UInt, to mine: UInt32) -> Bool {
        isLinkTarget(link) && loadWord(linkAddress(block(atOffset: link))) == mine
    }

    /// ``findFreeBlock(holding:)``, with the tags of the block it finds
    /// checked before it is used: a block that fails abandons its bin and
    /// the search runs once more; a second failure gives up (0, as when
    /// memory is short), so a damaged heap costs at most two searches.
    /// (A found block's links are checked where they are unlinked,
    /// `removeFromBin` and `replaceAtHead`; sound tags make it free memory.)
    mutating func findCheckedFreeBlock(holding size: UInt) -> UInt {
        // One call site of the search, inlined: a second one would be an
        // out-of-line non-mutating call, which copies the fit heap.
        var searches = 0
        while true {
            let block = findFreeBlock(holding: size)
            if block == 0 || isFreeBlock(block) { return block }
            abandonBins(reaching: block, request: size)
            searches &+= 1
            if searches == 2 { return 0 }
        }
    }

    /// Abandons every bin whose head is `block`, and the bin a request of
    /// `request` bytes looks into first (whose list may have reached
    /// `block` further down: see ``bestFit(holding:inBin:_:)``).
    @inline(never)
    mutating func abandonBins(reaching block: UInt, request: UInt) {
        let mine = offset(of: block)
        // Every bin once, as one walk (first level, then second).
        var bin: UInt = 0
        while bin < firstLevelCount &* Self.secondLevelCount {
            let (first, second) = (bin &>> Self.secondLevelShift, bin & (Self.secondLevelCount &- 1))
            if binHead(first, second).pointee == mine { abandonBin(first, second) }
            bin &+= 1
        }
        let (first, second) = Self.bin(ofSize: request)
        if first < firstLevelCount { abandonBin(first, second) }
        heapCorrupted(at: block &+ Self.headerBytes)
    }

    /// Empties bin (`first`, `second`) without reading its blocks: its head
    /// and bitmap bits are cleared. Precondition: `first < firstLevelCount`.
    mutating func abandonBin(_ first: UInt, _ second: UInt) {
        binHead(first, second).pointee = 0
        clearBinBits(first, second)
    }

    /// `removeFromBin` found the links of `block` (of `size` bytes) not
    /// agreeing: abandons the bin its size names, writes nothing through
    /// the links, and reports.
    @inline(never)
    mutating func unlinkRefused(_ block: UInt, size: UInt) {
        let (first, second) = Self.bin(ofSize: size)
        if first < firstLevelCount, binHead(first, second).pointee != 0 { abandonBin(first, second) }
        heapCorrupted(at: block &+ Self.headerBytes)
    }

    /// Counts and reports a corruption of the block whose payload is at `payload`.
    @inline(never)
    mutating func heapCorrupted(at payload: UInt) {
        reportMisuse(.heapCorruption, payload, blockSize: 0, caller: 0)
    }
}
