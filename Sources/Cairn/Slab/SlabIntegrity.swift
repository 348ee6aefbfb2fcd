/// What ``SlabAllocator/checkIntegrity()`` found.
public struct IntegrityReport: Equatable {
    /// The first broken invariant, or `nil` when every one holds.
    public var problem: IntegrityProblem?
    /// Page where the problem was seen (-1 when it concerns no one page).
    public var page: Int
    /// Class pages walked.
    public var classPages: UInt
    /// Live fit-heap blocks other than class pages.
    public var largeBlocks: UInt
    /// Class blocks in use and free (carved ones only).
    public var liveBlocks: UInt
    public var freeBlocks: UInt

    public var isValid: Bool { problem == nil }
}

/// Invariants of a ``SlabAllocator``; each names what broke.
public enum IntegrityProblem: UInt8 {
    /// A page's state is neither a class nor "not a class page".
    case unknownPageState = 1
    /// A class page is not one live fit-heap block of exactly one page.
    case classPageBlock
    /// The fit heap's own check failed (``FitHeap/checkIntegrity()``).
    case fitHeap
    /// A class page's counts disagree (used + free != carved, or over
    /// capacity), or a page other than the cache page is partly carved.
    case blockCount
    /// A free-list link points outside its page, between blocks, or past the carved part.
    case freeListLink
    /// A free block's free mark is gone: it was written while free.
    case freeBlockOverwritten
    /// A class's partial list holds a page it should not, or misses one.
    case partialList
    /// A class's partial list holds more than one page with no block in
    /// use (all but one should have gone back to the fit heap).
    case emptyPage
    /// A class's cache page is not a page of that class, its own free list
    /// is not empty, or the class has cached blocks but no cache page.
    case cachePage
    /// Page or byte accounting disagrees with what the walk found.
    case pageAccounting
    /// Checked builds: a live block's canary was overwritten.
    case blockCanary
}

extension SlabAllocator {
    /// Walks the fit heap, the page-state map, every class page's free list
    /// and cache and every partial list, and returns the first invariant
    /// that does not hold. O(pages + blocks); allocates nothing. An
    /// unconfigured allocator is valid.
    public func checkIntegrity() -> IntegrityReport {
        var report = IntegrityReport(problem: nil, page: -1, classPages: 0, largeBlocks: 0,
                                     liveBlocks: 0, freeBlocks: 0)
        func fail(_ problem: IntegrityProblem, _ page: UInt) -> IntegrityReport {
            var failed = report
            failed.problem = problem
            failed.page = page == UInt.max ? -1 : Int(page)
            return failed
        }
        guard isConfigured else { return report }
        if fit.checkIntegrity() != nil { return fail(.fitHeap, UInt.max) }
        var partialPages: UInt = 0
        var broken: (IntegrityProblem, UInt)? = nil
        forEachClassPage { page, state in
            guard let problem = checkClassPage(page, state: state, into: &report, partialPages: &partialPages)
            else { return true }
            broken = (problem, page)
            return false
        }
        if let (problem, page) = broken { return fail(problem, page) }
        if let problem = checkClassLists(partialPages: partialPages) { return fail(problem, UInt.max) }
        // Every live fit-heap block is a class page or a large block; their
        // bytes are what the counters say is out.
        var liveBytes: UInt = 0
        var liveBlocks: UInt = 0
        var canariesHold = true
        var quarantineHolds = true
        fit.forEachBlock { block, size, inUse in
            guard inUse else { return }
            liveBytes &+= size
            liveBlocks &+= 1
            #if CAIRN_CHECKED
            let payload = block &+ FitHeap.headerBytes
            if isClassPage(payload) {
                // Its blocks were checked with its page.
            } else if isQuarantined(payload &- arenaBase) {
                if !poisonIsIntact(payload, from: 0, blockSize: Self.usableSize(ofLargeBlock: payload)) {
                    quarantineHolds = false
                }
            } else {
                if let requested = requestedSize(ofLargeBlock: payload) {
                    if !largeCanaryIsIntact(payload, size: requested) { canariesHold = false }
                } else {
                    canariesHold = false
                }
            }
            #endif
        }
        guard quarantineHolds else { return fail(.freeBlockOverwritten, UInt.max) }
        guard canariesHold else { return fail(.blockCanary, UInt.max) }
        guard pagesInUse == report.classPages, liveBytes == bytesInUse, liveBlocks >= report.classPages
        else { return fail(.pageAccounting, UInt.max) }
        report.largeBlocks = liveBlocks &- report.classPages &- quarantinedLargeCount
        // Blocks in quarantine (checked builds) are used on their pages (or
        // live in the fit heap) but free to the caller, as in the statistics.
        report.liveBlocks &-= quarantineCount &- quarantinedLargeCount
        return report
    }

