import XCTest
@testable import Cairn

/// Randomized sequences of C heap calls (`malloc`, `calloc`, `realloc`
/// chains, `posix_memalign`, `aligned_alloc`, `free`, `malloc_usable_size`)
/// over the slab and over the bump, checked against ``ReferenceModel``:
/// realloc keeps min(old, new) bytes along a whole chain, calloc zeroes,
/// every failure leaves the heap and the old block as they were, and the
/// error numbers are the C library's.
final class CHeapRandomizedTests: MisuseRecordingTestCase {
    func testReallocChainsKeepContentsCallocZeroesAndFailuresChangeNothingOnTheSlab() {
        let settings: [(bytes: Int, pageSize: UInt, explicit: Bool)] =
            [(16 * 1024, 64, false), (16 * 1024, 256, true), (64 * 1024, 1024, false), (64 * 1024, 4096, true)]
        var total = CHeapChurn.Coverage()
        for seed in RandomizedSeeds.all {
            for setting in settings {
                var random = SeededGenerator(seed: seed ^ UInt64(setting.pageSize) << 32)
                let offset = random.regionOffset(upTo: 63)
                guard let subject = SlabSubject(bytes: setting.bytes, offset: offset, pageSize: setting.pageSize,
                                                explicitClasses: setting.explicit)
                else { XCTFail("configuration refused: \(setting)"); continue }
                total.add(play(subject, seed: seed, random: random, steps: 900, fullCheckEvery: 1))
            }
        }
        total.assertEverythingHappened()
    }

    func testReallocChainsKeepContentsCallocZeroesAndFailuresChangeNothingOnTheBump() {
        var total = CHeapChurn.Coverage()
        for seed in RandomizedSeeds.all {
            for bytes in [16 * 1024, 64 * 1024] {
                var random = SeededGenerator(seed: seed ^ UInt64(bytes) << 32 ^ 0xB)
                let offset = random.regionOffset(upTo: 63)
                let subject = BumpSubject(bytes: bytes, offset: offset)
                total.add(play(subject, seed: seed, random: random, steps: 900, fullCheckEvery: 1))
            }
        }
        total.assertEverythingHappened()
    }

    /// The documented `realloc(p, 0)` rule ("keeps `p` as a unique
    /// minimum-size block and returns it, so that NULL always means
    /// failure") on a bump block that is not the newest, the one block the
    /// allocator cannot resize. It used to move the block, and to fail in a
    /// full arena; this is the reproduction.
    func testReallocToZeroOfAnOlderBumpBlockKeepsThePointer() throws {
        let region = TestRegion(bytes: 64)
        var bump = BumpAllocator(region: region.buffer)
        let older = try XCTUnwrap(CHeap.malloc(&bump, byteCount: 8))
        _ = try XCTUnwrap(CHeap.malloc(&bump, byteCount: 8))
        XCTAssertEqual(CHeap.realloc(&bump, older, byteCount: 0), older, "realloc(p, 0) moved an older bump block")
        // With the arena full, shrinking to zero must still not fail.
        let used = try XCTUnwrap(roundUp(bump.statistics.bytesInUse, toMultipleOf: CHeap.fundamentalAlignment))
        _ = try XCTUnwrap(CHeap.malloc(&bump, byteCount: 64 - used))
        XCTAssertEqual(bump.statistics.bytesInUse, 64)
        XCTAssertEqual(CHeap.realloc(&bump, older, byteCount: 0), older, "realloc(p, 0) failed in a full bump arena")
    }

    private func play(_ subject: CHeapSubject, seed: UInt64, random: SeededGenerator, steps: Int, fullCheckEvery: Int,
                      test: String = #function, line: UInt = #line) -> CHeapChurn.Coverage {
        let run = RandomRun(seed: seed, setting: subject.description, suite: Self.self, test: test, file: #filePath, line: line)
        let churn = CHeapChurn(subject, run: run, random: random, steps: steps * RandomizedSeeds.soak,
                               fullCheckEvery: RandomizedSeeds.isReplay ? 1 : fullCheckEvery)
        churn.execute()
        return churn.coverage
    }
}

/// An allocator behind the C rules, as the randomized driver sees it.
protocol CHeapSubject: AnyObject, CustomStringConvertible {
    /// Where its blocks must lie.
    var lower: UInt { get }
    var upper: UInt { get }
    /// The allocator's count of requests that found no memory.
    var failures: UInt { get }
    /// True when the free inside a moving realloc gives the old block's
    /// memory back (the slab); false when it only retires it (the bump:
    /// after the move the old block is no longer the newest).
    var reallocReleasesTheOldBlock: Bool { get }

