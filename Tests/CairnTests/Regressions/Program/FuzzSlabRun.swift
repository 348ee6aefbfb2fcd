// The fuzz program against a SlabAllocator. See FuzzProgram.swift for the
// input format and the oracles.

#if !CAIRN_FUZZER
// Testable for observations the API does not offer: how many blocks the
// checked build's quarantine holds (`quarantineCount`), which pages are
// class pages (`pageState`), the fit heap's bounds and the size of one of
// its blocks (`FitHeap.blockBytes`), which the model compares with its own.
@testable import Cairn
#endif

/// What a slab request must get (see `SlabRun.predict`).
struct SlabPrediction {
    /// The block size of the class that serves the request, or `nil`.
    var classSize: UInt?
    /// The fit-heap block (its size, header included) the request takes
    /// when it comes from the fit heap, or `nil` when none can hold it.
    var fitBlock: UInt?
    /// True when the request looks for room (and gives back the kept pages
    /// and the quarantine) before it fails; false when it is refused at once.
    var looksForRoom: Bool
}

extension SlabAllocator {
    /// True when the fit heap may take the word before `address` for the
    /// header of a live block (or, with `orFree`, of a live or free one): an
    /// 8-aligned address in the fit heap, outside every class page, whose
    /// word before has bit 2 clear and a plausible size (16 bytes at least,
    /// inside the heap). FitHeap cannot tell such a word from a real header
    /// without a walk (see its documentation): inside a fit-heap block, live
    /// or free, it is the caller's data. The program does not free such an
    /// address (an interior pointer, a wild pointer). (A class page that
    /// goes back to the fit heap is cleared: see ClassPageReleaseRegressions.)
    func fitHeapMayTakeForBlock(_ address: UInt, orFree: Bool) -> Bool {
        let offset = address &- arenaBase
        let header = address &- FitHeap.headerBytes
        guard address % 8 == 0, offset < arenaBytes, pageState(offset >> pageShift) == PageDescriptor.notClassPage,
              header >= fit.firstBlock, header < fit.sentinel
        else { return false }
        let word = loadWord(header)
        let size = FitHeap.size(ofHeader: word)
        return word & 4 == 0 && (orFree || word & 1 != 0) && size >= FitHeap.minimumBlock && size <= fit.sentinel - header
    }

    /// True when the word before `address` carries the keyed tag of an
    /// in-use header there: only then is a plausible word taken for a
    /// block (FitHeap+Blocks.swift); without it, a free is reported.
    func fitHeapHeaderIsTagged(_ address: UInt) -> Bool {
        let header = address &- FitHeap.headerBytes
        return FitHeap.isTagged(loadWord(header), at: header, key: fit.headerKey)
    }
}

/// One fuzz input run against a slab and its model.
struct SlabRun: ~Copyable {
    var slab: SlabAllocator
    let configuration: SlabConfiguration
    let region: UnsafeMutableRawBufferPointer
    let guards: FuzzGuards
    let patterns: BlockPatterns
    let classSizes: [UInt]
    let pageSize: UInt
    let pageCount: UInt
    /// Bytes of the fit heap (class pages and fit-heap blocks come out of
    /// it, headers included), and where its blocks lie: every block handed
    /// out starts in `firstPayload ..< heapEnd`.
    let capacity: UInt
    let firstPayload: UInt
    let heapEnd: UInt
    /// Full checks (integrity, statistics, every tag) after every operation
    /// up to `alwaysCheckUntil` (small arenas), then every `checkEvery` operations.
    let checkEvery: Int
    let alwaysCheckUntil: Int
    /// The highest peak of bytes in use seen since the allocator was configured.
    var peakSeen: UInt = 0

    var live: [ModelBlock] = []
    var nextTag: UInt32 = 1
    var expectedOutOfMemory: UInt = 0
    var expectedMisuse: UInt = 0
    var operation = 0
    /// An overflow wrote into the heap (opcode 0xFF): the model no longer
    /// holds, and the run ends in FuzzSlabAttack.swift's reduced mode.
    var overflowed = false

    /// Checked builds: freed blocks (class blocks and fit-heap blocks)
    /// waiting in quarantine, oldest first, at most `quarantineSlots` (the
    /// allocator's ring is a FIFO). A quarantined fit-heap block is still a
    /// block of the fit heap: its bytes stay in use. Release builds have no
    /// quarantine: a freed block leaves at once.
    var quarantine: [ModelBlock] = []
    let quarantineSlots: Int
    /// A quarantined block the program wrote after freeing it (the byte at
    /// `offset`), until it leaves quarantine.
    var overwritten: (block: ModelBlock, offset: UInt)? = nil
    /// `writeAfterFree` reports due for `overwritten` since the last check
    /// of the reports, and how many more may come.
    var writeAfterFreeReportsDue = 0
    var writeAfterFreeReportsMayCome = 0
    var writeAfterFreeAddress: UInt = 0
    /// The class block size the report must name, or `nil` for none (a
    /// fit-heap block).
    var writeAfterFreeBlockSize: UInt? = nil

