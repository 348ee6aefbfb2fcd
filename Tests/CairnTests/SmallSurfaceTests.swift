import XCTest
@testable import Cairn

/// The small pieces of the public surface: ownership, derived statistics,
/// allocators that report misuse before they have memory.
final class SmallSurfaceTests: MisuseRecordingTestCase {
    func testOwnsTellsArenaPointersFromOthers() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 10, alignment: 8))
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 5000, alignment: 8))
        XCTAssertTrue(heap.slab.owns(block))
        XCTAssertTrue(heap.slab.owns(large))
        XCTAssertTrue(heap.slab.owns(large + 4999))
        var local = 0
        XCTAssertFalse(heap.slab.owns(&local))
        // The arena ends with the region here (64 KiB, page-aligned).
        XCTAssertFalse(heap.slab.owns(heap.region.buffer.baseAddress! + heap.region.buffer.count))
    }

    func testBytesInUseAndPeakCountFitHeapBlocksWithTheirHeaders() throws {
        let heap = try SlabFixture()
        // A class page is one page of the fit heap; a large block its
        // request, its header and the round-up to 8 bytes.
        let small = try XCTUnwrap(heap.slab.allocate(byteCount: 10, alignment: 8))
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 5000, alignment: 8))
        let largeBytes = SlabFixture.fitBlockBytes(forRequest: 5000)
        let stats = heap.slab.statistics
        XCTAssertEqual(stats.bytesInUse, 1024 + largeBytes)
        XCTAssertEqual(stats.peakBytesInUse, 1024 + largeBytes)
        XCTAssertEqual(stats.freeBytes, stats.capacity - 1024 - largeBytes)
        heap.slab.deallocate(large)
        // The class keeps its emptied page (see SlabCacheTests).
        heap.slab.deallocate(small)
        heap.releaseQuarantine()
        XCTAssertEqual(heap.slab.statistics.bytesInUse, 1024)
        XCTAssertEqual(heap.slab.statistics.peakBytesInUse, 1024 + largeBytes)
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
}
