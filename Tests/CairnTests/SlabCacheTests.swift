import XCTest
@testable import Cairn

/// The class cache: one page's free blocks that a class allocates from,
/// the partial pages behind it, and the empty pages a class keeps until the
/// fit heap runs dry. Release geometry (the checked build adds a canary to
/// each block).
#if !CAIRN_CHECKED
final class SlabCacheTests: MisuseRecordingTestCase {
    /// 256-byte blocks filling `pages` pages of their class (three blocks
    /// to a 1 KiB page, whose last 20 bytes hold no block), the last page
    /// the cache page.
    private func blocksFilling(pages: Int, _ heap: SlabFixture) throws -> [UnsafeMutableRawPointer] {
        let sizeClass = try XCTUnwrap(heap.slab.sizeClass(for: 256, alignment: 8))
        XCTAssertEqual(heap.slab.statistics(ofClass: Int(sizeClass))?.blocksPerPage, 3)
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<(3 * pages) { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8))) }
        XCTAssertEqual(Set(blocks.map { heap.page(of: $0) }).count, pages)
        return blocks
    }

    /// ``blocksFilling(pages:_:)`` with the first page emptied again (its
    /// three blocks freed): the class keeps it, at the head of its partial
    /// list. The blocks, the kept page and the class's record.
    private func blocksFillingAfterAKeptPage(pages: Int, _ heap: SlabFixture) throws
        -> (blocks: [UnsafeMutableRawPointer], kept: UInt, record: UnsafeMutablePointer<SizeClassRecord>) {
        let record = heap.slab.classRecord(try XCTUnwrap(heap.slab.sizeClass(for: 256, alignment: 8)))
        let blocks = try blocksFilling(pages: pages, heap)
        for block in blocks[0..<3] { heap.slab.deallocate(block) }
        return (blocks, heap.page(of: blocks[0]), record)
    }

    func testAFreedCachePageBlockIsTheNextOneHandedOut() throws {
        let heap = try SlabFixture()
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 64, alignment: 8))
        let b = try XCTUnwrap(heap.slab.allocate(byteCount: 64, alignment: 8))
        heap.slab.deallocate(a)
        // The cache is last in, first out.
        XCTAssertEqual(heap.slab.allocate(byteCount: 64, alignment: 8), a)
        heap.slab.deallocate(b)
        heap.slab.deallocate(a)
        XCTAssertEqual(heap.slab.allocate(byteCount: 64, alignment: 8), a)
        XCTAssertEqual(heap.slab.allocate(byteCount: 64, alignment: 8), b)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testAnEmptyCachePageStaysWithItsClassUntilTheFitHeapRunsDry() throws {
        let heap = try SlabFixture()
        let capacity = heap.slab.statistics.capacity
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 100, alignment: 8))
        heap.slab.deallocate(block)
        // Kept: an allocate/free pair at a page boundary moves no page.
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 0)
        XCTAssertEqual(heap.slab.statistics.bytesReserved, 0)
        XCTAssertEqual(heap.slab.statistics.freeBytes, capacity - heap.slab.pageSize)
        // A request for the whole fit heap can only be met by taking it back.
        let whole = try XCTUnwrap(heap.slab.allocate(byteCount: capacity - 4, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.classPages, 0)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.deallocate(whole)
        XCTAssertEqual(heap.slab.statistics.freeBytes, capacity)
    }

    func testACachePageInUseIsNotTakenBack() throws {
        let heap = try SlabFixture()
        let kept = try XCTUnwrap(heap.slab.allocate(byteCount: 100, alignment: 8))
        let capacity = heap.slab.statistics.capacity
        XCTAssertNil(heap.slab.allocate(byteCount: capacity - 4, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.outOfMemoryCount, 1)
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        XCTAssertEqual(heap.slab.usableSize(of: kept), 112)
        heap.slab.deallocate(kept)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testFreesIntoOtherPagesRefillTheCacheFromThePartialPage() throws {
        let heap = try SlabFixture()
        let blocks = try blocksFilling(pages: 2, heap)
        let first = heap.page(of: blocks[0])
        XCTAssertNotEqual(first, heap.page(of: blocks[5]))
        // The second page is the cache page; freeing into the full first
        // page puts it on the partial list.
        heap.slab.deallocate(blocks[1])
        heap.slab.deallocate(blocks[2])
        XCTAssertEqual(heap.slab.descriptor(first).pointee.used, 1)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // The cache page is full, so the partial page's list becomes the cache.
        let again = [try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8)),
                     try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8))]
        XCTAssertEqual(Set(again), Set([blocks[1], blocks[2]]))
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testAnEmptiedPageThatWouldBeTheOnlyPartialPageStaysAndIsRefilledFromWhole() throws {
        let heap = try SlabFixture()
        let blocks = try blocksFilling(pages: 2, heap)
        let first = heap.page(of: blocks[0])
        for block in blocks[0..<3] { heap.slab.deallocate(block) }
        // Kept on the partial list, all three blocks on its own list.
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 3)
        XCTAssertEqual(heap.slab.descriptor(first).pointee.used, 0)
        XCTAssertEqual(UInt(heap.slab.classRecord(try XCTUnwrap(heap.slab.sizeClass(for: 256, alignment: 8)))
            .pointee.partialHead), first)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // The cache page is full: the next three come from the kept page,
        // whose blocks are already free (no page taken, none carved).
        let bytesInUse = heap.slab.statistics.bytesInUse
        var again: [UnsafeMutableRawPointer] = []
        for _ in 0..<3 { again.append(try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8))) }
        XCTAssertEqual(Set(again), Set(blocks[0..<3]))
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertEqual(heap.slab.statistics.bytesInUse, bytesInUse)
        XCTAssertEqual(heap.slab.statistics.peakBytesInUse, bytesInUse)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testASecondEmptiedPageGoesBackToTheFitHeap() throws {
        let heap = try SlabFixture()
        // Three full pages, the third the cache page.
        let blocks = try blocksFilling(pages: 3, heap)
        let second = heap.page(of: blocks[3])
        XCTAssertEqual(heap.slab.statistics.classPages, 3)
        for block in blocks[0..<3] { heap.slab.deallocate(block) }
        XCTAssertEqual(heap.slab.statistics.classPages, 3)
        // The second page empties while the first is on the partial list.
        let freeBytes = heap.slab.statistics.freeBytes
        for block in blocks[3..<6] { heap.slab.deallocate(block) }
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertEqual(heap.slab.pageState(second), PageDescriptor.notClassPage)
        XCTAssertEqual(heap.slab.statistics.freeBytes, freeBytes + heap.slab.pageSize)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 3)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testEachClassPageCountsExactlyOnePageAsItComesAndGoes() throws {
        // A page taken is counted as one page without its header being read
        // back, and given back the same way: the counters must agree with
        // the fit heap's own blocks (the integrity check compares them).
        let heap = try SlabFixture()
        let pageSize = heap.slab.pageSize
        XCTAssertEqual(heap.slab.statistics.bytesInUse, 0)
        let blocks = try blocksFilling(pages: 3, heap)
        XCTAssertEqual(heap.slab.statistics.bytesInUse, 3 * pageSize)
        XCTAssertEqual(heap.slab.statistics.peakBytesInUse, 3 * pageSize)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        for block in blocks[0..<6] { heap.slab.deallocate(block) }
        XCTAssertEqual(heap.slab.statistics.classPages, 2, "one emptied page kept, the other given back")
        XCTAssertEqual(heap.slab.statistics.bytesInUse, 2 * pageSize)
        XCTAssertEqual(heap.slab.statistics.peakBytesInUse, 3 * pageSize)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // The page given back serves any size at once.
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: pageSize - 4, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.bytesInUse, 3 * pageSize)
        heap.slab.deallocate(large)
        for block in blocks[6..<9] { heap.slab.deallocate(block) }
        XCTAssertEqual(heap.slab.statistics.bytesInUse, heap.slab.statistics.classPages * pageSize)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    /// The kept empty page heads its class's partial list whatever joins
    /// the list after it, so a dry fit heap finds it without a walk; pages
    /// that became partial after it still serve first.
    func testTheKeptEmptyPageHeadsThePartialListAndPartialPagesServeFirst() throws {
        let heap = try SlabFixture()
        // Four full pages, the fourth the cache page.
        let (blocks, first, record) = try blocksFillingAfterAKeptPage(pages: 4, heap)
        XCTAssertEqual(UInt(record.pointee.partialHead), first, "kept, at the head")
        // Two more pages become partial: each goes behind the kept page.
        heap.slab.deallocate(blocks[3])
        heap.slab.deallocate(blocks[6])
        XCTAssertEqual(UInt(record.pointee.partialHead), first)
        XCTAssertEqual(UInt(heap.slab.descriptor(first).pointee.next), heap.page(of: blocks[6]))
        XCTAssertEqual(UInt(heap.slab.descriptor(heap.page(of: blocks[6])).pointee.next), heap.page(of: blocks[3]))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // The cache page is full: the refill takes the page made partial
        // last, as it would with no page kept; the kept page stays.
        XCTAssertEqual(heap.slab.allocate(byteCount: 256, alignment: 8), blocks[6])
        XCTAssertEqual(UInt(record.pointee.partialHead), first)
        XCTAssertEqual(heap.slab.allocate(byteCount: 256, alignment: 8), blocks[3])
        // Only the kept page is left: it serves, its blocks already free.
        let again = Set((0..<3).compactMap { _ in heap.slab.allocate(byteCount: 256, alignment: 8) })
        XCTAssertEqual(again, Set(blocks[0..<3]))
        XCTAssertEqual(record.pointee.partialHead, PageDescriptor.noPage)
        XCTAssertEqual(heap.slab.statistics.classPages, 4)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertEqual(MisuseRecorder.kinds, [])
    }

    /// Reclaiming finds the kept page at the head of a long partial list.
    func testADryFitHeapTakesTheKeptPageBackFromTheHeadOfALongPartialList() throws {
        let heap = try SlabFixture()
        let (blocks, first, record) = try blocksFillingAfterAKeptPage(pages: 6, heap)
        // Pages 2 to 5 partial, behind the kept page.
        for page in 1..<5 { heap.slab.deallocate(blocks[3 * page]) }
        XCTAssertEqual(UInt(record.pointee.partialHead), first)
        let freeBytes = heap.slab.statistics.freeBytes
        XCTAssertTrue(heap.slab.releaseEmptyPartialPage(record))
        XCTAssertEqual(heap.slab.pageState(first), PageDescriptor.notClassPage)
        XCTAssertEqual(heap.slab.statistics.freeBytes, freeBytes + heap.slab.pageSize)
        XCTAssertEqual(UInt(record.pointee.partialHead), heap.page(of: blocks[12]))
        // Nothing empty is left on the list.
        XCTAssertFalse(heap.slab.releaseEmptyPartialPage(record))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testADryFitHeapTakesTheKeptEmptyPageBack() throws {
        let heap = try SlabFixture()
        let blocks = try blocksFilling(pages: 2, heap)
        let first = heap.page(of: blocks[0])
        // The rest of the fit heap in one block: no free block is left
        // that could hold a page.
        let rest = try XCTUnwrap(heap.slab.allocate(byteCount: heap.slab.statistics.largestFreeBlock - 4, alignment: 8))
        XCTAssertLessThan(heap.slab.statistics.largestFreeBlock, heap.slab.pageSize)
        for block in blocks[0..<3] { heap.slab.deallocate(block) }
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        // A block of a page's size can only have the kept page's memory
        // (merged with the small free block before it, if any).
        let one = try XCTUnwrap(heap.slab.allocate(byteCount: heap.slab.pageSize - 4, alignment: 8))
        XCTAssertEqual(heap.slab.pageState(first), PageDescriptor.notClassPage)
        XCTAssertLessThanOrEqual(heap.page(of: one), first)
        XCTAssertGreaterThanOrEqual(heap.page(of: one + Int(heap.slab.pageSize - 5)), first)
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.deallocate(one)
        heap.slab.deallocate(rest)
        for block in blocks[3..<6] { heap.slab.deallocate(block) }
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testDoubleFreeIsFoundInTheCacheAndOnAPageList() throws {
        let heap = try SlabFixture()
        let blocks = try blocksFilling(pages: 2, heap)
        heap.slab.deallocate(blocks[5])  // into the cache
        heap.slab.deallocate(blocks[5])
        heap.slab.deallocate(blocks[0])  // onto the first page's list
        heap.slab.deallocate(blocks[0])
        XCTAssertEqual(MisuseRecorder.reports.map(\.kind), [.doubleFree, .doubleFree])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 4)
    }

    func testAFreeBeyondTheCarvedPartOfTheCachePageIsRefused() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 64, alignment: 8))
        // The next block of the page was never handed out.
        heap.slab.deallocate(block + 64)
        XCTAssertEqual(MisuseRecorder.reports.map(\.kind), [.notBlockStart])
        XCTAssertEqual(heap.slab.allocate(byteCount: 64, alignment: 8), block + 64)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testIntegrityFindsABrokenCache() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 64, alignment: 8))
        let record = heap.slab.classRecord(try XCTUnwrap(heap.slab.sizeClass(for: 64, alignment: 8)))
        heap.slab.deallocate(block)
        // The cache page forgotten: it now looks like a partly carved page
        // that is not the cache page.
        let cachePage = record.pointee.cachePage
        record.pointee.cachePage = PageDescriptor.noPage
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .blockCount)
        record.pointee.cachePage = cachePage
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // Cached blocks in a class that has no cache page.
        let other = heap.slab.classRecord(try XCTUnwrap(heap.slab.sizeClass(for: 128, alignment: 8)))
        other.pointee.cacheHead = 0
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .cachePage)
        other.pointee.cacheHead = PageDescriptor.noBlock
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // A cached block written after its free.
        block.storeBytes(of: 0x1234_5678, toByteOffset: 4, as: UInt32.self)
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .freeBlockOverwritten)
    }

    func testEachAlignmentMapStopsAtItsLargestClass() throws {
        // Classes 12, 20 and 24: only 24 is a multiple of 8, none of 16.
        let region = TestRegion(bytes: 16 * 1024)
        let classes: [UInt16] = [12, 20, 24]
        var slab = SlabAllocator()
        let configured = classes.withUnsafeBufferPointer { buffer in
            slab.configure(region: region.buffer, configuration: SlabConfiguration(pageSize: 256, sizeClasses: buffer))
        }
        XCTAssertTrue(configured)
        XCTAssertEqual(slab.sizeClass(for: 20, alignment: 4), 1)
        XCTAssertEqual(slab.sizeClass(for: 20, alignment: 8), 2)
        XCTAssertNil(slab.sizeClass(for: 25, alignment: 8))
        XCTAssertNil(slab.sizeClass(for: 1, alignment: 16))
        XCTAssertEqual(slab.sizeClass(for: 13, alignment: 4), 1)
    }
}
#endif
