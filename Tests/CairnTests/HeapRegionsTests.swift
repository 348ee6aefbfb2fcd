import XCTest
@testable import Cairn

/// The regions a heap has beyond its first: tried in order when the first
/// refuses, found by address when a block is freed, refused when they
/// overlap, and observed one by one.
final class HeapRegionsTests: MisuseRecordingTestCase {
    /// The regions the foreign-block handler below reaches (a
    /// `@convention(c)` handler cannot capture).
    nonisolated(unsafe) static var regions = HeapRegions()

    static let freeInRegions: ForeignBlockHandler = { block, caller in
        HeapRegionsTests.regions.deallocate(address: block, caller: caller)
    }

    override func setUp() {
        super.setUp()
        Self.regions = HeapRegions()
    }

    /// A primary of `bytes` bytes and `extras` regions of `bytes` bytes each,
    /// in separate allocations (apart, like separate memory banks).
    private func makeHeap(bytes: Int = 8 * 1024, extras: Int = 2, maximumCount: UInt = 4) throws
        -> (SlabFixture, [TestRegion]) {
        let primary = try SlabFixture(bytes: bytes, pageSize: 256, largestClass: 128)
        primary.slab.foreignBlockHandler = Self.freeInRegions
        var others: [TestRegion] = []
        for _ in 0..<extras {
            let region = TestRegion(bytes: bytes)
            XCTAssertTrue(Self.regions.add(region: region.buffer, configuration: Self.configuration,
                                           primary: primary.slab, maximumCount: maximumCount))
            others.append(region)
        }
        return (primary, others)
    }

    static var configuration: SlabConfiguration { SlabConfiguration(pageSize: 256, largestClass: 128) }

    /// malloc as the platform heap does it: the primary, then the regions.
    private func allocate(_ heap: SlabFixture, _ byteCount: UInt) -> UnsafeMutableRawPointer? {
        heap.slab.allocate(byteCount: byteCount, alignment: 8)
            ?? Self.regions.allocate(byteCount: byteCount, alignment: 8)
    }

    func testAllocationsFillThePrimaryThenEachRegionInOrder() throws {
        let (heap, others) = try makeHeap()
        defer { withExtendedLifetime(others) {} }
        var where_: [Int] = []
        var blocks: [UnsafeMutableRawPointer] = []
        let sizes: [UInt] = [8, 40, 200, 12, 600]
        while let block = allocate(heap, sizes[blocks.count % sizes.count]) {
            blocks.append(block)
            if heap.region.contains(block, bytes: 1) {
                where_.append(0)
            } else if let index = others.firstIndex(where: { $0.contains(block, bytes: 1) }) {
                where_.append(index + 1)
            } else {
                XCTFail("block \(block) lies in no region")
            }
        }
        // Each region serves, and a later region serves only after every
        // earlier one refused once (its first block comes after the
        // earlier region's last failure).
        XCTAssertEqual(Set(where_), [0, 1, 2])
        XCTAssertEqual(where_.firstIndex(of: 1).map { where_[..<$0].contains(2) }, false)
        XCTAssertEqual(Self.regions.count, 2)
        XCTAssertEqual(Self.regions.failedAllocations, 1)
        let live = (0..<2).map { Self.regions.statistics(ofRegion: UInt($0))! }
            .map { $0.liveBlocks + $0.largeBlocks }
        XCTAssertEqual(live, [UInt(where_.filter { $0 == 1 }.count), UInt(where_.filter { $0 == 2 }.count)])
        XCTAssertNil(Self.regions.statistics(ofRegion: 2))
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertNil(Self.regions.checkIntegrity())
    }

    func testFreeOfAnotherRegionsBlockReachesItThroughTheFirst() throws {
        let (heap, others) = try makeHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        while let block = allocate(heap, 100) { blocks.append(block) }
        let elsewhere = blocks.filter { !heap.region.contains($0, bytes: 1) }
        XCTAssertFalse(elsewhere.isEmpty)
        // Freed through the primary, in an order that mixes the regions.
        for block in blocks.reversed() { heap.slab.deallocate(block) }
        XCTAssertEqual(MisuseRecorder.kinds, [])
        for index in 0..<2 {
            let stats = try XCTUnwrap(Self.regions.statistics(ofRegion: UInt(index)))
            XCTAssertEqual(stats.liveBlocks + stats.largeBlocks, 0)
            XCTAssertEqual(stats.bytesReserved, 0)
        }
        heap.releaseQuarantine()
        // The space is back: the regions serve the same number of blocks again.
        var again = 0
        while allocate(heap, 100) != nil { again += 1 }
        XCTAssertGreaterThanOrEqual(again, blocks.count - 2 * 8)  // checked builds: quarantined blocks
        withExtendedLifetime(others) {}
    }

