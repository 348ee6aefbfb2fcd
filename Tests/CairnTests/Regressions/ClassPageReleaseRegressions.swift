import XCTest
@testable import Cairn

/// What a class page leaves behind when it goes back to the fit heap.
///
/// Once a page that emptied goes back to the fit heap, the page-state map
/// no longer names it, and a later free of an address inside it is judged
/// by FitHeap's header check alone, which cannot tell a word that looks
/// like a header from a real one (FitHeap's documentation). Whatever the
/// page's blocks held (the caller's data, or what an earlier configuration
/// left there) must therefore not survive its going back: each freed class
/// block's last word is written with a value that reads as no header
/// (`releaseBlock`; a checked build's poison does the same), so the word
/// before an old block of an emptied page reads as no header, and the page
/// goes back in O(1) (`releaseClassPage`). The fuzz program found it as a
/// freed block that still had a usable size (FuzzRegressions).
final class ClassPageReleaseRegressions: MisuseRecordingTestCase {
    /// A double free of a class block whose page went back to the fit heap,
    /// where the caller's data before the block looked like a fit-heap
    /// header, was taken for the free of a live fit-heap block: no misuse
    /// was reported and the fit heap "freed" a block that did not exist
    /// (bytesInUse fell, `checkIntegrity()` then named `.fitHeap`, and later
    /// allocations could overlap live blocks). Before the fit heap such a
    /// page was a free span, and the free was reported as `notBlockStart`.
    func testDoubleFreeOfABlockWhosePageWentBackToTheFitHeapChangesNothing() {
        let region = TestRegion(bytes: 16 * 1024)
        let sizes: [UInt16] = [48]
        sizes.withUnsafeBufferPointer { classes in
            var configuration = SlabConfiguration(pageSize: 256, sizeClasses: classes)
            // A checked build frees at once too, so that the page empties.
            configuration.quarantineSlots = 0
            guard var slab = SlabAllocator(region: region.buffer, configuration: configuration)
            else { return XCTFail("configuration refused") }
            slab.misuseHandler = MisuseRecorder.handler
            // Three pages of 48-byte blocks, (256 - 20) / 48 = 4 a page.
            var blocks: [UnsafeMutableRawPointer] = []
            for _ in 0..<12 {
                guard let block = slab.allocate(byteCount: 48 - SlabAllocator.blockOverhead, alignment: 8)
                else { return XCTFail("no block") }
                blocks.append(block)
            }
            func page(_ block: UnsafeMutableRawPointer) -> UInt { (block.address - slab.arenaBase) >> slab.pageShift }
            XCTAssertEqual(Set(blocks[0..<4].map(page)).count, 1, "the first four blocks share a page")
            // The caller's data: the last word of block 0, right before block
            // 1, reads as the header of a 64-byte fit-heap block in use (its
            // predecessor in use), and the word 64 bytes on, inside block 1,
            // as a header whose "previous in use" bit is set. (A checked
            // build keeps its canary in a block's last word, and poisons a
            // block it frees: there the words before block 1 are the
            // allocator's.)
            #if !CAIRN_CHECKED
            blocks[0].storeBytes(of: UInt32(0x43), toByteOffset: 44, as: UInt32.self)
            blocks[1].storeBytes(of: UInt32(0x13), toByteOffset: 60, as: UInt32.self)
            #endif
            // A block of the second page first, so that it is on the class's
            // partial list; then every block of the first page, which empties
            // and goes back to the fit heap.
            slab.deallocate(blocks[4])
            for block in blocks[0..<4] { slab.deallocate(block) }
            XCTAssertEqual(slab.pageState(page(blocks[1])), PageDescriptor.notClassPage, "the page was kept")
            XCTAssertTrue(MisuseRecorder.reports.isEmpty)
            let before = slab.statistics
            XCTAssertTrue(slab.checkIntegrity().isValid)

            slab.deallocate(blocks[1])  // freed twice

            XCTAssertEqual(MisuseRecorder.reports.count, 1, "the double free was not reported")
            XCTAssertTrue(MisuseRecorder.kinds.allSatisfy { $0 == .doubleFree || $0 == .notBlockStart },
                          "reported as \(MisuseRecorder.kinds)")
            let after = slab.statistics
            XCTAssertEqual(after.bytesInUse, before.bytesInUse, "the double free changed the bytes in use")
            XCTAssertEqual(after.freeBytes, before.freeBytes, "the double free changed the free bytes")
            let report = slab.checkIntegrity()
            XCTAssertTrue(report.isValid, "after the double free: \(report.problem.map { "\($0)" } ?? "-")")
        }
    }
}
