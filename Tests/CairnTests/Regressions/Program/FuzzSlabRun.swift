// The fuzz program against a SlabAllocator. See FuzzProgram.swift for the
// input format and the oracles.

#if !CAIRN_FUZZER
import Cairn
#endif

/// One fuzz input run against a slab and its model.
struct SlabRun: ~Copyable {
    var slab: SlabAllocator
    let configuration: SlabConfiguration
    let region: UnsafeMutableRawBufferPointer
    let guards: FuzzGuards
    let classSizes: [UInt]
    let pageSize: UInt
    /// Full checks (integrity, statistics, every tag) after every operation
    /// up to `alwaysCheckUntil` (small arenas), then every `checkEvery` operations.
    let checkEvery: Int
    let alwaysCheckUntil: Int

    var live: [FuzzBlock] = []
    var nextTag: UInt32 = 1
    var expectedOutOfMemory: UInt = 0
    var expectedMisuse: UInt = 0
    var operation = 0

    static func run(_ bytes: inout FuzzBytes, region: UnsafeMutableRawBufferPointer,
                    configuration: SlabConfiguration, refused: Bool, guards: FuzzGuards, flags: UInt8) throws {
        guard let slab = SlabAllocator(region: region, configuration: configuration) else {
            // Metadata is at most ~2 KiB plus 16 bytes a page, so a region of
            // two pages and 4 KiB more always holds a page.
            try FuzzProgram.expect(refused || UInt(region.count) < 2 * configuration.pageSize + 4096,
                                   "configuration refused: region \(region.count), page \(configuration.pageSize), largest \(configuration.largestClass)")
            return
        }
        try FuzzProgram.expect(!refused, "configuration with largest class < 8 accepted")
        var state = SlabRun(slab: slab, configuration: configuration, region: region, guards: guards,
                            flags: flags)
        try state.check("after configure")
        while !bytes.isAtEnd && state.operation < FuzzProgram.maximumOperations {
            try state.step(&bytes)
            state.operation += 1
            if state.operation <= state.alwaysCheckUntil || state.operation % state.checkEvery == 0 {
                try state.check("after operation \(state.operation)")
            }
        }
        try state.check("at end")
        try state.freeAll(order: 0)
        try state.check("after freeing everything")
    }

    init(slab: consuming SlabAllocator, configuration: SlabConfiguration, region: UnsafeMutableRawBufferPointer,
         guards: FuzzGuards, flags: UInt8) {
        self.slab = slab
        self.slab.misuseHandler = FuzzMisuseLog.handler
        self.configuration = configuration
        self.region = region
        self.guards = guards
        self.pageSize = self.slab.pageSize
        var sizes: [UInt] = []
        for index in 0..<self.slab.sizeClassCount { sizes.append(self.slab.blockSize(ofClass: index)) }
        self.classSizes = sizes
        // A full check costs O(pages x classes) (checkIntegrity's class
        // lists): large arenas with small pages are checked less often.
        let cost = Int(self.slab.statistics.pageCount) * (sizes.count + 1)
        self.checkEvery = max([1, 4, 16, 64][Int(flags >> 3) & 3], cost / 8192)
        self.alwaysCheckUntil = cost <= 16384 ? 32 : 0
    }

    // MARK: - Model

    /// What a request of `byteCount` at `alignment` must get: a class block
    /// (`usable` = its size) or a page run (`usable` = its pages' bytes;
    /// `pagesNeeded` counts the extra pages an alignment above the page size
    /// takes). `nil` when the request is invalid (refused, not counted).
    func predict(_ byteCount: UInt, _ alignment: UInt) -> (isRun: Bool, usable: UInt, pagesNeeded: UInt)? {
        guard alignment != 0, alignment & (alignment - 1) == 0 else { return nil }
        let largest = classSizes.last ?? 0
        if byteCount <= largest {
            let size = alignment > 4 ? (byteCount + (alignment - 1)) & ~(alignment - 1) : byteCount
            if size <= largest, let fit = classSizes.first(where: { $0 >= size && $0 % alignment == 0 }) {
                return (false, fit, 1)
            }
        }
        guard byteCount <= UInt.max - (pageSize - 1) else { return (true, 0, .max) }
        let pages = max(1, (byteCount + (pageSize - 1)) / pageSize)
        let extra = alignment > pageSize ? alignment / pageSize - 1 : 0
        let (needed, overflow) = pages.addingReportingOverflow(extra)
        return (true, pages &* pageSize, overflow ? .max : needed)
    }

