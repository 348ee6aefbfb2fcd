// Misuse of the slab on the target: each bad free is reported exactly once
// through the misuse handler, with the right kind, and changes nothing:
// statistics (but the misuse count), live blocks' contents and the
// integrity check are as before.
import Cairn

/// Runs `misuse` and checks it was reported once as `kind` (any kind when
/// `nil`) and left the slab as it was.
func expectMisuse(_ slab: inout SlabAllocator, _ kind: MisuseKind?, _ test: StaticString,
                  _ misuse: (inout SlabAllocator) -> Void) {
    let before = slab.statistics
    let reports = misuseReportCount
    misuse(&slab)
    expect(misuseReportCount == reports + 1, test, "reports made, expected 1", value: misuseReportCount - reports)
    if let kind {
        expect(lastMisuseKind == kind.rawValue, test, "wrong kind reported", value: UInt(lastMisuseKind))
    }
    var after = slab.statistics
    expect(after.misuseCount == before.misuseCount + 1, test, "misuse not counted", value: after.misuseCount)
    after.misuseCount = before.misuseCount
    expect(after == before, test, "the heap changed")
    expectIntact(slab, test)
}

func slabReportsMisuseAndChangesNothing(_ slab: inout SlabAllocator) {
    let page = slab.pageSize
    guard let kept = slab.allocate(byteCount: 32, alignment: 8),
          let freed = slab.allocate(byteCount: 32, alignment: 8),
          let run = slab.allocate(byteCount: 2 * page, alignment: 8),
          let freedRun = slab.allocate(byteCount: page + 1, alignment: 8)
    else {
        expect(false, "slab misuse setup", "allocation failed")
        return
    }
    ontarget_fill(kept, 32, 7)
    ontarget_fill(run, Int(2 * page), 8)
    slab.deallocate(freed)
    slab.deallocate(freedRun)

    expectMisuse(&slab, .doubleFree, "slab reports a double free and ignores it") { $0.deallocate(freed) }
    expectMisuse(&slab, nil, "slab reports a double free of a large block and ignores it") { $0.deallocate(freedRun) }
    expectMisuse(&slab, .notBlockStart, "slab reports an interior pointer and ignores it") {
        $0.deallocate(kept + 4)
    }
    expectMisuse(&slab, .notBlockStart, "slab reports a pointer inside a large block and ignores it") {
        $0.deallocate(run + 8)
    }
    expectMisuse(&slab, .notBlockStart, "slab reports a pointer a page into a large block and ignores it") {
        $0.deallocate(run + Int(page))
    }
    // A C static outside the region.
    let foreign = UnsafeMutableRawPointer(testProfile.slots)!
    expectMisuse(&slab, .foreignPointer, "slab reports a foreign pointer and ignores it") {
        $0.deallocate(foreign)
    }
    expectMisuse(&slab, nil, "slab reports realloc of a freed block and returns nil") {
        expect(CHeap.realloc(&$0, freed, byteCount: 8) == nil, "slab realloc of a freed block returns nil",
               "a block was returned")
    }
    expect(CHeap.usableSize(slab, freed) == 0, "slab usable size of a freed block is 0", "non-zero")
    expect(ontarget_first_changed_byte(kept, 32, 7) == 32, "slab misuse leaves live blocks' contents alone",
           "a byte of a live block changed")
    expect(ontarget_first_changed_byte(run, Int(2 * page), 8) == Int(2 * page),
           "slab misuse leaves live large blocks' contents alone", "a byte of a live large block changed")
    slab.deallocate(kept)
    slab.deallocate(run)
    expectEmpty(slab, "slab misuse scenario leaves no block behind")
}
