import XCTest
@testable import Cairn

final class BumpAllocatorTests: MisuseRecordingTestCase {
    func testBlocksAreAlignedAndConsecutive() throws {
        let region = TestRegion(bytes: 256)
        var bump = BumpAllocator(region: region.buffer)
        let a = try XCTUnwrap(bump.allocate(byteCount: 3, alignment: 1))
        let b = try XCTUnwrap(bump.allocate(byteCount: 8, alignment: 8))
        let c = try XCTUnwrap(bump.allocate(byteCount: 1, alignment: 64))
        XCTAssertEqual(a.address, region.start)
        XCTAssertEqual(b.address, region.start + 8)
        XCTAssertEqual(c.address % 64, 0)
        XCTAssertEqual(bump.statistics.bytesInUse, c.address + 1 - region.start)
    }

    func testExhaustionReturnsNilAndIsCounted() throws {
        let region = TestRegion(bytes: 64)
        var bump = BumpAllocator(region: region.buffer)
        XCTAssertNotNil(bump.allocate(byteCount: 64, alignment: 1))
        XCTAssertNil(bump.allocate(byteCount: 1, alignment: 1))
        XCTAssertEqual(bump.statistics.failedRequests, 1)
        XCTAssertEqual(bump.statistics.bytesInUse, 64)
    }

    func testHugeSizesAndAlignmentsNeverWrap() {
        let region = TestRegion(bytes: 64)
        var bump = BumpAllocator(region: region.buffer)
        XCTAssertNil(bump.allocate(byteCount: UInt.max, alignment: 1))
        XCTAssertNil(bump.allocate(byteCount: UInt.max - 7, alignment: 8))
        XCTAssertNil(bump.allocate(byteCount: 1, alignment: UInt(1) << (UInt.bitWidth - 1)))
        XCTAssertNil(bump.allocate(byteCount: UInt(UInt32.max), alignment: 4))
        XCTAssertEqual(bump.statistics.failedRequests, 4)
        XCTAssertEqual(bump.statistics.bytesInUse, 0)
    }

    func testNonPowerOfTwoAlignmentIsRefused() {
        let region = TestRegion(bytes: 64)
        var bump = BumpAllocator(region: region.buffer)
        XCTAssertNil(bump.allocate(byteCount: 4, alignment: 3))
        XCTAssertNil(bump.allocate(byteCount: 4, alignment: 0))
    }

    func testZeroByteRequestsReturnDistinctPointers() throws {
        let region = TestRegion(bytes: 64)
        var bump = BumpAllocator(region: region.buffer)
        let a = try XCTUnwrap(bump.allocate(byteCount: 0, alignment: 1))
        let b = try XCTUnwrap(bump.allocate(byteCount: 0, alignment: 1))
        XCTAssertNotEqual(a, b)
    }

    func testFreeingTheNewestBlockRollsTheTopBack() throws {
        let region = TestRegion(bytes: 128)
        var bump = BumpAllocator(region: region.buffer)
        _ = try XCTUnwrap(bump.allocate(byteCount: 16, alignment: 8))
        let newest = try XCTUnwrap(bump.allocate(byteCount: 32, alignment: 8))
        bump.deallocate(newest)
        XCTAssertEqual(bump.statistics.bytesInUse, 16)
        XCTAssertEqual(bump.statistics.rollbacks, 1)
        let again = try XCTUnwrap(bump.allocate(byteCount: 32, alignment: 8))
        XCTAssertEqual(again, newest)
    }

    func testFreeingAnOlderBlockIsACountedNoOp() throws {
        let region = TestRegion(bytes: 128)
        var bump = BumpAllocator(region: region.buffer)
        let older = try XCTUnwrap(bump.allocate(byteCount: 16, alignment: 8))
        _ = try XCTUnwrap(bump.allocate(byteCount: 16, alignment: 8))
        bump.deallocate(older)
        XCTAssertEqual(bump.statistics.ignoredFrees, 1)
        XCTAssertEqual(bump.statistics.bytesInUse, 32)
        // A second free of the block already rolled back is also a no-op.
        let newest = try XCTUnwrap(bump.allocate(byteCount: 8, alignment: 8))
        bump.deallocate(newest)
        bump.deallocate(newest)
        XCTAssertEqual(bump.statistics.ignoredFrees, 2)
        XCTAssertEqual(bump.statistics.bytesInUse, 32)
    }

