import XCTest

/// Inputs the allocator fuzzer (`make fuzz`, `make fuzz-checked`) once failed
/// on, replayed through the same program (Program/FuzzProgram.swift):
/// allocator against model, with every oracle of the fuzz run. A failure
/// prints the first disagreement.
///
/// To add one: minimise the artifact (`build/fuzz/allocator-fuzzer
/// -minimize_crash=1 -runs=20000 ARTIFACT`, or `allocator-fuzzer-checked`
/// for a `checked-` artifact), print it with `Fuzz/bytes-to-swift.sh`, and
/// name the test after the behaviour it broke. A checked input is a
/// different program (the model expects the checked allocator and decodes
/// its misuse operations): put it inside `#if CAIRN_CHECKED`.
final class FuzzRegressions: XCTestCase {
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

    #if CAIRN_CHECKED
    /// The checked build's misuse operations on class blocks run clean: the
    /// model and the allocator agree on every report they provoke.
    func testCheckedMisuseOfClassBlocksIsReportedAsTheModelExpects() {
        // 64 KiB, 1 KiB pages, classes to 512 (the firmware default):
        // malloc 24 twice; write after free into the first (freed for it) at
        // offset 12, then into the second at offset 3; malloc 40, double
        // free of it in quarantine; malloc 20, one byte past it, free; check.
        replay([0x00, 0x05, 0x00, 0x04, 0x40, 0x00,
                0x00, 24, 0x00, 24, 0x2C, 0x01, 12, 0x2C, 0x01, 3,
                0x00, 40, 0x0C, 0x00, 0x00, 20, 0x1C, 0x01, 0x0F])
        // A full heap with a quarantine of one slot (flags 0x40): 2 KiB of
        // 64-byte pages filled by four bursts of 32 malloc(8). Pushing the
        // overwritten block out finds memory short and empties the
        // quarantine instead: with one class (16, flags 0x06), the same
        // allocation hands the block straight back out and reports it again
        // (a byte after its link and free mark, offset 9), or not (offset 2);
        // with the standard classes, the allocation (class 8) fails.
        replay([0x46, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x03,
                0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x2C, 0x00, 9, 0x2C, 0x00, 2, 0x0F])
        replay([0x40, 0x00, 0x00, 0x00, 0x80, 0x00,
                0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x2C, 0x00, 9, 0x0F])
        // Found by `make fuzz-checked` (the model's mistake): one class of 72
        // on 128-byte pages, heap full. Emptying the quarantine empties the
        // overwritten block's page, which then goes back to the pool and is
        // carved afresh for the same allocation: the block comes back out
        // unchecked, so only the report on leaving quarantine is certain.
        replay([0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0B, 0x31, 0x31, 0x0B, 0x56, 0x31, 0xEC, 0x55, 0x3C])
    }

    /// Found by `make fuzz-checked`: a byte written past the requested size
    /// of a page run (its canary) was seen by `checkIntegrity()`, but `free`
    /// of the run did not check the canary: no `bufferOverflow` was
    /// reported and the run went back to the pool. (Class blocks were
    /// checked on free.)
    func testWritePastTheEndOfAPageRunIsReportedWhenItIsFreed() {
        // 64 KiB, 1 KiB pages: malloc 5000 (a run), one byte past it, free.
        replay([0x00, 0x05, 0x00, 0x04, 0x40, 0x00, 0x00, 0x53, 0x88, 0x1C, 0x00])
    }
    #endif
}
