/// A snapshot of a ``SlabAllocator``: what it holds and what it has done.
/// Computed by walking the side table and the class caches (O(pages +
/// cached blocks)), so the fast paths keep no counters beyond each page's
/// count of blocks not on its free list.
public struct SlabStatistics: Equatable {
    /// Bytes of the region given at creation.
    public var regionBytes: UInt
    /// Bytes of the pages (the region less metadata and alignment).
    public var capacity: UInt
    public var pageSize: UInt
    public var pageCount: UInt
    /// Pages in the pool.
    public var freePages: UInt
    /// Pages held by size classes (including each class's cache page, even
    /// when none of its blocks is in use).
    public var classPages: UInt
    /// Pages held by large runs.
    public var runPages: UInt
    /// Highest number of pages out of the pool at once.
    public var peakPagesInUse: UInt
    /// Live large runs.
    public var largeRuns: UInt
    /// Live class blocks (not counting blocks waiting in quarantine).
    public var liveBlocks: UInt
    /// Bytes reserved for live blocks: block sizes of live class blocks plus
    /// whole pages of live runs.
    public var bytesReserved: UInt
    /// Bytes the caller asked for, over live blocks: known in checked builds
    /// (each block records its request); `nil` in release builds, whose
    /// blocks carry nothing but the caller's bytes. Compare with
    /// ``bytesReserved`` for the internal waste of the size classes.
    public var bytesRequested: UInt?
    /// Longest run of free pages: the largest block that fits right now.
    public var largestFreeSpanPages: UInt
    /// Allocations that failed for want of memory.
    public var outOfMemoryCount: UInt
    /// Misuses detected (bad frees).
    public var misuseCount: UInt

    /// Bytes out of the pool: class and run pages.
    public var bytesInUse: UInt { (classPages + runPages) * pageSize }
    /// Highest ``bytesInUse`` so far.
    public var peakBytesInUse: UInt { peakPagesInUse * pageSize }
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
        var page: UInt = 0
        while page < pageCount {
            let d = descriptor(page)
            if UInt(d.pointee.state) == UInt(index) {
                pages &+= 1
                notOnPageLists &+= UInt(d.pointee.used)
            }
            page &+= 1
        }
        var inUse = notOnPageLists &- cachedBlocks(record)
        #if CAIRN_CHECKED
        inUse &-= quarantinedBytes(ofClass: UInt(index)) / UInt(record.pointee.blockSize)
        #endif
        return SizeClassStatistics(blockSize: UInt(record.pointee.blockSize),
                                   blocksPerPage: UInt(record.pointee.blocksPerPage),
                                   pages: pages, blocksInUse: inUse)
    }

    /// The whole-heap snapshot (O(pages + cached blocks)).
    public var statistics: SlabStatistics {
        var result = SlabStatistics(
            regionBytes: regionBytes, capacity: arenaBytes, pageSize: pageSize, pageCount: pageCount,
            freePages: 0, classPages: 0, runPages: 0, peakPagesInUse: peakPagesInUse,
            largeRuns: largeRunCount, liveBlocks: 0, bytesReserved: 0, bytesRequested: nil, largestFreeSpanPages: 0,
            outOfMemoryCount: outOfMemoryCount, misuseCount: misuseCount)
        var page: UInt = 0
        while page < pageCount {
            let d = descriptor(page)
            let state = d.pointee.state
            var step: UInt = 1
            if state < PageDescriptor.firstSpecialState {
                result.classPages &+= 1
                result.liveBlocks &+= UInt(d.pointee.used)
                result.bytesReserved &+= UInt(d.pointee.used) &* UInt(classRecord(UInt(state)).pointee.blockSize)
            } else if state == PageDescriptor.largeRun {
                step = max(1, UInt(d.pointee.span))
                result.runPages &+= step
                result.bytesReserved &+= step &<< pageShift
            } else if state == PageDescriptor.freeSpan {
                step = max(1, UInt(d.pointee.span))
                result.freePages &+= step
                result.largestFreeSpanPages = max(result.largestFreeSpanPages, step)
            }
            page &+= step
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
        result.liveBlocks &-= quarantineCount
        #if CAIRN_CHECKED
        result.bytesReserved &-= quarantinedBytes(ofClass: nil)
        result.bytesRequested = requestedBytes
        #endif
        return result
    }
}
