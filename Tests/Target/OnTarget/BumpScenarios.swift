// The bump allocator run directly on the target over the static region:
// mark and rewind, LIFO free, exhaustion and reset, misuse, and the 32-bit
// edge cases.
import Cairn

func bumpRewindsToAMark(_ bump: inout BumpAllocator) {
    guard let first = bump.allocate(byteCount: 10, alignment: 1),
          let aligned = bump.allocate(byteCount: 3, alignment: 16)
    else {
        expect(false, "bump mark setup", "allocation failed")
        return
    }
    expect(isAligned(aligned, 16), "bump honours alignment", "misaligned", value: UInt(bitPattern: aligned))
    expect(UInt(bitPattern: aligned) >= UInt(bitPattern: first) + 10, "bump blocks do not overlap", "overlap")
    ontarget_fill(first, 10, 20)
    let mark = bump.mark()
    let used = bump.statistics.bytesInUse
    guard let later = bump.allocate(byteCount: 100, alignment: 8) else {
        expect(false, "bump mark setup", "allocation after the mark failed")
        return
    }
    _ = bump.allocate(byteCount: 7, alignment: 4)
    let deeper = bump.mark()
    _ = bump.allocate(byteCount: 5, alignment: 1)
    expect(bump.rewind(to: mark), "bump rewinds to a mark", "rewind refused")
    expect(bump.statistics.bytesInUse == used, "bump rewind frees what came after the mark", "bytes in use differ",
           value: bump.statistics.bytesInUse)
    expect(bump.allocate(byteCount: 100, alignment: 8) == later, "bump reuses memory after a rewind",
           "a different block")
    expect(ontarget_first_changed_byte(first, 10, 20) == 10, "bump rewind keeps blocks before the mark",
           "a byte changed")
    // `deeper` lies above the top now: rewinding to it is misuse.
    let reports = misuseReportCount
    expect(!bump.rewind(to: deeper), "bump refuses a mark above the top", "rewind accepted")
    expect(misuseReportCount == reports + 1 && lastMisuseKind == MisuseKind.invalidMark.rawValue,
           "bump reports an invalid mark", "no invalidMark report")
    bump.reset()
}

func bumpFreesLastInFirstOut(_ bump: inout BumpAllocator) {
    guard let older = bump.allocate(byteCount: 24, alignment: 8),
          let newest = bump.allocate(byteCount: 40, alignment: 8)
    else {
        expect(false, "bump LIFO setup", "allocation failed")
        return
    }
    let before = bump.statistics
    expect(bump.usableSize(of: newest) == 40, "bump knows the newest block's size", "wrong size",
           value: bump.usableSize(of: newest) ?? 0)
    expect(bump.usableSize(of: older) == nil, "bump does not know older blocks' sizes", "a size was returned")
    bump.deallocate(newest)
    let after = bump.statistics
    expect(after.rollbacks == before.rollbacks + 1 && after.bytesInUse == before.bytesInUse - 40,
           "bump free of the newest block rolls the top back", "top not rolled back", value: after.bytesInUse)
    expect(bump.allocate(byteCount: 40, alignment: 8) == newest, "bump reuses a block freed last",
           "a different block")
    bump.deallocate(older)
    expect(bump.statistics.ignoredFrees == after.ignoredFrees + 1, "bump ignores a free below the top",
           "not counted as ignored")
    let reports = misuseReportCount
    let foreign = UnsafeMutableRawPointer(testProfile.slots)!
    bump.deallocate(foreign)
    expect(misuseReportCount == reports + 1 && lastMisuseKind == MisuseKind.foreignPointer.rawValue,
           "bump reports a foreign pointer", "no foreignPointer report")
    // realloc of the newest block grows in place.
    if let grown = CHeap.realloc(&bump, newest, byteCount: 400) {
        expect(grown == newest, "bump realloc grows the newest block in place", "the block moved")
    } else {
        expect(false, "bump realloc grows the newest block in place", "returned nil")
    }
    bump.reset()
}

func bumpExhaustsAndResets(_ bump: inout BumpAllocator) {
    let capacity = bump.statistics.capacity
    guard let start = bump.allocate(byteCount: 1, alignment: 1) else {
        expect(false, "bump exhaustion setup", "allocation failed")
        return
    }
    let failed = bump.statistics.failedRequests
    expect(bump.allocate(byteCount: capacity, alignment: 1) == nil, "bump refuses more than is left",
           "a block was returned")
    guard let rest = bump.allocate(byteCount: capacity - 1, alignment: 1) else {
        expect(false, "bump hands out exactly what is left", "returned nil", value: capacity - 1)
        return
    }
    ontarget_fill(rest, Int(capacity - 1), 21)
    expect(bump.allocate(byteCount: 0, alignment: 1) == nil, "bump refuses even zero bytes when full",
           "a block was returned")
    expect(bump.statistics.failedRequests == failed + 2, "bump counts failed requests", "wrong count",
           value: bump.statistics.failedRequests - failed)
    // The 32-bit edges: the top plus the size, or the rounded top, would wrap.
    var size = UInt.max
    while size > UInt.max - 16 {
        expect(bump.allocate(byteCount: size, alignment: 8) == nil, "bump refuses sizes near UInt.max",
               "a block was returned", value: size)
        size -= 1
    }
    expect(bump.allocate(byteCount: 8, alignment: 1 << 31) == nil, "bump refuses alignment 2^31",
           "a block was returned")
    expect(bump.allocate(byteCount: 8, alignment: 0) == nil, "bump refuses alignment 0", "a block was returned")
    expect(CHeap.calloc(&bump, count: 65536, size: 65536) == nil, "bump calloc(65536, 65536) overflows to nil",
           "a block was returned")
    bump.reset()
    expect(bump.statistics.bytesInUse == 0, "bump reset frees everything", "bytes still in use")
    expect(bump.allocate(byteCount: capacity, alignment: 1) == start, "bump gives the whole region after a reset",
           "not the whole region")
    bump.reset()
}

func runBumpScenarios() {
    announce("bump allocator over a static region")
    var bump = BumpAllocator(region: testRegion(testProfile))
    bump.misuseHandler = countMisuse
    bumpRewindsToAMark(&bump)
    bumpFreesLastInFirstOut(&bump)
    bumpExhaustsAndResets(&bump)
}
