/// Where a ``SlabAllocator`` puts its metadata, its page-state map and its
/// fit heap inside its region.
///
///     base ─┬─ class records   classCount × 16 bytes
///           ├─ size→class maps for alignments 4, 8 and 16 (largestClass / 4 + 1,
///           │                   / 8 + 1 and / 16 + 1 bytes), rounded up to 4
///           ├─ quarantine ring quarantineSlots × 4 bytes (checked builds only)
///           ├─ page-state map  one byte per page of the arena
///           └─ fit heap        the rest: its control block, then blocks; each
///                              class page is one of its blocks, aligned to
///                              the page size, with its descriptor at its end
///
/// The arena is the fit heap's range rounded out to whole pages: page `n`
/// starts at `arenaBase + n × pageSize`, and only whole pages inside the
/// fit heap can become class pages.
struct SlabLayout {
    var classes: UInt
    var classLookup: UInt
    var classLookup8: UInt
    var classLookup16: UInt
    var quarantine: UInt
    var pageStates: UInt
    var fitStart: UInt
    var fitEnd: UInt
    var arenaBase: UInt
    var pageCount: UInt

    /// The layout of a region of `regionBytes` at `regionBase`, or `nil` when
    /// not even one page fits.
    init?(regionBase: UInt, regionBytes: UInt, pageSize: UInt, classCount: UInt, largestClass: UInt,
          quarantineSlots: UInt) {
        // The region is at most the address space above its base, so no sum
        // below can wrap once the end itself was computed without wrapping.
        guard let regionEnd = checkedAdd(regionBase, regionBytes),
              let first = roundUp(regionBase, toMultipleOf: 16)
        else { return nil }
        classes = first
        classLookup = classes &+ classCount &* UInt(MemoryLayout<SizeClassRecord>.stride)
        classLookup8 = classLookup &+ (largestClass >> 2) &+ 1
        classLookup16 = classLookup8 &+ ((largestClass &+ 7) >> 3) &+ 1
        let lookupEnd = classLookup16 &+ ((largestClass &+ 15) >> 4) &+ 1
        quarantine = (lookupEnd &+ 3) & ~3
        pageStates = quarantine &+ quarantineSlots &* 4
        guard pageStates < regionEnd else { return nil }
        // The map needs one byte for each page from the page holding its own
        // start: an upper bound, since the fit heap starts after the map.
        let mapPages = min((regionEnd &- (pageStates & ~(pageSize &- 1))) / pageSize,
                           SlabConfiguration.maximumPageCount)
        fitStart = (pageStates &+ mapPages &+ 7) & ~7
        guard fitStart < regionEnd else { return nil }
        arenaBase = fitStart & ~(pageSize &- 1)
        pageCount = min((regionEnd &- arenaBase) / pageSize, mapPages)
        // Page numbers are 16-bit: a region larger than that many pages
        // leaves the rest unused.
        fitEnd = min(regionEnd, arenaBase &+ pageCount &* pageSize)
        guard pageCount > 0, fitEnd > fitStart else { return nil }
    }
}

