import XCTest
@testable import Cairn

/// The class cache: one page's free blocks that a class allocates from,
/// the partial pages behind it, and the empty cache pages a dry pool takes
/// back. Release geometry (the checked build adds a canary to each block).
#if !CAIRN_CHECKED
final class SlabCacheTests: XCTestCase {
    override func setUp() { MisuseRecorder.reset() }

    private func page(of block: UnsafeMutableRawPointer, _ heap: SlabFixture) -> UInt {
        (block.address - heap.slab.arenaBase) >> heap.slab.pageShift
    }

    /// Eight 256-byte blocks: two full pages of the class (4 blocks a page),
    /// the second of them the cache page.
    private func eightBlocksOnTwoPages(_ heap: SlabFixture) throws -> [UnsafeMutableRawPointer] {
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<8 { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8))) }
        return blocks
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

    func testAnEmptyCachePageStaysWithItsClassUntilThePoolRunsDry() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 100, alignment: 8))
        heap.slab.deallocate(block)
        // Kept: an allocate/free pair at a page boundary moves no page.
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 0)
        XCTAssertEqual(heap.slab.statistics.bytesReserved, 0)
        // A request for every other page can only be met by taking it back.
        let pages = heap.slab.statistics.pageCount
        let run = try XCTUnwrap(heap.slab.allocate(byteCount: pages * heap.slab.pageSize, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.classPages, 0)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.deallocate(run)
        XCTAssertEqual(heap.slab.statistics.freePages, pages)
    }

    func testACachePageInUseIsNotTakenBack() throws {
        let heap = try SlabFixture()
        let kept = try XCTUnwrap(heap.slab.allocate(byteCount: 100, alignment: 8))
        let pages = heap.slab.statistics.pageCount
        XCTAssertNil(heap.slab.allocate(byteCount: pages * heap.slab.pageSize, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.outOfMemoryCount, 1)
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        heap.slab.deallocate(kept)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testFreesIntoOtherPagesRefillTheCacheFromThePartialPage() throws {
        let heap = try SlabFixture()
        // 256-byte blocks: four to a 1 KiB page. Fill two pages.
        let blocks = try eightBlocksOnTwoPages(heap)
        let first = page(of: blocks[0], heap)
        let second = page(of: blocks[7], heap)
        XCTAssertNotEqual(first, second)
        // The second page is the cache page; freeing into the full first
        // page puts it on the partial list.
        heap.slab.deallocate(blocks[1])
        heap.slab.deallocate(blocks[2])
        XCTAssertEqual(heap.slab.descriptor(first).pointee.used, 2)
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
        let blocks = try eightBlocksOnTwoPages(heap)
        let first = page(of: blocks[0], heap)
        for block in blocks[0..<4] { heap.slab.deallocate(block) }
        // Kept on the partial list, all four blocks on its own list.
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 4)
        XCTAssertEqual(heap.slab.descriptor(first).pointee.used, 0)
        XCTAssertEqual(UInt(heap.slab.classRecord(try XCTUnwrap(heap.slab.sizeClass(for: 256, alignment: 8)))
            .pointee.partialHead), first)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // The cache page is full: the next four come from the kept page,
        // whose blocks are already free (no page taken, none carved).
        let peak = heap.slab.statistics.peakPagesInUse
        var again: [UnsafeMutableRawPointer] = []
        for _ in 0..<4 { again.append(try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8))) }
        XCTAssertEqual(Set(again), Set(blocks[0..<4]))
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertEqual(heap.slab.statistics.peakPagesInUse, peak)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testASecondEmptiedPageGoesBackToThePool() throws {
        let heap = try SlabFixture()
        // Twelve 256-byte blocks: three full pages, the third the cache page.
        var blocks = try eightBlocksOnTwoPages(heap)
        for _ in 0..<4 { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8))) }
        XCTAssertEqual(heap.slab.statistics.classPages, 3)
        for block in blocks[0..<4] { heap.slab.deallocate(block) }
        XCTAssertEqual(heap.slab.statistics.classPages, 3)
        // The second page empties while the first is on the partial list.
        for block in blocks[4..<8] { heap.slab.deallocate(block) }
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 4)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testADryPoolTakesTheKeptEmptyPageBack() throws {
        let heap = try SlabFixture()
        let blocks = try eightBlocksOnTwoPages(heap)
        let first = page(of: blocks[0], heap)
        // Every other page in one run: the pool is empty.
        let pages = heap.slab.statistics.pageCount
        let rest = try XCTUnwrap(heap.slab.allocate(byteCount: (pages - 2) * heap.slab.pageSize, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.freePages, 0)
        for block in blocks[0..<4] { heap.slab.deallocate(block) }
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        // A one-page run can only have the kept page.
        let one = try XCTUnwrap(heap.slab.allocate(byteCount: heap.slab.pageSize, alignment: 8))
        XCTAssertEqual(page(of: one, heap), first)
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.deallocate(one)
        heap.slab.deallocate(rest)
        for block in blocks[4..<8] { heap.slab.deallocate(block) }
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testDoubleFreeIsFoundInTheCacheAndOnAPageList() throws {
        let heap = try SlabFixture()
        let blocks = try eightBlocksOnTwoPages(heap)
        heap.slab.deallocate(blocks[7])  // into the cache
        heap.slab.deallocate(blocks[7])
        heap.slab.deallocate(blocks[0])  // onto the first page's list
        heap.slab.deallocate(blocks[0])
        XCTAssertEqual(MisuseRecorder.reports.map(\.kind), [.doubleFree, .doubleFree])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 6)
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