    func malloc(_ size: UInt) -> UnsafeMutableRawPointer?
    func calloc(_ count: UInt, _ size: UInt) -> UnsafeMutableRawPointer?
    func realloc(_ pointer: UnsafeMutableRawPointer?, _ size: UInt) -> UnsafeMutableRawPointer?
    func posixMemalign(_ out: inout UnsafeMutableRawPointer?, alignment: UInt, size: UInt) -> Int32
    func alignedAlloc(alignment: UInt, size: UInt) -> (UnsafeMutableRawPointer?, Int32)
    func free(_ pointer: UnsafeMutableRawPointer?)
    func usableSize(_ pointer: UnsafeMutableRawPointer?) -> UInt
    /// True when freeing `pointer` now gives its memory back.
    func freeReleases(_ pointer: UnsafeMutableRawPointer) -> Bool
    /// Frees everything at once, if the allocator can (the bump's reset).
    func releaseAll() -> Bool
    /// The allocator's own invariants against the model, or what is wrong.
    func problem(_ model: ReferenceModel) -> String?
}

/// The C calls of a ``CHeapSubject``: the same `CHeap` functions whatever
/// the allocator behind them.
class CHeapCalls<Allocator: RawAllocator & ~Copyable> {
    var allocator: Allocator

    init(_ allocator: consuming Allocator) {
        self.allocator = allocator
    }

    func malloc(_ size: UInt) -> UnsafeMutableRawPointer? { CHeap.malloc(&allocator, byteCount: size) }
    func calloc(_ count: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
        CHeap.calloc(&allocator, count: count, size: size)
    }
    func realloc(_ pointer: UnsafeMutableRawPointer?, _ size: UInt) -> UnsafeMutableRawPointer? {
        CHeap.realloc(&allocator, pointer, byteCount: size)
    }
    func posixMemalign(_ out: inout UnsafeMutableRawPointer?, alignment: UInt, size: UInt) -> Int32 {
        CHeap.posixMemalign(&allocator, &out, alignment: alignment, byteCount: size)
    }
    func alignedAlloc(alignment: UInt, size: UInt) -> (UnsafeMutableRawPointer?, Int32) {
        CHeap.alignedAlloc(&allocator, alignment: alignment, byteCount: size)
    }
    func free(_ pointer: UnsafeMutableRawPointer?) { CHeap.free(&allocator, pointer) }
    func usableSize(_ pointer: UnsafeMutableRawPointer?) -> UInt { CHeap.usableSize(allocator, pointer) }
}

final class SlabSubject: CHeapCalls<SlabAllocator>, CHeapSubject {
    let region: TestRegion
    let lower: UInt
    let upper: UInt
    let description: String
    /// The highest peak of bytes in use seen so far.
    private var peakBytes: UInt = 0

    init?(bytes: Int, offset: UInt, pageSize: UInt, explicitClasses: Bool) {
        region = TestRegion(bytes: bytes, offset: Int(offset))
        guard let slab = SlabChurn.makeSlab(region: region.buffer, pageSize: pageSize, explicitClasses: explicitClasses)
        else { return nil }
        // Every block, a class page's or the fit heap's, lies in the fit heap.
        lower = slab.fit.firstBlock + FitHeap.headerBytes
        upper = slab.fit.sentinel
        description = "slab over a \(bytes)-byte region at +\(offset), page \(pageSize), "
            + (explicitClasses ? "explicit classes \(SlabChurn.explicitClasses(pageSize: pageSize))" : "standard classes")
        super.init(slab)
        allocator.misuseHandler = MisuseRecorder.handler
    }

