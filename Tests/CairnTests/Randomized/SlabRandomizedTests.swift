import XCTest
@testable import Cairn

/// Randomized churn against the slab allocator: thousands of mixed
/// allocations, frees, reallocs, full drains and exhaustions, checked
/// against ``ReferenceModel`` after every step.
///
/// Each test runs every page size (64, 256, 1024, 4096) with the standard
/// generated classes and with an explicit list, for every seed of
/// ``RandomizedSeeds``. A failure names its seed and how to replay it.
final class SlabRandomizedTests: XCTestCase {
    override func setUp() { MisuseRecorder.reset() }

    /// A microcontroller-sized heap, checked in full after every step.
    func testBlocksNeverOverlapUnderRandomChurnIn16KiB() {
        runEveryScenario(regionBytes: 16 * 1024, steps: 1200, fullCheckEvery: 1)
    }

    /// A large heap (up to 13k pages of 64 bytes). The cheap checks run
    /// after every step, the full check every 25 steps (its heap walk is
    /// O(classes x pages)), the heap walk also around every drain and
    /// exhaustion. A corrupted byte stays corrupted, so it is still found,
    /// only a few steps later; replaying with CAIRN_SEED checks every step
    /// and pins it down.
    func testBlocksNeverOverlapUnderRandomChurnIn1MiB() {
        runEveryScenario(regionBytes: 1 << 20, steps: 500, fullCheckEvery: 25)
    }

    /// Fills the heap until even a one-byte request fails, over and over:
    /// the failure is counted, nothing breaks, and a freed block's memory
    /// can be taken again at once.
    func testExhaustionFailsCleanlyAndAllocationRecoversAfterFrees() {
        runEveryScenario(regionBytes: 16 * 1024, steps: 400, fullCheckEvery: 1, exhaustPerMille: 40)
    }

    /// Drains the heap often: once every block is freed, the whole capacity
    /// is one block again, however fragmented the heap was.
    func testFreeingEverythingMakesTheWholeCapacityOneBlockAgain() {
        runEveryScenario(regionBytes: 64 * 1024, steps: 400, fullCheckEvery: 1, drainPerMille: 25)
    }

    #if CAIRN_CHECKED
    /// Found by the churn above in a checked build: a block waiting in
    /// quarantine is free to the caller and not counted in `liveBlocks`, but
    /// still counted in `bytesReserved` and in its class's `blocksInUse`.
    func testQuarantinedBlocksAreNotReservedBytesInACheckedBuild() throws {
        let region = TestRegion(bytes: 16 * 1024)
        guard var slab = SlabAllocator(region: region.buffer, configuration: SlabConfiguration(pageSize: 256))
        else { return XCTFail("configuration refused") }
        let block = try XCTUnwrap(slab.allocate(byteCount: 100, alignment: 8))
        slab.deallocate(block)
        let s = slab.statistics
        XCTAssertEqual(s.liveBlocks, 0)
        XCTAssertEqual(s.bytesReserved, 0, "the quarantined block counts as reserved")
        let inUse = (0..<slab.sizeClassCount).reduce(UInt(0)) { $0 + (slab.statistics(ofClass: $1)?.blocksInUse ?? 0) }
        XCTAssertEqual(inUse, 0, "the quarantined block counts as in use in its class")
    }
    #endif

