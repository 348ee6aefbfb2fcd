// Slow paths of the size classes: taking a page for a class, moving pages
// between the partial list and the pool, and confirming a double free.
// Each runs at most once per page-boundary crossing of the fast paths.

extension SlabAllocator {
    /// The class has no page with a free block: take a fresh page from the
    /// pool, put it on the partial list and allocate from it.
    @inline(never)
    mutating func refillAndAllocate(ofClass sizeClass: UInt) -> UnsafeMutableRawPointer? {
        let record = classRecord(sizeClass)
        guard let page = takePagesReclaiming(1) else {
            #if CAIRN_CHECKED
            // Emptying the quarantine may have given this class a partial page.
            let head = record.pointee.partialHead
            if head != PageDescriptor.noPage { return takeBlock(fromPage: UInt(head), record) }
            #endif
            outOfMemoryCount &+= 1
            return nil
        }
        let d = descriptor(page)
        d.pointee.state = UInt8(truncatingIfNeeded: sizeClass)
        d.pointee.freeList = PageDescriptor.noBlock
        d.pointee.carved = 0
        d.pointee.used = 0
        d.pointee.span = record.pointee.blocksPerPage
        record.pointee.pages &+= 1
        notePagesTaken(1)
        linkPartial(page, record)
        return takeBlock(fromPage: page, record)
    }

    /// A page of `record`'s class lost a block: `usedBefore` was either the
    /// page's capacity (it was full) or 1 (it is now empty), or both.
    ///
    /// An empty page stays on the partial list as the class's one kept empty
    /// page (`emptyPage`), so that an allocate/free pair at a page boundary
    /// costs no page traffic; a second empty page goes back to the pool.
    /// `emptyPage` is a hint, checked where it is read: the fast path that
    /// allocates from the kept page does not clear it. Invariant: every empty
    /// page of a class is that class's `emptyPage`.
    @inline(never)
    mutating func pageLostBlock(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>, usedBefore: UInt16) {
        if usedBefore == record.pointee.blocksPerPage {
            // Was full: it can serve again.
            linkPartial(page, record)
            if usedBefore != 1 { return }
        }
        let kept = UInt(record.pointee.emptyPage)
        if kept != page && isEmptyPage(kept, ofClass: record) {
            unlinkPartial(page, record)
            releaseClassPage(page, record)
        } else {
            record.pointee.emptyPage = UInt16(truncatingIfNeeded: page)
        }
    }

    /// True when `page` is a page of `record`'s class with no block in use.
    func isEmptyPage(_ page: UInt, ofClass record: UnsafeMutablePointer<SizeClassRecord>) -> Bool {
        guard page < pageCount else { return false }
        let d = descriptor(page)
        return d.pointee.used == 0 && d.pointee.state < PageDescriptor.firstSpecialState
            && classRecord(UInt(d.pointee.state)) == record
    }

    /// Gives an empty class page back to the pool.
    mutating func releaseClassPage(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) {
        record.pointee.pages &-= 1
        pagesInUse &-= 1
        releasePages(start: page, count: 1)
    }

    /// Gives every class's kept empty page back to the pool: O(classes).
    /// Returns true when any page came back.
    mutating func reclaimEmptyPages() -> Bool {
        var reclaimed = false
        var sizeClass: UInt = 0
        while sizeClass < classCount {
            let record = classRecord(sizeClass)
            let page = UInt(record.pointee.emptyPage)
            record.pointee.emptyPage = PageDescriptor.noPage
            if isEmptyPage(page, ofClass: record) {
                unlinkPartial(page, record)
                releaseClassPage(page, record)
                reclaimed = true
            }
            sizeClass &+= 1
        }
        return reclaimed
    }

    /// Pushes `page` on the front of the class's partial list.
    mutating func linkPartial(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) {
        let d = descriptor(page)
        let head = record.pointee.partialHead
        d.pointee.prev = PageDescriptor.noPage
        d.pointee.next = head
        if head != PageDescriptor.noPage { descriptor(UInt(head)).pointee.prev = UInt16(truncatingIfNeeded: page) }
        record.pointee.partialHead = UInt16(truncatingIfNeeded: page)
    }

    /// Takes `page` off the class's partial list.
    @inline(never)
    mutating func unlinkPartial(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) {
        let d = descriptor(page)
        let next = d.pointee.next
        let prev = d.pointee.prev
        if prev != PageDescriptor.noPage {
            descriptor(UInt(prev)).pointee.next = next
        } else {
            record.pointee.partialHead = next
        }
        if next != PageDescriptor.noPage { descriptor(UInt(next)).pointee.prev = prev }
        d.pointee.next = PageDescriptor.noPage
        d.pointee.prev = PageDescriptor.noPage
    }

    /// True when the block at arena offset `block` is on `page`'s free list.
    /// O(free blocks of the page); runs only when the block carries the
    /// free mark. The walk is bounded by the page's capacity, so even a free
    /// list corrupted by a stray write cannot make it loop.
    @inline(never)
    func isOnFreeList(block: UInt32, page: UInt) -> Bool {
        let d = descriptor(page)
        let limit = classRecord(UInt(d.pointee.state)).pointee.blocksPerPage
        var link = d.pointee.freeList
        var steps: UInt16 = 0
        while link != PageDescriptor.noBlock && steps <= limit {
            if link == block { return true }
            link = loadWord(arenaBase &+ UInt(link))
            steps &+= 1
        }
        return false
    }

    /// Counts pages leaving the pool, for the peak.
    mutating func notePagesTaken(_ count: UInt) {
        pagesInUse &+= count
        if pagesInUse > peakPagesInUse { peakPagesInUse = pagesInUse }
    }

    /// Passes a misuse to the handler. Nothing else changes.
    @inline(never)
    mutating func reportMisuse(_ kind: MisuseKind, _ address: UInt, _ sizeClass: Int, _ caller: UInt) {
        misuseCount &+= 1
        guard let handler = misuseHandler else { return }
        let blockSize = sizeClass >= 0 ? UInt(classRecord(UInt(sizeClass)).pointee.blockSize) : 0
        MisuseReport(kind: kind, address: address, sizeClass: sizeClass, blockSize: blockSize, caller: caller)
            .send(to: handler)
    }

    /// The page and state of the live block starting at `block`, or `nil`
    /// when `block` is not the start of a block in use.
    func liveBlockPage(_ block: UInt) -> (UInt, UInt8)? {
        let offset = block &- arenaBase
        guard offset < arenaBytes else { return nil }
        let page = offset &>> pageShift
        let d = descriptor(page)
        let state = d.pointee.state
        let inPage = offset & pageMask
        if state == PageDescriptor.largeRun { return inPage == 0 ? (page, state) : nil }
        guard state < PageDescriptor.firstSpecialState else { return nil }
        // The same cheap tests as `deallocate`: a block start below the
        // carved limit, and not free (the free list is walked only when the
        // block carries the free mark).
        let reciprocal = classRecord(UInt(state)).pointee.reciprocal
        guard UInt32(truncatingIfNeeded: inPage) &* reciprocal < reciprocal, inPage < UInt(d.pointee.carved)
        else { return nil }
        if loadWord(block &+ 4) == loadWord(block) ^ Self.freeMark,
           isOnFreeList(block: UInt32(truncatingIfNeeded: offset), page: page) {
            return nil
        }
        #if CAIRN_CHECKED
        if isQuarantined(offset) { return nil }
        #endif
        return (page, state)
    }
}
