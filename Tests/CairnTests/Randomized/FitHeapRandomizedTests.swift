import XCTest
@testable import Cairn

/// Randomized churn against ``FitHeap``: allocations of every size and
/// alignment, frees, resizes in place, bad frees, the top given to a
/// "slab zone" and taken back, exhaustion and drains, checked against
/// ``ReferenceModel`` and the integrity check after every step.
///
/// A failure names its seed and how to replay it (see SeededGenerator.swift).
final class FitHeapRandomizedTests: MisuseRecordingTestCase {
    /// Heaps of a microcontroller's size, where exhaustion and the top
    /// moving are frequent: every byte of every block checked every step.
    func testBlocksNeverOverlapAndTheHeapStaysIntactInSmallHeaps() {
        runEverySeed(regionSizes: [1024, 4096, 16 * 1024], steps: 2500, fullCheckEvery: 1)
    }

    /// A larger heap with larger blocks; every byte checked every 20 steps
    /// (a corrupted byte stays corrupted, so it is still found), the
    /// integrity check and statistics every step.
    func testBlocksNeverOverlapAndTheHeapStaysIntactInALargeHeap() {
        runEverySeed(regionSizes: [512 * 1024], steps: 2500, fullCheckEvery: 20)
    }

    private func runEverySeed(regionSizes: [Int], steps: Int, fullCheckEvery: Int,
                              test: String = #function, line: UInt = #line) {
        var total = FitChurn.Coverage()
        for seed in RandomizedSeeds.all {
            for regionBytes in regionSizes {
                var random = SeededGenerator(seed: seed &+ UInt64(regionBytes))
                let offset = Int(random.regionOffset(upTo: 15))
                let run = RandomRun(seed: seed, setting: "\(regionBytes)-byte region at +\(offset)",
                                    suite: Self.self, test: test, file: #filePath, line: line)
                guard let churn = FitChurn(regionBytes: regionBytes, offset: offset, run: run, random: random,
                                           fullCheckEvery: RandomizedSeeds.isReplay ? 1 : fullCheckEvery)
                else { XCTFail("region refused"); continue }
                churn.execute(steps: steps * RandomizedSeeds.soak)
                total.add(churn.coverage)
            }
        }
        total.assertHappened([
            .failedAllocations: "no allocation ever failed",
            .drains: "the heap was never drained",
            .grownInPlace: "no block grew in place",
            .shrunkInPlace: "no block shrank in place",
            .topsGiven: "shrinkTop never gave memory",
            .topsTaken: "growTop never took memory back",
            .misuses: "no bad free was tried",
            .alignedAbove16: "no alignment above 16 was asked"
        ])
    }
}

/// One randomized run over one FitHeap.
final class FitChurn {
    enum Event {
        case allocations
        case failedAllocations
        case alignedAbove16
        case grownInPlace
        case shrunkInPlace
        case topsGiven
        case topsTaken
        case misuses
        case drains
    }

    typealias Coverage = RunCoverage<Event>

    /// The byte the "slab zone" above the heap holds while the heap has given it up.
    static let zoneByte: UInt8 = 0xEE

    let fixture: FitFixture
    let run: RandomRun
    let model: ReferenceModel
    var random: SeededGenerator
    let fullCheckEvery: Int
    /// The region's end rounded down to 8: the highest heap end.
    let regionTop: UInt
    var coverage = Coverage()

    init?(regionBytes: Int, offset: Int, run: RandomRun, random: SeededGenerator, fullCheckEvery: Int) {
        guard let fixture = try? FitFixture(bytes: regionBytes, offset: offset) else { return nil }
        self.fixture = fixture
        self.run = run
        self.random = random
        self.fullCheckEvery = fullCheckEvery
        regionTop = fixture.heap.heapEnd
        run.origin = fixture.start
        model = ReferenceModel(run: run, lower: fixture.start, upper: fixture.end)
    }

    func execute(steps: Int) {
        for step in 0..<steps {
            run.step = step
            let dice = random.below(1000)
            switch dice {
            case ..<470: allocate()
            case ..<800: free()
            case ..<900: resize()
            case ..<930: misuse()
            case ..<970: moveTop()
            case ..<975: drain()
            default: exhaust()
            }
            guard !run.failed, check(full: step % fullCheckEvery == 0) else { return }
        }
        drain()
        _ = check(full: true)
    }

    // MARK: - Operations

    /// A size: mostly small, sometimes up to a quarter of the heap.
    func randomSize() -> UInt {
        switch random.below(100) {
        case ..<60: return random.uniform(0...64)
        case ..<90: return random.uniform(65...512)
        default: return random.uniform(0...max(1, fixture.heap.capacity / 4))
        }
    }

