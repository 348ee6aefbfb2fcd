import XCTest
@testable import Cairn

/// Forged words in free memory (SlabAllocator+LinkChecks.swift): each kind
/// of link the slab keeps where a program can write is forged, and the heap
/// must report `heapCorruption`, never follow the forged value, and never
/// hand out a block outside its arena or over a live block. The same in the
/// release and the checked build (the checked build's firmware handler then
/// stops; here the recorder lets the test look on).
final class HeapCorruptionTests: MisuseRecordingTestCase {
    let blockBytes: UInt = 24

    /// Eight blocks of one class, every other one freed (and, in checked
    /// builds, out of quarantine: on the cache, as in a release build).
    func halfFreedRun(_ heap: SlabFixture) -> (kept: [UnsafeMutableRawPointer], freed: [UnsafeMutableRawPointer]) {
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<8 { blocks.append(heap.slab.allocate(byteCount: blockBytes, alignment: 8)!) }
        var kept: [UnsafeMutableRawPointer] = []
        var freed: [UnsafeMutableRawPointer] = []
        for (index, block) in blocks.enumerated() {
            if index % 2 == 1 {
                heap.slab.deallocate(block)
                freed.append(block)
            } else {
                kept.append(block)
            }
        }
        heap.releaseQuarantine()
        return (kept, freed)
    }


