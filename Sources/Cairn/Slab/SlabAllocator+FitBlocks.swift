// What the slab takes from its fit heap: class pages, and blocks no class
// serves (above the largest class, or aligned beyond a class block). Every
// call into the fit heap goes through here, so that the bytes it has out
// (and their peak) are counted in one place.

extension SlabAllocator {
    /// A fit-heap block for a request no class serves: see
    /// ``takeFitBlockReclaiming(byteCount:alignment:)``.
    @inline(never)
    static func allocateLarge(_ heap: inout SlabAllocator, byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        heap.takeFitBlockReclaiming(byteCount: byteCount, alignment: alignment)
    }

    /// A fit-heap block. When the fit heap cannot serve it, gives back the
    /// empty pages classes keep (and, in checked builds, the quarantine)
    /// and tries once more, unless the request is more than the whole
    /// region; `nil` counts as out of memory. (A mutating method inlined
    /// into ``allocateLarge(_:byteCount:alignment:)``, not that function's
    /// own body: written there, the common path, a block that sets no new
    /// peak, compiles to one instruction more; see DESIGN.md.)
    @inline(__always)
    mutating func takeFitBlockReclaiming(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        if let block = takeFitBlock(byteCount: byteCount, alignment: alignment) { return block }
        if byteCount <= regionBytes, reclaimPages(),
           let block = takeFitBlock(byteCount: byteCount, alignment: alignment) { return block }
        outOfMemoryCount &+= 1
        return nil
    }

    /// A fit-heap block, counted, or `nil` (the fit heap unchanged).
    /// Inlined: one call less on every large block; the fit heap's own
    /// search stays one out-of-line copy.
    @inline(__always)
    mutating func takeFitBlock(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        guard let block = fit.allocate(byteCount: byteCount, alignment: alignment) else { return nil }
        bytesInUse &+= FitHeap.blockBytes(ofPayload: address(of: block))
        if bytesInUse > peakBytesInUse { peakBytesInUse = bytesInUse }
        return block
    }

    /// A page for a class: a fit-heap block covering the page but its last
    /// 4 bytes (the next block's header), aligned to the page size; its
    /// number, or `nil`. Its state is set by the caller.
    ///
    /// Refused while the fit heap is fuller than ``classPageLimit``: a page
    /// a class holds serves only that class, and on a nearly full heap the
    /// blocks it would hold cost less as fit-heap blocks (4 bytes of header
    /// each) than as a page that other sizes cannot use.
    ///
    /// Straight to the fit heap's aligned search (the page size is a power
    /// of two above 8, so the general entry's tests are known answers), and
    /// counted as exactly one page: the fit heap cuts a block to its
    /// request, so its header need not be read back.
    mutating func takeClassPage() -> UInt? {
        let pageSize = pageMask &+ 1
        guard bytesInUse &+ pageSize <= classPageLimit,
              let block = FitHeap.allocateAligned(&fit, byteCount: pageSize &- FitHeap.headerBytes, alignment: pageSize)
        else { return nil }
        bytesInUse &+= pageSize
        if bytesInUse > peakBytesInUse { peakBytesInUse = bytesInUse }
        pagesInUse &+= 1
        return (address(of: block) &- arenaBase) &>> pageShift
    }

    /// Gives an empty class page back to the fit heap, where it merges with
    /// its free neighbours. A later free of one of its old block addresses
    /// (a double free) is judged by the fit heap's header check, which reads
    /// the word before the address: the last word of each carved block must
    /// then read as no header, never as the program's stale data that looks
    /// like one (a small integer often does). Every carved block of an
    /// empty page has been freed, and a free writes that word
    /// (``releaseBlock(offset:page:_:_:)``; a checked build poisons it), so
    /// this is O(1): no walk over the page's blocks. The first block's word
    /// is the page's own fit-heap header.
    ///
    /// The page's fit-heap header, and the tags of the neighbours it merges
    /// with, lie where an overflow of the block before can reach: checked
    /// first (``FitHeap/lookUpLiveBlock(_:firstBlock:sentinel:key:)``), and the
    /// size must be one page. A page that fails stays out of both the class
    /// and the fit heap (its memory is lost) and the corruption is reported.
    @inline(__always)
    mutating func releaseClassPage(_ page: UInt) {
        setPageState(page, PageDescriptor.notClassPage)
        pagesInUse &-= 1
        let block = pageAddress(page)
        guard case .live(let header, let size) = FitHeap.lookUpLiveBlockInlined(
                  block, firstBlock: fit.firstBlock, sentinel: fit.sentinel, key: fit.headerKey),
              size == pageMask &+ 1
        else { return fit.heapCorrupted(at: block) }
        Self.releaseValidatedFitBlock(&self, header: header, size: size)
    }

