import XCTest

/// Inputs the allocator fuzzer (`make fuzz`) once failed on, replayed through
/// the same program (Program/FuzzProgram.swift): allocator against model,
/// with every oracle of the fuzz run. A failure prints the first disagreement.
///
/// To add one: minimise the artifact (`build/fuzz/allocator-fuzzer
/// -minimize_crash=1 -runs=20000 ARTIFACT`), print it with
/// `Fuzz/bytes-to-swift.sh`, and name the test after the behaviour it broke.
final class FuzzRegressionTests: XCTestCase {
    func replay(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let failure = bytes.withUnsafeBytes { FuzzProgram.run($0) }
        XCTAssertNil(failure, file: file, line: line)
    }

    /// The program itself: a short slab and a short bump input run clean, so
    /// a replay failure below is the allocator's, not the decoder's.
    func testFuzzProgramRunsCleanInputs() {
        // 4 KiB, 64-byte pages: malloc 24, malloc 0, free, realloc to 100, check.
        replay([0x00, 0x01, 0x00, 0x00, 0x20, 0x00, 0x00, 24, 0x00, 0, 0x03, 0, 0x05, 0, 0x40, 100, 0x0F])
        // Bump: malloc 10, mark, malloc 100, rewind, malloc 1.
        replay([0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 10, 0x0A, 0x00, 0x40, 100, 0x0F, 0x00, 0x00, 1])
    }
}
