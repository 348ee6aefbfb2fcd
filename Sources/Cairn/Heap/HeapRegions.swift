/// The regions a heap has beyond its first (many parts have two or three
/// SRAM banks): each an independent ``SlabAllocator`` whose state sits at
/// the start of the region it manages, the rest of the region its own
/// tables and fit heap.
///
/// The first region (the primary, a ``SlabAllocator`` of its own, not held
/// here) keeps its fast paths unchanged: these regions are consulted only
/// on slow paths, in the order they were added, after the primary:
/// - an allocation the primary could not serve is tried in each region in
///   turn (O(regions) allocations, each O(1));
/// - a free whose address lies outside the primary's arena is handed here
///   (the primary's ``SlabAllocator/foreignBlockHandler``) and goes to the
///   region whose fit heap holds it (O(regions) compares), or is reported
///   by the primary as foreign when none does.
/// So every call stays bounded by the region count, which ``maximumCount``
/// caps.
///
/// Regions never overlap, and no region lies in the primary's arena,
/// which may begin up to a page below the primary's region (see
/// ``SlabLayout``): the primary's fast path would take a block there for
/// its own. ``add(region:configuration:primary:)`` refuses such regions.
///
/// All zeros when empty (a firmware global needs no initialiser code).
/// Methods that change a region are `mutating` (see ``SlabAllocator``: a
/// non-mutating out-of-line call on a global copies it; the regions' own
/// allocators are reached through pointers and never copied).
public struct HeapRegions {
    /// Address of the first region's record, 0 when there is none.
    var first: UInt = 0
    /// Regions added (the primary not counted).
    public private(set) var count: UInt = 0
    /// Allocations that every region refused (counted only once a region
    /// was added; before that the primary's own count says it).
    public private(set) var failedAllocations: UInt = 0

    public init() {}

    /// True when the heap has only its primary region.
    public var isEmpty: Bool { first == 0 }

    // MARK: - Adding a region

    /// Adds `region` as the next region, with `configuration`'s geometry,
    /// if the heap may have `maximumCount` regions in all (the primary
    /// counted). Returns false, and leaves the heap as it was (`region`'s
    /// first bytes may have been written), when it may not, when
    /// `region` overlaps another region or the primary's arena, or when it
    /// cannot hold its allocator's state and one page.
    public mutating func add(region: UnsafeMutableRawBufferPointer, configuration: SlabConfiguration,
                             primary: borrowing SlabAllocator, maximumCount: UInt) -> Bool {
        guard count &+ 1 < maximumCount, let base = region.baseAddress.map({ address(of: $0) }),
              let end = checkedAdd(base, UInt(region.count)),
              let recordStart = roundUp(base, toMultipleOf: UInt(MemoryLayout<RegionRecord>.alignment)),
              let slabStart = checkedAdd(recordStart, UInt(MemoryLayout<RegionRecord>.stride)), slabStart < end
        else { return false }
        if primary.isConfigured {
            // The primary's memory and its arena, which may start below it.
            let primaryStart = min(primary.regionStart, primary.arenaBase)
            let primaryEnd = primary.regionStart &+ primary.regionBytes
            guard end <= primaryStart || base >= primaryEnd else { return false }
        }
        var last: UInt = 0
        var next = first
        while next != 0 {
            let other = Self.record(next)
            guard end <= other.pointee.start || base >= other.pointee.end else { return false }
            last = next
            next = other.pointee.next
        }
        // Set up in place (moving an allocator copies it): a region refused
        // here has had its first bytes written, never another region's.
        let record = Self.record(recordStart)
        record.initialize(to: RegionRecord(slab: SlabAllocator(), next: 0, start: base, end: end))
        record.pointee.slab.misuseHandler = primary.misuseHandler
        guard record.pointee.slab.configure(region: UnsafeMutableRawBufferPointer(start: rawPointer(slabStart),
                                                                                  count: Int(end &- slabStart)),
                                            configuration: configuration)
        else { return false }
        if last == 0 { first = recordStart } else { Self.record(last).pointee.next = recordStart }
        count &+= 1
        return true
    }

