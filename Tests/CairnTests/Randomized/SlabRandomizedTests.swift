import XCTest
@testable import Cairn

/// Randomized churn against the slab allocator: thousands of mixed
/// allocations, frees, reallocs, full drains and exhaustions, checked
/// against ``ReferenceModel`` after every step.
///
/// Each test runs every page size (64, 256, 1024, 4096) with the standard
/// generated classes and with an explicit list, for every seed of
/// ``RandomizedSeeds``. A failure names its seed and how to replay it.
///
/// Every block is either a class block (in a class page: the page-state
/// map names its class) or a fit-heap block (a large request, or a class
/// request served from the fit heap when the class could not take a page);
/// the run checks which, and the exact size of every fit-heap block.
final class SlabRandomizedTests: MisuseRecordingTestCase {
    /// A microcontroller-sized heap, checked in full after every step.
    func testBlocksNeverOverlapUnderRandomChurnIn16KiB() {
        runEveryScenario(regionBytes: 16 * 1024, steps: 1200, fullCheckEvery: 1)
    }

    /// A large heap (up to 16k pages of 64 bytes). The cheap checks run
    /// after every step, the full check every 25 steps (its heap walk is
    /// O(pages + fit-heap blocks)), the heap walk also around every drain and
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
    /// is one fit-heap block again, however fragmented the heap was, and
    /// once that block is freed nothing is in use.
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
                        regionOffset: random.regionOffset(upTo: 63),
                        pageSize: pageSize, explicitClasses: explicitClasses,
                        steps: steps * RandomizedSeeds.soak,
                        fullCheckEvery: RandomizedSeeds.isReplay ? 1 : fullCheckEvery,
                        drainPerMille: drainPerMille, exhaustPerMille: exhaustPerMille)
                    let run = RandomRun(seed: seed, setting: scenario.description, suite: Self.self, test: test,
                                        file: #filePath, line: line)
                    guard let churn = SlabChurn(scenario, run: run, random: random) else { continue }
                    churn.execute()
                    total.add(churn.coverage)
                    // Each run must have hit the limits it is meant to prove.
                    if !run.failed {
                        run.expect(churn.coverage[.failedAllocations] > 0, "the run never exhausted the heap")
                        run.expect(churn.coverage[.drains] > 0, "the run never drained the heap")
                    }
                }
            }
        }
        // Across all runs, every kind of operation happened.
        total.assertHappened([
            .largeBlocks: "no large block was allocated",
            .classBlocksFromFitHeap: "no class request was served from the fit heap",
            .reallocsInPlace: "no realloc stayed in place",
            .fitBlocksGrownInPlace: "no fit-heap block grew in place",
            .reallocsMoved: "no realloc moved",
            .reallocsFailed: "no realloc failed"
        ])
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
    enum Event {
        case allocations
        case failedAllocations
        /// Requests above the largest class (or aligned beyond any class).
        case largeBlocks
        /// Class requests served as fit-heap blocks (the class took no page).
        case classBlocksFromFitHeap
        case frees
        case reallocsInPlace
        case fitBlocksGrownInPlace
        case reallocsMoved
        case reallocsFailed
        case drains
        case exhaustions
    }

    typealias Coverage = RunCoverage<Event>

    /// Explicit classes of irregular sizes (3, 5, 7, 11, 15, 25, 31, 63,
    /// 95, 127, 255, 511, 1023 times 4): odd multiples of 4 put the free
    /// path's divisibility test and the lookup's step to an aligned class to
    /// work. The largest class a page can serve (the page less its
    /// descriptor and the next fit-heap header) ends the list: a class of
    /// one block per page.
    static func explicitClasses(pageSize: UInt) -> [UInt16] {
        let sizes: [UInt16] = [8, 12, 20, 28, 44, 60, 100, 124, 252, 380, 508, 1020, 2044, 4092]
        let limit = SlabConfiguration.largestClassLimit(pageSize: pageSize)
        return sizes.filter { UInt($0) < limit } + [UInt16(limit)]
    }

    /// A slab over `region` with the standard classes or
    /// ``explicitClasses(pageSize:)``. The list is read only while the
    /// allocator is created: it is scribbled on and freed right after, so
    /// that a later read shows (and ASan catches it).
    static func makeSlab(region: UnsafeMutableRawBufferPointer, pageSize: UInt, explicitClasses: Bool) -> SlabAllocator? {
        guard explicitClasses else { return SlabAllocator(region: region, configuration: SlabConfiguration(pageSize: pageSize)) }
        let sizes = Self.explicitClasses(pageSize: pageSize)
        let list = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: sizes.count)
        _ = list.initialize(from: sizes)
        let slab = SlabAllocator(region: region,
                                 configuration: SlabConfiguration(pageSize: pageSize, sizeClasses: UnsafeBufferPointer(list)))
        list.update(repeating: 0xFFFF)
        list.deallocate()
        return slab
    }

    let scenario: Scenario
    let run: RandomRun
    var random: SeededGenerator
    let region: TestRegion
    var slab: SlabAllocator
    let model: ReferenceModel
    let pageSize: UInt
    let pageCount: UInt
    /// Bytes of the fit heap: every class page and every fit-heap block
    /// (headers included) comes out of it.
    let capacity: UInt
    /// The fit heap's first payload address and its end (its sentinel):
    /// every block handed out lies in `firstPayload ..< heapEnd`.
    let firstPayload: UInt
    let heapEnd: UInt
    let largestClass: UInt
    /// Sizes at the edges: each class size and its neighbours, the classic
    /// 8/9/12/13/512/513, page multiples and their neighbours, the largest
    /// class a page can hold, the whole fit heap.
    let boundarySizes: [UInt]
    private(set) var coverage = Coverage()
    private var expectedOutOfMemory: UInt = 0
    private var peakBytes: UInt = 0
    private var allocatePercent = 60

    init?(_ scenario: Scenario, run: RandomRun, random: SeededGenerator) {
        self.scenario = scenario
        self.run = run
        self.random = random
        region = TestRegion(bytes: scenario.regionBytes, offset: Int(scenario.regionOffset))
        let window = region.buffer
        guard let configured = Self.makeSlab(region: window, pageSize: scenario.pageSize,
                                             explicitClasses: scenario.explicitClasses)
        else {
            run.fail("the configuration was refused")
            return nil
        }
        slab = configured
        slab.misuseHandler = MisuseRecorder.handler
        pageSize = slab.pageSize
        let fresh = slab.statistics
        pageCount = fresh.pageCount
        capacity = fresh.capacity
        largestClass = slab.largestClassSize
        firstPayload = slab.fit.firstBlock + FitHeap.headerBytes
        heapEnd = slab.fit.sentinel
        model = ReferenceModel(run: run, lower: firstPayload, upper: heapEnd)
        run.origin = firstPayload

        var sizes: [UInt] = [8, 9, 12, 13, 512, 513]
        for index in 0..<slab.sizeClassCount {
            let size = slab.blockSize(ofClass: index)
            sizes += [size - 1, size, size + 1]
        }
        for pages: UInt in 1...4 { sizes += [pages * pageSize - 1, pages * pageSize, pages * pageSize + 1] }
        let pageLimit = SlabConfiguration.largestClassLimit(pageSize: pageSize)
        sizes += [pageLimit, pageLimit + 1, pageSize - FitHeap.headerBytes]
        sizes += [capacity - pageSize, capacity - FitHeap.headerBytes, capacity - 1, capacity]
        boundarySizes = sizes

        let regionStart = UInt(bitPattern: window.baseAddress)
        let regionEnd = regionStart + UInt(window.count)
        guard run.expect(pageSize == scenario.pageSize, "page size \(pageSize), configured \(scenario.pageSize)"),
              run.expect(slab.fit.firstBlock >= regionStart && slab.fit.heapEnd <= regionEnd
                         && capacity == heapEnd - slab.fit.firstBlock,
                         "the fit heap \(slab.fit.firstBlock.hexText) ..< \(slab.fit.heapEnd.hexText) (capacity "
                         + "\(capacity)) is not inside the region \(regionStart.hexText) ..< \(regionEnd.hexText)"),
              run.expect(slab.arenaBase % pageSize == 0 && slab.arenaBase <= slab.fit.firstBlock
                         && slab.arenaBase + pageCount * pageSize >= heapEnd,
                         "the pages \(slab.arenaBase.hexText) + \(pageCount) x \(pageSize) do not cover the fit heap"),
              run.expect(fresh.classPages == 0 && fresh.largeBlocks == 0 && fresh.liveBlocks == 0
                         && fresh.bytesInUse == 0 && fresh.peakBytesInUse == 0 && fresh.freeBytes == capacity
                         && fresh.largestFreeBlock == capacity && fresh.regionBytes == UInt(scenario.regionBytes),
                         "a fresh heap is not one free block: \(fresh)"),
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

    /// Offset of a block from the fit heap's first payload, for the trail
    /// (`nil` for a failed request).
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

    /// Bytes a checked build (CAIRN_CHECKED) adds to every request for its
    /// canary; 0 otherwise. Checked builds also report the requested size as
    /// the usable size and keep freed class blocks in quarantine for a while.
    let overhead = SlabAllocator.blockOverhead

    /// The class that serves a request, or `nil` when only the fit heap will
    /// (above the largest class, or aligned beyond every class that holds it).
    func requestClass(_ size: UInt, _ alignment: UInt) -> UInt? {
        guard size <= UInt.max - overhead else { return nil }
        return slab.sizeClass(for: size + overhead, alignment: alignment)
    }

    /// The fit-heap block a request takes when it comes from the fit heap:
    /// a class request asks for its class's block size, any other for the
    /// request (plus a checked build's canary). `nil` when it cannot fit.
    func expectedFitBlock(_ size: UInt, _ alignment: UInt) -> UInt? {
        guard size <= UInt.max - overhead else { return nil }
        if let sizeClass = requestClass(size, alignment) {
            return slab.fitBlockBytes(holding: slab.blockSize(ofClass: Int(sizeClass)))
        }
        return slab.fitBlockBytes(holding: size + overhead)
    }

    /// Bytes from the fit heap's first payload to the first payload aligned
    /// to `alignment` (the gap an aligned block leaves in an empty heap).
    func gap(_ alignment: UInt) -> UInt {
        alignment <= 8 ? 0 : (0 &- firstPayload) & (alignment - 1)
    }

    /// True when the request fits an arena with no live block: then it must
    /// not fail. Before it fails, the allocator gives back the empty pages
    /// the classes keep (and a checked build's quarantine), so the fit heap
    /// is then one free block of the whole capacity: a class request gets a
    /// page (when a page fits after its alignment gap and the heap is below
    /// the class-page limit) or else its class block from the fit heap; any
    /// other request its own fit-heap block, after the gap its alignment
    /// needs.
    func fitsEmptyArena(_ size: UInt, _ alignment: UInt) -> Bool {
        guard let block = expectedFitBlock(size, alignment) else { return false }
        if requestClass(size, alignment) != nil && pageSize <= slab.classPageLimit
            && gap(pageSize) + pageSize <= capacity {
            return true
        }
        return gap(alignment) + block <= capacity
    }

    /// The bytes a live block occupies: its class's block size, or what its
    /// fit-heap block holds (its size less the header); `nil` when it is not
    /// a live block.
    func footprint(_ address: UInt) -> UInt? {
        slab.liveBlockPage(address) == nil ? nil : slab.bytesTaken(byBlockAt: address)
    }

    /// Checks a block the allocator just gave and records it: live, large
    /// enough, in the class page of the request's class at a block boundary
    /// of that class, or else a fit-heap block of exactly the expected size
    /// in no class page; then placed (aligned, in the fit heap, overlapping
    /// nothing) by the model.
    @discardableResult
    func accept(_ block: UnsafeMutableRawPointer, size: UInt, alignment: UInt, _ what: StaticString) -> Bool {
        guard let usable = slab.usableSize(of: block) else {
            run.fail("\(what)(\(size)) returned \(block.address.hexText), which the slab does not know as a live block")
            return false
        }
        guard run.expect(usable >= size, "\(what)(\(size)) returned \(block.address.hexText) with \(usable) usable bytes"),
              run.expect(block.address >= firstPayload && block.address < heapEnd,
                         "\(what)(\(size)) returned \(block.address.hexText), outside the fit heap")
        else { return false }
        let sizeClass = requestClass(size, alignment)
        let state = slab.pageState(slab.page(of: block.address))
        if state != PageDescriptor.notClassPage {
            let blockSize = slab.blockSize(ofClass: Int(state))
            let inPage = (block.address - slab.arenaBase) & (pageSize - 1)
            guard run.expect(sizeClass.map { UInt(state) == $0 } ?? false,
                             "\(what)(\(size), alignment \(alignment)) returned \(block.address.hexText) in a page of "
                             + "class \(state) (\(blockSize) bytes), expected \(sizeClass.map { "class \($0)" } ?? "a fit-heap block")"),
                  run.expect(inPage % blockSize == 0
                             && inPage + blockSize <= SlabConfiguration.largestClassLimit(pageSize: pageSize),
                             "\(what)(\(size)) returned \(block.address.hexText), not a block of its class page")
            else { return false }
        } else {
            let bytes = FitHeap.blockBytes(ofPayload: block.address)
            let expected = expectedFitBlock(size, alignment)
            guard run.expect(bytes == expected,
                             "\(what)(\(size), alignment \(alignment)) returned a fit-heap block of \(bytes) bytes, "
                             + "expected \(expected.map { "\($0)" } ?? "none")"),
                  run.expect(!slab.isInClassPage(block.address + bytes - FitHeap.headerBytes - 1),
                             "the fit-heap block \(block.address.hexText) of \(bytes) bytes ends in a class page")
            else { return false }
            if sizeClass == nil { coverage[.largeBlocks] += 1 } else { coverage[.classBlocksFromFitHeap] += 1 }
        }
        return model.adopt(block, size: size, alignment: alignment, what)
    }

    func allocate() {
        let size = nextSize()
        let alignment = nextAlignment()
        let block = slab.allocate(byteCount: size, alignment: alignment)
        run.note("allocate(size, alignment) -> offset", size, alignment, offset(block))
        guard let block else {
            expectedOutOfMemory += 1
            coverage[.failedAllocations] += 1
            run.expect(!(model.isEmpty && fitsEmptyArena(size, alignment)),
                       "allocate(\(size), alignment \(alignment)) failed with no block live")
            return
        }
        coverage[.allocations] += 1
        accept(block, size: size, alignment: alignment, "allocate")
    }

    /// Frees block `index` of the model after checking its content.
    func free(at index: Int) {
        let block = model.blocks[index]
        run.note("free(offset) of size", offset(block.address), block.size)
        guard model.verify(block, "before free") else { return }
        slab.deallocate(block.address.modelPointer)
        model.remove(at: index)
        coverage[.frees] += 1
        run.expect(slab.usableSize(of: block.address.modelPointer) == nil, "\(block) still counts as live after its free")
    }

    func free() {
        free(at: random.below(model.count))
    }

    /// `CHeap.realloc`: a size the block holds stays in place, a larger one
    /// moves (or grows a fit-heap block in place) keeping min(old, new)
    /// bytes, a failure leaves the old block as it was. A fit-heap block
    /// resized in place is exactly the fit-heap block of its new size.
    func reallocate() {
        if model.isEmpty || random.chance(5) {
            let size = nextSize()
            let block = CHeap.realloc(&slab, nil, byteCount: size)
            run.note("realloc(NULL, size) -> offset", size, offset(block))
            guard let block else {
                expectedOutOfMemory += 1
                coverage[.failedAllocations] += 1
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
        let inFitHeap = !slab.isInClassPage(old.address)
        let bytesBefore = inFitHeap ? FitHeap.blockBytes(ofPayload: old.address) : 0
        let size = random.reallocSize(old.size, usable: usable) ?? nextSize()
        let result = CHeap.realloc(&slab, p, byteCount: size)
        run.note("realloc(offset, size) -> offset", offset(old.address), size, offset(result))
        guard let result else {
            expectedOutOfMemory += 1
            coverage[.reallocsFailed] += 1
            guard run.expect(size > usable, "realloc of \(old) to \(size) failed though its \(usable) bytes hold it"),
                  model.verify(old, "after a failed realloc to \(size)")
            else { return }
            run.expect(slab.usableSize(of: p) == usable, "a failed realloc changed \(old)")
            return
        }
        if result == p {
            coverage[.reallocsInPlace] += 1
            if inFitHeap {
                let bytes = FitHeap.blockBytes(ofPayload: old.address)
                let expected = size <= UInt.max - overhead ? slab.fitBlockBytes(holding: size + overhead) : nil
                guard run.expect(bytes == expected,
                                 "realloc of \(old) to \(size) in place left a fit-heap block of \(bytes) bytes, "
                                 + "expected \(expected.map { "\($0)" } ?? "none")")
                else { return }
                if bytes > bytesBefore { coverage[.fitBlocksGrownInPlace] += 1 }
            }
            guard model.resize(at: index, to: size, "realloc") else { return }
        } else {
            coverage[.reallocsMoved] += 1
            guard run.expect(size > usable, "realloc of \(old) to \(size) moved it though its \(usable) bytes hold it"),
                  model.move(at: index, to: result.address, size: size, alignment: CHeap.fundamentalAlignment,
                             released: true, "realloc") != nil
            else { return }
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
            // Alignments larger than the heap that no address in it meets
            // (the fit heap serves a larger one if an aligned address
            // happens to lie inside a free block).
            size = random.uniform(0...64)
            alignment = random.element(of: [1 << 63, 1 << 40, (capacity * 2).nextPowerOfTwoForTest].map(unmet))
            counted = true
        default:
            size = random.uniform(0...64)
            alignment = random.element(of: [0, 3, 12, 24, 4095, UInt.max])
            counted = false
        }
        let before = slab.bytesInUse
        let block = slab.allocate(byteCount: size, alignment: alignment)
        run.note("hostile allocate(size, alignment) -> offset", size, alignment, offset(block))
        guard run.expect(block == nil, "allocate(\(size), alignment \(alignment)) returned \(block!.address.hexText)")
        else { return }
        if counted { expectedOutOfMemory += 1 }
        // A refused request may give back kept pages (a counted one looks
        // for room first), never take any.
        run.expect(slab.bytesInUse <= before && (counted || slab.bytesInUse == before),
                   "a refused allocate(\(size), alignment \(alignment)) took fit-heap bytes: \(before) -> \(slab.bytesInUse)")
    }

    /// `alignment`, or the first power of two above it, that no payload in
    /// the fit heap meets.
    func unmet(_ alignment: UInt) -> UInt {
        var candidate = alignment
        while candidate < 1 << 63 && (firstPayload + candidate - 1) / candidate * candidate < heapEnd {
            candidate <<= 1
        }
        return candidate
    }

    /// Frees every block, then proves the whole capacity is one fit-heap
    /// block again, and that once it is freed (and, in a checked build, has
    /// left the quarantine) nothing is in use.
    func drainAndTakeTheWholeArena() {
        coverage[.drains] += 1
        run.note("drain: blocks", UInt(model.count))
        while !model.isEmpty && !run.failed { free(at: random.below(model.count)) }
        guard !run.failed else { return }
        let drained = slab.statistics
        guard checkIntegrity("after freeing every block"),
              run.expect(drained.liveBlocks == 0 && drained.largeBlocks == 0,
                         "after freeing every block: \(drained)"),
              // Each class may keep two empty pages, its cache page and one
              // on its partial list (and a checked build's quarantine may
              // hold a page per slot); they and the fit-heap blocks waiting
              // in the quarantine are all that is out.
              run.expect(drained.classPages <= 2 * UInt(slab.sizeClassCount) + slab.quarantineSlots
                         && drained.bytesInUse == drained.classPages * pageSize + drained.quarantinedBytes
                         && drained.freeBytes + drained.bytesInUse == capacity,
                         "after freeing every block, more than the kept empty pages is out: \(drained)")
        else { return }
        let wholeSize = capacity - FitHeap.headerBytes - overhead
        guard let whole = slab.allocate(byteCount: wholeSize, alignment: 1) else {
            run.fail("after freeing every block, one block of the whole capacity (\(wholeSize) bytes) was refused: \(drained)")
            return
        }
        run.note("allocate(capacity) -> offset", wholeSize, offset(whole))
        guard accept(whole, size: wholeSize, alignment: 1, "allocate(capacity)") else { return }
        let full = slab.statistics
        guard run.expect(full.freeBytes == 0 && full.largestFreeBlock == 0 && full.bytesInUse == capacity
                         && full.classPages == 0 && full.largeBlocks == 1,
                         "the whole-capacity block left room or pages: \(full)"),
              checkIntegrity("holding the whole capacity")
        else { return }
        free(at: 0)
        #if CAIRN_CHECKED
        // The freed block waits in quarantine, still out of the fit heap,
        // until memory runs short or the quarantine is emptied.
        let waiting = slab.statistics
        guard checkIntegrity("with the whole-capacity block in quarantine"),
              run.expect(waiting.quarantinedBytes == capacity && waiting.bytesInUse == capacity
                         && waiting.freeBytes == 0 && waiting.largeBlocks == 0 && waiting.liveBlocks == 0,
                         "the freed whole-capacity block is not the quarantine's: \(waiting)")
        else { return }
        _ = slab.flushQuarantine()
        #endif
        let after = slab.statistics
        guard checkIntegrity("after freeing the whole-capacity block") else { return }
        run.expect(after.bytesInUse == 0 && after.quarantinedBytes == 0 && after.classPages == 0
                   && after.largeBlocks == 0 && after.liveBlocks == 0 && after.freeBytes == capacity
                   && after.largestFreeBlock == capacity && after.peakBytesInUse == capacity,
                   "after freeing the whole-capacity block the fit heap is not one free block: \(after)")
    }

    /// Allocates ever smaller blocks until a one-byte request fails, proves
    /// the heap is then really full and intact, then frees one block and
    /// takes its memory again.
    func exhaustAndRecover() {
        coverage[.exhaustions] += 1
        run.note("exhaust: blocks", UInt(model.count))
        var size = max(1, capacity / 2)
        var attempts = 0
        while attempts < 20_000 && !run.failed {
            attempts += 1
            if let block = slab.allocate(byteCount: size, alignment: 1) {
                coverage[.allocations] += 1
                accept(block, size: size, alignment: 1, "allocate while exhausting")
            } else {
                expectedOutOfMemory += 1
                coverage[.failedAllocations] += 1
                if size == 1 { break }
                size /= 2
            }
        }
        guard !run.failed, run.expect(size == 1, "exhaustion took more than \(attempts) allocations") else { return }
        run.note("exhausted: blocks, failures", UInt(model.count), expectedOutOfMemory)
        // The smallest class had no free block, and the fit heap no free
        // block of the minimum size (16 bytes) even after the kept pages
        // (and a checked build's quarantine) were given back.
        let full = slab.statistics
        guard run.expect(slab.outOfMemoryCount == expectedOutOfMemory,
                         "out-of-memory count \(slab.outOfMemoryCount), expected \(expectedOutOfMemory)"),
              run.expect(full.largestFreeBlock == 0 && full.freeBytes + full.bytesInUse == capacity,
                         "a one-byte request failed with a free fit-heap block: \(full)"),
              checkIntegrity("when exhausted"),
              model.verifyAll()
        else { return }
        // Free any block and ask for the most its memory can serve again:
        // its own class's block size for a class block; for a fit-heap
        // block, what it holds, or (when that is a class size, whose fit
        // fallback asks for the class size) the largest class whose
        // fit-heap block is no larger than it.
        let index = random.below(model.count)
        let victim = model.blocks[index]
        guard let occupied = footprint(victim.address) else {
            run.fail("\(victim) is not live")
            return
        }
        let inFitHeap = !slab.isInClassPage(victim.address)
        free(at: index)
        var request = occupied - overhead
        if inFitHeap && occupied <= largestClass {
            let largestFitting = (0..<slab.sizeClassCount).map { slab.blockSize(ofClass: $0) }.last { $0 <= occupied }
            guard let largestFitting, largestFitting >= overhead else { return }
            request = largestFitting - overhead
        }
        guard let again = slab.allocate(byteCount: request, alignment: 1) else {
            run.fail("after freeing \(victim) (\(occupied) bytes\(inFitHeap ? " in the fit heap" : "")) in a full heap, "
                     + "allocating \(request) bytes failed")
            return
        }
        run.note("allocate(footprint of the freed) -> offset", request, offset(again))
        accept(again, size: request, alignment: 1, "allocate after a free in a full heap")
        allocatePercent = 25  // drain for a while
    }

    // MARK: - Checks

    /// After every step: counters that cost nothing to read.
    func checkCounters() {
        _ = run.expect(slab.outOfMemoryCount == expectedOutOfMemory,
                       "out-of-memory count \(slab.outOfMemoryCount), expected \(expectedOutOfMemory)")
            && run.expect(slab.misuseCount == 0 && MisuseRecorder.reports.isEmpty,
                          "legal operations reported misuse: \(MisuseRecorder.kinds)")
            && run.expect(slab.bytesInUse <= capacity && slab.peakBytesInUse >= slab.bytesInUse
                          && slab.peakBytesInUse >= peakBytes && slab.peakBytesInUse <= capacity,
                          "bytes in use \(slab.bytesInUse), peak \(slab.peakBytesInUse) (was \(peakBytes)), "
                          + "capacity \(capacity)")
        peakBytes = slab.peakBytesInUse
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
              run.expect(s.liveBlocks + s.largeBlocks == UInt(model.count),
                         "statistics count \(s.liveBlocks) class blocks + \(s.largeBlocks) large blocks, "
                         + "the model holds \(model.count)"),
              run.expect(s.bytesReserved >= model.requestedBytes,
                         "statistics reserve \(s.bytesReserved) bytes for \(model.requestedBytes) requested"),
              run.expect(report.liveBlocks == s.liveBlocks && report.classPages == s.classPages
                         && report.largeBlocks == s.largeBlocks,
                         "the integrity walk \(report) and the statistics \(s) disagree"),
              run.expect(s.capacity == capacity && s.pageSize == pageSize && s.pageCount == pageCount
                         && s.regionBytes == UInt(scenario.regionBytes),
                         "geometry changed: \(s)"),
              // The fit heap is tiled by blocks in use and free blocks.
              run.expect(s.freeBytes + s.bytesInUse == capacity && s.largestFreeBlock <= s.freeBytes,
                         "free \(s.freeBytes) + in use \(s.bytesInUse) bytes is not the capacity \(capacity): \(s)"),
              run.expect(s.classPages <= pageCount
                         && s.bytesInUse >= s.classPages * pageSize + s.largeBlocks * FitHeap.minimumBlock,
                         "class pages and large blocks need more than the bytes in use: \(s)"),
              run.expect(s.peakBytesInUse >= peakBytes && s.peakBytesInUse >= s.bytesInUse,
                         "peak bytes \(s.peakBytesInUse) fell below \(peakBytes) or below the bytes in use: \(s)"),
              run.expect(s.outOfMemoryCount == expectedOutOfMemory && s.misuseCount == 0,
                         "counters: \(s), expected \(expectedOutOfMemory) out-of-memory")
        else { return }
        peakBytes = s.peakBytesInUse
        guard model.verifyAll() else { return }
        if withAccounting { checkAccounting(s) }
    }

    /// Statistics against the blocks one by one: reserved bytes are exactly
    /// what the blocks held occupy, each block's usable size is all of it
    /// (a checked build: its requested part), the bytes in use are the
    /// class pages' plus the fit-heap blocks' (held, or waiting in a checked
    /// build's quarantine), the page-state map names as
    /// many class pages as the statistics count, and the per-class counts
    /// add up. O(blocks x free list + pages), so it runs on every eighth
    /// full check.
    func checkAccounting(_ s: SlabStatistics) {
        var occupiedTotal: UInt = 0
        var fitBytes: UInt = 0
        var classBlocksHeld: UInt = 0
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
            if slab.isInClassPage(block.address) {
                classBlocksHeld += 1
            } else {
                fitBytes += occupied + FitHeap.headerBytes
            }
        }
        // A checked build also counts the blocks in quarantine as reserved:
        // see testQuarantinedBlocksAreNotReservedBytesInACheckedBuild.
        guard run.expect(overhead == 0 ? occupiedTotal == s.bytesReserved : occupiedTotal <= s.bytesReserved,
                         "blocks occupy \(occupiedTotal) bytes, statistics reserve \(s.bytesReserved)"),
              run.expect(classBlocksHeld == s.liveBlocks,
                         "the model holds \(classBlocksHeld) blocks in class pages, statistics count \(s.liveBlocks)"),
              run.expect(s.bytesInUse == s.classPages * pageSize + fitBytes + s.quarantinedBytes,
                         "bytes in use \(s.bytesInUse), but \(s.classPages) class pages and the fit-heap blocks held "
                         + "make \(s.classPages * pageSize + fitBytes) (and \(s.quarantinedBytes) in quarantine)")
        else { return }
        var classPages: UInt = 0
        for page in 0..<pageCount where slab.pageState(page) != PageDescriptor.notClassPage { classPages += 1 }
        guard run.expect(classPages == s.classPages,
                         "the page-state map names \(classPages) class pages, statistics count \(s.classPages)")
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
