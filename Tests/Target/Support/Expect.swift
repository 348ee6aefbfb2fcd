// The Swift face of the C harness (harness.h), for every Swift test
// firmware (OnTarget, HeapRouting): each call is one check. Names and
// details are static strings, passed to C without copying, so a failing
// check allocates nothing.

/// Records one check named `test`; when `passed` is false, prints
/// `FAIL test: detail` (followed by `value` when given). Returns `passed`.
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

/// Prints one progress line (the name of the suite about to run), so that a
/// hang or a fault can be placed.
func announce(_ text: StaticString) {
    text.withUTF8Buffer { bytes in
        bytes.withMemoryRebound(to: CChar.self) { ontarget_say($0.baseAddress, $0.count) }
    }
}
