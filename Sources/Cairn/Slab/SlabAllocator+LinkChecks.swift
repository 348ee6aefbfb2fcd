// The checks of the words the slab keeps in memory a program can write by
// mistake: the links of free class blocks, and each class page's
// descriptor (which lies in the page, after its last block). A linear
// overflow of a live block or a write after free reaches them; nothing
// reads one of them as an address before it passes the check here.
//
// Invariants (each check below is the test of one):
// - A free class block holds in its first word the arena offset of the
//   next block of its list (or ``PageDescriptor/noBlock``), and in its
//   second word that link XOR ``SlabAllocator/linkKey``. The key is a
//   per-configuration secret: an overwrite that does not know it leaves
//   the two words disagreeing (with probability 1 - 2^-30), and `malloc`
//   checks them before it follows the link (three instructions: the two
//   words come in one `ldrd`, then an `eor`, a compare and a branch).
// - A page's carved limit (the descriptor's `carved`) is stored beside
//   its XOR with the key's low half (`carvedCheck`); carving checks the
//   pair first (``carvedLimitIsIntact(_:)``), so a forged lower limit,
//   which would carve blocks in use again, fails unless the forger knows
//   the key.
// - Every link a page's descriptor holds (its free list) is `noBlock` or
//   the start of a carved block of the same page; every page number it
//   holds (its partial-list neighbours) is `noPage` or a page of the same
//   class. These are checked where the descriptor is read, before the
//   value is used (the descriptor carries no key: `free` updates it).
//
// What runs only when a check fails is `@inline(never)`: inlined, it
// would grow the stack frames of the paths that call it (the on-target
// suite's stack on micro:bit). Every function here has one of the shapes
// of SlabAllocator's "Ways out of the fast paths".
//
// When a check fails the list is abandoned, never followed: the class's
// cache (or the page's free list) is emptied, its blocks are counted as
// lost (``SlabAllocator/lostBlocks``, where their number is known), and the
// corruption is reported as ``MisuseKind/heapCorruption``. The release
// build carries on with the blocks it can still trust; the checked build's
// handler reports and stops.

extension SlabAllocator {
    /// The key for free-list links: bit 31 set, bit 30 clear, the other
    /// 30 bits from `secret` mixed with the region's address (so that two
    /// heaps of one firmware differ). Bit 31 makes a block's own offset
    /// (below 2^31) never agree with a link offset, and bit 30 clear keeps
    /// `noBlock ^ key` at or above 2^30, above any block offset of a region
    /// smaller than 1 GiB: a block handed out, whose second word is its own
    /// offset, never looks free (see ``popCache(_:)``).
    static func linkKey(secret: UInt32, regionBase: UInt) -> UInt32 {
        // A 32-bit finaliser (MurmurHash3's fmix32): every input bit moves
        // about half the output bits.
        var mixed = secret ^ UInt32(truncatingIfNeeded: regionBase) ^ 0x9E37_79B9
        mixed ^= mixed &>> 16
        mixed = mixed &* 0x85EB_CA6B
        mixed ^= mixed &>> 13
        mixed = mixed &* 0xC2B2_AE35
        mixed ^= mixed &>> 16
        return (mixed & 0x3FFF_FFFF) | 0x8000_0000
    }

    /// The two words of the block at `block` (4-byte aligned). On 32-bit
    /// Arm one 64-bit load, which the compiler emits as a single `ldrd`
    /// (Armv7-M allows it at any word-aligned address); elsewhere two
    /// loads.
    @inline(__always)
    static func loadLinkWords(_ block: UInt) -> (UInt32, UInt32) {
        #if arch(arm)
        let pair = rawPointer(block).loadUnaligned(as: UInt64.self)
        return (UInt32(truncatingIfNeeded: pair), UInt32(truncatingIfNeeded: pair &>> 32))
        #else
        return (loadWord(block), loadWord(block &+ 4))
        #endif
    }

    /// True when a free block's two words agree under `key`.
    @inline(__always)
    static func linkWordsAgree(_ link: UInt32, _ check: UInt32, key: UInt32) -> Bool {
        link ^ check == key
    }