    // MARK: - Slow paths of the heap

    /// A block from the first region that has one, after the primary
    /// refused the request; `nil` (counted in ``failedAllocations``) when
    /// none has. O(regions).
    ///
    /// The test for no region is inlined into the caller, so a heap of one
    /// region neither calls nor sets up the walk's frame.
    @inline(__always)
    public mutating func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        guard first != 0 else { return nil }
        return Self.allocateInRegions(&self, byteCount: byteCount, alignment: alignment)
    }

    @inline(never)
    static func allocateInRegions(_ regions: inout HeapRegions, byteCount: UInt,
                                  alignment: UInt) -> UnsafeMutableRawPointer? {
        regions.allocateInRegions(byteCount: byteCount, alignment: alignment)
    }

    /// ``allocate(byteCount:alignment:)`` once a region exists.
    mutating func allocateInRegions(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        var next = first
        while next != 0 {
            let record = Self.record(next)
            if let block = record.pointee.slab.allocate(byteCount: byteCount, alignment: alignment) { return block }
            next = record.pointee.next
        }
        failedAllocations &+= 1
        return nil
    }

    /// Frees `block` in the region whose fit heap holds it (misuse reported
    /// by that region): true. False when no region holds it. O(regions).
    public mutating func deallocate(address block: UInt, caller: UInt) -> Bool {
        guard let record = owner(of: block) else { return false }
        record.pointee.slab.deallocate(address: block, caller: caller)
        return true
    }

    /// The region whose fit heap holds `block` (tables and the bytes
    /// between regions are no region's), or `nil`. O(regions).
    func owner(of block: UInt) -> UnsafeMutablePointer<RegionRecord>? {
        var next = first
        while next != 0 {
            let record = Self.record(next)
            let firstBlock = record.pointee.slab.fit.firstBlock
            if block &- firstBlock < record.pointee.slab.fit.sentinel &- firstBlock { return record }
            next = record.pointee.next
        }
        return nil
    }

    /// The allocator of region `index` (0: the first added), or `nil`.
    func region(_ index: UInt) -> UnsafeMutablePointer<RegionRecord>? {
        var next = first
        var position: UInt = 0
        while next != 0 {
            if position == index { return Self.record(next) }
            next = Self.record(next).pointee.next
            position &+= 1
        }
        return nil
    }

    // MARK: - Observing

    /// Statistics of region `index` (0: the first added), or `nil`.
    public func statistics(ofRegion index: UInt) -> SlabStatistics? {
        region(index)?.pointee.slab.statistics
    }

    /// Start (as given) and bytes of region `index`, or `nil`.
    public func bounds(ofRegion index: UInt) -> (start: UInt, bytes: UInt)? {
        guard let record = region(index) else { return nil }
        return (record.pointee.start, record.pointee.end &- record.pointee.start)
    }

    /// The first invariant broken in any region, with that region's index.
    public func checkIntegrity() -> (region: UInt, report: IntegrityReport)? {
        var next = first
        var index: UInt = 0
        while next != 0 {
            let record = Self.record(next)
            let report = record.pointee.slab.checkIntegrity()
            if !report.isValid { return (index, report) }
            next = record.pointee.next
            index &+= 1
        }
        return nil
    }

    @inline(__always)
    static func record(_ address: UInt) -> UnsafeMutablePointer<RegionRecord> {
        UnsafeMutablePointer<RegionRecord>(bitPattern: address).unsafelyUnwrapped
    }
}

/// A region's allocator and where the region lies, at the region's start.
struct RegionRecord: ~Copyable {
    var slab: SlabAllocator
    /// Address of the next region's record, 0 for the last.
    var next: UInt
    /// The region as given: its first byte and the byte after it.
    var start: UInt
    var end: UInt
}
