import XCTest
@testable import Cairn

#if CAIRN_CHECKED
/// The checked build catches overflow, write after free and double free in
/// quarantine, and names the block and its class.
final class CheckedBuildTests: XCTestCase {
    override func setUp() { MisuseRecorder.reset() }

    func testUsableSizeIsTheRequestedSize() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 13, alignment: 8))
        XCTAssertEqual(heap.slab.usableSize(of: block), 13)
        let run = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        XCTAssertEqual(heap.slab.usableSize(of: run), 3000)
    }

    func testWritePastTheEndIsReportedOnFreeWithAddressAndClass() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 20, alignment: 8))
        block.storeBytes(of: UInt8(0), toByteOffset: 20, as: UInt8.self)  // one byte too far
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .blockCanary)
        heap.slab.deallocate(block, caller: 0xC0DE)
        let report = try XCTUnwrap(MisuseRecorder.reports.first)
        XCTAssertEqual(report.kind, .bufferOverflow)
        XCTAssertEqual(report.address, block.address)
        XCTAssertEqual(report.blockSize, heap.slab.blockSize(ofClass: report.sizeClass))
        XCTAssertEqual(report.caller, 0xC0DE)
    }

    func testWritePastTheEndOfAPageRunIsReported() throws {
        let heap = try SlabFixture()
        let run = try XCTUnwrap(heap.slab.allocate(byteCount: 2000, alignment: 8))
        run.storeBytes(of: UInt8(1), toByteOffset: 2001, as: UInt8.self)
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .blockCanary)
    }

    func testTrailerSmashedByALongOverflowIsReported() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 60, alignment: 8))  // class 64
        block.initializeMemory(as: UInt8.self, repeating: 0x41, count: 64)
        heap.slab.deallocate(block)
        XCTAssertEqual(MisuseRecorder.kinds, [.bufferOverflow])
    }

    func testWriteAfterFreeIsReportedWhenTheBlockLeavesQuarantine() throws {
        let heap = try SlabFixture()
        let victim = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        heap.slab.deallocate(victim)
        victim.storeBytes(of: UInt32(7), toByteOffset: 12, as: UInt32.self)  // dangling write
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .freeBlockOverwritten)
        // Push it out of the quarantine with other frees.
        for _ in 0..<heap.slab.quarantineSlots {
            heap.slab.deallocate(try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8)))
        }
        XCTAssertEqual(MisuseRecorder.kinds, [.writeAfterFree])
        XCTAssertEqual(MisuseRecorder.reports.first?.address, victim.address)
    }

    func testDoubleFreeWhileInQuarantineIsReported() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        heap.slab.deallocate(block)
        heap.slab.deallocate(block)
        XCTAssertEqual(MisuseRecorder.kinds, [.doubleFree])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testQuarantineDelaysReuse() throws {
        let heap = try SlabFixture()
        let first = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        heap.slab.deallocate(first)
        var seen: [UnsafeMutableRawPointer] = []
        for _ in 0..<heap.slab.quarantineSlots { seen.append(try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))) }
        XCTAssertFalse(seen.contains(first))
        XCTAssertEqual(heap.slab.statistics.liveBlocks, heap.slab.quarantineSlots)
    }

    func testQuarantineIsEmptiedWhenMemoryRunsOut() throws {
        let heap = try SlabFixture(bytes: 8 * 1024, pageSize: 256, largestClass: 128)
        var blocks: [UnsafeMutableRawPointer] = []
        while let block = heap.slab.allocate(byteCount: 100, alignment: 4) { blocks.append(block) }
        let count = blocks.count
        for block in blocks { heap.slab.deallocate(block) }
        blocks.removeAll()
        while let block = heap.slab.allocate(byteCount: 100, alignment: 4) { blocks.append(block) }
        XCTAssertEqual(blocks.count, count)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }
}
#endif

#if CAIRN_CHECKED
extension CheckedBuildTests {
    func testWritePastTheEndOfAPageRunIsReportedOnFreeAndTheRunStaysAllocated() throws {
        let heap = try SlabFixture()
        let run = try XCTUnwrap(heap.slab.allocate(byteCount: 5000, alignment: 8))
        run.storeBytes(of: UInt8(0x42), toByteOffset: 5000, as: UInt8.self)
        heap.slab.deallocate(run)
        XCTAssertEqual(MisuseRecorder.kinds, [.bufferOverflow])
        XCTAssertEqual(MisuseRecorder.reports.first?.address, run.address)
        XCTAssertEqual(heap.slab.statistics.largeRuns, 1)
    }
}
#endif

#if CAIRN_CHECKED
extension CheckedBuildTests {
    func testRequestedBytesFollowAllocationsResizesAndFrees() throws {
        let heap = try SlabFixture()
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 0)
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 13, alignment: 8))
        let run = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 3013)
        XCTAssertTrue(heap.slab.resizeInPlace(a, byteCount: 5))
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 3005)
        heap.slab.deallocate(run)
        heap.slab.deallocate(a)
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 0)
        XCTAssertEqual(MisuseRecorder.kinds, [])
    }
}
#else
extension SlabAllocatorTests {
    func testRequestedBytesAreUnknownInTheReleaseBuild() throws {
        let heap = try SlabFixture()
        _ = heap.slab.allocate(byteCount: 13, alignment: 8)
        XCTAssertNil(heap.slab.statistics.bytesRequested)
    }
}
#endif

#if CAIRN_CHECKED
extension CheckedBuildTests {
    func testWriteIntoAFreedPageRunIsReportedWhenItsPagesAreTakenAgain() throws {
        let heap = try SlabFixture()
        let run = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        heap.slab.deallocate(run)
        run.storeBytes(of: UInt8(0x42), toByteOffset: 100, as: UInt8.self)  // dangling write
        _ = heap.slab.allocate(byteCount: 3000, alignment: 8)
        XCTAssertEqual(MisuseRecorder.kinds, [.writeAfterFree])
        XCTAssertEqual(MisuseRecorder.reports.first?.address, run.address)
    }
}
#endif
