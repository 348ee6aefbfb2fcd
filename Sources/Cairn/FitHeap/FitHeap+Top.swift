// Moving the heap's end: the edge a slab zone above the heap shares with it.
//
// The slab will keep its pages in the top of the region and move the
// boundary: it takes memory from a free last block (shrinkTop) and gives
// pages back (growTop). Both are O(1): only the last block and the sentinel
// change.

extension FitHeap {
    /// Gives up the top of the heap: when the last block is free and can
    /// lose its top part so that at least `bytes` go and the new heap end is
    /// a multiple of `alignment` (a power of two; below 8 counts as 8),
    /// moves the sentinel down and returns the new end. What stays of the
    /// last block stays free (an 8-byte remainder as a fragment). `nil`,
    /// changing nothing, when the last block is in use or too small.
    public mutating func shrinkTop(byAtLeast bytes: UInt, alignTo alignment: UInt) -> UInt? {
        guard isConfigured, isPowerOfTwo(alignment) else { return nil }
        let end = sentinel &+ 4
        let sentinelHeader = Self.headerWord(sentinel)
        guard sentinelHeader & Self.previousInUseBit == 0, bytes <= end else { return nil }
        let lastSize = Self.previousBlockSize(sentinel)
        let last = sentinel &- lastSize
        let newEnd = roundDown(end &- bytes, toMultipleOf: max(alignment, Self.granule))
        // The new sentinel must not go below the last block's header.
        guard newEnd >= last &+ 4 else { return nil }
        let kept = newEnd &- 4 &- last
        absorbFreeBlock(last, size: lastSize)
        if kept != 0 { writeFreeBlock(last, size: kept) }
        sentinel = newEnd &- 4
        // The sentinel's predecessor: the kept part (free), or the block
        // before the last one (in use, as before any free block).
        writeLiveHeader(sentinel, size: 0,
                        flags: kept != 0 ? Self.inUseBit : Self.inUseBit | Self.previousInUseBit)
        return newEnd
    }

    /// Takes back the memory from the heap's end up to `newEnd` (a multiple
    /// of 8, above the end, no higher than the region's end): it becomes a
    /// free block, merged with the last block when that one is free. Returns
    /// false, changing nothing, for any other `newEnd`.
    @discardableResult
    public mutating func growTop(to newEnd: UInt) -> Bool {
        let end = sentinel &+ 4
        guard isConfigured, newEnd & (Self.granule &- 1) == 0, newEnd > end, newEnd <= regionTop else { return false }
        var start = sentinel
        var size = newEnd &- end
        if Self.headerWord(sentinel) & Self.previousInUseBit == 0 {
            let lastSize = Self.previousBlockSize(sentinel)
            start = sentinel &- lastSize
            absorbFreeBlock(start, size: lastSize)
            size &+= lastSize
        }
        sentinel = newEnd &- 4
        // The new block's predecessor is in use (see FitHeap+Blocks.swift).
        writeLiveHeader(sentinel, size: 0, flags: Self.inUseBit)
        writeFreeBlock(start, size: size)
        return true
    }
}
