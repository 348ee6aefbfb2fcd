import XCTest
@testable import Cairn

/// The integrity check finds each kind of corruption a stray write can cause.
final class SlabIntegrityTests: MisuseRecordingTestCase {
    func testFreshAndBusyHeapsAreValidAndTheWalkCountsWhatWasAllocated() throws {
        let heap = try SlabFixture()
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        var allocated: UInt = 0
        for size in stride(from: UInt(0), to: 3000, by: 37) where heap.slab.allocate(byteCount: size, alignment: 8) != nil {
            allocated += 1
        }
        let report = heap.slab.checkIntegrity()
        XCTAssertTrue(report.isValid, "\(String(describing: report.problem)) at page \(report.page)")
        let stats = heap.slab.statistics
        XCTAssertGreaterThan(report.classPages, 0)
        XCTAssertGreaterThan(report.largeBlocks, 0)
        XCTAssertEqual(report.liveBlocks + report.largeBlocks, allocated)
        XCTAssertEqual(report.classPages, stats.classPages)
        XCTAssertEqual(report.largeBlocks, stats.largeBlocks)
        XCTAssertEqual(report.liveBlocks, stats.liveBlocks)
    }

    func testWriteAfterFreeIsFound() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        heap.slab.deallocate(block)
        block.storeBytes(of: 0xDEAD_BEEF, toByteOffset: 4, as: UInt32.self)
        let report = heap.slab.checkIntegrity()
        XCTAssertEqual(report.problem, .freeBlockOverwritten)
        XCTAssertEqual(report.page, Int(heap.page(of: block)))
    }

    #if !CAIRN_CHECKED  // (a checked build keeps these blocks in quarantine, off the list)
    func testCorruptFreeListLinkIsFound() throws {
        let heap = try SlabFixture()
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        let b = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        heap.slab.deallocate(a)
        heap.slab.deallocate(b)
        // Point b's link at an interior address, and keep its free mark
        // consistent so that only the link is wrong.
        let badLink = b.load(as: UInt32.self) &+ 4
        b.storeBytes(of: badLink, as: UInt32.self)
        b.storeBytes(of: badLink ^ heap.slab.linkKey, toByteOffset: 4, as: UInt32.self)
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .freeListLink)
    }
    #endif

    func testCorruptDescriptorOrPageStateIsFound() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        let page = heap.page(of: block)
        heap.slab.descriptor(page).pointee.used = 7
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .blockCount)
        heap.slab.descriptor(page).pointee.used = 1
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        let state = heap.slab.pageState(page)
        heap.slab.setPageState(page, 200)
        let report = heap.slab.checkIntegrity()
        XCTAssertEqual(report.problem, .unknownPageState)
        XCTAssertEqual(report.page, Int(page))
        heap.slab.setPageState(page, state)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testAPageStateNamingAClassForAPageThatIsNotAClassPageIsFound() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        let classPage = heap.page(of: block)
        let state = heap.slab.pageState(classPage)
        // A page of free memory.
        let free = classPage + 4
        XCTAssertEqual(heap.slab.pageState(free), PageDescriptor.notClassPage)
        heap.slab.setPageState(free, state)
        var report = heap.slab.checkIntegrity()
        XCTAssertEqual(report.problem, .classPageBlock)
        XCTAssertEqual(report.page, Int(free))
        heap.slab.setPageState(free, PageDescriptor.notClassPage)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // A page-aligned large block: a live fit block starting at the page,
        // but three pages long, not one.
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: heap.slab.pageSize))
        let largePage = heap.page(of: large)
        XCTAssertEqual(large.address, heap.slab.pageAddress(largePage))
        heap.slab.setPageState(largePage, state)
        report = heap.slab.checkIntegrity()
        XCTAssertEqual(report.problem, .classPageBlock)
        XCTAssertEqual(report.page, Int(largePage))
        heap.slab.setPageState(largePage, PageDescriptor.notClassPage)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testACorruptFitHeaderIsFound() throws {
        let heap = try SlabFixture()
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        // A stray write just before a large block: its header now says it
        // is 8 bytes longer, so the walk no longer meets the next header.
        let header = large - 4
        let word = header.load(as: UInt32.self)
        header.storeBytes(of: word + 8, as: UInt32.self)
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .fitHeap)
        // Or that it is free.
        header.storeBytes(of: word & ~1, as: UInt32.self)
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .fitHeap)
        header.storeBytes(of: word, as: UInt32.self)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testWrongPageOrByteAccountingIsFound() throws {
        let heap = try SlabFixture()
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        heap.slab.pagesInUse += 1
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .pageAccounting)
        heap.slab.pagesInUse -= 1
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.bytesInUse += 8
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .pageAccounting)
    }
}
