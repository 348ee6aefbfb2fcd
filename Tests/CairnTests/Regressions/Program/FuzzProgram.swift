// The allocator fuzz program: turns bytes into an allocator configuration and
// a sequence of C-heap operations, runs them against the allocator and a
// reference model, and returns the first disagreement.
//
// Two builds compile the files of this folder (this one, FuzzSlabRun.swift,
// FuzzBumpRun.swift, FuzzSlabAttack.swift, FuzzCall.swift) and the
// reference model they share with the randomized tests
// (Tests/CairnTests/Model):
// - the libFuzzer target (`make fuzz`, mk/fuzz.mk), which compiles them by
//   path with the allocator sources and Fuzz/AllocatorFuzzer.swift into one
//   module (`-D CAIRN_FUZZER`, so no `import Cairn`) and traps on a
//   disagreement;
// - the XCTest target, where `FuzzRegressions` replays fuzz findings
//   from their bytes.
// Both also build with `-D CAIRN_CHECKED` (`make fuzz-checked`, and
// `swift test -Xswiftc -DCAIRN_CHECKED`): the model then expects the checked
// allocator (4 bytes of canary per block, the requested size as usable size,
// freed blocks held in quarantine) and the program adds misuse that
// only a checked build catches.
//
// The oracles, checked after each operation (the costly ones on a cadence):
// - every returned block lies inside the region, is aligned as asked, and
//   overlaps no live block;
// - every live block holds its pattern (Model/BlockPatterns.swift) written
//   at allocation and verified in full before it is freed or reallocated and
//   on every full check: two live blocks sharing memory show up here even when
//   the allocator's structures look consistent;
// - guard bytes around the region never change;
// - a legal sequence reports no misuse; deliberate bad frees are reported
//   with the expected kind (and class, or none for a fit-heap block) and
//   change nothing;
// - slab: every block is a block of its request's class in a class page
//   (the page-state map says so) or a fit-heap block of exactly the
//   predicted size in no class page, and a class request comes from the fit
//   heap only when its class has no free slot; `checkIntegrity()` holds;
//   statistics (class blocks, large blocks, reserved bytes, bytes in use =
//   class pages + fit-heap blocks, free + in use = capacity, the peak, the
//   class pages, out-of-memory and misuse counts) and `usableSize` agree
//   with the model; a failed allocation really had no room (its class no
//   free slot, the fit heap no block its search surely finds: no spurious
//   OOM); with nothing live, one block of the whole fit heap is served, and
//   once it is freed nothing is in use;
// - slab, checked build: the quarantine holds the blocks the model says (a
//   FIFO of the last `quarantineSlots` freed blocks, class and fit-heap
//   blocks alike, emptied only by an allocation short of memory, and always
//   before one that looks for room fails); a byte written past the
//   requested size is reported as `bufferOverflow` when the block is freed,
//   and the free is refused (the block stays allocated); a byte written into
//   a quarantined block makes `checkIntegrity()` name `freeBlockOverwritten`
//   and is reported as `writeAfterFree` (with the block's class, or none)
//   when the block leaves quarantine; a second free while in quarantine is
//   a `doubleFree`;
// - bump: addresses, statistics and rollbacks agree with a reference bump.
//
// Input format (missing bytes read as zero, so every input is valid):
//
//     flags  regionExp regionFrac  pageExp  largest  baseOffset  [classes]  ops...
//
// flags: bit 0 bump (else slab), bits 1-2 both set: explicit classes, bits
// 3-4 full-check cadence, bits 5-7 the quarantine slots of a checked slab
// (`FuzzProgram.quarantineSlots`).
// Each operation is an opcode byte followed by its arguments (see `step`).

#if !CAIRN_FUZZER
import Cairn
#endif

// MARK: - Input decoding

/// Reads the input front to back; past the end every byte is zero.
struct FuzzBytes {
    let data: UnsafeRawBufferPointer
    var index = 0

    var isAtEnd: Bool { index >= data.count }

    mutating func byte() -> UInt8 {
        guard index < data.count else { return 0 }
        defer { index += 1 }
        return data[index]
    }

    mutating func word() -> UInt {
        UInt(byte()) << 8 | UInt(byte())
    }

    /// A request size: mostly small, sometimes pages, sometimes larger than
    /// any region, sometimes hostile (near `UInt.max`).
    mutating func size() -> UInt {
        let first = byte()
        let low = UInt(first & 0x3F)
        switch first >> 6 {
        case 0: return low
        case 1: return low << 8 | UInt(byte())
        case 2: return low << 16 | word()
        default:
            switch low & 7 {
            case 0: return UInt.max
            case 1: return UInt.max - UInt(byte())
            case 2: return UInt.max / 2 + 1
            case 3: return UInt(UInt32.max)
            default: return UInt(byte()) << (low >> 3) // powers-of-two-ish sizes
            }
        }
    }

    /// An alignment: a power of two up to 64 KiB, now and then none (0 or a
    /// non-power of two), which must be refused.
    mutating func alignment() -> UInt {
        let b = byte()
        if b >= 0xF0 { return b == 0xF0 ? 0 : UInt(b) }
        return 1 << UInt(b % 17)
    }
}

// MARK: - The program

/// Thrown (as the description of the first disagreement) out of a run.
struct FuzzFailure: Error, CustomStringConvertible {
    var description: String
}

enum FuzzProgram {
    static let maximumOperations = 3000
    static let maximumLiveBlocks = 2048
    static let guardBytes = 64
    static let guardPattern: UInt8 = 0x5A
    /// Quarantine slots of a checked slab, by flags bits 5-7: the default
    /// (8) for most inputs, none, and short and long quarantines. A release
    /// build has no quarantine and ignores the setting.
    static let quarantineSlots: [UInt] = [8, 0, 1, 2, 3, 5, 8, 16]