    /// The one walk of a free list (a page's own list or a class's cache):
    /// passes the arena offset of each block, from `head` on, to `visit`,
    /// and stops when `visit` returns false, when the list ends, after
    /// `limit` + 1 blocks (a list longer than its page's capacity is
    /// cyclic), or at a block whose two words disagree (its link is not
    /// followed). Returns false only in that last case. O(`limit`).
    @inline(__always) @discardableResult
    static func walkFreeList(from head: UInt32, limit: UInt, arenaBase: UInt, key: UInt32,
                             _ visit: (UInt32) -> Bool) -> Bool {
        var link = head
        var passed: UInt = 0
        while link != PageDescriptor.noBlock && passed <= limit {
            guard visit(link) else { return true }
            let block = arenaBase &+ UInt(link)
            link = loadWord(block)
            guard linkWordsAgree(link, loadWord(block &+ 4), key: key) else { return false }
            passed &+= 1
        }
        return true
    }

    /// True when `link`, read from the descriptor `d` of the page that holds
    /// the block at arena offset `block`, may head that page's free list:
    /// `noBlock`, or the start of a carved block of the same page.
    @inline(__always)
    static func isPageListLink(_ link: UInt32, of block: UInt32, _ record: UnsafeMutablePointer<SizeClassRecord>,
                               _ d: UnsafeMutablePointer<PageDescriptor>, pageMask: UInt) -> Bool {
        let inPage = UInt(link &- (block & ~UInt32(truncatingIfNeeded: pageMask)))
        return link == PageDescriptor.noBlock || (inPage <= pageMask && isCarvedBlockStart(inPage, record, d))
    }

    /// True when `page`, read from a descriptor of class `sizeClass`'s
    /// partial list, is `noPage` or a page of that class.
    @inline(__always)
    mutating func isPartialPageLink(_ page: UInt16, ofClass sizeClass: UInt) -> Bool {
        page == PageDescriptor.noPage || (UInt(page) < pageCount && UInt(pageState(UInt(page))) == sizeClass)
    }

    /// True when the partial page `page` may become the class's cache page:
    /// its free list's head is a carved block of the page (not `noBlock`:
    /// a page on the partial list has a free block) and its next link is
    /// `noPage` or a page of the class. (Its blocks' links are checked as
    /// they are popped; `used` before the page goes back to the fit heap.)
    @inline(__always)
    mutating func partialPageIsUsable(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>,
                             ofClass sizeClass: UInt) -> Bool {
        let d = descriptor(page)
        let head = d.pointee.freeList
        return head != PageDescriptor.noBlock
            && Self.isPageListLink(head, of: UInt32(truncatingIfNeeded: page &<< pageShift), record, d,
                                   pageMask: pageMask)
            && isPartialPageLink(d.pointee.next, ofClass: sizeClass)
    }

    /// The class of `record`. Precondition: `record` is one of this heap's.
    mutating func sizeClass(of record: UnsafeMutablePointer<SizeClassRecord>) -> UInt {
        (UInt(bitPattern: record) &- classes) / UInt(MemoryLayout<SizeClassRecord>.stride)
    }

    /// Counts and reports a corruption at `address` in class `sizeClass`
    /// (-1: the fit heap's) that loses `lost` free blocks.
    @inline(never)
    mutating func heapCorrupted(at address: UInt, sizeClass: Int, lost: UInt) {
        lostBlocks &+= lost
        Self.reportMisuse(&self, .heapCorruption, address, sizeClass, 0)
    }

    // MARK: - What a failed check does

    /// The cache block at `block` failed its check: abandons the class's
    /// cache (that block and the rest of the list, whose length the broken
    /// link hides: one block is counted lost) and reports it. The caller
    /// then refills the cache from the class's other pages or a new one.
    @inline(never)
    static func cacheLinkBroken(_ heap: inout SlabAllocator, _ record: UnsafeMutablePointer<SizeClassRecord>,
                                _ block: UInt) {
        record.pointee.cacheHead = PageDescriptor.noBlock
        heap.heapCorrupted(at: block, sizeClass: Int(heap.sizeClass(of: record)), lost: 1)
    }

