import XCTest
@testable import Cairn

/// Bad frees are reported with what, where and which class, and change nothing.
final class SlabMisuseTests: MisuseRecordingTestCase {
    func testDoubleFreeOfTheLastFreedBlockIsReported() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 40, alignment: 8))
        heap.slab.deallocate(block)
        heap.slab.deallocate(block, caller: 0x1234)
        XCTAssertEqual(MisuseRecorder.kinds, [.doubleFree])
        XCTAssertEqual(MisuseRecorder.reports.first?.address, block.address)
        let report = try XCTUnwrap(MisuseRecorder.reports.first)
        XCTAssertEqual(report.blockSize, heap.slab.blockSize(ofClass: report.sizeClass))
        XCTAssertGreaterThanOrEqual(report.blockSize, 40)
        XCTAssertEqual(MisuseRecorder.reports.first?.caller, 0x1234)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testDoubleFreeDeepInTheFreeListIsReportedAndListsStayIntact() throws {
        let heap = try SlabFixture()
        let blocks = try (0..<10).map { _ in try XCTUnwrap(heap.slab.allocate(byteCount: 16, alignment: 8)) }
        for block in blocks { heap.slab.deallocate(block) }
        heap.slab.deallocate(blocks[2])
        XCTAssertEqual(MisuseRecorder.kinds, [.doubleFree])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        #if !CAIRN_CHECKED  // (a checked build holds some back in quarantine)
        // Every block comes back exactly once.
        let again = try (0..<10).map { _ in try XCTUnwrap(heap.slab.allocate(byteCount: 16, alignment: 8)) }
        XCTAssertEqual(Set(again.map(\.address)), Set(blocks.map(\.address)))
        #endif
    }

    func testLiveBlockHoldingTheFreePatternIsNotMistakenForFree() throws {
        let heap = try SlabFixture()
        let other = try XCTUnwrap(heap.slab.allocate(byteCount: 16, alignment: 8))
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 16, alignment: 8))
        // The user writes exactly what a free block would hold.
        block.storeBytes(of: UInt32(0x10), as: UInt32.self)
        block.storeBytes(of: UInt32(0x10) ^ heap.slab.linkKey, toByteOffset: 4, as: UInt32.self)
        heap.slab.deallocate(block)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        heap.slab.deallocate(other)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testInteriorPointerIsReportedAsNotABlockStart() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 48, alignment: 8))
        heap.slab.deallocate(block + 4)
        heap.slab.deallocate(block + 47)
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart, .notBlockStart])
        XCTAssertEqual(MisuseRecorder.reports.first?.blockSize, 48 + SlabAllocator.blockOverhead == 52 ? 56 : 48)
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 1)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testPointerPastTheCarvedBlocksIsReported() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 8, alignment: 8))
        // The next 8-byte block of the page was never handed out.
        heap.slab.deallocate(block + 8)
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testPointersOutsideTheArenaAreForeign() throws {
        let heap = try SlabFixture()
        var local = 0
        heap.slab.deallocate(&local)
        heap.slab.deallocate(heap.region.buffer.baseAddress!)  // metadata, below the pages
        let end = heap.region.buffer.baseAddress! + heap.region.buffer.count
        heap.slab.deallocate(end)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer, .foreignPointer, .foreignPointer])
        XCTAssertEqual(heap.slab.statistics.misuseCount, 3)
    }

    func testTheHookFreeLetsNullGoAndReportsOtherForeignAddresses() throws {
        let heap = try SlabFixture()
        heap.slab.deallocate(address: 0, caller: 0x1234)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        heap.slab.deallocate(address: 8, caller: 0x1234)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer])
        XCTAssertEqual(MisuseRecorder.reports.first?.caller, 0x1234)
        var unconfigured = SlabAllocator(misuseHandler: MisuseRecorder.handler)
        unconfigured.deallocate(address: 0, caller: 0)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer])
    }

    func testALargeBlockOverFormerClassPagesReportsFreesIntoItsInterior() throws {
        let heap = try SlabFixture(bytes: 16 * 1024)
        // Class pages of two classes, then all of them back to the fit heap.
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<12 { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 256, alignment: 8))) }
        for _ in 0..<40 { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 64, alignment: 8))) }
        let classPages = Set(blocks.map { heap.page(of: $0) })
        for block in blocks { heap.slab.deallocate(block) }
        // One block of the whole fit heap (the kept pages are taken back
        // for it): it covers the former class pages.
        let capacity = heap.slab.statistics.capacity
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: capacity - 4 - SlabAllocator.blockOverhead, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.classPages, 0)
        XCTAssertLessThan(large.address, heap.slab.pageAddress(try XCTUnwrap(classPages.min())))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // Frees at the former pages' starts and at a former block in each.
        for page in classPages.sorted() {
            heap.slab.deallocate(address: heap.slab.pageAddress(page), caller: 0)
            heap.slab.deallocate(address: heap.slab.pageAddress(page) + 64, caller: 0)
        }
        XCTAssertEqual(MisuseRecorder.kinds, Array(repeating: .notBlockStart, count: 2 * classPages.count))
        XCTAssertEqual(heap.slab.statistics.largeBlocks, 1)
        heap.slab.deallocate(large)
        XCTAssertEqual(MisuseRecorder.reports.count, 2 * classPages.count)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testFreeInsideALargeBlockOrOfAFreedOneIsReportedByKind() throws {
        let heap = try SlabFixture()
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        let after = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        heap.slab.deallocate(large + 1024)  // 8-aligned, inside
        heap.slab.deallocate(large + 10)    // not even 8-aligned
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart, .notBlockStart])
        XCTAssertEqual(heap.slab.statistics.largeBlocks, 2)
        heap.slab.deallocate(large)
        heap.slab.deallocate(large)         // a free fit block now
        heap.slab.deallocate(large + 2048)  // inside that free block
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart, .notBlockStart, .doubleFree, .notBlockStart])
        // Large blocks belong to no class.
        XCTAssertEqual(MisuseRecorder.reports.map(\.sizeClass), [-1, -1, -1, -1])
        XCTAssertEqual(MisuseRecorder.reports.map(\.address),
                       [large.address + 1024, large.address + 10, large.address, large.address + 2048])
        XCTAssertEqual(heap.slab.statistics.largeBlocks, 1)
        XCTAssertEqual(heap.slab.statistics.misuseCount, 4)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.deallocate(after)
        heap.releaseQuarantine()
        XCTAssertEqual(MisuseRecorder.reports.count, 4)
        XCTAssertEqual(heap.slab.statistics.freeBytes, heap.slab.statistics.capacity)
    }

    func testFreeIntoAClassPageThatWentBackToTheFitHeapIsReported() throws {
        let heap = try SlabFixture(pageSize: 256)
        // Three pages of 64-byte blocks (three to a 256-byte page).
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<9 { blocks.append(try XCTUnwrap(heap.slab.allocate(byteCount: 64 - SlabAllocator.blockOverhead, alignment: 8))) }
        XCTAssertEqual(Set(blocks.map { heap.page(of: $0) }).count, 3)
        for block in blocks { heap.slab.deallocate(block) }
        // A request nothing can meet takes every kept page back (and, in a
        // checked build, empties the quarantine first): the pages merge
        // into the free memory around them.
        XCTAssertNil(heap.slab.allocate(byteCount: heap.slab.statistics.capacity, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.classPages, 0)
        XCTAssertEqual(heap.slab.statistics.largestFreeBlock, heap.slab.statistics.capacity)
        // blocks[4] sat half-way into the second page; blocks[3] at its start.
        heap.slab.deallocate(blocks[4])
        heap.slab.deallocate(blocks[3])
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart, .notBlockStart])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testReallocOfAFreedBlockIsReportedAndReturnsNil() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        heap.slab.deallocate(block)
        XCTAssertNil(CHeap.realloc(&heap.slab, block, byteCount: 100))
        XCTAssertEqual(MisuseRecorder.kinds, [.doubleFree])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }
}
