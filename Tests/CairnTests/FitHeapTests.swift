import XCTest
@testable import Cairn

/// A FitHeap over a test region, reporting misuse to ``MisuseRecorder``.
/// A class holds the noncopyable heap so that tests mutate it in place.
final class FitFixture {
    let region: TestRegion
    let buffer: UnsafeMutableRawBufferPointer
    var heap = FitHeap(misuseHandler: MisuseRecorder.handler)

    struct RegionRefused: Error {}

    /// A heap over `bytes` bytes starting `offset` bytes into a 4096-aligned allocation.
    init(bytes: Int = 4096, offset: Int = 0) throws {
        region = TestRegion(bytes: bytes, offset: offset)
        buffer = region.buffer
        guard heap.configure(region: buffer) else { throw RegionRefused() }
    }

    var start: UInt { UInt(bitPattern: buffer.baseAddress) }
    var end: UInt { start + UInt(buffer.count) }

    func allocate(_ bytes: UInt, alignment: UInt = 8, file: StaticString = #filePath, line: UInt = #line) throws
        -> UnsafeMutableRawPointer {
        try XCTUnwrap(heap.allocate(byteCount: bytes, alignment: alignment), "\(bytes) bytes at \(alignment)",
                      file: file, line: line)
    }

    /// The heap's header word of the block at `pointer`.
    func header(_ pointer: UnsafeMutableRawPointer) -> UInt32 {
        pointer.load(fromByteOffset: -4, as: UInt32.self)
    }

    func assertIntact(_ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(heap.checkIntegrity(), message, file: file, line: line)
        let s = heap.statistics
        XCTAssertEqual(s.bytesInUse + s.freeBytes, s.capacity, "blocks do not tile the heap " + message,
                       file: file, line: line)
    }
}

/// FitHeap: good-fit blocks with boundary tags, O(1) allocate and free.
final class FitHeapTests: MisuseRecordingTestCase {
    // MARK: - Configuration

