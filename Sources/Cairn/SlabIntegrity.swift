/// What ``SlabAllocator/checkIntegrity()`` found.
public struct IntegrityReport: Equatable {
    /// The first broken invariant, or `nil` when every one holds.
    public var problem: IntegrityProblem?
    /// Page where the problem was seen (-1 when it concerns no one page).
    public var page: Int
    /// Pages walked, by kind; they add up to the page count when valid.
    public var freePages: UInt
    public var classPages: UInt
    public var runPages: UInt
    /// Class blocks in use and free (carved ones only).
    public var liveBlocks: UInt
    public var freeBlocks: UInt

    public var isValid: Bool { problem == nil }
}

/// Invariants of a ``SlabAllocator``; each names what broke.
public enum IntegrityProblem: UInt8 {
    /// A page's state is none of: class, run head, run interior, free span.
    case unknownPageState = 1
    /// A run or span runs past the last page, or its pages are not marked as its.
    case badRunOrSpan
    /// Two free spans touch: they should have been merged.
    case unmergedSpans
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
    /// use (all but one should have gone back to the pool).
    case emptyPage
    /// A class's cache page is not a page of that class, its own free list
    /// is not empty, or the class has cached blocks but no cache page.
    case cachePage
    /// A span bin holds a span of the wrong length, or misses one.
    case spanBins
    /// Pages-in-use accounting disagrees with the pages found.
    case pageAccounting
    /// Checked builds: a live block's canary (or a run's) was overwritten.
    case blockCanary
}

extension SlabAllocator {
    /// Walks the side table, every free list and class cache, every partial
    /// list and every span bin, and returns the first invariant that does
    /// not hold. O(pages + blocks); allocates nothing. An unconfigured
    /// allocator is valid.
    public func checkIntegrity() -> IntegrityReport {
        var report = IntegrityReport(problem: nil, page: -1, freePages: 0, classPages: 0, runPages: 0,
                                     liveBlocks: 0, freeBlocks: 0)
        func fail(_ problem: IntegrityProblem, _ page: UInt) -> IntegrityReport {
            var failed = report
            failed.problem = problem
            failed.page = page == UInt.max ? -1 : Int(page)
            return failed
        }
        guard isConfigured else { return report }
        var partialPages: UInt = 0
        var spans: UInt = 0
        var page: UInt = 0
        while page < pageCount {
            let d = descriptor(page)
            let state = d.pointee.state
            if state < PageDescriptor.firstSpecialState {
                guard UInt(state) < classCount else { return fail(.unknownPageState, page) }
                let record = classRecord(UInt(state))
                let isCachePage = UInt(record.pointee.cachePage) == page
                let (free, listProblem) = countFreeBlocks(from: d.pointee.freeList, page: page)
                if let listProblem { return fail(listProblem, page) }
                var cached: UInt = 0
                if isCachePage {
                    let (count, cacheProblem) = countFreeBlocks(from: record.pointee.cacheHead, page: page)
                    if let cacheProblem { return fail(cacheProblem, page) }
                    guard free == 0 else { return fail(.cachePage, page) }
                    cached = count
                }
                #if CAIRN_CHECKED
                if let blockProblem = checkBlocks(ofPage: page) { return fail(blockProblem, page) }
                #endif
                let blockSize = UInt(record.pointee.blockSize)
                let capacity = UInt(record.pointee.blocksPerPage)
                let carved = UInt(d.pointee.carved)
                let used = UInt(d.pointee.used)
                guard carved % blockSize == 0, carved / blockSize <= capacity,
                      isCachePage || carved / blockSize == capacity,
                      UInt(d.pointee.span) == capacity,
                      used &+ free == carved / blockSize, used >= cached
                else { return fail(.blockCount, page) }
                // A page other than the cache page with a free block is on its
                // class's partial list (even an empty one: checkClassLists
                // allows one per class).
                if !isCachePage && free != 0 { partialPages &+= 1 }
                report.classPages &+= 1
                report.liveBlocks &+= used &- cached
                report.freeBlocks &+= free &+ cached
                page &+= 1
                continue
            }
            let length = UInt(d.pointee.span)
            guard length >= 1, length <= pageCount &- page else { return fail(.badRunOrSpan, page) }
            switch state {
            case PageDescriptor.largeRun:
                #if CAIRN_CHECKED
                guard canaryIsIntact(pageAddress(page), page: page, state: state) else { return fail(.blockCanary, page) }
                #endif
                var inner = page &+ 1
                while inner < page &+ length {
                    guard descriptor(inner).pointee.state == PageDescriptor.largeRunInterior
                    else { return fail(.badRunOrSpan, inner) }
                    inner &+= 1
                }
                report.runPages &+= length
            case PageDescriptor.freeSpan:
                let tail = descriptor(page &+ length &- 1)
                guard tail.pointee.state == PageDescriptor.freeSpan, UInt(tail.pointee.span) == length
                else { return fail(.badRunOrSpan, page) }
                var inner = page &+ 1
                while inner &+ 1 < page &+ length {
                    guard descriptor(inner).pointee.state == PageDescriptor.largeRunInterior
                    else { return fail(.badRunOrSpan, inner) }
                    inner &+= 1
                }
                let after = page &+ length
                if after < pageCount, descriptor(after).pointee.state == PageDescriptor.freeSpan {
                    return fail(.unmergedSpans, after)
                }
                report.freePages &+= length
                spans &+= 1
            default:
                return fail(.unknownPageState, page)
            }
            page &+= length
        }
        if let problem = checkClassLists(partialPages: partialPages) { return fail(problem, UInt.max) }
        if let problem = checkBins(spans: spans) { return fail(problem, UInt.max) }
        guard pagesInUse == report.classPages &+ report.runPages else { return fail(.pageAccounting, UInt.max) }
        // Blocks in quarantine (checked builds) are used on their pages but
        // free to the caller, as in the statistics.
        report.liveBlocks &-= quarantineCount
        return report
    }

