// `expect` and `announce` over the on-target harness (harness.h), as in
// Tests/Target/OnTarget/Expect.swift, without that suite's test profile
// (its static region would not leave micro:bit's RAM to this firmware).

/// Records one check named `test`; when `passed` is false, prints
/// `FAIL test: detail` (followed by `value` when given).
@discardableResult
func expect(_ passed: Bool, _ test: StaticString, _ detail: StaticString, value: UInt? = nil) -> Bool {
    test.withUTF8Buffer { name in
        detail.withUTF8Buffer { text in
            name.withMemoryRebound(to: CChar.self) { name in
                text.withMemoryRebound(to: CChar.self) { text in
                    ontarget_record(passed, name.baseAddress, name.count, text.baseAddress, text.count,
                                    value != nil, UInt32(truncatingIfNeeded: value ?? 0))
                }
            }
        }
    }
}

/// Prints one progress line.
func announce(_ text: StaticString) {
    text.withUTF8Buffer { bytes in
        bytes.withMemoryRebound(to: CChar.self) { ontarget_say($0.baseAddress, $0.count) }
    }
}
