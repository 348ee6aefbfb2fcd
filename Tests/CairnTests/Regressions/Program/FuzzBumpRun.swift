// The fuzz program against a BumpAllocator. See FuzzProgram.swift for the
// input format and the oracles.

#if !CAIRN_FUZZER
import Cairn
#endif

/// The reference bump: where the top is and which block may roll back,
/// written from the documented rules, not from the allocator's code.
struct BumpModel {
    let base: UInt
    let end: UInt
    var top: UInt
    /// Start of the newest block while it can still roll back, else nil.
    var newest: UInt?
    var peak: UInt
    var failed: UInt = 0
    var ignored: UInt = 0
    var rollbacks: UInt = 0

    init(base: UInt, end: UInt) {
        self.base = base
        self.end = end
        top = base
        peak = base
    }

    /// The start of the block `allocate` must return, or nil (counted).
    mutating func allocate(_ byteCount: UInt, _ alignment: UInt) -> UInt? {
        let extent = max(byteCount, 1)
        guard alignment != 0, alignment & (alignment - 1) == 0,
              top <= UInt.max - (alignment - 1)
        else { failed += 1; return nil }
        let start = (top + (alignment - 1)) / alignment * alignment
        guard start <= end, extent <= end - start else { failed += 1; return nil }
        top = start + extent
        peak = max(peak, top)
        newest = start
        return start
    }

    enum FreeOutcome { case foreign, rolledBack, ignored }

    mutating func free(_ address: UInt) -> FreeOutcome {
        guard address >= base, address < end else { return .foreign }
        if address == newest {
            top = address
            newest = nil
            rollbacks += 1
            return .rolledBack
        }
        ignored += 1
        return .ignored
    }

    /// Grows or shrinks the newest block in place.
    mutating func resize(_ address: UInt, _ byteCount: UInt) -> Bool {
        let extent = max(byteCount, 1)
        guard address == newest, extent <= end - address else { return false }
        top = address + extent
        peak = max(peak, top)
        return true
    }

    func usable(_ address: UInt) -> UInt? {
        address == newest ? top - address : nil
    }
}

/// One fuzz input run against a bump allocator and its model.
struct BumpRun: ~Copyable {
    var bump: BumpAllocator
    var model: BumpModel
    let region: UnsafeMutableRawBufferPointer
    let guards: FuzzGuards
    let patterns: BlockPatterns
    let checkEvery: Int
    let alwaysCheckUntil = 16
    var live: [ModelBlock] = []
    var marks: [(mark: BumpMark, top: UInt)] = []
    var nextTag: UInt32 = 1
    var operation = 0

    static func run(_ bytes: inout FuzzBytes, region: UnsafeMutableRawBufferPointer, guards: FuzzGuards,
                    patterns: BlockPatterns, flags: UInt8) throws {
        var state = BumpRun(region: region, guards: guards, patterns: patterns, flags: flags)
        try state.check("after creation")
        while !bytes.isAtEnd && state.operation < FuzzProgram.maximumOperations {
            try state.step(&bytes)
            state.operation += 1
            if state.operation <= state.alwaysCheckUntil || state.operation % state.checkEvery == 0 {
                try state.check("after operation \(state.operation)")
            }
        }
        try state.check("at end")
    }

    init(region: UnsafeMutableRawBufferPointer, guards: FuzzGuards, patterns: BlockPatterns, flags: UInt8) {
        bump = BumpAllocator(region: region)
        bump.misuseHandler = MisuseRecorder.handler
        let base = UInt(bitPattern: region.baseAddress)
        model = BumpModel(base: base, end: base + UInt(region.count))
        self.region = region
        self.guards = guards
        self.patterns = patterns
        checkEvery = [1, 4, 16, 64][Int(flags >> 3) & 3]
    }