extension SlabAllocator {
    /// Lays out `region` and makes every page free. Returns false (and stays
    /// as it was) when the configuration is invalid or no page fits.
    /// Everything allocated before is forgotten.
    public mutating func configure(region: UnsafeMutableRawBufferPointer,
                                   configuration: SlabConfiguration = SlabConfiguration()) -> Bool {
        guard let start = region.baseAddress.map({ address(of: $0) }) else { return false }
        // The fit heap spans at most 16 MiB (FitHeap.largestSpan): a larger
        // region is used up to there. Block offsets then stay far below
        // 2^31 (see popCache).
        let usedBytes = min(UInt(region.count), FitHeap.largestSpan)
        var largest: UInt = 0
        guard let count = configuration.forEachClass({ _, size in largest = size }),
              let layout = SlabLayout(regionBase: start, regionBytes: usedBytes,
                                      pageSize: configuration.pageSize, classCount: UInt(count),
                                      largestClass: largest, quarantineSlots: SlabAllocator.quarantineSlots(configuration))
        else { return false }

        arenaBase = layout.arenaBase
        linkKey = Self.linkKey(secret: configuration.linkSecret, regionBase: start)
        pageShift = floorLog2(configuration.pageSize)
        pageMask = configuration.pageSize &- 1
        pageCount = layout.pageCount
        arenaBytes = layout.pageCount &<< pageShift
        pageStates = layout.pageStates
        classes = layout.classes
        classLookup = layout.classLookup
        classLookup8 = layout.classLookup8
        classLookup16 = layout.classLookup16
        quarantine = layout.quarantine
        quarantineSlots = Self.quarantineSlots(configuration)
        quarantineNext = 0
        quarantineCount = 0
        quarantinedLargeCount = 0
        classCount = UInt(count)
        classLimit = largest &+ 1
        classLimit8 = 0
        classLimit16 = 0
        regionStart = start
        regionBytes = usedBytes
        pagesInUse = 0
        bytesInUse = 0
        peakBytesInUse = 0
        outOfMemoryCount = 0
        misuseCount = 0
        corruptionCount = 0
        lostBlocks = 0
        requestedBytes = 0

        let pageSize = configuration.pageSize
        _ = configuration.forEachClass { index, size in
            if size & 7 == 0 { classLimit8 = size &+ 1 }
            if size & 15 == 0 { classLimit16 = size &+ 1 }
            classRecord(UInt(index)).pointee = SizeClassRecord(
                cacheHead: PageDescriptor.noBlock,
                blockSize: UInt16(truncatingIfNeeded: size),
                blocksPerPage: UInt16(truncatingIfNeeded: (pageSize &- PageDescriptor.pageTail) / size),
                partialHead: PageDescriptor.noPage,
                cachePage: PageDescriptor.noPage,
                // ceil(2^32 / size) is floor((2^32 - 1) / size) + 1 for every size >= 2.
                reciprocal: UInt32.max / UInt32(truncatingIfNeeded: size) &+ 1)
        }
        fillLookup(classLookup, granule: 4)
        fillLookup(classLookup8, granule: 8)
        fillLookup(classLookup16, granule: 16)
        fillBytes(pageStates, PageDescriptor.notClassPage, pageCount)
        #if CAIRN_CHECKED
        Self.forEachQuarantineSlot(ring: quarantine, slots: quarantineSlots) { slot, _ in
            storeWord(PageDescriptor.noBlock, slot)
            return true
        }
        #endif
        _ = fit.configure(region: UnsafeMutableRawBufferPointer(start: rawPointer(layout.fitStart),
                                                                count: Int(layout.fitEnd &- layout.fitStart)),
                          headerKey: linkKey)
        classPageLimit = fit.capacity &- fit.capacity / Self.classPageReserve
        return true
    }
}

extension SlabAllocator {
    /// Fills the size→class map for blocks aligned to `granule`: entry i is
    /// the first class whose size is a multiple of `granule` and holds
    /// i × granule bytes, or ``noClass``. O(classes + entries), at creation.
    @inline(never)
    mutating func fillLookup(_ table: UInt, granule: UInt) {
        var slot: UInt = 0
        var sizeClass: UInt = 0
        // Up to ceil(largest / granule): the entry a request of the largest size reads.
        while slot <= (largestClassSize &+ granule &- 1) / granule {
            while sizeClass < classCount {
                let blockSize = UInt(classRecord(sizeClass).pointee.blockSize)
                if blockSize >= slot &* granule && blockSize % granule == 0 { break }
                sizeClass &+= 1
            }
            entry(UInt8.self, at: table &+ slot).pointee =
                sizeClass < classCount ? UInt8(truncatingIfNeeded: sizeClass) : Self.noClass
            slot &+= 1
        }
    }
}
