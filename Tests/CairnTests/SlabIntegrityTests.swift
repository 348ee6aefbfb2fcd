import XCTest
@testable import Cairn

/// The integrity check finds each kind of corruption a stray write can cause.
final class SlabIntegrityTests: XCTestCase {
    override func setUp() { MisuseRecorder.reset() }

    func testFreshAndBusyHeapsAreValid() throws {
        let heap = try SlabFixture()
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        for size in stride(from: UInt(0), to: 3000, by: 37) { _ = heap.slab.allocate(byteCount: size, alignment: 8) }
        let report = heap.slab.checkIntegrity()
        XCTAssertTrue(report.isValid, "\(String(describing: report.problem)) at page \(report.page)")
        XCTAssertEqual(report.freePages + report.classPages + report.runPages, heap.slab.statistics.pageCount)
    }

    func testWriteAfterFreeIsFound() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        heap.slab.deallocate(block)
        block.storeBytes(of: 0xDEAD_BEEF, toByteOffset: 4, as: UInt32.self)
        let report = heap.slab.checkIntegrity()
        XCTAssertEqual(report.problem, .freeBlockOverwritten)
        XCTAssertEqual(report.page, Int((block.address - heap.slab.arenaBase) >> heap.slab.pageShift))
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
        b.storeBytes(of: badLink ^ SlabAllocator.freeMark, toByteOffset: 4, as: UInt32.self)
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .freeListLink)
    }
    #endif

    func testCorruptDescriptorIsFound() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        let page = (block.address - heap.slab.arenaBase) >> heap.slab.pageShift
        heap.slab.descriptor(page).pointee.used = 7
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .blockCount)
        heap.slab.descriptor(page).pointee.used = 1
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        heap.slab.descriptor(page).pointee.state = 200
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .unknownPageState)
    }

    func testBrokenSpanBookkeepingIsFound() throws {
        let heap = try SlabFixture()
        heap.slab.nonEmptyBins = 0
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .spanBins)
    }

    func testWrongPageAccountingIsFound() throws {
        let heap = try SlabFixture()
        _ = try XCTUnwrap(heap.slab.allocate(byteCount: 32, alignment: 8))
        heap.slab.pagesInUse += 1
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .pageAccounting)
    }
}
