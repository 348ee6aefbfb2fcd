// The misuse handler of the scenarios' own allocators: it only counts, so
// that a test can prove each misuse is reported once and changes nothing.
import Cairn

nonisolated(unsafe) var misuseReportCount: UInt = 0
nonisolated(unsafe) var lastMisuseKind: UInt8 = 0

/// A ``MisuseHandler`` that counts reports and remembers the last kind.
func countMisuse(_ kind: UInt8, _ address: UInt, _ sizeClass: Int, _ blockSize: UInt, _ caller: UInt) {
    misuseReportCount += 1
    lastMisuseKind = kind
}
