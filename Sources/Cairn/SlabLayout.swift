/// Where a ``SlabAllocator`` puts its metadata and pages inside its region.
///
///     base ─┬─ class records   classCount × 16 bytes
///           ├─ span bin heads  binCount × 2 bytes
///           ├─ size→class maps for alignments 4, 8 and 16 (largestClass / 4 + 1,
///           │                   / 8 + 1 and / 16 + 1 bytes), rounded up to 4
///           ├─ quarantine ring quarantineSlots × 4 bytes (checked builds only)
///           ├─ page side table pageCount × 16 bytes
///           ├─ (padding up to the page size)
///           └─ pages           pageCount × pageSize, page-aligned
struct SlabLayout {
    /// Span bins: bin k holds free spans of 2^k ..< 2^(k+1) pages; 16 bins
    /// cover the largest page count a 16-bit page number allows.
    static let binCount = 16

    var classes: UInt
    var binHeads: UInt
    var classLookup: UInt
    var classLookup8: UInt
    var classLookup16: UInt
    var quarantine: UInt
    var descriptors: UInt
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
        binHeads = classes &+ classCount &* UInt(MemoryLayout<SizeClassRecord>.stride)
        classLookup = binHeads &+ UInt(Self.binCount) &* 2
        classLookup8 = classLookup &+ (largestClass >> 2) &+ 1
        classLookup16 = classLookup8 &+ ((largestClass &+ 7) >> 3) &+ 1
        let lookupEnd = classLookup16 &+ ((largestClass &+ 15) >> 4) &+ 1
        quarantine = (lookupEnd &+ 3) & ~3
        descriptors = quarantine &+ quarantineSlots &* 4
        guard descriptors < regionEnd else { return nil }
        let descriptorBytes = UInt(MemoryLayout<PageDescriptor>.stride)
        // Each page costs its bytes plus its descriptor; the alignment gap
        // before the first page costs less than one page. Start from the
        // estimate and step down until the pages fit.
        var pages = min((regionEnd &- descriptors) / (pageSize &+ descriptorBytes),
                        SlabConfiguration.maximumPageCount)
        var base: UInt = 0
        while pages > 0 {
            base = (descriptors &+ pages &* descriptorBytes &+ pageSize &- 1) & ~(pageSize &- 1)
            if base <= regionEnd, pages <= (regionEnd &- base) / pageSize { break }
            pages &-= 1
        }
        guard pages > 0 else { return nil }
        arenaBase = base
        pageCount = pages
    }
}

extension SlabAllocator {
    /// Lays out `region` and makes every page free. Returns false (and stays
    /// as it was) when the configuration is invalid or no page fits.
    /// Everything allocated before is forgotten.
    public mutating func configure(region: UnsafeMutableRawBufferPointer,
                                   configuration: SlabConfiguration = SlabConfiguration()) -> Bool {
        guard let start = region.baseAddress.map({ address(of: $0) }) else { return false }
        var largest: UInt = 0
        guard let count = configuration.forEachClass({ _, size in largest = size }),
              // Block offsets are 32-bit and stay below 2^31 (see popCache).
              UInt(region.count) < UInt(1) << 31,
              let layout = SlabLayout(regionBase: start, regionBytes: UInt(region.count),
                                      pageSize: configuration.pageSize, classCount: UInt(count),
                                      largestClass: largest, quarantineSlots: SlabAllocator.quarantineSlots(configuration))
        else { return false }

        arenaBase = layout.arenaBase
        pageShift = floorLog2(configuration.pageSize)
        pageMask = configuration.pageSize &- 1
        pageCount = layout.pageCount
        arenaBytes = layout.pageCount &<< pageShift
        descriptors = layout.descriptors
        classes = layout.classes
        classLookup = layout.classLookup
        classLookup8 = layout.classLookup8
        classLookup16 = layout.classLookup16
        binHeads = layout.binHeads
        quarantine = layout.quarantine
        quarantineSlots = Self.quarantineSlots(configuration)
        quarantineNext = 0
        quarantineCount = 0
        classCount = UInt(count)
        classLimit = largest &+ 1
        classLimit8 = 0
        classLimit16 = 0
        regionBytes = UInt(region.count)
        nonEmptyBins = 0
        pagesInUse = 0
        peakPagesInUse = 0
        outOfMemoryCount = 0
        largeRunCount = 0
        misuseCount = 0
        requestedBytes = 0

        let pageSize = configuration.pageSize
        _ = configuration.forEachClass { index, size in
            if size & 7 == 0 { classLimit8 = size &+ 1 }
            if size & 15 == 0 { classLimit16 = size &+ 1 }
            classRecord(UInt(index)).pointee = SizeClassRecord(
                cacheHead: PageDescriptor.noBlock,
                blockSize: UInt16(truncatingIfNeeded: size),
                blocksPerPage: UInt16(truncatingIfNeeded: pageSize / size),
                partialHead: PageDescriptor.noPage,
                cachePage: PageDescriptor.noPage,
                // ceil(2^32 / size) is floor((2^32 - 1) / size) + 1 for every size >= 2.
                reciprocal: UInt32.max / UInt32(truncatingIfNeeded: size) &+ 1)
        }
        fillLookup(classLookup, granule: 4)
        fillLookup(classLookup8, granule: 8)
        fillLookup(classLookup16, granule: 16)
        var bin: UInt = 0
        while bin < UInt(SlabLayout.binCount) {
            binHead(bin).pointee = PageDescriptor.noPage
            bin &+= 1
        }
        var page: UInt = 0
        while page < pageCount {
            descriptor(page).pointee = PageDescriptor(
                freeList: PageDescriptor.noBlock, used: 0, span: 0, carved: 0,
                state: PageDescriptor.largeRunInterior, reserved: 0,
                next: PageDescriptor.noPage, prev: PageDescriptor.noPage)
            page &+= 1
        }
        var slot: UInt = 0
        while slot < quarantineSlots {
            storeWord(PageDescriptor.noBlock, quarantine &+ slot &* 4)
            slot &+= 1
        }
        #if CAIRN_CHECKED
        poisonPages(start: 0, count: pageCount)
        #endif
        insertSpan(start: 0, count: pageCount)
        return true
    }
}

extension SlabAllocator {
    /// Fills the size→class map for blocks aligned to `granule`: entry i is
    /// the first class whose size is a multiple of `granule` and holds
    /// i × granule bytes, or ``noClass``. O(classes + entries), at creation.
    /// (`mutating` though it writes only through pointers: called from
    /// `configure` on the global heap, a non-mutating call copies the
    /// allocator first.)
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
