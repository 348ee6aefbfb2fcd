// The fuzz program against a SlabAllocator. See FuzzProgram.swift for the
// input format and the oracles.

#if !CAIRN_FUZZER
// Testable for one observation the API does not offer: how many blocks the
// checked build's quarantine holds (`quarantineCount`), which the model
// compares with its own after every operation.
@testable import Cairn
#endif

/// One fuzz input run against a slab and its model.
struct SlabRun: ~Copyable {
    var slab: SlabAllocator
    let configuration: SlabConfiguration
    let region: UnsafeMutableRawBufferPointer
    let guards: FuzzGuards
    let classSizes: [UInt]
    let pageSize: UInt
    let pageCount: UInt
    /// Full checks (integrity, statistics, every tag) after every operation
    /// up to `alwaysCheckUntil` (small arenas), then every `checkEvery` operations.
    let checkEvery: Int
    let alwaysCheckUntil: Int

    var live: [FuzzBlock] = []
    var nextTag: UInt32 = 1
    var expectedOutOfMemory: UInt = 0
    var expectedMisuse: UInt = 0
    var operation = 0

    /// Checked builds: freed class blocks waiting in quarantine, oldest
    /// first, at most `quarantineSlots` (the allocator's ring is a FIFO).
    /// Release builds have no quarantine: a freed block leaves at once.
    var quarantine: [FuzzBlock] = []
    let quarantineSlots: Int
    /// A quarantined block the program wrote after freeing it (the byte at
    /// `offset`), until it leaves quarantine.
    var overwritten: (block: FuzzBlock, offset: UInt)? = nil
    /// `writeAfterFree` reports due for `overwritten` since the last check
    /// of the reports, and how many more may come.
    var writeAfterFreeReportsDue = 0
    var writeAfterFreeReportsMayCome = 0
    var writeAfterFreeAddress: UInt = 0

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
        self.pageCount = self.slab.statistics.pageCount
        #if CAIRN_CHECKED
        self.quarantineSlots = Int(configuration.quarantineSlots)
        #else
        self.quarantineSlots = 0
        #endif
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
    ///
    /// A checked build asks for `SlabAllocator.blockOverhead` bytes more (the
    /// canary), which can change the class or make a run one page longer;
    /// `usable` is then the request itself and `reserved` the block or run.
    func predict(_ byteCount: UInt, _ alignment: UInt) -> (isRun: Bool, usable: UInt, reserved: UInt, pagesNeeded: UInt)? {
        guard alignment != 0, alignment & (alignment - 1) == 0 else { return nil }
        // A request within the canary of UInt.max cannot be served at all.
        guard byteCount <= UInt.max - SlabAllocator.blockOverhead else { return (true, 0, 0, .max) }
        let needed = byteCount + SlabAllocator.blockOverhead
        let largest = classSizes.last ?? 0
        if needed <= largest {
            let size = alignment > 4 ? (needed + (alignment - 1)) & ~(alignment - 1) : needed
            if size <= largest, let fit = classSizes.first(where: { $0 >= size && $0 % alignment == 0 }) {
                return (false, Self.usable(requested: byteCount, reserved: fit), fit, 1)
            }
        }
        guard needed <= UInt.max - (pageSize - 1) else { return (true, 0, 0, .max) }
        let pages = max(1, (needed + (pageSize - 1)) / pageSize)
        let extra = alignment > pageSize ? alignment / pageSize - 1 : 0
        let (total, overflow) = pages.addingReportingOverflow(extra)
        return (true, Self.usable(requested: byteCount, reserved: pages &* pageSize), pages &* pageSize,
                overflow ? .max : total)
    }

    /// What `usableSize` reports for a block of `reserved` bytes that holds
    /// a request of `requested`: the whole block, or in a checked build the
    /// request exactly.
    static func usable(requested: UInt, reserved: UInt) -> UInt {
        #if CAIRN_CHECKED
        requested
        #else
        reserved
        #endif
    }

