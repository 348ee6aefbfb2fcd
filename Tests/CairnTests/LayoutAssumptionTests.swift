import XCTest
@testable import Cairn

/// Every layout assumption the slab makes, checked where a reader can see it.
final class LayoutAssumptionTests: XCTestCase {
    func testPageDescriptorIsSixteenBytesWithUseAndItsCheckInOneWord() {
        XCTAssertEqual(MemoryLayout<PageDescriptor>.stride, 16)
        XCTAssertEqual(MemoryLayout<PageDescriptor>.offset(of: \.freeList), 0)
        // `used` and its check sit in the same aligned word, changed together.
        XCTAssertEqual(MemoryLayout<PageDescriptor>.offset(of: \.used), 4)
        XCTAssertEqual(MemoryLayout<PageDescriptor>.offset(of: \.usedCheck), 6)
    }

    func testAPageTailHoldsTheDescriptorAndTheNextFitBlocksHeaderAndNothingElse() {
        XCTAssertEqual(PageDescriptor.pageTail, UInt(MemoryLayout<PageDescriptor>.stride) + FitHeap.headerBytes)
        var pageSize = SlabConfiguration.minimumPageSize
        while pageSize <= SlabConfiguration.maximumPageSize {
            // The largest class is one block beside the tail.
            XCTAssertEqual(SlabConfiguration.largestClassLimit(pageSize: pageSize), pageSize - PageDescriptor.pageTail)
            // The descriptor (at pageSize - 20) is aligned for its words.
            XCTAssertEqual((pageSize - PageDescriptor.pageTail) % UInt(MemoryLayout<PageDescriptor>.alignment), 0)
            // A class page is one fit block of exactly one page: a page is a
            // whole number of fit-heap granules.
            XCTAssertEqual(pageSize % FitHeap.granule, 0)
            pageSize <<= 1
        }
    }

    func testSizeClassRecordIsSixteenBytes() {
        XCTAssertEqual(MemoryLayout<SizeClassRecord>.stride, 16)
        XCTAssertEqual(MemoryLayout<SizeClassRecord>.alignment, 4)
    }

    func testSentinelsCannotBeRealValues() {
        // A page number is below maximumPageCount, so 0xFFFF is never one.
        XCTAssertLessThan(SlabConfiguration.maximumPageCount, UInt(PageDescriptor.noPage))
        // Arena offsets stay below 4 GiB - 1, so UInt32.max is never a block.
        XCTAssertEqual(PageDescriptor.noBlock, UInt32.max)
        // Class indices, in the one-byte page-state map and the size→class
        // maps, stay below "not a class page" and "no class".
        XCTAssertLessThan(SlabConfiguration.maximumClassCount, Int(PageDescriptor.notClassPage))
        XCTAssertLessThan(SlabConfiguration.maximumClassCount, Int(SlabAllocator.noClass))
    }

    func testBlockStartTestMatchesDivisionForEveryOffsetOfSomeClasses() {
        // (AddressArithmeticTests proves it for every class size; this checks
        // the values the allocator actually stores.)
        let heap = try! SlabFixture()
        for index in 0..<heap.slab.sizeClassCount {
            let record = heap.slab.classRecord(UInt(index)).pointee
            let size = UInt32(record.blockSize)
            for offset in UInt32(0)..<1024 {
                XCTAssertEqual(offset &* record.reciprocal < record.reciprocal, offset % size == 0, "size \(size) offset \(offset)")
            }
        }
    }

    func testFreeBlocksHoldALinkAndAMarkSoTheSmallestClassIsTwoWords() throws {
        let heap = try SlabFixture()
        XCTAssertGreaterThanOrEqual(heap.slab.blockSize(ofClass: 0), 8)
    }
}