    func testUnconfiguredHeapFailsEveryAllocationAndReportsEveryFreeAsForeign() throws {
        var heap = FitHeap(misuseHandler: MisuseRecorder.handler)
        XCTAssertFalse(heap.isConfigured)
        XCTAssertNil(heap.allocate(byteCount: 0, alignment: 8))
        XCTAssertNil(heap.allocate(byteCount: 100, alignment: 16))
        let stray = try XCTUnwrap(UnsafeMutableRawPointer(bitPattern: 0x1000))
        heap.deallocate(stray)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer])
        XCTAssertNil(heap.usableSize(of: UnsafeRawPointer(stray)))
        XCTAssertNil(heap.shrinkTop(byAtLeast: 0, alignTo: 8))
        XCTAssertFalse(heap.growTop(to: 0x2000))
        XCTAssertNil(heap.checkIntegrity())
        XCTAssertEqual(heap.statistics.capacity, 0)
    }

    func testRegionTooSmallForOneBlockIsRefused() {
        let region = TestRegion(bytes: 64)
        var heap = FitHeap()
        XCTAssertFalse(heap.configure(region: UnsafeMutableRawBufferPointer(rebasing: region.buffer[0..<20])))
        XCTAssertFalse(heap.isConfigured)
        XCTAssertFalse(heap.configure(region: UnsafeMutableRawBufferPointer(start: nil, count: 0)))
        XCTAssertTrue(heap.configure(region: region.buffer), "64 bytes hold a control block and a block")
        XCTAssertNotNil(heap.allocate(byteCount: 0, alignment: 8))
    }

    func testRegionAtAnyAddressIsAlignedAndFirstPayloadIs16Aligned() throws {
        for offset in 0..<16 {
            let f = try FitFixture(bytes: 1000, offset: offset)
            XCTAssertEqual(f.heap.heapEnd % 8, 0)
            XCTAssertLessThanOrEqual(f.heap.heapEnd, f.end)
            XCTAssertGreaterThan(f.heap.heapEnd + 8, f.end, "at most 7 bytes lost at the top")
            let first = try f.allocate(1)
            XCTAssertEqual(first.address % 16, 0, "offset \(offset)")
            XCTAssertGreaterThanOrEqual(first.address, f.start)
            f.assertIntact()
        }
    }

    func testControlBlockGrowsWithTheRegionAndStaysSmallForSmallRegions() throws {
        var previous: UInt = 0
        for bytes in [256, 1024, 4096, 16384, 65536, 1 << 20, 4 << 20] {
            let f = try FitFixture(bytes: bytes)
            let control = f.heap.statistics.controlBlockBytes
            XCTAssertGreaterThanOrEqual(control, previous, "\(bytes) bytes")
            previous = control
            // Beside the control block, at most 12 bytes of pad and the sentinel.
            XCTAssertLessThanOrEqual(UInt(bytes) - f.heap.statistics.capacity - control, 16, "\(bytes) bytes")
            if bytes == 4096 { XCTAssertLessThan(control, 200, "a 4 KiB heap's control block") }
        }
        let small = try FitFixture(bytes: 4096).heap.statistics.controlBlockBytes
        let large = try FitFixture(bytes: 4 << 20).heap.statistics.controlBlockBytes
        XCTAssertLessThan(small, large)
        XCTAssertEqual(small, 72, "8 levels of 2 bins and their bitmaps, as FitHeap's documentation says")
        XCTAssertEqual(large, 164, "18 levels")
    }

    func testLayoutAssumptionsHold() {
        // A free block holds its header, two links and a footer.
        XCTAssertEqual(FitHeap.minimumBlock, FitHeap.headerBytes + 3 * 4)
        XCTAssertEqual(FitHeap.fragmentSize, FitHeap.headerBytes + 4)
        XCTAssertEqual(FitHeap.granule, 1 << FitHeap.granuleShift)
        // The flags fit below the size's lowest bit, and the header makes payloads 8-aligned.
        XCTAssertLessThan(UInt(FitHeap.flagBits), FitHeap.granule)
        XCTAssertEqual((FitHeap.headerBytes + FitHeap.headerBytes) % FitHeap.granule, 0)
        // A level's bins fit its one-byte bitmap; 29 levels (4 GiB) fit the word.
        XCTAssertLessThanOrEqual(FitHeap.secondLevelCount, UInt(UInt8.bitWidth))
        XCTAssertEqual(FitHeap.firstLevels(forBlocksUpTo: UInt(UInt32.max)), 28)
    }

    func testBinsHoldTheSizesTheirRangesSay() {
        // Rounded DOWN, a size lands in the bin whose range holds it; rounded
        // UP to a bin boundary, every block of that bin holds the size.
        var lastBin = (first: UInt(0), second: UInt(0))
        var size: UInt = 16
        while size <= 1 << 20 {
            let bin = FitHeap.bin(ofSize: size)
            XCTAssertLessThan(bin.second, FitHeap.secondLevelCount)
            XCTAssertTrue(bin.first > lastBin.first || (bin.first == lastBin.first && bin.second >= lastBin.second),
                          "bins grow with sizes (\(size))")
            lastBin = bin
            let rounded = FitHeap.roundUpToBin(size)
            XCTAssertGreaterThanOrEqual(rounded, size)
            XCTAssertEqual(FitHeap.roundUpToBin(rounded), rounded, "\(rounded) is a bin boundary")
            // The smallest size of the rounded bin is the rounded size itself.
            if rounded > 16 {
                let below = FitHeap.bin(ofSize: rounded - 8)
                let at = FitHeap.bin(ofSize: rounded)
                XCTAssertFalse(below == at, "\(rounded) starts its bin")
            }
            size += size < 4096 ? 8 : 8 * (size / 1024)
        }
        // Two bins a level: 16 | 24, 32..47 | 48..63, 64..95 | 96..127.
        XCTAssertTrue(FitHeap.bin(ofSize: 16) == (0, 0))
        XCTAssertTrue(FitHeap.bin(ofSize: 24) == (0, 1))
        XCTAssertTrue(FitHeap.bin(ofSize: 40) == (1, 0))
        XCTAssertTrue(FitHeap.bin(ofSize: 56) == (1, 1))
        XCTAssertTrue(FitHeap.bin(ofSize: 64) == (2, 0))
        XCTAssertTrue(FitHeap.bin(ofSize: 88) == (2, 0))
        XCTAssertTrue(FitHeap.bin(ofSize: 96) == (2, 1))
    }

    func testEverySizeLandsInTheBinWhoseRangeHoldsIt() {
        // Bin (f, s) holds [2^(f+4) + s * 2^(f+3), 2^(f+4) + (s+1) * 2^(f+3)):
        // checked for every size to 64 KiB and around each power of two
        // above, against the bin computed without its shortcut for blocks
        // that all have the second level's bits.
        XCTAssertTrue(FitHeap.minimumBlockHasSecondLevelBits)
        func check(_ size: UInt) {
            let bin = FitHeap.bin(ofSize: size)
            let low = (UInt(1) << (bin.first + 4)) + bin.second * (UInt(1) << (bin.first + 3))
            XCTAssertTrue(low <= size && size < low + (UInt(1) << (bin.first + 3)), "\(size) in bin \(bin)")
        }
        var size: UInt = 16
        while size <= 1 << 16 { check(size); size += 8 }
        for power in UInt(17)...31 {
            for delta in [-16, -8, 0, 8, 16] { check(UInt(Int(1 << power) + delta)) }
        }
    }

    // MARK: - Sizes, alignment, exhaustion

    func testEveryBlockIsAlignedAsAskedAndInsideTheRegion() throws {
        let f = try FitFixture(bytes: 64 * 1024, offset: 4)
        var blocks: [UnsafeMutableRawPointer] = []
        for alignment in [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096] as [UInt] {
            for bytes in [0, 1, 7, 8, 12, 13, 24, 100, 333] as [UInt] {
                let block = try f.allocate(bytes, alignment: alignment)
                XCTAssertEqual(block.address % max(alignment, 8), 0, "\(bytes) at \(alignment)")
                XCTAssertTrue(f.region.contains(block, bytes: bytes))
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(f.heap.usableSize(of: block)), bytes)
                blocks.append(block)
                f.assertIntact("\(bytes) at \(alignment)")
            }
        }
        for block in blocks { f.heap.deallocate(block) }
        f.assertIntact()
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1, "everything merged back")
        XCTAssertEqual(f.heap.statistics.fragments, 0)
        XCTAssertEqual(MisuseRecorder.kinds, [])
    }

    func testNonPowerOfTwoAlignmentIsRefused() throws {
        let f = try FitFixture()
        XCTAssertNil(f.heap.allocate(byteCount: 8, alignment: 0))
        XCTAssertNil(f.heap.allocate(byteCount: 8, alignment: 24))
        XCTAssertEqual(f.heap.statistics.liveBlocks, 0)
    }

    func testZeroBytesGiveUniqueMinimumBlocks() throws {
        let f = try FitFixture()
        let a = try f.allocate(0)
        let b = try f.allocate(0)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(f.heap.usableSize(of: a), FitHeap.minimumBlock - 4)
        XCTAssertEqual(f.heap.statistics.bytesInUse, 2 * FitHeap.minimumBlock)
        f.heap.deallocate(a)
        f.heap.deallocate(b)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        f.assertIntact()
    }

    func testBlockSizesAreTheRequestPlusHeaderRoundedTo8() throws {
        let f = try FitFixture()
        for (bytes, usable) in [(1, 12), (12, 12), (13, 20), (20, 20), (21, 28), (100, 100), (101, 108)] as [(UInt, UInt)] {
            let block = try f.allocate(bytes)
            XCTAssertEqual(f.heap.usableSize(of: block), usable, "\(bytes) bytes")
        }
        f.assertIntact()
    }

    func testHugeAndOverflowingSizesReturnNilAndChangeNothing() throws {
        let f = try FitFixture()
        let kept = try f.allocate(40)
        let before = f.heap.statistics
        for bytes in [UInt.max, UInt.max - 3, UInt.max - 11, UInt(UInt32.max), before.capacity - 3, 1 << 40] {
            XCTAssertNil(f.heap.allocate(byteCount: bytes, alignment: 8), "\(bytes)")
            XCTAssertNil(f.heap.allocate(byteCount: bytes, alignment: 16), "\(bytes)")
        }
        XCTAssertNil(f.heap.allocate(byteCount: 8, alignment: 1 << 63), "alignment far above the heap")
        XCTAssertNil(f.heap.allocate(byteCount: UInt.max - 100, alignment: 1 << 62))
        XCTAssertFalse(f.heap.resizeInPlace(kept, byteCount: UInt.max))
        XCTAssertFalse(f.heap.resizeInPlace(kept, byteCount: UInt.max - 3))
        var after = f.heap.statistics
        XCTAssertEqual(after.outOfMemoryCount, 14)
        after.outOfMemoryCount = before.outOfMemoryCount
        XCTAssertEqual(after, before)
        f.assertIntact()
    }

    func testExhaustionReturnsNilAndChangesNothing() throws {
        let f = try FitFixture(bytes: 2048)
        var blocks: [UnsafeMutableRawPointer] = []
        while let block = f.heap.allocate(byteCount: 50, alignment: 8) { blocks.append(block) }
        let full = f.heap.statistics
        XCTAssertLessThan(full.freeBytes, 56, "only a remainder too small for 50 bytes is left")
        XCTAssertNil(f.heap.allocate(byteCount: 50, alignment: 8))
        XCTAssertNil(f.heap.allocate(byteCount: 1000, alignment: 16))
        var after = f.heap.statistics
        XCTAssertEqual(after.outOfMemoryCount, full.outOfMemoryCount + 2)
        after.outOfMemoryCount = full.outOfMemoryCount
        XCTAssertEqual(after, full)
        f.assertIntact()
        // A freed block is served again at once.
        f.heap.deallocate(blocks[3])
        XCTAssertEqual(try f.allocate(50), blocks[3])
        f.assertIntact()
    }

    func testBlockExactlyFillingTheHeapIsServed() throws {
        for bytes in [512, 1000, 4096, 10000] {
            let f = try FitFixture(bytes: bytes)
            let capacity = f.heap.capacity
            let whole = try f.allocate(capacity - 4)
            XCTAssertEqual(f.heap.usableSize(of: whole), capacity - 4)
            XCTAssertNil(f.heap.allocate(byteCount: 0, alignment: 8))
            XCTAssertEqual(f.heap.statistics.freeBytes, 0)
            f.assertIntact()
            f.heap.deallocate(whole)
            // Also at 16-byte alignment: the first payload is 16-aligned.
            let aligned = try f.allocate(capacity - 4, alignment: 16)
            XCTAssertEqual(aligned, whole)
            f.heap.deallocate(aligned)
            XCTAssertNil(f.heap.allocate(byteCount: capacity - 3, alignment: 8))
            f.assertIntact()
        }
    }

    // MARK: - Splitting and merging

    func testAllocationSplitsOffTheRemainderAsAFreeBlock() throws {
        let f = try FitFixture()
        let capacity = f.heap.capacity
        let a = try f.allocate(100)
        let s = f.heap.statistics
        XCTAssertEqual(s.bytesInUse, 104)
        XCTAssertEqual(s.freeBlocks, 1)
        XCTAssertEqual(s.largestFreeBlock, capacity - 104)
        let b = try f.allocate(20)
        XCTAssertEqual(b.address, a.address + 104, "the next block starts where the first ends")
        f.assertIntact()
    }

    func testEightByteRemainderBecomesAFragmentThatMergesBack() throws {
        let f = try FitFixture()
        let a = try f.allocate(60)       // 64-byte block
        let fence = try f.allocate(8)
        f.heap.deallocate(a)
        let b = try f.allocate(52)       // 56 bytes: 8 bytes remain, too few for a block
        XCTAssertEqual(b, a)
        XCTAssertEqual(f.heap.usableSize(of: b), 52, "the block is exactly its request")
        XCTAssertEqual(f.heap.statistics.fragments, 1)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        f.assertIntact()
        f.heap.deallocate(fence)         // the fragment merges with the fence and the rest
        XCTAssertEqual(f.heap.statistics.fragments, 0)
        f.assertIntact()
        f.heap.deallocate(b)
        XCTAssertEqual(f.heap.statistics.largestFreeBlock, f.heap.capacity)
        f.assertIntact()
    }

    func testFreeOfNeighboursMergesIntoOneBlock() throws {
        let f = try FitFixture()
        let a = try f.allocate(40)
        let b = try f.allocate(40)
        let c = try f.allocate(40)
        let fence = try f.allocate(40)
        f.heap.deallocate(a)
        f.heap.deallocate(c)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 3)
        f.assertIntact()
        f.heap.deallocate(b)     // merges with both sides
        let s = f.heap.statistics
        XCTAssertEqual(s.freeBlocks, 2)
        XCTAssertEqual(s.largestFreeBlock, f.heap.capacity - 4 * 48)
        XCTAssertEqual(f.header(a), 3 * 48 | 2, "the three blocks are one free block again")
        f.heap.deallocate(fence)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        XCTAssertEqual(f.heap.statistics.largestFreeBlock, f.heap.capacity)
        f.assertIntact()
    }

    func testFreeMergesWithTheNextBlockAlone() throws {
        try assertTwoNeighboursMergeBelowAFence(freeingTheSecondFirst: true)
    }

    func testFreeMergesWithThePreviousBlockAlone() throws {
        try assertTwoNeighboursMergeBelowAFence(freeingTheSecondFirst: false)
    }

    /// Two 40-byte neighbours below a live fence, freed in either order:
    /// they merge into one free block of both (92 bytes serve from it), and
    /// the fence keeps them off the top free block.
    private func assertTwoNeighboursMergeBelowAFence(freeingTheSecondFirst: Bool,
                                                     file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try FitFixture()
        let a = try f.allocate(40)
        let b = try f.allocate(40)
        let fence = try f.allocate(40)
        for block in freeingTheSecondFirst ? [b, a] : [a, b] { f.heap.deallocate(block) }
        XCTAssertEqual(f.heap.statistics.freeBlocks, 2, file: file, line: line)
        XCTAssertEqual(try f.allocate(92), a, file: file, line: line)
        _ = fence
        f.assertIntact(file: file, line: line)
    }

    func testLastBlockFreedMergesWithTheTopFreeBlock() throws {
        let f = try FitFixture()
        let blocks = try (0..<10).map { _ in try f.allocate(24) }
        for block in blocks.reversed() {
            f.heap.deallocate(block)
            f.assertIntact()
        }
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        XCTAssertEqual(f.heap.statistics.largestFreeBlock, f.heap.capacity)
    }

    // MARK: - Alignment above 8

    func testSixteenByteAlignmentWastesNothingInSteadyState() throws {
        // Blocks whose sizes are multiples of 16 (requests of 16k - 4
        // bytes), carved from the 16-aligned first payload, stay 16-aligned:
        // no gap, no fragment, not a byte more than the 8-byte rule gives.
        let f = try FitFixture(bytes: 16 * 1024, offset: 8)
        var random = SeededGenerator(seed: 16)
        var live: [(UnsafeMutableRawPointer, UInt)] = []
        for round in 0..<2000 {
            if live.count > 40 || (!live.isEmpty && random.chance(45)) {
                let (block, _) = live.remove(at: random.below(live.count))
                f.heap.deallocate(block)
            } else {
                let bytes = 16 * random.uniform(1...12) - 4
                guard let block = f.heap.allocate(byteCount: bytes, alignment: 16) else { continue }
                XCTAssertEqual(block.address % 16, 0)
                XCTAssertEqual(f.heap.usableSize(of: block), bytes, "round \(round)")
                live.append((block, bytes + 4))
            }
            let s = f.heap.statistics
            XCTAssertEqual(s.fragments, 0, "round \(round)")
            XCTAssertEqual(s.bytesInUse, live.reduce(0) { $0 + $1.1 }, "round \(round)")
        }
        f.assertIntact()
    }

    func testEightByteGapBeforeAnAlignedBlockIsAFragmentThatMergesBack() throws {
        let f = try FitFixture()
        let a = try f.allocate(20)                  // 24 bytes: the free block now starts at 8 mod 16
        let b = try f.allocate(40, alignment: 16)   // an 8-byte gap before it
        XCTAssertEqual(b.address % 16, 0)
        XCTAssertEqual(b.address, a.address + 24 + 8)
        XCTAssertEqual(f.heap.statistics.fragments, 1)
        XCTAssertEqual(f.heap.usableSize(of: a), 20, "the gap belongs to no block")
        XCTAssertEqual(f.heap.usableSize(of: b), 44)
        f.assertIntact()
        // Freeing the block after the gap takes it back ...
        f.heap.deallocate(b)
        XCTAssertEqual(f.heap.statistics.fragments, 0)
        f.assertIntact()
        // ... and so does freeing the block before it.
        let c = try f.allocate(40, alignment: 16)
        XCTAssertEqual(f.heap.statistics.fragments, 1)
        f.heap.deallocate(a)
        XCTAssertEqual(f.heap.statistics.fragments, 0)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 2)
        f.assertIntact()
        f.heap.deallocate(c)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        f.assertIntact()
    }

    func testLargeAlignmentGapBecomesAFreeBlockThatServesLaterRequests() throws {
        let f = try FitFixture(bytes: 8192)
        let a = try f.allocate(8)
        let b = try f.allocate(100, alignment: 256)
        XCTAssertEqual(b.address % 256, 0)
        let s = f.heap.statistics
        XCTAssertEqual(s.freeBlocks, 2, "the gap before b and the rest after it")
        XCTAssertEqual(s.fragments, 0)
        let gapBytes = b.address - 4 - (a.address + 12)
        let inGap = try f.allocate(gapBytes - 4)
        XCTAssertEqual(inGap.address, a.address + 16, "the gap is an ordinary free block")
        f.assertIntact()
    }

    func testAlignedBlockCutAfterAGapLeavesTheRestAtTheHeadOfItsBin() throws {
        // One large free block that starts off the alignment: the aligned
        // block is cut after a gap, and the rest, still in the block's bin,
        // takes its place at that bin's head (the next request of that bin
        // gets it), while the gap is a free block of its own bin.
        let f = try FitFixture(bytes: 16384)
        let a = try f.allocate(8)
        let b = try f.allocate(1020, alignment: 1024)
        XCTAssertEqual(b.address % 1024, 0)
        XCTAssertEqual(f.header(b) & FitHeap.sizeBits, 1024, "the block is cut to its request")
        let s = f.heap.statistics
        XCTAssertEqual(s.freeBlocks, 2, "the gap before b and the rest after it")
        f.assertIntact()
        let restStart = b.address + 1024
        let fromRest = try f.allocate(8000)
        XCTAssertEqual(fromRest.address, restStart, "the rest heads the large bin")
        let gapBytes = b.address - 4 - (a.address + 12)
        let inGap = try f.allocate(gapBytes - 4)
        XCTAssertEqual(inGap.address, a.address + 16, "the gap is an ordinary free block")
        f.assertIntact()
        for block in [a, b, fromRest, inGap] { f.heap.deallocate(block) }
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        f.assertIntact()
    }

    func testAlignedBlockWhoseRestChangesBinLeavesTheRestInItsOwnBin() throws {
        // The rest falls below the block's bin: it leaves that bin (its
        // bitmap bit cleared when it was the only one) and joins its own.
        let f = try FitFixture(bytes: 4096)
        let a = try f.allocate(8)
        let big = try f.allocate(f.heap.capacity - 16 - 2048 - 4)   // leaves one free block of 2048 bytes
        f.heap.deallocate(a)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 2)
        let b = try f.allocate(508, alignment: 512)
        XCTAssertEqual(b.address % 512, 0)
        f.assertIntact()
        let s = f.heap.statistics
        XCTAssertEqual(s.bytesInUse + s.freeBytes, s.capacity)
        // Everything that is free still serves: the rest, then the gap.
        let rest = s.largestFreeBlock
        let fromRest = try f.allocate(rest - 4)
        XCTAssertEqual(fromRest.address, b.address + 512)
        f.assertIntact()
        for block in [b, fromRest, big] { f.heap.deallocate(block) }
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        f.assertIntact()
    }

    func testFragmentBetweenTwoLiveBlocksIsNotAFreeablePointer() throws {
        let f = try FitFixture()
        let a = try f.allocate(20)
        let b = try f.allocate(40, alignment: 16)
        f.heap.deallocate(a + 24)   // the fragment's payload position
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart])
        XCTAssertEqual(f.heap.statistics.fragments, 1)
        f.assertIntact()
        f.heap.deallocate(b)
        f.heap.deallocate(a)
        f.assertIntact()
    }

    // MARK: - Misuse

    func testFreeOfAPointerOutsideTheHeapIsReportedAsForeign() throws {
        let f = try FitFixture()
        let block = try f.allocate(32)
        let before = f.heap.statistics
        f.heap.deallocate(try XCTUnwrap(UnsafeMutableRawPointer(bitPattern: f.end + 64)), caller: 0x77)
        f.heap.deallocate(try XCTUnwrap(UnsafeMutableRawPointer(bitPattern: f.start)))  // the control block
        f.heap.deallocate(try XCTUnwrap(UnsafeMutableRawPointer(bitPattern: 8)))
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer, .foreignPointer, .foreignPointer])
        XCTAssertEqual(MisuseRecorder.reports.first?.caller, 0x77)
        XCTAssertEqual(MisuseRecorder.reports.first?.address, f.end + 64)
        XCTAssertEqual(MisuseRecorder.reports.first?.sizeClass, -1)
        XCTAssertEqual(f.heap.statistics.misuseCount, 3)
        var after = f.heap.statistics
        after.misuseCount = 0
        XCTAssertEqual(after, before)
        f.heap.deallocate(block)
        f.assertIntact()
    }

    func testFreeOfAnUnalignedOrInteriorPointerIsReportedAsNotABlockStart() throws {
        let f = try FitFixture()
        let block = try f.allocate(64)
        let other = try f.allocate(64)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        for offset in [1, 4, 8, 16, 60] { f.heap.deallocate(block + offset) }
        XCTAssertEqual(MisuseRecorder.kinds, Array(repeating: .notBlockStart, count: 5))
        XCTAssertEqual(f.heap.statistics.liveBlocks, 2)
        f.assertIntact()
        f.heap.deallocate(block)
        f.heap.deallocate(other)
        XCTAssertEqual(MisuseRecorder.reports.count, 5)
        f.assertIntact()
    }

    func testForgedHeadersInsideABlockAreNotTakenForBlocks() throws {
        let f = try FitFixture()
        let block = try f.allocate(200)
        let fence = try f.allocate(8)
        let inner = block + 64
        block.initializeMemory(as: UInt8.self, repeating: 0, count: 200)
        /// Writes `words` at byte offsets from `inner`, frees `inner`, clears them.
        func forge(_ words: [(Int, UInt32)]) {
            for (offset, word) in words { inner.storeBytes(of: word, toByteOffset: offset, as: UInt32.self) }
            f.heap.deallocate(inner)
            for (offset, _) in words { inner.storeBytes(of: UInt32(0), toByteOffset: offset, as: UInt32.self) }
        }
        // Each forgery passes every test but the one it is named for: the
        // header at -4, the next block's header after it, tags around.
        forge([(-4, 0x17), (12, 0x13)])              // bit 2 set: not a multiple of 8
        forge([(-4, 0x0B), (4, 0x13)])               // 8 bytes in use: below the minimum block
        forge([(-4, 0x0010_0013)])                   // 1 MiB: past the heap's end
        forge([(-4, 0x13), (12, 0x11)])              // the next block says its predecessor is free
        forge([(-4, 0x11), (12, 0x13), (-8, 24)])    // a free block before it with no matching header
        forge([(-4, 0x13), (12, 0x12), (24, 8)])     // a free block after it with no matching footer
        XCTAssertEqual(MisuseRecorder.kinds, Array(repeating: .notBlockStart, count: 6))
        XCTAssertEqual(f.heap.statistics.liveBlocks, 2)
        f.assertIntact()
        // The same words, made consistent, pass every test but the keyed
        // tag of an in-use header: with a wrong tag (a blind guess is
        // right 1 time in 256) the header is heap corruption, and its free
        // changes nothing.
        let wrongTag = FitHeap.tag(inner.address - 4, 0x13, key: f.heap.headerKey) ^ 0x0100_0000
        inner.storeBytes(of: 0x13 | wrongTag, toByteOffset: -4, as: UInt32.self)
        inner.storeBytes(of: UInt32(0x13), toByteOffset: 12, as: UInt32.self)
        XCTAssertNil(f.heap.usableSize(of: UnsafeRawPointer(inner)))
        f.heap.deallocate(inner)
        XCTAssertEqual(MisuseRecorder.kinds.last, .heapCorruption)
        XCTAssertEqual(f.heap.statistics.liveBlocks, 2)
        // With its tag they are a block: the tests are not stricter than
        // the layout.
        let tagged = 0x13 | FitHeap.tag(inner.address - 4, 0x13, key: f.heap.headerKey)
        inner.storeBytes(of: tagged, toByteOffset: -4, as: UInt32.self)
        XCTAssertEqual(f.heap.usableSize(of: UnsafeRawPointer(inner)), 12)
        f.heap.deallocate(block)
        f.heap.deallocate(fence)
        f.assertIntact()
    }

    func testDoubleFreeIsReportedWithTheBlockSizeAndChangesNothing() throws {
        let f = try FitFixture()
        let a = try f.allocate(40)
        let b = try f.allocate(40)
        let c = try f.allocate(40)
        f.heap.deallocate(b)
        let before = f.heap.statistics
        f.heap.deallocate(b, caller: 0x1234)
        XCTAssertEqual(MisuseRecorder.kinds, [.doubleFree])
        let report = try XCTUnwrap(MisuseRecorder.reports.first)
        XCTAssertEqual(report.address, b.address)
        XCTAssertEqual(report.blockSize, 48)
        XCTAssertEqual(report.caller, 0x1234)
        var after = f.heap.statistics
        after.misuseCount = before.misuseCount
        XCTAssertEqual(after, before)
        f.assertIntact()
        f.heap.deallocate(a)
        f.heap.deallocate(c)
        f.assertIntact()
    }

    func testSecondFreeOfABlockMergedIntoItsNeighbourIsReportedAndChangesNothing() throws {
        let f = try FitFixture()
        let a = try f.allocate(40)
        let b = try f.allocate(40)
        let fence = try f.allocate(40)
        f.heap.deallocate(a)
        f.heap.deallocate(b)   // merged into a: its header is gone
        f.heap.deallocate(b)
        f.heap.deallocate(a)   // a is now the merged free block
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart, .doubleFree])
        XCTAssertEqual(MisuseRecorder.reports.last?.blockSize, 96)
        f.assertIntact()
        f.heap.deallocate(fence)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        f.assertIntact()
    }

    func testUsableSizeAndResizeOfABadPointerAnswerNothing() throws {
        let f = try FitFixture()
        let block = try f.allocate(40)
        XCTAssertNil(f.heap.usableSize(of: UnsafeRawPointer(block + 8)))
        XCTAssertFalse(f.heap.resizeInPlace(block + 8, byteCount: 4))
        f.heap.deallocate(block)
        XCTAssertNil(f.heap.usableSize(of: UnsafeRawPointer(block)))
        XCTAssertFalse(f.heap.resizeInPlace(block, byteCount: 4))
        XCTAssertEqual(MisuseRecorder.kinds, [], "queries are not frees: nothing reported")
        f.assertIntact()
    }

    // MARK: - Resizing in place

    func testShrinkInPlaceGivesBackTheTail() throws {
        let f = try FitFixture()
        let block = try f.allocate(100)
        let fence = try f.allocate(8)
        XCTAssertTrue(f.heap.resizeInPlace(block, byteCount: 97))
        XCTAssertEqual(f.heap.usableSize(of: block), 100, "the same block size")
        XCTAssertTrue(f.heap.resizeInPlace(block, byteCount: 92))
        XCTAssertEqual(f.heap.usableSize(of: block), 92)
        XCTAssertEqual(f.heap.statistics.fragments, 1, "an 8-byte tail is a fragment")
        f.assertIntact()
        XCTAssertTrue(f.heap.resizeInPlace(block, byteCount: 40))
        XCTAssertEqual(f.heap.usableSize(of: block), 44)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 2, "the tail took the fragment with it")
        XCTAssertEqual(f.heap.statistics.fragments, 0)
        f.assertIntact()
        XCTAssertEqual(try f.allocate(52), block + 48, "the tail is a free block")
        _ = fence
        f.assertIntact()
    }

    func testShrinkInPlaceBeforeAFreeBlockMergesTheTailIntoIt() throws {
        let f = try FitFixture()
        let block = try f.allocate(100)
        let capacity = f.heap.capacity
        XCTAssertTrue(f.heap.resizeInPlace(block, byteCount: 92))
        XCTAssertEqual(f.heap.usableSize(of: block), 92, "even 8 bytes go to the free block after")
        XCTAssertEqual(f.heap.statistics.largestFreeBlock, capacity - 96)
        f.assertIntact()
    }

    func testGrowInPlaceTakesFromTheFreeBlockAfter() throws {
        let f = try FitFixture()
        let block = try f.allocate(40)
        let next = try f.allocate(200)
        let fence = try f.allocate(8)
        f.heap.deallocate(next)
        block.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 40)
        XCTAssertTrue(f.heap.resizeInPlace(block, byteCount: 100))
        XCTAssertEqual(f.heap.usableSize(of: block), 100)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 2, "the rest of the free block stays free")
        f.assertIntact()
        // Growing into all but 8 bytes of it leaves a fragment, which a
        // last growth takes too.
        XCTAssertTrue(f.heap.resizeInPlace(block, byteCount: 244))
        XCTAssertEqual(f.heap.usableSize(of: block), 244)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        XCTAssertEqual(f.heap.statistics.fragments, 1)
        f.assertIntact()
        XCTAssertTrue(f.heap.resizeInPlace(block, byteCount: 250))
        XCTAssertEqual(f.heap.usableSize(of: block), 252)
        XCTAssertEqual(f.heap.statistics.fragments, 0)
        XCTAssertTrue((0..<40).allSatisfy { block.load(fromByteOffset: $0, as: UInt8.self) == 0x5A })
        XCTAssertFalse(f.heap.resizeInPlace(block, byteCount: 253), "the next block is in use")
        XCTAssertEqual(f.heap.usableSize(of: block), 252)
        f.heap.deallocate(fence)
        f.heap.deallocate(block)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        f.assertIntact()
    }

    func testGrowInPlaceFailsWhenTheFreeBlockAfterIsTooSmall() throws {
        let f = try FitFixture()
        let block = try f.allocate(40)
        let next = try f.allocate(40)
        let fence = try f.allocate(8)
        f.heap.deallocate(next)
        let before = f.heap.statistics
        XCTAssertFalse(f.heap.resizeInPlace(block, byteCount: 200))
        XCTAssertEqual(f.heap.statistics, before)
        _ = fence
        f.assertIntact()
    }

    func testCHeapReallocWorksOverAFitHeap() throws {
        let f = try FitFixture()
        let p = try XCTUnwrap(CHeap.malloc(&f.heap, byteCount: 10))
        p.initializeMemory(as: UInt8.self, repeating: 7, count: 10)
        let blocker = try XCTUnwrap(CHeap.malloc(&f.heap, byteCount: 10))
        let q = try XCTUnwrap(CHeap.realloc(&f.heap, p, byteCount: 500))
        XCTAssertNotEqual(q, p, "the next block is in use: it moved")
        XCTAssertTrue((0..<10).allSatisfy { q.load(fromByteOffset: $0, as: UInt8.self) == 7 })
        CHeap.free(&f.heap, blocker)
        CHeap.free(&f.heap, q)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        f.assertIntact()
    }

    // MARK: - The heap's top

    func testShrinkTopGivesUpTheFreeTopAtTheAlignmentAsked() throws {
        let f = try FitFixture(bytes: 16 * 1024)
        let low = try f.allocate(1000)
        let end = f.heap.heapEnd
        let newEnd = try XCTUnwrap(f.heap.shrinkTop(byAtLeast: 3000, alignTo: 1024))
        XCTAssertEqual(newEnd % 1024, 0)
        XCTAssertLessThanOrEqual(newEnd, end - 3000)
        XCTAssertGreaterThan(newEnd + 1024, end - 3000, "no more than one alignment step beyond")
        XCTAssertEqual(f.heap.heapEnd, newEnd)
        XCTAssertEqual(f.heap.capacity, newEnd - 4 - (low.address - 4))
        f.assertIntact()
        // Nothing is handed out above the new end.
        while let block = f.heap.allocate(byteCount: 100, alignment: 8) {
            XCTAssertLessThanOrEqual(block.address + 100, newEnd)
        }
        f.assertIntact()
    }

    func testShrinkTopRefusesWhenTheLastBlockIsInUseOrTooSmall() throws {
        let f = try FitFixture(bytes: 4096)
        let whole = try f.allocate(f.heap.capacity - 4)
        XCTAssertNil(f.heap.shrinkTop(byAtLeast: 8, alignTo: 8))
        f.heap.deallocate(whole)
        let low = try f.allocate(2000)
        let before = f.heap.statistics
        XCTAssertNil(f.heap.shrinkTop(byAtLeast: 3000, alignTo: 8), "the free block is smaller")
        XCTAssertNil(f.heap.shrinkTop(byAtLeast: UInt.max, alignTo: 8))
        XCTAssertNil(f.heap.shrinkTop(byAtLeast: 8, alignTo: 24))
        XCTAssertEqual(f.heap.statistics, before)
        f.heap.deallocate(low)
        f.assertIntact()
    }

    func testShrinkTopCanTakeTheWholeLastBlock() throws {
        let f = try FitFixture(bytes: 4096)
        let low = try f.allocate(500)
        let lastStart = low.address - 4 + 504
        let newEnd = try XCTUnwrap(f.heap.shrinkTop(byAtLeast: f.heap.heapEnd - lastStart - 4, alignTo: 8))
        XCTAssertEqual(newEnd, lastStart + 4)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 0)
        f.assertIntact()
        XCTAssertNil(f.heap.allocate(byteCount: 0, alignment: 8))
        // Freeing the block below makes the whole (smaller) heap one block.
        f.heap.deallocate(low)
        XCTAssertEqual(f.heap.statistics.largestFreeBlock, 504)
        f.assertIntact()
    }

    func testShrinkTopMayLeaveAnEightByteFragmentThatGrowTopMerges() throws {
        let f = try FitFixture(bytes: 4096)
        let low = try f.allocate(500)
        let lastStart = low.address - 4 + 504
        let newEnd = try XCTUnwrap(f.heap.shrinkTop(byAtLeast: f.heap.heapEnd - lastStart - 12, alignTo: 8))
        XCTAssertEqual(newEnd, lastStart + 12)
        XCTAssertEqual(f.heap.statistics.fragments, 1)
        f.assertIntact()
        XCTAssertTrue(f.heap.growTop(to: newEnd + 64))
        XCTAssertEqual(f.heap.statistics.fragments, 0)
        XCTAssertEqual(f.heap.statistics.largestFreeBlock, 72)
        f.assertIntact()
    }

    func testGrowTopGivesTheMemoryBackAndMergesWithAFreeLastBlock() throws {
        let f = try FitFixture(bytes: 16 * 1024)
        let capacity = f.heap.capacity
        let end = f.heap.heapEnd
        let low = try f.allocate(100)
        let newEnd = try XCTUnwrap(f.heap.shrinkTop(byAtLeast: 8192, alignTo: 256))
        // The slab writes its pages: the heap must not care.
        let zone = try XCTUnwrap(UnsafeMutableRawPointer(bitPattern: newEnd))
        zone.initializeMemory(as: UInt8.self, repeating: 0xEE, count: Int(end - newEnd))
        let middle = newEnd + 2048
        XCTAssertTrue(f.heap.growTop(to: middle))
        XCTAssertEqual(f.heap.heapEnd, middle)
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1, "merged with the free last block")
        f.assertIntact()
        XCTAssertTrue(f.heap.growTop(to: end))
        f.heap.deallocate(low)
        XCTAssertEqual(f.heap.capacity, capacity)
        XCTAssertEqual(f.heap.statistics.largestFreeBlock, capacity, "one block again, as configured")
        f.assertIntact()
    }

    func testGrowTopAfterALiveLastBlockAddsAFreeBlock() throws {
        let f = try FitFixture(bytes: 4096)
        let end = f.heap.heapEnd
        let low = try f.allocate(1000)
        let newEnd = try XCTUnwrap(f.heap.shrinkTop(byAtLeast: end - (low.address + 1008), alignTo: 8))
        XCTAssertEqual(f.heap.statistics.freeBlocks, 0)
        XCTAssertTrue(f.heap.growTop(to: newEnd + 256))
        XCTAssertEqual(f.heap.statistics.freeBlocks, 1)
        XCTAssertEqual(f.heap.statistics.largestFreeBlock, 256)
        let next = try f.allocate(252)
        XCTAssertEqual(next.address, newEnd)
        f.assertIntact()
    }

    func testGrowTopRefusesEndsOutsideTheRegionOrBelowTheHeap() throws {
        let f = try FitFixture(bytes: 4096)
        let end = f.heap.heapEnd
        XCTAssertFalse(f.heap.growTop(to: end + 8), "beyond the region")
        let newEnd = try XCTUnwrap(f.heap.shrinkTop(byAtLeast: 1024, alignTo: 8))
        XCTAssertFalse(f.heap.growTop(to: newEnd), "not above the end")
        XCTAssertFalse(f.heap.growTop(to: newEnd - 8))
        XCTAssertFalse(f.heap.growTop(to: newEnd + 4), "not a multiple of 8")
        XCTAssertFalse(f.heap.growTop(to: end + 8))
        XCTAssertEqual(f.heap.heapEnd, newEnd)
        XCTAssertTrue(f.heap.growTop(to: end))
        f.assertIntact()
    }

    // MARK: - Integrity check

    /// `sameBin` (no count of leading zeros) agrees with `bin(ofSize:)` on
    /// every pair of sizes up to 4 KiB, and on pairs around each power of
    /// two up to 2 GiB.
    func testSameBinAgreesWithTheBinOfEachSize() {
        func check(_ a: UInt, _ b: UInt) {
            let expected = FitHeap.bin(ofSize: a) == FitHeap.bin(ofSize: b)
            XCTAssertEqual(FitHeap.sameBin(a, b), expected, "\(a) and \(b)")
        }
        for a in stride(from: UInt(16), through: 4096, by: 8) {
            for b in stride(from: UInt(16), through: 4096, by: 8) { check(a, b) }
        }
        var sizes: [UInt] = []
        for power in 4..<31 {
            let p = UInt(1) << power
            sizes += [p - 8, p, p + 8, p + p / 2 - 8, p + p / 2, p + p / 2 + 8].filter { $0 >= 16 }
        }
        for a in sizes { for b in sizes { check(a, b) } }
    }

    /// `roundedUpBin` (one count of leading zeros) is the bin of the size
    /// rounded up to a bin boundary, for every size up to 64 KiB and around
    /// each power of two up to 2 GiB.
    func testRoundedUpBinIsTheBinOfTheRoundedSize() {
        var sizes = Array(stride(from: UInt(16), through: 65536, by: 8))
        for power in 4..<31 {
            let p = UInt(1) << power
            sizes += [p - 8, p, p + 8, p + p / 2 - 8, p + p / 2, p + p / 2 + 8].filter { $0 >= 16 }
        }
        for size in sizes {
            let expected = FitHeap.bin(ofSize: FitHeap.roundUpToBin(size))
            let found = FitHeap.roundedUpBin(ofSize: size, own: FitHeap.bin(ofSize: size))
            XCTAssertTrue(found == expected, "\(size): \(found) against \(expected)")
        }
    }

    func testIntegrityCheckNamesACorruptedFooterHeaderTagOrBitmap() throws {
        let f = try FitFixture()
        let a = try f.allocate(40)
        let b = try f.allocate(40)
        let c = try f.allocate(40)
        f.heap.deallocate(b)
        f.assertIntact()
        // b's footer is the last word of its 48 bytes.
        let footer = b + 40
        let saved = footer.load(as: UInt32.self)
        footer.storeBytes(of: saved + 8, as: UInt32.self)
        XCTAssertEqual(f.heap.checkIntegrity(), .footer)
        footer.storeBytes(of: saved, as: UInt32.self)
        // c's header claims its predecessor is in use.
        let header = f.header(c)
        (c - 4).storeBytes(of: header | 2, as: UInt32.self)
        XCTAssertEqual(f.heap.checkIntegrity(), .previousInUseBit)
        (c - 4).storeBytes(of: header, as: UInt32.self)
        // A header with a size running past the end.
        let aHeader = f.header(a)
        (a - 4).storeBytes(of: 0x7FFF_FFF1, as: UInt32.self)
        XCTAssertEqual(f.heap.checkIntegrity(), .blockSize)
        // An in-use header whose tag is not its own, a free header with
        // tag bits, and a sentinel whose tag is not its own.
        (a - 4).storeBytes(of: aHeader ^ 0x0100_0000, as: UInt32.self)
        XCTAssertEqual(f.heap.checkIntegrity(), .headerTag)
        (a - 4).storeBytes(of: aHeader, as: UInt32.self)
        let bHeader = f.header(b)
        (b - 4).storeBytes(of: bHeader | 0x0100_0000, as: UInt32.self)
        XCTAssertEqual(f.heap.checkIntegrity(), .headerTag)
        (b - 4).storeBytes(of: bHeader, as: UInt32.self)
        let sentinel = UnsafeMutableRawPointer(bitPattern: f.heap.sentinel)!
        let sentinelHeader = sentinel.load(as: UInt32.self)
        sentinel.storeBytes(of: sentinelHeader ^ 0x0100_0000, as: UInt32.self)
        XCTAssertEqual(f.heap.checkIntegrity(), .headerTag)
        sentinel.storeBytes(of: sentinelHeader, as: UInt32.self)
        // A bitmap bit with no bin behind it.
        let savedMap = f.heap.firstLevelMap
        XCTAssertEqual(savedMap & 1, 0, "no 16- or 24-byte block is free")
        f.heap.firstLevelMap |= 1
        XCTAssertEqual(f.heap.checkIntegrity(), .bitmap)
        f.heap.firstLevelMap = savedMap
        // A free block unlinked from its bin.
        let link = f.heap.binHead(FitHeap.bin(ofSize: 48).first, FitHeap.bin(ofSize: 48).second)
        let savedHead = link.pointee
        link.pointee = 0
        XCTAssertNotNil(f.heap.checkIntegrity())
        link.pointee = savedHead
        f.assertIntact()
    }

    // MARK: - Memory efficiency (printed, for the report and BENCHMARKS.md)

    /// xorshift32 (Marsaglia 2003), the generator the comparison figures used.
    struct XorShift32 {
        var state: UInt32
        mutating func next() -> UInt32 {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return state
        }
    }

    /// True when `steps` of churn over `slots` slots of `sizes` bytes never
    /// fail in a heap of `regionBytes`: pick a slot, free it if occupied,
    /// allocate a random size into it.
    static func churnNeverFails(regionBytes: Int, slots: Int, sizes: ClosedRange<UInt32>, steps: Int,
                                alignment: UInt) -> Bool {
        let region = TestRegion(bytes: regionBytes)
        guard var heap = FitHeap(region: region.buffer) else { return false }
        var random = XorShift32(state: 0xC0FFEE)
        var held = [UnsafeMutableRawPointer?](repeating: nil, count: slots)
        for _ in 0..<steps {
            let slot = Int(random.next() % UInt32(slots))
            if let block = held[slot] { heap.deallocate(block) }
            let bytes = sizes.lowerBound + random.next() % (sizes.upperBound - sizes.lowerBound + 1)
            held[slot] = heap.allocate(byteCount: UInt(bytes), alignment: alignment)
            if held[slot] == nil { return false }
        }
        return heap.checkIntegrity() == nil
    }

    /// The smallest region, in 256-byte steps, in which the churn never fails.
    static func smallestRegion(slots: Int, sizes: ClosedRange<UInt32>, steps: Int, alignment: UInt) -> Int {
        var bytes = 256
        while !churnNeverFails(regionBytes: bytes, slots: slots, sizes: sizes, steps: steps, alignment: alignment) {
            bytes += 256
        }
        return bytes
    }

    func testRandomChurnFitsInNoMoreRAMThanNewlibNano() {
        // newlib-nano needs about 46,848 and 3,840 bytes for these.
        let large = Self.smallestRegion(slots: 256, sizes: 8...256, steps: 10000, alignment: 8)
        let small = Self.smallestRegion(slots: 32, sizes: 8...128, steps: 3000, alignment: 8)
        let large16 = Self.smallestRegion(slots: 256, sizes: 8...256, steps: 10000, alignment: 16)
        let small16 = Self.smallestRegion(slots: 32, sizes: 8...128, steps: 3000, alignment: 16)
        print("FitHeap smallest region: 256 slots of 8..256 B, 10000 steps: \(large) bytes (alignment 16: \(large16));"
              + " 32 slots of 8..128 B, 3000 steps: \(small) bytes (alignment 16: \(small16))")
        XCTAssertLessThanOrEqual(large, 46_848)
        XCTAssertLessThanOrEqual(small, 3_840)
    }
}
