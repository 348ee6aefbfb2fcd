// The heap map a firmware prints (`cairn_print_heap_map`): one text line
// per page of the slab's arena (runs of alike pages folded into one), for
// scripts/heapmap.py to draw. Written through Console, so it allocates
// nothing, with interrupts masked like the report.
//
// Format (fields separated by one space, numbers in decimal unless marked):
//
//     map page=<page size> pages=<page count> base=<0x arena base>
//         first=<offset> end=<offset> capacity=<fit-heap bytes>
//         inuse=<bytes> peak=<bytes> free=<bytes> largest=<bytes>
//         classpages=<n> large=<n> live=<n> oom=<n> misuse=<n>      (one line)
//     p <page> c <class> <block size> <used>/<capacity>
//     p <page> f <live bytes> <free bytes>
//     r <first page> <count> f <live bytes> <free bytes>
//     map region=<n> page=... (the header's fields, for region n)
//     p ... / r ...    (region n's pages, numbered from its page 0)
//     map arena base=<0x address> capacity=<bytes> used=<bytes> peak=<bytes>
//         selected=<0 slab, 1 bump> scopes=<open scopes>      (one line)
//     map end
//
// - The header's `first` and `end` are the arena offsets of the fit heap's
//   first block header and of its end: bytes of the arena outside them are
//   the slab's tables and alignment (page 0 may hold the tables' tail).
//   `capacity`..`misuse` are the fields of ``SlabStatistics`` of the same
//   names (`inuse` bytesInUse, `live` liveBlocks, `large` largeBlocks,
//   `oom` outOfMemoryCount).
// - `c`: a class page: its class index, block size, blocks in use (blocks in
//   the class's cache count as free; a checked build counts quarantined
//   blocks as used) and blocks per page.
// - `f`: any other page: how many of its bytes lie in live fit-heap blocks
//   (large blocks, class-sized blocks served by the fit heap, and the
//   4-byte header of a class page that follows it, headers included) and
//   in free ones; the rest of its bytes are outside the fit heap.
// - `r`: `count` consecutive `f` pages with the same two numbers.
// - `map region`: each region added with `cairn_add_region` (1 for the
//   first added), its own header and pages after the first region's.
// - `map arena`: the bump arena beside the slab (BUMP_ARENA_SIZE; absent
//   without one), its figures as `cairn_get_arena_stats` gives them.
//
// A bump build prints one line, `map bump capacity=<bytes> used=<bytes>
// peak=<bytes>`, then `map end`.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

@c(cairn_swift_print_heap_map)
func cairnPrintHeapMap() {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    _ = platformHeapIsReady()
    #if CAIRN_BUMP
    let stats = platformHeap.statistics
    Console.write("map bump capacity=")
    Console.write(stats.capacity)
    Console.write(" used=")
    Console.write(stats.bytesInUse)
    Console.write(" peak=")
    Console.write(stats.peakBytesInUse)
    Console.write("\nmap end\n")
    #else
    platformHeap.writeHeapMapHeader(region: 0)
    platformHeap.writeHeapMapPages()
    var index: UInt = 0
    while let record = platformRegions.region(index) {
        index &+= 1
        record.pointee.slab.writeHeapMapHeader(region: index)
        record.pointee.slab.writeHeapMapPages()
    }
    writeBumpArenaMapLine()
    Console.write("map end\n")
    #endif
}

#if !CAIRN_BUMP
extension SlabAllocator {
    /// Prints the map's header line for this allocator, the first region
    /// (`region` 0) or region `region` of those added.
    func writeHeapMapHeader(region: UInt) {
        let stats = statistics
        if region == 0 {
            Console.write("map page=")
        } else {
            Console.write("map region=")
            Console.write(region)
            Console.write(" page=")
        }
        Console.write(stats.pageSize)
        Console.write(" pages=")
        Console.write(stats.pageCount)
        Console.write(" base=")
        Console.writeHex(arenaBase)
        Console.write(" first=")
        Console.write(fit.firstBlock &- arenaBase)
        Console.write(" end=")
        Console.write(fit.heapEnd &- arenaBase)
        Console.write(" capacity=")
        Console.write(stats.capacity)
        Console.write(" inuse=")
        Console.write(stats.bytesInUse)
        Console.write(" peak=")
        Console.write(stats.peakBytesInUse)
        Console.write(" free=")
        Console.write(stats.freeBytes)
        Console.write(" largest=")
        Console.write(stats.largestFreeBlock)
        Console.write(" classpages=")
        Console.write(stats.classPages)
        Console.write(" large=")
        Console.write(stats.largeBlocks)
        Console.write(" live=")
        Console.write(stats.liveBlocks)
        Console.write(" oom=")
        Console.write(stats.outOfMemoryCount)
        Console.write(" misuse=")
        Console.write(stats.misuseCount)
        Console.write("\n")
    }