    /// Checks a result against the model's prediction, then tags and keeps it.
    mutating func allocated(_ pointer: UnsafeMutableRawPointer?, expected: UInt?, size: UInt, alignment: UInt,
                            zeroed: Bool = false, _ context: @autoclosure () -> String) throws {
        let address = pointer.map { UInt(bitPattern: $0) }
        try FuzzProgram.expect(address == expected,
                               "\(context()): got \(address.map(\.hexText) ?? "nil"), model \(expected.map(\.hexText) ?? "nil")")
        guard let address else { return }
        try FuzzProgram.checkPlacement(address, size: size, alignment: alignment, region: region, live: live, context())
        if zeroed, let bad = patterns.firstNonZero(address, size) {
            throw FuzzFailure(description: "\(context()): calloc block \(address.hexText) not zero at \(bad)")
        }
        let block = ModelBlock(address: address, size: size, tag: nextTag, usable: 0, inFitHeap: false)
        nextTag &+= 1
        patterns.fill(block)
        live.append(block)
    }

    mutating func free(_ address: UInt, _ context: @autoclosure () -> String) throws {
        CHeap.free(&bump, UnsafeMutableRawPointer(bitPattern: address))
        if model.free(address) == .foreign {
            let report = try FuzzProgram.expectReports(1, "\(context()): free of foreign \(address.hexText)")[0]
            try FuzzProgram.expect(report.kind == .foreignPointer && report.address == address,
                                   "\(context()): foreign free reported as \(report.kind) at \(report.address.hexText)")
        }
        try FuzzProgram.expectReports(0, "\(context()): free of \(address.hexText)")
    }

    mutating func step(_ bytes: inout FuzzBytes) throws {
        let opcode = bytes.byte()
        let context = { [operation] in "op \(operation) (opcode \(opcode % 16))" }
        let full = live.count >= FuzzProgram.maximumLiveBlocks
        switch opcode % 16 {
        case 0, 1, 11:
            let size = bytes.size()
            if full { return }
            let alignment = CHeap.fundamentalAlignment
            let expected = model.allocate(size, alignment)
            try allocated(CHeap.malloc(&bump, byteCount: size), expected: expected, size: size, alignment: alignment,
                          "\(context()) malloc(\(size))")
        case 2, 6, 7, 8:
            let call = FuzzCall(opcode: opcode, &bytes)!
            if full { return }
            let block = try call.perform(on: &bump, context())
            guard let request = call.request else { return }
            let expected = model.allocate(request.size, request.alignment)
            try allocated(block, expected: expected, size: request.size, alignment: request.alignment,
                          zeroed: request.zeroed, "\(context()) \(call.label)")
        case 3, 4, 12:
            let selector = Int(bytes.byte())
            if live.isEmpty { return }
            let block = live.remove(at: selector % live.count)
            try patterns.expectIntact(block, "\(context()): before free")
            try free(block.address, context())
            // A bump allocator cannot tell a double free from any other
            // free below the top: it is ignored (and counted), by design.
            if opcode % 16 == 12 { try free(block.address, "\(context()) again") }
        case 5:
            let selector = Int(bytes.byte())
            let size = bytes.size()
            try realloc(selector: selector, size: size, "\(context()) realloc(\(size))")
        case 9:
            bump.reset()
            model.top = model.base
            model.newest = nil
            live.removeAll()
            marks.removeAll()
        case 10:
            if marks.count < 8 { marks.append((bump.mark(), model.top)) }
        case 13:
            let selector = Int(bytes.byte())
            let offset = UInt(bytes.word())
            guard let index = live.indices.first(where: { live[($0 + selector) % live.count].size >= 2 })
            else { return }
            let block = live[(index + selector) % live.count]
            try free(block.address + 1 + offset % (block.size - 1), "\(context()) interior")
        case 14:
            let selector = bytes.byte()
            let offset = bytes.word() << 8 | UInt(bytes.byte())
            if selector & 0x80 == 0 {
                try free(guards.foreignAddress(selector), context())
            } else {
                let wild = model.base + offset % UInt(region.count)
                if live.contains(where: { wild >= $0.address && wild < $0.address + $0.extent }) { return }
                try free(wild, "\(context()) non-block")
            }
        case 15:
            let selector = Int(bytes.byte())
            if marks.isEmpty { return }
            try rewind(marks[selector % marks.count], context())
        default:
            break
        }
        try FuzzProgram.expectReports(0, context())
    }