    private func runEveryScenario(regionBytes: Int, steps: Int, fullCheckEvery: Int,
                                  drainPerMille: Int = 4, exhaustPerMille: Int = 3,
                                  test: String = #function, line: UInt = #line) {
        var total = SlabChurn.Coverage()
        for seed in RandomizedSeeds.all {
            for pageSize: UInt in [64, 256, 1024, 4096] {
                for explicitClasses in [false, true] {
                    var random = SeededGenerator(seed: seed &+ UInt64(pageSize) &* 31 &+ (explicitClasses ? 7 : 0))
                    let scenario = SlabChurn.Scenario(
                        regionBytes: regionBytes,
                        // Half the runs give the allocator a region that
                        // starts off any alignment, as a linker may.
                        regionOffset: random.chance(50) ? 0 : random.uniform(1...63),
                        pageSize: pageSize, explicitClasses: explicitClasses,
                        steps: steps * RandomizedSeeds.soak,
                        fullCheckEvery: RandomizedSeeds.isReplay ? 1 : fullCheckEvery,
                        drainPerMille: drainPerMille, exhaustPerMille: exhaustPerMille)
                    let run = RandomRun(seed: seed, setting: scenario.description, suite: Self.self, test: test,
                                        file: #filePath, line: line)
                    MisuseRecorder.reset()
                    guard let churn = SlabChurn(scenario, run: run, random: random) else { continue }
                    churn.execute()
                    total.add(churn.coverage)
                    // Each run must have hit the limits it is meant to prove.
                    if !run.failed {
                        run.expect(churn.coverage.failedAllocations > 0, "the run never exhausted the heap")
                        run.expect(churn.coverage.drains > 0, "the run never drained the heap")
                    }
                }
            }
        }
        // Across all runs, every kind of operation happened.
        XCTAssertGreaterThan(total.pageRuns, 0, "no page run was allocated")
        XCTAssertGreaterThan(total.reallocsInPlace, 0, "no realloc stayed in place")
        XCTAssertGreaterThan(total.runsGrownInPlace, 0, "no page run grew in place")
        XCTAssertGreaterThan(total.reallocsMoved, 0, "no realloc moved")
        XCTAssertGreaterThan(total.reallocsFailed, 0, "no realloc failed")
    }
}

/// One randomized run over one slab configuration.
final class SlabChurn {
    struct Scenario: CustomStringConvertible {
        var regionBytes: Int
        var regionOffset: UInt
        var pageSize: UInt
        var explicitClasses: Bool
        var steps: Int
        /// Steps between full checks (integrity walk, statistics, every byte
        /// of every block); the cheap checks run after every step.
        var fullCheckEvery: Int
        /// Chance per step, in thousandths, of a drain and of an exhaustion.
        var drainPerMille: Int
        var exhaustPerMille: Int

        var description: String {
            "\(regionBytes)-byte region at +\(regionOffset), page \(pageSize), "
                + (explicitClasses ? "explicit classes \(SlabChurn.explicitClasses(pageSize: pageSize))" : "standard classes")
        }
    }

    /// What a run did, to prove that it reached what it is meant to test.
    struct Coverage {
        var allocations = 0
        var failedAllocations = 0
        var pageRuns = 0
        var frees = 0
        var reallocsInPlace = 0
        var runsGrownInPlace = 0
        var reallocsMoved = 0
        var reallocsFailed = 0
        var drains = 0
        var exhaustions = 0

        mutating func add(_ other: Coverage) {
            allocations += other.allocations
            failedAllocations += other.failedAllocations
            pageRuns += other.pageRuns
            frees += other.frees
            reallocsInPlace += other.reallocsInPlace
            runsGrownInPlace += other.runsGrownInPlace
            reallocsMoved += other.reallocsMoved
            reallocsFailed += other.reallocsFailed
            drains += other.drains
            exhaustions += other.exhaustions
        }
    }

    /// Explicit classes of irregular sizes (3, 5, 7, 11, 15, 25, 31, 63,
    /// 95, 127, 255, 511, 1023 times 4): odd multiples of 4 put the free
    /// path's divisibility test and the lookup's step to an aligned class to
    /// work. The page size itself ends the list: a class of one block per page.
    static func explicitClasses(pageSize: UInt) -> [UInt16] {
        let sizes: [UInt16] = [8, 12, 20, 28, 44, 60, 100, 124, 252, 380, 508, 1020, 2044, 4092]
        return sizes.filter { UInt($0) < pageSize } + [UInt16(pageSize)]
    }

    let scenario: Scenario
    let run: RandomRun
    var random: SeededGenerator
    let region: TestRegion
    var slab: SlabAllocator
    let model: ReferenceModel
    let pageSize: UInt
    let pageCount: UInt
    let capacity: UInt
    let largestClass: UInt
    /// Sizes at the edges: each class size and its neighbours, the classic
    /// 8/9/12/13/512/513, page multiples and their neighbours.
    let boundarySizes: [UInt]
    private(set) var coverage = Coverage()
    private var expectedOutOfMemory: UInt = 0
    private var peakPages: UInt = 0
    private var allocatePercent = 60

