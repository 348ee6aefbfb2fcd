/// A snapshot of a ``SlabAllocator``: what it holds and what it has done.
/// Computed by walking the page-state map, the fit heap's blocks and the
/// class caches (O(pages + blocks)), so the fast paths keep no counters
/// beyond each page's count of blocks not on its free list.
public struct SlabStatistics: Equatable {
    /// Bytes of the region given at creation.
    public var regionBytes: UInt
    /// Bytes the fit heap can hand out (the region less the slab's tables,
    /// the fit heap's control block and alignment): class pages and large
    /// blocks both come out of it.
    public var capacity: UInt
    public var pageSize: UInt
    /// Pages the page-state map covers (the most class pages there can be).
    public var pageCount: UInt
    /// Pages held by size classes (including each class's cache page, even
    /// when none of its blocks is in use).
    public var classPages: UInt
    /// Live fit-heap blocks other than class pages (blocks above the
    /// largest class, and class-sized blocks served when no page was free).
    public var largeBlocks: UInt
    /// Live class blocks (not counting blocks waiting in quarantine).
    public var liveBlocks: UInt
    /// Bytes reserved for live blocks: block sizes of live class blocks plus
    /// what live large blocks hold.
    public var bytesReserved: UInt
    /// Bytes the caller asked for, over live blocks: known in checked builds
    /// (each block records its request); `nil` in release builds, whose
    /// blocks carry nothing but the caller's bytes. Compare with
    /// ``bytesReserved`` for the internal waste of the size classes.
    public var bytesRequested: UInt?
    /// Bytes out of the fit heap: class pages and large blocks, headers
    /// included.
    public var bytesInUse: UInt
    /// Highest ``bytesInUse`` so far.
    public var peakBytesInUse: UInt
    /// Checked builds: bytes of the freed large blocks waiting in
    /// quarantine, headers included (part of ``bytesInUse``: they are not
    /// back in the fit heap yet). 0 in release builds.
    public var quarantinedBytes: UInt
    /// Bytes free in the fit heap, and the largest free block (header
    /// included: a request of up to 4 bytes less fits in it right now).
    public var freeBytes: UInt
    public var largestFreeBlock: UInt
    /// Allocations that failed for want of memory.
    public var outOfMemoryCount: UInt
    /// Misuses detected (bad frees, heap corruption).
    public var misuseCount: UInt
    /// Heap corruptions detected (see ``MisuseKind/heapCorruption``), and
    /// the free blocks known lost with the lists abandoned for them.
    public var corruptionCount: UInt = 0
    public var lostBlocks: UInt = 0
}

/// One size class in a ``SlabAllocator`` snapshot.
public struct SizeClassStatistics: Equatable {
    public var blockSize: UInt
    public var blocksPerPage: UInt
    public var pages: UInt
    public var blocksInUse: UInt
}

extension SlabAllocator {
    /// Number of size classes.
    public var sizeClassCount: Int { Int(classCount) }

    /// Block size of class `index`. Precondition: `index < sizeClassCount`.
    public func blockSize(ofClass index: Int) -> UInt {
        UInt(classRecord(UInt(index)).pointee.blockSize)
    }

    /// The class of index `index` (O(pages)), or `nil` when out of range.
    public func statistics(ofClass index: Int) -> SizeClassStatistics? {
        guard index >= 0, UInt(index) < classCount else { return nil }
        let record = classRecord(UInt(index))
        var pages: UInt = 0
        var notOnPageLists: UInt = 0
        forEachClassPage { page, state in
            if UInt(state) == UInt(index) {
                pages &+= 1
                notOnPageLists &+= UInt(descriptor(page).pointee.used)
            }
            return true
        }
        var inUse = notOnPageLists &- cachedBlocks(record)
        #if CAIRN_CHECKED
        inUse &-= quarantinedBytes(ofClass: UInt(index)) / UInt(record.pointee.blockSize)
        #endif
        return SizeClassStatistics(blockSize: UInt(record.pointee.blockSize),
                                   blocksPerPage: UInt(record.pointee.blocksPerPage),
                                   pages: pages, blocksInUse: inUse)
    }

    /// The whole-heap snapshot (O(pages + fit-heap blocks + cached blocks)).
    public var statistics: SlabStatistics {
        let heap = fit.statistics
        var result = SlabStatistics(
            regionBytes: regionBytes, capacity: heap.capacity, pageSize: pageSize, pageCount: pageCount,
            classPages: 0, largeBlocks: 0, liveBlocks: 0, bytesReserved: 0, bytesRequested: nil,
            bytesInUse: bytesInUse, peakBytesInUse: peakBytesInUse, quarantinedBytes: 0, freeBytes: heap.freeBytes,
            largestFreeBlock: heap.largestFreeBlock, outOfMemoryCount: outOfMemoryCount,
            misuseCount: misuseCount &+ fit.corruptionCount, corruptionCount: corruptionCount &+ fit.corruptionCount,
            lostBlocks: lostBlocks &+ fit.corruptionCount)
        forEachClassPage { page, state in
            let used = UInt(descriptor(page).pointee.used)
            result.classPages &+= 1
            result.liveBlocks &+= used
            result.bytesReserved &+= used &* UInt(classRecord(UInt(state)).pointee.blockSize)
            return true
        }
        result.largeBlocks = heap.liveBlocks &- result.classPages
        fit.forEachBlock { block, size, inUse in
            if inUse && !isClassPage(block &+ FitHeap.headerBytes) { result.bytesReserved &+= size &- FitHeap.headerBytes }
        }
        // Cached blocks count on their page but are free to the caller.
        var sizeClass: UInt = 0
        while sizeClass < classCount {
            let record = classRecord(sizeClass)
            let cached = cachedBlocks(record)
            result.liveBlocks &-= cached
            result.bytesReserved &-= cached &* UInt(record.pointee.blockSize)
            sizeClass &+= 1
        }
        // So do quarantined blocks.
        result.liveBlocks &-= quarantineCount &- quarantinedLargeCount
        result.largeBlocks &-= quarantinedLargeCount
        #if CAIRN_CHECKED
        result.bytesReserved &-= quarantinedBytes(ofClass: nil)
        result.bytesRequested = requestedBytes
        result.quarantinedBytes = quarantinedLargeBytes()
        #endif
        return result
    }
}
