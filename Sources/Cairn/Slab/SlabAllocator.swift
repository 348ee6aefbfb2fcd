/// A slab allocator: size classes over fixed-size pages for small blocks,
/// and a fit heap (``FitHeap``) for everything else, in one region.
///
/// The region given at creation is laid out as
///
///     [ class table | size→class maps | page-state map | fit heap ... ]
///
/// (see ``SlabLayout``). The fit heap owns every byte of the arena: a
/// class takes a page as one fit-heap block of the page size, aligned to
/// it, cuts it into equal blocks, and gives it back when it empties, so
/// memory a class no longer needs serves any size. Blocks above the
/// largest class, or aligned beyond what a class block offers, are
/// fit-heap blocks (a 4-byte header, 8-byte granularity).
///
/// Class blocks carry no header: `free(p)` finds its page's state in a
/// one-byte-a-page map with a subtraction and a shift, and the page's
/// descriptor at the page's end. A class allocates from its cache, a free
/// list of one page (see ``SizeClassRecord``); its other pages keep their
/// own free lists (threaded through the free blocks), so a page whose
/// blocks are all free can leave the class in O(1).
///
/// Cost, with `C` classes:
/// - allocate / free of a class block: O(1), no search (the fast path);
///   taking a page for a class: one aligned fit-heap allocation, O(1);
/// - a fit-heap block: O(1) (two bitmap searches, at most two splits;
///   freeing merges with free neighbours);
/// - each class keeps its cache page even when it is empty (so an
///   allocate/free pair at a page boundary moves no page), and one more
///   empty page when it would be its only partial page (so a round of
///   blocks that spans pages does not send a page to the fit heap and
///   back each round); when the fit heap cannot serve, those empty pages
///   are given back: O(C × blocks per page), nothing that grows with the
///   page count (the kept page heads its partial list). A class that
///   cannot get a page even then serves the block from the fit heap.
///
/// ## Ways out of the fast paths
///
/// A firmware's heap is one global allocator whose entry points inline the
/// fast paths. Two ways of calling a function out of line from there cost
/// on every call without showing in the source:
/// - a non-mutating instance method called from a mutating context: Swift
///   copies the whole allocator to the stack first (a `memcpy` of it);
/// - any instance method: it receives `self` in Swift's context register
///   (r10), which is callee-saved, so an entry point that may make such a
///   call saves and restores r10 on every call, taken or not (part of one
///   push on Cortex-M4; four instructions on Cortex-M0, whose push cannot
///   reach r10).
///
/// So every function an allocation path may call out of line has one of
/// three shapes (the statistics and the integrity check, which only read,
/// are free of the rule):
/// - a way out of a fast path (what an entry point calls):
///   `@inline(never) static func name(_ heap: inout SlabAllocator, ...)`,
///   its body written there, with no instance method of the same name
///   (a way out that shares its body with another slow path, or whose
///   body compiles worse written there, calls one `@inline(__always)`
///   mutating method named for what it does);
/// - a helper that only reads: `static`, over the fields and words it
///   reads, passed as arguments;
/// - a slow path called only from other slow paths (r10 is then saved
///   by the slow path, not by the entry point): a `mutating` method, even
///   when it only reads.
/// `scripts/check-no-heap-copy.sh` fails a firmware that copies the heap.
///
/// Noncopyable: two copies would hand out the same memory.
public struct SlabAllocator: ~Copyable {
    // Geometry. All zero until configured, so an unconfigured allocator
    // fails every allocation and reports every free as foreign.
    /// Address of page 0: the fit heap's start rounded down to the page size.
    var arenaBase: UInt = 0
    /// A free class block's second word is its link XOR this key (see
    /// SlabAllocator+LinkChecks.swift). Next to ``arenaBase``, which the
    /// fast path loads too: one `ldrd` loads both.
    var linkKey: UInt32 = 0
    /// pageCount pages: the range of addresses the page-state map covers.
    var arenaBytes: UInt = 0
    var pageShift: UInt = 0
    /// pageSize - 1.
    var pageMask: UInt = 0
    var pageCount: UInt = 0
    // Addresses of the metadata tables in the region.
    var classes: UInt = 0
    var classLookup: UInt = 0
    var classLookup8: UInt = 0
    var classLookup16: UInt = 0
    /// One byte per page: the class of a class page, else
    /// ``PageDescriptor/notClassPage``.
    var pageStates: UInt = 0
    // Checked builds: ring of arena offsets of quarantined blocks.
    var quarantine: UInt = 0
    var quarantineSlots: UInt = 0
    var quarantineNext: UInt = 0
    var quarantineCount: UInt = 0
    /// Of those, large (fit-heap) blocks.
    var quarantinedLargeCount: UInt = 0
    var classCount: UInt = 0
    /// Largest class size + 1; requests at or above go to the fit heap.
    var classLimit: UInt = 0
    /// Largest class size that is a multiple of 8 (of 16), + 1: the limit
    /// of the map for that alignment (0 when no class is such a multiple).
    var classLimit8: UInt = 0
    var classLimit16: UInt = 0
    /// Non-zero while the firmware's hooks must ask its heap router first:
    /// Firmware/HeapRouting.swift keeps `HeapRouter.routesToBump` mirrored
    /// here, so that a hook tests it off the register that already holds
    /// the heap's address (a load and a branch). The slab never reads it.
    var routerEngaged: UInt = 0
    // Counters kept on the slow paths only.
    /// Class pages out of the fit heap.
    var pagesInUse: UInt = 0
    /// Bytes of fit-heap blocks out (class pages and large blocks, headers
    /// included), and their peak.
    var bytesInUse: UInt = 0
    var peakBytesInUse: UInt = 0
    /// Classes take pages only while ``bytesInUse`` stays at or below this
    /// (see ``takeClassPage()``).
    var classPageLimit: UInt = 0
    var outOfMemoryCount: UInt = 0
    var misuseCount: UInt = 0
    /// Heap corruptions detected (also counted in ``misuseCount``), and the
    /// free blocks known lost with the lists abandoned for them.
    var corruptionCount: UInt = 0
    var lostBlocks: UInt = 0
    var regionBytes: UInt = 0
    /// Checked builds: bytes the caller asked for, summed over live blocks
    /// (a release build keeps no header and no count, so it cannot know).
    var requestedBytes: UInt = 0
    /// Every byte of the arena: class pages and large blocks.
    var fit = FitHeap()