    init?(_ scenario: Scenario, run: RandomRun, random: SeededGenerator) {
        self.scenario = scenario
        self.run = run
        self.random = random
        region = TestRegion(bytes: scenario.regionBytes + 64)
        let window = UnsafeMutableRawBufferPointer(
            rebasing: region.buffer[Int(scenario.regionOffset) ..< Int(scenario.regionOffset) + scenario.regionBytes])
        var configuration = SlabConfiguration(pageSize: scenario.pageSize)
        var classList: UnsafeMutableBufferPointer<UInt16>? = nil
        if scenario.explicitClasses {
            let sizes = Self.explicitClasses(pageSize: scenario.pageSize)
            let list = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: sizes.count)
            _ = list.initialize(from: sizes)
            configuration = SlabConfiguration(pageSize: scenario.pageSize, sizeClasses: UnsafeBufferPointer(list))
            classList = list
        }
        let configured = SlabAllocator(region: window, configuration: configuration)
        // The list is read only while the allocator is created: scribble on
        // it and free it, so that a later read shows (and ASan catches it).
        if let list = classList {
            list.update(repeating: 0xFFFF)
            list.deallocate()
        }
        guard let configured else {
            run.fail("the configuration was refused")
            return nil
        }
        slab = configured
        slab.misuseHandler = MisuseRecorder.handler
        pageSize = slab.pageSize
        pageCount = slab.statistics.pageCount
        capacity = slab.statistics.capacity
        largestClass = slab.largestClassSize
        let arenaStart = slab.arenaBase
        model = ReferenceModel(run: run, lower: arenaStart, upper: arenaStart + capacity)
        run.origin = arenaStart

        var sizes: [UInt] = [8, 9, 12, 13, 512, 513]
        for index in 0..<slab.sizeClassCount {
            let size = slab.blockSize(ofClass: index)
            sizes += [size - 1, size, size + 1]
        }
        for pages: UInt in 1...4 { sizes += [pages * pageSize - 1, pages * pageSize, pages * pageSize + 1] }
        sizes += [capacity - pageSize, capacity - 1, capacity]
        boundarySizes = sizes

        let regionStart = UInt(bitPattern: window.baseAddress)
        guard run.expect(pageSize == scenario.pageSize, "page size \(pageSize), configured \(scenario.pageSize)"),
              run.expect(arenaStart >= regionStart && capacity <= regionStart + UInt(window.count) - arenaStart,
                         "the arena lies outside the region"),
              run.expect(arenaStart % pageSize == 0, "the arena is not page-aligned"),
              run.expect(slab.checkIntegrity().isValid, "a fresh heap fails the integrity check")
        else { return nil }
    }

    func execute() {
        while run.step < scenario.steps && !run.failed {
            run.step += 1
            if run.step % 200 == 1 { allocatePercent = random.element(of: [25, 45, 55, 70, 90]) }
            // Thresholds in thousandths: drain, exhaust, hostile request,
            // realloc, then allocate or free by the phase's ratio. One drain
            // and one exhaustion happen in every run whatever the dice say.
            let roll = random.below(1000)
            let drainEnd = scenario.drainPerMille
            let exhaustEnd = drainEnd + scenario.exhaustPerMille
            if roll < drainEnd || run.step == scenario.steps / 3 {
                drainAndTakeTheWholeArena()
            } else if roll < exhaustEnd || run.step == 2 * scenario.steps / 3 {
                exhaustAndRecover()
            } else if roll < exhaustEnd + 20 {
                requestThatMustBeRefused()
            } else if roll < exhaustEnd + 150 {
                reallocate()
            } else if model.isEmpty || random.chance(allocatePercent) {
                allocate()
            } else {
                free()
            }
            guard !run.failed else { return }
            checkCounters()
            if run.step % scenario.fullCheckEvery == 0 {
                fullCheck(withAccounting: RandomizedSeeds.isReplay || run.step % (8 * scenario.fullCheckEvery) == 0)
            }
        }
        if !run.failed { fullCheck() }
    }

    // MARK: - Requests

    /// Arena offset of a block, for the trail (`nil` for a failed request).
    func offset(_ block: UnsafeMutableRawPointer?) -> UInt? { block.map { $0.address &- model.lower } }
    func offset(_ address: UInt) -> UInt { address &- model.lower }

