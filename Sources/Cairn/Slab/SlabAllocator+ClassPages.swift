// Slow paths of the size classes: refilling a class's cache, moving pages
// between the partial list and the fit heap, giving empty cache pages back
// when the fit heap runs dry, and confirming a double free. Each runs at
// most once per page-boundary crossing of the fast paths.

extension SlabAllocator {
    /// The class's cache is empty: carve the cache page's next block, or
    /// make a partial page (or else a fresh page) the cache page. When the
    /// class may not take a page (see ``takeClassPage()``), or the fit heap
    /// has none, the block comes from the fit heap itself (4 bytes of
    /// header, but no page held for one block). When even that fails,
    /// gives back the empty pages classes keep (and, in checked builds,
    /// empties the quarantine) and tries once more.
    @inline(never)
    static func refillAndAllocate(_ heap: inout SlabAllocator, ofClass sizeClass: UInt,
                                  alignment: UInt) -> UnsafeMutableRawPointer? {
        var reclaimed = false
        while true {
            if let block = heap.refill(ofClass: sizeClass) { return block }
            let blockSize = UInt(heap.classRecord(sizeClass).pointee.blockSize)
            if let block = heap.takeFitBlock(byteCount: blockSize, alignment: alignment) { return block }
            guard !reclaimed, heap.reclaimPages() else { break }
            reclaimed = true
            // A flushed quarantine may have refilled this very cache.
            let record = heap.classRecord(sizeClass)
            if record.pointee.cacheHead != PageDescriptor.noBlock, let block = heap.popCache(record) { return block }
        }
        heap.outOfMemoryCount &+= 1
        return nil
    }

    /// One refill of an empty cache without touching other classes; `nil`
    /// when the class has nothing left and may not or cannot take a page.
    /// Inlined into its one caller's loop: a refill is frequent on churn.
    @inline(__always)
    mutating func refill(ofClass sizeClass: UInt) -> UnsafeMutableRawPointer? {
        let record = classRecord(sizeClass)
        let blockSize = UInt(record.pointee.blockSize)
        let cachePage = UInt(record.pointee.cachePage)
        if cachePage != UInt(PageDescriptor.noPage) {
            let d = descriptor(cachePage)
            let carved = UInt(d.pointee.carved)
            if carved &+ blockSize <= pageMask &+ 1 &- PageDescriptor.pageTail,
               carvedLimitIsIntact(d) || !abandonCarving(cachePage, record) {
                setCarvedLimit(d, carved &+ blockSize)
                setUsed(d, d.pointee.used &+ 1)
                return rawPointer(pageAddress(cachePage) &+ carved)
            }
        }
        // The cache page is full (all carved, all in use). The first partial
        // page's free list becomes the cache: all its blocks are now in use
        // or cached, and its list is not empty. (The head is taken off here,
        // not through `unlinkPartial`: it has no previous page, so only its
        // successor's link changes; see DESIGN.md.)
        // One partial page at most: its descriptor is in the page, checked
        // before it is used; a page that fails is abandoned and the class
        // takes a fresh page instead (so a damaged list costs no walk).
        var partial = record.pointee.partialHead
        if partial != PageDescriptor.noPage {
            let behind = descriptor(UInt(partial)).pointee.next
            // A head with no block in use is the class's kept empty page
            // (see ``linkPartial(_:_:)``): the page behind it, the one most
            // recently made partial, serves first, as it would if the empty
            // page were not kept at the head.
            let keptHead = descriptor(UInt(partial)).pointee.used == 0 && behind != PageDescriptor.noPage
            if keptHead && !isPartialPageLink(behind, ofClass: sizeClass) {
                abandonPartialPage(UInt(partial), record, ofClass: sizeClass)
            } else {
                if keptHead { partial = behind }
                if partialPageIsUsable(UInt(partial), record, ofClass: sizeClass) {
                    let d = descriptor(UInt(partial))
                    if keptHead {
                        unlinkPartial(UInt(partial), record)
                    } else {
                        let next = d.pointee.next
                        record.pointee.partialHead = next
                        if next != PageDescriptor.noPage { descriptor(UInt(next)).pointee.prev = PageDescriptor.noPage }
                        d.pointee.next = PageDescriptor.noPage
                    }
                    record.pointee.cacheHead = d.pointee.freeList
                    record.pointee.cachePage = partial
                    d.pointee.freeList = PageDescriptor.noBlock
                    setUsed(d, record.pointee.blocksPerPage)
                    if let block = popCache(record) { return block }
                } else {
                    abandonPartialPage(UInt(partial), record, ofClass: sizeClass)
                }
            }
        }
        guard let page = takeClassPage() else { return nil }
        setPageState(page, UInt8(truncatingIfNeeded: sizeClass))
        descriptor(page).pointee = PageDescriptor(
            freeList: PageDescriptor.noBlock, used: 1, usedCheck: Self.usedCheck(1, key: linkKey),
            carved: 0, carvedCheck: 0, next: PageDescriptor.noPage, prev: PageDescriptor.noPage)
        setCarvedLimit(descriptor(page), blockSize)
        record.pointee.cachePage = UInt16(truncatingIfNeeded: page)
        return rawPointer(pageAddress(page))
    }