    /// Every detected misuse is passed here; `nil` ignores them. Either way
    /// the bad request changes nothing. (The fit heap's blocks are validated
    /// through the fit heap, and their misuse reported here too.)
    public var misuseHandler: MisuseHandler? = nil {
        didSet { fit.misuseHandler = misuseHandler }
    }

    /// Offered every free of an address outside the arena before it is
    /// reported as foreign (the other regions of a heap that has several,
    /// see ``HeapRegions``); `nil` offers it to no one.
    public var foreignBlockHandler: ForeignBlockHandler? = nil

    /// The first byte of the region given to
    /// ``configure(region:configuration:)`` (after the fields the fast
    /// paths read, so that their offsets stay small).
    var regionStart: UInt = 0

    /// Classes take no new page once the fit heap is within 1/N of full.
    static let classPageReserve: UInt = 8

    /// An unconfigured allocator (all zeros): see ``configure(region:configuration:)``.
    public init() {}

    /// An unconfigured allocator that already reports misuse to `handler`
    /// (a bad free can come before the first allocation configures it).
    public init(misuseHandler handler: MisuseHandler) {
        misuseHandler = handler
        fit.misuseHandler = handler
    }

    /// An allocator over `region` (which must outlive it), or `nil` when the
    /// configuration is invalid or the region cannot hold one page.
    public init?(region: UnsafeMutableRawBufferPointer, configuration: SlabConfiguration = SlabConfiguration()) {
        guard configure(region: region, configuration: configuration) else { return nil }
    }

    /// True once the allocator owns a region.
    public var isConfigured: Bool { pageCount != 0 }

    /// Bytes per page.
    public var pageSize: UInt { pageCount == 0 ? 0 : 1 &<< pageShift }

    /// Bytes of the largest size class (0 when unconfigured).
    public var largestClassSize: UInt { classLimit == 0 ? 0 : classLimit - 1 }

    // MARK: - Allocation