    /// `malloc`'s fast path found the cache block at `block` damaged:
    /// abandons the cache and serves the request as an empty cache would.
    @inline(never)
    static func refillAfterBrokenCache(_ heap: inout SlabAllocator, _ block: UInt, ofClass sizeClass: UInt,
                                       alignment: UInt) -> UnsafeMutableRawPointer? {
        cacheLinkBroken(&heap, heap.classRecord(sizeClass), block)
        return refillAndAllocate(&heap, ofClass: sizeClass, alignment: alignment)
    }

    /// `free` of the block at `block` found its page's free list head
    /// damaged: abandons the page's free list (its blocks, and the block
    /// being freed, are lost), takes the page off the class's partial list
    /// (it counts as full from now on: its blocks in use come back one by
    /// one) and reports it.
    @inline(never)
    static func pageListBroken(_ heap: inout SlabAllocator, _ page: UInt, _ d: UnsafeMutablePointer<PageDescriptor>,
                               _ record: UnsafeMutablePointer<SizeClassRecord>, _ block: UInt) {
        let sizeClass = heap.sizeClass(of: record)
        heap.unlinkPartial(page, record)
        let capacity = record.pointee.blocksPerPage
        let used = d.pointee.used
        let onList = used < capacity ? UInt(capacity &- used) : 0
        d.pointee.freeList = PageDescriptor.noBlock
        heap.setUsed(d, capacity)
        heap.heapCorrupted(at: block, sizeClass: Int(sizeClass), lost: onList &+ 1)
    }

    /// A refill found the partial page `page` (the list's head) with a
    /// descriptor that fails ``partialPageIsUsable(_:_:ofClass:)``, or
    /// with no free block: takes it off the list (cutting the list there
    /// when its next link is damaged too), counts its free blocks as lost,
    /// marks it full (its blocks in use come back one by one) and reports it.
    @inline(never)
    mutating func abandonPartialPage(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>,
                                     ofClass sizeClass: UInt) {
        let d = descriptor(page)
        unlinkPartial(page, record)
        let capacity = record.pointee.blocksPerPage
        let used = d.pointee.used
        d.pointee.freeList = PageDescriptor.noBlock
        setUsed(d, capacity)
        if UInt(d.pointee.carved) > pageMask &+ 1 &- PageDescriptor.pageTail {
            // Carving stops at the page's end; a limit past it would not.
            setCarvedLimit(d, UInt(capacity) &* UInt(record.pointee.blockSize))
        }
        heapCorrupted(at: pageAddress(page) &+ pageMask &+ 1 &- PageDescriptor.pageTail, sizeClass: Int(sizeClass),
                      lost: used < capacity ? UInt(capacity &- used) : 0)
    }

    /// Sets the carved limit of the page whose descriptor is `d`, with its check.
    @inline(__always)
    func setCarvedLimit(_ d: UnsafeMutablePointer<PageDescriptor>, _ carved: UInt) {
        let limit = UInt16(truncatingIfNeeded: carved)
        d.pointee.carved = limit
        d.pointee.carvedCheck = limit ^ UInt16(truncatingIfNeeded: linkKey)
    }

    /// True when the carved limit of `d` agrees with its check.
    @inline(__always)
    func carvedLimitIsIntact(_ d: UnsafeMutablePointer<PageDescriptor>) -> Bool {
        d.pointee.carved ^ d.pointee.carvedCheck == UInt16(truncatingIfNeeded: linkKey)
    }

    /// True when `offset` is a multiple of the class's block size (see
    /// ``SizeClassRecord/reciprocal``): where the next block is carved.
    @inline(__always)
    static func isBlockMultiple(_ offset: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) -> Bool {
        UInt32(truncatingIfNeeded: offset) &* record.pointee.reciprocal < record.pointee.reciprocal
    }

    /// The cache page's carved limit fails its check: no more blocks are
    /// carved from it (the rest of the page, and blocks carved and freed
    /// since, if the limit was forged higher, are lost; blocks in use are
    /// never carved again) and the corruption is reported. Returns true.
    @inline(never)
    mutating func abandonCarving(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) -> Bool {
        let d = descriptor(page)
        let blockSize = UInt(record.pointee.blockSize)
        let limit = UInt(record.pointee.blocksPerPage) &* blockSize
        setCarvedLimit(d, limit)
        heapCorrupted(at: pageAddress(page) &+ pageMask &+ 1 &- PageDescriptor.pageTail,
                      sizeClass: Int(sizeClass(of: record)), lost: 0)
        return true
    }