    /// True when the model knows a page of class block size `size` with a
    /// free block: then an allocation of that class cannot fail.
    func hasPartialPage(ofClass size: UInt) -> Bool {
        var perPage: [UInt: UInt] = [:]
        for block in live where !block.isRun && block.reserved == size {
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
        // A request that can fit the arena at all looks for pages before it
        // fails, and empties the quarantine first: then a failure means no
        // room even with every quarantined block released.
        let mayLookForPages = prediction.pagesNeeded <= pageCount
        guard let pointer else {
            expectedOutOfMemory += 1
            try syncQuarantine(mayHaveEmptied: mayLookForPages, mustHaveEmptied: mayLookForPages, handedOut: nil,
                               "\(context()): failed")
            let statistics = slab.statistics
            if prediction.isRun {
                try FuzzProgram.expect(statistics.largestFreeSpanPages < prediction.pagesNeeded,
                                       "\(context()): run of \(prediction.pagesNeeded) page(s) refused with a free span of \(statistics.largestFreeSpanPages)")
            } else {
                try FuzzProgram.expect(statistics.freePages == 0 && !hasPartialPage(ofClass: prediction.reserved),
                                       "\(context()): class \(prediction.reserved) block refused with \(statistics.freePages) free page(s)")
            }
            return
        }
        let address = UInt(bitPattern: pointer)
        try syncQuarantine(mayHaveEmptied: true, mustHaveEmptied: false,
                           handedOut: (address, prediction.reserved), context())
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
                              isRun: prediction.isRun, reserved: prediction.reserved)
        nextTag &+= 1
        FuzzProgram.writeTag(block)
        live.append(block)
    }

    /// Frees live block `index` legally.
    mutating func free(at index: Int, _ context: @autoclosure () -> String) throws {
        let block = live.remove(at: index)
        try FuzzProgram.verifyTag(block, "\(context()): before free")
        CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
        try enterQuarantine(block)
        try expectQuiet("\(context()): legal free of \(hex(block.address))")
        try FuzzProgram.expect(slab.usableSize(of: UnsafeRawPointer(bitPattern: block.address)!) == nil,
                               "\(context()): freed block \(hex(block.address)) still has a usable size")
    }

    // MARK: - Quarantine (checked builds; empty in release builds)

    /// A class block was freed: it joins the quarantine, and the oldest
    /// block leaves when the quarantine is over its slots. Runs are not
    /// quarantined.
    mutating func enterQuarantine(_ block: FuzzBlock) throws {
        if block.isRun { return }
        quarantine.append(block)
        if quarantine.count > quarantineSlots { leaveQuarantine(quarantine.removeFirst(), handedOut: nil) }
    }

    /// `block` left quarantine for its page's free list. If the program had
    /// written into it, that is reported now; the byte is then put back to
    /// the poison, so that the block (or the pool page it went back to) is
    /// clean again. Not when it lies in the block just `handedOut` by the
    /// allocation that emptied the quarantine. If that is the block itself,
    /// taken from its page's free list, it was checked again as it was handed
    /// out (after its link and free mark, the first 8 bytes): a second report.
    /// Its page stays a class page when a live block shares it; else the page
    /// may have gone back to the pool and been carved afresh, unchecked.
    mutating func leaveQuarantine(_ block: FuzzBlock, handedOut: (address: UInt, reserved: UInt)?) {
        guard let (written, offset) = overwritten, written.address == block.address else { return }
        overwritten = nil
        writeAfterFreeReportsDue += 1
        writeAfterFreeAddress = block.address
        let byte = block.address + offset
        if let (address, reserved) = handedOut, byte >= address, byte < address + reserved {
            if address == block.address && offset >= 8 {
                let page = block.address / pageSize
                if live.contains(where: { !$0.isRun && $0.address / pageSize == page }) {
                    writeAfterFreeReportsDue += 1
                } else {
                    writeAfterFreeReportsMayCome += 1
                }
            }
            return
        }
        // The first 8 bytes now hold the free-list link and mark.
        if offset >= 8 { UnsafeMutablePointer<UInt8>(bitPattern: byte)!.pointee = Self.poisonByte }
    }

