// The bins of a FitHeap: which bin holds a free block of a given size, and
// the three helpers that keep every bin and both bitmaps in step (insert,
// remove, find). No other code touches a bin head, a link or a bitmap.
//
// Two levels, as in TLSF. A block of `g` granules (8 bytes each) is in
// first level floor(log2(g)) - 1 (so level 0 holds 16..24-byte blocks),
// and within it in one of 2 equal subranges: level `f` spans
// [2^(f+4), 2^(f+5)) bytes in steps of 2^(f+3) bytes, so level 0's bins
// hold 16 and 24, level 1's 32..47 and 48..63, and so on. A request is
// rounded up to the next bin boundary before the search, so every block of
// the bin found holds it: good fit. (First, a bounded look at a few blocks
// of the request's own bin: see findFreeBlock.)
//
// Why 2 subdivisions: the rounding costs search reach, not memory (a block
// is cut to its request's size and the remainder goes back to a bin), and
// each subdivision costs 4 bytes a level (measurements: DESIGN.md,
// "Geometry from the heap size").

extension FitHeap {
    /// log2 of the bins per first level.
    static let secondLevelShift: UInt = 1
    /// Bins per first level.
    static let secondLevelCount: UInt = 1 << secondLevelShift

    /// The bin of a free block of `size` bytes (rounds DOWN: the bin whose
    /// range holds `size`). Precondition: `size` is a multiple of 8, at least 16.
    ///
    /// The bits below the highest one that pick the second level are the
    /// next ``secondLevelShift`` bits: the granule count shifted right by
    /// `power - secondLevelShift`, less its own top bit. Every block has
    /// that many bits below its top (``minimumBlockHasSecondLevelBits``), so
    /// the shift needs no test for small powers and the top bit is a
    /// constant (a few instructions less on each of the two or three bins a
    /// split or merge computes).
    @inline(__always)
    static func bin(ofSize size: UInt) -> (first: UInt, second: UInt) {
        let granules = size &>> granuleShift
        let power = floorLog2(granules)
        if minimumBlockHasSecondLevelBits {
            return (power &- 1, (granules &>> (power &- secondLevelShift)) ^ secondLevelCount)
        }
        let shift = power > secondLevelShift ? power &- secondLevelShift : 0
        return (power &- 1, (granules &>> shift) ^ (1 &<< (power &- shift)))
    }

    /// True when the smallest block's granule count has ``secondLevelShift``
    /// bits below its highest bit (16 bytes: 2 granules, 1 bit), so every
    /// block's has.
    static let minimumBlockHasSecondLevelBits = (minimumBlock &>> granuleShift) >= secondLevelCount

    /// True when free blocks of `a` and `b` bytes go to the same bin, found
    /// without computing either bin (each costs a count of leading zeros,
    /// a library call on Cortex-M0). A bin is a power of two's range cut by
    /// the next ``secondLevelShift`` bits (a granule of its own below that),
    /// so two sizes share one exactly when they differ only below those
    /// bits: when the highest bit where they differ, moved up by
    /// ``secondLevelShift``, is still below the highest bit either has.
    /// (`x < y && x < x ^ y` is "the highest bit of x is below that of y".)
    /// Precondition: both are multiples of 8, at least 16.
    @inline(__always)
    static func sameBin(_ a: UInt, _ b: UInt) -> Bool {
        let differ = ((a ^ b) &>> granuleShift) &<< secondLevelShift
        let either = (a | b) &>> granuleShift
        return differ < either && differ < differ ^ either
    }

    /// `size` rounded UP to the lower bound of a bin, so that every block of
    /// the bin of the result holds `size`. Precondition: `size` is a multiple
    /// of 8, at least 16, and no more than the capacity (the sum cannot wrap).
    @inline(__always)
    static func roundUpToBin(_ size: UInt) -> UInt {
        let power = floorLog2(size &>> granuleShift)
        let shift = power > secondLevelShift ? power &- secondLevelShift : 0
        let mask = (granule &<< shift) &- 1
        return (size &+ mask) & ~mask
    }

    /// The bin of `size` rounded up to a bin boundary, that is
    /// `bin(ofSize: roundUpToBin(size))`, from `own`, the bin `size` falls
    /// in: that bin when `size` is its lower bound, else the next one (bins
    /// are numbered `first << secondLevelShift | second` in size order).
    /// One count of leading zeros for both, not three: on Cortex-M0 each is
    /// a library call. Precondition: `own == bin(ofSize: size)`.
    @inline(__always)
    static func roundedUpBin(ofSize size: UInt, own: (first: UInt, second: UInt)) -> (first: UInt, second: UInt) {
        let power = own.first &+ 1
        let shift = power > secondLevelShift ? power &- secondLevelShift : 0
        // A lower bound has the granule bits below the bin's width clear.
        guard (size &>> granuleShift) & ((1 &<< shift) &- 1) != 0 else { return own }
        let next = ((own.first &<< secondLevelShift) | own.second) &+ 1
        return (next &>> secondLevelShift, next & (secondLevelCount &- 1))
    }