    func nextSize() -> UInt {
        switch random.below(100) {
        case ..<4: return 0
        case ..<22: return random.uniform(1...16)
        case ..<44: return random.element(of: boundarySizes)
        case ..<72: return random.uniform(1...largestClass)
        case ..<84: return random.uniform(1...4) * pageSize + random.uniform(0...2) - 1
        case ..<96: return random.uniform(1...max(1, capacity / 4))
        default: return random.uniform(capacity / 2...capacity)
        }
    }

    func nextAlignment() -> UInt {
        switch random.below(100) {
        case ..<55: return random.powerOfTwo(0...3)
        case ..<85: return random.powerOfTwo(4...8)
        default: return random.powerOfTwo(9...12)
        }
    }

    /// True when the request fits an arena with no live block: then it must
    /// not fail. A class block needs one page; a run needs its pages plus,
    /// for an alignment above the page size, the pages the allocator takes
    /// extra to be sure an aligned start lies inside (by design).
    func fitsEmptyArena(_ size: UInt, _ alignment: UInt) -> Bool {
        guard size <= capacity - overhead else { return false }
        if isClassRequest(size, alignment) { return true }
        let pages = max(1, (size + overhead + pageSize - 1) / pageSize)
        let extra = alignment > pageSize ? alignment / pageSize - 1 : 0
        return pages + extra <= pageCount
    }

    /// Bytes a checked build (CAIRN_CHECKED) adds to every request for its
    /// canary; 0 otherwise. Checked builds also report the requested size as
    /// the usable size and keep freed blocks in quarantine for a while.
    let overhead = SlabAllocator.blockOverhead

    /// True when the request is served by a size class (else a page run).
    func isClassRequest(_ size: UInt, _ alignment: UInt) -> Bool {
        size <= UInt.max - overhead && slab.sizeClass(for: size + overhead, alignment: alignment) != nil
    }

    /// The bytes a live block occupies: its class's block size, or its
    /// run's pages; `nil` when it is not a live block.
    func footprint(_ address: UInt) -> UInt? {
        guard let (page, state) = slab.liveBlockPage(address) else { return nil }
        if state == PageDescriptor.largeRun { return UInt(slab.descriptor(page).pointee.span) * pageSize }
        return slab.blockSize(ofClass: Int(state))
    }

    /// Checks a block the allocator just gave and records it.
    @discardableResult
    func accept(_ block: UnsafeMutableRawPointer, size: UInt, alignment: UInt, _ what: StaticString) -> Bool {
        guard let usable = slab.usableSize(of: block) else {
            run.fail("\(what)(\(size)) returned \(block.address.hexText), which the slab does not know as a live block")
            return false
        }
        return run.expect(usable >= size, "\(what)(\(size)) returned \(block.address.hexText) with \(usable) usable bytes")
            && model.adopt(block, size: size, alignment: alignment, what)
    }

    func allocate() {
        let size = nextSize()
        let alignment = nextAlignment()
        let isRun = !isClassRequest(size, alignment)
        let block = slab.allocate(byteCount: size, alignment: alignment)
        run.note("allocate(size, alignment) -> offset", size, alignment, offset(block))
        guard let block else {
            expectedOutOfMemory += 1
            coverage.failedAllocations += 1
            run.expect(!(model.isEmpty && fitsEmptyArena(size, alignment)),
                       "allocate(\(size), alignment \(alignment)) failed with no block live")
            return
        }
        coverage.allocations += 1
        if isRun { coverage.pageRuns += 1 }
        accept(block, size: size, alignment: alignment, "allocate")
    }

    /// Frees block `index` of the model after checking its content.
    func free(at index: Int) {
        let block = model.blocks[index]
        run.note("free(offset) of size", offset(block.address), block.size)
        guard model.verify(block, "before free") else { return }
        slab.deallocate(block.address.modelPointer)
        model.remove(at: index)
        coverage.frees += 1
        run.expect(slab.usableSize(of: block.address.modelPointer) == nil, "\(block) still counts as live after its free")
    }

    func free() {
        free(at: random.below(model.count))
    }