    static let poisonByte: UInt8 = 0xDD

    /// The allocator's quarantine must hold as many blocks as the model's.
    /// Only an allocation may have emptied it (memory ran short), and one
    /// that failed after looking for pages must have. `handedOut` is the
    /// block that allocation returned.
    mutating func syncQuarantine(mayHaveEmptied: Bool, mustHaveEmptied: Bool,
                                 handedOut: (address: UInt, reserved: UInt)?,
                                 _ context: @autoclosure () -> String) throws {
        let held = Int(slab.quarantineCount)
        if held == quarantine.count && !(mustHaveEmptied && held != 0) { return }
        try FuzzProgram.expect(mayHaveEmptied && held == 0,
                               "\(context()): quarantine holds \(held) block(s), model \(mustHaveEmptied ? 0 : quarantine.count)")
        for block in quarantine { leaveQuarantine(block, handedOut: handedOut) }
        quarantine.removeAll()
    }

    /// No misuse reports since the last check, except the `writeAfterFree`
    /// reports due for an overwritten block that left quarantine.
    mutating func expectQuiet(_ context: @autoclosure () -> String) throws {
        var due = writeAfterFreeReportsDue
        let mayCome = writeAfterFreeReportsMayCome
        writeAfterFreeReportsDue = 0
        writeAfterFreeReportsMayCome = 0
        if due == 0 { return try FuzzProgram.expectReports(0, context()) }
        let (seen, kind, address) = (FuzzMisuseLog.count, FuzzMisuseLog.kind, FuzzMisuseLog.address)
        if seen > due && seen <= due + mayCome { due = seen }
        try FuzzProgram.expectReports(due, "\(context()): write after free of \(hex(writeAfterFreeAddress))")
        expectedMisuse += UInt(due)
        try FuzzProgram.expect(kind == MisuseKind.writeAfterFree.rawValue && address == writeAfterFreeAddress,
                               "\(context()): \(seen) report(s), last of kind \(kind) at \(hex(address)), expected writeAfterFree at \(hex(writeAfterFreeAddress))")
    }

    mutating func freeAll(order: UInt8) throws {
        switch order % 3 {
        case 0: while !live.isEmpty { try free(at: 0, "free all") }
        case 1: while !live.isEmpty { try free(at: live.count - 1, "free all") }
        default: while !live.isEmpty { try free(at: live.count / 2, "free all") }
        }
        let statistics = slab.statistics
        // Each class keeps up to two empty pages (its cache page and one on
        // its partial list); quarantined blocks keep theirs.
        try FuzzProgram.expect(statistics.liveBlocks == 0 && statistics.largeRuns == 0 && statistics.runPages == 0
                               && statistics.classPages <= UInt(2 * classSizes.count + quarantine.count),
                               "after freeing everything: \(statistics)")
    }