    func testForeignFreeIsReported() {
        let region = TestRegion(bytes: 64)
        var bump = BumpAllocator(region: region.buffer)
        bump.misuseHandler = MisuseRecorder.handler
        var local = 0
        bump.deallocate(&local)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer])
    }

    func testRewindToMarkFreesEverythingAfterIt() throws {
        let region = TestRegion(bytes: 256)
        var bump = BumpAllocator(region: region.buffer)
        let kept = try XCTUnwrap(bump.allocate(byteCount: 24, alignment: 8))
        let mark = bump.mark()
        _ = try XCTUnwrap(bump.allocate(byteCount: 100, alignment: 4))
        _ = try XCTUnwrap(bump.allocate(byteCount: 50, alignment: 16))
        XCTAssertTrue(bump.rewind(to: mark))
        XCTAssertEqual(bump.statistics.bytesInUse, 24)
        XCTAssertTrue(bump.owns(kept))
        // 24 + 100 = 124, aligned up to 128 for the 16-byte block, + 50.
        XCTAssertEqual(bump.statistics.peakBytesInUse, 128 + 50)
    }

    func testRewindToAStaleMarkIsRefusedAndReported() throws {
        let region = TestRegion(bytes: 256)
        var bump = BumpAllocator(region: region.buffer)
        bump.misuseHandler = MisuseRecorder.handler
        _ = try XCTUnwrap(bump.allocate(byteCount: 64, alignment: 8))
        let stale = bump.mark()
        bump.reset()
        XCTAssertFalse(bump.rewind(to: stale))
        XCTAssertEqual(bump.statistics.bytesInUse, 0)
        XCTAssertEqual(MisuseRecorder.kinds, [.invalidMark])
    }

    func testPeakSurvivesEveryWayTheTopGoesDown() throws {
        let region = TestRegion(bytes: 256)
        var bump = BumpAllocator(region: region.buffer)
        _ = try XCTUnwrap(bump.allocate(byteCount: 40, alignment: 8))
        let newest = try XCTUnwrap(bump.allocate(byteCount: 60, alignment: 4))
        XCTAssertEqual(bump.statistics.peakBytesInUse, 100)
        XCTAssertTrue(bump.resizeInPlace(newest, byteCount: 10))  // shrink
        XCTAssertEqual(bump.statistics.peakBytesInUse, 100)
        bump.deallocate(newest)  // roll back
        XCTAssertEqual(bump.statistics.bytesInUse, 40)
        XCTAssertEqual(bump.statistics.peakBytesInUse, 100)
        let grown = try XCTUnwrap(bump.allocate(byteCount: 50, alignment: 4))
        XCTAssertTrue(bump.resizeInPlace(grown, byteCount: 80))  // grows past the old peak
        XCTAssertEqual(bump.statistics.peakBytesInUse, 120)
        bump.reset()
        XCTAssertEqual(bump.statistics.peakBytesInUse, 120)
        // A zero-byte request still takes a byte of its own.
        let a = try XCTUnwrap(bump.allocate(byteCount: 0, alignment: 1))
        let b = try XCTUnwrap(bump.allocate(byteCount: 0, alignment: 1))
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(bump.statistics.bytesInUse, 2)
    }

    func testEdgesAnswerWithoutAHandlerOrARegion() throws {
        // No handler: a stale mark is still refused, silently.
        let region = TestRegion(bytes: 64)
        var bump = BumpAllocator(region: region.buffer)
        _ = try XCTUnwrap(bump.allocate(byteCount: 8, alignment: 8))
        let stale = bump.mark()
        bump.reset()
        XCTAssertFalse(bump.rewind(to: stale))
        // Nothing below the top to copy from a pointer the arena does not own.
        var local = 0
        XCTAssertEqual(bump.bytesBelowTop(from: &local), 0)
        // An empty region (no base address) leaves the allocator unconfigured.
        var empty = BumpAllocator(region: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        XCTAssertFalse(empty.isConfigured)
        XCTAssertNil(empty.allocate(byteCount: 1, alignment: 1))
    }

    func testResetMakesTheWholeArenaAvailable() throws {
        let region = TestRegion(bytes: 128)
        var bump = BumpAllocator(region: region.buffer)
        _ = try XCTUnwrap(bump.allocate(byteCount: 100, alignment: 4))
        bump.reset()
        XCTAssertNotNil(bump.allocate(byteCount: 128, alignment: 1))
        XCTAssertEqual(bump.statistics.peakBytesInUse, 128)
    }

    func testNewestBlockResizesInPlaceOthersDoNot() throws {
        let region = TestRegion(bytes: 128)
        var bump = BumpAllocator(region: region.buffer)
        let older = try XCTUnwrap(bump.allocate(byteCount: 8, alignment: 8))
        let newest = try XCTUnwrap(bump.allocate(byteCount: 8, alignment: 8))
        XCTAssertTrue(bump.resizeInPlace(newest, byteCount: 64))
        XCTAssertEqual(bump.usableSize(of: newest), 64)
        XCTAssertFalse(bump.resizeInPlace(newest, byteCount: 1000))
        XCTAssertFalse(bump.resizeInPlace(older, byteCount: 16))
        XCTAssertNil(bump.usableSize(of: older))
    }

    func testUnconfiguredAllocatorFailsEverything() {
        var bump = BumpAllocator()
        XCTAssertFalse(bump.isConfigured)
        XCTAssertNil(bump.allocate(byteCount: 1, alignment: 1))
    }
}