    var failures: UInt { allocator.outOfMemoryCount }
    var reallocReleasesTheOldBlock: Bool { true }
    func freeReleases(_ pointer: UnsafeMutableRawPointer) -> Bool { true }
    func releaseAll() -> Bool { false }

    func problem(_ model: ReferenceModel) -> String? {
        let report = allocator.checkIntegrity()
        if !report.isValid { return "integrity check: \(report.problem.map { "\($0)" } ?? "-") at page \(report.page)" }
        let s = allocator.statistics
        if s.liveBlocks + s.largeBlocks != UInt(model.liveCount) {
            return "statistics count \(s.liveBlocks) class blocks + \(s.largeBlocks) large blocks, "
                + "the model holds \(model.liveCount)"
        }
        if report.liveBlocks != s.liveBlocks || report.largeBlocks != s.largeBlocks || report.classPages != s.classPages {
            return "the integrity walk \(report) and the statistics \(s) disagree"
        }
        if s.bytesReserved < model.requestedBytes {
            return "statistics reserve \(s.bytesReserved) bytes for \(model.requestedBytes) requested"
        }
        // The fit heap is tiled by the blocks in use (class pages and large
        // blocks) and the free ones; the peak never falls.
        if s.freeBytes + s.bytesInUse != s.capacity || s.capacity != upper - lower + FitHeap.headerBytes {
            return "free \(s.freeBytes) + in use \(s.bytesInUse) bytes is not the capacity: \(s)"
        }
        if s.bytesInUse < s.classPages * s.pageSize + s.largeBlocks * FitHeap.minimumBlock {
            return "\(s.classPages) class pages and \(s.largeBlocks) large blocks in \(s.bytesInUse) bytes: \(s)"
        }
        if s.peakBytesInUse < s.bytesInUse || s.peakBytesInUse < peakBytes || s.peakBytesInUse > s.capacity {
            return "peak \(s.peakBytesInUse) below the bytes in use \(s.bytesInUse) or the earlier peak \(peakBytes): \(s)"
        }
        peakBytes = s.peakBytesInUse
        return nil
    }
}

final class BumpSubject: CHeapCalls<BumpAllocator>, CHeapSubject {
    let region: TestRegion
    let lower: UInt
    let upper: UInt
    let description: String

    init(bytes: Int, offset: UInt) {
        region = TestRegion(bytes: bytes, offset: Int(offset))
        lower = region.start
        upper = region.end
        description = "bump over a \(bytes)-byte region at +\(offset)"
        super.init(BumpAllocator(region: region.buffer))
        allocator.misuseHandler = MisuseRecorder.handler
    }

    var failures: UInt { allocator.statistics.failedRequests }
    var reallocReleasesTheOldBlock: Bool { false }
    /// Only the newest block rolls back; its usable size is known exactly then.
    func freeReleases(_ pointer: UnsafeMutableRawPointer) -> Bool { allocator.usableSize(of: pointer) != nil }

    func releaseAll() -> Bool {
        allocator.reset()
        return true
    }

    func problem(_ model: ReferenceModel) -> String? {
        let s = allocator.statistics
        let top = lower + s.bytesInUse
        var held: UInt = 0
        for block in model.blocks {
            held += block.extent
            if block.end > top { return "\(block) reaches above the top \(top.hexText)" }
        }
        if s.bytesInUse < held { return "\(s.bytesInUse) bytes in use for \(held) bytes of blocks held" }
        if s.peakBytesInUse < s.bytesInUse { return "peak \(s.peakBytesInUse) below the bytes in use \(s.bytesInUse)" }
        return nil
    }
}

/// One randomized sequence of C heap calls.
final class CHeapChurn {
    enum Event {
        case callocs
        case callocOverflows
        case reallocChains
        /// Chains that reached three links.
        case chainsOfThreeLinks
        case reallocsInPlace
        case reallocsMoved
        case reallocsFailed
        case einval
        case enomem
    }

    typealias Coverage = RunCoverage<Event>

    let subject: CHeapSubject
    let run: RandomRun
    var random: SeededGenerator
    let model: ReferenceModel
    let steps: Int
    let fullCheckEvery: Int
    let capacity: UInt
    private(set) var coverage = Coverage()
    private var expectedFailures: UInt = 0

