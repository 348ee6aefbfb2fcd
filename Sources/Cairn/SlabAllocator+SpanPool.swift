// The pool of free pages: free spans (runs of contiguous free pages) kept in
// bins by size class of length, bin k holding spans of 2^k ..< 2^(k+1) pages.
// A span is marked on its first and last page, so a span being freed merges
// with its free neighbours in O(1).

extension SlabAllocator {
    /// Takes `count` contiguous pages from the pool; gives back the empty
    /// cache pages that classes keep (and, in checked builds, the
    /// quarantine) and tries again when the pool cannot serve.
    mutating func takePagesReclaiming(_ count: UInt) -> UInt? {
        if let start = takePages(count) { return start }
        guard reclaimPages() else { return nil }
        return takePages(count)
    }

    /// Takes `count` (>= 1) contiguous pages, or `nil`.
    ///
    /// Any span in a bin of index >= ceil(log2(count)) is long enough, so
    /// the smallest such non-empty bin answers in O(1). Only when all of
    /// them are empty is the bin floor(log2(count)) walked for a span that
    /// is long enough (first fit; at most pageCount / count spans).
    mutating func takePages(_ count: UInt) -> UInt? {
        let wide = ceilLog2(count)
        var start = UInt(PageDescriptor.noPage)
        if wide < UInt(SlabLayout.binCount) {
            let candidates = nonEmptyBins & ~((UInt32(1) << UInt32(wide)) &- 1)
            if candidates != 0 {
                start = UInt(binHead(UInt(candidates.trailingZeroBitCount)).pointee)
            }
        }
        if start == UInt(PageDescriptor.noPage) {
            var page = binHead(floorLog2(count)).pointee
            while page != PageDescriptor.noPage {
                if UInt(descriptor(UInt(page)).pointee.span) >= count { break }
                page = descriptor(UInt(page)).pointee.next
            }
            guard page != PageDescriptor.noPage else { return nil }
            start = UInt(page)
        }
        let head = descriptor(start)
        let length = UInt(head.pointee.span)
        let rest = length &- count
        if rest != 0 && floorLog2(rest) == floorLog2(length) {
            // The rest stays in the same bin: it takes the span's place in
            // the bin's list, with no unlink and no insert.
            moveSpanHead(from: start, to: start &+ count, length: rest)
        } else {
            removeSpan(start: start)
            if rest != 0 { insertSpan(start: start &+ count, count: rest) }
        }
        #if CAIRN_CHECKED
        verifyPagesPoison(start: start, count: count)
        #endif
        return start
    }

    /// Returns `count` pages at `start` to the pool, merged with free neighbours.
    mutating func releasePages(start: UInt, count: UInt) {
        // Whatever the pages were (a class page, a run's head), their ends
        // stop saying so now: if a merge leaves them inside a larger span,
        // a stray free into them must find no class there.
        descriptor(start).pointee.state = PageDescriptor.largeRunInterior
        descriptor(start &+ count &- 1).pointee.state = PageDescriptor.largeRunInterior
        #if CAIRN_CHECKED
        poisonPages(start: start, count: count)
        #endif
        var first = start
        var length = count
        if first > 0 {
            let before = descriptor(first &- 1)
            // A free page right before is the last page of its span.
            if before.pointee.state == PageDescriptor.freeSpan {
                let spanStart = first &- UInt(before.pointee.span)
                length &+= UInt(before.pointee.span)
                removeSpan(start: spanStart)
                first = spanStart
            }
        }
        let afterPage = start &+ count
        if afterPage < pageCount {
            let after = descriptor(afterPage)
            // A free page right after is the first page of its span.
            if after.pointee.state == PageDescriptor.freeSpan {
                length &+= UInt(after.pointee.span)
                removeSpan(start: afterPage)
            }
        }
        insertSpan(start: first, count: length)
    }

    /// Marks `count` pages at `start` as one free span and files it in its bin.
    mutating func insertSpan(start: UInt, count: UInt) {
        let head = descriptor(start)
        let tail = descriptor(start &+ count &- 1)
        tail.pointee.state = PageDescriptor.freeSpan
        tail.pointee.span = UInt16(truncatingIfNeeded: count)
        head.pointee.state = PageDescriptor.freeSpan
        head.pointee.span = UInt16(truncatingIfNeeded: count)
        let bin = floorLog2(count)
        let binHead = binHead(bin)
        let first = binHead.pointee
        head.pointee.prev = PageDescriptor.noPage
        head.pointee.next = first
        if first != PageDescriptor.noPage { descriptor(UInt(first)).pointee.prev = UInt16(truncatingIfNeeded: start) }
        binHead.pointee = UInt16(truncatingIfNeeded: start)
        nonEmptyBins |= UInt32(1) << UInt32(bin)
    }

    /// The span at `from`, the first of its bin, loses its first pages: its
    /// remaining `length` pages start at `to` and, in the same bin, stay
    /// first in it. The pages before `to` leave the pool (interior, as all
    /// pages of a span but its ends are; the caller marks what they become).
    /// Precondition: `from` heads its bin, and `length` is in the same bin.
    /// (`takePages` splits in place only a span found at a bin's head: the
    /// rest of a span found by its first-fit walk always falls in a lower
    /// bin.)
    mutating func moveSpanHead(from: UInt, to: UInt, length: UInt) {
        let old = descriptor(from)
        let new = descriptor(to)
        let next = old.pointee.next
        let moved = UInt16(truncatingIfNeeded: to)
        new.pointee.next = next
        new.pointee.prev = PageDescriptor.noPage
        new.pointee.state = PageDescriptor.freeSpan
        new.pointee.span = UInt16(truncatingIfNeeded: length)
        binHead(floorLog2(length)).pointee = moved
        if next != PageDescriptor.noPage { descriptor(UInt(next)).pointee.prev = moved }
        // The tail stays where it is, with the new length.
        descriptor(to &+ length &- 1).pointee.span = UInt16(truncatingIfNeeded: length)
        old.pointee.state = PageDescriptor.largeRunInterior
    }

    /// Takes the span starting at `start` out of its bin (its pages stay
    /// marked free until the caller gives them a new state).
    mutating func removeSpan(start: UInt) {
        let head = descriptor(start)
        let bin = floorLog2(UInt(head.pointee.span))
        let next = head.pointee.next
        let prev = head.pointee.prev
        if prev != PageDescriptor.noPage {
            descriptor(UInt(prev)).pointee.next = next
        } else {
            binHead(bin).pointee = next
            if next == PageDescriptor.noPage { nonEmptyBins &= ~(UInt32(1) << UInt32(bin)) }
        }
        if next != PageDescriptor.noPage { descriptor(UInt(next)).pointee.prev = prev }
        // The pages leave the pool: mark them so a stale neighbour check
        // cannot take them for free.
        head.pointee.state = PageDescriptor.largeRunInterior
        descriptor(start &+ UInt(head.pointee.span) &- 1).pointee.state = PageDescriptor.largeRunInterior
    }
}