    /// Runs `input`; returns nil when allocator and model agreed throughout,
    /// else a description of the first disagreement.
    static func run(_ input: UnsafeRawBufferPointer) -> String? {
        var bytes = FuzzBytes(data: input)
        let flags = bytes.byte()
        let regionBytes = min(UInt(2048) << UInt(bytes.byte() % 8) + UInt(bytes.byte()) << 6, 256 * 1024)
        let pageSize = UInt(64) << UInt(bytes.byte() % 7)
        let largestByte = bytes.byte()
        let baseOffset = Int(bytes.byte() % UInt8(guardBytes))

        // Region with guard bytes on both sides, at an arbitrary offset from
        // a page boundary (a firmware heap array is not page-aligned).
        let total = baseOffset + Int(regionBytes) + guardBytes
        let raw = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 4096)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: guardPattern, count: total)
        let region = UnsafeMutableRawBufferPointer(start: raw + baseOffset, count: Int(regionBytes))
        region.initializeMemory(as: UInt8.self, repeating: 0xA5)
        let guards = FuzzGuards(raw: raw, total: total, regionStart: baseOffset, regionEnd: baseOffset + Int(regionBytes))

        let regionStart = UInt(bitPattern: region.baseAddress)
        let patterns = BlockPatterns(lower: regionStart, upper: regionStart + regionBytes)
        MisuseRecorder.reset()
        do {
            if flags & 1 == 0 {
                // Explicit classes for one input in four, else the standard ones.
                var classes: [UInt16] = []
                var largest = max(8, UInt(largestByte) * pageSize / 128)
                if largestByte == 0 { largest = 4 }  // below the smallest class: must be refused
                if flags & 6 == 6 {
                    let count = Int(bytes.byte() % 16) + 1
                    var size: UInt = 0
                    for _ in 0..<count {
                        size += 4 * (UInt(bytes.byte() % 32) + 1)
                        if size < 8 { size = 8 }
                        if size > SlabConfiguration.largestClassLimit(pageSize: pageSize) { break }
                        classes.append(UInt16(size))
                    }
                    if classes.isEmpty { classes.append(8) }
                }
                try classes.withUnsafeBufferPointer { list in
                    var configuration = list.isEmpty
                        ? SlabConfiguration(pageSize: pageSize, largestClass: largest)
                        : SlabConfiguration(pageSize: pageSize, sizeClasses: list)
                    configuration.quarantineSlots = quarantineSlots[Int(flags >> 5)]
                    try SlabRun.run(&bytes, region: region, configuration: configuration,
                                    refused: list.isEmpty && largest < 8, guards: guards, patterns: patterns, flags: flags)
                }
            } else {
                try BumpRun.run(&bytes, region: region, guards: guards, patterns: patterns, flags: flags)
            }
        } catch let failure as FuzzFailure {
            return failure.description
        } catch {
            return "\(error)"
        }
        return nil
    }

    /// A new block must lie in the region, be aligned and overlap no live block.
    static func checkPlacement(_ address: UInt, size: UInt, alignment: UInt, region: UnsafeMutableRawBufferPointer,
                               live: [ModelBlock], _ context: @autoclosure () -> String) throws {
        let block = ModelBlock(address: address, size: size, alignment: alignment, tag: 0)
        let start = UInt(bitPattern: region.baseAddress)
        if let problem = block.misplacement(lower: start, upper: start + UInt(region.count), among: live) {
            throw FuzzFailure(description: "\(context()): \(problem)")
        }
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw FuzzFailure(description: message()) }
    }

    /// The misuse reports since the last call must be exactly `expected`;
    /// returns them.
    @discardableResult
    static func expectReports(_ expected: Int, _ context: @autoclosure () -> String) throws -> [MisuseReport] {
        let reports = MisuseRecorder.reports
        MisuseRecorder.reset()
        try expect(reports.count == expected, "\(context()): \(reports.count) misuse report(s), expected \(expected)"
                   + (reports.last.map { " (last \($0.kind) at \($0.address.hexText))" } ?? ""))
        return reports
    }
}

extension BlockPatterns {
    /// Throws unless `block` still holds its pattern (see ``damage(_:upTo:writtenAt:)``).
    func expectIntact(_ block: ModelBlock, upTo limit: UInt? = nil, writtenAt source: UInt? = nil,
                      _ context: @autoclosure () -> String) throws {
        if let damage = damage(block, upTo: limit, writtenAt: source) {
            throw FuzzFailure(description: "\(context()): \(damage)")
        }
    }
}

/// Guard bytes around the region: never written by anyone.
struct FuzzGuards {
    let raw: UnsafeMutableRawPointer
    let total: Int
    let regionStart: Int
    let regionEnd: Int

    func check(_ context: @autoclosure () -> String) throws {
        let bytes = raw.assumingMemoryBound(to: UInt8.self)
        for i in Array(0..<regionStart) + Array(regionEnd..<total) where bytes[i] != FuzzProgram.guardPattern {
            throw FuzzFailure(description: "\(context()): guard byte at region \(i < regionStart ? "start-\(regionStart - i)" : "end+\(i - regionEnd)") overwritten")
        }
    }

    /// An address outside the region (in a guard), for foreign frees.
    func foreignAddress(_ selector: UInt8) -> UInt {
        let p = UInt(bitPattern: raw)
        if regionStart > 0 && selector & 1 == 0 { return p + UInt(selector) % UInt(regionStart) }
        return p + UInt(regionEnd) + UInt(selector) % UInt(total - regionEnd)
    }
}