    init(_ subject: CHeapSubject, run: RandomRun, random: SeededGenerator, steps: Int, fullCheckEvery: Int) {
        self.subject = subject
        self.run = run
        self.random = random
        self.steps = steps
        self.fullCheckEvery = fullCheckEvery
        capacity = subject.upper - subject.lower
        model = ReferenceModel(run: run, lower: subject.lower, upper: subject.upper)
        run.origin = subject.lower
    }

    func execute() {
        while run.step < steps && !run.failed {
            run.step += 1
            switch random.below(100) {
            case ..<22: malloc()
            case ..<32: calloc()
            case ..<50: reallocChain()
            case ..<53: reallocNull()
            case ..<61: posixMemalign()
            case ..<67: alignedAlloc()
            case ..<92: free()
            case ..<94: freeNull()
            case ..<97: probeUsableSizes()
            default: releaseAll()
            }
            guard !run.failed else { return }
            guard run.expect(subject.failures == expectedFailures,
                             "the allocator counts \(subject.failures) failed requests, expected \(expectedFailures)"),
                  run.expect(MisuseRecorder.reports.isEmpty, "legal C calls reported misuse: \(MisuseRecorder.kinds)")
            else { return }
            if run.step % fullCheckEvery == 0 { fullCheck() }
        }
        if !run.failed { fullCheck() }
    }

    func offset(_ block: UnsafeMutableRawPointer?) -> UInt? { block.map { $0.address &- subject.lower } }

    func nextSize() -> UInt {
        switch random.below(100) {
        case ..<4: return 0
        case ..<29: return random.uniform(1...16)
        case ..<69: return random.uniform(1...512)
        case ..<89: return random.uniform(1...4096)
        case ..<96: return random.uniform(1...max(1, capacity / 4))
        case ..<98: return random.uniform(capacity / 2...capacity + 64)
        // Sizes whose rounding or canary would wrap a size_t.
        default: return random.element(of: [UInt.max, UInt.max - 3, UInt.max - 7, UInt.max / 2 + 1, UInt(UInt32.max)])
        }
    }

    /// A block the allocator just gave: checked, recorded, filled. After a
    /// failure the request counts as one more failed request.
    func accept(_ block: UnsafeMutableRawPointer?, size: UInt, alignment: UInt, _ what: StaticString) {
        guard let block else {
            expectedFailures += 1
            return
        }
        let usable = subject.usableSize(block)
        guard run.expect(usable == 0 || usable >= max(size, 1), "\(what)(\(size)) gave a block of \(usable) usable bytes")
        else { return }
        model.adopt(block, size: size, alignment: alignment, what)
    }

    func malloc() {
        let size = nextSize()
        let block = subject.malloc(size)
        run.note("malloc(size) -> offset", size, offset(block))
        accept(block, size: size, alignment: CHeap.fundamentalAlignment, "malloc")
        // The bump fills up for good (most of its frees are no-ops).
        if block == nil && random.chance(25) { releaseAll() }
    }

    /// Zeroed `count * size` bytes, or `nil`: not counted as a failed
    /// request when the product overflows (no allocation is attempted).
    func calloc() {
        var count = random.uniform(0...64)
        var size = random.uniform(0...128)
        let overflow = random.chance(10)
        if overflow {
            let pairs: [(UInt, UInt)] = [(UInt.max / 2 + 1, 2), (1 << 32, 1 << 32), (UInt.max, UInt.max),
                                         (3, UInt.max / 3 + 1), (2, UInt.max)]
            (count, size) = random.element(of: pairs)
        } else if random.chance(5) {
            (count, size) = (1 << 16, 1 << 16)  // fits size_t on the host, not the arena
        }
        let block = subject.calloc(count, size)
        run.note("calloc(count, size) -> offset", count, size, offset(block))
        let (total, wraps) = count.multipliedReportingOverflow(by: size)
        guard !wraps else {
            guard run.expect(block == nil, "calloc(\(count), \(size)) overflows but returned \(block!.address.hexText)")
            else { return }
            coverage[.callocOverflows] += 1
            return
        }
        guard let block else {
            expectedFailures += 1
            return
        }
        let address = block.address
        guard let slot = model.placement(of: address, size: total, alignment: CHeap.fundamentalAlignment, "calloc")
        else { return }
        if let bad = model.patterns.firstNonZero(address, total) {
            run.fail("calloc(\(count), \(size)) returned \(address.hexText) with byte \(bad) not zero")
            return
        }
        coverage[.callocs] += 1
        model.record(address, size: total, alignment: CHeap.fundamentalAlignment, tag: model.newTag(), at: slot)
    }