    mutating func rewind(_ entry: (mark: BumpMark, top: UInt), _ context: @autoclosure () -> String) throws {
        let valid = entry.top >= model.base && entry.top <= model.top
        let done = bump.rewind(to: entry.mark)
        try FuzzProgram.expect(done == valid, "\(context()): rewind to \(entry.top.hexText) with top \(model.top.hexText) returned \(done)")
        guard valid else {
            let report = try FuzzProgram.expectReports(1, "\(context()): rewind to a stale mark")[0]
            try FuzzProgram.expect(report.kind == .invalidMark, "\(context()): stale mark reported as \(report.kind)")
            return
        }
        model.top = entry.top
        model.newest = nil
        // Blocks taken after the mark are gone; a block that grew across
        // the mark (realloc in place) keeps only what lies below it.
        live.removeAll { $0.address >= entry.top }
        for i in live.indices where live[i].address + live[i].extent > entry.top {
            live[i].size = entry.top - live[i].address
        }
    }

    mutating func realloc(selector: Int, size: UInt, _ label: @autoclosure () -> String) throws {
        if live.isEmpty || selector == 0xFF {
            if live.count >= FuzzProgram.maximumLiveBlocks { return }
            let expected = model.allocate(size, CHeap.fundamentalAlignment)
            return try allocated(CHeap.realloc(&bump, nil, byteCount: size), expected: expected, size: size,
                                 alignment: CHeap.fundamentalAlignment, "\(label()) of NULL")
        }
        let index = selector % live.count
        let old = live[index]
        try patterns.expectIntact(old, "\(label()): before realloc")
        let result = CHeap.realloc(&bump, UnsafeMutableRawPointer(bitPattern: old.address), byteCount: size)
        try FuzzProgram.expectReports(0, label())
        let address = result.map { UInt(bitPattern: $0) }
        if model.resize(old.address, size) {
            try FuzzProgram.expect(address == old.address, "\(label()) of newest \(old.address.hexText): got \(address.map(\.hexText) ?? "nil")")
            live.remove(at: index)
            try patterns.expectIntact(old, upTo: min(old.written, max(size, 1)), "\(label()): in place")
            let block = ModelBlock(address: old.address, size: size, tag: nextTag, usable: 0, inFitHeap: false)
            nextTag &+= 1
            patterns.fill(block)
            live.append(block)
            return
        }
        if size == 0 {
            // Zero bytes fit any live block, even one below the newest: it
            // stays where it is, with nothing moved, allocated or freed.
            try FuzzProgram.expect(address == old.address, "\(label()) of older \(old.address.hexText): got \(address.map(\.hexText) ?? "nil")")
            live[index].size = 0
            return
        }
        let expected = model.allocate(size, CHeap.fundamentalAlignment)
        try FuzzProgram.expect(address == expected, "\(label()) of \(old.address.hexText): got \(address.map(\.hexText) ?? "nil"), model \(expected.map(\.hexText) ?? "nil")")
        guard let address else { return }
        let moved = ModelBlock(address: address, size: size, tag: old.tag, usable: 0, inFitHeap: false)
        try patterns.expectIntact(moved, upTo: min(old.size, size), writtenAt: old.address, "\(label()): moved contents")
        _ = model.free(old.address)
        try allocated(result, expected: address, size: size, alignment: CHeap.fundamentalAlignment, label())
        live.remove(at: index)
    }

    func check(_ context: @autoclosure () -> String) throws {
        try guards.check(context())
        let s = bump.statistics
        let m = model
        try FuzzProgram.expect(s.capacity == m.end - m.base && s.bytesInUse == m.top - m.base
                               && s.peakBytesInUse == m.peak - m.base && s.failedRequests == m.failed
                               && s.ignoredFrees == m.ignored && s.rollbacks == m.rollbacks,
                               "\(context()): statistics \(s), model top +\(m.top - m.base) peak +\(m.peak - m.base) failed \(m.failed) ignored \(m.ignored) rollbacks \(m.rollbacks)")
        for block in live {
            try patterns.expectIntact(block, context())
            let pointer = UnsafeMutableRawPointer(bitPattern: block.address)!
            let usable = bump.usableSize(of: pointer)
            try FuzzProgram.expect(usable == model.usable(block.address) && bump.owns(pointer),
                                   "\(context()): block \(block.address.hexText) usable \(usable.map(String.init) ?? "nil"), model \(model.usable(block.address).map(String.init) ?? "nil")")
        }
    }
}