    /// Bytes of the control block for `firstLevels` first levels.
    @inline(__always)
    static func controlBlockBytes(firstLevels: UInt) -> UInt {
        roundUp(firstLevels, toMultipleOf: 4).unsafelyUnwrapped &+ firstLevels &* secondLevelCount &* 4
    }

    // MARK: - Table access (the only index arithmetic on the control block)

    /// The second-level bitmap of first level `first`. Precondition: `first < firstLevelCount`.
    @inline(__always)
    func secondLevelMap(_ first: UInt) -> UnsafeMutablePointer<UInt8> {
        entry(UInt8.self, at: controlBlock &+ first)
    }

    /// The head of bin (`first`, `second`). Precondition: `first < firstLevelCount`,
    /// `second < secondLevelCount`.
    @inline(__always)
    func binHead(_ first: UInt, _ second: UInt) -> UnsafeMutablePointer<UInt32> {
        entry(UInt32.self, at: binHeads &+ ((first &<< Self.secondLevelShift) | second) &* 4)
    }

    /// The block at `offset` (nonzero) from the control block.
    @inline(__always)
    func block(atOffset offset: UInt32) -> UInt {
        controlBlock &+ UInt(offset)
    }

    /// The offset of `block` from the control block (nonzero: blocks follow it).
    @inline(__always)
    func offset(of block: UInt) -> UInt32 {
        UInt32(truncatingIfNeeded: block &- controlBlock)
    }

    // MARK: - Insert, remove, find

    /// Puts the free block `block` of `size` bytes at the head of its bin.
    /// Precondition: `size >= 16`, the block's header and footer are written.
    @inline(__always)
    mutating func insertIntoBin(_ block: UInt, size: UInt) {
        let (first, second) = Self.bin(ofSize: size)
        let head = binHead(first, second)
        let old = head.pointee
        storeWord(old, Self.nextLinkAddress(block))
        storeWord(0, Self.previousLinkAddress(block))
        let mine = offset(of: block)
        if old != 0 { storeWord(mine, Self.previousLinkAddress(self.block(atOffset: old))) }
        head.pointee = mine
        let map = secondLevelMap(first)
        map.pointee |= UInt8(truncatingIfNeeded: 1 &<< second)
        firstLevelMap |= UInt32(truncatingIfNeeded: 1 &<< first)
    }

    /// Unlinks the free block `block` of `size` bytes from its bin, clearing
    /// the bitmap bits of a bin (and level) it leaves empty.
    /// Precondition: `block` is in the bin of `size`.
    @inline(__always)
    mutating func removeFromBin(_ block: UInt, size: UInt) {
        // The links are in free memory: each is checked (inside the heap,
        // pointing back at this block; FitHeap+LinkChecks.swift) before
        // anything is written through it.
        let mine = offset(of: block)
        let next = loadWord(Self.nextLinkAddress(block))
        let previous = loadWord(Self.previousLinkAddress(block))
        if next != 0 {
            guard pointsBack(next, at: Self.previousLinkAddress, to: mine) else { return unlinkRefused(block, size: size) }
        }
        if previous != 0 {
            guard pointsBack(previous, at: Self.nextLinkAddress, to: mine) else { return unlinkRefused(block, size: size) }
            if next != 0 { storeWord(previous, Self.previousLinkAddress(self.block(atOffset: next))) }
            storeWord(next, Self.nextLinkAddress(self.block(atOffset: previous)))
            return
        }
        let (first, second) = Self.bin(ofSize: size)
        guard first < firstLevelCount, binHead(first, second).pointee == mine else {
            return unlinkRefused(block, size: size)
        }
        if next != 0 { storeWord(0, Self.previousLinkAddress(self.block(atOffset: next))) }
        binHead(first, second).pointee = next
        if next == 0 { clearBinBits(first, second) }
    }

    /// Clears the bitmap bit of bin (`first`, `second`), which is empty
    /// now, and its level's bit when no bin of the level has a block.
    /// Precondition: `first < firstLevelCount`.
    @inline(__always)
    mutating func clearBinBits(_ first: UInt, _ second: UInt) {
        let map = secondLevelMap(first)
        map.pointee &= ~UInt8(truncatingIfNeeded: 1 &<< second)
        if map.pointee == 0 { firstLevelMap &= ~UInt32(truncatingIfNeeded: 1 &<< first) }
    }

