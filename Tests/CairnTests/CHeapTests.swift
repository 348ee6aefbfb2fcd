import XCTest
@testable import Cairn

/// The C allocation rules, proven over the slab (and the bump where they differ).
final class CHeapTests: MisuseRecordingTestCase {
    func testPosixMemalignRejectsBadAlignmentsWithEINVALAndLeavesOutUntouched() throws {
        let heap = try SlabFixture()
        let sentinel = UnsafeMutableRawPointer(bitPattern: 0xBAD0)
        for alignment: UInt in [0, 3, 12, 24, CHeap.pointerSize / 2, 1] {
            var out = sentinel
            XCTAssertEqual(CHeap.posixMemalign(&heap.slab, &out, alignment: alignment, byteCount: 16), CHeap.EINVAL, "\(alignment)")
            XCTAssertEqual(out, sentinel)
        }
    }

    func testPosixMemalignReportsENOMEMAndLeavesOutUntouched() throws {
        let heap = try SlabFixture(bytes: 16 * 1024)
        let sentinel = UnsafeMutableRawPointer(bitPattern: 0xBAD0)
        var out = sentinel
        XCTAssertEqual(CHeap.posixMemalign(&heap.slab, &out, alignment: 8, byteCount: 1 << 20), CHeap.ENOMEM)
        XCTAssertEqual(CHeap.posixMemalign(&heap.slab, &out, alignment: 8, byteCount: UInt.max), CHeap.ENOMEM)
        XCTAssertEqual(out, sentinel)
    }