    func randomAlignment() -> UInt {
        switch random.below(100) {
        case ..<55: return 8
        case ..<80: return 16
        case ..<88: return random.powerOfTwo(0...2)
        default: return random.powerOfTwo(5...10)
        }
    }

    func allocate() {
        let size = randomSize()
        let alignment = randomAlignment()
        let before = fixture.heap.statistics
        let block = fixture.heap.allocate(byteCount: size, alignment: alignment)
        run.note("allocate", size, alignment, block.map { $0.address - run.origin })
        coverage[.allocations] += 1
        if alignment > 16 { coverage[.alignedAbove16] += 1 }
        guard let block else {
            coverage[.failedAllocations] += 1
            var after = fixture.heap.statistics
            run.expect(after.outOfMemoryCount == before.outOfMemoryCount + 1, "a failure was not counted")
            after.outOfMemoryCount = before.outOfMemoryCount
            run.expect(after == before, "a failed allocation changed the heap: \(before) -> \(after)")
            return
        }
        guard run.expect(block.address + max(size, 1) <= fixture.heap.heapEnd - 4,
                         "allocate returned \(block.address.hexText) + \(size), past the heap's end "
                         + fixture.heap.heapEnd.hexText)
        else { return }
        let usable = fixture.heap.usableSize(of: block) ?? 0
        run.expect(usable >= size && usable < max(size, 12) + 8,
                   "usable size \(usable) for a request of \(size)")
        model.adopt(block, size: size, alignment: alignment, "allocate")
    }

    func free() {
        guard !model.isEmpty else { return allocate() }
        let i = random.below(model.count)
        let block = model.blocks[i]
        guard model.verify(block, "before free") else { return }
        fixture.heap.deallocate(block.address.modelPointer)
        run.note("free", block.address - run.origin)
        model.remove(at: i)
        run.expect(MisuseRecorder.reports.isEmpty, "a valid free was reported: \(MisuseRecorder.kinds)")
    }

    func resize() {
        guard !model.isEmpty else { return allocate() }
        let i = random.below(model.count)
        let block = model.blocks[i]
        let size = random.chance(50) ? random.uniform(0...max(block.size, 1)) : block.size + random.uniform(1...256)
        let resized = fixture.heap.resizeInPlace(block.address.modelPointer, byteCount: size)
        run.note("resize", block.address - run.origin, size, resized ? 1 : 0)
        guard resized else {
            run.expect(size > block.size, "shrinking in place failed")
            model.verify(block, "after a failed resize")
            return
        }
        if size > block.size { coverage[.grownInPlace] += 1 } else { coverage[.shrunkInPlace] += 1 }
        let usable = fixture.heap.usableSize(of: block.address.modelPointer) ?? 0
        run.expect(usable >= size, "usable size \(usable) after resizing to \(size)")
        model.resize(at: i, to: size, "resize")
    }

    /// A bad free of one kind; it must be reported as that kind and change nothing.
    func misuse() {
        coverage[.misuses] += 1
        MisuseRecorder.reset()
        let address: UInt
        var allowed: [MisuseKind]
        switch random.below(4) {
        case 0:
            address = random.chance(50) ? fixture.end + 8 * random.uniform(0...100) : fixture.start
            allowed = [.foreignPointer]
        case 1:
            guard !model.isEmpty else { return }
            address = model.blocks[random.below(model.count)].address + 4  // off the 8-byte grid
            allowed = [.notBlockStart]
        case 2:
            // A block freed twice: found as free, or (merged into a
            // neighbour, or taken again in part) as no block start. It
            // must not be live again: only then is the second free wrong.
            guard !model.isEmpty else { return }
            let i = random.below(model.count)
            let block = model.remove(at: i)
            fixture.heap.deallocate(block.address.modelPointer)
            run.note("free", block.address - run.origin)
            address = block.address
            allowed = [.doubleFree, .notBlockStart]
        default:
            // An 8-aligned address inside a live block, where the word before
            // it (the caller's data, read as a header) has bit 2 set: never a
            // header. (Data that forms a plausible header is taken for one:
            // see FitHeap; the unit tests cover those cases one by one.)
            guard !model.isEmpty else { return }
            let block = model.blocks[random.below(model.count)]
            guard block.size >= 16 else { return }
            let inner = block.address + 8 * random.uniform(1...(block.size - 4) / 8)
            guard loadWord(inner - 4) & 4 != 0 else { return }
            address = inner
            allowed = [.notBlockStart]
        }
        let before = fixture.heap.statistics
        fixture.heap.deallocate(address.modelPointer, caller: 0xBAD)
        run.note("bad free", address &- run.origin)
        guard run.expect(MisuseRecorder.reports.count == 1, "bad free at \(address.hexText) reported "
                         + "\(MisuseRecorder.kinds)"),
              let kind = MisuseRecorder.kinds.first
        else { return }
        run.expect(allowed.contains(kind), "bad free at \(address.hexText) reported as \(kind), not \(allowed)")
        run.expect(MisuseRecorder.reports.first?.caller == 0xBAD, "the caller was lost")
        var after = fixture.heap.statistics
        run.expect(after.misuseCount == before.misuseCount + 1, "the misuse was not counted")
        after.misuseCount = before.misuseCount
        run.expect(after == before, "a bad free changed the heap")
        MisuseRecorder.reset()
    }

