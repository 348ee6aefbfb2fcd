#if !CAIRN_FUZZER
import Cairn
#endif

/// Collects the misuse reports of the allocator under test. A
/// `@convention(c)` handler cannot capture, so reports go to a global that
/// each test (``MisuseRecordingTestCase``, a randomized run) and each fuzz
/// input clears first: XCTest and the fuzzer run one at a time.
enum MisuseRecorder {
    nonisolated(unsafe) static var reports: [MisuseReport] = []

    static let handler: MisuseHandler = { kind, address, sizeClass, blockSize, caller in
        MisuseRecorder.reports.append(MisuseReport(rawKind: kind, address: address, sizeClass: sizeClass,
                                                   blockSize: blockSize, caller: caller))
    }

    static func reset() { reports = [] }

    static var kinds: [MisuseKind] { reports.map(\.kind) }
}