    /// Checks class page `page` of state `state` (its class), and adds its
    /// blocks to `report`, and to `partialPages` when it belongs on its
    /// class's partial list; the first problem found, or `nil`.
    func checkClassPage(_ page: UInt, state: UInt8, into report: inout IntegrityReport,
                        partialPages: inout UInt) -> IntegrityProblem? {
        guard UInt(state) < classCount else { return .unknownPageState }
        guard case .live(_, let size) = FitHeap.lookUpLiveBlock(pageAddress(page), firstBlock: fit.firstBlock,
                                                               sentinel: fit.sentinel, key: fit.headerKey),
              size == pageMask &+ 1
        else { return .classPageBlock }
        let d = descriptor(page)
        let record = classRecord(UInt(state))
        let isCachePage = UInt(record.pointee.cachePage) == page
        let (free, listProblem) = countFreeBlocks(from: d.pointee.freeList, page: page)
        if let listProblem { return listProblem }
        var cached: UInt = 0
        if isCachePage {
            let (count, cacheProblem) = countFreeBlocks(from: record.pointee.cacheHead, page: page)
            if let cacheProblem { return cacheProblem }
            guard free == 0 else { return .cachePage }
            cached = count
        }
        #if CAIRN_CHECKED
        if let blockProblem = checkBlocks(ofPage: page) { return blockProblem }
        #endif
        let blockSize = UInt(record.pointee.blockSize)
        let capacity = UInt(record.pointee.blocksPerPage)
        let carved = UInt(d.pointee.carved)
        let used = UInt(d.pointee.used)
        guard carved % blockSize == 0, carved / blockSize <= capacity,
              isCachePage || carved / blockSize == capacity,
              d.pointee.usedCheck == Self.usedCheck(d.pointee.used, key: linkKey),
              used &+ free == carved / blockSize, used >= cached
        else { return .blockCount }
        // A page other than the cache page with a free block is on its
        // class's partial list (even an empty one: checkClassLists allows
        // one per class).
        if !isCachePage && free != 0 { partialPages &+= 1 }
        report.classPages &+= 1
        report.liveBlocks &+= used &- cached
        report.freeBlocks &+= free &+ cached
        return nil
    }

    /// True when `payload` starts a class page (a fit-heap block that is one).
    func isClassPage(_ payload: UInt) -> Bool {
        let offset = payload &- arenaBase
        return offset < arenaBytes && offset & pageMask == 0
            && pageState(offset &>> pageShift) != PageDescriptor.notClassPage
    }

    /// Free blocks on the list from `head`, all of which must lie in `page`,
    /// or the problem with the list: a link outside the page, between blocks
    /// or past the carved part, more links than the page has blocks (a
    /// cycle), or a free block whose mark is gone.
    func countFreeBlocks(from head: UInt32, page: UInt) -> (UInt, IntegrityProblem?) {
        let d = descriptor(page)
        let record = classRecord(UInt(pageState(page)))
        let blockSize = UInt(record.pointee.blockSize)
        let capacity = UInt(record.pointee.blocksPerPage)
        let pageStart = page &<< pageShift
        var count: UInt = 0
        var linkProblem = false
        // Every free block holds its link and the link XOR the link key:
        // the walk stops at one that does not.
        let marksHold = Self.walkFreeList(from: head, limit: capacity, arenaBase: arenaBase, key: linkKey) { link in
            let inPage = UInt(link) &- pageStart
            linkProblem = inPage >= UInt(d.pointee.carved) || inPage % blockSize != 0 || count == capacity
            count &+= 1
            return !linkProblem
        }
        if linkProblem { return (count, .freeListLink) }
        return (count, marksHold ? nil : .freeBlockOverwritten)
    }

    /// Partial lists hold exactly the class pages, other than cache pages,
    /// with a block on their own free list, at most one of them with no
    /// block in use; cache pages belong to their class.
    func checkClassLists(partialPages: UInt) -> IntegrityProblem? {
        var listed: UInt = 0
        var sizeClass: UInt = 0
        while sizeClass < classCount {
            let record = classRecord(sizeClass)
            let cachePage = record.pointee.cachePage
            if cachePage == PageDescriptor.noPage {
                guard record.pointee.cacheHead == PageDescriptor.noBlock else { return .cachePage }
            } else {
                guard UInt(cachePage) < pageCount, UInt(pageState(UInt(cachePage))) == sizeClass
                else { return .cachePage }
            }
            var page = record.pointee.partialHead
            var previous = PageDescriptor.noPage
            var emptyPages: UInt = 0
            while page != PageDescriptor.noPage {
                guard UInt(page) < pageCount, listed < pageCount else { return .partialList }
                let d = descriptor(UInt(page))
                guard UInt(pageState(UInt(page))) == sizeClass, page != cachePage,
                      d.pointee.freeList != PageDescriptor.noBlock, d.pointee.prev == previous
                else { return .partialList }
                if d.pointee.used == 0 {
                    emptyPages &+= 1
                    guard emptyPages == 1 else { return .emptyPage }
                }
                listed &+= 1
                previous = page
                page = d.pointee.next
            }
            sizeClass &+= 1
        }
        return listed == partialPages ? nil : .partialList
    }
}