    func nextReallocSize(_ size: UInt, usable: UInt) -> UInt {
        switch random.below(10) {
        case 0: return 0
        case 1: return size
        case 2: return random.uniform(0...size)
        case 3: return usable
        case 4: return usable + 1
        case 5, 6: return size + random.uniform(1...max(1, size))
        default: return nextSize()
        }
    }

    /// `CHeap.realloc`: a size the block holds stays in place, a larger one
    /// moves (or grows a run in place) keeping min(old, new) bytes, a
    /// failure leaves the old block as it was.
    func reallocate() {
        if model.isEmpty || random.chance(5) {
            let size = nextSize()
            let block = CHeap.realloc(&slab, nil, byteCount: size)
            run.note("realloc(NULL, size) -> offset", size, offset(block))
            guard let block else {
                expectedOutOfMemory += 1
                coverage.failedAllocations += 1
                return
            }
            accept(block, size: size, alignment: CHeap.fundamentalAlignment, "realloc(NULL)")
            return
        }
        let index = random.below(model.count)
        let old = model.blocks[index]
        let p = old.address.modelPointer
        guard model.verify(old, "before realloc") else { return }
        guard let usable = slab.usableSize(of: p) else {
            run.fail("\(old) is not live before its realloc")
            return
        }
        let size = nextReallocSize(old.size, usable: usable)
        let result = CHeap.realloc(&slab, p, byteCount: size)
        run.note("realloc(offset, size) -> offset", offset(old.address), size, offset(result))
        guard let result else {
            expectedOutOfMemory += 1
            coverage.reallocsFailed += 1
            guard run.expect(size > usable, "realloc of \(old) to \(size) failed though its \(usable) bytes hold it"),
                  model.verify(old, "after a failed realloc to \(size)")
            else { return }
            run.expect(slab.usableSize(of: p) == usable, "a failed realloc changed \(old)")
            return
        }
        if result == p {
            coverage.reallocsInPlace += 1
            if size > usable { coverage.runsGrownInPlace += 1 }
            guard model.resize(at: index, to: size, "realloc") else { return }
        } else {
            coverage.reallocsMoved += 1
            guard run.expect(size > usable, "realloc of \(old) to \(size) moved it though its \(usable) bytes hold it"),
                  let slot = model.placement(of: result.address, size: size, alignment: CHeap.fundamentalAlignment, "realloc")
            else { return }
            let kept = min(old.size, size)
            let moved = ModelBlock(address: result.address, size: size, alignment: CHeap.fundamentalAlignment, tag: old.tag)
            guard model.verify(moved, upTo: kept, "realloc of \(old) to \(size) carrying \(kept) bytes") else { return }
            model.record(result.address, size: size, alignment: CHeap.fundamentalAlignment, tag: old.tag, at: slot, keeping: kept)
            model.remove(at: model.index(of: old.address)!)
            run.expect(slab.usableSize(of: p) == nil, "\(old) still counts as live after realloc moved it")
        }
        let usableNow = slab.usableSize(of: result) ?? 0
        run.expect(usableNow >= size, "realloc to \(size) gave a block of \(usableNow) usable bytes")
    }

    /// Hostile requests: sizes and alignments that cannot fit (counted as
    /// out of memory) and alignments that are not powers of two (refused,
    /// not counted). None may change the heap.
    func requestThatMustBeRefused() {
        let size: UInt
        let alignment: UInt
        let counted: Bool
        switch random.below(3) {
        case 0:
            size = random.element(of: [UInt.max, UInt.max - pageSize + 1, UInt.max - pageSize, UInt.max / 2 + 1,
                                       UInt(UInt32.max) + 1, capacity + 1, capacity + pageSize])
            alignment = nextAlignment()
            counted = true
        case 1:
            size = random.uniform(0...64)
            alignment = random.element(of: [1 << 63, 1 << 40, (capacity * 2).nextPowerOfTwoForTest])
            counted = true
        default:
            size = random.uniform(0...64)
            alignment = random.element(of: [0, 3, 12, 24, 4095, UInt.max])
            counted = false
        }
        let block = slab.allocate(byteCount: size, alignment: alignment)
        run.note("hostile allocate(size, alignment) -> offset", size, alignment, offset(block))
        guard run.expect(block == nil, "allocate(\(size), alignment \(alignment)) returned \(block!.address.hexText)")
        else { return }
        if counted { expectedOutOfMemory += 1 }
    }