    static func run(_ bytes: inout FuzzBytes, region: UnsafeMutableRawBufferPointer,
                    configuration: SlabConfiguration, refused: Bool, guards: FuzzGuards, patterns: BlockPatterns,
                    flags: UInt8) throws {
        guard let slab = SlabAllocator(region: region, configuration: configuration) else {
            // Metadata is at most ~2 KiB plus 16 bytes a page, so a region of
            // two pages and 4 KiB more always holds a page.
            try FuzzProgram.expect(refused || UInt(region.count) < 2 * configuration.pageSize + 4096,
                                   "configuration refused: region \(region.count), page \(configuration.pageSize), largest \(configuration.largestClass)")
            return
        }
        try FuzzProgram.expect(!refused, "configuration with largest class < 8 accepted")
        var state = SlabRun(slab: slab, configuration: configuration, region: region, guards: guards,
                            patterns: patterns, flags: flags)
        try state.check("after configure")
        while !bytes.isAtEnd && state.operation < FuzzProgram.maximumOperations {
            try state.step(&bytes)
            state.operation += 1
            // After an overflow (FuzzSlabAttack.swift) the run has ended.
            if state.overflowed { return }
            let done = state.operation
            if done <= state.alwaysCheckUntil || done % state.checkEvery == 0 {
                try state.check("after operation \(done)")
            }
        }
        try state.check("at end")
        try state.freeAll(order: 0)
        try state.check("after freeing everything")
        try state.takeTheWholeHeap()
    }

    init(slab: consuming SlabAllocator, configuration: SlabConfiguration, region: UnsafeMutableRawBufferPointer,
         guards: FuzzGuards, patterns: BlockPatterns, flags: UInt8) {
        self.slab = slab
        self.slab.misuseHandler = MisuseRecorder.handler
        self.configuration = configuration
        self.region = region
        self.guards = guards
        self.patterns = patterns
        self.pageSize = self.slab.pageSize
        let statistics = self.slab.statistics
        self.pageCount = statistics.pageCount
        self.capacity = statistics.capacity
        self.firstPayload = self.slab.fit.firstBlock + FitHeap.headerBytes
        self.heapEnd = self.slab.fit.sentinel
        #if CAIRN_CHECKED
        self.quarantineSlots = Int(configuration.quarantineSlots)
        #else
        self.quarantineSlots = 0
        #endif
        var sizes: [UInt] = []
        for index in 0..<self.slab.sizeClassCount { sizes.append(self.slab.blockSize(ofClass: index)) }
        self.classSizes = sizes
        // A full check costs O(pages + fit-heap blocks) (the integrity walk,
        // the statistics, the page-state map; blocks are 16 bytes at least):
        // large arenas with small pages are checked less often.
        let cost = Int(statistics.pageCount + statistics.capacity / FitHeap.minimumBlock)
        self.checkEvery = max([1, 4, 16, 64][Int(flags >> 3) & 3], cost / 1024)
        self.alwaysCheckUntil = cost <= 2048 ? 32 : 0
    }

    // MARK: - Model

