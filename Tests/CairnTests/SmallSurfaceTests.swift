import XCTest
@testable import Cairn

/// The small pieces of the public surface: ownership, derived statistics,
/// allocators that report misuse before they have memory.
final class SmallSurfaceTests: XCTestCase {
    override func setUp() { MisuseRecorder.reset() }

    func testOwnsTellsArenaPointersFromOthers() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 10, alignment: 8))
        XCTAssertTrue(heap.slab.owns(block))
        var local = 0
        XCTAssertFalse(heap.slab.owns(&local))
        XCTAssertFalse(heap.slab.owns(heap.region.buffer.baseAddress!))  // metadata, not arena
    }

    func testBytesInUseAndPeakAreWholePages() throws {
        let heap = try SlabFixture()
        let run = try XCTUnwrap(heap.slab.allocate(byteCount: 5000, alignment: 8))
        let stats = heap.slab.statistics
        XCTAssertEqual(stats.bytesInUse, 5 * 1024)
        XCTAssertEqual(stats.peakBytesInUse, 5 * 1024)
        heap.slab.deallocate(run)
        XCTAssertEqual(heap.slab.statistics.bytesInUse, 0)
        XCTAssertEqual(heap.slab.statistics.peakBytesInUse, 5 * 1024)
    }

    func testUnconfiguredAllocatorsReportMisuseToTheirHandler() {
        var slab = SlabAllocator(misuseHandler: MisuseRecorder.handler)
        var bump = BumpAllocator(misuseHandler: MisuseRecorder.handler)
        var local = 0
        slab.deallocate(&local, caller: 7)
        bump.deallocate(&local, caller: 8)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer, .foreignPointer])
        XCTAssertEqual(MisuseRecorder.reports.map(\.caller), [7, 8])
    }

    func testAnUnknownMisuseKindReadsAsForeignPointer() {
        let report = MisuseReport(rawKind: 200, address: 1, sizeClass: -1, blockSize: 0, caller: 0)
        XCTAssertEqual(report.kind, .foreignPointer)
    }

    func testTwoTouchingFreeSpansAreAnIntegrityProblem() throws {
        let heap = try SlabFixture(bytes: 16 * 1024)
        // Split the one free span in two by hand, without merging them.
        let pages = heap.slab.pageCount
        heap.slab.removeSpan(start: 0)
        heap.slab.insertSpan(start: 0, count: 2)
        heap.slab.insertSpan(start: 2, count: pages - 2)
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .unmergedSpans)
    }

    func testAStrayInteriorMarkIsAnIntegrityProblem() throws {
        let heap = try SlabFixture(bytes: 16 * 1024)
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        _ = block
        // Page 0 heads a 3-page run; say its head is an interior page instead.
        heap.slab.descriptor(0).pointee.state = PageDescriptor.largeRunInterior
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .unknownPageState)
    }
}
