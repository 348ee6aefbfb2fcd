import XCTest
@testable import Cairn

/// Randomized churn against the bump allocator, checked against an exact
/// reference: where each block must start (the top rounded up to the
/// alignment), where the top goes after a rollback, a rewind or a reset,
/// and every counter of its statistics, after every step.
final class BumpRandomizedTests: MisuseRecordingTestCase {
    /// A microcontroller-sized arena, full check after every step: it fills
    /// up often, so failures and recoveries by rollback, rewind and reset
    /// are all frequent.
    func testBlocksNeverOverlapAndTheTopFollowsEveryFreeIn16KiB() {
        runEverySeed(regionBytes: 16 * 1024, steps: 3000, fullCheckEvery: 1)
    }

    /// A larger arena, with marks taken and rewound to more often: a rewind
    /// frees exactly the blocks above its mark and nothing below.
    func testRewindFreesExactlyTheBlocksAboveItsMarkIn256KiB() {
        runEverySeed(regionBytes: 256 * 1024, steps: 2000, fullCheckEvery: 10, markPerMille: 120)
    }

    private func runEverySeed(regionBytes: Int, steps: Int, fullCheckEvery: Int, markPerMille: Int = 60,
                              test: String = #function, line: UInt = #line) {
        var total = BumpChurn.Coverage()
        for seed in RandomizedSeeds.all {
            var random = SeededGenerator(seed: seed ^ 0xB0_B0B0)
            let scenario = BumpChurn.Scenario(
                regionBytes: regionBytes,
                regionOffset: random.regionOffset(upTo: 63),
                steps: steps * RandomizedSeeds.soak,
                fullCheckEvery: RandomizedSeeds.isReplay ? 1 : fullCheckEvery,
                markPerMille: markPerMille)
            let run = RandomRun(seed: seed, setting: scenario.description, suite: Self.self, test: test,
                                file: #filePath, line: line)
            let churn = BumpChurn(scenario, run: run, random: random)
            churn.execute()
            total.add(churn.coverage)
        }
        // Every way memory comes back happened, and so did exhaustion.
        total.assertHappened([
            .failedAllocations: "the arena never filled up",
            .rollbacks: "no free rolled the top back",
            .reuseAfterRollback: "no allocation reused a rolled-back block's address",
            .ignoredFrees: "no free of an older block",
            .rewinds: "no rewind",
            .staleRewinds: "no stale mark was refused",
            .resets: "no reset"
        ])
    }
}

/// One randomized run over one bump arena.
final class BumpChurn {
    struct Scenario: CustomStringConvertible {
        var regionBytes: Int
        var regionOffset: UInt
        var steps: Int
        var fullCheckEvery: Int
        /// Chance per step, in thousandths, of taking a mark (and of rewinding to one).
        var markPerMille: Int

        var description: String { "bump over a \(regionBytes)-byte region at +\(regionOffset)" }
    }

    enum Event {
        case allocations
        case failedAllocations
        case rollbacks
        case reuseAfterRollback
        case ignoredFrees
        case rewinds
        case staleRewinds
        case resets
    }

    typealias Coverage = RunCoverage<Event>

    let scenario: Scenario
    let run: RandomRun
    var random: SeededGenerator
    let region: TestRegion
    var bump: BumpAllocator
    let model: ReferenceModel
    let base: UInt
    let end: UInt
    private(set) var coverage = Coverage()

    // The reference bump: where the top is, which block a free rolls back,
    // and the counters the statistics must show.
    private var top: UInt
    private var newest: UInt? = nil
    private var peak: UInt
    private var failedRequests: UInt = 0
    private var ignoredFrees: UInt = 0
    private var rollbacks: UInt = 0
    /// The start of the last block rolled back, until the next allocation.
    private var rolledBack: UInt? = nil
    /// Marks still valid: at or below the top since they were taken.
    private var marks: [BumpMark] = []
    /// Marks the top has since fallen below: a rewind to one that lies
    /// above the top must be refused and reported.
    private var staleMarks: [BumpMark] = []

    init(_ scenario: Scenario, run: RandomRun, random: SeededGenerator) {
        self.scenario = scenario
        self.run = run
        self.random = random
        region = TestRegion(bytes: scenario.regionBytes, offset: Int(scenario.regionOffset))
        let window = region.buffer
        bump = BumpAllocator(region: window)
        bump.misuseHandler = MisuseRecorder.handler
        base = UInt(bitPattern: window.baseAddress)
        end = base + UInt(window.count)
        top = base
        peak = base
        model = ReferenceModel(run: run, lower: base, upper: end)
        run.origin = base
    }

