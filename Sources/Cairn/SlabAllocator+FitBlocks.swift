// What the slab takes from its fit heap: class pages, and blocks no class
// serves (above the largest class, or aligned beyond a class block). Every
// call into the fit heap goes through here, so that the bytes it has out
// (and their peak) are counted in one place.

extension SlabAllocator {
    /// A fit-heap block for a request no class serves. When the fit heap
    /// cannot serve it, gives back the empty pages classes keep (and, in
    /// checked builds, the quarantine) and tries once more, unless the
    /// request is more than the whole region.
    @inline(__always)
    mutating func allocateLarge(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        if let block = takeFitBlock(byteCount: byteCount, alignment: alignment) { return block }
        if byteCount <= regionBytes, reclaimPages(),
           let block = takeFitBlock(byteCount: byteCount, alignment: alignment) { return block }
        outOfMemoryCount &+= 1
        return nil
    }

    /// A fit-heap block, counted, or `nil` (the fit heap unchanged).
    /// (Inlined: one call less on every large block; the fit heap's own
    /// search stays one out-of-line copy.)
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
    mutating func takeClassPage() -> UInt? {
        let pageSize = pageMask &+ 1
        guard bytesInUse &+ pageSize <= classPageLimit, let block = takeFitBlock(byteCount: pageSize &- FitHeap.headerBytes, alignment: pageSize) else {
            return nil
        }
        pagesInUse &+= 1
        return (address(of: block) &- arenaBase) &>> pageShift
    }

    /// Gives an empty class page back to the fit heap, where it merges with
    /// its free neighbours. A later free of one of its old block addresses
    /// (a double free) is judged by the fit heap's header check, which reads
    /// the word before the address: the last word of each carved block is
    /// zeroed first, so that it reads as no header (size 0), never as the
    /// program's stale data that looks like one (a small integer often
    /// does). One store a block; the first block's word is the page's own
    /// fit-heap header.
    mutating func releaseClassPage(_ page: UInt) {
        let start = pageAddress(page)
        let d = descriptor(page)
        let blockSize = UInt(classRecord(UInt(pageState(page))).pointee.blockSize)
        var end = start &+ blockSize
        let carvedEnd = start &+ UInt(d.pointee.carved)
        while end <= carvedEnd {
            storeWord(0, end &- 4)
            end &+= blockSize
        }
        setPageState(page, PageDescriptor.notClassPage)
        pagesInUse &-= 1
        releaseFitBlock(start)
    }

    /// Returns a live fit-heap block (validated by the caller), or reports
    /// a corruption when its tags no longer say so. Precondition: `block`
    /// was the payload of a live fit-heap block.
    mutating func releaseFitBlock(_ block: UInt) {
        // Its header, and the tags of the neighbours it merges with, lie
        // where an overflow of the block before can reach: checked first
        // (FitHeap+LinkChecks.swift).
        guard case .live(_, let size) = FitHeap.lookUpLiveBlock(block, firstBlock: fit.firstBlock,
                                                                 sentinel: fit.sentinel) else {
            return fit.heapCorrupted(at: block)
        }
        releaseLiveFitBlock(block, size: size)
    }

    /// Returns the live fit-heap block at `block` of `size` bytes, just
    /// validated by ``FitHeap/lookUpLiveBlock(_:firstBlock:sentinel:)``.
    mutating func releaseLiveFitBlock(_ block: UInt, size: UInt) {
        bytesInUse &-= size
        fit.releaseBlock(block &- FitHeap.headerBytes, size: size)
    }

    /// Frees a block outside every class page: a live fit-heap block is
    /// released; anything else is reported by the kind of misuse it is.
    mutating func deallocateLarge(_ block: UInt, caller: UInt) {
        switch FitHeap.lookUpLiveBlock(block, firstBlock: fit.firstBlock, sentinel: fit.sentinel) {
        case .live(_, let size):
            #if CAIRN_CHECKED
            _ = size
            quarantineLargeBlock(block, caller: caller)
            #else
            releaseLiveFitBlock(block, size: size)
            #endif
        case .misuse(let kind, _):
            Self.reportMisuse(&self, kind, block, -1, caller)
        }
    }

    /// True when `block` is the payload of a live fit-heap block (a class
    /// page's block is not: its page's state says so first).
    @inline(__always)
    func isLiveLargeBlock(_ block: UInt) -> Bool {
        if case .live = FitHeap.lookUpLiveBlock(block, firstBlock: fit.firstBlock, sentinel: fit.sentinel) {
            return true
        }
        return false
    }

    /// Resizes a live fit-heap block in place; false when it cannot grow.
    mutating func resizeLarge(_ block: UInt, byteCount: UInt) -> Bool {
        let before = FitHeap.blockBytes(ofPayload: block)
        guard fit.resizeInPlace(rawPointer(block), byteCount: byteCount) else { return false }
        bytesInUse = bytesInUse &- before &+ FitHeap.blockBytes(ofPayload: block)
        if bytesInUse > peakBytesInUse { peakBytesInUse = bytesInUse }
        return true
    }

    /// Bytes a live fit-heap block can hold. Precondition: `block` is one.
    @inline(__always)
    static func usableSize(ofLargeBlock block: UInt) -> UInt {
        FitHeap.blockBytes(ofPayload: block) &- FitHeap.headerBytes
    }
}
