import XCTest
@testable import Cairn

/// The slab's two tiers: size classes over pages, and the fit heap that
/// holds those pages and serves every other block ("large blocks").
///
/// The tests in the class hold in the release and the checked build; the
/// extension below pins the release build's exact geometry (block sizes,
/// usable sizes, byte counts), which the checked build's canary changes
/// (it has its own suite, CheckedBuildTests).
final class SlabAllocatorTests: MisuseRecordingTestCase {
    // MARK: - Configuration and classes

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
        // A page serves classes up to its size less its 20-byte tail
        // (descriptor and the next fit block's header): 236 at 256.
        for bad: [UInt16] in [[16, 8], [8, 14], [4, 8], [8, 240], [8, 512], []] {
            bad.withUnsafeBufferPointer {
                XCTAssertFalse(accepts(region, SlabConfiguration(pageSize: 256, sizeClasses: $0)), "\(bad)")
            }
        }
        [UInt16]([8, 236]).withUnsafeBufferPointer {
            XCTAssertTrue(accepts(region, SlabConfiguration(pageSize: 256, sizeClasses: $0)))
        }
    }

    func testUnconfiguredAllocatorFailsAndReportsFrees() {
        var slab = SlabAllocator()
        slab.misuseHandler = MisuseRecorder.handler
        XCTAssertFalse(slab.isConfigured)
        XCTAssertNil(slab.allocate(byteCount: 0, alignment: 8))
        XCTAssertNil(slab.allocate(byteCount: 64, alignment: 8))
        XCTAssertNil(slab.allocate(byteCount: 5000, alignment: 8))
        var local = 0
        slab.deallocate(&local)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer])
        XCTAssertTrue(slab.checkIntegrity().isValid)
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
        XCTAssertEqual(heap.slab.statistics.largeBlocks, 0)
        XCTAssertEqual(heap.slab.statistics.freeBytes, heap.slab.statistics.capacity)
    }

    // MARK: - Class pages are fit-heap blocks

    func testAClassPageIsOneFitHeapBlockOfExactlyOnePageWithItsDescriptorAfterItsBlocks() throws {
        let heap = try SlabFixture()
        let first = try XCTUnwrap(heap.slab.allocate(byteCount: 40, alignment: 8))
        let page = heap.page(of: first)
        let sizeClass = try XCTUnwrap(heap.slab.sizeClass(for: 40 + SlabAllocator.blockOverhead, alignment: 8))
        XCTAssertEqual(UInt(heap.slab.pageState(page)), sizeClass)
        // The page's fit block starts with its header in the 4 bytes before
        // the page and is exactly one page long.
        let pageStart = heap.slab.pageAddress(page)
        guard case .live(let header, let size) = heap.slab.fit.lookUpLiveBlock(pageStart) else {
            return XCTFail("the class page is not a live fit-heap block")
        }
        XCTAssertEqual(header, pageStart - FitHeap.headerBytes)
        XCTAssertEqual(size, heap.slab.pageSize)
        XCTAssertEqual(heap.slab.statistics.bytesInUse, heap.slab.pageSize)
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        XCTAssertEqual(heap.slab.statistics.largeBlocks, 0)
        // The page holds as many blocks as fit before its 20-byte tail;
        // filling every byte of all of them leaves the descriptor and the
        // next block's header intact.
        let blockSize = heap.slab.blockSize(ofClass: Int(sizeClass))
        let perPage = (heap.slab.pageSize - PageDescriptor.pageTail) / blockSize
        XCTAssertEqual(heap.slab.statistics(ofClass: Int(sizeClass))?.blocksPerPage, perPage)
        var blocks = [first]
        for _ in 1..<perPage { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 40, alignment: 8))) }
        XCTAssertEqual(Set(blocks.map { heap.page(of: $0) }), [page])
        for block in blocks { block.initializeMemory(as: UInt8.self, repeating: 0xEE, count: 40) }
        let next = try XCTUnwrap(heap.slab.allocate(byteCount: 40, alignment: 8))
        XCTAssertNotEqual(heap.page(of: next), page)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
    }

    func testClassesTakePagesOnlyWhileTheFitHeapStaysWithinTheClassPageLimit() throws {
        let heap = try SlabFixture()
        let capacity = heap.slab.statistics.capacity
        XCTAssertEqual(heap.slab.classPageLimit, capacity - capacity / 8)
        // One class until the heap refuses: pages while one more page keeps
        // the fit heap within 7/8 full, then fit-heap blocks to the end.
        let blocks = heap.fill(byteCount: 64)
        let stats = heap.slab.statistics
        XCTAssertEqual(stats.classPages, heap.slab.classPageLimit / heap.slab.pageSize)
        XCTAssertGreaterThan(stats.largeBlocks, 0)
        XCTAssertEqual(UInt(blocks.filter { !heap.isInClassPage($0) }.count), stats.largeBlocks)
        XCTAssertLessThan(stats.largestFreeBlock, SlabFixture.fitBlockBytes(forRequest: 64))
        XCTAssertEqual(stats.liveBlocks, UInt(blocks.count) - stats.largeBlocks)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testAClassFallsBackToFitHeapBlocksWhenTheFitHeapIsNearlyFull() throws {
        let heap = try SlabFixture()
        let capacity = heap.slab.statistics.capacity
        _ = heap.fillWithLargeBlocks(byteCount: 2000, untilFreeBytesBelow: capacity / 8)
        XCTAssertLessThan(heap.slab.statistics.freeBytes, capacity / 8)
        let largeBlocks = heap.slab.statistics.largeBlocks
        // No class may take a page now, yet small blocks do not fail: each
        // is a fit-heap block of its own.
        var small: [UnsafeMutableRawPointer] = []
        for index in 0..<40 {
            let block = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8), "block \(index)")
            XCTAssertEqual(block.address % 8, 0)
            XCTAssertEqual(heap.slab.pageState(heap.page(of: block)), PageDescriptor.notClassPage, "block \(index)")
            block.initializeMemory(as: UInt8.self, repeating: UInt8(index), count: 24)
            small.append(block)
        }
        XCTAssertEqual(heap.slab.statistics.classPages, 0)
        XCTAssertEqual(heap.slab.statistics.largeBlocks, largeBlocks + 40)
        for (index, block) in small.enumerated() {
            XCTAssertTrue(UnsafeRawBufferPointer(start: block, count: 24).allSatisfy { $0 == UInt8(index) })
        }
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        for block in small { heap.slab.deallocate(block) }
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertEqual(heap.slab.statistics.largeBlocks, largeBlocks)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    // MARK: - Large blocks

    func testLargeBlocksAreUsableDistinctAndEightAligned() throws {
        let heap = try SlabFixture()
        // Each block filled with its own byte: a block overlapping another
        // (or the allocator's headers) shows as a changed byte or a broken heap.
        var blocks: [(block: UnsafeMutableRawPointer, size: UInt, byte: UInt8)] = []
        for size: UInt in [513, 600, 777, 1000, 1021, 3000, 5000] {
            for alignment: UInt in [1, 4, 8] {
                let block = try XCTUnwrap(heap.slab.allocate(byteCount: size, alignment: alignment), "\(size)")
                XCTAssertEqual(block.address % 8, 0, "\(size) at \(alignment)")
                XCTAssertFalse(heap.isInClassPage(block))
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(heap.slab.usableSize(of: block)), size)
                let byte = UInt8(blocks.count + 1)
                block.initializeMemory(as: UInt8.self, repeating: byte, count: Int(size))
                blocks.append((block, size, byte))
            }
        }
        XCTAssertEqual(heap.slab.statistics.largeBlocks, UInt(blocks.count))
        for (block, size, byte) in blocks {
            XCTAssertTrue(UnsafeRawBufferPointer(start: block, count: Int(size)).allSatisfy { $0 == byte }, "block \(byte)")
        }
        let sorted = blocks.sorted { $0.block.address < $1.block.address }
        for (lower, upper) in zip(sorted, sorted.dropFirst()) {
            XCTAssertLessThanOrEqual(lower.block.address + lower.size, upper.block.address)
        }
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        for (block, _, _) in blocks { heap.slab.deallocate(block) }
        heap.releaseQuarantine()
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertEqual(heap.slab.statistics.freeBytes, heap.slab.statistics.capacity)
    }

    func testBlocksHonourEveryPowerOfTwoAlignment() throws {
        let heap = try SlabFixture(bytes: 128 * 1024)
        var alignment: UInt = 16
        while alignment <= 32768 {
            var blocks: [UnsafeMutableRawPointer] = []
            for size: UInt in [100, 600, 3000] {
                let block = try XCTUnwrap(heap.slab.allocate(byteCount: size, alignment: alignment), "\(size) at \(alignment)")
                XCTAssertEqual(block.address % alignment, 0, "\(size) at \(alignment)")
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(heap.slab.usableSize(of: block)), size)
                // No class's blocks are aligned beyond 512 (the largest
                // class): these are fit-heap blocks.
                if alignment > 512 { XCTAssertFalse(heap.isInClassPage(block), "\(size) at \(alignment)") }
                blocks.append(block)
            }
            XCTAssertTrue(heap.slab.checkIntegrity().isValid, "alignment \(alignment)")
            for block in blocks { heap.slab.deallocate(block) }
            alignment <<= 1
        }
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertEqual(heap.slab.statistics.largeBlocks, 0)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testRequestsUpToTheLargestClassHonourAlignmentsUpToThePageSize() throws {
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

    func testFreedLargeBlocksServeClassPagesAndOtherLargeBlocksAsAFreshHeapWould() throws {
        let fresh = try SlabFixture()
        let freshLarge = fresh.fill(byteCount: 5000).count
        let freshSmall = try SlabFixture().fill(byteCount: 64).count
        let heap = try SlabFixture()
        let first = heap.fill(byteCount: 3000)
        XCTAssertGreaterThan(first.count, 10)
        for block in first { heap.slab.deallocate(block) }
        heap.releaseQuarantine()
        XCTAssertEqual(heap.slab.statistics.freeBytes, heap.slab.statistics.capacity)
        let larger = heap.fill(byteCount: 5000)
        XCTAssertEqual(larger.count, freshLarge)
        for block in larger { heap.slab.deallocate(block) }
        heap.releaseQuarantine()
        let small = heap.fill(byteCount: 64)
        XCTAssertEqual(small.count, freshSmall)
        XCTAssertGreaterThan(heap.slab.statistics.classPages, 0)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testALargeRequestThatDoesNotFitReturnsNilAndChangesNothing() throws {
        let heap = try SlabFixture()
        let small = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        large.initializeMemory(as: UInt8.self, repeating: 0x3C, count: 3000)
        let before = heap.slab.statistics
        XCTAssertNil(heap.slab.allocate(byteCount: before.capacity, alignment: 8))
        XCTAssertNil(heap.slab.allocate(byteCount: before.largestFreeBlock, alignment: 8))
        // An alignment no address of the region meets (1 MiB can be: where
        // the test region lands is up to the host's allocator).
        XCTAssertNil(heap.slab.allocate(byteCount: 1024, alignment: 1 << (UInt.bitWidth - 2)))
        var expected = before
        expected.outOfMemoryCount += 3
        XCTAssertEqual(heap.slab.statistics, expected)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertTrue(UnsafeRawBufferPointer(start: large, count: 3000).allSatisfy { $0 == 0x3C })
        heap.slab.deallocate(large)
        heap.slab.deallocate(small)
        XCTAssertEqual(MisuseRecorder.kinds, [])
    }

    func testCountersAgreeWithTheFitHeapAsPagesAndLargeBlocksComeAndGo() throws {
        // A class page is counted as one page without its header being read
        // back, a large free passes on the size its check read, and every
        // release goes through one merge: the counters must agree with the
        // fit heap's own blocks (the integrity check walks them) at each
        // step, whichever way a block goes back.
        let heap = try SlabFixture()
        let pageSize = heap.slab.pageSize
        var small: [UnsafeMutableRawPointer] = []
        while heap.slab.statistics.classPages < 3 {
            small.append(try XCTUnwrap(heap.slab.allocate(byteCount: 200, alignment: 8)))
        }
        XCTAssertEqual(heap.slab.statistics.bytesInUse, 3 * pageSize)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        var large: [UnsafeMutableRawPointer] = []
        for _ in 0..<3 { large.append(try XCTUnwrap(heap.slab.allocate(byteCount: 2048, alignment: 8))) }
        large.sort { $0.address < $1.address }
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // The middle one last: it merges with a free block on both sides.
        for block in [large[0], large[2], large[1]] {
            heap.slab.deallocate(block)
            XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        }
        for block in small {
            heap.slab.deallocate(block)
            XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        }
        XCTAssertEqual(MisuseRecorder.kinds, [])
        // What went back serves a block of half the heap.
        XCTAssertNotNil(heap.slab.allocate(byteCount: heap.slab.statistics.capacity / 2, alignment: 8))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }
}

// These pin the release build's exact geometry.
#if !CAIRN_CHECKED
extension SlabAllocatorTests {
    func testFreedBlockIsReusedFirst() throws {
        let heap = try SlabFixture()
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        heap.slab.deallocate(a)
        XCTAssertEqual(heap.slab.allocate(byteCount: 24, alignment: 8), a)
    }

    func testBlocksOfOneClassShareAPageUntilItIsFull() throws {
        let heap = try SlabFixture(pageSize: 256)
        let sizeClass = Int(try XCTUnwrap(heap.slab.sizeClass(for: 32, alignment: 4)))
        let perPage = try XCTUnwrap(heap.slab.statistics(ofClass: sizeClass)).blocksPerPage
        XCTAssertEqual(perPage, (256 - 20) / 32)
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<perPage { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 4))) }
        let pages = Set(blocks.map { heap.page(of: $0) })
        XCTAssertEqual(pages.count, 1)
        XCTAssertEqual(heap.slab.statistics(ofClass: sizeClass)?.blocksInUse, perPage)
        let next = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 4))
        XCTAssertFalse(pages.contains(heap.page(of: next)))
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
    }

    func testEmptyClassPagesGoBackToTheFitHeapForOtherClasses() throws {
        let heap = try SlabFixture(bytes: 8 * 256 + 1024, pageSize: 256, largestClass: 128)
        let small = Int(try XCTUnwrap(heap.slab.sizeClass(for: 64, alignment: 4)))
        let blocks = heap.fill(byteCount: 64)
        XCTAssertGreaterThan(heap.slab.statistics.classPages, 2)
        for block in blocks { heap.slab.deallocate(block) }
        // The class keeps at most its cache page and one empty page; every
        // other page, and every block the fit heap served, is free again.
        var stats = heap.slab.statistics
        XCTAssertLessThanOrEqual(stats.classPages, 2)
        XCTAssertEqual(stats.freeBytes, stats.capacity - stats.classPages * 256)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // Another class gets all of it, the kept pages too once the heap runs dry.
        let large = heap.fill(byteCount: 128)
        XCTAssertFalse(large.isEmpty)
        stats = heap.slab.statistics
        XCTAssertEqual(heap.slab.statistics(ofClass: small)?.pages, 0)
        XCTAssertLessThan(stats.largestFreeBlock, SlabFixture.fitBlockBytes(forRequest: 128))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testAnEmptiedClassPageGoesBackToTheFitHeapAndMergesWithItsNeighbours() throws {
        let heap = try SlabFixture(bytes: 16 * 1024)
        // 256-byte blocks, three to a page: twelve class pages side by side.
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<36 { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8))) }
        XCTAssertEqual(heap.slab.statistics.classPages, 12)
        XCTAssertEqual(Set(blocks.map { heap.page(of: $0) }).count, 12)
        for block in blocks { heap.slab.deallocate(block) }
        // The class keeps its cache page (the last) and its first emptied
        // page (the first); the ten between went back and merged.
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertEqual(heap.slab.statistics.largestFreeBlock, 10 * heap.slab.pageSize)
        // So a block that needs all ten pages fits there without taking
        // the kept pages back.
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 10 * heap.slab.pageSize - 4, alignment: 8))
        XCTAssertEqual(large.address, heap.slab.pageAddress(heap.page(of: blocks[3])))
        XCTAssertEqual(heap.slab.statistics.classPages, 2)
        XCTAssertEqual(heap.slab.statistics.outOfMemoryCount, 0)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testOneEmptyPageIsKeptPerClassSoAPairAtAPageBoundaryDoesNotChurn() throws {
        let heap = try SlabFixture(pageSize: 256)
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 16, alignment: 4))
        let page = heap.page(of: block)
        let state = heap.slab.pageState(page)
        heap.slab.deallocate(block)
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        for _ in 0..<100 {
            let again = try XCTUnwrap(heap.slab.allocate(byteCount: 16, alignment: 4))
            XCTAssertEqual(again, block)
            heap.slab.deallocate(again)
            // Still the class's page: it did not go back to the fit heap.
            XCTAssertEqual(heap.slab.pageState(page), state)
        }
        XCTAssertEqual(heap.slab.statistics.classPages, 1)
        XCTAssertEqual(heap.slab.statistics.bytesInUse, 256)
        XCTAssertEqual(heap.slab.statistics.peakBytesInUse, 256)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testALargeBlockIsOneFitHeapBlockAndFreeingItGivesEveryByteBack() throws {
        let heap = try SlabFixture()
        let capacity = heap.slab.statistics.capacity
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        // A 4-byte header, 8-byte granularity: 3008 bytes, 3004 of them usable.
        XCTAssertEqual(heap.slab.usableSize(of: block), 3004)
        XCTAssertEqual(heap.slab.pageState(heap.page(of: block)), PageDescriptor.notClassPage)
        var stats = heap.slab.statistics
        XCTAssertEqual(stats.largeBlocks, 1)
        XCTAssertEqual(stats.classPages, 0)
        XCTAssertEqual(stats.bytesInUse, 3008)
        XCTAssertEqual(stats.bytesReserved, 3004)
        XCTAssertEqual(stats.freeBytes, capacity - 3008)
        heap.slab.deallocate(block)
        stats = heap.slab.statistics
        XCTAssertEqual(stats.largeBlocks, 0)
        XCTAssertEqual(stats.bytesInUse, 0)
        XCTAssertEqual(stats.freeBytes, capacity)
        XCTAssertEqual(stats.largestFreeBlock, capacity)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testFreedLargeBlocksMergeWithBothNeighbours() throws {
        let heap = try SlabFixture(bytes: 32 * 1024)
        let capacity = heap.slab.statistics.capacity
        let (low, middle, high) = try heap.threeAdjacentLargeBlocks(byteCount: 2048)
        heap.slab.deallocate(low)
        heap.slab.deallocate(high)
        XCTAssertEqual(heap.slab.statistics.freeBytes, capacity - 2056)
        XCTAssertLessThan(heap.slab.statistics.largestFreeBlock, capacity - 2056)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.deallocate(middle)
        XCTAssertEqual(heap.slab.statistics.largestFreeBlock, capacity)
        // One block again: the whole heap fits in it.
        XCTAssertNotNil(heap.slab.allocate(byteCount: capacity - 4, alignment: 8))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testTheWholeArenaIsOneBlockAfterEverythingIsFreed() throws {
        let heap = try SlabFixture(bytes: 16 * 1024, pageSize: 256, largestClass: 128)
        let capacity = heap.slab.statistics.capacity
        var blocks: [UnsafeMutableRawPointer] = []
        for size in stride(from: UInt(1), through: 128, by: 7) {
            blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: size, alignment: 4)))
        }
        blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 1000, alignment: 4)))
        for block in blocks { heap.slab.deallocate(block) }
        // Classes keep empty pages; a request for everything must get them back.
        XCTAssertGreaterThan(heap.slab.statistics.classPages, 0)
        let whole = try XCTUnwrap(heap.slab.allocate(byteCount: capacity - 4, alignment: 8))
        XCTAssertEqual(heap.slab.usableSize(of: whole), capacity - 4)
        XCTAssertEqual(heap.slab.statistics.classPages, 0)
        XCTAssertNil(heap.slab.allocate(byteCount: 1, alignment: 1))
        heap.slab.deallocate(whole)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testExhaustionReturnsNilCountsAndRecovers() throws {
        let heap = try SlabFixture(bytes: 8 * 1024, pageSize: 256, largestClass: 128)
        var blocks = heap.fill(byteCount: 100, alignment: 4)
        XCTAssertEqual(heap.slab.statistics.outOfMemoryCount, 1)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertNil(heap.slab.allocate(byteCount: 5000, alignment: 4))
        XCTAssertEqual(heap.slab.statistics.outOfMemoryCount, 2)
        heap.slab.deallocate(blocks.removeLast())
        XCTAssertNotNil(heap.slab.allocate(byteCount: 100, alignment: 4))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testClassBlocksResizeInPlaceWithinTheirClass() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 17, alignment: 4))  // class 20
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 20))
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 1))
        XCTAssertFalse(heap.slab.resizeInPlace(block, byteCount: 21))
    }

    func testLargeBlocksShrinkInPlaceAndGrowIntoAFreeNeighbour() throws {
        let heap = try SlabFixture(bytes: 32 * 1024)
        let (block, next, after) = try heap.threeAdjacentLargeBlocks(byteCount: 4096)
        let inUse = heap.slab.statistics.bytesInUse
        // Shrinking gives the tail back to the fit heap.
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 1500))
        XCTAssertEqual(heap.slab.usableSize(of: block), 1500)
        XCTAssertEqual(heap.slab.statistics.bytesInUse, inUse - 4104 + 1504)
        // With the block after it live, it cannot grow past its old end.
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 4096))
        XCTAssertFalse(heap.slab.resizeInPlace(block, byteCount: 4104))
        XCTAssertEqual(heap.slab.usableSize(of: block), 4100)
        // Freed, that block is a free neighbour to grow into, up to the third.
        heap.slab.deallocate(next)
        XCTAssertTrue(heap.slab.resizeInPlace(block, byteCount: 8000))
        XCTAssertEqual(heap.slab.usableSize(of: block), 8004)
        XCTAssertEqual(heap.slab.statistics.bytesInUse, inUse - 4104 - 4104 + 8008)
        XCTAssertFalse(heap.slab.resizeInPlace(block, byteCount: 2 * 4104))
        XCTAssertEqual(heap.slab.usableSize(of: block), 8004)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.deallocate(block)
        heap.slab.deallocate(after)
        XCTAssertEqual(heap.slab.statistics.freeBytes, heap.slab.statistics.capacity)
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
        // Above the largest class: a fit-heap block of just the request
        // (4-byte header, 8-byte granule).
        let big = try XCTUnwrap(slab.allocate(byteCount: 97, alignment: 4))
        XCTAssertEqual(slab.usableSize(of: big), 100)
        XCTAssertEqual(slab.statistics.classPages, 1)
        XCTAssertEqual(slab.statistics.largeBlocks, 1)
        XCTAssertTrue(slab.checkIntegrity().isValid)
    }

    func testClassBlocksCarryNoHeaderAndMetadataIsOnlyTablesAndTheFitHeapControlBlock() throws {
        let heap = try SlabFixture(bytes: 64 * 1024)
        // Blocks of a class lie back to back.
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 64, alignment: 8))
        let b = try XCTUnwrap(heap.slab.allocate(byteCount: 64, alignment: 8))
        XCTAssertEqual(b.address, a.address + 64)
        // The region loses the class records, the three size→class maps,
        // one state byte per page and the fit heap's control block, plus
        // alignment (the maps to 4, the fit heap to 8, its first payload
        // to 16 after a header) and the fit heap's sentinel.
        let stats = heap.slab.statistics
        let classes = UInt(heap.slab.sizeClassCount) * 16
        let maps: UInt = (512 / 4 + 1) + (512 / 8 + 1) + (512 / 16 + 1)
        let control = heap.slab.fit.statistics.controlBlockBytes
        let overhead = UInt(heap.region.buffer.count) - stats.capacity
        XCTAssertLessThanOrEqual(overhead, classes + maps + stats.pageCount + control + 3 + 7 + (15 + 4) + 4)
        XCTAssertGreaterThanOrEqual(overhead, classes + maps + stats.pageCount + control + 4)
    }

    func testStatisticsFollowAllocationsAndPeak() throws {
        let heap = try SlabFixture(pageSize: 256)
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 10, alignment: 4))   // class 12
        let b = try XCTUnwrap(heap.slab.allocate(byteCount: 100, alignment: 4))  // class 112
        let c = try XCTUnwrap(heap.slab.allocate(byteCount: 700, alignment: 4))  // a 704-byte fit block
        var stats = heap.slab.statistics
        XCTAssertEqual(stats.liveBlocks, 2)
        XCTAssertEqual(stats.largeBlocks, 1)
        XCTAssertEqual(stats.classPages, 2)
        XCTAssertEqual(stats.bytesReserved, 12 + 112 + 700)
        XCTAssertEqual(stats.bytesInUse, 2 * 256 + 704)
        XCTAssertEqual(stats.peakBytesInUse, 2 * 256 + 704)
        heap.slab.deallocate(a); heap.slab.deallocate(b); heap.slab.deallocate(c)
        stats = heap.slab.statistics
        XCTAssertEqual(stats.liveBlocks, 0)
        XCTAssertEqual(stats.largeBlocks, 0)
        XCTAssertEqual(stats.bytesReserved, 0)
        XCTAssertEqual(stats.classPages, 2)  // each class keeps its empty page
        XCTAssertEqual(stats.bytesInUse, 2 * 256)
        XCTAssertEqual(stats.peakBytesInUse, 2 * 256 + 704)
    }

    func testResizeOrMeasureValidatesOnceAndAnswersLikeTheTwoQueries() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 17, alignment: 8))
        let usable = try XCTUnwrap(heap.slab.usableSize(of: UnsafeRawPointer(block)))
        XCTAssertEqual(heap.slab.resizeOrMeasure(block, byteCount: usable), .resized)
        XCTAssertEqual(heap.slab.resizeOrMeasure(block, byteCount: usable + 1), .mustMove(preserving: usable))
        let (large, next, _) = try heap.threeAdjacentLargeBlocks(byteCount: 2000)
        let largeUsable = try XCTUnwrap(heap.slab.usableSize(of: large))
        XCTAssertEqual(heap.slab.resizeOrMeasure(large, byteCount: largeUsable), .resized)
        XCTAssertEqual(heap.slab.resizeOrMeasure(large, byteCount: largeUsable + 1), .mustMove(preserving: largeUsable))
        XCTAssertEqual(heap.slab.usableSize(of: large), largeUsable)
        heap.slab.deallocate(next)
        heap.slab.deallocate(block)
        XCTAssertEqual(heap.slab.resizeOrMeasure(block, byteCount: 1), .notLive)
        XCTAssertEqual(heap.slab.resizeOrMeasure(large + 8, byteCount: 1), .notLive)
        // The two queries the default answers with agree for the slab.
        XCTAssertEqual(heap.slab.bytesToPreserve(from: large), largeUsable)
        XCTAssertNil(heap.slab.bytesToPreserve(from: block))
        // A block found live is freed without its tests, as a plain free
        // would free it: back on its list, counted free, heap intact.
        let other = try XCTUnwrap(heap.slab.allocate(byteCount: 17, alignment: 8))
        let live = heap.slab.statistics.liveBlocks
        heap.slab.deallocate(knownLive: other, caller: 0)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, live - 1)
        XCTAssertEqual(heap.slab.allocate(byteCount: 17, alignment: 8), other)
        let second = try XCTUnwrap(heap.slab.allocate(byteCount: 5000, alignment: 8))
        let largeBlocks = heap.slab.statistics.largeBlocks
        heap.slab.deallocate(knownLive: second, caller: 0)
        XCTAssertEqual(heap.slab.statistics.largeBlocks, largeBlocks - 1)
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
