// The fuzz program's heap overflow (opcode 0xFF, slab only): attacker-
// chosen words written past the end of a live block or into a freed block,
// as a program's bug would, over whatever lies there (a free block's link,
// a class page's descriptor, a fit-heap header or bin link, a live
// neighbour). From then on the heap's own accounting no longer matches the
// model, so the run goes on in a reduced mode with the one oracle that
// must hold whatever was written (SlabAllocator+LinkChecks.swift,
// FitHeap+LinkChecks.swift): every block handed out lies inside the
// region, is aligned as asked, and overlaps no live block (and nothing
// traps). Misuse reports are allowed and not counted.
//
// Bytes: after the opcode, the first attack (see `attack`), then operations
// until the input ends, each an opcode byte:
//   0, 1  malloc(size)           2  free(live[selector])
//   3     another attack

#if !CAIRN_FUZZER
@testable import Cairn
#endif

extension SlabRun {
    /// Opcode 0xFF: the first attack, then the rest of the input in the
    /// reduced mode. Ends the run.
    mutating func attackAndSurvive(_ bytes: inout FuzzBytes) throws {
        var freed: [UInt] = []
        try attack(&bytes, freed: freed)
        while !bytes.isAtEnd && operation < FuzzProgram.maximumOperations {
            operation += 1
            let context = { [operation] in "op \(operation) (after an overflow)" }
            switch bytes.byte() % 4 {
            case 0, 1:
                let size = bytes.size()
                if live.count >= FuzzProgram.maximumLiveBlocks { continue }
                guard let pointer = CHeap.malloc(&slab, byteCount: size) else { continue }
                let address = UInt(bitPattern: pointer)
                try FuzzProgram.checkPlacement(address, size: size, alignment: CHeap.fundamentalAlignment,
                                               region: region, live: live, "\(context()) malloc(\(size))")
                try FuzzProgram.expect(address >= firstPayload && address < heapEnd,
                                       "\(context()): block \(address.hexText) outside the heap")
                live.append(ModelBlock(address: address, size: size, tag: 0, usable: size, inFitHeap: false,
                                      reserved: size))
            case 2:
                let selector = Int(bytes.byte())
                if live.isEmpty { continue }
                let block = live.remove(at: selector % live.count)
                CHeap.free(&slab, UnsafeMutableRawPointer(bitPattern: block.address))
                freed.append(block.address)
                if freed.count > 64 { freed.removeFirst() }
            default:
                try attack(&bytes, freed: freed)
            }
        }
        try guards.check("after the overflow run")
    }

    /// One overflow: `target` picks where (even: past the end of a live
    /// block, odd: into a block freed in this run, else a live block's
    /// end), `count` how many words (1..8), then one word selector each
    /// (see `attackWord`). Writes stay inside the region.
    mutating func attack(_ bytes: inout FuzzBytes, freed: [UInt]) throws {
        let target = bytes.byte()
        let count = Int(bytes.byte() % 8) + 1
        let start: UInt
        if target & 1 == 1, !freed.isEmpty {
            start = freed[Int(target >> 1) % freed.count]
        } else if !live.isEmpty {
            let block = live[Int(target >> 1) % live.count]
            // Past what was asked for; in a checked build over the canary.
            start = (block.address + block.extent + 3) & ~3
        } else {
            return
        }
        let regionEnd = UInt(bitPattern: region.baseAddress) + UInt(region.count)
        for index in 0..<count {
            let word = attackWord(&bytes, at: start)
            let address = start + UInt(index) * 4
            guard address + 4 <= regionEnd else { break }
            UnsafeMutableRawPointer(bitPattern: address)!.storeBytes(of: word, as: UInt32.self)
        }
    }

    /// An attacker's word, by a selector byte: an address outside the
    /// region, an address or arena offset inside it (a live block's, or
    /// any), all ones less a little, a word from the input, or a pair
    /// built with the fixed mark Cairn once used (word XOR 0xCACACACA).
    mutating func attackWord(_ bytes: inout FuzzBytes, at address: UInt) -> UInt32 {
        let selector = bytes.byte()
        let regionStart = UInt(bitPattern: region.baseAddress)
        let some = live.isEmpty ? regionStart : live[Int(selector >> 3) % live.count].address
        switch selector & 7 {
        case 0: return UInt32(truncatingIfNeeded: guards.foreignAddress(bytes.byte()))
        case 1: return UInt32(truncatingIfNeeded: some)
        case 2: return UInt32(truncatingIfNeeded: some &- slab.arenaBase)
        case 3: return UInt32(truncatingIfNeeded: some &- slab.fit.controlBlock &- FitHeap.headerBytes)
        case 4: return 0xFFFF_FFF0 | UInt32(bytes.byte() & 0xF)
        case 5: return UInt32(truncatingIfNeeded: bytes.word() << 16 | bytes.word())
        case 6: return UInt32(truncatingIfNeeded: (some &- slab.arenaBase)) ^ 0xCACA_CACA
        default: return UInt32(truncatingIfNeeded: address &- some)
        }
    }
}
