import XCTest
@testable import Cairn

/// A slab over a fresh region, with misuse recorded. A class, because the
/// allocator is noncopyable and tests want to hold it with its region.
final class SlabFixture {
    let region: TestRegion
    var slab: SlabAllocator

    init(bytes: Int = 64 * 1024, pageSize: UInt = 1024, largestClass: UInt = 512,
         file: StaticString = #filePath, line: UInt = #line) throws {
        region = TestRegion(bytes: bytes)
        guard let slab = SlabAllocator(region: region.buffer,
                                       configuration: SlabConfiguration(pageSize: pageSize, largestClass: largestClass))
        else {
            XCTFail("configuration refused", file: file, line: line)
            throw CancellationError()
        }
        self.slab = slab
        self.slab.misuseHandler = MisuseRecorder.handler
    }
}

// These tests pin the release build's exact geometry (block sizes, pages,
// usable sizes); the checked build adds a canary to every block and has its
// own suite (CheckedBuildTests).
#if !CAIRN_CHECKED
final class SlabAllocatorTests: XCTestCase {
    override func setUp() { MisuseRecorder.reset() }

    func testStandardClassesWasteAtMostAQuarter() throws {
        let heap = try SlabFixture()
        XCTAssertEqual(heap.slab.blockSize(ofClass: 0), 8)
        XCTAssertEqual(heap.slab.blockSize(ofClass: heap.slab.sizeClassCount - 1), 512)
        for index in 1..<heap.slab.sizeClassCount {
            let previous = heap.slab.blockSize(ofClass: index - 1)
            let size = heap.slab.blockSize(ofClass: index)
            XCTAssertGreaterThan(size, previous)
            XCTAssertEqual(size % 4, 0)
            // The worst request for this class is one byte above the previous.
            let waste = Double(size - (previous + 1)) / Double(size)
            XCTAssertLessThanOrEqual(waste, 0.25, "class \(size) after \(previous)")
        }
    }

    func testEverySizeGetsTheSmallestClassThatHoldsIt() throws {
        let heap = try SlabFixture()
        for size in UInt(0)...512 {
            let sizeClass = try XCTUnwrap(heap.slab.sizeClass(for: size, alignment: 4))
            let blockSize = heap.slab.blockSize(ofClass: Int(sizeClass))
            XCTAssertGreaterThanOrEqual(blockSize, size)
            if sizeClass > 0 { XCTAssertLessThan(heap.slab.blockSize(ofClass: Int(sizeClass) - 1), size) }
        }
        XCTAssertNil(heap.slab.sizeClass(for: 513, alignment: 4))
    }