    /// Index of a random block still held (not retired), or `nil`.
    func randomHeldBlock() -> Int? {
        guard !model.isEmpty else { return nil }
        let first = random.below(model.count)
        for step in 0..<model.count where !model.blocks[(first + step) % model.count].retired {
            return (first + step) % model.count
        }
        return nil
    }

    /// realloc the same block up to five times in a row, each link keeping
    /// min(old, new) bytes of what the first allocation wrote.
    func reallocChain() {
        guard var index = randomHeldBlock() else { return malloc() }
        coverage[.reallocChains] += 1
        let links = 1 + random.below(5)
        for link in 1...links {
            guard let next = realloc(at: index) else { return }
            if link == 3 { coverage[.chainsOfThreeLinks] += 1 }
            index = next
        }
    }

    /// One realloc of block `index`; the index of the result, or `nil`
    /// when it failed (or a check did).
    func realloc(at index: Int) -> Int? {
        let old = model.blocks[index]
        let p = old.address.modelPointer
        guard model.verify(old, "before realloc") else { return nil }
        // 0 when unknown (a bump block other than the newest).
        let usable = subject.usableSize(p)
        let size = random.reallocSize(old.size, usable: usable) ?? nextSize()
        let result = subject.realloc(p, size)
        run.note("realloc(offset, size) -> offset", offset(p), size, offset(result))
        // Zero bytes fit any live block, even one whose size is unknown.
        let fits = size == 0 || (usable != 0 && size <= usable)
        let why = size == 0 ? "zero bytes fit any live block" : "its \(usable) bytes hold it"
        guard let result else {
            expectedFailures += 1
            coverage[.reallocsFailed] += 1
            guard run.expect(!fits, "realloc of \(old) to \(size) failed though \(why)"),
                  model.verify(old, "after a failed realloc to \(size)")
            else { return nil }
            run.expect(subject.usableSize(p) == usable, "a failed realloc changed the usable size of \(old)")
            return nil
        }
        if result == p {
            coverage[.reallocsInPlace] += 1
            guard model.resize(at: index, to: size, "realloc") else { return nil }
            return model.index(of: old.address)
        }
        coverage[.reallocsMoved] += 1
        guard run.expect(!fits, "realloc of \(old) to \(size) moved it though \(why)") else { return nil }
        return model.move(at: index, to: result.address, size: size, alignment: CHeap.fundamentalAlignment,
                          released: subject.reallocReleasesTheOldBlock, "realloc")
    }

    func reallocNull() {
        let size = nextSize()
        let block = subject.realloc(nil, size)
        run.note("realloc(NULL, size) -> offset", size, offset(block))
        accept(block, size: size, alignment: CHeap.fundamentalAlignment, "realloc(NULL)")
    }

    /// 0 and an aligned block; EINVAL for an alignment that is not a power
    /// of two or is below a pointer; ENOMEM; `out` untouched on error.
    func posixMemalign() {
        let alignment = random.chance(20)
            ? random.element(of: [0, 1, 2, 4, 3, 12, 24, 48, CHeap.pointerSize / 2, CHeap.pointerSize + 4])
            : random.element(of: [CHeap.pointerSize, 16, 32, 64, 128, 256, 1024, 4096])
        let size = nextSize()
        let sentinel = UnsafeMutableRawPointer(bitPattern: 0xBAD0)
        var out = sentinel
        let error = subject.posixMemalign(&out, alignment: alignment, size: size)
        run.note("posix_memalign(alignment, size) -> error", alignment, size, UInt(error))
        let valid = isPowerOfTwo(alignment) && alignment >= CHeap.pointerSize
        if !valid {
            coverage[.einval] += 1
            run.expect(error == CHeap.EINVAL && out == sentinel,
                       "posix_memalign(alignment \(alignment)) gave error \(error), out \(String(describing: out))")
            return
        }
        if error == CHeap.ENOMEM {
            coverage[.enomem] += 1
            expectedFailures += 1
            run.expect(out == sentinel, "posix_memalign failed with ENOMEM but wrote out")
            return
        }
        guard run.expect(error == 0, "posix_memalign(alignment \(alignment), \(size)) gave error \(error)"),
              let block = out, run.expect(block != sentinel, "posix_memalign succeeded without writing out")
        else { return }
        accept(block, size: size, alignment: alignment, "posix_memalign")
    }

