// Sizes and alignments at the edge of a 32-bit address space, on the
// region's slab: every one must fail cleanly (nil, ENOMEM or EINVAL, no
// wrap-around, no fault) and leave the allocator intact.
import Cairn

/// Sizes no region can hold, around UInt32.max (= UInt.max on the target).
func forEachImpossibleSize(pageSize: UInt, capacity: UInt, _ body: (UInt) -> Void) {
    body(UInt.max)
    body(UInt.max - 3)
    body(UInt.max - 7)
    body(UInt.max - pageSize + 1)
    body(UInt.max - pageSize)
    body(UInt(UInt32.max / 2) + 1)
    body(capacity + 1)
}

func slabRefusesImpossibleSizes(_ slab: inout SlabAllocator) {
    expect(MemoryLayout<UInt>.size == 4, "the target is 32-bit", "UInt is not 4 bytes",
           value: UInt(MemoryLayout<UInt>.size))
    let page = slab.pageSize
    let capacity = slab.statistics.capacity
    guard let kept = CHeap.malloc(&slab, byteCount: 40) else {
        expect(false, "slab edge cases setup", "malloc(40) returned nil")
        return
    }
    ontarget_fill(kept, 40, 9)
    forEachImpossibleSize(pageSize: page, capacity: capacity) { size in
        var alignment: UInt = 1
        while alignment <= page {
            expect(slab.allocate(byteCount: size, alignment: alignment) == nil, "slab refuses sizes near UInt.max",
                   "a block was returned for size", value: size)
            alignment <<= 3
        }
        expect(CHeap.malloc(&slab, byteCount: size) == nil, "slab malloc refuses sizes near UInt.max",
               "a block was returned for size", value: size)
        expect(CHeap.realloc(&slab, kept, byteCount: size) == nil, "slab realloc refuses sizes near UInt.max",
               "a block was returned for size", value: size)
        var out: UnsafeMutableRawPointer? = nil
        expect(CHeap.posixMemalign(&slab, &out, alignment: 8, byteCount: size) == CHeap.ENOMEM && out == nil,
               "slab posix_memalign gives ENOMEM near UInt.max", "not ENOMEM, or out written", value: size)
    }
    expect(ontarget_first_changed_byte(kept, 40, 9) == 40, "slab failed realloc keeps the old block",
           "a byte changed")
    expect((slab.usableSize(of: kept) ?? 0) >= 40, "slab failed realloc keeps the old block live",
           "the block is gone")

    // Alignments that are not powers of two, or bigger than any region.
    expect(slab.allocate(byteCount: 8, alignment: 0) == nil, "slab refuses alignment 0", "a block was returned")
    expect(slab.allocate(byteCount: 8, alignment: 3) == nil, "slab refuses alignment 3", "a block was returned")
    expect(slab.allocate(byteCount: 8, alignment: UInt.max) == nil, "slab refuses alignment UInt.max",
           "a block was returned")
    expect(slab.allocate(byteCount: 8, alignment: 1 << 31) == nil, "slab refuses alignment 2^31",
           "a block was returned")
    expect(slab.allocate(byteCount: 1 << 31, alignment: 1 << 31) == nil, "slab refuses 2^31 bytes at 2^31",
           "a block was returned")

    // calloc: the product overflows 32 bits.
    expect(CHeap.calloc(&slab, count: 65536, size: 65536) == nil, "slab calloc(65536, 65536) overflows to nil",
           "a block was returned")
    expect(CHeap.calloc(&slab, count: UInt.max, size: 2) == nil, "slab calloc(UInt.max, 2) overflows to nil",
           "a block was returned")
    expect(CHeap.calloc(&slab, count: 3, size: UInt.max / 2) == nil, "slab calloc(3, UInt.max / 2) overflows to nil",
           "a block was returned")
    if let none = CHeap.calloc(&slab, count: 0, size: UInt.max) {
        CHeap.free(&slab, none)
    } else {
        expect(false, "slab calloc(0, UInt.max) is a zero-size block", "returned nil")
    }
    CHeap.free(&slab, kept)
    expectEmpty(slab, "slab edge cases leave no block behind")
}