    /// Returns a live fit-heap block (validated by the caller), or reports
    /// a corruption when its tags no longer say so. Precondition: `block`
    /// was the payload of a live fit-heap block.
    @inline(never)
    static func releaseFitBlock(_ heap: inout SlabAllocator, _ block: UInt) {
        // Its header, and the tags of the neighbours it merges with, lie
        // where an overflow of the block before can reach: checked first
        // (FitHeap+LinkChecks.swift).
        guard case .live(let header, let size) = FitHeap.lookUpLiveBlock(block, firstBlock: heap.fit.firstBlock,
                                                                          sentinel: heap.fit.sentinel,
                                                                          key: heap.fit.headerKey) else {
            return heap.fit.heapCorrupted(at: block)
        }
        releaseValidatedFitBlock(&heap, header: header, size: size)
    }

    /// Returns the live fit-heap block whose header is at `header`, of
    /// `size` bytes (both known to the caller, just validated). The slab's
    /// one copy of the fit heap's merge (see DESIGN.md).
    @inline(never)
    static func releaseValidatedFitBlock(_ heap: inout SlabAllocator, header: UInt, size: UInt) {
        heap.bytesInUse &-= size
        heap.fit.releaseBlock(header, size: size)
    }

    /// Frees a block outside every class page: a live fit-heap block is
    /// released; anything else is reported by the kind of misuse it is.
    @inline(never)
    static func deallocateLarge(_ heap: inout SlabAllocator, _ block: UInt, caller: UInt) {
        switch FitHeap.lookUpLiveBlockInlined(block, firstBlock: heap.fit.firstBlock, sentinel: heap.fit.sentinel,
                                              key: heap.fit.headerKey) {
        #if CAIRN_CHECKED
        case .live:
            heap.quarantineLargeBlock(block, caller: caller)
        #else
        case .live(let header, let size):
            // The look-up has read the size: no second read of the header.
            releaseValidatedFitBlock(&heap, header: header, size: size)
        #endif
        case .misuse(let kind, _):
            reportMisuse(&heap, kind, block, -1, caller)
        }
    }

    /// True when `block` is the payload of a live fit-heap block (a class
    /// page's block is not: its page's state says so first).
    @inline(__always)
    func isLiveLargeBlock(_ block: UInt) -> Bool {
        if case .live = FitHeap.lookUpLiveBlock(block, firstBlock: fit.firstBlock, sentinel: fit.sentinel,
                                                key: fit.headerKey) {
            return true
        }
        return false
    }

    /// Resizes a live fit-heap block in place; false when it cannot grow.
    @inline(never)
    static func resizeLarge(_ heap: inout SlabAllocator, _ block: UInt, byteCount: UInt) -> Bool {
        let before = FitHeap.blockBytes(ofPayload: block)
        guard heap.fit.resizeInPlace(rawPointer(block), byteCount: byteCount) else { return false }
        heap.bytesInUse = heap.bytesInUse &- before &+ FitHeap.blockBytes(ofPayload: block)
        if heap.bytesInUse > heap.peakBytesInUse { heap.peakBytesInUse = heap.bytesInUse }
        return true
    }

    /// Bytes a live fit-heap block can hold. Precondition: `block` is one.
    @inline(__always)
    static func usableSize(ofLargeBlock block: UInt) -> UInt {
        FitHeap.blockBytes(ofPayload: block) &- FitHeap.headerBytes
    }
}
