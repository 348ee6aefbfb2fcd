import XCTest

/// The reference model (Model/) that the randomized tests and the fuzz
/// program trust: each of its oracles must fail when the memory or the
/// placement it guards is wrong, or every test built on it proves nothing.
final class ReferenceModelTests: XCTestCase {
    /// A model over a fresh region; its reports are collected.
    private func model(bytes: Int = 256) -> (TestRegion, ReferenceModel, Reports) {
        let region = TestRegion(bytes: bytes)
        let reports = Reports()
        let model = ReferenceModel(lower: region.start, upper: region.end) { reports.messages.append($0) }
        return (region, model, reports)
    }

    private final class Reports { var messages: [String] = [] }

    func testAByteChangedInAHeldBlockIsFoundAtItsOffset() {
        let (region, model, reports) = model()
        XCTAssertTrue(model.adopt((region.start + 16).modelPointer, size: 40, alignment: 8, "test"))
        XCTAssertTrue(model.verifyAll())
        let block = model.blocks[0]
        let byte = (block.address + 29).modelPointer.assumingMemoryBound(to: UInt8.self)
        byte.pointee ^= 0x01
        XCTAssertFalse(model.verify(block, "check"))
        XCTAssertFalse(model.verifyAll())
        XCTAssertEqual(reports.messages.count, 2)
        XCTAssertTrue(reports.messages[0].contains("overwritten at byte 29"), reports.messages[0])
        // Below the changed byte the block is intact.
        XCTAssertTrue(model.verify(block, upTo: 29, "check"))
    }

    func testBlocksOfOtherTagsAndPatternsAtOtherOffsetsDiffer() {
        let (region, model, _) = model()
        let patterns = model.patterns
        let first = ModelBlock(address: region.start, size: 64, tag: 1)
        let second = ModelBlock(address: region.start + 64, size: 64, tag: 2)
        patterns.fill(first)
        patterns.fill(second)
        XCTAssertNotEqual(memcmp(first.address.modelPointer, second.address.modelPointer, 64), 0)
        // The same tag at another offset gives other bytes: a copy to the
        // wrong offset shows.
        let shifted = (0..<63).allSatisfy {
            BlockPatterns.byte(tag: 1, offset: UInt($0)) == BlockPatterns.byte(tag: 1, offset: UInt($0) + 1)
        }
        XCTAssertFalse(shifted)
    }

    func testABlockOverAHeldOneOrOutsideTheBoundsOrMisalignedIsRefused() {
        let (region, model, reports) = model()
        XCTAssertTrue(model.adopt((region.start + 64).modelPointer, size: 32, alignment: 8, "test"))
        // Overlapping the held block from below, from above, and a zero-byte
        // block at its start (which still owns a byte).
        XCTAssertNil(model.placement(of: region.start + 40, size: 32, alignment: 8, "below"))
        XCTAssertNil(model.placement(of: region.start + 88, size: 8, alignment: 8, "above"))
        XCTAssertNil(model.placement(of: region.start + 64, size: 0, alignment: 8, "zero"))
        XCTAssertNil(model.placement(of: region.end - 8, size: 16, alignment: 8, "past the end"))
        XCTAssertNil(model.placement(of: region.start - 8, size: 4, alignment: 8, "before the start"))
        XCTAssertNil(model.placement(of: region.start + 4, size: 4, alignment: 8, "misaligned"))
        XCTAssertEqual(reports.messages.count, 6, "\(reports.messages)")
        // Touching is not overlapping.
        XCTAssertNotNil(model.placement(of: region.start + 96, size: 8, alignment: 8, "after"))
        XCTAssertNotNil(model.placement(of: region.start + 32, size: 32, alignment: 8, "before"))
        XCTAssertEqual(reports.messages.count, 6)
    }

    func testAMovedBlockMustCarryWhatTheOldOneHeld() {
        let (region, model, reports) = model()
        XCTAssertTrue(model.adopt(region.start.modelPointer, size: 24, alignment: 8, "test"))
        // A realloc that copied the old bytes: accepted, and the old block
        // is forgotten.
        memcpy((region.start + 64).modelPointer, region.start.modelPointer, 24)
        let moved = model.move(at: 0, to: region.start + 64, size: 48, alignment: 8, released: true, "realloc")
        XCTAssertEqual(moved, 0)
        XCTAssertEqual(model.count, 1)
        XCTAssertTrue(model.verifyAll(), "\(reports.messages)")
        // One that lost a byte on the way is reported.
        let p = (region.start + 64).modelPointer
        memcpy((region.start + 128).modelPointer, p, 48)
        (region.start + 128 + 5).modelPointer.storeBytes(of: ~p.load(fromByteOffset: 5, as: UInt8.self), as: UInt8.self)
        XCTAssertNil(model.move(at: 0, to: region.start + 128, size: 64, alignment: 8, released: true, "realloc"))
        XCTAssertTrue(reports.messages.last?.contains("overwritten at byte 5") ?? false, "\(reports.messages)")
    }

    func testACallocBlockWithANonZeroByteIsFound() {
        let (region, model, _) = model()
        UnsafeMutableRawPointer(region.start.modelPointer).initializeMemory(as: UInt8.self, repeating: 0, count: 32)
        XCTAssertNil(model.patterns.firstNonZero(region.start, 32))
        region.start.modelPointer.storeBytes(of: 7, toByteOffset: 17, as: UInt8.self)
        XCTAssertEqual(model.patterns.firstNonZero(region.start, 32), 17)
    }
}
