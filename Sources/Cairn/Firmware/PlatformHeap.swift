// The firmware's heap: a global allocator over the region that
// cairn_config.c gives (the static array, or the linker symbols' region),
// configured before main or on first use; the regions cairn_add_region
// adds are PlatformRegions.swift's. Target builds only; the host build has
// no global heap and exports no C symbols.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

#if CAIRN_BUMP
/// The allocator behind the C hooks, chosen at build time (`ALLOCATOR=bump`).
typealias PlatformAllocator = BumpAllocator
#else
/// The allocator behind the C hooks, chosen at build time (`ALLOCATOR=slab`, the default).
typealias PlatformAllocator = SlabAllocator
#endif

/// Zeros but for the misuse reporter until configured, so it is laid out
/// by the linker and needs no initialiser code. Only the hooks touch it,
/// each with interrupts masked.
nonisolated(unsafe) var platformHeap = PlatformAllocator(misuseHandler: reportMisuseAndMaybeStop)

/// Configures `platformHeap` over the build's static heap array. Returns
/// false when the settings are unusable (the heap then fails every request).
@inline(never)
func configurePlatformHeap() -> Bool {
    var config = cairn_heap_config()
    cairn_platform_heap_config(&config)
    guard let storage = config.storage else { return false }
    return configurePlatformHeap(
        region: UnsafeMutableRawBufferPointer(start: storage, count: Int(config.storage_size)), config)
}

/// Configures `platformHeap` over `region` with the build's geometry
/// settings in `config` (zero: chosen from the region's size, see
/// `SlabConfiguration(heapBytes:)`); everything allocated before is forgotten.
@inline(never)
func configurePlatformHeap(region whole: UnsafeMutableRawBufferPointer, _ config: cairn_heap_config) -> Bool {
    let region = carveBumpArena(from: whole)
    #if CAIRN_BUMP
    platformHeap = BumpAllocator(region: region, misuseHandler: reportMisuseAndMaybeStop)
    #else
    let classes = config.size_classes.map { UnsafeBufferPointer(start: $0, count: Int(config.size_class_count)) }
    var configuration = SlabConfiguration(heapBytes: UInt(region.count), pageSize: UInt(config.page_size),
                                          largestClass: UInt(config.largest_class), sizeClasses: classes)
    configuration.linkSecret = cairn_platform_entropy()
    guard platformHeap.configure(region: region, configuration: configuration) else { return false }
    #endif
    return true
}

/// `cairn_init_region`: the heap over `bytes` bytes at `base` instead of
/// the build's array, and no other region. 0 when the heap is ready, -1
/// when the region cannot hold one (the heap is then left as it was).
@c(cairn_swift_init_region)
func cairnInitRegion(_ base: UnsafeMutableRawPointer?, _ bytes: UInt) -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    guard let base else { return -1 }
    var config = cairn_heap_config()
    cairn_platform_heap_config(&config)
    guard configurePlatformHeap(region: UnsafeMutableRawBufferPointer(start: base, count: Int(bytes)), config)
    else { return -1 }
    #if !CAIRN_BUMP
    // The regions added are forgotten with the blocks.
    platformRegions = HeapRegions()
    platformHeap.foreignBlockHandler = nil
    cairn_forget_other_regions()
    #endif
    return 0
}

/// `cairn_init`: the set-up the first allocation would otherwise pay for,
/// done now. 0 when the heap is ready, -1 when it cannot be configured.
@c(cairn_swift_init)
func cairnInit() -> Int32 {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    return platformHeapIsReady() ? 0 : -1
}

/// True when the heap is configured, configuring it now if it was not
/// (false: the settings are unusable).
func platformHeapIsReady() -> Bool {
    platformHeap.isConfigured || configurePlatformHeap()
}

/// The slow path every allocation failure takes: configures the heap if
/// this is the first use and tells the caller to try again.
@inline(never)
func heapWasUnconfigured() -> Bool {
    !platformHeap.isConfigured && configurePlatformHeap()
}
#endif
