import Foundation
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
        // 4 KiB, 64-byte pages, classes to 16: malloc 24 (a fit-heap block),
        // malloc 0 (a class block), free, realloc to 100, check.
        replay([0x00, 0x01, 0x00, 0x00, 0x20, 0x00, 0x00, 24, 0x00, 0, 0x03, 0, 0x05, 0, 0x40, 100, 0x0F])
        // Bump: malloc 10, mark, malloc 100, rewind, malloc 1.
        replay([0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 10, 0x0A, 0x00, 0x40, 100, 0x0F, 0x00, 0x00, 1])
    }

    /// The overflow seeds (Fuzz/corpus/slab-overflow, -fit; the reduced mode
    /// of FuzzSlabAttack.swift): forged links in class blocks and in
    /// fit-heap blocks, and every block handed out afterwards stays inside
    /// the region and off the live blocks.
    func testOverflowSeedsNeverHandOutABlockOutsideTheArenaOrOverALiveOne() throws {
        for name in ["slab-overflow", "slab-overflow-fit"] {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../../Fuzz/corpus/\(name)").standardized
            let bytes = try [UInt8](Data(contentsOf: url))
            XCTAssertTrue(bytes.contains(0xFF), name)
            replay(bytes)
        }
    }

    /// Found by `make fuzz`: a class page that went back to the fit heap
    /// kept its bytes, here a real fit-heap header left by the
    /// configuration before (the input configures again) in a block that
    /// `malloc(0)` never wrote, and `usableSize` of a freed block of that
    /// page read it as a live block's header (FitHeap cannot tell without a
    /// walk). A page is now cleared when it goes back; what the same bytes
    /// did to a double free: ClassPageReleaseRegressions.
    func testAFreedBlockWhosePageWentBackToTheFitHeapHasNoUsableSize() {
        // 16 KiB, 256-byte pages, one class of 48: a burst of 9 malloc(60)
        // (64-byte fit-heap blocks), configure again, a burst of 29 malloc(0)
        // (class pages over the old headers), then the final free of all.
        replay([0x06, 0x03, 0x00, 0x02, 0x40, 0x00, 0x00, 0x0B, 0x0B, 0x08, 0x3C, 0x0A, 0x00, 0x0B, 0x3C])
    }

    /// The seed corpus the fuzzer starts from (Fuzz/corpus, written by
    /// `make fuzz-corpus`) runs clean in this build: a seed the program
    /// rejects would stop `make fuzz-smoke` before it fuzzes anything.
    func testSeedCorpusRunsClean() throws {
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let corpus = root.appendingPathComponent("Fuzz/corpus")
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        XCTAssertFalse(names.isEmpty, "no seed in \(corpus.path)")
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: corpus.appendingPathComponent(name)))
            let failure = bytes.withUnsafeBytes { FuzzProgram.run($0) }
            XCTAssertNil(failure, "seed \(name)")
        }
    }

    /// Found by `make fuzz-smoke` (the overflow operation): on 64-byte pages
    /// an overflow out of a live class block reached its page's descriptor
    /// and wrote a lower carved limit, and the next refill carved a block
    /// that was in use. The limit now carries a keyed check
    /// (`PageDescriptor.carvedCheck`).
    func testAForgedLowerCarvedLimitNeverHandsOutABlockInUse() {
        // 2 KiB + 256, 64-byte pages, class 8: malloc 0, 14, 0, 8, then an
        // overflow of eight words past a block's end.
        replay([0x00, 0x00, 0x04, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x0e, 0x80, 0x00, 0x01, 0x08, 0xff, 0xff, 
0xff, 0xb7, 0xb7, 0xb7, 0xb7, 0xb7, 0xb7, 0x31, 0xb7, 0x00])
    }

    /// Found by `make fuzz-smoke` once fit-heap headers carried a keyed
    /// tag: a free of a wild pointer whose word before reads as a
    /// plausible in-use header. The program's model read that word's
    /// size without masking the tag, so it freed such addresses and then
    /// disagreed with the heap. It now reads the size as the heap does,
    /// skips a word that carries its tag (taken for a block, 1 time in
    /// 256), and expects a report for one that does not.
    func testAWildFreeAfterAWordThatLooksLikeATaggedHeaderIsJudgedAsTheHeapDoes() {
        replay([0x02, 0x40, 0x40, 0xf3, 0x07, 0xc0, 0x02, 0x03, 0x1c, 0x28, 0x0a, 0x00, 0x01, 0x00, 0x0a, 0x00,
                0xfe, 0xff, 0xce])
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
        // 64-byte pages filled by four bursts of 32 malloc(8) (once classes
        // may take no more pages, the second burst's last blocks come from
        // the fit heap). Pushing the overwritten block out finds
        // memory short and empties the quarantine instead: with one class
        // (16, flags 0x06), the same allocation hands the block straight
        // back out and reports it again (a byte after its link and free
        // mark, offset 9), or not (offset 2); with the standard classes, the
        // allocation (class 8) fails.
        replay([0x46, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x03,
                0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x2C, 0x00, 9, 0x2C, 0x00, 2, 0x0F])
        replay([0x40, 0x00, 0x00, 0x00, 0x80, 0x00,
                0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x0B, 0x1F, 8, 0x2C, 0x00, 9, 0x0F])
        // Found by `make fuzz-checked` (the model's mistake): one class of 72
        // on 128-byte pages, heap full. Emptying the quarantine empties the
        // overwritten block's page, which then goes back to the fit heap
        // (before it, to the page pool) and may be taken again by the same
        // allocation: the block comes back out unchecked, so only the report
        // on leaving quarantine is certain.
        replay([0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0B, 0x31, 0x31, 0x0B, 0x56, 0x31, 0xEC, 0x55, 0x3C])
    }

    /// Found by `make fuzz-checked` when large blocks were page runs: a
    /// byte written past the requested size of a run (its canary) was seen
    /// by `checkIntegrity()`, but `free` of the run did not check the
    /// canary: no `bufferOverflow` was reported and the run went back to
    /// the pool. (Class blocks were checked on free.) Large blocks are now
    /// fit-heap blocks, with slack and a trailer of their own.
    func testWritePastTheEndOfAFitHeapBlockIsReportedWhenItIsFreed() {
        // 64 KiB, 1 KiB pages: malloc 5000 (a fit-heap block), one byte past
        // it (into its slack), free.
        replay([0x00, 0x05, 0x00, 0x04, 0x40, 0x00, 0x00, 0x53, 0x88, 0x1C, 0x00])
    }

    /// Found by `make fuzz-checked` (first from the analysis, then by the
    /// fuzzer itself on a 128-byte block): a fit-heap block whose request is
    /// a multiple of 8 has no slack, so its trailer starts right after the
    /// last requested byte. The trailer was the requested size XOR
    /// `largeTrailerKey`, with no check of its own (a class block's holds
    /// the size and its complement): one byte written past the end changed
    /// the size it decoded to, and when the decoded size was smaller and the
    /// caller's bytes between it and the real end happened to equal the
    /// slack byte (0xCB), the canary looked intact: `checkIntegrity()` found
    /// nothing, the free was accepted without a report, `usableSize` shrank
    /// and `bytesRequested` kept the difference for ever.
    func testWritePastTheEndOfAFitHeapBlockOntoItsTrailerIsReported() {
        // 64 KiB, 1 KiB pages: malloc 0, malloc 7808 (0x1E80, a fit-heap
        // block with no slack; its tag makes its last byte 0xCB), one byte
        // past it (the trailer's first byte XOR 0xFF: the old trailer then
        // decoded to 7807), free.
        replay([0x00, 0x05, 0x00, 0x04, 0x40, 0x00, 0x00, 0x00, 0x00, 0x5E, 0x80, 0x1C, 0x01])
        // The fuzzer's input (minimised): the same on a block of 128 bytes.
        replay([0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x43, 0xE8, 0x00, 0x40, 0xF3,
                0xC0, 0x02, 0x41, 0x07, 0x2C, 0x0C, 0x02, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x43,
                0xE8, 0x00, 0x40, 0x80, 0x9C, 0x02])
    }

    /// Found by `make fuzz-smoke` (checked), when freed fit-heap blocks
    /// began to wait in quarantine: a byte written into one
    /// 1. made `checkIntegrity()` name `blockCanary`, "a live block's
    ///    canary was overwritten", where the same write into a quarantined
    ///    class block is named `freeBlockOverwritten`, "written while free",
    ///    which is what the block is, and what the program expects of both;
    /// 2. was reported, when the block left quarantine, as a
    ///    `writeAfterFree` of size class 255 (`PageDescriptor.notClassPage`
    ///    taken for a class), whose block size `reportMisuse` read from a
    ///    class record past the class table (out of a small region: ASan's
    ///    heap-buffer-overflow); a fit-heap block's report names no class.
    func testWriteIntoAQuarantinedFitHeapBlockIsAFreeBlockOverwritten() {
        // 2 KiB, 2 KiB pages (no page fits, so classes are served by the fit
        // heap), a quarantine of one slot (flags 0x40): malloc 9 (a fit-heap
        // block for class 16), then freed and written at offset 0.
        replay([0x40, 0x00, 0x00, 0x0C, 0x09, 0x02, 0x00, 0x09, 0x2C])
    }

    /// Found by `make fuzz-smoke` (the overflow operation, checked build):
    /// an overflow wrote over the header of a large block waiting in the
    /// quarantine, and the block's release read the forged size and merged
    /// far outside the heap. A fit-heap block going back now has its tags
    /// checked first (SlabAllocator+FitBlocks.swift).
    func testAQuarantinedLargeBlockWhoseHeaderWasOverwrittenIsNotReleasedByItsForgedSize() {
        replay(
        [0x00, 0x00, 0x00, 0x02, 0x06, 0x00, 0x00, 0x18, 0x00, 0x18, 0x00, 0x18, 0x00, 0x18, 0x00, 0x18,
        0x00, 0x18, 0x00, 0x18, 0x00, 0x18, 0x03, 0x01, 0x03, 0x02, 0x03, 0x03, 0x03, 0x04, 0xff, 0x00,
        0x03, 0x03, 0x00, 0x40, 0x64, 0x2e, 0x01, 0x41, 0x2c, 0x0a, 0x02, 0x05, 0x06, 0x0f, 0x00, 0x00,
        0x00, 0x32, 0x00, 0x00, 0x00, 0x9c, 0x9c, 0x9c, 0x9c, 0x9c, 0x9c, 0x9c, 0x9c, 0x9c, 0x9c, 0x9c,
        0x9c, 0x00, 0x0f, 0x01, 0x03, 0x00, 0x0c, 0x23, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x07, 0x04,
        0x04, 0x09, 0x00, 0x03, 0x03, 0x00, 0x18, 0x00, 0x18, 0x00, 0x18, 0x00, 0x18, 0x00, 0x18, 0x00,
        0x18, 0x02, 0x01, 0x03, 0x01, 0x03, 0x00, 0x09, 0x00, 0x09, 0x07, 0x02, 0x00, 0x02, 0x00, 0x00,
        0x18, 0x00, 0x18, 0x00, 0x18, 0x00, 0x18, 0x03, 0x00, 0x18, 0x00, 0x18, 0x00, 0x18, 0x03, 0x01,
        0x03, 0x02, 0x03, 0x03, 0x03, 0x04, 0xff, 0x00, 0x03, 0x03, 0x00, 0x40, 0x64, 0x2e, 0x01, 0x41,
        0x2c, 0x0a, 0x02, 0x05, 0x06, 0x0f, 0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0x9c, 0x9c, 0x9c,
        0x9c, 0x9c, 0x9c, 0x9c, 0x9c, 0x04, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0x04, 0x01, 0x04, 0x01, 0x02, 0x03, 0x00, 0x28, 0x00, 0x28, 0x00, 0x28, 0x00,
        0x28])
    }

    #endif
}
