// The C allocation rules (CHeap) over the region's slab: malloc, realloc
// within a class, to a larger class, to a large block and back, realloc(p, 0),
// calloc of reused memory, posix_memalign and aligned_alloc refusals,
// malloc(0).
import Cairn

func slabFollowsTheCRules(_ slab: inout SlabAllocator) {
    let page = slab.pageSize
    guard let first = CHeap.malloc(&slab, byteCount: 24) else {
        expect(false, "slab malloc", "malloc(24) returned nil")
        return
    }
    expect(isAligned(first, 8), "slab malloc aligns to 8", "misaligned block", value: UInt(bitPattern: first))
    expect((slab.usableSize(of: first) ?? 0) >= 24, "slab usable size covers the request", "too small",
           value: slab.usableSize(of: first) ?? 0)
    ontarget_fill(first, 24, 1)
    expect(CHeap.realloc(&slab, first, byteCount: 20) == first, "slab realloc that fits keeps the block",
           "the block moved")

    // Up to a larger class, then to a large block: the contents move along.
    guard let grown = CHeap.realloc(&slab, first, byteCount: 200) else {
        expect(false, "slab realloc to a larger class", "returned nil")
        return
    }
    // The block holds 20 bytes now: only those are sure to move (a checked
    // build keeps a canary right after them).
    expect(ontarget_first_changed_byte(grown, 20, 1) == 20, "slab realloc to a larger class keeps contents",
           "a byte changed")
    ontarget_fill(grown, 200, 2)
    guard let run = CHeap.realloc(&slab, grown, byteCount: 2 * page + 8) else {
        expect(false, "slab realloc to a large block", "returned nil")
        return
    }
    expect(ontarget_first_changed_byte(run, 200, 2) == 200, "slab realloc to a large block keeps contents",
           "a byte changed")
    expect(isAligned(run, 8), "slab large blocks are 8-aligned", "misaligned block", value: UInt(bitPattern: run))
    expect(CHeap.realloc(&slab, run, byteCount: page + 1) == run, "slab realloc shrinking a large block keeps it",
           "the block moved")
    // realloc(p, 0) keeps p as a unique minimum-size block (see CHeap.realloc).
    expect(CHeap.realloc(&slab, run, byteCount: 0) == run, "slab realloc(p, 0) keeps p", "returned another block")
    CHeap.free(&slab, run)

    guard let fresh = CHeap.realloc(&slab, nil, byteCount: 16) else {
        expect(false, "slab realloc(NULL, n) is malloc", "returned nil")
        return
    }
    CHeap.free(&slab, fresh)

    // calloc must zero a block that held data before.
    if let dirty = CHeap.malloc(&slab, byteCount: 48) {
        ontarget_fill(dirty, 48, 3)
        CHeap.free(&slab, dirty)
    }
    if let zeroed = CHeap.calloc(&slab, count: 12, size: 4) {
        var nonZero = 0
        for i in 0..<48 where zeroed.load(fromByteOffset: i, as: UInt8.self) != 0 { nonZero += 1 }
        expect(nonZero == 0, "slab calloc zeroes reused memory", "non-zero bytes", value: UInt(nonZero))
        CHeap.free(&slab, zeroed)
    } else {
        expect(false, "slab calloc zeroes reused memory", "calloc(12, 4) returned nil")
    }

    // posix_memalign: EINVAL below a pointer or not a power of two, out untouched.
    let sentinel = UnsafeMutableRawPointer(bitPattern: UInt(0xDEAD_BEE0))
    var out = sentinel
    expect(CHeap.posixMemalign(&slab, &out, alignment: 2, byteCount: 8) == CHeap.EINVAL,
           "slab posix_memalign rejects alignment 2", "not EINVAL")
    expect(CHeap.posixMemalign(&slab, &out, alignment: 0, byteCount: 8) == CHeap.EINVAL,
           "slab posix_memalign rejects alignment 0", "not EINVAL")
    expect(CHeap.posixMemalign(&slab, &out, alignment: 12, byteCount: 8) == CHeap.EINVAL,
           "slab posix_memalign rejects alignment 12", "not EINVAL")
    expect(out == sentinel, "slab posix_memalign failure leaves out untouched", "out was written")
    expect(CHeap.posixMemalign(&slab, &out, alignment: 4, byteCount: 8) == 0 && out != sentinel,
           "slab posix_memalign accepts a pointer's alignment", "failed")
    if out != sentinel { CHeap.free(&slab, out) }
    expect(CHeap.alignedAlloc(&slab, alignment: 3, byteCount: 8) == (nil, CHeap.EINVAL),
           "slab aligned_alloc rejects alignment 3", "not (nil, EINVAL)")

    // malloc(0): unique, freeable blocks.
    let empty1 = CHeap.malloc(&slab, byteCount: 0)
    let empty2 = CHeap.malloc(&slab, byteCount: 0)
    expect(empty1 != nil && empty2 != nil && empty1 != empty2, "slab malloc(0) gives unique blocks",
           "nil or the same block twice")
    CHeap.free(&slab, empty1)
    CHeap.free(&slab, empty2)
    expectEmpty(slab, "slab C rules leave no block behind")
}
