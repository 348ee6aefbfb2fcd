import Cairn
import XCTest

/// The geometry a firmware gets when it sets only the heap size
/// (`SlabConfiguration(heapBytes:)`), and the build's explicit settings
/// overriding it.
final class GeometryTests: XCTestCase {
    /// The page size and largest class the table in
    /// `SlabConfiguration(heapBytes:)` gives.
    private func expectedGeometry(_ heapBytes: UInt) -> (UInt, UInt) {
        switch heapBytes {
        case ..<16384: return (128, 12)
        case ..<262_144: return (256, 12)
        default: return (1024, 512)
        }
    }

    /// Heap sizes from 1 KiB to 4 MiB: every 64 bytes up to 20 KiB (small
    /// parts, where a page or a class table more or less decides), then
    /// about 3 % apart, with each band's edges and their neighbours.
    private var sweep: [UInt] {
        var sizes = Array(stride(from: UInt(1024), through: 20480, by: 64))
        var size: UInt = 20480
        while size < 4 << 20 {
            size += size / 32
            sizes.append(size)
        }
        for edge: UInt in [16384, 262_144, 4 << 20] { sizes += [edge - 8, edge, edge + 8] }
        return sizes.filter { $0 >= 1024 && $0 <= 4 << 20 }.sorted()
    }

    func testEveryHeapSizeFrom1KiBTo4MiBConfiguresWithTheTablesGeometry() {
        let region = TestRegion(bytes: 4 << 20)
        for heapBytes in sweep {
            let buffer = UnsafeMutableRawBufferPointer(rebasing: region.buffer[0..<Int(heapBytes)])
            let configuration = SlabConfiguration(heapBytes: heapBytes)
            let (pageSize, largestClass) = expectedGeometry(heapBytes)
            XCTAssertEqual(configuration.pageSize, pageSize, "heap \(heapBytes)")
            XCTAssertEqual(configuration.largestClass, largestClass, "heap \(heapBytes)")
            guard let heap = SlabAllocator(region: buffer, configuration: configuration) else {
                XCTFail("heap of \(heapBytes) bytes does not configure")
                continue
            }
            let stats = heap.statistics
            // Metadata (class table, maps, the page-state map, the fit
            // heap's control block) leaves most of the heap to blocks: at
            // least 70 % of a 1 KiB heap, 90 % from 8 KiB on.
            let floor = heapBytes < 8192 ? heapBytes * 7 / 10 : heapBytes * 9 / 10
            XCTAssertGreaterThanOrEqual(stats.capacity, floor, "heap \(heapBytes): capacity \(stats.capacity)")
            XCTAssertEqual(stats.freeBytes, stats.capacity, "heap \(heapBytes)")
            XCTAssertTrue(heap.checkIntegrity().isValid, "heap \(heapBytes)")
        }
    }

    func testARandomRunFillsAndDrainsEveryGeometryBand() {
        for seed in RandomizedSeeds.all {
            for heapBytes: UInt in [1024, 3000, 9000, 16384, 100_000, 262_144, 1 << 20] {
                fillAndDrain(heapBytes: heapBytes, seed: seed)
            }
        }
    }

    /// Fills the heap with random sizes up to twice the page size (class
    /// blocks and fit-heap blocks) until an allocation fails, checks every
    /// block's bytes, frees them in random order, and fills it again: the
    /// drained heap must take at least as much as the first time.
    private func fillAndDrain(heapBytes: UInt, seed: UInt64) {
        let region = TestRegion(bytes: Int(heapBytes))
        let run = RandomRun(seed: seed, setting: "heap \(heapBytes)", suite: Self.self, test: #function,
                            file: #filePath, line: #line)
        guard var heap = SlabAllocator(region: region.buffer, configuration: SlabConfiguration(heapBytes: heapBytes))
        else { return run.fail("heap of \(heapBytes) bytes does not configure") }
        var random = SeededGenerator(seed: seed)
        let largest = 2 * heap.pageSize
        var firstFill: UInt = 0
        for round in 0..<2 {
            var blocks: [(UnsafeMutableRawPointer, UInt)] = []
            var bytes: UInt = 0
            while let block = heap.allocate(byteCount: random.uniform(1...largest), alignment: 8) {
                let size = heap.usableSize(of: block) ?? 0
                run.expect(region.contains(block, bytes: size), "block outside the heap")
                block.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: blocks.count), count: Int(size))
                blocks.append((block, size))
                bytes += size
                run.step += 1
            }
            run.expect(!blocks.isEmpty, "nothing fits in round \(round)")
            if round == 0 { firstFill = bytes }
            // What a full heap takes depends on the last sizes drawn; the
            // drained heap must hold at least half as much again.
            run.expect(bytes >= firstFill / 2, "round \(round) took \(bytes) bytes, the first \(firstFill)")
            for index in blocks.indices {
                let (block, size) = blocks[index]
                let expected = UInt8(truncatingIfNeeded: index)
                let intact = UnsafeRawBufferPointer(start: block, count: Int(size)).allSatisfy { $0 == expected }
                run.expect(intact, "block \(index) overwritten")
            }
            while !blocks.isEmpty {
                let (block, _) = blocks.remove(at: random.below(blocks.count))
                heap.deallocate(block)
                run.step += 1
            }
            run.expect(heap.checkIntegrity().isValid, "integrity after draining")
            run.expect(heap.statistics.liveBlocks == 0, "live blocks after draining")
            if run.failed { return }
        }
    }

    func testExplicitSettingsOverrideTheHeapSizesChoice() {
        let derived = SlabConfiguration(heapBytes: 8192, pageSize: 0, largestClass: 0, sizeClasses: nil)
        XCTAssertEqual(derived.pageSize, 128)
        XCTAssertEqual(derived.largestClass, 12)

        let page = SlabConfiguration(heapBytes: 8192, pageSize: 512, largestClass: 0, sizeClasses: nil)
        XCTAssertEqual(page.pageSize, 512)
        XCTAssertEqual(page.largestClass, 12, "a page size alone keeps the heap size's largest class")

        let largest = SlabConfiguration(heapBytes: 1 << 20, pageSize: 0, largestClass: 128, sizeClasses: nil)
        XCTAssertEqual(largest.pageSize, 1024)
        XCTAssertEqual(largest.largestClass, 128)

        let classes: [UInt16] = [16, 32, 300]
        classes.withUnsafeBufferPointer { explicit in
            let chosen = SlabConfiguration(heapBytes: 8192, pageSize: 0, largestClass: 0, sizeClasses: explicit)
            XCTAssertEqual(chosen.pageSize, 512, "the page grows to hold the largest explicit class and its descriptor")
            XCTAssertEqual(chosen.sizeClasses?.count, 3)
            let region = TestRegion(bytes: 8192)
            var heap = SlabAllocator(region: region.buffer, configuration: chosen)
            XCTAssertNotNil(heap?.allocate(byteCount: 300, alignment: 4))
        }
    }
}