    /// Changes `used` and its check (see ``PageDescriptor/usedCheck``). The
    /// check moves by the change (old XOR new), never recomputed from the
    /// value read: a forged `used` stays out of step with its check through
    /// every later change, until the page empties and the check is read.
    @inline(__always)
    mutating func setUsed(_ d: UnsafeMutablePointer<PageDescriptor>, _ used: UInt16) {
        d.pointee.usedCheck ^= d.pointee.used ^ used
        d.pointee.used = used
    }

    /// The check word of a fresh page whose `used` is `used`.
    @inline(__always)
    static func usedCheck(_ used: UInt16, key: UInt32) -> UInt16 {
        used ^ UInt16(truncatingIfNeeded: key)
    }

    /// True when the descriptor's `used` is one the allocator wrote: it
    /// agrees with its check word under the key.
    @inline(__always)
    mutating func usedIsIntact(_ d: UnsafeMutablePointer<PageDescriptor>) -> Bool {
        d.pointee.usedCheck == Self.usedCheck(d.pointee.used, key: linkKey)
    }

    /// What must hold before a page whose `used` reads 0 goes back to the
    /// fit heap: `used` agrees with its check (a forged 0 would send blocks
    /// still in use with the page). Nothing else in the descriptor matters
    /// once the page leaves: its list links were checked as it came off
    /// the partial list. O(1).
    @inline(__always)
    mutating func emptiedPageIsIntact(_ page: UInt) -> Bool {
        usedIsIntact(descriptor(page))
    }

    /// True when no block of the cache page `page` is in use: its `used`
    /// (checked against its key) equals the blocks in the class's cache
    /// (links checked), and so does its carved limit (checked against its
    /// key) in blocks; `used` is in
    /// the page, and a forged one alone must not send blocks in use back
    /// to the fit heap. A `used` that agrees while the rest does not is
    /// reported. O(blocks per page), when memory runs short.
    @inline(never)
    mutating func cachePageHoldsNoLiveBlock(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) -> Bool {
        let d = descriptor(page)
        let cached = cachedBlocks(record)
        guard UInt(d.pointee.used) == cached else { return false }
        guard usedIsIntact(d), carvedLimitIsIntact(d), cached &* UInt(record.pointee.blockSize) == UInt(d.pointee.carved) else {
            abandonCachePage(page, record, lost: cached)
            return false
        }
        return true
    }

    /// The class's cache page failed its check: the class lets go of it
    /// (its cached blocks are lost) and it is abandoned as an emptied page
    /// is, so that it is reported once, not at every reclaim.
    @inline(never)
    mutating func abandonCachePage(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>, lost: UInt) {
        record.pointee.cachePage = PageDescriptor.noPage
        record.pointee.cacheHead = PageDescriptor.noBlock
        lostBlocks &+= lost
        abandonEmptiedPage(page, record)
    }

    /// A page whose `used` reads 0 (off the partial list) failed
    /// ``emptiedPageIsIntact(_:)``: it stays out of the fit
    /// heap, marked full (its free blocks lost), and
    /// the corruption is reported.
    @inline(never)
    mutating func abandonEmptiedPage(_ page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>) {
        let sizeClass = self.sizeClass(of: record)
        let d = descriptor(page)
        d.pointee.freeList = PageDescriptor.noBlock
        setUsed(d, record.pointee.blocksPerPage)
        if !Self.isBlockMultiple(UInt(d.pointee.carved), record)
            || UInt(d.pointee.carved) > pageMask &+ 1 &- PageDescriptor.pageTail {
            setCarvedLimit(d, UInt(record.pointee.blocksPerPage) &* UInt(record.pointee.blockSize))
        }
        heapCorrupted(at: pageAddress(page) &+ pageMask &+ 1 &- PageDescriptor.pageTail, sizeClass: Int(sizeClass),
                      lost: 0)
    }
}