    func execute() {
        while run.step < scenario.steps && !run.failed {
            run.step += 1
            let roll = random.below(1000)
            let markEnd = 10 + 20 + 20 + scenario.markPerMille
            if roll < 10 {
                reset()
            } else if roll < 30 {
                requestThatMustFail()
            } else if roll < 50 {
                rewindToStaleMark()
            } else if roll < markEnd - scenario.markPerMille / 2 {
                takeMark()
            } else if roll < markEnd {
                rewindToMark()
            } else if roll < markEnd + 150 {
                freeNewest()
            } else if roll < markEnd + 250 {
                freeOlder()
            } else {
                allocate()
            }
            guard !run.failed else { return }
            checkStatistics()
            if run.step % scenario.fullCheckEvery == 0 { fullCheck() }
        }
        if !run.failed { fullCheck() }
    }

    // MARK: - Requests

    func offset(_ block: UnsafeMutableRawPointer?) -> UInt? { block.map { $0.address &- base } }
    func offset(_ address: UInt) -> UInt { address &- base }

    func nextSize() -> UInt {
        switch random.below(100) {
        case ..<5: return 0
        case ..<40: return random.uniform(1...16)
        case ..<80: return random.uniform(1...256)
        case ..<95: return random.uniform(1...2048)
        default: return random.uniform(1...UInt(scenario.regionBytes / 4))
        }
    }

    func nextAlignment() -> UInt {
        switch random.below(100) {
        case ..<60: return random.powerOfTwo(0...3)
        case ..<90: return random.powerOfTwo(4...8)
        default: return random.powerOfTwo(9...12)
        }
    }

    /// The top rounded up to `alignment`, by division (not the allocator's
    /// mask arithmetic), or `nil` past the end of the address space.
    func alignedTop(_ alignment: UInt) -> UInt? {
        let remainder = top % alignment
        if remainder == 0 { return top }
        let (start, overflow) = top.addingReportingOverflow(alignment - remainder)
        return overflow ? nil : start
    }

    /// Allocates and checks the block against the reference: at the top
    /// rounded up, or `nil` exactly when that does not fit.
    func allocate(size: UInt, alignment: UInt, _ what: StaticString) {
        let extent = max(size, 1)
        var expected: UInt? = nil
        if isPowerOfTwo(alignment), let start = alignedTop(alignment), start <= end, extent <= end - start {
            expected = start
        }
        let block = bump.allocate(byteCount: size, alignment: alignment)
        run.note("allocate(size, alignment) -> offset", size, alignment, offset(block))
        guard let start = expected else {
            if run.expect(block == nil, "\(what)(\(size), alignment \(alignment)) returned \(block!.address.hexText) "
                          + "with the top at \(top.hexText) and the end at \(end.hexText)") {
                failedRequests += 1
                coverage[.failedAllocations] += 1
            }
            return
        }
        guard let block else {
            run.fail("\(what)(\(size), alignment \(alignment)) failed with the top at \(top.hexText), "
                     + "\(end - start) bytes left above \(start.hexText)")
            return
        }
        guard run.expect(block.address == start, "\(what)(\(size), alignment \(alignment)) returned "
                         + "\(block.address.hexText), expected the top \(top.hexText) rounded up: \(start.hexText)"),
              model.adopt(block, size: size, alignment: alignment, what)
        else { return }
        if start == rolledBack { coverage[.reuseAfterRollback] += 1 }
        rolledBack = nil
        coverage[.allocations] += 1
        top = start + extent
        newest = start
        peak = max(peak, top)
    }

    func allocate() {
        allocate(size: nextSize(), alignment: nextAlignment(), "allocate")
    }

    /// Sizes and alignments that cannot fit, and alignments that are not
    /// powers of two: all fail and are counted, none moves the top.
    func requestThatMustFail() {
        switch random.below(3) {
        case 0:
            let size = random.element(of: [UInt.max, UInt.max - top + base, UInt.max / 2 + 1,
                                           end - base + 1, end - top + 1, UInt(UInt32.max) + 1])
            allocate(size: size, alignment: nextAlignment(), "hostile allocate")
        case 1:
            allocate(size: random.uniform(0...64), alignment: random.element(of: [1 << 63, 1 << 62, 1 << 40]),
                     "hostile allocate")
        default:
            allocate(size: random.uniform(0...64), alignment: random.element(of: [0, 3, 12, 24, 4095, UInt.max]),
                     "hostile allocate")
        }
    }

    /// Frees the newest block: the top rolls back to its start.
    func freeNewest() {
        guard let start = newest, let index = model.index(of: start) else { return allocate() }
        let block = model.blocks[index]
        run.note("free(newest offset) of size", offset(start), block.size)
        guard model.verify(block, "before free") else { return }
        bump.deallocate(start.modelPointer)
        model.remove(at: index)
        rollbacks += 1
        coverage[.rollbacks] += 1
        top = start
        newest = nil
        rolledBack = start
        marksInvalidated(above: top)
    }

