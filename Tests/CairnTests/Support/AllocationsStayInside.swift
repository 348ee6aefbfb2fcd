import XCTest
@testable import Cairn

/// Allocates `count` blocks of `blockBytes` from `heap` and fails on any
/// that lies outside its arena or over a live block (`live`, of
/// `liveBytes` each, or one allocated here): what a heap whose words were
/// forged must still guarantee.
func assertAllocationsStayInside(_ heap: SlabFixture, count: Int, blockBytes: UInt, live: [UnsafeMutableRawPointer],
                                 liveBytes: UInt? = nil, file: StaticString = #filePath, line: UInt = #line) {
    var intervals = live.map { ($0.address, $0.address + (liveBytes ?? blockBytes)) }
    let regionStart = heap.region.buffer.baseAddress!.address
    let regionEnd = regionStart + UInt(heap.region.buffer.count)
    for _ in 0..<count {
        guard let block = heap.slab.allocate(byteCount: blockBytes, alignment: 8) else { continue }
        let start = block.address
        XCTAssertTrue(heap.slab.owns(block) && start >= regionStart && start + blockBytes <= regionEnd,
                      "block \(String(start, radix: 16)) outside the arena", file: file, line: line)
        for (other, otherEnd) in intervals where start < otherEnd && other < start + blockBytes {
            XCTFail("block \(String(start, radix: 16)) overlaps live \(String(other, radix: 16))", file: file, line: line)
        }
        intervals.append((start, start + blockBytes))
    }
}