    /// True when the model knows a page of class block size `size` with a
    /// free block: then an allocation of that class cannot fail.
    func hasPartialPage(ofClass size: UInt) -> Bool {
        var perPage: [UInt: UInt] = [:]
        for block in live where !block.isRun && block.usable == size {
            perPage[block.address / pageSize, default: 0] += 1
        }
        return perPage.values.contains { $0 < pageSize / size }
    }

    /// Checks a fresh block (or a failure) against `predict`, then tags it
    /// and adds it to the live set.
    mutating func allocated(_ pointer: UnsafeMutableRawPointer?, size: UInt, alignment: UInt,
                            zeroed: Bool = false, _ context: @autoclosure () -> String) throws {
        guard let prediction = predict(size, alignment) else {
            try FuzzProgram.expect(pointer == nil, "\(context()): invalid alignment \(alignment) accepted")
            return
        }
        guard let pointer else {
            expectedOutOfMemory += 1
            let statistics = slab.statistics
            if prediction.isRun {
                try FuzzProgram.expect(statistics.largestFreeSpanPages < prediction.pagesNeeded,
                                       "\(context()): run of \(prediction.pagesNeeded) page(s) refused with a free span of \(statistics.largestFreeSpanPages)")
            } else {
                try FuzzProgram.expect(statistics.freePages == 0 && !hasPartialPage(ofClass: prediction.usable),
                                       "\(context()): class \(prediction.usable) block refused with \(statistics.freePages) free page(s)")
            }
            return
        }
        let address = UInt(bitPattern: pointer)
        try FuzzProgram.checkPlacement(address, size: size, alignment: alignment, region: region, live: live, context())
        let usable = slab.usableSize(of: UnsafeRawPointer(pointer))
        try FuzzProgram.expect(usable == prediction.usable,
                               "\(context()): size \(size) align \(alignment) got usable \(usable.map(String.init) ?? "nil"), expected \(prediction.usable)")
        if zeroed {
            let p = UnsafePointer<UInt8>(bitPattern: address)!
            for i in 0..<Int(size) where p[i] != 0 {
                throw FuzzFailure(description: "\(context()): calloc block \(hex(address)) not zero at \(i)")
            }
        }
        let block = FuzzBlock(address: address, size: size, tag: nextTag, usable: prediction.usable,
                              isRun: prediction.isRun)
        nextTag &+= 1
        FuzzProgram.writeTag(block)
        live.append(block)
    }

    /// Frees live block `index` legally.
    mutating func free(at index: Int, _ context: @autoclosure () -> String) throws {
        let block = live.remove(at: index)
        try FuzzProgram.verifyTag(block, "\(context()): before free")
        CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
        try FuzzProgram.expectReports(0, "\(context()): legal free of \(hex(block.address))")
        try FuzzProgram.expect(slab.usableSize(of: UnsafeRawPointer(bitPattern: block.address)!) == nil,
                               "\(context()): freed block \(hex(block.address)) still has a usable size")
    }

    mutating func freeAll(order: UInt8) throws {
        switch order % 3 {
        case 0: while !live.isEmpty { try free(at: 0, "free all") }
        case 1: while !live.isEmpty { try free(at: live.count - 1, "free all") }
        default: while !live.isEmpty { try free(at: live.count / 2, "free all") }
        }
        let statistics = slab.statistics
        try FuzzProgram.expect(statistics.liveBlocks == 0 && statistics.largeRuns == 0 && statistics.runPages == 0
                               && statistics.classPages <= UInt(classSizes.count),
                               "after freeing everything: \(statistics)")
    }

    /// Slab misuse: the report count and the allocator's own counter.
    mutating func expectMisuse(kinds: [MisuseKind], address: UInt, blockSize: UInt?, _ context: @autoclosure () -> String) throws {
        let seen = FuzzMisuseLog.count
        let kind = FuzzMisuseLog.kind
        try FuzzProgram.expectReports(1, context())
        expectedMisuse += 1
        try FuzzProgram.expect(kinds.contains { $0.rawValue == kind },
                               "\(context()): misuse kind \(kind), expected one of \(kinds.map(\.rawValue)) (\(seen) report)")
        try FuzzProgram.expect(FuzzMisuseLog.address == address,
                               "\(context()): report names \(hex(FuzzMisuseLog.address)), expected \(hex(address))")
        if let blockSize {
            try FuzzProgram.expect(FuzzMisuseLog.blockSize == blockSize && FuzzMisuseLog.sizeClass >= 0,
                                   "\(context()): report names class \(FuzzMisuseLog.sizeClass) of \(FuzzMisuseLog.blockSize) bytes, expected \(blockSize)")
        }
        // A bad free changes nothing.
        try check("\(context()): after the bad free")
    }

