import XCTest

/// What a randomized run did, counted by event, to prove that it reached
/// what it is meant to test; a test adds up the counts of its runs and
/// asserts on the sums.
struct RunCoverage<Event: Hashable> {
    private var counts: [Event: Int] = [:]

    subscript(_ event: Event) -> Int {
        get { counts[event, default: 0] }
        set { counts[event] = newValue }
    }

    mutating func add(_ other: RunCoverage) {
        for (event, count) in other.counts { counts[event, default: 0] += count }
    }

    /// Fails, with its message, for each event of `expected` that no run
    /// counted.
    func assertHappened(_ expected: KeyValuePairs<Event, String>, file: StaticString = #filePath, line: UInt = #line) {
        for (event, missing) in expected { XCTAssertGreaterThan(self[event], 0, missing, file: file, line: line) }
    }
}