    /// Slab misuse: the report count and the allocator's own counter.
    /// `repair` runs before the final check: it undoes what the program did
    /// to provoke the report (a smashed canary).
    mutating func expectMisuse(kinds: [MisuseKind], address: UInt, blockSize: UInt?, _ context: @autoclosure () -> String,
                               repair: () -> Void = {}) throws {
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
        repair()
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
                quarantine.removeAll()
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
            #if CAIRN_CHECKED
            // Checked builds: bits 4-5 of the opcode choose the misuse.
            switch opcode >> 4 & 3 {
            case 1:
                if live.isEmpty { return }
                try overflowThenFree(at: selector % live.count, context())
                try syncQuarantine(mayHaveEmptied: false, mustHaveEmptied: false, handedOut: nil, context())
                return try expectQuiet(context())
            case 2:
                let offset = bytes.byte()
                try writeAfterFree(selector: selector, offset: UInt(offset), context())
                return try expectQuiet(context())
            default:
                break
            }
            #endif
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
                             blockSize: block.isRun ? nil : block.reserved,
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
        try syncQuarantine(mayHaveEmptied: false, mustHaveEmptied: false, handedOut: nil, context())
        try expectQuiet(context())
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
        try expectQuiet(label())
        // In place: a class block that still fits, or a run no longer than
        // it was (in a checked build, with room for the canary).
        let pageMask = pageSize - 1
        let (needed, tooLarge) = size.addingReportingOverflow(SlabAllocator.blockOverhead)
        let wantedPages = !tooLarge && needed <= UInt.max - pageMask ? max(1, (needed + pageMask) / pageSize) : UInt.max
        let fitsInPlace = old.isRun ? wantedPages != .max && wantedPages * pageSize <= old.reserved
                                    : !tooLarge && needed <= old.reserved
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
            try FuzzProgram.expect(old.isRun || fitsInPlace,
                                   "\(label()) of \(hex(old.address))+\(old.size): class block of \(old.reserved) kept in place")
            live.remove(at: index)
            // (A checked build re-arms the canary right after the new size.)
            let kept = FuzzBlock(address: address, size: size, tag: old.tag, usable: 0, isRun: false).tagged
            try FuzzProgram.verifyTag(old, count: min(old.tagged, kept), "\(label()): in place")
            let reserved = old.isRun ? wantedPages * pageSize : old.reserved
            let usable = Self.usable(requested: size, reserved: reserved)
            let current = slab.usableSize(of: UnsafeRawPointer(result))
            try FuzzProgram.expect(current == usable, "\(label()): in place, usable \(current.map(String.init) ?? "nil"), expected \(usable)")
            try FuzzProgram.checkPlacement(address, size: size, alignment: 1, region: region, live: live, label())
            let block = FuzzBlock(address: address, size: size, tag: nextTag, usable: usable, isRun: old.isRun,
                                  reserved: reserved)
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
        // The new block was taken (which may have emptied the quarantine),
        // then the old one freed into it.
        let held = Int(slab.quarantineCount)
        let joined = old.isRun ? 0 : 1
        if held != min(quarantine.count + joined, quarantineSlots) {
            try FuzzProgram.expect(held == min(joined, quarantineSlots),
                                   "\(label()) (moved): quarantine holds \(held) block(s), model \(quarantine.count) + \(joined)")
            let moved = (address, predict(size, CHeap.fundamentalAlignment)?.reserved ?? 0)
            for block in quarantine { leaveQuarantine(block, handedOut: moved) }
            quarantine.removeAll()
        }
        try enterQuarantine(old)
        try expectQuiet(label())
        try allocated(result, size: size, alignment: CHeap.fundamentalAlignment, "\(label()) (moved)")
        live.remove(at: index)
    }

    mutating func doubleFree(at index: Int, _ context: @autoclosure () -> String) throws {
        let block = live[index]
        try free(at: index, context())
        // Still a class page when another live block shares it: then the
        // allocator must name a double free. A page that went back to the
        // pool can only be told from a free page's interior.
        // (A block in quarantine, this one among them, keeps its page.)
        let page = block.address / pageSize
        let samePage = { [pageSize] (other: FuzzBlock) in !other.isRun && other.address / pageSize == page }
        let pageStillClass = !block.isRun && (live.contains(where: samePage) || quarantine.contains(where: samePage))
        CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
        try expectMisuse(kinds: pageStillClass ? [.doubleFree] : [.doubleFree, .notBlockStart],
                         address: block.address, blockSize: pageStillClass ? block.reserved : nil,
                         "\(context()): double free of \(hex(block.address))+\(block.size)\(block.isRun ? " (run)" : "")")
    }

    #if CAIRN_CHECKED
    // MARK: - Misuse only a checked build catches

