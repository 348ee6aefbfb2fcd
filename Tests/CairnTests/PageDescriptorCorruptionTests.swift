import XCTest
@testable import Cairn

/// Forged words in a class page's descriptor (at the page's end, where an
/// overflow of its last block reaches) met on the slow paths: a refill
/// serving the page behind a kept empty page, the reclaim of a kept page
/// when memory runs short, and the unlinking of a page whose neighbour
/// link was forged. Each must be reported as `heapCorruption` and must
/// never send a page with blocks in use back to the fit heap.
final class PageDescriptorCorruptionTests: MisuseRecordingTestCase {
    let blockBytes: UInt = 24

    /// Blocks of one class filling `fullPages` pages of it and `extra`
    /// more, that class's blocks per page, and the pages they fill, in order.
    func blocks(_ heap: SlabFixture, fullPages: Int, extra: Int)
        -> (blocks: [UnsafeMutableRawPointer], perPage: Int, pages: [UInt]) {
        let probe = heap.slab.allocate(byteCount: blockBytes, alignment: 8)!
        let per = Int(heap.slab.classRecord(UInt(heap.slab.pageState(heap.page(of: probe)))).pointee.blocksPerPage)
        heap.slab.deallocate(probe)
        heap.releaseQuarantine()
        var all: [UnsafeMutableRawPointer] = []
        while all.count < fullPages * per + extra { all.append(heap.slab.allocate(byteCount: blockBytes, alignment: 8)!) }
        return (all, per, stride(from: 0, to: all.count, by: per).map { heap.page(of: all[$0]) })
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
        var (live, _, pages) = blocks(heap, fullPages: 2, extra: 1)
        let page = pages[0]
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
        var (live, per, pages) = blocks(heap, fullPages: 2, extra: 1)
        let (kept, behind) = (pages[0], pages[1])
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
        var (live, per, pages) = blocks(heap, fullPages: 1, extra: 2)
        let page = pages[0]
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
        var (live, per, pages) = blocks(heap, fullPages: 3, extra: 1)
        let (first, second, third) = (pages[0], pages[1], pages[2])
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

}