    func testAPointerOutsideEveryRegionIsReportedAsForeign() throws {
        let (heap, others) = try makeHeap()
        defer { withExtendedLifetime(others) {} }
        let outside = TestRegion(bytes: 256)
        heap.slab.deallocate(outside.buffer.baseAddress!, caller: 7)
        // A region's own state and tables hold no block: foreign too.
        heap.slab.deallocate(others[0].buffer.baseAddress! + 8, caller: 8)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer, .foreignPointer])
        XCTAssertEqual(MisuseRecorder.reports.map(\.caller), [7, 8])
        XCTAssertEqual(heap.slab.statistics.misuseCount, 2)
    }

    func testMisuseInAnotherRegionIsReportedByThatRegion() throws {
        let (heap, others) = try makeHeap(extras: 1)
        defer { withExtendedLifetime(others) {} }
        var blocks: [UnsafeMutableRawPointer] = []
        while let block = allocate(heap, 64) { blocks.append(block) }
        let elsewhere = try XCTUnwrap(blocks.last)
        XCTAssertFalse(heap.region.contains(elsewhere, bytes: 1))
        heap.slab.deallocate(elsewhere)
        heap.slab.deallocate(elsewhere + 4)
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart])
        XCTAssertEqual(Self.regions.statistics(ofRegion: 0)?.misuseCount, 1)
        XCTAssertEqual(heap.slab.statistics.misuseCount, 0)
    }

    func testOverlappingRegionsAreRefused() throws {
        let (heap, others) = try makeHeap(extras: 1)
        defer { withExtendedLifetime(others) {} }
        let first = others[0].buffer
        // Overlapping the primary, or the region already added.
        XCTAssertFalse(Self.regions.add(region: UnsafeMutableRawBufferPointer(rebasing: heap.region.buffer[1024...]),
                                        configuration: Self.configuration, primary: heap.slab, maximumCount: 4))
        XCTAssertFalse(Self.regions.add(region: UnsafeMutableRawBufferPointer(rebasing: first[..<4096]),
                                        configuration: Self.configuration, primary: heap.slab, maximumCount: 4))
        XCTAssertEqual(Self.regions.count, 1)
        XCTAssertEqual(MisuseRecorder.kinds, [])
        XCTAssertTrue(heap.slab.checkIntegrity().isValid)
        XCTAssertNil(Self.regions.checkIntegrity())
    }

    func testARegionInThePageBelowThePrimaryIsRefused() throws {
        // The primary starts 16 bytes past a page boundary, and its tables
        // take less than a page, so its arena (whole pages) begins below it.
        let configuration = SlabConfiguration(pageSize: 1024, largestClass: 128)
        let memory = TestRegion(bytes: 32 * 1024)
        let primaryStart = 8192 + 16
        guard var primary = SlabAllocator(region: UnsafeMutableRawBufferPointer(rebasing: memory.buffer[primaryStart...]),
                                          configuration: configuration)
        else { return XCTFail("primary refused") }
        primary.misuseHandler = MisuseRecorder.handler
        XCTAssertLessThan(primary.arenaBase, memory.start + UInt(primaryStart))
        let arenaOffset = Int(primary.arenaBase - memory.start)
        XCTAssertFalse(Self.regions.add(region: UnsafeMutableRawBufferPointer(rebasing: memory.buffer[..<primaryStart]),
                                        configuration: configuration, primary: primary, maximumCount: 4))
        XCTAssertTrue(Self.regions.add(region: UnsafeMutableRawBufferPointer(rebasing: memory.buffer[..<arenaOffset]),
                                       configuration: configuration, primary: primary, maximumCount: 4))
        XCTAssertTrue(primary.checkIntegrity().isValid)
        XCTAssertNil(Self.regions.checkIntegrity())
    }

    func testTheMaximumCountAndTooSmallRegionsAreRefused() throws {
        let (heap, others) = try makeHeap(extras: 1, maximumCount: 2)
        defer { withExtendedLifetime(others) {} }
        let another = TestRegion(bytes: 8 * 1024)
        XCTAssertFalse(Self.regions.add(region: another.buffer, configuration: Self.configuration,
                                        primary: heap.slab, maximumCount: 2))
        let tiny = TestRegion(bytes: 64)
        XCTAssertFalse(Self.regions.add(region: tiny.buffer, configuration: Self.configuration,
                                        primary: heap.slab, maximumCount: 4))
        XCTAssertEqual(Self.regions.count, 1)
        XCTAssertEqual(Self.regions.bounds(ofRegion: 0)?.bytes, 8 * 1024)
    }

    func testWithNoRegionNothingIsTriedOrCounted() throws {
        XCTAssertTrue(Self.regions.isEmpty)
        XCTAssertNil(Self.regions.allocate(byteCount: 16, alignment: 8))
        XCTAssertFalse(Self.regions.deallocate(address: 0x1000, caller: 0))
        XCTAssertEqual(Self.regions.failedAllocations, 0)
    }
}