    /// A page other than the cache page has no block in use any more
    /// (`free` tests `used` and comes here straight, through its way out;
    /// a full page that gains a free block and is not empty only joins the
    /// partial list, ``pageNoLongerFull(_:_:_:)``). `wasFull`: it was full
    /// before this free, so it is on no list yet.
    ///
    /// An empty page goes back to the fit heap, unless it would be the class's
    /// only partial page: then the class keeps it on its partial list, so
    /// that a class whose live blocks swing across a page boundary round
    /// after round takes its own page back, blocks already free, with one
    /// refill, instead of giving it to the fit heap, taking it again and
    /// carving it block by block. A class therefore keeps at most one empty
    /// page besides its cache page (a second one finds the list not empty).
    /// A class grows only when every page it holds is full.
    @inline(never)
    static func pageEmptied(_ heap: inout SlabAllocator, _ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>,
                            wasFull: Bool) {
        if !wasFull { heap.unlinkPartialInlined(page, record) }
        if record.pointee.partialHead == PageDescriptor.noPage {
            heap.linkPartial(page, record)
        } else if heap.emptiedPageIsIntact(page) {
            heap.releaseClassPage(page)
        } else {
            heap.abandonEmptiedPage(page, record)
        }
    }

    /// Memory is short: gives back to the fit heap every cache page none of whose blocks is
    /// in use and the empty page a class may keep on its partial list
    /// (checked builds first empty the quarantine). O(classes × blocks per
    /// page): a class's kept partial page is found in O(1), its cache page
    /// is known empty by counting its cache; nothing grows with the page
    /// count. True when anything came back. (Never inlined: it runs only
    /// when the fit heap cannot serve.)
    @inline(never)
    mutating func reclaimPages() -> Bool {
        var reclaimed = false
        #if CAIRN_CHECKED
        reclaimed = flushQuarantine()
        #endif
        var sizeClass: UInt = 0
        while sizeClass < classCount {
            let record = classRecord(sizeClass)
            let page = UInt(record.pointee.cachePage)
            if page != UInt(PageDescriptor.noPage), cachePageHoldsNoLiveBlock(page, record) {
                record.pointee.cachePage = PageDescriptor.noPage
                record.pointee.cacheHead = PageDescriptor.noBlock
                releaseClassPage(page)
                reclaimed = true
            }
            if releaseEmptyPartialPage(record) { reclaimed = true }
            sizeClass &+= 1
        }
        return reclaimed
    }

    /// Blocks in the class's cache: O(blocks per page), bounded even when a
    /// stray write made the list cyclic.
    func cachedBlocks(_ record: UnsafeMutablePointer<SizeClassRecord>) -> UInt {
        // An empty cache (most of them, when memory runs short) answers
        // before the walk reads the base and the key.
        guard record.pointee.cacheHead != PageDescriptor.noBlock else { return 0 }
        var count: UInt = 0
        Self.walkFreeList(from: record.pointee.cacheHead, limit: UInt(record.pointee.blocksPerPage),
                          arenaBase: arenaBase, key: linkKey) { _ in
            count &+= 1
            return true
        }
        return count
    }