    /// A block of at least `byteCount` bytes aligned to `alignment`, or `nil`
    /// when the alignment is not a power of two or the arena cannot hold it.
    /// Zero bytes return a unique block of the smallest class.
    ///
    /// Checked builds (`CAIRN_CHECKED`) reserve 4 more bytes per block for a
    /// canary and report the exact requested size as the usable size.
    @inline(__always)
    public mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        guard isPowerOfTwo(alignment) else { return nil }
        #if CAIRN_CHECKED
        return allocateChecked(byteCount: byteCount, alignment: alignment)
        #else
        return allocateBlockOrLarge(byteCount: byteCount, alignment: alignment)
        #endif
    }

    @inline(__always)
    mutating func allocateBlockOrLarge(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        if let sizeClass = sizeClass(for: byteCount, alignment: alignment) {
            return allocateBlock(ofClass: sizeClass, alignment: alignment)
        }
        return Self.allocateLarge(&self, byteCount: byteCount, alignment: alignment)
    }

    /// Entry of a size→class map for sizes no class with that alignment holds.
    static let noClass: UInt8 = 0xFF

    /// The smallest class whose blocks hold `byteCount` bytes at `alignment`
    /// (a power of two), or `nil` when only the fit heap will do.
    ///
    /// Every block of a class is aligned to the largest power of two dividing
    /// its size (pages are page-aligned), and all sizes are multiples of 4.
    /// Alignments 4, 8 and 16 (malloc's 8, the Swift runtime's 4 and 16) have
    /// a map each, so the answer is one table read; at call sites with a
    /// constant alignment the choice of map folds away.
    @inline(__always)
    func sizeClass(for byteCount: UInt, alignment: UInt) -> UInt? {
        // Below each map's limit every entry names a class, so one compare
        // and one table read decide.
        if alignment <= 4 {
            guard byteCount < classLimit else { return nil }
            return UInt(entry(UInt8.self, at: classLookup &+ ((byteCount &+ 3) &>> 2)).pointee)
        } else if alignment == 8 {
            guard byteCount < classLimit8 else { return nil }
            return UInt(entry(UInt8.self, at: classLookup8 &+ ((byteCount &+ 7) &>> 3)).pointee)
        } else if alignment == 16 {
            guard byteCount < classLimit16 else { return nil }
            return UInt(entry(UInt8.self, at: classLookup16 &+ ((byteCount &+ 15) &>> 4)).pointee)
        }
        guard byteCount < classLimit else { return nil }
        return Self.sizeClassSearch(for: byteCount, alignment: alignment, lookup: classLookup, classes: classes,
                                    classCount: classCount)
    }

    /// Alignments above 16: the first class from the size's class up whose
    /// size is a multiple of the alignment. O(classes).
    @inline(never)
    static func sizeClassSearch(for byteCount: UInt, alignment: UInt, lookup: UInt, classes: UInt,
                                classCount: UInt) -> UInt? {
        var sizeClass = UInt(entry(UInt8.self, at: lookup &+ ((byteCount &+ 3) &>> 2)).pointee)
        while sizeClass < classCount {
            let record = entry(SizeClassRecord.self,
                               at: classes &+ sizeClass &* UInt(MemoryLayout<SizeClassRecord>.stride))
            if UInt(record.pointee.blockSize) & (alignment &- 1) == 0 { return sizeClass }
            sizeClass &+= 1
        }
        return nil
    }

    /// The fast path: pop a block from the class's cache. (`alignment` is
    /// the request's, for a block that must come from the fit heap instead.)
    @inline(__always)
    mutating func allocateBlock(ofClass sizeClass: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        let record = classRecord(sizeClass)
        let head = record.pointee.cacheHead
        guard head != PageDescriptor.noBlock else {
            return Self.refillAndAllocate(&self, ofClass: sizeClass, alignment: alignment)
        }
        guard let block = takeCacheHead(head, record) else {
            return Self.refillAfterBrokenCache(&self, arenaBase &+ UInt(head), ofClass: sizeClass,
                                               alignment: alignment)
        }
        return block
    }

    /// Takes the first block of the class's cache, or `nil` when its words
    /// fail their check (the cache is then abandoned and reported: see
    /// ``cacheLinkBroken(_:_:_:)``). Precondition: the cache is not empty.
    @inline(__always)
    mutating func popCache(_ record: UnsafeMutablePointer<SizeClassRecord>) -> UnsafeMutableRawPointer? {
        let head = record.pointee.cacheHead
        guard let block = takeCacheHead(head, record) else {
            Self.cacheLinkBroken(&self, record, arenaBase &+ UInt(head))
            return nil
        }
        return block
    }

    /// The cache's first block, at arena offset `head` (the record's
    /// `cacheHead`, not `noBlock`), taken off the cache when its two words
    /// agree (SlabAllocator+LinkChecks.swift); `nil`, changing nothing,
    /// when they do not.
    @inline(__always)
    mutating func takeCacheHead(_ head: UInt32, _ record: UnsafeMutablePointer<SizeClassRecord>)
        -> UnsafeMutableRawPointer? {
        let block = arenaBase &+ UInt(head)
        let (next, check) = Self.loadLinkWords(block)
        guard Self.linkWordsAgree(next, check, key: linkKey) else { return nil }
        record.pointee.cacheHead = next
        // No longer looks free: word 1 must not be word 0 XOR linkKey. Word
        // 0 is an offset below 2^31 (a region spans at most 16 MiB) or
        // noBlock, and the key has bit 31 set and bit 30 clear, so writing
        // the block's own offset (below 2^30 beside noBlock, see
        // ``linkKey(secret:regionBase:)``) breaks the match, and costs no
        // constant.
        storeWord(head, block &+ 4)
        #if CAIRN_CHECKED
        verifyPoison(block, from: 8, blockSize: UInt(record.pointee.blockSize), page: UInt(head) &>> pageShift)
        #endif
        return rawPointer(block)
    }

    // MARK: - Free

    /// Frees a block. A pointer that is not a live block is reported through
    /// ``misuseHandler`` and otherwise ignored: the free lists stay intact.
    /// `caller` is the return address of the hook, for the report.
    @inline(__always)
    public mutating func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt = 0) {
        deallocate(address: address(of: pointer), caller: caller)
    }

    /// `free` as the C hook calls it: `block` may be 0 (`free(NULL)`), which
    /// fails the arena test like any foreign address and is let go there,
    /// so the fast path pays no test of its own for it. A block outside
    /// every class page is the fit heap's to free, or to report.
    @inline(__always)
    public mutating func deallocate(address block: UInt, caller: UInt) {
        let offset = block &- arenaBase
        // One unsigned compare rejects both sides of the arena.
        guard offset < arenaBytes else { return Self.freeOutsideArena(&self, block, caller: caller) }
        let (page, d, state) = lookUpPage(block, ofOffset: offset)
        guard state != PageDescriptor.notClassPage else {
            return Self.deallocateLarge(&self, block, caller: caller)
        }
        let record = classRecord(UInt(state))
        guard Self.isCarvedBlockStart(offset & pageMask, record, d) else {
            return Self.reportMisuse(&self, .notBlockStart, block, Int(state), caller)
        }
        if Self.looksFree(block, key: linkKey), Self.isFreeBlock(&self, UInt32(truncatingIfNeeded: offset), page: page, record) {
            return Self.reportMisuse(&self, .doubleFree, block, Int(state), caller)
        }
        #if CAIRN_CHECKED
        // The block waits in quarantine; an older one may leave it now.
        guard let released = quarantineBlock(offset: offset, page: page, record, caller: caller) else { return }
        releaseBlock(offset: released)
        #else
        releaseBlock(offset: offset, page: page, d, record)
        #endif
    }

    /// A free of an address outside the arena: `free(NULL)` is nothing,
    /// a block of the firmware's bump arena is the heap router's (see
    /// `HeapRouter`), anything else is another region's
    /// (``foreignBlockHandler``) or a foreign pointer.
    @inline(never)
    static func freeOutsideArena(_ heap: inout SlabAllocator, _ block: UInt, caller: UInt) {
        guard block != 0 else { return }
        #if hasFeature(Embedded) && os(none)
        if routedFreeOutsideSlab(block, caller: caller) { return }
        #endif
        if let handler = heap.foreignBlockHandler, handler(block, caller) { return }
        reportMisuse(&heap, .foreignPointer, block, -1, caller)
    }

    /// True when page offset `inPage` starts one of the page's carved
    /// blocks: a multiple of the block size (checked with a multiply, see
    /// ``SizeClassRecord/reciprocal``) below the carved limit.
    @inline(__always)
    static func isCarvedBlockStart(_ inPage: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>,
                                   _ d: UnsafeMutablePointer<PageDescriptor>) -> Bool {
        isBlockMultiple(inPage, record) && UInt32(truncatingIfNeeded: inPage) < UInt32(d.pointee.carved)
    }

    /// True when the block at `block` carries the free mark (its second
    /// word is its first XOR ``linkKey``): free, or a live block whose
    /// data happens to match, which a walk of the free lists tells apart.
    @inline(__always)
    static func looksFree(_ block: UInt, key: UInt32) -> Bool {
        linkWordsAgree(loadWord(block), loadWord(block &+ 4), key: key)
    }

    /// Makes `block` a free block linking to `link`: the link in its first
    /// word, the link XOR `key` in its second (what ``looksFree(_:key:)``
    /// and ``popCache(_:)`` read).
    @inline(__always)
    static func writeFreeLink(_ link: UInt32, into block: UInt, key: UInt32) {
        storeWord(link, block)
        storeWord(link ^ key, block &+ 4)
    }

    /// Puts a validated block back: onto the class's cache when it belongs
    /// to the cache page, else onto its page's own free list.
    @inline(__always)
    mutating func releaseBlock(offset: UInt, page: UInt, _ d: UnsafeMutablePointer<PageDescriptor>,
                               _ record: UnsafeMutablePointer<SizeClassRecord>) {
        let block = arenaBase &+ offset
        let offset32 = UInt32(truncatingIfNeeded: offset)
        #if !CAIRN_CHECKED
        // The block's last word, the word before the next block, reads as
        // no fit-heap header once its page goes back to the fit heap (see
        // ``releaseClassPage(_:)``): an offset has bits 0 and 1 clear, a free
        // block whose predecessor is free, which the fit heap's check
        // refuses. Written before the link, which covers it in an 8-byte
        // block (whose link words refuse just as well). A checked build's
        // poison does the same.
        storeWord(offset32, block &+ UInt(record.pointee.blockSize) &- 4)
        #endif
        if UInt(record.pointee.cachePage) == page {
            // The cache page's `used` counts cached blocks: nothing to update.
            Self.writeFreeLink(record.pointee.cacheHead, into: block, key: linkKey)
            record.pointee.cacheHead = offset32
            return
        }
        let link = d.pointee.freeList
        // The descriptor lies in the page, after its blocks: a word an
        // overflow can reach. Its link is checked before it is written under
        // the key, which would make a forged one pass every later check.
        guard Self.isPageListLink(link, of: offset32, record, d, pageMask: pageMask) else {
            return Self.pageListBroken(&self, page, d, record, block)
        }
        Self.writeFreeLink(link, into: block, key: linkKey)
        d.pointee.freeList = offset32
        let used = d.pointee.used &- 1
        setUsed(d, used)
        // The first free block of a full page puts it on the partial list;
        // the last block in use leaving keeps the page for the class or
        // sends it back to the fit heap.
        if used == 0 {
            Self.pageEmptied(&self, page, record, wasFull: link == PageDescriptor.noBlock)
        } else if link == PageDescriptor.noBlock {
            Self.pageNoLongerFull(&self, page, record)
        }
    }

    // MARK: - Queries

    /// Bytes usable at `pointer` (the block size of its class, or what its
    /// fit-heap block holds), or `nil` when it is not a live block.
    public func usableSize(of pointer: UnsafeRawPointer) -> UInt? {
        guard let (page, state) = liveBlockPage(address(of: pointer)) else { return nil }
        return usableSize(ofLive: address(of: pointer), page: page, state: state)
    }

    /// Resizes a live block without moving it: true when `byteCount` fits its
    /// class block, or its fit-heap block (shrinking gives the tail back;
    /// growing takes it from a free block right after).
    public mutating func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        guard let (page, state) = liveBlockPage(address(of: pointer)) else { return false }
        return resizeInPlace(live: address(of: pointer), page: page, state: state, byteCount: byteCount)
    }

    /// `realloc`'s question with one validation of `pointer`: resized in
    /// place, or the bytes a move must copy, or not a live block.
    @inline(__always)
    public mutating func resizeOrMeasure(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> ResizeOutcome {
        let block = address(of: pointer)
        guard let (page, state) = liveBlockPage(block) else { return .notLive }
        if resizeInPlace(live: block, page: page, state: state, byteCount: byteCount) { return .resized }
        guard let usable = usableSize(ofLive: block, page: page, state: state) else { return .notLive }
        return .mustMove(preserving: usable)
    }

    /// Frees a block known to be live (see
    /// ``RawAllocator/deallocate(knownLive:caller:)``): the release build
    /// skips the range, block-start and double-free tests; a checked build
    /// keeps every test (and its quarantine).
    public mutating func deallocate(knownLive pointer: UnsafeMutableRawPointer, caller: UInt) {
        #if CAIRN_CHECKED
        deallocate(pointer, caller: caller)
        #else
        let block = address(of: pointer)
        let offset = block &- arenaBase
        let (page, d, state) = lookUpPage(block, ofOffset: offset)
        guard state != PageDescriptor.notClassPage else { return Self.releaseFitBlock(&self, block) }
        releaseBlock(offset: offset, page: page, d, classRecord(UInt(state)))
        #endif
    }

    /// ``usableSize(of:)`` of a block already known to be live.
    @inline(__always)
    func usableSize(ofLive block: UInt, page: UInt, state: UInt8) -> UInt? {
        #if CAIRN_CHECKED
        return requestedSize(ofLiveBlock: block, page: page, state: state)
        #else
        if state == PageDescriptor.notClassPage { return Self.usableSize(ofLargeBlock: block) }
        return UInt(classRecord(UInt(state)).pointee.blockSize)
        #endif
    }

    /// ``resizeInPlace(_:byteCount:)`` of a block already known to be live.
    mutating func resizeInPlace(live block: UInt, page: UInt, state: UInt8, byteCount: UInt) -> Bool {
        #if CAIRN_CHECKED
        return resizeCheckedInPlace(block, page: page, state: state, byteCount: byteCount)
        #else
        if state != PageDescriptor.notClassPage {
            return byteCount <= UInt(classRecord(UInt(state)).pointee.blockSize)
        }
        return Self.resizeLarge(&self, block, byteCount: byteCount)
        #endif
    }

    /// True when `pointer` lies inside this allocator's blocks (its fit
    /// heap, class pages included; not its tables).
    public func owns(_ pointer: UnsafeRawPointer) -> Bool {
        address(of: pointer) &- fit.firstBlock < fit.sentinel &- fit.firstBlock
    }

    // MARK: - Table access (the only index arithmetic on the metadata)

    /// The page holding `block`, at arena offset `offset`: its number, its
    /// descriptor and its state (a class index or
    /// ``PageDescriptor/notClassPage``; the descriptor means something only
    /// for a class page). Precondition: `offset == block - arenaBase <
    /// arenaBytes`.
    @inline(__always)
    func lookUpPage(_ block: UInt, ofOffset offset: UInt) -> (UInt, UnsafeMutablePointer<PageDescriptor>, UInt8) {
        let page = offset &>> pageShift
        // Pages are aligned to their size: the descriptor sits at the same
        // distance below the page's last byte as below its end.
        let d = entry(PageDescriptor.self, at: (block | pageMask) &- (PageDescriptor.pageTail &- 1))
        return (page, d, pageState(page))
    }

    /// The state of page `page`: its class, or ``PageDescriptor/notClassPage``.
    /// Precondition: `page < pageCount`.
    @inline(__always)
    func pageState(_ page: UInt) -> UInt8 {
        entry(UInt8.self, at: pageStates &+ page).pointee
    }

    /// The one walk of the page-state map: passes each class page, in page
    /// order, with its state to `visit`, until `visit` returns false.
    /// O(pages).
    func forEachClassPage(_ visit: (_ page: UInt, _ state: UInt8) -> Bool) {
        var page: UInt = 0
        while page < pageCount {
            let state = pageState(page)
            if state != PageDescriptor.notClassPage, !visit(page, state) { return }
            page &+= 1
        }
    }

    /// Sets the state of page `page`. Precondition: `page < pageCount`.
    @inline(__always)
    func setPageState(_ page: UInt, _ state: UInt8) {
        entry(UInt8.self, at: pageStates &+ page).pointee = state
    }

    /// Descriptor of page `page`, near its end (see ``PageDescriptor``).
    /// Precondition: `page < pageCount`.
    @inline(__always)
    func descriptor(_ page: UInt) -> UnsafeMutablePointer<PageDescriptor> {
        entry(PageDescriptor.self, at: pageAddress(page) &+ pageMask &+ 1 &- PageDescriptor.pageTail)
    }

    /// Record of class `sizeClass`. Precondition: `sizeClass < classCount`.
    @inline(__always)
    func classRecord(_ sizeClass: UInt) -> UnsafeMutablePointer<SizeClassRecord> {
        entry(SizeClassRecord.self, at: classes &+ sizeClass &* UInt(MemoryLayout<SizeClassRecord>.stride))
    }

    /// Address of the first byte of page `page`.
    @inline(__always)
    func pageAddress(_ page: UInt) -> UInt {
        arenaBase &+ (page &<< pageShift)
    }
}