    /// What a request of `byteCount` at `alignment` must get. `nil` when the
    /// request is invalid (refused, not counted).
    ///
    /// A request that a class serves (`classSize`) gets a block of that class
    /// in a class page, or, when the class can take no page (the fit heap is
    /// nearly full, or has no aligned page), a fit-heap block for the class
    /// size. Any other request gets a fit-heap block for itself. Fit-heap
    /// blocks have a 4-byte header and 8-byte granularity (`fitBlock`, the
    /// block's size with its header, `nil` when no fit heap of this capacity
    /// holds it).
    ///
    /// A checked build asks for `SlabAllocator.blockOverhead` bytes more (the
    /// canary), which can change the class or the fit-heap block; its
    /// `usableSize` is then the request itself.
    func predict(_ byteCount: UInt, _ alignment: UInt) -> SlabPrediction? {
        guard alignment != 0, alignment & (alignment - 1) == 0 else { return nil }
        // A request within the canary of UInt.max is refused at once, and so
        // is a fit-heap request larger than the whole region; any other
        // looks for room (and gives back kept pages) before it fails.
        guard byteCount <= UInt.max - SlabAllocator.blockOverhead else {
            return SlabPrediction(classSize: nil, fitBlock: nil, looksForRoom: false)
        }
        let needed = byteCount + SlabAllocator.blockOverhead
        let largest = classSizes.last ?? 0
        if needed <= largest {
            let size = alignment > 4 ? (needed + (alignment - 1)) & ~(alignment - 1) : needed
            if size <= largest, let fit = classSizes.first(where: { $0 >= size && $0 % alignment == 0 }) {
                return SlabPrediction(classSize: fit, fitBlock: slab.fitBlockBytes(holding: fit), looksForRoom: true)
            }
        }
        return SlabPrediction(classSize: nil, fitBlock: slab.fitBlockBytes(holding: needed), looksForRoom: needed <= UInt(region.count))
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

    /// True when the model knows a page of the class of block size `size`
    /// with a slot that is neither live nor quarantined: then the class has
    /// a block to give (its cache, its partial list, or its cache page's
    /// uncarved tail) and takes neither a page nor a fit-heap block.
    func hasFreeSlot(inClassOf size: UInt) -> Bool {
        let perPage = SlabConfiguration.largestClassLimit(pageSize: pageSize) / size
        var taken: [UInt: UInt] = [:]
        for block in live + quarantine where !block.inFitHeap && block.reserved == size {
            taken[block.address / pageSize, default: 0] += 1
        }
        return taken.values.contains { $0 < perPage }
    }

    /// The smallest free block that the fit heap's search surely finds for
    /// a `block`-byte block at `alignment`: a good fit rounds the request up
    /// to a bin boundary (and, above 8-byte alignment, adds the largest gap
    /// an aligned payload may need), so a free block that large always
    /// serves it. `nil` when the search cannot be bounded (it wraps).
    func surelyServingBlock(_ block: UInt, alignment: UInt) -> UInt? {
        let (wanted, wraps) = block.addingReportingOverflow(alignment > 8 ? alignment - 8 : 0)
        if wraps { return nil }
        return wanted <= capacity ? FitHeap.roundUpToBin(wanted) : wanted
    }

    /// Checks a fresh block (or a failure) against `predict`, then tags it
    /// and adds it to the live set.
    ///
    /// A failure must have had no room: the class (if any) had no free
    /// slot, and the fit heap no free block that surely serves the request,
    /// even after the kept pages (and the quarantine) were given back. A
    /// block in a class page is a block of the predicted class there; any
    /// other is a fit-heap block of exactly the predicted size in no class
    /// page, and a class request gets one only when its class had no free
    /// slot.
    mutating func allocated(_ pointer: UnsafeMutableRawPointer?, size: UInt, alignment: UInt,
                            zeroed: Bool = false, _ context: @autoclosure () -> String) throws {
        guard let prediction = predict(size, alignment) else {
            try FuzzProgram.expect(pointer == nil, "\(context()): invalid alignment \(alignment) accepted")
            return
        }
        guard let pointer else {
            expectedOutOfMemory += 1
            try syncQuarantine(mayHaveEmptied: prediction.looksForRoom, mustHaveEmptied: prediction.looksForRoom,
                               handedOut: nil, "\(context()): failed")
            let statistics = slab.statistics
            if let classSize = prediction.classSize {
                try FuzzProgram.expect(!hasFreeSlot(inClassOf: classSize),
                                       "\(context()): class \(classSize) block refused with a free slot in a class page")
            }
            if let fitBlock = prediction.fitBlock, let enough = surelyServingBlock(fitBlock, alignment: alignment) {
                try FuzzProgram.expect(statistics.largestFreeBlock < enough,
                                       "\(context()): fit-heap block of \(fitBlock) bytes (align \(alignment)) refused with a free block of \(statistics.largestFreeBlock)")
            }
            return
        }
        let address = UInt(bitPattern: pointer)
        try FuzzProgram.checkPlacement(address, size: size, alignment: alignment, region: region, live: live, context())
        try FuzzProgram.expect(address >= firstPayload && address < heapEnd,
                               "\(context()): block \(address.hexText) outside the fit heap \(firstPayload.hexText)..<\(heapEnd.hexText)")
        let state = slab.pageState(slab.page(of: address))
        let inFitHeap = state == PageDescriptor.notClassPage
        let reserved: UInt
        if inFitHeap {
            let bytes = FitHeap.blockBytes(ofPayload: address)
            try FuzzProgram.expect(bytes == prediction.fitBlock,
                                   "\(context()): size \(size) align \(alignment) got a fit-heap block of \(bytes) bytes, expected \(prediction.fitBlock.map(String.init) ?? "none")")
            try FuzzProgram.expect(!slab.isInClassPage(address + bytes - FitHeap.headerBytes - 1),
                                   "\(context()): fit-heap block \(address.hexText) of \(bytes) bytes ends in a class page")
            reserved = bytes - FitHeap.headerBytes
        } else {
            let blockSize = slab.blockSize(ofClass: Int(state))
            let inPage = address & (pageSize - 1)
            try FuzzProgram.expect(blockSize == prediction.classSize,
                                   "\(context()): size \(size) align \(alignment) got a block in a page of class \(blockSize), expected \(prediction.classSize.map { "class \($0)" } ?? "a fit-heap block")")
            try FuzzProgram.expect(inPage % blockSize == 0
                                   && inPage + blockSize <= SlabConfiguration.largestClassLimit(pageSize: pageSize),
                                   "\(context()): block \(address.hexText) is not a block of its class \(blockSize) page")
            reserved = blockSize
        }
        try syncQuarantine(mayHaveEmptied: true, mustHaveEmptied: false, handedOut: (address, reserved), context())
        if inFitHeap, let classSize = prediction.classSize {
            try FuzzProgram.expect(!hasFreeSlot(inClassOf: classSize),
                                   "\(context()): class \(classSize) request served from the fit heap with a free slot in a class page")
        }
        let usable = Self.usable(requested: size, reserved: reserved)
        let reported = slab.usableSize(of: UnsafeRawPointer(pointer))
        try FuzzProgram.expect(reported == usable,
                               "\(context()): size \(size) align \(alignment) got usable \(reported.map(String.init) ?? "nil"), expected \(usable)")
        if zeroed, let bad = patterns.firstNonZero(address, size) {
            throw FuzzFailure(description: "\(context()): calloc block \(address.hexText) not zero at \(bad)")
        }
        let block = ModelBlock(address: address, size: size, tag: nextTag, usable: usable,
                              inFitHeap: inFitHeap, reserved: reserved)
        nextTag &+= 1
        patterns.fill(block)
        live.append(block)
    }

    /// Frees live block `index` legally.
    mutating func free(at index: Int, _ context: @autoclosure () -> String) throws {
        let block = live.remove(at: index)
        try patterns.expectIntact(block, "\(context()): before free")
        CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
        try enterQuarantine(block)
        try expectQuiet("\(context()): legal free of \(block.address.hexText)")
        try FuzzProgram.expect(slab.usableSize(of: UnsafeRawPointer(bitPattern: block.address)!) == nil,
                               "\(context()): freed block \(block.address.hexText) still has a usable size")
    }

    // MARK: - Quarantine (checked builds; empty in release builds)

    /// A block was freed: it joins the quarantine, and the oldest block
    /// leaves when the quarantine is over its slots.
    mutating func enterQuarantine(_ block: ModelBlock) throws {
        quarantine.append(block)
        if quarantine.count > quarantineSlots { leaveQuarantine(quarantine.removeFirst(), handedOut: nil) }
    }

    /// `block` left quarantine for its page's free list (or, a fit-heap
    /// block, for the fit heap, where it merges with free neighbours). If
    /// the program had
    /// written into it, that is reported now; the byte is then put back to
    /// the poison, so that the block is clean again: only while its page is
    /// still a class page (a page that went back to the fit heap may hold a
    /// free block's header, links or footer there, and is never checked for
    /// poison), and not when the byte lies in the block just `handedOut` by
    /// the allocation that emptied the quarantine. If that is the block
    /// itself, taken from its page's free list, it was checked again as it
    /// was handed out (after its link and free mark, the first 8 bytes): a
    /// second report. Its page stays a class page when a live block shares
    /// it; else the page may have gone back to the fit heap and been carved
    /// afresh, or handed out as a fit-heap block, unchecked.
    mutating func leaveQuarantine(_ block: ModelBlock, handedOut: (address: UInt, reserved: UInt)?) {
        guard let (written, offset) = overwritten, written.address == block.address else { return }
        overwritten = nil
        writeAfterFreeReportsDue += 1
        writeAfterFreeAddress = block.address
        writeAfterFreeBlockSize = block.inFitHeap ? nil : block.reserved
        let byte = block.address + offset
        if let (address, reserved) = handedOut, byte >= address, byte < address + reserved {
            // A fit-heap block is checked only as it leaves quarantine.
            if !block.inFitHeap && address == block.address && offset >= 8 {
                let page = block.address / pageSize
                if live.contains(where: { !$0.inFitHeap && $0.address / pageSize == page }) {
                    writeAfterFreeReportsDue += 1
                } else {
                    writeAfterFreeReportsMayCome += 1
                }
            }
            return
        }
        // The first 8 bytes now hold the free-list link and mark.
        if offset >= 8 && slab.isInClassPage(byte) { UnsafeMutablePointer<UInt8>(bitPattern: byte)!.pointee = Self.poisonByte }
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
        if due == 0 {
            try FuzzProgram.expectReports(0, context())
            return
        }
        let seen = MisuseRecorder.reports.count
        if seen > due && seen <= due + mayCome { due = seen }
        let last = try FuzzProgram.expectReports(due, "\(context()): write after free of \(writeAfterFreeAddress.hexText)")[due - 1]
        expectedMisuse += UInt(due)
        try FuzzProgram.expect(last.kind == .writeAfterFree && last.address == writeAfterFreeAddress,
                               "\(context()): \(seen) report(s), last \(last.kind) at \(last.address.hexText), expected writeAfterFree at \(writeAfterFreeAddress.hexText)")
        try Self.expectClass(named: last, blockSize: writeAfterFreeBlockSize,
                             "\(context()): write after free of \(writeAfterFreeAddress.hexText)")
    }

    /// `report` must name the class of block size `blockSize`, or none
    /// when `blockSize` is `nil` (a fit-heap block, or no block at all).
    static func expectClass(named report: MisuseReport, blockSize: UInt?, _ context: @autoclosure () -> String) throws {
        try FuzzProgram.expect(blockSize.map { report.sizeClass >= 0 && report.blockSize == $0 }
                                   ?? (report.sizeClass == -1 && report.blockSize == 0),
                               "\(context()): report names class \(report.sizeClass) of \(report.blockSize) bytes, expected \(blockSize.map { "\($0) bytes" } ?? "none")")
    }

    /// Bytes the fit-heap blocks in quarantine hold (headers included):
    /// still out of the fit heap.
    var quarantinedFitBytes: UInt {
        quarantine.reduce(0) { $0 + ($1.inFitHeap ? $1.reserved + FitHeap.headerBytes : 0) }
    }

    mutating func freeAll(order: UInt8) throws {
        switch order % 3 {
        case 0: while !live.isEmpty { try free(at: 0, "free all") }
        case 1: while !live.isEmpty { try free(at: live.count - 1, "free all") }
        default: while !live.isEmpty { try free(at: live.count / 2, "free all") }
        }
        let statistics = slab.statistics
        // Each class keeps up to two empty pages (its cache page and one on
        // its partial list); quarantined class blocks keep theirs. Those
        // pages and the quarantined fit-heap blocks are all that is out of
        // the fit heap.
        try FuzzProgram.expect(statistics.liveBlocks == 0 && statistics.largeBlocks == 0
                               && statistics.classPages <= UInt(2 * classSizes.count + quarantine.count)
                               && statistics.quarantinedBytes == quarantinedFitBytes
                               && statistics.bytesInUse == statistics.classPages * pageSize + quarantinedFitBytes,
                               "after freeing everything: \(statistics)")
    }

    /// With no block live, one block of the whole fit heap must be served
    /// (the kept pages and the quarantine are given back for it), and once
    /// it is freed (and, in a checked build, has left the quarantine)
    /// nothing is in use: the fit heap is one free block again.
    /// (Unless the request is a class's and its class block, what it would
    /// take from the fit heap, is larger than the capacity: a tiny heap
    /// with large pages.)
    mutating func takeTheWholeHeap() throws {
        try FuzzProgram.expect(live.isEmpty, "take the whole heap: \(live.count) block(s) live")
        let size = capacity - FitHeap.headerBytes - SlabAllocator.blockOverhead
        guard let prediction = predict(size, CHeap.fundamentalAlignment) else { return }
        let pointer = CHeap.malloc(&slab, byteCount: size)
        try FuzzProgram.expect(pointer != nil || prediction.fitBlock == nil,
                               "take the whole heap: malloc(\(size)) refused with no block live: \(slab.statistics)")
        try allocated(pointer, size: size, alignment: CHeap.fundamentalAlignment, "take the whole heap: malloc(\(size))")
        try expectQuiet("take the whole heap")
        guard pointer != nil else { return }
        let full = slab.statistics
        try FuzzProgram.expect(full.bytesInUse == capacity && full.freeBytes == 0 && full.classPages == 0
                               && full.largeBlocks == 1 && full.peakBytesInUse == capacity,
                               "take the whole heap: holding it, \(full)")
        try check("take the whole heap: holding it")
        try free(at: 0, "take the whole heap")
        #if CAIRN_CHECKED
        // The freed block waits in quarantine, still out of the fit heap.
        let waiting = slab.statistics
        try FuzzProgram.expect(waiting.bytesInUse == quarantinedFitBytes && waiting.quarantinedBytes == quarantinedFitBytes
                               && waiting.freeBytes == capacity - waiting.bytesInUse,
                               "take the whole heap: freed, in quarantine, \(waiting)")
        _ = slab.flushQuarantine()
        try syncQuarantine(mayHaveEmptied: true, mustHaveEmptied: true, handedOut: nil, "take the whole heap: emptied")
        try expectQuiet("take the whole heap: emptied")
        #endif
        let empty = slab.statistics
        try FuzzProgram.expect(empty.bytesInUse == 0 && empty.quarantinedBytes == 0 && empty.classPages == 0
                               && empty.largeBlocks == 0 && empty.liveBlocks == 0 && empty.freeBytes == capacity
                               && empty.largestFreeBlock == capacity,
                               "take the whole heap: after freeing it, \(empty)")
        try check("take the whole heap: after freeing it")
    }

    /// Slab misuse: the report count and the allocator's own counter.
    /// `blockSize` is the class block size the report must name, `noClass`
    /// true when it must name none (a fit-heap block, or no block at all).
    /// `repair` runs before the final check: it undoes what the program did
    /// to provoke the report (a smashed canary).
    mutating func expectMisuse(kinds: [MisuseKind], address: UInt, blockSize: UInt?, noClass: Bool = false,
                               _ context: @autoclosure () -> String, repair: () -> Void = {}) throws {
        let report = try FuzzProgram.expectReports(1, context())[0]
        expectedMisuse += 1
        try FuzzProgram.expect(kinds.contains(report.kind), "\(context()): misuse \(report.kind), expected one of \(kinds)")
        try FuzzProgram.expect(report.address == address,
                               "\(context()): report names \(report.address.hexText), expected \(address.hexText)")
        if let blockSize { try Self.expectClass(named: report, blockSize: blockSize, context()) }
        if noClass { try Self.expectClass(named: report, blockSize: nil, context()) }
        // A bad free changes nothing.
        repair()
        try check("\(context()): after the bad free")
    }

    // MARK: - Operations

    mutating func step(_ bytes: inout FuzzBytes) throws {
        let opcode = bytes.byte()
        if opcode == 0xFF {
            overflowed = true
            return try attackAndSurvive(&bytes)
        }
        let context = { [operation] in "op \(operation) (opcode \(opcode % 16))" }
        let full = live.count >= FuzzProgram.maximumLiveBlocks
        switch opcode % 16 {
        case 0, 1:
            let size = bytes.size()
            if full { return }
            try allocated(CHeap.malloc(&slab, byteCount: size), size: size, alignment: CHeap.fundamentalAlignment,
                          "\(context()) malloc(\(size))")
        case 2, 6, 7, 8:
            let call = FuzzCall(opcode: opcode, &bytes)!
            if full { return }
            let block = try call.perform(on: &slab, context())
            guard let request = call.request else { return }
            try allocated(block, size: request.size, alignment: request.alignment, zeroed: request.zeroed,
                          "\(context()) \(call.label)")
        case 3, 4:
            let selector = Int(bytes.byte())
            if live.isEmpty { return }
            try free(at: selector % live.count, context())
        case 5:
            let selector = Int(bytes.byte())
            let size = bytes.size()
            try realloc(selector: selector, size: size, context())
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
                peakSeen = 0
                let statistics = slab.statistics
                try FuzzProgram.expect(statistics.classPages == 0 && statistics.largeBlocks == 0
                                       && statistics.liveBlocks == 0 && statistics.bytesInUse == 0
                                       && statistics.peakBytesInUse == 0 && statistics.capacity == capacity
                                       && statistics.freeBytes == capacity && statistics.largestFreeBlock == capacity,
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
            // Inside a fit-heap block the word before the pointer is the
            // caller's: it may look like a header (see SlabAllocator.fitHeapMayTakeForBlock).
            if block.inFitHeap && slab.fitHeapMayTakeForBlock(interior, orFree: true) { return }
            let pointer = UnsafeMutableRawPointer(bitPattern: interior)
            if viaRealloc {
                let result = CHeap.realloc(&slab, pointer, byteCount: 16)
                try FuzzProgram.expect(result == nil, "\(context()): realloc of an interior pointer returned a block")
            } else {
                CHeap.free(&slab, pointer)
            }
            try expectMisuse(kinds: [.notBlockStart], address: interior,
                             blockSize: block.inFitHeap ? nil : block.reserved, noClass: block.inFitHeap,
                             "\(context()): \(viaRealloc ? "realloc" : "free") of interior \(interior.hexText) of \(block.address.hexText)+\(block.size)")
        case 14:
            let selector = bytes.byte()
            let offset = bytes.word() << 8 | UInt(bytes.byte())
            if selector & 0x80 == 0 {
                let foreign = guards.foreignAddress(selector)
                CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: foreign))
                try expectMisuse(kinds: [.foreignPointer], address: foreign, blockSize: nil, noClass: true,
                                 "\(context()): free of foreign \(foreign.hexText)")
            } else {
                let start = UInt(bitPattern: region.baseAddress)
                let wild = start + offset % UInt(region.count)
                if live.contains(where: { wild >= $0.address && wild < $0.address + $0.extent }) { return }
                // Stale or live bytes before it may look like a live block's
                // header (a free one's is fine: that is a double free); one
                // that carries its keyed tag is taken for a block, one that
                // does not is reported (a plainer test may fail first).
                var kinds: [MisuseKind] = [.foreignPointer, .notBlockStart, .doubleFree]
                if slab.fitHeapMayTakeForBlock(wild, orFree: false) {
                    if slab.fitHeapHeaderIsTagged(wild) { return }
                    kinds = [.notBlockStart, .heapCorruption]
                }
                CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: wild))
                try expectMisuse(kinds: kinds, address: wild, blockSize: nil,
                                 "\(context()): free of non-block \(wild.hexText) (region +\(wild - start))")
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
        try patterns.expectIntact(old, "\(label()): before realloc")
        let result = CHeap.realloc(&slab, UnsafeMutableRawPointer(bitPattern: old.address), byteCount: size)
        try expectQuiet(label())
        // In place: a class block that still fits, or a fit-heap block whose
        // new size is no larger than it was (in a checked build, with room
        // for the canary); a fit-heap block may also grow into a free block
        // right after it. Resized in place, a fit-heap block is exactly the
        // fit-heap block of its new size.
        let (needed, tooLarge) = size.addingReportingOverflow(SlabAllocator.blockOverhead)
        let wantedFitBlock = tooLarge ? nil : slab.fitBlockBytes(holding: needed)
        let fitsInPlace = old.inFitHeap ? wantedFitBlock.map { $0 <= old.reserved + FitHeap.headerBytes } ?? false
                                        : !tooLarge && needed <= old.reserved
        guard let result else {
            try FuzzProgram.expect(!fitsInPlace, "\(label()) of \(old.address.hexText)+\(old.size): refused though it fits in place")
            // The block stays live and unchanged; the new block had no room.
            try FuzzProgram.expect(slab.usableSize(of: UnsafeRawPointer(bitPattern: old.address)!) == old.usable,
                                   "\(label()): failed realloc changed the old block's size")
            try allocated(nil, size: size, alignment: CHeap.fundamentalAlignment, "\(label()) (moving)")
            return
        }
        let address = UInt(bitPattern: result)
        if address == old.address {
            try FuzzProgram.expect(old.inFitHeap || fitsInPlace,
                                   "\(label()) of \(old.address.hexText)+\(old.size): class block of \(old.reserved) kept in place")
            live.remove(at: index)
            // (A checked build re-arms the canary right after the new size.)
            let kept = ModelBlock(address: address, size: size, tag: old.tag, usable: 0, inFitHeap: false).written
            try patterns.expectIntact(old, upTo: min(old.written, kept), "\(label()): in place")
            var reserved = old.reserved
            if old.inFitHeap {
                let bytes = FitHeap.blockBytes(ofPayload: address)
                try FuzzProgram.expect(bytes == wantedFitBlock,
                                       "\(label()): in place, a fit-heap block of \(bytes) bytes, expected \(wantedFitBlock.map(String.init) ?? "none")")
                reserved = bytes - FitHeap.headerBytes
            }
            let usable = Self.usable(requested: size, reserved: reserved)
            let current = slab.usableSize(of: UnsafeRawPointer(result))
            try FuzzProgram.expect(current == usable, "\(label()): in place, usable \(current.map(String.init) ?? "nil"), expected \(usable)")
            try FuzzProgram.checkPlacement(address, size: size, alignment: 1, region: region, live: live, label())
            let block = ModelBlock(address: address, size: size, tag: nextTag, usable: usable, inFitHeap: old.inFitHeap,
                                  reserved: reserved)
            nextTag &+= 1
            patterns.fill(block)
            live.append(block)
            return
        }
        try FuzzProgram.expect(!fitsInPlace, "\(label()) of \(old.address.hexText)+\(old.size): moved though it fits in place")
        // Moved: the new block was taken while the old one was live.
        let moved = ModelBlock(address: address, size: size, tag: old.tag, usable: 0, inFitHeap: false)
        try patterns.expectIntact(moved, upTo: min(old.size, size), writtenAt: old.address, "\(label()): moved contents")
        try FuzzProgram.expect(slab.usableSize(of: UnsafeRawPointer(bitPattern: old.address)!) == nil,
                               "\(label()): old block \(old.address.hexText) still live after moving")
        // The new block was taken (which may have emptied the quarantine),
        // then the old one freed into it.
        let held = Int(slab.quarantineCount)
        let joined = 1
        if held != min(quarantine.count + joined, quarantineSlots) {
            try FuzzProgram.expect(held == min(joined, quarantineSlots),
                                   "\(label()) (moved): quarantine holds \(held) block(s), model \(quarantine.count) + \(joined)")
            let moved = (address, slab.bytesTaken(byBlockAt: address))
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
        // A block in quarantine is a double free for certain (of its class,
        // or of none for a fit-heap block). So is a class block whose page
        // is still a class page: another live block shares it (a block in
        // quarantine keeps its page too). A page that went back to the fit
        // heap is fit-heap memory like a released fit-heap block: its header
        // is a free block's (a double free) or, merged into the free block
        // before it, gone (not a block start), and it was cleared, so no
        // word before a block there passes for a header.
        let page = block.address / pageSize
        let samePage = { [pageSize] (other: ModelBlock) in !other.inFitHeap && other.address / pageSize == page }
        let quarantined = quarantine.contains { $0.address == block.address }
        let pageStillClass = !block.inFitHeap && (live.contains(where: samePage) || quarantine.contains(where: samePage))
        let certain = quarantined || pageStillClass
        CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
        try expectMisuse(kinds: certain ? [.doubleFree] : [.doubleFree, .notBlockStart],
                         address: block.address, blockSize: pageStillClass ? block.reserved : nil,
                         noClass: block.inFitHeap,
                         "\(context()): double free of \(block.address.hexText)+\(block.size)\(block.inFitHeap ? " (fit heap)" : "")")
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
        func label() -> String { "\(context()): overflow of \(block.address.hexText)+\(block.size)\(block.inFitHeap ? " (fit heap)" : "")" }
        try patterns.expectIntact(block, label())
        let canary = UnsafeMutablePointer<UInt8>(bitPattern: block.address + block.size)!
        let saved = canary.pointee
        canary.pointee = saved ^ 0xFF
        let integrity = slab.checkIntegrity()
        try FuzzProgram.expect(integrity.problem == .blockCanary,
                               "\(label()): integrity \(integrity.problem.map { "\($0)" } ?? "valid"), expected blockCanary")
        CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
        try expectMisuse(kinds: [.bufferOverflow], address: block.address, blockSize: block.inFitHeap ? nil : block.reserved,
                         noClass: block.inFitHeap, label(), repair: { canary.pointee = saved })
    }

    /// Writes one byte into a block in quarantine (one already there, or a
    /// live block freed for it): `checkIntegrity()` must name
    /// `freeBlockOverwritten`, and the allocator must report a
    /// `writeAfterFree` of the block when it leaves quarantine. The program
    /// then pushes it out with allocate/free pairs of the smallest class,
    /// each of which either moves the quarantine on by one or, when memory
    /// is short, empties it; the report is checked as it comes (naming the
    /// block's class, or none for a fit-heap block).
    mutating func writeAfterFree(selector: Int, offset: UInt, _ context: @autoclosure () -> String) throws {
        guard quarantineSlots > 0 else { return }
        if quarantine.isEmpty || selector & 1 != 0 {
            if live.isEmpty { return }
            try free(at: (selector >> 1) % live.count, context())
        }
        let block = quarantine[quarantine.count - 1 - (selector >> 1) % quarantine.count]
        let at = offset % block.reserved
        func label() -> String {
            "\(context()): write after free at \(block.address.hexText)+\(at) (\(block.inFitHeap ? "fit-heap block of" : "class") \(block.reserved))"
        }
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

    /// Guards, integrity, every tag and usable size, each block still in a
    /// class page or the fit heap as when it was handed out, and the
    /// statistics against the model: class blocks, large blocks, reserved
    /// bytes, bytes in use (class pages and fit-heap blocks, headers
    /// included), free bytes, the peak, the class pages the page-state map
    /// names, and the counters.
    mutating func check(_ context: @autoclosure () -> String) throws {
        try guards.check(context())
        let integrity = slab.checkIntegrity()
        try FuzzProgram.expect(integrity.isValid,
                               "\(context()): integrity \(integrity.problem.map { "\($0)" } ?? "") at page \(integrity.page)")
        var classBlocks: UInt = 0
        var largeBlocks: UInt = 0
        var fitBytes: UInt = 0
        var reserved: UInt = 0
        for block in live {
            try patterns.expectIntact(block, context())
            let usable = slab.usableSize(of: UnsafeRawPointer(bitPattern: block.address)!)
            try FuzzProgram.expect(usable == block.usable,
                                   "\(context()): live block \(block.address.hexText) usable \(usable.map(String.init) ?? "nil"), expected \(block.usable)")
            try FuzzProgram.expect(slab.isInClassPage(block.address) != block.inFitHeap,
                                   "\(context()): live block \(block.address.hexText) \(block.inFitHeap ? "now in a class page" : "no longer in a class page")")
            if block.inFitHeap {
                largeBlocks += 1
                fitBytes += block.reserved + FitHeap.headerBytes
                try FuzzProgram.expect(FitHeap.blockBytes(ofPayload: block.address) == block.reserved + FitHeap.headerBytes,
                                       "\(context()): fit-heap block \(block.address.hexText) is \(FitHeap.blockBytes(ofPayload: block.address)) bytes, model \(block.reserved + FitHeap.headerBytes)")
            } else {
                classBlocks += 1
            }
            reserved += block.reserved
        }
        let s = slab.statistics
        try FuzzProgram.expect(integrity.liveBlocks == classBlocks && integrity.largeBlocks == largeBlocks
                               && integrity.classPages == s.classPages,
                               "\(context()): integrity walk found \(integrity.liveBlocks) class blocks, \(integrity.largeBlocks) large blocks and \(integrity.classPages) class pages, model \(classBlocks) and \(largeBlocks), statistics \(s.classPages) pages")
        // (Quarantined blocks are neither live nor reserved.)
        try FuzzProgram.expect(s.liveBlocks == classBlocks && s.largeBlocks == largeBlocks && s.bytesReserved == reserved,
                               "\(context()): statistics \(s) disagree with model: \(classBlocks) class blocks, \(largeBlocks) large blocks, \(reserved) bytes")
        try FuzzProgram.expect(s.outOfMemoryCount == expectedOutOfMemory && s.misuseCount == expectedMisuse,
                               "\(context()): out-of-memory \(s.outOfMemoryCount) / misuse \(s.misuseCount), model \(expectedOutOfMemory) / \(expectedMisuse)")
        // The fit heap is tiled by blocks in use (each class page is one of
        // exactly a page; quarantined fit-heap blocks are still in use) and
        // free blocks.
        try FuzzProgram.expect(s.capacity == capacity && s.freeBytes + s.bytesInUse == capacity
                               && s.quarantinedBytes == quarantinedFitBytes
                               && s.bytesInUse == s.classPages * pageSize + fitBytes + quarantinedFitBytes
                               && s.largestFreeBlock <= s.freeBytes && s.classPages <= s.pageCount,
                               "\(context()): byte accounting \(s), model \(fitBytes) bytes of fit-heap blocks")
        try FuzzProgram.expect(s.peakBytesInUse >= s.bytesInUse && s.peakBytesInUse >= peakSeen
                               && s.peakBytesInUse <= capacity,
                               "\(context()): peak \(s.peakBytesInUse) (seen \(peakSeen)) for \(s.bytesInUse) bytes in use")
        peakSeen = s.peakBytesInUse
        var classPages: UInt = 0
        for page in 0..<pageCount where slab.pageState(page) != PageDescriptor.notClassPage { classPages += 1 }
        try FuzzProgram.expect(classPages == s.classPages,
                               "\(context()): the page-state map names \(classPages) class pages, statistics \(s.classPages)")
    }
}
