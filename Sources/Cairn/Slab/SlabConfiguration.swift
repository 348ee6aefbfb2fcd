import CairnPlatform

/// How a ``SlabAllocator`` cuts its region: the page size and the size classes.
///
/// Firmware sets these from build configuration (`make PAGE_SIZE=...`); the
/// library has no constants of its own beyond the defaults below.
public struct SlabConfiguration {
    /// Bytes per page: a power of two from ``minimumPageSize`` to
    /// ``maximumPageSize``. Pages are aligned to their size.
    public var pageSize: UInt

    /// Explicit size classes in bytes: strictly increasing multiples of 4,
    /// at least 8, at most ``largestClassLimit(pageSize:)``, at most
    /// ``maximumClassCount`` of them.
    /// Read only while the allocator is created. `nil` generates the
    /// standard classes up to `largestClass`.
    public var sizeClasses: UnsafeBufferPointer<UInt16>?

    /// Largest generated class (used when `sizeClasses` is `nil`); blocks
    /// above it come from the fit heap. Clamped to
    /// ``largestClassLimit(pageSize:)``.
    public var largestClass: UInt

    /// Checked builds: how many freed blocks wait in quarantine before they
    /// can be handed out again (a later write to one is then caught). Release
    /// builds keep no quarantine and ignore this.
    public var quarantineSlots: UInt = 8

    /// Entropy for the key that free-list links are checked with (see
    /// SlabAllocator+LinkChecks.swift): a per-boot random word where the
    /// board has a source (`cairn_platform_entropy`); 0 still gives a key,
    /// one an attacker who knows the firmware image can work out.
    public var linkSecret: UInt32 = 0

    public static let minimumPageSize = UInt(CAIRN_MIN_PAGE_SIZE)

    /// The largest class a page can serve: one block beside the page's
    /// descriptor (see ``PageDescriptor``: the page's last 20 bytes).
    public static func largestClassLimit(pageSize: UInt) -> UInt { pageSize &- PageDescriptor.pageTail }
    public static let maximumPageSize = UInt(CAIRN_MAX_PAGE_SIZE)
    public static let maximumClassCount = 64
    /// Most pages one allocator manages (page numbers are 16-bit in the side table).
    public static let maximumPageCount: UInt = 65534

    /// Standard classes: 8 and 12, then four per doubling (16, 20, 24, 28,
    /// 32, 40, 48, 56, 64, 80, ...) up to `largestClass`. A request that is
    /// one byte larger than a class wastes at most a quarter of the next.
    public init(pageSize: UInt = UInt(CAIRN_DEFAULT_PAGE_SIZE), largestClass: UInt = UInt(CAIRN_DEFAULT_LARGEST_CLASS)) {
        self.pageSize = pageSize
        self.sizeClasses = nil
        self.largestClass = largestClass
    }

    /// The geometry for a heap of `heapBytes` (the region the allocator
    /// will be given, its metadata included), for a firmware that sets only
    /// the heap size:
    ///
    /// | heap            | page size | largest class |
    /// |-----------------|----------:|--------------:|
    /// | under 16 KiB    |       128 |            12 |
    /// | under 256 KiB   |       256 |            12 |
    /// | 256 KiB or more |      1024 |           512 |
    ///
    /// A page held by a class serves that class alone, so on a heap where
    /// RAM is short sizes above 12 bytes need less memory as fit-heap
    /// blocks; a larger heap buys speed with pages. The rule is written
    /// once, in `cairn_geometry.h`, where C code that must agree with it
    /// (benchmarks, on-target tests) reads it too; DESIGN.md has the
    /// measurements behind it.
    public init(heapBytes: UInt) {
        let bytes = Int(truncatingIfNeeded: min(heapBytes, UInt(Int.max)))
        self.init(pageSize: UInt(cairn_page_size_for_heap(bytes)),
                  largestClass: UInt(cairn_largest_class_for_heap(bytes)))
    }

    /// The geometry a build asks for: `pageSize` and `largestClass` where
    /// they are not zero, the rest from ``init(heapBytes:)``; explicit
    /// `sizeClasses` (when not `nil`) get a page size that holds the
    /// largest of them.
    public init(heapBytes: UInt, pageSize: UInt, largestClass: UInt, sizeClasses: UnsafeBufferPointer<UInt16>?) {
        self.init(heapBytes: heapBytes)
        if pageSize != 0 { self.pageSize = pageSize }
        if largestClass != 0 { self.largestClass = largestClass }
        if let sizeClasses, let largest = sizeClasses.last {
            self.sizeClasses = sizeClasses
            self.largestClass = 0
            if pageSize == 0 {
                while Self.largestClassLimit(pageSize: self.pageSize) < UInt(largest)
                    && self.pageSize < Self.maximumPageSize {
                    self.pageSize <<= 1
                }
            }
        }
    }

    /// Explicit classes, copied into the allocator's metadata at creation.
    public init(pageSize: UInt, sizeClasses: UnsafeBufferPointer<UInt16>) {
        self.pageSize = pageSize
        self.sizeClasses = sizeClasses
        self.largestClass = 0
    }

    /// Calls `body` with each class size in increasing order; returns the
    /// count, or `nil` when the configuration breaks a rule above.
    func forEachClass(_ body: (Int, UInt) -> Void) -> Int? {
        guard isPowerOfTwo(pageSize), pageSize >= Self.minimumPageSize, pageSize <= Self.maximumPageSize
        else { return nil }
        if let explicit = sizeClasses {
            guard explicit.count >= 1, explicit.count <= Self.maximumClassCount else { return nil }
            var previous: UInt = 0
            for i in 0..<explicit.count {
                let size = UInt(explicit[i])
                guard size >= 8, size & 3 == 0, size > previous, size <= Self.largestClassLimit(pageSize: pageSize)
                else { return nil }
                body(i, size)
                previous = size
            }
            return explicit.count
        }
        let limit = min(largestClass, Self.largestClassLimit(pageSize: pageSize))
        guard limit >= 8 else { return nil }
        var count = 0
        var size: UInt = 8
        while size <= limit && count < Self.maximumClassCount {
            body(count, size)
            count += 1
            // Step is a quarter of the power of two below `size`, but at
            // least 4 (the class granule): waste per class stays <= 25%.
            let step = max(4, (UInt(1) << floorLog2(size)) >> 2)
            size += step
        }
        return count
    }
}