    func testPosixMemalignGivesAlignedBlocksForRuntimeAlignments() throws {
        let heap = try SlabFixture()
        for alignment: UInt in [CHeap.pointerSize, 16, 64, 4096] {
            for size: UInt in [0, 4, 12, 16, 100, 5000] {
                var out: UnsafeMutableRawPointer?
                XCTAssertEqual(CHeap.posixMemalign(&heap.slab, &out, alignment: alignment, byteCount: size), 0)
                let block = try XCTUnwrap(out)
                XCTAssertEqual(block.address % alignment, 0)
                XCTAssertGreaterThanOrEqual(CHeap.usableSize(heap.slab, block), size)
            }
        }
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testZeroSizeRequestsGiveUniqueFreeablePointers() throws {
        let heap = try SlabFixture()
        let a = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: 0))
        let b = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: 0))
        var c: UnsafeMutableRawPointer?
        XCTAssertEqual(CHeap.posixMemalign(&heap.slab, &c, alignment: 16, byteCount: 0), 0)
        XCTAssertEqual(Set([a.address, b.address, try XCTUnwrap(c).address]).count, 3)
        CHeap.free(&heap.slab, a); CHeap.free(&heap.slab, b); CHeap.free(&heap.slab, c)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 0)
    }

    func testMallocIsAlignedForDoubleAndLongLong() throws {
        // Every block stays live: about 49 KiB in 19 classes' pages.
        let heap = try SlabFixture(bytes: 128 * 1024)
        for size in UInt(1)...300 {
            let block = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: size))
            XCTAssertEqual(block.address % CHeap.fundamentalAlignment, 0, "\(size)")
        }
    }

    func testFreeOfNullDoesNothing() throws {
        let heap = try SlabFixture()
        CHeap.free(&heap.slab, nil)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testCallocZeroesAndRejectsOverflowingProducts() throws {
        let heap = try SlabFixture()
        // Dirty a block, free it, and calloc the same class: it must come back zeroed.
        let dirty = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: 64))
        dirty.initializeMemory(as: UInt8.self, repeating: 0xFF, count: 64)
        CHeap.free(&heap.slab, dirty)
        let zeroed = try XCTUnwrap(CHeap.calloc(&heap.slab, count: 8, size: 8))
        #if !CAIRN_CHECKED
        XCTAssertEqual(zeroed, dirty)  // (a checked build quarantines it first)
        #endif
        XCTAssertTrue(UnsafeRawBufferPointer(start: zeroed, count: 64).allSatisfy { $0 == 0 })
        let big = try XCTUnwrap(CHeap.calloc(&heap.slab, count: 3, size: 1000))
        XCTAssertTrue(UnsafeRawBufferPointer(start: big, count: 3000).allSatisfy { $0 == 0 })
        XCTAssertNil(CHeap.calloc(&heap.slab, count: UInt.max / 2 + 1, size: 2))
        XCTAssertNil(CHeap.calloc(&heap.slab, count: 1 << (UInt.bitWidth / 2), size: 1 << (UInt.bitWidth / 2)))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testCallocOverflowOn32BitSizeT() {
        // On Cortex-M size_t is 32 bits: 65536 * 65536 must be refused there.
        XCTAssertNil(checkedMultiply(UInt32(65536), UInt32(65536)))
        XCTAssertEqual(checkedMultiply(UInt32(65535), UInt32(65537)), UInt32.max)
    }

    func testReallocOfNullIsMalloc() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(CHeap.realloc(&heap.slab, nil, byteCount: 40))
        XCTAssertGreaterThanOrEqual(CHeap.usableSize(heap.slab, block), 40)
    }

    func testReallocToZeroKeepsAUniqueBlock() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: 40))
        let shrunk = try XCTUnwrap(CHeap.realloc(&heap.slab, block, byteCount: 0))
        XCTAssertEqual(shrunk, block)
        CHeap.free(&heap.slab, shrunk)
        XCTAssertEqual(MisuseRecorder.kinds, [])
    }

    func testReallocWithinTheClassStaysInPlace() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: 33))
        let usable = CHeap.usableSize(heap.slab, block)
        #if CAIRN_CHECKED
        XCTAssertEqual(usable, 33)  // the checked build reports the request
        XCTAssertEqual(CHeap.realloc(&heap.slab, block, byteCount: 36), block)  // class 40 less its canary
        #else
        XCTAssertEqual(usable, 40)  // class 40
        #endif
        XCTAssertEqual(CHeap.realloc(&heap.slab, block, byteCount: usable), block)
        XCTAssertEqual(CHeap.realloc(&heap.slab, block, byteCount: 1), block)
    }

    func testReallocThatMovesCopiesTheContents() throws {
        let heap = try SlabFixture()
        let block = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: 20))
        for i in 0..<20 { block.storeBytes(of: UInt8(i + 1), toByteOffset: i, as: UInt8.self) }
        let moved = try XCTUnwrap(CHeap.realloc(&heap.slab, block, byteCount: 2000))
        XCTAssertNotEqual(moved, block)
        for i in 0..<20 { XCTAssertEqual(moved.load(fromByteOffset: i, as: UInt8.self), UInt8(i + 1)) }
        XCTAssertEqual(heap.slab.statistics.liveBlocks, 0)  // the old block went back
        let back = try XCTUnwrap(CHeap.realloc(&heap.slab, moved, byteCount: 10))
        for i in 0..<10 { XCTAssertEqual(back.load(fromByteOffset: i, as: UInt8.self), UInt8(i + 1)) }
    }

    func testFailedReallocKeepsTheOldBlockIntact() throws {
        let heap = try SlabFixture(bytes: 16 * 1024)
        let block = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: 64))
        block.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 64)
        XCTAssertNil(CHeap.realloc(&heap.slab, block, byteCount: 1 << 20))
        XCTAssertNil(CHeap.realloc(&heap.slab, block, byteCount: UInt.max))
        XCTAssertTrue(UnsafeRawBufferPointer(start: block, count: 64).allSatisfy { $0 == 0x5A })
        XCTAssertEqual(heap.slab.usableSize(of: block), 64)
        CHeap.free(&heap.slab, block)
        XCTAssertEqual(MisuseRecorder.kinds, [])
    }

    func testReallocOfALargeBlockGrowsIntoAFreeNeighbourAndShrinksInPlace() throws {
        let heap = try SlabFixture()
        let (block, next, after) = try heap.threeAdjacentLargeBlocks(byteCount: 2000)
        for i in 0..<2000 { block.storeBytes(of: UInt8(truncatingIfNeeded: i), toByteOffset: i, as: UInt8.self) }
        // The block after it is free: it grows where it is.
        CHeap.free(&heap.slab, next)
        heap.releaseQuarantine()
        XCTAssertEqual(CHeap.realloc(&heap.slab, block, byteCount: 4000), block)
        XCTAssertGreaterThanOrEqual(CHeap.usableSize(heap.slab, block), 4000)
        // Shrinking keeps it there and gives the tail back.
        let inUse = heap.slab.statistics.bytesInUse
        XCTAssertEqual(CHeap.realloc(&heap.slab, block, byteCount: 1000), block)
        XCTAssertEqual(heap.slab.statistics.bytesInUse,
                       inUse - SlabFixture.fitBlockBytes(forRequest: 4000) + SlabFixture.fitBlockBytes(forRequest: 1000))
        for i in 0..<1000 { XCTAssertEqual(block.load(fromByteOffset: i, as: UInt8.self), UInt8(truncatingIfNeeded: i)) }
        CHeap.free(&heap.slab, block)
        CHeap.free(&heap.slab, after)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
    }

    func testReallocOfALargeBlockWithALiveNeighbourMovesAndCopies() throws {
        let heap = try SlabFixture()
        let (block, next, after) = try heap.threeAdjacentLargeBlocks(byteCount: 2000)
        for i in 0..<2000 { block.storeBytes(of: UInt8(truncatingIfNeeded: i * 7), toByteOffset: i, as: UInt8.self) }
        let moved = try XCTUnwrap(CHeap.realloc(&heap.slab, block, byteCount: 4000))
        XCTAssertNotEqual(moved, block)
        for i in 0..<2000 { XCTAssertEqual(moved.load(fromByteOffset: i, as: UInt8.self), UInt8(truncatingIfNeeded: i * 7)) }
        XCTAssertEqual(heap.slab.statistics.largeBlocks, 3)  // the old block went back
        for other in [moved, next, after] { CHeap.free(&heap.slab, other) }
        heap.releaseQuarantine()
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertEqual(heap.slab.statistics.freeBytes, heap.slab.statistics.capacity)
    }

    func testAlignedAllocAndMemalign() throws {
        let heap = try SlabFixture()
        let (block, error) = CHeap.alignedAlloc(&heap.slab, alignment: 256, byteCount: 10)
        XCTAssertEqual(error, 0)
        XCTAssertEqual(try XCTUnwrap(block).address % 256, 0)
        let (small, smallError) = CHeap.alignedAlloc(&heap.slab, alignment: 1, byteCount: 10)
        XCTAssertEqual(smallError, 0)
        XCTAssertEqual(try XCTUnwrap(small).address % CHeap.pointerSize, 0)
        let (bad, badError) = CHeap.alignedAlloc(&heap.slab, alignment: 48, byteCount: 10)
        XCTAssertNil(bad)
        XCTAssertEqual(badError, CHeap.EINVAL)
        let (none, noneError) = CHeap.alignedAlloc(&heap.slab, alignment: 8, byteCount: 1 << 30)
        XCTAssertNil(none)
        XCTAssertEqual(noneError, CHeap.ENOMEM)
    }

    func testUsableSizeOfNullAndOfUnknownPointersIsZero() throws {
        let heap = try SlabFixture()
        XCTAssertEqual(CHeap.usableSize(heap.slab, nil), 0)
        let block = try XCTUnwrap(CHeap.malloc(&heap.slab, byteCount: 10))
        XCTAssertEqual(CHeap.usableSize(heap.slab, block + 4), 0)
        CHeap.free(&heap.slab, block)
        XCTAssertEqual(CHeap.usableSize(heap.slab, block), 0)
    }

    func testBumpReallocCopiesAnOlderBlockWithoutReadingPastTheTop() throws {
        let region = TestRegion(bytes: 256)
        var bump = BumpAllocator(region: region.buffer)
        let older = try XCTUnwrap(CHeap.malloc(&bump, byteCount: 8))
        older.storeBytes(of: UInt64(0x0102_0304_0506_0708), as: UInt64.self)
        _ = try XCTUnwrap(CHeap.malloc(&bump, byteCount: 8))
        let moved = try XCTUnwrap(CHeap.realloc(&bump, older, byteCount: 64))
        XCTAssertEqual(moved.load(as: UInt64.self), 0x0102_0304_0506_0708)
        // The newest block grows in place.
        XCTAssertEqual(CHeap.realloc(&bump, moved, byteCount: 100), moved)
    }
}