    /// Prints every page in order: one walk of the fit heap's blocks
    /// (O(blocks)), plus a line or a run per page.
    func writeHeapMapPages() {
        var pages = HeapMapPages()
        fit.forEachBlock { block, size, inUse in
            pages.add(block, size, live: inUse, of: self)
        }
        pages.finish(self)
    }
}

/// The page being measured while the fit heap's blocks go by in address
/// order, and the run of alike fit-heap pages not printed yet.
struct HeapMapPages {
    /// The page whose bytes are being added up; every page below it is
    /// printed or in the pending run.
    var page: UInt = 0
    var live: UInt = 0
    var free: UInt = 0
    var runFirst: UInt = 0
    /// 0: no run pending.
    var runCount: UInt = 0
    var runLive: UInt = 0
    var runFree: UInt = 0

    /// Adds a fit-heap block (header at `block`, `size` bytes) to the pages
    /// it covers. Precondition: blocks come in address order.
    mutating func add(_ block: UInt, _ size: UInt, live isLive: Bool, of heap: borrowing SlabAllocator) {
        // Only the part inside the arena's pages: the first block's header
        // may lie below page 0.
        let arenaEnd = heap.arenaBase &+ heap.arenaBytes
        var start = max(block, heap.arenaBase)
        let end = min(block &+ size, arenaEnd)
        while start < end {
            let blockPage = (start &- heap.arenaBase) &>> heap.pageShift
            while page < blockPage { nextPage(heap) }
            let chunk = min(end, heap.pageAddress(page &+ 1)) &- start
            if isLive { live &+= chunk } else { free &+= chunk }
            start &+= chunk
        }
    }

    /// Prints the pages left (after the fit heap's end), and the last run.
    mutating func finish(_ heap: borrowing SlabAllocator) {
        while page < heap.pageCount { nextPage(heap) }
        flushRun()
    }

    /// Prints (or folds into the run) the current page, and moves on.
    mutating func nextPage(_ heap: borrowing SlabAllocator) {
        let state = heap.pageState(page)
        if state != PageDescriptor.notClassPage {
            flushRun()
            let record = heap.classRecord(UInt(state))
            let d = heap.descriptor(page)
            var used = UInt(d.pointee.used)
            // The cache page counts its cached blocks as used; they are free.
            if UInt(record.pointee.cachePage) == page { used &-= heap.cachedBlocks(record) }
            Console.write("p ")
            Console.write(page)
            Console.write(" c ")
            Console.write(UInt(state))
            Console.write(" ")
            Console.write(UInt(record.pointee.blockSize))
            Console.write(" ")
            Console.write(used)
            Console.write("/")
            Console.write(UInt(record.pointee.blocksPerPage))
            Console.write("\n")
        } else if runCount != 0 && runFirst &+ runCount == page && runLive == live && runFree == free {
            runCount &+= 1
        } else {
            flushRun()
            runFirst = page
            runCount = 1
            runLive = live
            runFree = free
        }
        page &+= 1
        live = 0
        free = 0
    }

    /// Prints the pending run of fit-heap pages, if any.
    mutating func flushRun() {
        guard runCount != 0 else { return }
        if runCount == 1 {
            Console.write("p ")
            Console.write(runFirst)
        } else {
            Console.write("r ")
            Console.write(runFirst)
            Console.write(" ")
            Console.write(runCount)
        }
        Console.write(" f ")
        Console.write(runLive)
        Console.write(" ")
        Console.write(runFree)
        Console.write("\n")
        runCount = 0
    }
}
#endif
#endif
