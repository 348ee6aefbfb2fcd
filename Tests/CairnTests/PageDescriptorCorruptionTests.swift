import XCTest
@testable import Cairn

/// Forged words in a class page's descriptor (at the page's end, where an
/// overflow of its last block reaches) met on the slow paths: a refill
/// serving the page behind a kept empty page, the reclaim of a kept page
/// when memory runs short, and the unlinking of a page whose neighbour
/// link was forged. Each must be reported as `heapCorruption` and must
/// never send a page with blocks in use back to the fit heap.
final class PageDescriptorCorruptionTests: XCTestCase {
    override func setUp() {
        MisuseRecorder.reset()
    }

    let blockBytes: UInt = 24

    /// `count` blocks of one class, and that class's blocks per page.
    func blocks(_ heap: SlabFixture, count: Int) -> (blocks: [UnsafeMutableRawPointer], perPage: Int) {
        let first = heap.slab.allocate(byteCount: blockBytes, alignment: 8)!
        let record = heap.slab.classRecord(UInt(heap.slab.pageState(heap.page(of: first))))
        var all = [first]
        while all.count < count { all.append(heap.slab.allocate(byteCount: blockBytes, alignment: 8)!) }
        return (all, Int(record.pointee.blocksPerPage))
    }

    /// Takes large blocks until none fits (the reclaim runs), failing on
    /// any that lands on `page`.
    func fillWithLargeBlocks(_ heap: SlabFixture, sparing page: UInt, file: StaticString = #filePath,
                             line: UInt = #line) {
        let pageStart = heap.slab.pageAddress(page)
        while let block = heap.slab.allocate(byteCount: 700, alignment: 8) {
            XCTAssertFalse(block.address + 700 > pageStart && block.address < pageStart + heap.slab.pageSize,
                           "a large block took a page whose blocks are in use", file: file, line: line)
        }
    }

    /// A partial page with blocks in use whose `used` (and carved limit)
    /// are forged to look like the class's kept empty page: the reclaim
    /// must find the use count out of step with its check.
    func testForgedEmptyUseCountOfAPartialPageIsReportedWhenMemoryRunsShort() throws {
        let heap = try SlabFixture(bytes: 16 * 1024)
        let per = perPage(heap)
        var (live, _) = blocks(heap, count: 2 * per + 1)
        let page = heap.page(of: live[0])
        heap.slab.deallocate(live.remove(at: 1))
        heap.releaseQuarantine()
        XCTAssertEqual(UInt(heap.slab.classRecord(UInt(heap.slab.pageState(page))).pointee.partialHead), page)
        let state = heap.slab.pageState(page)
        heap.slab.descriptor(page).pointee.used = 0
        heap.slab.descriptor(page).pointee.carved = 3
        fillWithLargeBlocks(heap, sparing: page)
        XCTAssertEqual(heap.slab.pageState(page), state)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
    }

    /// The class keeps an emptied page at the head of its partial list and
    /// a partial page behind it; the kept page's link to that page is
    /// forged: the refill must not follow it.
    func testForgedLinkBehindTheKeptEmptyPageIsReportedOnRefill() throws {
        let heap = try SlabFixture()
        let per = perPage(heap)
        var (live, _) = blocks(heap, count: 2 * per + 1)
        let kept = heap.page(of: live[0])
        let behind = heap.page(of: live[per])
        XCTAssertNotEqual(kept, behind)
        // The first page empties (the class keeps it), then the second
        // gets a free block and goes behind it.
        for block in live[0..<per] { heap.slab.deallocate(block) }
        live.removeFirst(per)
        heap.slab.deallocate(live.removeFirst())
        heap.releaseQuarantine()
        let record = heap.slab.classRecord(UInt(heap.slab.pageState(kept)))
        XCTAssertEqual(UInt(record.pointee.partialHead), kept)
        XCTAssertEqual(UInt(heap.slab.descriptor(kept).pointee.next), behind)
        heap.slab.descriptor(kept).pointee.next = 0x7777
        assertAllocationsStayInside(heap, count: 2 * per, blockBytes: blockBytes, live: live)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
    }

