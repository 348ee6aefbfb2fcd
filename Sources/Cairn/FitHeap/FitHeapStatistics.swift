/// A snapshot of a ``FitHeap``: what it holds and what it has done.
/// Computed by walking the blocks (O(blocks), bounded by capacity / 8), so
/// allocate and free keep no counters but the two failure counts.
public struct FitHeapStatistics: Equatable {
    /// Bytes of the region given at configuration.
    public var regionBytes: UInt
    /// Bytes of the control block (bitmaps and bin heads).
    public var controlBlockBytes: UInt
    /// Bytes of all blocks, headers included: from the first block to the
    /// sentinel (less than the region by the control block, alignment pads,
    /// the sentinel and what ``FitHeap/shrinkTop(byAtLeast:alignTo:)`` gave up).
    public var capacity: UInt
    /// Bytes of live blocks (block sizes, headers included).
    public var bytesInUse: UInt
    /// Bytes of free blocks and fragments.
    public var freeBytes: UInt
    /// Size of the largest free block, header included (0 when none): a
    /// request of up to its size - 4 bytes at 8-byte alignment fits in it.
    public var largestFreeBlock: UInt
    public var liveBlocks: UInt
    /// Free blocks of at least the minimum size (each in a bin).
    public var freeBlocks: UInt
    /// 8-byte remainders, before an aligned block or after a block cut from
    /// a larger one (free, in no bin, merged back when a neighbour is freed).
    public var fragments: UInt
    /// Allocations that failed for want of memory.
    public var outOfMemoryCount: UInt
    /// Misuses detected (bad frees).
    public var misuseCount: UInt
}

extension FitHeap {
    /// A snapshot of the heap. Stops at the first header that is not a
    /// plausible block (``checkIntegrity()`` names it).
    public var statistics: FitHeapStatistics {
        var s = FitHeapStatistics(
            regionBytes: regionBytes,
            controlBlockBytes: isConfigured ? Self.controlBlockBytes(firstLevels: firstLevelCount) : 0,
            capacity: capacity, bytesInUse: 0, freeBytes: 0, largestFreeBlock: 0, liveBlocks: 0,
            freeBlocks: 0, fragments: 0, outOfMemoryCount: outOfMemoryCount, misuseCount: misuseCount)
        forEachBlock { _, size, inUse in
            if inUse {
                s.liveBlocks &+= 1
                s.bytesInUse &+= size
            } else {
                s.freeBytes &+= size
                if size >= Self.minimumBlock {
                    s.freeBlocks &+= 1
                    s.largestFreeBlock = max(s.largestFreeBlock, size)
                } else {
                    s.fragments &+= 1
                }
            }
        }
        return s
    }
}

extension FitHeap {
    /// Calls `body` with each block's header address, size and whether it
    /// is in use, from the first block to the sentinel. Stops at the first
    /// header that is not a plausible block, and returns where it stopped
    /// (the sentinel when every block was). The one walk over the blocks:
    /// statistics, the integrity check and the heap map use it. O(blocks).
    @discardableResult
    func forEachBlock(_ body: (UInt, UInt, Bool) -> Void) -> UInt {
        var block = firstBlock
        while block < sentinel {
            let header = Self.headerWord(block)
            let size = Self.size(ofHeader: header)
            guard size >= Self.fragmentSize, size <= sentinel &- block else { return block }
            body(block, size, header & Self.inUseBit != 0)
            block &+= size
        }
        return block
    }
}