    /// Frees a block below the newest: a counted no-op; its memory stays
    /// reserved (the model keeps it, retired, to prove nothing overlaps it).
    func freeOlder() {
        guard !model.isEmpty else { return allocate() }
        let first = random.below(model.count)
        for step in 0..<model.count {
            let index = (first + step) % model.count
            let block = model.blocks[index]
            guard !block.retired, block.address != newest else { continue }
            run.note("free(older offset) of size", offset(block.address), block.size)
            guard model.verify(block, "before free") else { return }
            bump.deallocate(block.address.modelPointer)
            model.retire(at: index)
            ignoredFrees += 1
            coverage[.ignoredFrees] += 1
            return
        }
        allocate()
    }

    func takeMark() {
        let mark = bump.mark()
        run.note("mark at offset", offset(top))
        guard run.expect(mark == BumpMark(top: top), "mark() gave \(mark.top.hexText), the top is \(top.hexText)") else { return }
        marks.append(mark)
        if marks.count > 6 { marks.removeFirst() }
    }

    /// Rewinds to a valid mark: every block at or above it is gone, every
    /// block below it stays intact (checked by the next full check).
    func rewindToMark() {
        guard !marks.isEmpty else { return takeMark() }
        let mark = random.element(of: marks)
        run.note("rewind to offset, blocks held", offset(mark.top), UInt(model.count))
        guard run.expect(bump.rewind(to: mark), "rewind to a valid mark at \(mark.top.hexText) (top \(top.hexText)) was refused"),
              model.removeAll(from: mark.top)
        else { return }
        coverage[.rewinds] += 1
        top = mark.top
        newest = nil
        rolledBack = nil
        marksInvalidated(above: top)
    }

    /// Rewinds to a mark the top has fallen below and that lies above the
    /// top now: refused, reported as an invalid mark, nothing changes.
    /// (A stale mark at or below the top cannot be told from a valid one
    /// by the allocator, by design: the caller must not use it.)
    func rewindToStaleMark() {
        guard let mark = staleMarks.last(where: { $0.top > top }) else { return allocate() }
        run.note("rewind to stale offset", offset(mark.top))
        guard run.expect(!bump.rewind(to: mark), "rewind to a stale mark at \(mark.top.hexText) above the top "
                         + "\(top.hexText) was accepted"),
              run.expect(MisuseRecorder.kinds == [.invalidMark] && MisuseRecorder.reports.first?.address == mark.top,
                         "rewind to a stale mark reported \(MisuseRecorder.kinds), expected one invalidMark at \(mark.top.hexText)")
        else { return }
        MisuseRecorder.reset()
        coverage[.staleRewinds] += 1
    }

    func reset() {
        run.note("reset, blocks held", UInt(model.count))
        bump.reset()
        model.removeAll()
        coverage[.resets] += 1
        top = base
        newest = nil
        rolledBack = nil
        marksInvalidated(above: top)
    }

    /// The top fell to `limit`: marks above it turn stale.
    private func marksInvalidated(above limit: UInt) {
        staleMarks += marks.filter { $0.top > limit }
        marks.removeAll { $0.top > limit }
        if staleMarks.count > 8 { staleMarks.removeFirst(staleMarks.count - 8) }
    }

    // MARK: - Checks

    /// After every step: the statistics are exactly the reference's.
    func checkStatistics() {
        let expected = BumpStatistics(capacity: end - base, bytesInUse: top - base, peakBytesInUse: peak - base,
                                      failedRequests: failedRequests, ignoredFrees: ignoredFrees, rollbacks: rollbacks)
        let s = bump.statistics
        guard run.expect(s == expected, "statistics \(s), expected \(expected)"),
              run.expect(MisuseRecorder.reports.isEmpty, "legal operations reported misuse: \(MisuseRecorder.kinds)")
        else { return }
        if let start = newest {
            run.expect(bump.usableSize(of: start.modelPointer) == top - start,
                       "the newest block at \(start.hexText) has usable size \(String(describing: bump.usableSize(of: start.modelPointer))), "
                       + "expected \(top - start)")
        }
    }

    /// Every block: placement and bytes (the model), what the allocator
    /// knows of it, and that the blocks fit below the top.
    func fullCheck() {
        guard model.verifyAll() else { return }
        var held: UInt = 0
        for block in model.blocks {
            held += block.extent
            let p = block.address.modelPointer
            let usable = bump.usableSize(of: p)
            guard run.expect(block.end <= top, "\(block) reaches above the top \(top.hexText)"),
                  run.expect(bump.owns(p), "\(block) is not owned"),
                  run.expect(bump.bytesBelowTop(from: p) == top - block.address,
                             "bytesBelowTop of \(block) is \(bump.bytesBelowTop(from: p)), expected \(top - block.address)"),
                  run.expect(block.address == newest ? usable == top - block.address : usable == nil,
                             "usableSize of \(block) is \(String(describing: usable)) (newest: \(String(describing: newest)))")
            else { return }
        }
        let s = bump.statistics
        run.expect(s.bytesInUse >= held, "\(s.bytesInUse) bytes in use for \(held) bytes of blocks held")
        if top < end { run.expect(!bump.owns(top.modelPointer), "the byte at the top is owned") }
    }
}