    func testClassBlocksHonourAlignmentsUpToThePageSize() throws {
        let heap = try SlabFixture()
        var alignment: UInt = 1
        while alignment <= 1024 {
            for size: UInt in [0, 1, 12, 20, 100, 300, 512] {
                let block = try XCTUnwrap(heap.slab.allocate(byteCount: size, alignment: alignment), "size \(size) align \(alignment)")
                XCTAssertEqual(block.address % alignment, 0, "size \(size) align \(alignment)")
                XCTAssertTrue(heap.region.contains(block, bytes: max(size, 1)))
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(heap.slab.usableSize(of: block)), size)
            }
            alignment <<= 1
        }
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testAlignmentsAboveThePageSizeUseAlignedPageRuns() throws {
        let heap = try SlabFixture(bytes: 128 * 1024)
        for alignment: UInt in [2048, 4096, 16384] {
            let block = try XCTUnwrap(heap.slab.allocate(byteCount: 100, alignment: alignment))
            XCTAssertEqual(block.address % alignment, 0)
            XCTAssertTrue(heap.slab.checkIntegrity().isValid)
            heap.slab.deallocate(block)
        }
        XCTAssertEqual(heap.slab.statistics.runPages, 0)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testFreedBlockIsReusedFirst() throws {
        let heap = try SlabFixture()
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        heap.slab.deallocate(a)
        XCTAssertEqual(heap.slab.allocate(byteCount: 24, alignment: 8), a)
    }

    func testBlocksOfOneClassShareAPageUntilItIsFull() throws {
        let heap = try SlabFixture(pageSize: 256)
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<(256 / 32) { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 4))) }
        let pages = Set(blocks.map { $0.address / 256 })
        XCTAssertEqual(pages.count, 1)
        XCTAssertEqual(heap.slab.statistics(ofClass: Int(try XCTUnwrap(heap.slab.sizeClass(for: 32, alignment: 4))))?.blocksInUse, 8)
        let next = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 4))
        XCTAssertFalse(pages.contains(next.address / 256))
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
    }

    func testEmptyPagesReturnToThePoolForOtherClasses() throws {
        // Eight pages: fill all of them with 64-byte blocks, free them all,
        // then the same memory must serve 128-byte blocks.
        let heap = try SlabFixture(bytes: 8 * 256 + 1024, pageSize: 256, largestClass: 128)
        let pages = heap.slab.statistics.pageCount
        var blocks: [UnsafeMutableRawPointer] = []
        while let block = heap.slab.allocate(byteCount: 64, alignment: 4) { blocks.append(block) }
        XCTAssertEqual(UInt(blocks.count), pages * 4)
        XCTAssertEqual(heap.slab.statistics.freePages, 0)
        for block in blocks { heap.slab.deallocate(block) }
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        var large: [UnsafeMutableRawPointer] = []
        while let block = heap.slab.allocate(byteCount: 128, alignment: 4) { large.append(block) }
        XCTAssertEqual(UInt(large.count), pages * 2)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testOneEmptyPageIsKeptPerClassSoAPairAtAPageBoundaryDoesNotChurn() throws {
        let heap = try SlabFixture(pageSize: 256)
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 16, alignment: 4))
        heap.slab.deallocate(block)
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        let peak = heap.slab.statistics.peakPagesInUse
        for _ in 0..<100 {
            let again = try XCTUnwrap(heap.slab.allocate(byteCount: 16, alignment: 4))
            heap.slab.deallocate(again)
        }
        XCTAssertEqual(heap.slab.statistics.peakPagesInUse, peak)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testLargeBlocksTakeWholePageRunsAndGiveThemBack() throws {
        let heap = try SlabFixture(bytes: 64 * 1024)
        let free = heap.slab.statistics.freePages
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        XCTAssertEqual(block.address % 1024, 0)
        XCTAssertEqual(heap.slab.usableSize(of: block), 3072)
        XCTAssertEqual(heap.slab.statistics.runPages, 3)
        XCTAssertEqual(heap.slab.statistics.largeRuns, 1)
        heap.slab.deallocate(block)
        XCTAssertEqual(heap.slab.statistics.freePages, free)
        XCTAssertEqual(heap.slab.statistics.largestFreeSpanPages, free)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testFreeSpansMergeWithBothNeighbours() throws {
        let heap = try SlabFixture(bytes: 32 * 1024)
        let total = heap.slab.statistics.freePages
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 2048, alignment: 8))
        let b = try XCTUnwrap(heap.slab.allocate(byteCount: 2048, alignment: 8))
        let c = try XCTUnwrap(heap.slab.allocate(byteCount: 2048, alignment: 8))
        heap.slab.deallocate(a)
        heap.slab.deallocate(c)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.deallocate(b)
        XCTAssertEqual(heap.slab.statistics.largestFreeSpanPages, total)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testTheWholeArenaIsOneBlockAfterEverythingIsFreed() throws {
        let heap = try SlabFixture(bytes: 16 * 1024, pageSize: 256, largestClass: 128)
        let capacity = heap.slab.statistics.capacity
        var blocks: [UnsafeMutableRawPointer] = []
        for size in stride(from: UInt(1), through: 128, by: 7) {
            blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: size, alignment: 4)))
        }
        for block in blocks { heap.slab.deallocate(block) }
        // Classes keep empty pages; a request for everything must get them back.
        let whole = try XCTUnwrap(heap.slab.allocate(byteCount: capacity, alignment: 8))
        XCTAssertEqual(heap.slab.usableSize(of: whole), capacity)
        XCTAssertNil(heap.slab.allocate(byteCount: 1, alignment: 1))
        heap.slab.deallocate(whole)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testExhaustionReturnsNilCountsAndRecovers() throws {
        let heap = try SlabFixture(bytes: 8 * 1024, pageSize: 256, largestClass: 128)
        var blocks: [UnsafeMutableRawPointer] = []
        while let block = heap.slab.allocate(byteCount: 100, alignment: 4) { blocks.append(block) }
        XCTAssertEqual(heap.slab.statistics.outOfMemoryCount, 1)
        XCTAssertNil(heap.slab.allocate(byteCount: 5000, alignment: 4))
        XCTAssertEqual(heap.slab.statistics.outOfMemoryCount, 2)
        heap.slab.deallocate(blocks.removeLast())
        XCTAssertNotNil(heap.slab.allocate(byteCount: 100, alignment: 4))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testSizesThatWouldWrapAreRefused() throws {
        let heap = try SlabFixture()
        XCTAssertNil(heap.slab.allocate(byteCount: UInt.max, alignment: 8))
        XCTAssertNil(heap.slab.allocate(byteCount: UInt.max - 1023, alignment: 8))
        XCTAssertNil(heap.slab.allocate(byteCount: UInt(UInt32.max), alignment: 8))
        XCTAssertNil(heap.slab.allocate(byteCount: UInt(UInt32.max) - 1023, alignment: 8))
        XCTAssertNil(heap.slab.allocate(byteCount: 8, alignment: UInt(1) << (UInt.bitWidth - 1)))
        XCTAssertNil(heap.slab.allocate(byteCount: 8, alignment: 3))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 0)
    }

    func testClassBlocksResizeInPlaceWithinTheirClass() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 17, alignment: 4))  // class 20
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 20))
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 1))
        XCTAssertFalse(heap.slab.resizeInPlace(block, byteCount: 21))
    }

    func testPageRunsShrinkAndGrowInPlace() throws {
        let heap = try SlabFixture(bytes: 32 * 1024)
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 4096, alignment: 8))
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 1500))
        XCTAssertEqual(heap.slab.usableSize(of: block), 2048)
        XCTAssertEqual(heap.slab.statistics.runPages, 2)
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 8000))
        XCTAssertEqual(heap.slab.usableSize(of: block), 8192)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        let blocker = try XCTUnwrap(heap.slab.allocate(byteCount: 1024, alignment: 8))
        XCTAssertEqual(blocker.address, block.address + 8192)
        XCTAssertFalse(heap.slab.resizeInPlace(block, byteCount: 9000))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testRegionTooSmallOrBadConfigurationIsRefused() {
        func accepts(_ region: TestRegion, _ configuration: SlabConfiguration) -> Bool {
            var slab = SlabAllocator()
            return slab.configure(region: region.buffer, configuration: configuration)
        }
        let tiny = TestRegion(bytes: 300)
        XCTAssertFalse(accepts(tiny, SlabConfiguration(pageSize: 256)))
        let region = TestRegion(bytes: 8192)
        XCTAssertTrue(accepts(region, SlabConfiguration(pageSize: 256)))
        XCTAssertFalse(accepts(region, SlabConfiguration(pageSize: 300)))
        XCTAssertFalse(accepts(region, SlabConfiguration(pageSize: 32)))
        XCTAssertFalse(accepts(region, SlabConfiguration(pageSize: 65536)))
        XCTAssertFalse(accepts(region, SlabConfiguration(pageSize: 256, largestClass: 4)))
        for bad: [UInt16] in [[16, 8], [8, 14], [4, 8], [8, 512], []] {
            bad.withUnsafeBufferPointer {
                XCTAssertFalse(accepts(region, SlabConfiguration(pageSize: 256, sizeClasses: $0)), "\(bad)")
            }
        }
    }

    func testExplicitClassesAreUsedAsGiven() throws {
        let region = TestRegion(bytes: 16 * 1024)
        let classes: [UInt16] = [16, 48, 96]
        var slab = SlabAllocator()
        let configured = classes.withUnsafeBufferPointer {
            slab.configure(region: region.buffer, configuration: SlabConfiguration(pageSize: 512, sizeClasses: $0))
        }
        XCTAssertTrue(configured)
        XCTAssertEqual(slab.sizeClassCount, 3)
        let block = try XCTUnwrap(slab.allocate(byteCount: 17, alignment: 4))
        XCTAssertEqual(slab.usableSize(of: block), 48)
        let big = try XCTUnwrap(slab.allocate(byteCount: 97, alignment: 4))
        XCTAssertEqual(slab.usableSize(of: big), 512)
        XCTAssertTrue(slab.checkIntegrity().isValid)
    }

    func testMetadataLivesBesideThePagesNotInBlocks() throws {
        let heap = try SlabFixture(bytes: 64 * 1024)
        let stats = heap.slab.statistics
        // Metadata (tables + one 16-byte descriptor per page) plus alignment
        // padding is all that the pages lose to.
        let overhead = UInt(heap.region.buffer.count) - stats.capacity
        XCTAssertLessThan(overhead, 1024 + stats.pageCount * 16 + 23 * 16 + 32 + 129 + 65 + 33 + 16)
        XCTAssertEqual(stats.capacity, stats.pageCount * 1024)
    }

    func testUnconfiguredAllocatorFailsAndReportsFrees() {
        var slab = SlabAllocator()
        slab.misuseHandler = MisuseRecorder.handler
        XCTAssertFalse(slab.isConfigured)
        XCTAssertNil(slab.allocate(byteCount: 0, alignment: 8))
        XCTAssertNil(slab.allocate(byteCount: 64, alignment: 8))
        var local = 0
        slab.deallocate(&local)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer])
        XCTAssertTrue(slab.checkIntegrity().isValid)
    }

    func testStatisticsFollowAllocationsAndPeak() throws {
        let heap = try SlabFixture(pageSize: 256)
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 10, alignment: 4))   // 12
        let b = try XCTUnwrap(heap.slab.allocate(byteCount: 100, alignment: 4))  // 112
        let c = try XCTUnwrap(heap.slab.allocate(byteCount: 700, alignment: 4))  // 3 pages
        var stats = heap.slab.statistics
        XCTAssertEqual(stats.liveBlocks, 2)
        XCTAssertEqual(stats.largeRuns, 1)
        XCTAssertEqual(stats.bytesReserved, 12 + 112 + 768)
        XCTAssertEqual(stats.peakPagesInUse, 5)
        heap.slab.deallocate(a); heap.slab.deallocate(b); heap.slab.deallocate(c)
        stats = heap.slab.statistics
        XCTAssertEqual(stats.liveBlocks, 0)
        XCTAssertEqual(stats.bytesReserved, 0)
        XCTAssertEqual(stats.peakPagesInUse, 5)
        XCTAssertEqual(stats.classPages, 2)  // each class keeps its empty page
    }

    func testResizeOrMeasureValidatesOnceAndAnswersLikeTheTwoQueries() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 17, alignment: 8))
        let usable = try XCTUnwrap(heap.slab.usableSize(of: UnsafeRawPointer(block)))
        XCTAssertEqual(heap.slab.resizeOrMeasure(block, byteCount: usable), .resized)
        XCTAssertEqual(heap.slab.resizeOrMeasure(block, byteCount: usable + 1), .mustMove(preserving: usable))
        let run = try XCTUnwrap(heap.slab.allocate(byteCount: 2000, alignment: 8))
        XCTAssertEqual(heap.slab.resizeOrMeasure(run, byteCount: 2048), .resized)
        heap.slab.deallocate(block)
        XCTAssertEqual(heap.slab.resizeOrMeasure(block, byteCount: 1), .notLive)
        XCTAssertEqual(heap.slab.resizeOrMeasure(run + 8, byteCount: 1), .notLive)
        // The two queries the default answers with agree for the slab.
        XCTAssertEqual(heap.slab.bytesToPreserve(from: run), 2048)
        XCTAssertNil(heap.slab.bytesToPreserve(from: block))
        // A block found live is freed without its tests, as a plain free
        // would free it: back on its list, counted free, heap intact.
        let other = try XCTUnwrap(heap.slab.allocate(byteCount: 17, alignment: 8))
        let live = heap.slab.statistics.liveBlocks
        heap.slab.deallocate(knownLive: other, caller: 0)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, live - 1)
        XCTAssertEqual(heap.slab.allocate(byteCount: 17, alignment: 8), other)
        let second = try XCTUnwrap(heap.slab.allocate(byteCount: 5000, alignment: 8))
        let runs = heap.slab.statistics.largeRuns
        heap.slab.deallocate(knownLive: second, caller: 0)
        XCTAssertEqual(heap.slab.statistics.largeRuns, runs - 1)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        // The bump allocator answers through the two queries.
        let region = TestRegion(bytes: 256)
        var bump = BumpAllocator(region: region.buffer)
        let older = try XCTUnwrap(bump.allocate(byteCount: 8, alignment: 8))
        let newest = try XCTUnwrap(bump.allocate(byteCount: 8, alignment: 8))
        XCTAssertEqual(bump.resizeOrMeasure(newest, byteCount: 40), .resized)
        XCTAssertEqual(bump.resizeOrMeasure(older, byteCount: 40), .mustMove(preserving: 48))
        var local = 0
        XCTAssertEqual(bump.resizeOrMeasure(&local, byteCount: 1), .notLive)
    }
}
#endif