    /// Writes one byte past the requested size of live block `index` (its
    /// canary), then frees it. The free must be reported as a
    /// `bufferOverflow` of that block and refused: the block stays allocated,
    /// is not poisoned and does not enter quarantine. Once the program puts
    /// the byte back, the block is an ordinary live block again (the full
    /// check after the report proves its tag, usable size and statistics),
    /// and it is freed legally later.
    mutating func overflowThenFree(at index: Int, _ context: @autoclosure () -> String) throws {
        let block = live[index]
        func label() -> String { "\(context()): overflow of \(hex(block.address))+\(block.size)\(block.isRun ? " (run)" : "")" }
        try FuzzProgram.verifyTag(block, label())
        let canary = UnsafeMutablePointer<UInt8>(bitPattern: block.address + block.size)!
        let saved = canary.pointee
        canary.pointee = saved ^ 0xFF
        let integrity = slab.checkIntegrity()
        try FuzzProgram.expect(integrity.problem == .blockCanary,
                               "\(label()): integrity \(integrity.problem.map { "\($0)" } ?? "valid"), expected blockCanary")
        CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
        try expectMisuse(kinds: [.bufferOverflow], address: block.address, blockSize: block.isRun ? nil : block.reserved,
                         label(), repair: { canary.pointee = saved })
    }

    /// Writes one byte into a block in quarantine (one already there, or a
    /// live class block freed for it): `checkIntegrity()` must name
    /// `freeBlockOverwritten`, and the allocator must report a
    /// `writeAfterFree` of the block when it leaves quarantine. The program
    /// then pushes it out with allocate/free pairs of the smallest class,
    /// each of which either moves the quarantine on by one or, when memory
    /// is short, empties it; the report is checked as it comes.
    mutating func writeAfterFree(selector: Int, offset: UInt, _ context: @autoclosure () -> String) throws {
        guard quarantineSlots > 0 else { return }
        if quarantine.isEmpty || selector & 1 != 0 {
            let classBlocks = live.indices.filter { !live[$0].isRun }
            if classBlocks.isEmpty { return }
            try free(at: classBlocks[(selector >> 1) % classBlocks.count], context())
        }
        let block = quarantine[quarantine.count - 1 - (selector >> 1) % quarantine.count]
        let at = offset % block.reserved
        func label() -> String { "\(context()): write after free at \(hex(block.address))+\(at) (class \(block.reserved))" }
        let byte = UnsafeMutablePointer<UInt8>(bitPattern: block.address + at)!
        byte.pointee = Self.poisonByte ^ 0x5A
        overwritten = (block, at)
        let integrity = slab.checkIntegrity()
        try FuzzProgram.expect(integrity.problem == .freeBlockOverwritten,
                               "\(label()): integrity \(integrity.problem.map { "\($0)" } ?? "valid"), expected freeBlockOverwritten")
        var pairs = 0
        while overwritten != nil {
            pairs += 1
            try FuzzProgram.expect(pairs <= quarantineSlots + 1, "\(label()): still in quarantine after \(pairs - 1) frees")
            let pointer = slab.allocate(byteCount: 0, alignment: 4)
            try allocated(pointer, size: 0, alignment: 4, "\(label()): pushing it out, allocate(0)")
            if pointer != nil { try free(at: live.count - 1, "\(label()): pushing it out, free") }
        }
        try expectQuiet(label())
        try check("\(label()): after it left quarantine")
    }
    #endif

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
                runPages += block.reserved / pageSize
            } else {
                classBlocks += 1
            }
            reserved += block.reserved
        }
        let s = slab.statistics
        try FuzzProgram.expect(integrity.liveBlocks == classBlocks && integrity.runPages == runPages,
                               "\(context()): integrity walk found \(integrity.liveBlocks) blocks and \(integrity.runPages) run pages, model \(classBlocks) and \(runPages)")
        // (Quarantined blocks are neither live nor reserved.)
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