    /// aligned_alloc: EINVAL for an alignment that is not a power of two;
    /// smaller powers of two are raised to a pointer.
    func alignedAlloc() {
        let alignment = random.chance(20) ? random.element(of: [0, 3, 12, 24, 100]) : random.powerOfTwo(0...12)
        let size = nextSize()
        let (block, error) = subject.alignedAlloc(alignment: alignment, size: size)
        run.note("aligned_alloc(alignment, size) -> offset", alignment, size, offset(block))
        guard isPowerOfTwo(alignment) else {
            coverage[.einval] += 1
            run.expect(block == nil && error == CHeap.EINVAL, "aligned_alloc(alignment \(alignment)) gave \(error)")
            return
        }
        guard run.expect((block == nil) == (error == CHeap.ENOMEM) && (block != nil) == (error == 0),
                         "aligned_alloc gave \(String(describing: block)) with error \(error)")
        else { return }
        if block == nil { coverage[.enomem] += 1 }
        accept(block, size: size, alignment: max(alignment, CHeap.pointerSize), "aligned_alloc")
    }

    func free() {
        guard let index = randomHeldBlock() else { return malloc() }
        let block = model.blocks[index]
        let p = block.address.modelPointer
        run.note("free(offset) of size", offset(p), block.size)
        guard model.verify(block, "before free") else { return }
        let releases = subject.freeReleases(p)
        subject.free(p)
        if releases {
            model.remove(at: index)
            run.expect(subject.usableSize(p) == 0, "\(block) still has a usable size after its free")
        } else {
            model.retire(at: index)
        }
    }

    /// free(NULL) does nothing at all.
    func freeNull() {
        let failures = subject.failures
        subject.free(nil)
        run.note("free(NULL)")
        run.expect(subject.failures == failures && subject.usableSize(nil) == 0, "free(NULL) changed something")
    }

    /// malloc_usable_size of held blocks: at least their size when known.
    func probeUsableSizes() {
        for _ in 0..<min(8, model.count) {
            let block = model.blocks[random.below(model.count)]
            guard !block.retired else { continue }
            let usable = subject.usableSize(block.address.modelPointer)
            guard run.expect(usable == 0 || usable >= block.extent, "usable size \(usable) of \(block)") else { return }
        }
    }

    /// Everything goes: the bump's reset, or on the slab a free of every
    /// block held.
    func releaseAll() {
        run.note("release all: blocks held", UInt(model.count))
        if subject.releaseAll() {
            model.removeAll()
            return
        }
        while let index = randomHeldBlock(), !run.failed {
            let block = model.blocks[index]
            guard model.verify(block, "before free") else { return }
            subject.free(block.address.modelPointer)
            model.remove(at: index)
        }
    }

    func fullCheck() {
        guard model.verifyAll() else { return }
        if let problem = subject.problem(model) { run.fail(problem) }
    }
}

extension RunCoverage<CHeapChurn.Event> {
    /// Every kind of call and outcome happened in the runs added up here.
    func assertEverythingHappened(file: StaticString = #filePath, line: UInt = #line) {
        assertHappened([
            .callocs: "no calloc succeeded",
            .callocOverflows: "no calloc overflowed",
            .chainsOfThreeLinks: "no realloc chain of 3 links",
            .reallocsInPlace: "no realloc stayed in place",
            .reallocsMoved: "no realloc moved",
            .reallocsFailed: "no realloc failed",
            .einval: "no EINVAL",
            .enomem: "no ENOMEM"
        ], file: file, line: line)
    }
}