    /// Gives the top to the "slab zone" (filled with ``zoneByte``) or takes
    /// part of it back.
    func moveTop() {
        let end = fixture.heap.heapEnd
        if end == regionTop || random.chance(50) {
            let bytes = random.chance(30) ? 0 : random.uniform(1...max(1, (end - fixture.start) / 3))
            let alignment = random.powerOfTwo(0...10)
            guard let newEnd = fixture.heap.shrinkTop(byAtLeast: bytes, alignTo: alignment) else {
                run.note("shrinkTop", bytes, alignment, nil)
                return
            }
            run.note("shrinkTop", bytes, alignment, newEnd - run.origin)
            guard run.expect(newEnd <= end - bytes && newEnd % max(alignment, 8) == 0,
                             "shrinkTop(\(bytes), \(alignment)) moved the end from \(end.hexText) to \(newEnd.hexText)"),
                  run.expect(model.blocks.last.map { $0.end <= newEnd - 4 } ?? true,
                             "shrinkTop gave up memory under a live block")
            else { return }
            if newEnd < end { coverage[.topsGiven] += 1 }
            fillBytes(newEnd, Self.zoneByte, end - newEnd)
        } else {
            let newEnd = end + 8 * random.uniform(1...(regionTop - end) / 8)
            guard checkZone() else { return }
            let grown = fixture.heap.growTop(to: newEnd)
            run.note("growTop", newEnd - run.origin, grown ? 1 : 0)
            if run.expect(grown, "growTop to \(newEnd.hexText) refused") { coverage[.topsTaken] += 1 }
        }
    }

    /// Frees every block and gives the whole region back to the heap: one
    /// free block of the whole capacity again.
    func drain() {
        coverage[.drains] += 1
        while !model.isEmpty {
            let block = model.remove(at: model.count - 1)
            fixture.heap.deallocate(block.address.modelPointer)
        }
        run.note("drain")
        if fixture.heap.heapEnd < regionTop {
            guard checkZone() else { return }
            fixture.heap.growTop(to: regionTop)
        }
        let s = fixture.heap.statistics
        run.expect(s.liveBlocks == 0 && s.freeBlocks == 1 && s.fragments == 0 && s.largestFreeBlock == s.capacity,
                   "a drained heap is not one free block: \(s)")
    }

    /// Allocates until a request fails, then frees a few blocks.
    func exhaust() {
        var attempts = 0
        while attempts < 10_000, !run.failed {
            attempts += 1
            let before = fixture.heap.statistics.outOfMemoryCount
            allocate()
            if fixture.heap.statistics.outOfMemoryCount != before { break }
        }
        for _ in 0..<min(model.count, 3) { free() }
    }

    // MARK: - Checks

    /// The zone above the heap still holds what the "slab" wrote.
    func checkZone() -> Bool {
        let end = fixture.heap.heapEnd
        guard end < regionTop else { return true }
        let zone = UnsafeRawBufferPointer(start: end.modelPointer, count: Int(regionTop - end))
        let bad = zone.firstIndex { $0 != Self.zoneByte }
        return run.expect(bad == nil, "the heap wrote into the zone it gave up, at \((end + UInt(bad ?? 0)).hexText)")
    }

    func check(full: Bool) -> Bool {
        let heap = fixture.heap.statistics
        guard run.expect(fixture.heap.checkIntegrity() == nil,
                         "integrity: \(String(describing: fixture.heap.checkIntegrity()))"),
              run.expect(heap.liveBlocks == UInt(model.liveCount),
                         "\(heap.liveBlocks) live blocks, the caller holds \(model.liveCount)"),
              run.expect(heap.bytesInUse >= model.requestedBytes + 4 * UInt(model.liveCount),
                         "\(heap.bytesInUse) bytes in use for \(model.requestedBytes) requested"),
              run.expect(heap.bytesInUse + heap.freeBytes == heap.capacity, "blocks do not tile the heap"),
              run.expect(heap.capacity == fixture.heap.heapEnd - 4 - (fixture.heap.firstBlock), "capacity")
        else { return false }
        guard full else { return true }
        return model.verifyAll() && checkZone()
    }
}
