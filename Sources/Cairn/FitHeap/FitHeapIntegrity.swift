/// Invariants of a ``FitHeap``; each names what broke.
public enum FitIntegrityProblem: UInt8 {
    /// A header's size is not a multiple of 8, is below the smallest block
    /// (16 in use, 8 free), or runs past the sentinel.
    case blockSize = 1
    /// The sentinel is not a size-0 block marked in use, or the control
    /// block's geometry is not what the region gives.
    case sentinel
    /// A block's "previous in use" bit disagrees with the block before it
    /// (the first block's bit must be set).
    case previousInUseBit
    /// A free block's footer does not repeat its size.
    case footer
    /// Two free blocks touch: they should have been merged.
    case adjacentFreeBlocks
    /// A bin link points outside the heap, to a block that is not free, or
    /// its back link disagrees; or a bin's list does not end.
    case freeListLink
    /// A free block is in a bin its size does not belong to.
    case wrongBin
    /// A bitmap bit disagrees with its bin (or level) being non-empty, or a
    /// bit is set for a bin or level that does not exist.
    case bitmap
    /// The bins hold a different number of blocks than the heap's free blocks.
    case freeCount
    /// An in-use header (or the sentinel's) lacks its keyed tag, or a free
    /// header has tag bits set (see FitHeap+Blocks.swift).
    case headerTag
}

extension FitHeap {
    /// Walks every block from the first to the sentinel, then every bin,
    /// and returns the first invariant that does not hold, or `nil`.
    /// O(blocks + bins) (blocks bounded by capacity / 8); allocates nothing.
    /// An unconfigured heap is valid.
    public func checkIntegrity() -> FitIntegrityProblem? {
        guard isConfigured else { return nil }
        guard firstBlock <= sentinel, sentinel &+ 4 <= regionTop,
              (firstBlock &+ Self.headerBytes) & 15 == 0, sentinel & (Self.granule &- 1) == Self.headerBytes,
              binHeads &+ firstLevelCount &* Self.secondLevelCount &* 4 <= firstBlock
        else { return .sentinel }
        var freeBlocks: UInt = 0
        var previousInUse = true
        var problem: FitIntegrityProblem? = nil
        let stop = forEachBlock { block, size, inUse in
            guard problem == nil else { return }
            problem = checkBlock(block, size: size, inUse: inUse, previousInUse: previousInUse,
                                 freeBlocks: &freeBlocks)
            previousInUse = inUse
        }
        if let problem { return problem }
        guard stop == sentinel else { return .blockSize }
        let end = Self.headerWord(sentinel)
        guard end & ~(Self.previousInUseBit | Self.tagBits) == Self.inUseBit else { return .sentinel }
        guard Self.isTagged(end, at: sentinel, key: headerKey) else { return .headerTag }
        guard (end & Self.previousInUseBit != 0) == previousInUse else { return .previousInUseBit }
        return checkBins(freeBlocks: freeBlocks)
    }

    /// The invariants of one block of the walk (see ``checkIntegrity()``),
    /// counting it in `freeBlocks` when it is a binned free block.
    func checkBlock(_ block: UInt, size: UInt, inUse: Bool, previousInUse: Bool,
                    freeBlocks: inout UInt) -> FitIntegrityProblem? {
        let header = Self.headerWord(block)
        guard header & 4 == 0, size >= (inUse ? Self.minimumBlock : Self.fragmentSize) else { return .blockSize }
        guard (header & Self.previousInUseBit != 0) == previousInUse else { return .previousInUseBit }
        guard inUse ? Self.isTagged(header, at: block, key: headerKey) : header & Self.tagBits == 0
        else { return .headerTag }
        guard !inUse else { return nil }
        guard previousInUse else { return .adjacentFreeBlocks }
        guard loadWord(Self.footerAddress(block, size: size)) == UInt32(truncatingIfNeeded: size) else { return .footer }
        if size >= Self.minimumBlock {
            if let problem = checkLinks(of: block) { return problem }
            freeBlocks &+= 1
        }
        return nil
    }

    /// True when `offset` names a place a block header can be: inside the
    /// heap, on the 8-byte grid of headers.
    func isBlockOffset(_ offset: UInt32) -> Bool {
        let candidate = block(atOffset: offset)
        return offset != 0 && candidate &- firstBlock < sentinel &- firstBlock
            && (candidate &- firstBlock) & (Self.granule &- 1) == 0
    }

    /// The free block `block`'s links agree with its neighbours in the bin:
    /// its successor links back to it, its predecessor forward to it, and
    /// with no predecessor it is its bin's head.
    func checkLinks(of block: UInt) -> FitIntegrityProblem? {
        let mine = offset(of: block)
        let next = loadWord(Self.nextLinkAddress(block))
        let previous = loadWord(Self.previousLinkAddress(block))
        if next != 0 {
            guard isBlockOffset(next), Self.headerWord(self.block(atOffset: next)) & Self.inUseBit == 0,
                  loadWord(Self.previousLinkAddress(self.block(atOffset: next))) == mine
            else { return .freeListLink }
        }
        if previous != 0 {
            guard isBlockOffset(previous), Self.headerWord(self.block(atOffset: previous)) & Self.inUseBit == 0,
                  loadWord(Self.nextLinkAddress(self.block(atOffset: previous))) == mine
            else { return .freeListLink }
        } else {
            let (first, second) = Self.bin(ofSize: Self.size(ofHeader: Self.headerWord(block)))
            guard first < firstLevelCount else { return .wrongBin }
            guard binHead(first, second).pointee == mine else { return .wrongBin }
        }
        return nil
    }

    /// Every bin holds only free blocks of its size range, linked both ways,
    /// and `freeBlocks` of them in all; every bitmap bit says whether its
    /// bin (or level) is non-empty.
    func checkBins(freeBlocks: UInt) -> FitIntegrityProblem? {
        let levelBits = firstLevelCount >= 32 ? UInt32.max : (UInt32(1) << UInt32(firstLevelCount)) &- 1
        guard firstLevelMap & ~levelBits == 0 else { return .bitmap }
        var listed: UInt = 0
        var first: UInt = 0
        while first < firstLevelCount {
            let map = secondLevelMap(first).pointee
            guard UInt(map) >> Self.secondLevelCount == 0,
                  (firstLevelMap & (UInt32(1) << UInt32(first)) != 0) == (map != 0)
            else { return .bitmap }
            var second: UInt = 0
            while second < Self.secondLevelCount {
                var link = binHead(first, second).pointee
                guard (map & (1 << UInt8(second)) != 0) == (link != 0) else { return .bitmap }
                var previous: UInt32 = 0
                while link != 0 {
                    guard isBlockOffset(link), listed < freeBlocks else { return .freeListLink }
                    let block = self.block(atOffset: link)
                    let header = Self.headerWord(block)
                    let size = Self.size(ofHeader: header)
                    guard header & Self.inUseBit == 0, size >= Self.minimumBlock, size <= sentinel &- block,
                          loadWord(Self.previousLinkAddress(block)) == previous
                    else { return .freeListLink }
                    let bin = Self.bin(ofSize: size)
                    guard bin.first == first, bin.second == second else { return .wrongBin }
                    listed &+= 1
                    previous = link
                    link = loadWord(Self.nextLinkAddress(block))
                }
                second &+= 1
            }
            first &+= 1
        }
        return listed == freeBlocks ? nil : .freeCount
    }
}