    /// Frees every block, then proves the whole capacity is one block again.
    func drainAndTakeTheWholeArena() {
        coverage.drains += 1
        run.note("drain: blocks", UInt(model.count))
        while !model.isEmpty && !run.failed { free(at: random.below(model.count)) }
        guard !run.failed else { return }
        let drained = slab.statistics
        guard checkIntegrity("after freeing every block"),
              run.expect(drained.liveBlocks == 0 && drained.largeRuns == 0 && drained.runPages == 0,
                         "after freeing every block: \(drained)"),
              // Each class may keep two empty pages, its cache page and one
              // on its partial list (and a checked build's quarantine may
              // hold a page per slot).
              run.expect(drained.freePages + drained.classPages == pageCount
                         && drained.classPages <= 2 * UInt(slab.sizeClassCount) + slab.quarantineSlots,
                         "after freeing every block, more pages than the kept empty ones are out: \(drained)")
        else { return }
        let wholeSize = capacity - overhead
        guard let whole = slab.allocate(byteCount: wholeSize, alignment: 1) else {
            run.fail("after freeing every block, one block of the whole capacity (\(wholeSize) bytes) was refused: \(drained)")
            return
        }
        run.note("allocate(capacity) -> offset", wholeSize, offset(whole))
        guard accept(whole, size: wholeSize, alignment: 1, "allocate(capacity)") else { return }
        let full = slab.statistics
        guard run.expect(full.freePages == 0, "the whole-capacity block left pages free: \(full)"),
              checkIntegrity("holding the whole capacity")
        else { return }
        free(at: 0)
        let after = slab.statistics
        guard checkIntegrity("after freeing the whole-capacity block") else { return }
        if capacity > largestClass {  // (the request was a run)
            // It was a run: every page is back in the pool, as one span.
            run.expect(after.freePages == pageCount && after.largestFreeSpanPages == pageCount,
                       "after freeing the whole-capacity run the pool is not one span: \(after)")
        }
    }

    /// Allocates ever smaller blocks until a one-byte request fails, proves
    /// the heap is then really full and intact, then frees one block and
    /// takes its memory again.
    func exhaustAndRecover() {
        coverage.exhaustions += 1
        run.note("exhaust: blocks", UInt(model.count))
        var size = max(1, capacity / 2)
        var attempts = 0
        while attempts < 20_000 && !run.failed {
            attempts += 1
            if let block = slab.allocate(byteCount: size, alignment: 1) {
                coverage.allocations += 1
                accept(block, size: size, alignment: 1, "allocate while exhausting")
            } else {
                expectedOutOfMemory += 1
                coverage.failedAllocations += 1
                if size == 1 { break }
                size /= 2
            }
        }
        guard !run.failed, run.expect(size == 1, "exhaustion took more than \(attempts) allocations") else { return }
        run.note("exhausted: blocks, failures", UInt(model.count), expectedOutOfMemory)
        let full = slab.statistics
        guard run.expect(slab.outOfMemoryCount == expectedOutOfMemory,
                         "out-of-memory count \(slab.outOfMemoryCount), expected \(expectedOutOfMemory)"),
              run.expect(full.freePages == 0, "a one-byte request failed with pages free: \(full)"),
              checkIntegrity("when exhausted"),
              model.verifyAll()
        else { return }
        // Free any block and ask for exactly the bytes it occupied: the
        // class block's slot (or the run's pages) must serve it again.
        let index = random.below(model.count)
        let victim = model.blocks[index]
        guard let occupied = footprint(victim.address) else {
            run.fail("\(victim) is not live")
            return
        }
        free(at: index)
        guard let again = slab.allocate(byteCount: occupied - overhead, alignment: 1) else {
            run.fail("after freeing \(victim) (\(occupied) bytes) in a full heap, allocating \(occupied - overhead) bytes failed")
            return
        }
        run.note("allocate(footprint of the freed) -> offset", occupied - overhead, offset(again))
        accept(again, size: occupied - overhead, alignment: 1, "allocate after a free in a full heap")
        allocatePercent = 25  // drain for a while
    }

    // MARK: - Checks

