// libFuzzer entry point for the allocator fuzz program.
//
// Built by `make fuzz` / `make fuzz-smoke` (mk/fuzz.mk) into one module with
// the allocator sources, the reference model of Tests/CairnTests/Model/ and
// the program in Tests/CairnTests/Regressions/Program/, which the XCTest
// regressions replay.
// A disagreement between allocator and model traps, so libFuzzer saves the
// input as a crash artifact; turn it into a test with
// `Fuzz/bytes-to-swift.sh ARTIFACT`.

@_cdecl("LLVMFuzzerTestOneInput")
public func allocatorFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let failure = FuzzProgram.run(UnsafeRawBufferPointer(start: data, count: size)) {
        fatalError("allocator disagrees with model: \(failure)")
    }
    return 0
}