    /// Overflows each kept block into the first two words of the freed
    /// block after it with `word(victim)`, then allocates sixteen.
    func overflowFreedBlocks(with word: (UnsafeMutableRawPointer) -> UInt32,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let heap = try SlabFixture()
        let (kept, freed) = halfFreedRun(heap)
        for victim in freed {
            victim.storeBytes(of: word(victim), as: UInt32.self)
            victim.storeBytes(of: word(victim), toByteOffset: 4, as: UInt32.self)
        }
        assertAllocationsStayInside(heap, count: 16, blockBytes: blockBytes, live: kept, file: file, line: line)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)", file: file, line: line)
        XCTAssertGreaterThan(heap.slab.statistics.corruptionCount, 0, file: file, line: line)
        XCTAssertGreaterThan(heap.slab.statistics.lostBlocks, 0, file: file, line: line)
    }

    func testCacheLinkForgedToAnAbsoluteAddressIsReportedNotFollowed() throws {
        var global: UInt32 = 0
        let target = withUnsafeMutablePointer(to: &global) { UInt32(truncatingIfNeeded: UInt(bitPattern: $0)) }
        try overflowFreedBlocks(with: { _ in target })
    }

    func testCacheLinkForgedToARelativeOffsetIsReportedNotFollowed() throws {
        try overflowFreedBlocks(with: { victim in UInt32(truncatingIfNeeded: 0x1000 &- victim.address) })
    }

    func testCacheLinkForgedToAllOnesLessSixteenIsReportedNotFollowed() throws {
        try overflowFreedBlocks(with: { _ in 0xFFFF_FFF0 })
    }

    func testCacheLinkForgedToAStackAddressIsReportedNotFollowed() throws {
        var local: UInt32 = 0
        let stack = withUnsafeMutablePointer(to: &local) { UInt32(truncatingIfNeeded: UInt(bitPattern: $0)) }
        try overflowFreedBlocks(with: { _ in stack })
    }

    /// The link points at a live block of the same page, at a block
    /// boundary, and the second word is what the old fixed mark would have
    /// made of it: only the key tells it from a real link.
    func testCacheLinkForgedToALiveBlockWithAPlausibleCheckWordIsReported() throws {
        let heap = try SlabFixture()
        let (kept, freed) = halfFreedRun(heap)
        let liveOffset = UInt32(truncatingIfNeeded: kept[0].address - heap.slab.arenaBase)
        freed.last!.storeBytes(of: liveOffset, as: UInt32.self)
        freed.last!.storeBytes(of: liveOffset ^ 0xCACA_CACA, toByteOffset: 4, as: UInt32.self)
        assertAllocationsStayInside(heap, count: 16, blockBytes: blockBytes, live: kept)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption))
    }

    /// Pages 0 and 1 of the class; page 0 (not the cache page) has one
    /// block on its own free list.
    func pageWithOwnFreeList(_ heap: SlabFixture) -> (live: [UnsafeMutableRawPointer], page: UInt) {
        var live = [heap.slab.allocate(byteCount: blockBytes, alignment: 8)!]
        let perPage = Int(heap.slab.classRecord(UInt(heap.slab.pageState(heap.page(of: live[0])))).pointee.blocksPerPage)
        for _ in 0..<(perPage + 1) { live.append(heap.slab.allocate(byteCount: blockBytes, alignment: 8)!) }
        let page = heap.page(of: live[0])
        XCTAssertNotEqual(page, heap.page(of: live.last!))
        heap.slab.deallocate(live.remove(at: 1))
        heap.releaseQuarantine()
        return (live, page)
    }

    func testPageFreeListHeadForgedInItsDescriptorIsReportedOnTheNextFree() throws {
        let heap = try SlabFixture()
        var (live, page) = pageWithOwnFreeList(heap)
        // An overflow out of the page's last block reaches its descriptor.
        heap.slab.descriptor(page).pointee.freeList = 0xFFFF_FFF0
        heap.slab.deallocate(live.remove(at: 2))
        heap.releaseQuarantine()
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
        assertAllocationsStayInside(heap, count: 64, blockBytes: blockBytes, live: live)
    }

    func testPartialListLinkForgedInADescriptorIsReportedOnRefill() throws {
        let heap = try SlabFixture()
        let (live, page) = pageWithOwnFreeList(heap)
        heap.slab.descriptor(page).pointee.next = 0x7777
        // The cache page fills up; the refill then reaches page 0.
        assertAllocationsStayInside(heap, count: 64, blockBytes: blockBytes, live: live)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
    }

    /// `used` forged to 1: the next free would make the page look empty and
    /// send it, with its blocks in use, back to the fit heap (a class gives
    /// an emptied page back when another page is on its partial list).
    func testForgedUseCountNeverSendsAPageWithLiveBlocksBack() throws {
        let heap = try SlabFixture()
        // The class of the blocks (a checked build's 24 bytes ask for 28).
        var live = [heap.slab.allocate(byteCount: blockBytes, alignment: 8)!]
        let sizeClass = UInt(heap.slab.pageState(heap.page(of: live[0])))
        let perPage = Int(heap.slab.classRecord(sizeClass).pointee.blocksPerPage)
        for _ in 0..<(2 * perPage + 1) { live.append(heap.slab.allocate(byteCount: blockBytes, alignment: 8)!) }
        let first = heap.page(of: live[0])
        let second = heap.page(of: live[perPage])
        XCTAssertNotEqual(first, second)
        // Both full pages get a free block: both on the partial list.
        heap.slab.deallocate(live.remove(at: perPage + 1))
        heap.slab.deallocate(live.remove(at: 1))
        heap.releaseQuarantine()
        heap.slab.descriptor(first).pointee.used = 1
        heap.slab.deallocate(live.remove(at: 2))
        heap.releaseQuarantine()
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
        // Large blocks now fill the fit heap: none may land on the first page.
        let pageStart = heap.slab.pageAddress(first)
        while let block = heap.slab.allocate(byteCount: 2000, alignment: 8) {
            XCTAssertFalse(block.address + 2000 > pageStart && block.address < pageStart + heap.slab.pageSize,
                           "a large block took the page whose blocks are in use")
        }
        XCTAssertEqual(heap.slab.pageState(first), UInt8(sizeClass))
    }

    /// The cache page's `used` forged down to the blocks in its cache: when
    /// memory runs short the class must not give the page, whose other
    /// blocks are in use, back to the fit heap.
    func testForgedUseCountOfTheCachePageNeverSendsItBackWhenMemoryRunsShort() throws {
        let heap = try SlabFixture(bytes: 16 * 1024)
        let live = (0..<4).map { _ in heap.slab.allocate(byteCount: blockBytes, alignment: 8)! }
        let page = heap.page(of: live[0])
        let state = heap.slab.pageState(page)
        heap.slab.deallocate(live[3])
        heap.releaseQuarantine()
        heap.slab.descriptor(page).pointee.used = 1
        // Large blocks until none fits: the class's kept pages are reclaimed.
        let pageStart = heap.slab.pageAddress(page)
        while let block = heap.slab.allocate(byteCount: 700, alignment: 8) {
            XCTAssertFalse(block.address + 700 > pageStart && block.address < pageStart + heap.slab.pageSize,
                           "a large block took the cache page whose blocks are in use")
        }
        XCTAssertEqual(heap.slab.pageState(page), state)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
        // Each later failure reclaims again: the damaged page, let go of,
        // is not reported again.
        XCTAssertNil(heap.slab.allocate(byteCount: 700, alignment: 8))
        XCTAssertNil(heap.slab.allocate(byteCount: 700, alignment: 8))
        XCTAssertEqual(MisuseRecorder.kinds.filter { $0 == .heapCorruption }.count, 1, "\(MisuseRecorder.kinds)")
        // The blocks still in use in it are freed as any others.
        for block in live[0..<3] { heap.slab.deallocate(block) }
        XCTAssertEqual(MisuseRecorder.kinds.count, 1, "\(MisuseRecorder.kinds)")
    }

    // MARK: - Fit-heap blocks (a heap whose classes end at 12 bytes)

    /// Four 24-byte fit-heap blocks, the second freed (out of quarantine).
    func fitHeapRun(_ heap: SlabFixture) -> (kept: [UnsafeMutableRawPointer], freed: UnsafeMutableRawPointer) {
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<4 { blocks.append(heap.slab.allocate(byteCount: blockBytes, alignment: 8)!) }
        XCTAssertFalse(heap.isInClassPage(blocks[0]))
        let freed = blocks.remove(at: 1)
        heap.slab.deallocate(freed)
        heap.releaseQuarantine()
        return (blocks, freed)
    }

    func testFitHeapBinLinksForgedByAWriteAfterFreeAreReportedNotFollowed() throws {
        let heap = try SlabFixture(bytes: 8192, pageSize: 256, largestClass: 12)
        let (kept, freed) = fitHeapRun(heap)
        // The payload's first two words are the bin links.
        freed.storeBytes(of: UInt32(0xFFFF_FFF0), as: UInt32.self)
        freed.storeBytes(of: UInt32(0xFFFF_FFF0), toByteOffset: 4, as: UInt32.self)
        assertAllocationsStayInside(heap, count: 16, blockBytes: blockBytes, live: kept)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
    }

    func testFitHeapFreeBlockOverflowedFromTheBlockBeforeIsReportedNotFollowed() throws {
        let heap = try SlabFixture(bytes: 8192, pageSize: 256, largestClass: 12)
        let (kept, freed) = fitHeapRun(heap)
        var global: UInt32 = 0
        let target = withUnsafeMutablePointer(to: &global) { UInt32(truncatingIfNeeded: UInt(bitPattern: $0)) }
        // From the end of the block before over the free block's header
        // and links.
        var address = (kept[0].address + blockBytes + 3) & ~3
        while address < freed.address + 8 {
            UnsafeMutableRawPointer(bitPattern: address)!.storeBytes(of: target, as: UInt32.self)
            address += 4
        }
        assertAllocationsStayInside(heap, count: 16, blockBytes: blockBytes, live: kept)
        XCTAssertEqual(global, 0)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption) || MisuseRecorder.kinds.contains(.bufferOverflow),
                      "\(MisuseRecorder.kinds)")
    }

    func testLiveFitHeapHeaderForgedToSwallowItsNeighbourIsReportedOnFree() throws {
        // A live block's header, overwritten from the block before with a
        // size that is consistent (it ends at a block whose "previous in
        // use" bit is set) but covers the live block after it too. Freeing
        // it must not release that neighbour: the header's keyed tag fails.
        let heap = try SlabFixture(bytes: 8192, pageSize: 256, largestClass: 12)
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<4 { blocks.append(heap.slab.allocate(byteCount: blockBytes, alignment: 8)!) }
        let (victim, neighbour) = (blocks[1], blocks[2])
        let neighbourBytes = try XCTUnwrap(heap.slab.usableSize(of: neighbour))
        // The size and flags an overflow would write; its top byte is what
        // a forger without the key guesses, here made a wrong guess (a blind
        // one is right 1 time in 256, whatever the test does).
        let word = UInt32(truncatingIfNeeded: blocks[3].address - victim.address)
            | FitHeap.inUseBit | FitHeap.previousInUseBit
        let header = victim.address - FitHeap.headerBytes
        let wrongTag = FitHeap.tag(header, word, key: heap.slab.fit.headerKey) ^ 0x0100_0000
        victim.storeBytes(of: word | wrongTag, toByteOffset: -4, as: UInt32.self)
        let before = heap.slab.statistics
        heap.slab.deallocate(victim)
        heap.releaseQuarantine()
        XCTAssertEqual(MisuseRecorder.kinds, [.heapCorruption])
        XCTAssertEqual(heap.slab.statistics.corruptionCount, before.corruptionCount + 1)
        XCTAssertEqual(heap.slab.usableSize(of: neighbour), neighbourBytes, "the neighbour is still a live block")
        let live = [blocks[0], neighbour, blocks[3]]
        assertAllocationsStayInside(heap, count: 16, blockBytes: blockBytes, live: live)
    }
}