    // MARK: - Operations

    mutating func step(_ bytes: inout FuzzBytes) throws {
        let opcode = bytes.byte()
        let context = { [operation] in "op \(operation) (opcode \(opcode % 16))" }
        let full = live.count >= FuzzProgram.maximumLiveBlocks
        switch opcode % 16 {
        case 0, 1:
            let size = bytes.size()
            if full { return }
            try allocated(CHeap.malloc(&slab, byteCount: size), size: size, alignment: CHeap.fundamentalAlignment,
                          "\(context()) malloc(\(size))")
        case 2:
            let size = bytes.size()
            let alignment = bytes.alignment()
            if full { return }
            try allocated(slab.allocate(byteCount: size, alignment: alignment), size: size, alignment: alignment,
                          "\(context()) allocate(\(size), align \(alignment))")
        case 3, 4:
            let selector = Int(bytes.byte())
            if live.isEmpty { return }
            try free(at: selector % live.count, context())
        case 5:
            let selector = Int(bytes.byte())
            let size = bytes.size()
            try realloc(selector: selector, size: size, context())
        case 6:
            let alignment = bytes.alignment()
            let size = bytes.size()
            if full { return }
            var out = UnsafeMutableRawPointer(bitPattern: 0xDEAD_0000)
            let error = CHeap.posixMemalign(&slab, &out, alignment: alignment, byteCount: size)
            func label() -> String { "\(context()) posix_memalign(\(alignment), \(size))" }
            if alignment < CHeap.pointerSize || predict(size, alignment) == nil {
                try FuzzProgram.expect(error == CHeap.EINVAL && out == UnsafeMutableRawPointer(bitPattern: 0xDEAD_0000),
                                       "\(label()): returned \(error), expected EINVAL and out untouched")
                return
            }
            try FuzzProgram.expect(error == (out == UnsafeMutableRawPointer(bitPattern: 0xDEAD_0000) ? CHeap.ENOMEM : 0),
                                   "\(label()): returned \(error)")
            try allocated(error == 0 ? out : nil, size: size, alignment: alignment, label())
        case 7:
            let count = bytes.size()
            let size = bytes.size()
            if full { return }
            let block = CHeap.calloc(&slab, count: count, size: size)
            let (total, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow {
                try FuzzProgram.expect(block == nil, "\(context()) calloc(\(count), \(size)): overflow accepted")
                return
            }
            try allocated(block, size: total, alignment: CHeap.fundamentalAlignment, zeroed: true,
                          "\(context()) calloc(\(count), \(size))")
        case 8:
            let alignment = bytes.alignment()
            let size = bytes.size()
            if full { return }
            let (block, error) = CHeap.alignedAlloc(&slab, alignment: alignment, byteCount: size)
            func label() -> String { "\(context()) aligned_alloc(\(alignment), \(size))" }
            if predict(size, alignment) == nil {
                try FuzzProgram.expect(block == nil && error == CHeap.EINVAL, "\(label()): returned \(error)")
                return
            }
            try FuzzProgram.expect(error == (block == nil ? CHeap.ENOMEM : 0), "\(label()): returned \(error)")
            try allocated(block, size: size, alignment: max(alignment, CHeap.pointerSize), label())
        case 9:
            try freeAll(order: bytes.byte())
        case 10:
            let selector = bytes.byte()
            if selector % 8 == 0 {
                try FuzzProgram.expect(slab.configure(region: region, configuration: configuration),
                                       "\(context()): configuring again refused")
                live.removeAll()
                expectedMisuse = 0
                expectedOutOfMemory = 0
                let statistics = slab.statistics
                try FuzzProgram.expect(statistics.freePages == statistics.pageCount && statistics.peakPagesInUse == 0,
                                       "\(context()): configured again but \(statistics)")
            } else {
                // Free every k-th block: holes in many pages at once.
                let stride = Int(selector % 4) + 2
                var index = live.count - 1
                while index >= 0 {
                    if index % stride == 0 { try free(at: index, context()) }
                    index -= 1
                }
            }
        case 11:
            let count = Int(bytes.byte() % 32) + 1
            let size = bytes.size()
            for _ in 0..<count where live.count < FuzzProgram.maximumLiveBlocks {
                try allocated(CHeap.malloc(&slab, byteCount: size), size: size,
                              alignment: CHeap.fundamentalAlignment, "\(context()) burst malloc(\(size))")
            }
        case 12:
            let selector = Int(bytes.byte())
            if live.isEmpty { return }
            try doubleFree(at: selector % live.count, context())
        case 13:
            let selector = Int(bytes.byte())
            let offset = UInt(bytes.word())
            let viaRealloc = selector & 0x80 != 0
            guard let index = live.indices.first(where: { live[($0 + selector) % live.count].size >= 2 })
            else { return }
            let block = live[(index + selector) % live.count]
            let interior = block.address + 1 + offset % (block.size - 1)
            let pointer = UnsafeMutableRawPointer(bitPattern: interior)
            if viaRealloc {
                let result = CHeap.realloc(&slab, pointer, byteCount: 16)
                try FuzzProgram.expect(result == nil, "\(context()): realloc of an interior pointer returned a block")
            } else {
                CHeap.free(&slab, pointer)
            }
            try expectMisuse(kinds: [.notBlockStart], address: interior,
                             blockSize: block.isRun ? nil : block.usable,
                             "\(context()): \(viaRealloc ? "realloc" : "free") of interior \(hex(interior)) of \(hex(block.address))+\(block.size)")
        case 14:
            let selector = bytes.byte()
            let offset = bytes.word() << 8 | UInt(bytes.byte())
            if selector & 0x80 == 0 {
                let foreign = guards.foreignAddress(selector)
                CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: foreign))
                try expectMisuse(kinds: [.foreignPointer], address: foreign, blockSize: nil,
                                 "\(context()): free of foreign \(hex(foreign))")
            } else {
                let start = UInt(bitPattern: region.baseAddress)
                let wild = start + offset % UInt(region.count)
                if live.contains(where: { wild >= $0.address && wild < $0.address + $0.extent }) { return }
                CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: wild))
                try expectMisuse(kinds: [.foreignPointer, .notBlockStart, .doubleFree], address: wild, blockSize: nil,
                                 "\(context()): free of non-block \(hex(wild)) (region +\(wild - start))")
            }
        default:
            try check(context())
        }
        try FuzzProgram.expectReports(0, context())
    }

    mutating func realloc(selector: Int, size: UInt, _ context: @autoclosure () -> String) throws {
        func label() -> String { "\(context()) realloc(\(size))" }
        if live.isEmpty || selector == 0xFF {
            if live.count >= FuzzProgram.maximumLiveBlocks { return }
            let block = CHeap.realloc(&slab, nil, byteCount: size)
            return try allocated(block, size: size, alignment: CHeap.fundamentalAlignment, "\(label()) of NULL")
        }
        let index = selector % live.count
        let old = live[index]
        try FuzzProgram.verifyTag(old, "\(label()): before realloc")
        let result = CHeap.realloc(&slab, UnsafeMutableRawPointer(bitPattern: old.address), byteCount: size)
        try FuzzProgram.expectReports(0, label())
        // In place: a class block that still fits, or a run no longer than it was.
        let pageMask = pageSize - 1
        let wantedPages = size <= UInt.max - pageMask ? max(1, (size + pageMask) / pageSize) : UInt.max
        let fitsInPlace = old.isRun ? wantedPages != .max && wantedPages * pageSize <= old.usable : size <= old.usable
        guard let result else {
            try FuzzProgram.expect(!fitsInPlace, "\(label()) of \(hex(old.address))+\(old.size): refused though it fits in place")
            // The block stays live and unchanged; the new block had no room.
            try FuzzProgram.expect(slab.usableSize(of: UnsafeRawPointer(bitPattern: old.address)!) == old.usable,
                                   "\(label()): failed realloc changed the old block's size")
            try allocated(nil, size: size, alignment: CHeap.fundamentalAlignment, "\(label()) (moving)")
            return
        }
        let address = UInt(bitPattern: result)
        if address == old.address {
            try FuzzProgram.expect(old.isRun || size <= old.usable,
                                   "\(label()) of \(hex(old.address))+\(old.size): class block of \(old.usable) kept in place")
            live.remove(at: index)
            try FuzzProgram.verifyTag(old, count: min(old.extent, max(size, 1)), "\(label()): in place")
            let usable = old.isRun ? wantedPages * pageSize : old.usable
            let current = slab.usableSize(of: UnsafeRawPointer(result))
            try FuzzProgram.expect(current == usable, "\(label()): in place, usable \(current.map(String.init) ?? "nil"), expected \(usable)")
            try FuzzProgram.checkPlacement(address, size: size, alignment: 1, region: region, live: live, label())
            let block = FuzzBlock(address: address, size: size, tag: nextTag, usable: usable, isRun: old.isRun)
            nextTag &+= 1
            FuzzProgram.writeTag(block)
            live.append(block)
            return
        }
        try FuzzProgram.expect(!fitsInPlace, "\(label()) of \(hex(old.address))+\(old.size): moved though it fits in place")
        // Moved: the new block was taken while the old one was live.
        let moved = FuzzBlock(address: address, size: size, tag: old.tag, usable: 0, isRun: false)
        try FuzzProgram.verifyTag(moved, tag: old.tag, count: min(old.size, size), "\(label()): moved contents")
        try FuzzProgram.expect(slab.usableSize(of: UnsafeRawPointer(bitPattern: old.address)!) == nil,
                               "\(label()): old block \(hex(old.address)) still live after moving")
        try allocated(result, size: size, alignment: CHeap.fundamentalAlignment, "\(label()) (moved)")
        live.remove(at: index)
    }

    mutating func doubleFree(at index: Int, _ context: @autoclosure () -> String) throws {
        let block = live[index]
        try free(at: index, context())
        // Still a class page when another live block shares it: then the
        // allocator must name a double free. A page that went back to the
        // pool can only be told from a free page's interior.
        let pageStillClass = !block.isRun && live.contains { !$0.isRun && $0.address / pageSize == block.address / pageSize }
        CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
        try expectMisuse(kinds: pageStillClass ? [.doubleFree] : [.doubleFree, .notBlockStart],
                         address: block.address, blockSize: pageStillClass ? block.usable : nil,
                         "\(context()): double free of \(hex(block.address))+\(block.size)\(block.isRun ? " (run)" : "")")
    }

    // MARK: - Full check

    func check(_ context: @autoclosure () -> String) throws {
        try guards.check(context())
        let integrity = slab.checkIntegrity()
        try FuzzProgram.expect(integrity.isValid,
                               "\(context()): integrity \(integrity.problem.map { "\($0)" } ?? "") at page \(integrity.page)")
        var classBlocks: UInt = 0
        var runs: UInt = 0
        var runPages: UInt = 0
        var reserved: UInt = 0
        for block in live {
            try FuzzProgram.verifyTag(block, context())
            let usable = slab.usableSize(of: UnsafeRawPointer(bitPattern: block.address)!)
            try FuzzProgram.expect(usable == block.usable,
                                   "\(context()): live block \(hex(block.address)) usable \(usable.map(String.init) ?? "nil"), expected \(block.usable)")
            if block.isRun {
                runs += 1
                runPages += block.usable / pageSize
            } else {
                classBlocks += 1
            }
            reserved += block.usable
        }
        let s = slab.statistics
        try FuzzProgram.expect(integrity.liveBlocks == classBlocks && integrity.runPages == runPages,
                               "\(context()): integrity walk found \(integrity.liveBlocks) blocks and \(integrity.runPages) run pages, model \(classBlocks) and \(runPages)")
        try FuzzProgram.expect(s.liveBlocks == classBlocks && s.largeRuns == runs && s.runPages == runPages
                               && s.bytesReserved == reserved,
                               "\(context()): statistics \(s) disagree with model: \(classBlocks) blocks, \(runs) runs of \(runPages) pages, \(reserved) bytes")
        try FuzzProgram.expect(s.outOfMemoryCount == expectedOutOfMemory && s.misuseCount == expectedMisuse,
                               "\(context()): out-of-memory \(s.outOfMemoryCount) / misuse \(s.misuseCount), model \(expectedOutOfMemory) / \(expectedMisuse)")
        try FuzzProgram.expect(s.freePages + s.classPages + s.runPages == s.pageCount
                               && s.peakPagesInUse >= s.classPages + s.runPages,
                               "\(context()): page accounting \(s)")
    }
}