    /// When the free block `old` (of `size` bytes) heads its bin and
    /// `newSize` falls in the same bin, makes `new` (of `newSize` bytes, its
    /// header and footer the caller's to write) head the bin in its place and
    /// returns true; else changes nothing and returns false. The same as
    /// removing `old` and inserting `new` (which goes to the head), without
    /// the bitmap work: splitting a block or merging into one costs a few
    /// stores. Precondition: `old` is in the bin of `size`; `new`'s links
    /// do not overlap `old`'s unless `new == old`.
    @inline(__always)
    mutating func replaceAtHead(_ old: UInt, size: UInt, by new: UInt, size newSize: UInt) -> Bool {
        guard loadWord(Self.previousLinkAddress(old)) == 0, Self.sameBin(size, newSize), linksAgree(old, size: size)
        else { return false }
        let (first, second) = Self.bin(ofSize: size)
        let next = loadWord(Self.nextLinkAddress(old))
        storeWord(next, Self.nextLinkAddress(new))
        storeWord(0, Self.previousLinkAddress(new))
        let mine = offset(of: new)
        if next != 0 { storeWord(mine, Self.previousLinkAddress(block(atOffset: next))) }
        binHead(first, second).pointee = mine
        return true
    }

    /// Blocks of the request's own bin that ``findFreeBlock(holding:)``
    /// looks at before rounding up (see there).
    static let ownBinLook = 4

    /// A free block, still in its bin, for a request of `size` bytes, or 0
    /// when no bin has one. Looks, in order, at:
    ///
    /// 1. the first ``ownBinLook`` blocks of the bin `size` itself falls in,
    ///    taking the smallest that holds `size` (an exact fit at once): that
    ///    bin may also hold smaller blocks, but a block from it is the
    ///    tightest fit the bins offer and leaves the larger bins whole;
    /// 2. the first non-empty bin at or above `size` rounded up to a bin
    ///    boundary (two bitmap scans): every block there holds `size`;
    /// 3. the head of the highest non-empty bin, which may be smaller: the
    ///    caller checks it. This serves what rounding skips when `size` is
    ///    near the capacity (a search for more than the capacity, as an
    ///    aligned request may make, starts here).
    ///
    /// Step 1 is bounded, so the whole search is O(1). It is not in TLSF:
    /// it finds a block the rounding would skip, which saves RAM (DESIGN.md,
    /// "The fit heap's search and cuts").
    /// Precondition: `size` is a multiple of 8, at least 16.
    @inline(__always)
    func findFreeBlock(holding size: UInt) -> UInt {
        if size <= capacity {
            let own = Self.bin(ofSize: size)
            if own.first < firstLevelCount {
                let fit = bestFit(holding: size, inBin: own.first, own.second)
                if fit != 0 { return fit }
            }
            let (first, second) = Self.roundedUpBin(ofSize: size, own: own)
            if first < firstLevelCount {
                let row = UInt32(secondLevelMap(first).pointee) & (UInt32.max &<< UInt32(truncatingIfNeeded: second))
                if row != 0 {
                    return block(atOffset: binHead(first, UInt(row.trailingZeroBitCount)).pointee)
                }
                // first < firstLevelCount <= 28: the shift stays below 32.
                let higher = firstLevelMap & ~((UInt32(2) &<< UInt32(truncatingIfNeeded: first)) &- 1)
                if higher != 0 {
                    let level = UInt(higher.trailingZeroBitCount)
                    let bin = UInt(secondLevelMap(level).pointee.trailingZeroBitCount)
                    return block(atOffset: binHead(level, bin).pointee)
                }
            }
        }
        guard firstLevelMap != 0 else { return 0 }
        let level = UInt(UInt32.bitWidth &- 1 &- firstLevelMap.leadingZeroBitCount)
        let bin = UInt(UInt8.bitWidth &- 1 &- secondLevelMap(level).pointee.leadingZeroBitCount)
        return block(atOffset: binHead(level, bin).pointee)
    }

    /// The smallest of the first ``ownBinLook`` blocks of bin (`first`,
    /// `second`) that holds `size` bytes, or 0. Precondition: `first < firstLevelCount`.
    @inline(__always)
    func bestFit(holding size: UInt, inBin first: UInt, _ second: UInt) -> UInt {
        var link = binHead(first, second).pointee
        var best: UInt = 0
        var bestSize = UInt.max
        var looked = 0
        while link != 0, looked < Self.ownBinLook {
            let candidate = block(atOffset: link)
            // A link read from a free block: read only inside the heap (the
            // block taken is checked in full by `findCheckedFreeBlock`).
            guard isLinkTarget(link) else { break }
            let candidateSize = Self.size(ofHeader: Self.headerWord(candidate))
            if candidateSize >= size, candidateSize < bestSize {
                if candidateSize == size { return candidate }
                best = candidate
                bestSize = candidateSize
            }
            link = loadWord(Self.nextLinkAddress(candidate))
            looked &+= 1
        }
        return best
    }
}
