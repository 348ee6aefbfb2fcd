// Every power-of-two alignment on the region's slab, class blocks and
// large (fit-heap) blocks alike.
import Cairn

/// Alignments 1, 2, 4, ... up to four pages, with sizes at and around the
/// alignment; the previous block stays live while the next is taken, so
/// blocks do not all start at the same place.
func slabHonoursEveryAlignment(_ slab: inout SlabAllocator) {
    let page = slab.pageSize
    var previous: UnsafeMutableRawPointer? = nil
    var alignment: UInt = 1
    var tag: UInt32 = 100
    while alignment <= 4 * page {
        for choice in 0..<4 {
            let size: UInt
            switch choice {
            case 0: size = 1
            case 1: size = alignment
            case 2: size = alignment + 1
            default: size = 3 * alignment / 2 + 4
            }
            guard let block = slab.allocate(byteCount: size, alignment: alignment) else {
                // Four pages aligned to four pages need up to seven free pages.
                expect(alignment > page, "slab allocates every alignment up to a page", "returned nil",
                       value: alignment)
                continue
            }
            expect(isAligned(block, alignment), "slab honours the alignment asked for", "misaligned block",
                   value: alignment)
            expect((slab.usableSize(of: block) ?? 0) >= size, "slab aligned block holds its size",
                   "usable size too small", value: size)
            tag += 1
            ontarget_fill(block, Int(size), tag)
            expect(ontarget_first_changed_byte(block, Int(size), tag) == Int(size),
                   "slab aligned block keeps its contents", "a byte changed", value: alignment)
            if let previous { slab.deallocate(previous) }
            previous = block
        }
        alignment <<= 1
    }
    if let previous { slab.deallocate(previous) }
    expectEmpty(slab, "slab alignments leave no block behind")
}
