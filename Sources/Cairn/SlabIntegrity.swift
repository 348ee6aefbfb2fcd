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
    /// A class page's counts disagree (used + free != carved, or over capacity).
    case blockCount
    /// A free-list link points outside its page, between blocks, or past the carved part.
    case freeListLink
    /// A free block's free mark is gone: it was written while free.
    case freeBlockOverwritten
    /// A class's partial list holds a page it should not, or misses one.
    case partialList
    /// A class has an empty page other than the one it keeps.
    case emptyPage
    /// A class's page count disagrees with the pages found.
    case classPageCount
    /// A span bin holds a span of the wrong length, or misses one.
    case spanBins
    /// Pages-in-use accounting disagrees with the pages found.
    case pageAccounting
    /// Checked builds: a live block's canary (or a run's) was overwritten.
    case blockCanary
}

extension SlabAllocator {
    /// Walks the side table, every free list, every partial list and every
    /// span bin, and returns the first invariant that does not hold.
    /// O(pages + blocks); allocates nothing. An unconfigured allocator is valid.
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
                let (free, listProblem) = countFreeBlocks(page)
                if let listProblem { return fail(listProblem, page) }
                #if CAIRN_CHECKED
                if let blockProblem = checkBlocks(ofPage: page) { return fail(blockProblem, page) }
                #endif
                let record = classRecord(UInt(state))
                let blockSize = UInt(record.pointee.blockSize)
                let carved = UInt(d.pointee.carved)
                let used = UInt(d.pointee.used)
                guard carved % blockSize == 0, carved / blockSize <= UInt(record.pointee.blocksPerPage),
                      d.pointee.span == record.pointee.blocksPerPage,
                      used &+ free == carved / blockSize
                else { return fail(.blockCount, page) }
                if used == 0 {
                    guard UInt(record.pointee.emptyPage) == page else { return fail(.emptyPage, page) }
                }
                if used < UInt(record.pointee.blocksPerPage) { partialPages &+= 1 }
                report.classPages &+= 1
                report.liveBlocks &+= used
                report.freeBlocks &+= free
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
                    guard descriptor(inner).pointee.state >= PageDescriptor.firstSpecialState
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

    /// Free blocks on `page`'s list, or the problem with the list: a link
    /// outside the page, between blocks or past the carved part, more links
    /// than the page has blocks (a cycle), or a free block whose mark is gone.
    func countFreeBlocks(_ page: UInt) -> (UInt, IntegrityProblem?) {
        let d = descriptor(page)
        let record = classRecord(UInt(d.pointee.state))
        let blockSize = UInt(record.pointee.blockSize)
        let pageStart = page &<< pageShift
        var count: UInt = 0
        var link = d.pointee.freeList
        while link != PageDescriptor.noBlock {
            let inPage = UInt(link) &- pageStart
            guard inPage < UInt(d.pointee.carved), inPage % blockSize == 0,
                  count < UInt(record.pointee.blocksPerPage)
            else { return (count, .freeListLink) }
            let block = arenaBase &+ UInt(link)
            // Every free block holds its link and the link XOR the free mark.
            guard loadWord(block &+ 4) == loadWord(block) ^ Self.freeMark else { return (count, .freeBlockOverwritten) }
            count &+= 1
            link = loadWord(block)
        }
        return (count, nil)
    }

    /// Partial lists hold exactly the partly used pages of their class;
    /// kept empty pages are empty pages of their class; page counts agree.
    func checkClassLists(partialPages: UInt) -> IntegrityProblem? {
        var listed: UInt = 0
        var sizeClass: UInt = 0
        while sizeClass < classCount {
            let record = classRecord(sizeClass)
            var page = record.pointee.partialHead
            var previous = PageDescriptor.noPage
            while page != PageDescriptor.noPage {
                let d = descriptor(UInt(page))
                guard UInt(page) < pageCount, UInt(d.pointee.state) == sizeClass,
                      d.pointee.used < record.pointee.blocksPerPage, d.pointee.prev == previous,
                      listed < pageCount
                else { return .partialList }
                listed &+= 1
                previous = page
                page = d.pointee.next
            }
            var pages: UInt = 0
            var page2: UInt = 0
            while page2 < pageCount {
                if UInt(descriptor(page2).pointee.state) == sizeClass { pages &+= 1 }
                page2 &+= 1
            }
            guard pages == UInt(record.pointee.pages) else { return .classPageCount }
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