    /// Gives back the empty page the class keeps on its partial list, if
    /// any (at most one: see ``pageEmptied(_:_:_:wasFull:)``): it
    /// heads the list (see ``linkPartial(_:_:)``), so this is O(1), not a
    /// walk over the class's partial pages.
    mutating func releaseEmptyPartialPage(_ record: UnsafeMutablePointer<SizeClassRecord>) -> Bool {
        let page = UInt(record.pointee.partialHead)
        guard page != UInt(PageDescriptor.noPage), descriptor(page).pointee.used == 0 else { return false }
        unlinkPartial(page, record)
        guard emptiedPageIsIntact(page) else {
            abandonEmptiedPage(page, record)
            return false
        }
        releaseClassPage(page)
        return true
    }

    /// Pushes `page` on the front of the class's partial list, or right
    /// behind its head when the head is the class's kept empty page: that
    /// page stays at the head, where ``releaseEmptyPartialPage(_:)`` finds
    /// it without a walk. (A page is kept only when the list is empty, so
    /// it starts at the head; ``refill(ofClass:)`` serves the page behind
    /// it first, so the order blocks are handed out in is unchanged.)
    /// Inlined: into ``pageEmptied(_:_:_:wasFull:)``, where the list is
    /// empty and this is three stores.
    @inline(__always)
    mutating func linkPartial(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) {
        let d = descriptor(page)
        let head = record.pointee.partialHead
        if head != PageDescriptor.noPage {
            let first = descriptor(UInt(head))
            if first.pointee.used == 0 {
                let next = first.pointee.next
                d.pointee.prev = head
                d.pointee.next = next
                if next != PageDescriptor.noPage { descriptor(UInt(next)).pointee.prev = UInt16(truncatingIfNeeded: page) }
                first.pointee.next = UInt16(truncatingIfNeeded: page)
                return
            }
        }
        d.pointee.prev = PageDescriptor.noPage
        d.pointee.next = head
        if head != PageDescriptor.noPage { descriptor(UInt(head)).pointee.prev = UInt16(truncatingIfNeeded: page) }
        record.pointee.partialHead = UInt16(truncatingIfNeeded: page)
    }

    /// A full page other than the cache page has its first free block
    /// (`free` comes here straight, through its way out): it joins its
    /// class's partial list.
    @inline(never)
    static func pageNoLongerFull(_ heap: inout SlabAllocator, _ page: UInt,
                                 _ record: UnsafeMutablePointer<SizeClassRecord>) {
        heap.linkPartial(page, record)
    }

    /// Takes `page` off the class's partial list if it is on it. The links
    /// are in the page's descriptor, where an overflow of its last block
    /// reaches: each is used only when it names a page of the class
    /// (``isPartialPageLink(_:ofClass:)``), so a damaged one cuts the list
    /// there (the pages after the cut keep their blocks in use, and are
    /// lost to the class only as free space).
    @inline(never)
    mutating func unlinkPartial(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) {
        unlinkPartialInlined(page, record)
    }

    /// ``unlinkPartial(_:_:)`` inlined into its caller: for
    /// ``pageEmptied(_:_:_:wasFull:)``, on the path of a page release, the
    /// worst free of a class block. The refill calls the out-of-line one:
    /// inlined there, it lengthens the page take, the worst allocation.
    /// Each neighbour link is checked once; the page's own links are
    /// cleared first.
    @inline(__always)
    mutating func unlinkPartialInlined(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) {
        let sizeClass = UInt(pageState(page))
        let d = descriptor(page)
        let prev = isPartialPageLink(d.pointee.prev, ofClass: sizeClass) ? d.pointee.prev : PageDescriptor.noPage
        let next = isPartialPageLink(d.pointee.next, ofClass: sizeClass) ? d.pointee.next : PageDescriptor.noPage
        let page16 = UInt16(truncatingIfNeeded: page)
        d.pointee.next = PageDescriptor.noPage
        d.pointee.prev = PageDescriptor.noPage
        if record.pointee.partialHead == page16 {
            record.pointee.partialHead = next
        } else if prev != PageDescriptor.noPage, descriptor(UInt(prev)).pointee.next == page16 {
            descriptor(UInt(prev)).pointee.next = next
        } else {
            return
        }
        if next != PageDescriptor.noPage, descriptor(UInt(next)).pointee.prev == page16 {
            descriptor(UInt(next)).pointee.prev = prev
        }
    }

