// The firmware heap's regions beyond the first (cairn_add_region): see
// HeapRegions. The first region is `platformHeap`, unchanged; these are
// reached only from its slow paths (an allocation it refused, a free
// outside its arena), so a firmware with one region pays nothing for them.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

#if CAIRN_BUMP
/// A bump heap has one region: the slow paths' tries of other regions
/// fold away, and none of the slab's code is linked for them.
struct NoOtherRegions {
    var isEmpty: Bool { true }
    var count: UInt { 0 }

    func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? { nil }
}

let platformRegions = NoOtherRegions()
#else
/// Empty (all zeros) until a region is added. Only the hooks touch it,
/// each with interrupts masked.
nonisolated(unsafe) var platformRegions = HeapRegions()

/// The primary's ``SlabAllocator/foreignBlockHandler`` once a region is
/// added: a free outside the primary's arena goes to the region that
/// holds it.
func freeInOtherRegion(_ block: UInt, _ caller: UInt) -> Bool {
    platformRegions.deallocate(address: block, caller: caller)
}

#endif

// The entry points of `cairn_other_regions` (cairn_platform.h): what the
// first region's slow paths call of the other regions, through a table
// that only `cairn_add_region` names. Each runs inside a hook that has
// masked interrupts already. (A bump build has one region: cairn_add_region
// refuses every other, and these answer as for no region.)

@c(cairn_swift_regions_allocate)
func cairnRegionsAllocate(_ byteCount: UInt, _ alignment: UInt) -> UnsafeMutableRawPointer? {
    #if CAIRN_BUMP
    return nil
    #else
    return platformRegions.allocate(byteCount: byteCount, alignment: alignment)
    #endif
}

@c(cairn_swift_regions_hold)
func cairnRegionsHold(_ block: UInt) -> Bool {
    #if CAIRN_BUMP
    return false
    #else
    return platformRegions.owner(of: block) != nil
    #endif
}

@c(cairn_swift_regions_usable_size)
func cairnRegionsUsableSize(_ block: UInt) -> Int {
    #if CAIRN_BUMP
    return -1
    #else
    guard let region = platformRegions.owner(of: block),
          let bytes = region.pointee.slab.usableSize(of: UnsafeRawPointer(rawPointer(block)))
    else { return -1 }
    return Int(bytes)
    #endif
}

@c(cairn_swift_regions_free_known_live)
func cairnRegionsFreeKnownLive(_ block: UInt, _ caller: UInt) {
    #if !CAIRN_BUMP
    platformRegions.owner(of: block)?.pointee.slab.deallocate(knownLive: rawPointer(block), caller: caller)
    #endif
}

/// `cairn_add_region`: 0 when the region is the heap's, -1 when it may not
/// be (see cairn.h). Sets the primary up first if it is not yet, so that
/// the region is checked against its arena.
@c(cairn_swift_add_region)
func cairnAddRegion(_ base: UnsafeMutableRawPointer?, _ bytes: UInt) -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    #if CAIRN_BUMP
    return -1
    #else
    // The bound keeps the count an Int; the slab uses a region's first
    // 16 MiB (FitHeap.largestSpan).
    guard let base, bytes < UInt(1) << 31, platformHeapIsReady() else { return -1 }
    var config = cairn_heap_config()
    cairn_platform_heap_config(&config)
    let classes = config.size_classes.map { UnsafeBufferPointer(start: $0, count: Int(config.size_class_count)) }
    let configuration = SlabConfiguration(heapBytes: bytes, pageSize: UInt(config.page_size),
                                          largestClass: UInt(config.largest_class), sizeClasses: classes)
    guard platformRegions.add(region: UnsafeMutableRawBufferPointer(start: base, count: Int(bytes)),
                              configuration: configuration, primary: platformHeap,
                              maximumCount: UInt(config.max_regions))
    else { return -1 }
    // cairn_add_region (C) points cairn_other_regions at their entry
    // points once this returns 0.
    platformHeap.foreignBlockHandler = freeInOtherRegion
    return 0
    #endif
}

/// `cairn_region_count`: the primary and the regions added.
@c(cairn_swift_region_count)
func cairnRegionCount() -> UInt {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    return 1 &+ platformRegions.count
}

/// `cairn_get_region_stats`: region `index`'s figures (0: the primary); -1
/// when there is no such region.
@c(cairn_swift_get_region_stats)
func cairnGetRegionStats(_ index: UInt, _ out: UnsafeMutablePointer<cairn_heap_stats>) -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    #if CAIRN_BUMP
    guard index == 0 else { return -1 }
    out.pointee = bumpHeapStats()
    #else
    if index == 0 {
        out.pointee = heapStats(platformHeap.statistics)
    } else {
        guard let stats = platformRegions.statistics(ofRegion: index &- 1) else { return -1 }
        out.pointee = heapStats(stats)
    }
    #endif
    return 0
}

#if CAIRN_BUMP
func bumpHeapStats() -> cairn_heap_stats {
    let stats = platformHeap.statistics
    return cairn_heap_stats(capacity: Int(stats.capacity), in_use: Int(stats.bytesInUse),
                            peak_in_use: Int(stats.peakBytesInUse), reserved: Int(stats.bytesInUse),
                            live_blocks: 0, out_of_memory: Int(stats.failedRequests), misuse: 0)
}
#else
/// One region's figures for C.
func heapStats(_ stats: SlabStatistics) -> cairn_heap_stats {
    cairn_heap_stats(capacity: Int(stats.capacity), in_use: Int(stats.bytesInUse),
                     peak_in_use: Int(stats.peakBytesInUse), reserved: Int(stats.bytesReserved),
                     live_blocks: Int(stats.liveBlocks + stats.largeBlocks),
                     out_of_memory: Int(stats.outOfMemoryCount), misuse: Int(stats.misuseCount))
}

/// The whole heap's figures: the regions' sums, but for the peak (the sum
/// of the regions' peaks, a bound on the whole heap's) and the failed
/// allocations (those every region refused: the primary's own count while
/// it is the only region).
func totalHeapStats() -> cairn_heap_stats {
    var total = heapStats(platformHeap.statistics)
    guard !platformRegions.isEmpty else { return total }
    var index: UInt = 0
    while let stats = platformRegions.statistics(ofRegion: index) {
        let region = heapStats(stats)
        total.capacity += region.capacity
        total.in_use += region.in_use
        total.peak_in_use += region.peak_in_use
        total.reserved += region.reserved
        total.live_blocks += region.live_blocks
        total.misuse += region.misuse
        index &+= 1
    }
    total.out_of_memory = Int(platformRegions.failedAllocations)
    return total
}
#endif
#endif
