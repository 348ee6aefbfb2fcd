// The heap report a firmware prints (`cairn_print_report`), the integrity
// check and the figures for C (`cairn_get_stats`).
#if hasFeature(Embedded) && os(none)
import CairnPlatform

@c(cairn_swift_check_integrity)
func cairnCheckIntegrity() -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    #if CAIRN_BUMP
    return 0  // a bump arena has no structure that can break
    #else
    if let problem = platformHeap.checkIntegrity().problem { return Int32(problem.rawValue) }
    return platformRegions.isEmpty ? 0 : checkIntegrityOfOtherRegions()
    #endif
}

#if !CAIRN_BUMP
/// The integrity check of the regions beyond the first: the number of the
/// first broken invariant, or 0. Out of line, so that the check of a heap
/// of one region keeps its stack frame.
@inline(never)
func checkIntegrityOfOtherRegions() -> Int32 {
    Int32(platformRegions.checkIntegrity()?.report.problem?.rawValue ?? 0)
}
#endif

@c(cairn_swift_get_stats)
func cairnGetStats(_ out: UnsafeMutablePointer<cairn_heap_stats>) {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    #if CAIRN_BUMP
    let stats = platformHeap.statistics
    out.pointee = cairn_heap_stats(capacity: Int(stats.capacity), in_use: Int(stats.bytesInUse),
                                   peak_in_use: Int(stats.peakBytesInUse), reserved: Int(stats.bytesInUse),
                                   live_blocks: 0, out_of_memory: Int(stats.failedRequests), misuse: 0)
    #else
    out.pointee = totalHeapStats()
    #endif
}

/// `cairn_corruption_count`: heap corruptions detected, and (through
/// `lostBlocks` when not NULL) the free blocks abandoned with them.
@c(cairn_swift_corruption_count)
func cairnCorruptionCount(_ lostBlocks: UnsafeMutablePointer<Int>?) -> Int {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    #if CAIRN_BUMP
    lostBlocks?.pointee = 0
    return 0  // a bump arena keeps nothing in free memory
    #else
    lostBlocks?.pointee = Int(platformHeap.lostBlocks &+ platformHeap.fit.corruptionCount)
    return Int(platformHeap.corruptionCount &+ platformHeap.fit.corruptionCount)
    #endif
}

@c(cairn_swift_print_report)
func cairnPrintReport() -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    _ = platformHeapIsReady()
    writeHeapReportFigures()
    label("integrity")
    let problem = writeHeapReportIntegrity()
    if problem == 0 { Console.write("OK\n") }
    return problem
}

#if CAIRN_BUMP
/// The report's title and figures for the bump allocator.
private func writeHeapReportFigures() {
    let stats = platformHeap.statistics
    Console.write("cairn heap report (bump allocator)\n")
    line("capacity", stats.capacity, " bytes\n")
    line("in use", stats.bytesInUse, " bytes\n")
    line("peak", stats.peakBytesInUse, " bytes\n")
    line("failed requests", stats.failedRequests, "\n")
    line("ignored frees", stats.ignoredFrees, "\n")
}

/// A bump arena has no structure that can break: nothing to write, 0.
private func writeHeapReportIntegrity() -> Int32 { 0 }
#else
/// The report's title and figures for the slab allocator: the whole, the
/// bump arena beside it, its classes, and its regions when it has several.
private func writeHeapReportFigures() {
    let stats = platformHeap.statistics
    Console.write("cairn heap report (slab allocator)\n")
    line("capacity", stats.capacity, " bytes, pages of ", stats.pageSize, " bytes\n")
    line("in use", stats.bytesInUse, " bytes (", stats.classPages, " class pages)\n")
    line("peak", stats.peakBytesInUse, " bytes\n")
    line("reserved", stats.bytesReserved, " bytes in ", stats.liveBlocks, " class and ")
    Console.write(stats.largeBlocks)
    Console.write(" large blocks\n")
    line("free", stats.freeBytes, " bytes, largest block ", stats.largestFreeBlock, " bytes\n")
    line("out of memory", stats.outOfMemoryCount, "\n")
    line("misuse", stats.misuseCount, "\n")
    writeBumpArenaReport()
    Console.write("  class   block   pages  in use\n")
    var index = 0
    while index < platformHeap.sizeClassCount {
        if let classStats = platformHeap.statistics(ofClass: index), classStats.pages > 0 {
            Console.write(UInt(index), width: 7)
            Console.write(classStats.blockSize, width: 8)
            Console.write(classStats.pages, width: 8)
            Console.write(classStats.blocksInUse, width: 8)
            Console.write("\n")
        }
        index += 1
    }
    if !platformRegions.isEmpty { printRegions() }
}

