// Large blocks: runs of whole pages, for requests above the largest class
// or aligned beyond what any class block offers.

extension SlabAllocator {
    /// Allocates a run of pages holding `byteCount` bytes at `alignment`.
    @inline(__always)
    mutating func allocateRun(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
                // Round up to whole pages; a size within a page of UInt.max would
        // wrap, so it is refused before the addition.
        guard pageCount != 0, byteCount <= UInt.max &- pageMask else {
            outOfMemoryCount &+= 1
            return nil
        }
        let pages = max(1, (byteCount &+ pageMask) &>> pageShift)
        // Pages are page-aligned. For a larger alignment take enough extra
        // pages that an aligned start exists inside the run, then give the
        // pages before and after it back.
        let extra = alignment > pageMask &+ 1 ? (alignment &>> pageShift) &- 1 : 0
        guard pages <= pageCount, extra < pageCount, pages &+ extra <= pageCount,
              let start = takePagesReclaiming(pages &+ extra)
        else {
            outOfMemoryCount &+= 1
            return nil
        }
        var first = start
        if extra != 0 {
            let alignedAddress = (pageAddress(start) &+ alignment &- 1) & ~(alignment &- 1)
            first = (alignedAddress &- arenaBase) &>> pageShift
        }
        // Mark the run before giving back the ends: releasing them looks at
        // their neighbours, which must then read as taken.
        markRun(start: first, pages: pages)
        if extra != 0 {
            let lead = first &- start
            let trail = extra &- lead
            if lead != 0 { releasePages(start: start, count: lead) }
            if trail != 0 { releasePages(start: first &+ pages, count: trail) }
        }
        largeRunCount &+= 1
        notePagesTaken(pages)
        return rawPointer(pageAddress(first))
    }

    /// Frees the run starting at `offset`, or reports why it cannot.
    @inline(__always)
    mutating func deallocateRun(page: UInt, offset: UInt, caller: UInt) {
        let d = descriptor(page)
        let atPageStart = offset & pageMask == 0
        let address = arenaBase &+ offset
        switch d.pointee.state {
        case PageDescriptor.largeRun where atPageStart:
            #if CAIRN_CHECKED
            guard canaryIsIntact(address, page: page, state: PageDescriptor.largeRun) else {
                return Self.reportMisuse(&self, .bufferOverflow, address, -1, caller)
            }
            requestedBytes &-= UInt(d.pointee.freeList)
            #endif
            let pages = UInt(d.pointee.span)
            largeRunCount &-= 1
            pagesInUse &-= pages
            releasePages(start: page, count: pages)
        case PageDescriptor.freeSpan where atPageStart:
            Self.reportMisuse(&self, .doubleFree, address, -1, caller)
        default:
            Self.reportMisuse(&self, .notBlockStart, address, -1, caller)
        }
    }

    /// Shrinks or grows the run at `page` in place; false when it cannot grow.
    @inline(__always)
    mutating func resizeRun(page: UInt, byteCount: UInt) -> Bool {
                guard byteCount <= UInt.max &- pageMask else { return false }
        let wanted = max(1, (byteCount &+ pageMask) &>> pageShift)
        let d = descriptor(page)
        let have = UInt(d.pointee.span)
        if wanted <= have {
            if wanted < have {
                d.pointee.span = UInt16(truncatingIfNeeded: wanted)
                pagesInUse &-= have &- wanted
                releasePages(start: page &+ wanted, count: have &- wanted)
            }
            return true
        }
        // Grow into the free span that starts right after the run, if any.
        let next = page &+ have
        guard next < pageCount else { return false }
        let following = descriptor(next)
        let spanPages = UInt(following.pointee.span)
        guard following.pointee.state == PageDescriptor.freeSpan, have &+ spanPages >= wanted else { return false }
        removeSpan(start: next)
        let taken = wanted &- have
        if spanPages > taken { insertSpan(start: next &+ taken, count: spanPages &- taken) }
        #if CAIRN_CHECKED
        verifyPagesPoison(start: next, count: taken)
        #endif
        markRun(start: page, pages: wanted)
        notePagesTaken(taken)
        return true
    }

    /// Marks a run: its first page carries the length. O(1): the other
    /// pages came out of free spans, or were already the run's, and are
    /// interior (see ``PageDescriptor``), so a stray free into them is
    /// recognised. (`mutating` though it writes only through pointers: from
    /// a mutating caller on the global heap, a non-mutating call copies the
    /// allocator.)
    mutating func markRun(start: UInt, pages: UInt) {
        let head = descriptor(start)
        head.pointee.state = PageDescriptor.largeRun
        head.pointee.span = UInt16(truncatingIfNeeded: pages)
    }
}
