import XCTest
@testable import Cairn

/// A slab over a fresh region, with misuse recorded. A class, because the
/// allocator is noncopyable and tests want to hold it with its region.
final class SlabFixture {
    let region: TestRegion
    var slab: SlabAllocator

    init(bytes: Int = 64 * 1024, pageSize: UInt = 1024, largestClass: UInt = 512,
         file: StaticString = #filePath, line: UInt = #line) throws {
        region = TestRegion(bytes: bytes)
        guard let slab = SlabAllocator(region: region.buffer,
                                       configuration: SlabConfiguration(pageSize: pageSize, largestClass: largestClass))
        else {
            XCTFail("configuration refused", file: file, line: line)
            throw CancellationError()
        }
        self.slab = slab
        self.slab.misuseHandler = MisuseRecorder.handler
    }

    /// Checked builds keep freed blocks, large ones included, in quarantine
    /// for a while: this empties it, so that what was freed so far is back
    /// in its page or in the fit heap (where a release build puts it at
    /// once). Nothing in a release build.
    func releaseQuarantine() {
        #if CAIRN_CHECKED
        _ = slab.flushQuarantine()
        #endif
    }

    /// The number of the page holding `block`.
    func page(of block: UnsafeMutableRawPointer) -> UInt {
        slab.page(of: block.address)
    }

    /// True when `block` lies in a class page; false for a fit-heap block
    /// of its own (a large block, or a class block served by the fit heap).
    func isInClassPage(_ block: UnsafeMutableRawPointer) -> Bool {
        slab.isInClassPage(block.address)
    }

    /// Large blocks of `byteCount` bytes (above the largest class) until
    /// the fit heap has fewer than `freeBytes` bytes free, or none fits.
    func fillWithLargeBlocks(byteCount: UInt, untilFreeBytesBelow freeBytes: UInt) -> [UnsafeMutableRawPointer] {
        var blocks: [UnsafeMutableRawPointer] = []
        while slab.statistics.freeBytes >= freeBytes, let block = slab.allocate(byteCount: byteCount, alignment: 8) {
            blocks.append(block)
        }
        return blocks
    }

    /// Bytes a request of `byteCount` takes out of the fit heap when it is
    /// served as a fit-heap block: the checked build's canary, a 4-byte
    /// header, rounded up to the 8-byte granule, at least the 16-byte
    /// minimum block.
    static func fitBlockBytes(forRequest byteCount: UInt) -> UInt {
        max(16, (byteCount + SlabAllocator.blockOverhead + 4 + 7) & ~7)
    }

    /// Three large blocks of `byteCount` bytes side by side, in address
    /// order (wherever the fit heap placed them, one free block was cut
    /// three times, so they touch).
    func threeAdjacentLargeBlocks(byteCount: UInt, file: StaticString = #filePath, line: UInt = #line) throws
        -> (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer) {
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<3 {
            blocks.append(try XCTUnwrap(slab.allocate(byteCount: byteCount, alignment: 8), file: file, line: line))
        }
        blocks.sort { $0.address < $1.address }
        let stride = Self.fitBlockBytes(forRequest: byteCount)
        XCTAssertEqual(blocks[1].address, blocks[0].address + stride, "not adjacent", file: file, line: line)
        XCTAssertEqual(blocks[2].address, blocks[1].address + stride, "not adjacent", file: file, line: line)
        return (blocks[0], blocks[1], blocks[2])
    }

    /// Blocks of `byteCount` bytes until the heap refuses one.
    func fill(byteCount: UInt, alignment: UInt = 8) -> [UnsafeMutableRawPointer] {
        var blocks: [UnsafeMutableRawPointer] = []
        while let block = slab.allocate(byteCount: byteCount, alignment: alignment) { blocks.append(block) }
        return blocks
    }
}