    /// After every step: counters that cost nothing to read.
    func checkCounters() {
        _ = run.expect(slab.outOfMemoryCount == expectedOutOfMemory,
                       "out-of-memory count \(slab.outOfMemoryCount), expected \(expectedOutOfMemory)")
            && run.expect(slab.misuseCount == 0 && MisuseRecorder.reports.isEmpty,
                          "legal operations reported misuse: \(MisuseRecorder.kinds)")
    }

    @discardableResult
    func checkIntegrity(_ when: String) -> Bool {
        let report = slab.checkIntegrity()
        return run.expect(report.isValid, "integrity check \(when): \(report.problem.map { "\($0)" } ?? "-") "
                          + "at page \(report.page) (\(report))")
    }

    /// The heap walk, the statistics and every byte of every block.
    func fullCheck(withAccounting: Bool = true) {
        let s = slab.statistics
        let report = slab.checkIntegrity()
        guard run.expect(report.isValid, "integrity check: \(report.problem.map { "\($0)" } ?? "-") at page \(report.page)"),
              run.expect(s.liveBlocks + s.largeRuns == UInt(model.count),
                         "statistics count \(s.liveBlocks) blocks + \(s.largeRuns) runs, the model holds \(model.count)"),
              run.expect(s.bytesReserved >= model.requestedBytes,
                         "statistics reserve \(s.bytesReserved) bytes for \(model.requestedBytes) requested"),
              run.expect(s.freePages + s.classPages + s.runPages == pageCount, "pages do not add up: \(s)"),
              run.expect(report.liveBlocks == s.liveBlocks && report.freePages == s.freePages
                         && report.classPages == s.classPages && report.runPages == s.runPages,
                         "the integrity walk \(report) and the statistics \(s) disagree"),
              run.expect(s.capacity == pageCount * pageSize && s.pageSize == pageSize, "geometry changed: \(s)"),
              run.expect(s.peakPagesInUse >= peakPages && s.peakPagesInUse >= s.classPages + s.runPages,
                         "peak pages \(s.peakPagesInUse) fell below \(peakPages) or below the pages in use: \(s)"),
              run.expect(s.outOfMemoryCount == expectedOutOfMemory && s.misuseCount == 0,
                         "counters: \(s), expected \(expectedOutOfMemory) out-of-memory")
        else { return }
        peakPages = s.peakPagesInUse
        guard model.verifyAll() else { return }
        if withAccounting { checkAccounting(s) }
    }

    /// Statistics against the blocks one by one: reserved bytes are exactly
    /// what the blocks held occupy, each block's usable size is all of it
    /// (a checked build: its requested part), and the per-class counts add
    /// up. O(blocks x free list), so it runs on every eighth full check.
    func checkAccounting(_ s: SlabStatistics) {
        var occupiedTotal: UInt = 0
        for block in model.blocks {
            guard let usable = slab.usableSize(of: block.address.modelPointer),
                  let occupied = footprint(block.address)
            else {
                run.fail("\(block) is not live")
                return
            }
            guard run.expect(overhead == 0 ? usable == occupied : usable + overhead <= occupied,
                             "\(block) has \(usable) usable bytes and occupies \(occupied)")
            else { return }
            occupiedTotal += occupied
        }
        // A checked build also counts the blocks in quarantine as reserved:
        // see testQuarantinedBlocksAreNotReservedBytesInACheckedBuild.
        guard run.expect(overhead == 0 ? occupiedTotal == s.bytesReserved : occupiedTotal <= s.bytesReserved,
                         "blocks occupy \(occupiedTotal) bytes, statistics reserve \(s.bytesReserved)")
        else { return }
        var classBlocks: UInt = 0
        for index in 0..<slab.sizeClassCount { classBlocks += slab.statistics(ofClass: index)?.blocksInUse ?? 0 }
        // A checked build counts its quarantined blocks per class, too (same
        // finding); `quarantineCount` is 0 otherwise.
        run.expect(classBlocks >= s.liveBlocks && classBlocks <= s.liveBlocks + slab.quarantineCount,
                   "per-class counts add up to \(classBlocks), not \(s.liveBlocks)")
    }
}

extension UInt {
    /// The smallest power of two at or above this value (at most 2^63).
    var nextPowerOfTwoForTest: UInt {
        self <= 1 ? 1 : 1 << UInt(UInt.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
