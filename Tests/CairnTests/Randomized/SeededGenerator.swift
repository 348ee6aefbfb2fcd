#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import XCTest

// Seeds, the generator they drive, and how a randomized run reports failure.
//
// Replaying: every failure message carries its seed and the command that
// replays it, `CAIRN_SEED=<n> swift test --filter <Suite>/<test>`. With
// CAIRN_SEED set, only that seed runs, and the heavy invariant checks run
// after every step so that the failure is pinned to the step that caused it.
// CAIRN_SOAK=<k> multiplies the number of steps (for a long local run).

/// SplitMix64 (Steele, Lea, Flood, 2014): one 64-bit word of state, every
/// seed valid. Written here rather than taken from the standard library so
/// that a seed replays the same operations on every toolchain: the stdlib's
/// `random(in:using:)` is free to change how it consumes the generator.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0 ..< bound` (multiply-high, no rejection: the bias is
    /// below bound / 2^64). Precondition: `bound > 0`.
    mutating func below(_ bound: UInt) -> UInt {
        UInt(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Uniform in `0 ..< bound`. Precondition: `bound > 0`.
    mutating func below(_ bound: Int) -> Int {
        Int(below(UInt(bound)))
    }

    /// Uniform in `range`. Precondition: the range is not all of `UInt`.
    mutating func uniform(_ range: ClosedRange<UInt>) -> UInt {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True `percent` times in a hundred.
    mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }

    /// `2^k` for `k` uniform in `exponents`.
    mutating func powerOfTwo(_ exponents: ClosedRange<Int>) -> UInt {
        1 << UInt(exponents.lowerBound + below(exponents.count))
    }

    /// A new size for a block of `size` bytes with `usable` bytes (0 when
    /// unknown) to realloc to: zero, the same, smaller, its usable size or
    /// a byte more, larger; `nil` three times in ten, for a size the
    /// caller draws from its own mix.
    mutating func reallocSize(_ size: UInt, usable: UInt) -> UInt? {
        switch below(10) {
        case 0: return 0
        case 1: return size
        case 2: return uniform(0...size)
        case 3: return usable
        case 4: return usable + 1
        case 5, 6: return size + uniform(1...max(1, size))
        default: return nil
        }
    }

    /// Where a run's region starts in its allocation: half the runs at 0,
    /// half off any alignment (1 to `limit` bytes in), as a linker may place it.
    mutating func regionOffset(upTo limit: UInt) -> UInt {
        chance(50) ? 0 : uniform(1...limit)
    }

    /// One element of a non-empty array.
    mutating func element<T>(of array: [T]) -> T {
        array[below(array.count)]
    }
}

/// Which seeds a randomized test runs.
enum RandomizedSeeds {
    /// Seeds every run explores, so that CI always covers the same ground.
    static let fixed: [UInt64] = [1, 0x5EED_CA1B, 20_261_123]

    /// CAIRN_SEED, decimal or 0x-hex, when set.
    static let replay: UInt64? = {
        guard let raw = getenv("CAIRN_SEED") else { return nil }
        let text = String(cString: raw)
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }()

    /// A fresh seed per process, from the wall clock, so that CI explores.
    static let fromClock: UInt64 = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var mixer = SeededGenerator(seed: UInt64(truncatingIfNeeded: now.tv_sec) &* 1_000_000_007
                                        &+ UInt64(truncatingIfNeeded: now.tv_nsec))
        return mixer.next() >> 16  // short enough to copy from a log
    }()

    /// The replay seed alone, or the fixed seeds and the clock's.
    static var all: [UInt64] { replay.map { [$0] } ?? fixed + [fromClock] }

    /// True when replaying one seed: check everything after every step.
    static var isReplay: Bool { replay != nil }

    /// CAIRN_SOAK: a factor on the number of steps (1 when unset).
    static let soak: Int = {
        guard let raw = getenv("CAIRN_SOAK"), let factor = Int(String(cString: raw)), factor > 0 else { return 1 }
        return factor
    }()
}

/// One randomized run (one seed, one configuration): its step counter, a
/// trail of its last operations, and its failure report.
///
/// Only the first failure of a run is reported, and the driver stops the run
/// there: after one broken invariant, later ones are consequences.
final class RandomRun {
    let seed: UInt64
    let setting: String
    private let filter: String
    private let file: StaticString
    private let line: UInt
    var step = 0
    /// Where the arena starts: the trail gives addresses as offsets from it.
    var origin: UInt = 0
    private(set) var failed = false

    private struct Entry {
        var step: Int
        var operation: StaticString
        var values: [UInt?]
    }
    private var trail: [Entry] = []
    private var trailNext = 0
    private static let trailLength = 12

    /// `test` is `#function` of the test method; `suite` its class. A run
    /// starts with no misuse recorded.
    init(seed: UInt64, setting: String, suite: Any.Type, test: String, file: StaticString, line: UInt) {
        MisuseRecorder.reset()
        self.seed = seed
        self.setting = setting
        let name = test.hasSuffix("()") ? String(test.dropLast(2)) : test
        filter = "\(suite)/\(name)"
        self.file = file
        self.line = line
    }

    /// Records an operation and its arguments and result for the failure
    /// report (formatted only then; `nil` is a failed request).
    func note(_ operation: StaticString, _ values: UInt?...) {
        let entry = Entry(step: step, operation: operation, values: values)
        if trail.count < Self.trailLength {
            trail.append(entry)
        } else {
            trail[trailNext] = entry
        }
        trailNext = (trailNext + 1) % Self.trailLength
    }

    /// Reports the first failure of the run, with its seed and how to replay it.
    func fail(_ message: String) {
        guard !failed else { return }
        failed = true
        var text = "\(message)\n    seed \(seed), \(setting), step \(step), arena at \(origin.hexText)"
        text += "\n    replay: CAIRN_SEED=\(seed) swift test --filter \(filter)"
        if !trail.isEmpty {
            text += "\n    last operations (addresses as arena offsets):"
            let ordered = trail.count < Self.trailLength ? trail : Array(trail[trailNext...] + trail[..<trailNext])
            for entry in ordered {
                text += "\n      step \(entry.step): \(entry.operation) "
                    + entry.values.map { $0.map { "\($0)" } ?? "nil" }.joined(separator: " ")
            }
        }
        XCTFail(text, file: file, line: line)
    }

    /// Fails with `message` unless `condition`; returns `condition`.
    @discardableResult
    func expect(_ condition: Bool, _ message: @autoclosure () -> String) -> Bool {
        if !condition { fail(message()) }
        return condition
    }
}

extension ReferenceModel {
    /// A model whose faults fail `run`.
    convenience init(run: RandomRun, lower: UInt, upper: UInt) {
        self.init(lower: lower, upper: upper) { run.fail($0) }
    }
}