    /// Free blocks on the list from `head`, all of which must lie in `page`,
    /// or the problem with the list: a link outside the page, between blocks
    /// or past the carved part, more links than the page has blocks (a
    /// cycle), or a free block whose mark is gone.
    func countFreeBlocks(from head: UInt32, page: UInt) -> (UInt, IntegrityProblem?) {
        let d = descriptor(page)
        let record = classRecord(UInt(d.pointee.state))
        let blockSize = UInt(record.pointee.blockSize)
        let pageStart = page &<< pageShift
        var count: UInt = 0
        var link = head
        while link != PageDescriptor.noBlock {
            let inPage = UInt(link) &- pageStart
            guard inPage < UInt(d.pointee.carved), inPage % blockSize == 0,
                  count < UInt(record.pointee.blocksPerPage)
            else { return (count, .freeListLink) }
            let block = arenaBase &+ UInt(link)
            // Every free block holds its link and the link XOR the free mark.
            guard Self.looksFree(block) else { return (count, .freeBlockOverwritten) }
            count &+= 1
            link = loadWord(block)
        }
        return (count, nil)
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
                guard UInt(cachePage) < pageCount, UInt(descriptor(UInt(cachePage)).pointee.state) == sizeClass
                else { return .cachePage }
            }
            var page = record.pointee.partialHead
            var previous = PageDescriptor.noPage
            var emptyPages: UInt = 0
            while page != PageDescriptor.noPage {
                guard UInt(page) < pageCount, listed < pageCount else { return .partialList }
                let d = descriptor(UInt(page))
                guard UInt(d.pointee.state) == sizeClass, page != cachePage,
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

    /// Each bin holds exactly the free spans of its length range, and its
    /// bit in `nonEmptyBins` says whether it holds any.
    func checkBins(spans: UInt) -> IntegrityProblem? {
        var filed: UInt = 0
        var bin: UInt = 0
        while bin < UInt(SlabLayout.binCount) {
            var page = binHead(bin).pointee
            let bitSet = nonEmptyBins & (UInt32(1) << UInt32(bin)) != 0
            guard bitSet == (page != PageDescriptor.noPage) else { return .spanBins }
            var previous = PageDescriptor.noPage
            while page != PageDescriptor.noPage {
                guard UInt(page) < pageCount, filed < pageCount else { return .spanBins }
                let d = descriptor(UInt(page))
                guard d.pointee.state == PageDescriptor.freeSpan, d.pointee.span > 0,
                      floorLog2(UInt(d.pointee.span)) == bin, d.pointee.prev == previous
                else { return .spanBins }
                filed &+= 1
                previous = page
                page = d.pointee.next
            }
            bin &+= 1
        }
        return filed == spans ? nil : .spanBins
    }
}