/// The first broken invariant of any region, written after the
/// `integrity` label (`BROKEN: invariant <n> [in region <r>] at page
/// <p>`), and its number; 0, and nothing written, when every region holds.
private func writeHeapReportIntegrity() -> Int32 {
    var integrity = platformHeap.checkIntegrity()
    var region: UInt = 0
    if integrity.isValid, let broken = platformRegions.checkIntegrity() {
        (region, integrity) = (broken.region &+ 1, broken.report)
    }
    guard let problem = integrity.problem else { return 0 }
    Console.write("BROKEN: invariant ")
    Console.write(UInt(problem.rawValue))
    if region != 0 {
        Console.write(" in region ")
        Console.write(region)
    }
    Console.write(" at page ")
    Console.write(UInt(bitPattern: integrity.page))
    Console.write("\n")
    return Int32(problem.rawValue)
}
#endif

#if !CAIRN_BUMP
/// The regions of a heap that has several: a line each (the first is the
/// report above), then the whole heap's figures.
///
///       region  start        bytes   in use     peak reserved   blocks  failed
///            0  0x20000c00   16384     4096     4096     3200       12       2
private func printRegions() {
    Console.write("  region  start        bytes   in use     peak reserved   blocks  failed\n")
    var index: UInt = 0
    while index <= platformRegions.count {
        var stats = cairn_heap_stats()
        let start: UInt
        if index == 0 {
            stats = heapStats(platformHeap.statistics)
            start = platformHeap.regionStart
        } else {
            stats = heapStats(platformRegions.statistics(ofRegion: index &- 1).unsafelyUnwrapped)
            start = platformRegions.bounds(ofRegion: index &- 1).unsafelyUnwrapped.start
        }
        Console.write(index, width: 8)
        Console.write("  ")
        Console.writeHex(start)
        regionFigures(stats)
        index &+= 1
    }
    Console.write("   total            ")
    regionFigures(totalHeapStats())
}

/// Capacity, use, peak, reserved bytes, live blocks and failed allocations.
private func regionFigures(_ stats: cairn_heap_stats) {
    Console.write(UInt(stats.capacity), width: 8)
    Console.write(UInt(stats.in_use), width: 9)
    Console.write(UInt(stats.peak_in_use), width: 9)
    Console.write(UInt(stats.reserved), width: 9)
    Console.write(UInt(stats.live_blocks), width: 9)
    Console.write(UInt(stats.out_of_memory), width: 8)
    Console.write("\n")
}
#endif

/// One report line: the label in an 18-column field, the value right-aligned
/// in 8, then `tail`.
private func line(_ name: StaticString, _ value: UInt, _ tail: StaticString) {
    label(name)
    Console.write(value, width: 8)
    Console.write(tail)
}

/// A report line with a second figure: as above, then `second` and `tail`.
private func line(_ name: StaticString, _ value: UInt, _ middle: StaticString, _ second: UInt,
                  _ tail: StaticString) {
    line(name, value, middle)
    Console.write(second)
    Console.write(tail)
}

/// `name` indented by two and padded to 18 columns. (Short literals: one of
/// 16 bytes or more is stored 16-byte aligned, and every firmware that can
/// report misuse carries all of Cairn's strings, so padding them in the
/// text would cost flash.)
private func label(_ name: StaticString) {
    Console.write("  ")
    Console.write(name)
    Console.writeSpaces(16 - name.utf8CodeUnitCount)
}
#endif