    /// A partial page whose free-list head and carved limit are both forged
    /// (the limit past the page's end): the refill abandons the page, and
    /// the limit it leaves stays inside the page.
    func testPartialPageWithAForgedCarvedLimitIsAbandonedWithinItsPage() throws {
        let heap = try SlabFixture()
        let per = perPage(heap)
        var (live, _) = blocks(heap, count: per + 2)
        let page = heap.page(of: live[0])
        heap.slab.deallocate(live.remove(at: 1))
        heap.releaseQuarantine()
        heap.slab.descriptor(page).pointee.freeList = 0xFFFF_FFF0
        heap.slab.descriptor(page).pointee.carved = 0xFFF0
        assertAllocationsStayInside(heap, count: 2 * per, blockBytes: blockBytes, live: live)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
        XCTAssertLessThanOrEqual(UInt(heap.slab.descriptor(page).pointee.carved),
                                 heap.slab.pageSize - PageDescriptor.pageTail)
    }

    /// A page on the partial list behind another, whose link back to that
    /// page is forged to a third page of the class: taking it off the list
    /// trusts neither, and it leaves no page of the list pointing at
    /// memory that left the class.
    func testForgedBackLinkOfAPartialPageIsNotWrittenThrough() throws {
        let heap = try SlabFixture()
        let per = perPage(heap)
        var (live, _) = blocks(heap, count: 3 * per + 1)
        let first = heap.page(of: live[0])
        let second = heap.page(of: live[per])
        let third = heap.page(of: live[2 * per])
        // Two partial pages: the second, then the first in front of it.
        heap.slab.deallocate(live.remove(at: per + 1))
        heap.slab.deallocate(live.remove(at: 1))
        heap.releaseQuarantine()
        XCTAssertEqual(UInt(heap.slab.descriptor(first).pointee.next), second)
        heap.slab.descriptor(second).pointee.prev = UInt16(third)
        // Every block of the second page goes: it empties and leaves the list.
        let ofSecond = live.filter { heap.page(of: $0) == second }
        for block in ofSecond { heap.slab.deallocate(block) }
        live.removeAll { heap.page(of: $0) == second }
        heap.releaseQuarantine()
        XCTAssertNotEqual(UInt(heap.slab.descriptor(third).pointee.next), second)
        // The first page still names the second, which went back to the fit
        // heap: the refill must find that link dangling, not follow it.
        assertAllocationsStayInside(heap, count: 3 * per, blockBytes: blockBytes, live: live)
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
    }

    /// realloc's free of a block it knows is live (release build): a large
    /// block whose header was overwritten since is reported, not merged.
    func testKnownLiveFreeOfALargeBlockWithAForgedHeaderIsReported() throws {
        let heap = try SlabFixture(bytes: 8192, pageSize: 256, largestClass: 12)
        let kept = heap.slab.allocate(byteCount: 40, alignment: 8)!
        let victim = heap.slab.allocate(byteCount: 40, alignment: 8)!
        (victim - 4).storeBytes(of: UInt32(0xFFFF_FFF0), as: UInt32.self)
        heap.slab.deallocate(knownLive: victim, caller: 0)
        XCTAssertFalse(MisuseRecorder.kinds.isEmpty)
        #if !CAIRN_CHECKED
        XCTAssertTrue(MisuseRecorder.kinds.contains(.heapCorruption), "\(MisuseRecorder.kinds)")
        #endif
        assertAllocationsStayInside(heap, count: 8, blockBytes: blockBytes, live: [kept, victim], liveBytes: 40)
    }

    // MARK: - Helpers

    func perPage(_ heap: SlabFixture) -> Int {
        let probe = heap.slab.allocate(byteCount: blockBytes, alignment: 8)!
        let per = Int(heap.slab.classRecord(UInt(heap.slab.pageState(heap.page(of: probe)))).pointee.blocksPerPage)
        heap.slab.deallocate(probe)
        heap.releaseQuarantine()
        return per
    }

}