    /// True when the block at arena offset `block` of `page` is free: on the
    /// page's list, or in the class's cache when `page` is the cache page.
    /// O(blocks per page); runs only when the block carries the free mark.
    /// Each walk is bounded by the page's capacity
    /// (``walkFreeList(from:limit:arenaBase:key:_:)``).
    @inline(never)
    static func freeListsHold(_ block: UInt32, page: UInt, _ d: UnsafeMutablePointer<PageDescriptor>,
                              _ record: UnsafeMutablePointer<SizeClassRecord>, arenaBase: UInt, key: UInt32,
                              pageMask: UInt) -> Bool {
        let limit = UInt(record.pointee.blocksPerPage)
        // The page's list head is in its descriptor: checked before it is read.
        if isPageListLink(d.pointee.freeList, of: block, record, d, pageMask: pageMask),
           list(from: d.pointee.freeList, holds: block, limit: limit, arenaBase: arenaBase, key: key) { return true }
        return UInt(record.pointee.cachePage) == page
            && list(from: record.pointee.cacheHead, holds: block, limit: limit, arenaBase: arenaBase, key: key)
    }

    /// ``freeListsHold(_:page:_:_:arenaBase:key:pageMask:)`` as `free` asks
    /// it, with the words it reads taken from `heap`.
    @inline(never)
    static func isFreeBlock(_ heap: inout SlabAllocator, _ block: UInt32, page: UInt,
                            _ record: UnsafeMutablePointer<SizeClassRecord>) -> Bool {
        freeListsHold(block, page: page, heap.descriptor(page), record, arenaBase: heap.arenaBase, key: heap.linkKey,
                      pageMask: heap.pageMask)
    }

    /// True when the free list starting at `head` reaches `block`.
    @inline(__always)
    static func list(from head: UInt32, holds block: UInt32, limit: UInt, arenaBase: UInt, key: UInt32) -> Bool {
        var found = false
        walkFreeList(from: head, limit: limit, arenaBase: arenaBase, key: key) { link in
            found = link == block
            return !found
        }
        return found
    }

    /// Passes a misuse to the handler. Nothing else changes.
    @inline(never)
    static func reportMisuse(_ heap: inout SlabAllocator, _ kind: MisuseKind, _ address: UInt, _ sizeClass: Int,
                             _ caller: UInt) {
        heap.misuseCount &+= 1
        if kind == .heapCorruption { heap.corruptionCount &+= 1 }
        guard let handler = heap.misuseHandler else { return }
        let blockSize = sizeClass >= 0 ? UInt(heap.classRecord(UInt(sizeClass)).pointee.blockSize) : 0
        MisuseReport(kind: kind, address: address, sizeClass: sizeClass, blockSize: blockSize, caller: caller)
            .send(to: handler)
    }

    /// The page and state of the live block starting at `block`, or `nil`
    /// when `block` is not the start of a block in use. Inlined: `realloc`
    /// resizing in place is this test and one compare.
    @inline(__always)
    func liveBlockPage(_ block: UInt) -> (UInt, UInt8)? {
        let offset = block &- arenaBase
        guard offset < arenaBytes else { return nil }
        let (page, d, state) = lookUpPage(block, ofOffset: offset)
        let inPage = offset & pageMask
        guard state != PageDescriptor.notClassPage else {
            #if CAIRN_CHECKED
            if isQuarantined(offset) { return nil }
            #endif
            return isLiveLargeBlock(block) ? (page, state) : nil
        }
        // The same cheap tests as `deallocate`: a block start below the
        // carved limit, and not free (the free lists are walked only when
        // the block carries the free mark).
        let record = classRecord(UInt(state))
        guard Self.isCarvedBlockStart(inPage, record, d) else { return nil }
        if Self.looksFree(block, key: linkKey),
           Self.freeListsHold(UInt32(truncatingIfNeeded: offset), page: page, d, record, arenaBase: arenaBase,
                              key: linkKey, pageMask: pageMask) {
            return nil
        }
        #if CAIRN_CHECKED
        if isQuarantined(offset) { return nil }
        #endif
        return (page, state)
    }
}
