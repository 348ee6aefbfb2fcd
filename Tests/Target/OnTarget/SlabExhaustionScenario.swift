// Exhaustion of the region's slab and full recovery: after everything is
// freed, the whole capacity is one block again.
import Cairn

/// Fills the region with blocks of mixed sizes, then the smallest class
/// until nothing fits; frees them all in an interleaved order; then the
/// whole capacity must come back as one block.
func slabRecoversFromExhaustion(_ slab: inout SlabAllocator) {
    let page = slab.pageSize
    let largest = slab.largestClassSize
    let failuresBefore = slab.statistics.outOfMemoryCount
    // The blocks are chained through their first word.
    var head: UnsafeMutableRawPointer? = nil
    var count: UInt = 0
    var round: UInt = 0
    while true {
        let size: UInt
        switch round % 6 {
        case 0: size = 8
        case 1: size = 40
        case 2: size = largest / 2 + 1
        case 3: size = largest
        case 4: size = page + 1
        default: size = 2 * page
        }
        round += 1
        guard let block = slab.allocate(byteCount: size, alignment: 8) else { break }
        block.storeBytes(of: head, as: UnsafeMutableRawPointer?.self)
        head = block
        count += 1
    }
    let link = UInt(MemoryLayout<UnsafeMutableRawPointer?>.size)
    while let block = slab.allocate(byteCount: link, alignment: 1) {
        block.storeBytes(of: head, as: UnsafeMutableRawPointer?.self)
        head = block
        count += 1
    }
    let full = slab.statistics
    // Not even the smallest fit-heap block (16 bytes) is left.
    expect(full.largestFreeBlock < 16, "slab exhaustion uses the whole fit heap", "a free block is left",
           value: full.largestFreeBlock)
    expect(full.outOfMemoryCount >= failuresBefore + 2, "slab counts failed allocations", "not counted",
           value: full.outOfMemoryCount - failuresBefore)
    expect(count > 3, "slab exhaustion fills the region with blocks", "few blocks", value: count)
    expectIntact(slab, "slab is intact when exhausted")

    // Free every other block first, then the rest: pages and large blocks
    // merge in the fit heap out of order.
    var survivors: UnsafeMutableRawPointer? = nil
    var odd = false
    while let block = head {
        head = block.load(as: UnsafeMutableRawPointer?.self)
        if odd {
            slab.deallocate(block)
        } else {
            block.storeBytes(of: survivors, as: UnsafeMutableRawPointer?.self)
            survivors = block
        }
        odd.toggle()
    }
    expectIntact(slab, "slab is intact with half the blocks freed")
    while let block = survivors {
        survivors = block.load(as: UnsafeMutableRawPointer?.self)
        slab.deallocate(block)
    }
    expectEmpty(slab, "slab exhaustion: every block freed")
    expectIntact(slab, "slab is intact after freeing everything")

    // One block can take the fit heap's whole capacity less its 4-byte
    // header (a checked build keeps a canary inside it too).
    let whole = slab.statistics.capacity - 4 - SlabAllocator.blockOverhead
    if let block = slab.allocate(byteCount: whole, alignment: 8) {
        expect((slab.usableSize(of: block) ?? 0) >= whole, "slab gives the whole capacity back as one block",
               "usable size too small", value: slab.usableSize(of: block) ?? 0)
        slab.deallocate(block)
    } else {
        expect(false, "slab gives the whole capacity back as one block", "allocation failed", value: whole)
    }
    expect(slab.allocate(byteCount: whole + 1, alignment: 8) == nil, "slab refuses one byte over capacity",
           "a block was returned")
    expectIntact(slab, "slab is intact after full recovery")
}
