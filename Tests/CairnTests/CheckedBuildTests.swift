import XCTest
@testable import Cairn

#if CAIRN_CHECKED
/// The checked build catches overflow, write after free and double free in
/// quarantine, and names the block and its class.
final class CheckedBuildTests: MisuseRecordingTestCase {
    func testUsableSizeIsTheRequestedSize() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 13, alignment: 8))
        XCTAssertEqual(heap.slab.usableSize(of: block), 13)
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        XCTAssertEqual(heap.slab.usableSize(of: large), 3000)
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

    func testWritePastTheEndOfALargeBlockIsFoundByTheIntegrityCheck() throws {
        let heap = try SlabFixture()
        // 2001 bytes, the trailer and the 8-byte round-up leave 7 slack bytes.
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 2001, alignment: 8))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        large.storeBytes(of: UInt8(1), toByteOffset: 2001, as: UInt8.self)  // one byte too far
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
        XCTAssertEqual(heap.slab.quarantineCount, heap.slab.quarantineSlots)
        blocks.removeAll()
        while let block = heap.slab.allocate(byteCount: 100, alignment: 4) { blocks.append(block) }
        // Nothing stays held back: the quarantine went back to the pages,
        // and the heap serves at least as many blocks as the first time
        // (where each lies, a class page or the fit heap, may differ).
        XCTAssertEqual(heap.slab.quarantineCount, 0)
        XCTAssertGreaterThanOrEqual(blocks.count, count)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }
}
#endif

#if CAIRN_CHECKED
extension CheckedBuildTests {
    func testWritePastTheEndOfALargeBlockIsReportedOnFreeAndTheBlockStaysAllocated() throws {
        let heap = try SlabFixture()
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 5000, alignment: 8))
        large.storeBytes(of: UInt8(0x42), toByteOffset: 5000, as: UInt8.self)  // the trailer's first byte
        heap.slab.deallocate(large, caller: 0xC0DE)
        XCTAssertEqual(MisuseRecorder.kinds, [.bufferOverflow])
        let report = try XCTUnwrap(MisuseRecorder.reports.first)
        XCTAssertEqual(report.address, large.address)
        XCTAssertEqual(report.sizeClass, -1)
        XCTAssertEqual(report.caller, 0xC0DE)
        XCTAssertEqual(heap.slab.statistics.largeBlocks, 1)
    }

    func testWritePastTheEndOfAClassBlockServedByTheFitHeapIsReported() throws {
        let heap = try SlabFixture()
        let capacity = heap.slab.statistics.capacity
        _ = heap.fillWithLargeBlocks(byteCount: 2000, untilFreeBytesBelow: capacity / 8)
        // No class may take a page: a 24-byte block is a fit block of its
        // own, with the same slack and trailer as a large one.
        let block = try XCTUnwrap(heap.slab.allocate(byteCount: 24, alignment: 8))
        XCTAssertFalse(heap.isInClassPage(block))
        XCTAssertEqual(heap.slab.usableSize(of: block), 24)
        block.storeBytes(of: UInt8(0), toByteOffset: 24, as: UInt8.self)
        XCTAssertEqual(heap.slab.checkIntegrity().problem, .blockCanary)
        heap.slab.deallocate(block)
        XCTAssertEqual(MisuseRecorder.kinds, [.bufferOverflow])
        XCTAssertEqual(MisuseRecorder.reports.first?.sizeClass, -1)
    }

    func testALargeBlockResizedInPlaceKeepsAValidCanary() throws {
        let heap = try SlabFixture()
        let (large, next, after) = try heap.threeAdjacentLargeBlocks(byteCount: 3000)
        heap.slab.deallocate(next)
        heap.releaseQuarantine()
        // Into the freed block after it (the write below needs the room).
        guard heap.slab.resizeInPlace(large, byteCount: 6000) else { return XCTFail("did not grow in place") }
        XCTAssertEqual(heap.slab.usableSize(of: large), 6000)
        large.initializeMemory(as: UInt8.self, repeating: 0x77, count: 6000)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertTrue(heap.slab.resizeInPlace(large, byteCount: 1000))
        XCTAssertEqual(heap.slab.usableSize(of: large), 1000)
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 1000 + 3000)
        heap.slab.deallocate(large)
        heap.slab.deallocate(after)
        heap.releaseQuarantine()
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertEqual(heap.slab.statistics.freeBytes, heap.slab.statistics.capacity)
    }
}
#endif

#if CAIRN_CHECKED
extension CheckedBuildTests {
    func testRequestedBytesFollowAllocationsResizesAndFrees() throws {
        let heap = try SlabFixture()
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 0)
        let a = try XCTUnwrap(heap.slab.allocate(byteCount: 13, alignment: 8))
        let large = try XCTUnwrap(heap.slab.allocate(byteCount: 3000, alignment: 8))
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 3013)
        XCTAssertTrue(heap.slab.resizeInPlace(a, byteCount: 5))
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 3005)
        XCTAssertTrue(heap.slab.resizeInPlace(large, byteCount: 2000))
        XCTAssertEqual(heap.slab.statistics.bytesRequested, 2005)
        heap.slab.deallocate(large)
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
