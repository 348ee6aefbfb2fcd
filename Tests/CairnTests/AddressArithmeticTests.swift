import XCTest
@testable import Cairn

/// The overflow-checked arithmetic every size passes through, proven on
/// `UInt32` (Cortex-M's `size_t`) and on `UInt` at the edges, exhaustively
/// on narrow types (the functions are generic: the code is the same), and
/// the multiply that lets the slab's free path reject interior pointers
/// without a divide.
///
/// Each reference is written differently from the library (division, a
/// wider integer, bit counting) so that agreement is evidence, not echo.
final class AddressArithmeticTests: XCTestCase {

    // MARK: - isPowerOfTwo

    func testIsPowerOfTwoMeansExactlyOneBitSetForEveryUInt16() {
        var mismatches = MismatchLog()
        for value in UInt16.min...UInt16.max where isPowerOfTwo(value) != (value.nonzeroBitCount == 1) {
            mismatches.note("isPowerOfTwo(\(value))")
        }
        for value in UInt8.min...UInt8.max where isPowerOfTwo(value) != (value.nonzeroBitCount == 1) {
            mismatches.note("isPowerOfTwo(UInt8 \(value))")
        }
        mismatches.assertNone()
    }

    func testIsPowerOfTwoAtTheEdgesOfUInt32AndUInt() {
        checkPowerOfTwoEdges(UInt32.self)
        checkPowerOfTwoEdges(UInt.self)
    }

    private func checkPowerOfTwoEdges<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) {
        var mismatches = MismatchLog()
        XCTAssertFalse(isPowerOfTwo(T(0)), "zero is not a power of two (\(T.self))")
        XCTAssertFalse(isPowerOfTwo(T.max))
        XCTAssertFalse(isPowerOfTwo(T.max - 1))
        for k in 0..<T.bitWidth {
            let power = T(1) << k
            if !isPowerOfTwo(power) { mismatches.note("2^\(k) (\(T.self))") }
            if k >= 2 && isPowerOfTwo(power - 1) { mismatches.note("2^\(k) - 1 (\(T.self))") }
            if k >= 1 && isPowerOfTwo(power + 1) { mismatches.note("2^\(k) + 1 (\(T.self))") }
            if k >= 1 && isPowerOfTwo(power | 1) { mismatches.note("2^\(k) | 1 (\(T.self))") }
            if k < T.bitWidth - 1 && isPowerOfTwo(power | power << 1) { mismatches.note("2^\(k) * 3 (\(T.self))") }
        }
        // The top 64k values: none is a power of two but the top bit.
        for value in (T.max - 65535)...T.max where isPowerOfTwo(value) != (value.nonzeroBitCount == 1) {
            mismatches.note("isPowerOfTwo(\(value)) (\(T.self))")
        }
        mismatches.assertNone()
    }

    // MARK: - roundUp and roundDown

    func testRoundingMatchesDivisionForEveryUInt16ValueAndAlignment() {
        var mismatches = MismatchLog()
        for shift in 0..<16 {
            let alignment = UInt16(1) << shift
            for value in UInt16.min...UInt16.max {
                mismatches.noteRounding(value, alignment, dividingIn: UInt32.self)
            }
        }
        mismatches.assertNone()
    }

    func testRoundUpNearUInt32MaxReturnsNilInsteadOfWrapping() {
        var mismatches = MismatchLog()
        for shift in 0..<32 {
            let alignment = UInt32(1) << shift
            for value in edgeValues(UInt32.self, alignment: alignment) {
                mismatches.noteRounding(value, alignment, dividingIn: UInt64.self)
            }
        }
        // The cases a hostile malloc(SIZE_MAX) or a big memalign produce.
        XCTAssertNil(roundUp(UInt32.max, toMultipleOf: 8))
        XCTAssertNil(roundUp(UInt32.max - 6, toMultipleOf: 8))
        XCTAssertEqual(roundUp(UInt32.max - 7, toMultipleOf: 8), UInt32.max - 7)
        XCTAssertEqual(roundUp(UInt32(1), toMultipleOf: 1 << 31), 1 << 31)
        XCTAssertNil(roundUp(UInt32(1 << 31) + 1, toMultipleOf: 1 << 31))
        XCTAssertEqual(roundUp(UInt32.max, toMultipleOf: 1), UInt32.max)
        XCTAssertEqual(roundUp(UInt32(0), toMultipleOf: 1 << 31), 0)
        XCTAssertEqual(roundDown(UInt32.max, toMultipleOf: 1 << 31), 1 << 31)
        mismatches.assertNone()
    }

    func testRoundUpNearUIntMaxReturnsNilInsteadOfWrapping() {
        var mismatches = MismatchLog()
        for shift in 0..<UInt.bitWidth {
            let alignment = UInt(1) << shift
            for value in edgeValues(UInt.self, alignment: alignment) {
                // Reference by division: the next multiple is (q + 1) * a
                // unless the value already is one; nil if that overflows.
                let (q, r) = value.quotientAndRemainder(dividingBy: alignment)
                var expected: UInt? = value
                if r != 0 {
                    let (product, overflow) = (q + 1).multipliedReportingOverflow(by: alignment)
                    expected = overflow ? nil : product
                }
                if roundUp(value, toMultipleOf: alignment) != expected {
                    mismatches.note("roundUp(\(value), \(alignment)) gave \(String(describing: roundUp(value, toMultipleOf: alignment))), expected \(String(describing: expected))")
                }
                if roundDown(value, toMultipleOf: alignment) != q * alignment {
                    mismatches.note("roundDown(\(value), \(alignment))")
                }
            }
        }
        XCTAssertNil(roundUp(UInt.max, toMultipleOf: 16))
        XCTAssertNil(roundUp(UInt(1) << (UInt.bitWidth - 1) + 1, toMultipleOf: UInt(1) << (UInt.bitWidth - 1)))
        mismatches.assertNone()
    }

    /// Values where rounding to `alignment` changes behaviour: around zero,
    /// around the largest multiple of `alignment`, and the top of the type.
    private func edgeValues<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, alignment: T) -> [T] {
        let lastMultiple = T.max & ~(alignment - 1)
        var values: [T] = []
        for delta in 0..<T(40) {
            values.append(delta)
            values.append(T.max - delta)
            values.append(lastMultiple &- delta)
            if lastMultiple <= T.max - delta { values.append(lastMultiple + delta) }
            if alignment > delta { values.append(alignment - delta) }
            if alignment <= T.max - delta { values.append(alignment + delta) }
        }
        return values
    }

    // MARK: - checkedAdd and checkedMultiply

    func testCheckedAddAndMultiplyMatchWiderArithmeticForEveryUInt8Pair() {
        var mismatches = MismatchLog()
        for a in UInt8.min...UInt8.max {
            for b in UInt8.min...UInt8.max {
                let sum = Int(a) + Int(b)
                let product = Int(a) * Int(b)
                if checkedAdd(a, b) != (sum <= 255 ? UInt8(sum) : nil) { mismatches.note("checkedAdd(\(a), \(b))") }
                if checkedMultiply(a, b) != (product <= 255 ? UInt8(product) : nil) { mismatches.note("checkedMultiply(\(a), \(b))") }
            }
        }
        mismatches.assertNone()
    }

    func testCheckedAddAtTheEdgesOfUInt32AndUInt() {
        var mismatches = MismatchLog()
        for k in UInt32(0)...1000 {
            for (a, b) in [(UInt32.max - k, k), (k, UInt32.max - k)] where checkedAdd(a, b) != UInt32.max {
                mismatches.note("checkedAdd(\(a), \(b)) must be max")
            }
            for (a, b) in [(UInt32.max - k, k + 1), (k + 1, UInt32.max - k)] where checkedAdd(a, b) != nil {
                mismatches.note("checkedAdd(\(a), \(b)) must overflow")
            }
            let big = UInt(UInt32(k))
            if checkedAdd(UInt.max - big, big) != UInt.max { mismatches.note("checkedAdd(UInt.max - \(k), \(k))") }
            if checkedAdd(UInt.max - big, big + 1) != nil { mismatches.note("checkedAdd(UInt.max - \(k), \(k + 1))") }
        }
        var random = SeededGenerator(seed: 0xADD)
        for _ in 0..<20_000 {
            let a = UInt32(truncatingIfNeeded: random.next())
            let b = UInt32(truncatingIfNeeded: random.next())
            let wide = UInt64(a) + UInt64(b)
            if checkedAdd(a, b) != (wide <= UInt64(UInt32.max) ? UInt32(wide) : nil) { mismatches.note("checkedAdd(\(a), \(b))") }
            let c = UInt(random.next())
            let d = UInt(random.next())
            if checkedAdd(c, d) != (c > UInt.max - d ? nil : c &+ d) { mismatches.note("checkedAdd(\(c), \(d))") }
        }
        mismatches.assertNone()
    }

    func testCheckedMultiplyCatchesTheCallocOverflowOn32BitSizeT() {
        // calloc(65536, 65536) on Cortex-M: 2^32 wraps to 0 without the check.
        XCTAssertNil(checkedMultiply(UInt32(65536), 65536))
        XCTAssertEqual(checkedMultiply(UInt32(65535), 65537), UInt32.max)  // (2^16 - 1)(2^16 + 1)
        XCTAssertEqual(checkedMultiply(UInt32(65537), 65535), UInt32.max)
        XCTAssertNil(checkedMultiply(UInt32(65537), 65536))
        XCTAssertNil(checkedMultiply(UInt32(2), 1 << 31))
        XCTAssertEqual(checkedMultiply(UInt32(2), (1 << 31) - 1), UInt32.max - 1)
        XCTAssertEqual(checkedMultiply(UInt32.max, 1), UInt32.max)
        XCTAssertEqual(checkedMultiply(UInt32.max, 0), 0)
        XCTAssertEqual(checkedMultiply(UInt32(0), UInt32.max), 0)
        XCTAssertNil(checkedMultiply(UInt32.max, UInt32.max))
        XCTAssertNil(checkedMultiply(UInt(1) << 32, UInt(1) << 32))
        XCTAssertEqual(checkedMultiply(UInt(UInt32.max), UInt(UInt32.max) + 2), UInt.max)  // (2^32 - 1)(2^32 + 1)
        XCTAssertNil(checkedMultiply(UInt(UInt32.max) + 2, UInt(UInt32.max) + 2))

        var mismatches = MismatchLog()
        // For every k: max / k fits, max / k + 1 does not (k > 1).
        for k in UInt32(1)...5000 {
            if checkedMultiply(UInt32.max / k, k) != UInt32.max / k * k { mismatches.note("checkedMultiply(max / \(k), \(k))") }
            if k > 1 && checkedMultiply(UInt32.max / k + 1, k) != nil { mismatches.note("checkedMultiply(max / \(k) + 1, \(k))") }
            let wide = UInt(k)
            if checkedMultiply(UInt.max / wide, wide) != UInt.max / wide * wide { mismatches.note("checkedMultiply(UInt.max / \(k), \(k))") }
            if k > 1 && checkedMultiply(UInt.max / wide + 1, wide) != nil { mismatches.note("checkedMultiply(UInt.max / \(k) + 1, \(k))") }
        }
        var random = SeededGenerator(seed: 0x3A1)
        for _ in 0..<20_000 {
            // Factors of random bit lengths, so both sides of the limit are hit.
            let a = UInt32(truncatingIfNeeded: random.next()) >> UInt32(random.below(32))
            let b = UInt32(truncatingIfNeeded: random.next()) >> UInt32(random.below(32))
            let wide = UInt64(a) * UInt64(b)
            if checkedMultiply(a, b) != (wide <= UInt64(UInt32.max) ? UInt32(wide) : nil) { mismatches.note("checkedMultiply(\(a), \(b))") }
            let c = UInt(random.next()) >> UInt(random.below(64))
            let d = UInt(random.next()) >> UInt(random.below(64))
            let full = c.multipliedFullWidth(by: d)
            if checkedMultiply(c, d) != (full.high == 0 ? full.low : nil) { mismatches.note("checkedMultiply(\(c), \(d))") }
        }
        mismatches.assertNone()
    }

    // MARK: - floorLog2 and ceilLog2 (the span bins)

    func testLog2HelpersMatchBitCountingForEverySmallValueAndEveryPower() {
        var mismatches = MismatchLog()
        for value in UInt(1)...65536 {
            var floor: UInt = 0
            while UInt(1) << (floor + 1) <= value && floor + 1 < UInt(UInt.bitWidth) { floor += 1 }
            let ceil = (UInt(1) << floor) == value ? floor : floor + 1
            if floorLog2(value) != floor { mismatches.note("floorLog2(\(value))") }
            if ceilLog2(value) != ceil { mismatches.note("ceilLog2(\(value))") }
        }
        for k in 0..<UInt(UInt.bitWidth) {
            let power = UInt(1) << k
            if floorLog2(power) != k || ceilLog2(power) != k { mismatches.note("log2(2^\(k))") }
            if k > 1 && (floorLog2(power - 1) != k - 1 || ceilLog2(power - 1) != k) { mismatches.note("log2(2^\(k) - 1)") }
            if k > 0 && k < UInt(UInt.bitWidth) - 1 && (floorLog2(power + 1) != k || ceilLog2(power + 1) != k + 1) {
                mismatches.note("log2(2^\(k) + 1)")
            }
        }
        if floorLog2(UInt.max) != UInt(UInt.bitWidth - 1) || ceilLog2(UInt.max) != UInt(UInt.bitWidth) {
            mismatches.note("log2(UInt.max)")
        }
        mismatches.assertNone()
    }

    // MARK: - The slab's divisibility test

    // `free` checks that an offset inside a page is a multiple of the block
    // size d with `offset &* c < c`, where c = UInt32.max / d + 1 (see
    // SizeClassRecord.reciprocal). Block sizes are multiples of 4 from 8 to
    // the largest page, 32768, and offsets lie below the page size.
    //
    // Checking every offset for every size is 268M multiplies, too slow for
    // a debug build. It is also unnecessary: write n = q·d + r (0 <= r < d)
    // and c·d = 2^32 + e (0 <= e < d, c is ceil(2^32 / d)). Then
    //     n·c = q·2^32 + q·e + r·c  ≡  q·e + r·c   (mod 2^32),
    // and as long as q·e + r·c never reaches 2^32 (no wrap), the test reads
    //     r = 0:  q·e < c     (a multiple passes),
    //     r > 0:  q·e + r·c >= c, always  (anything else fails).
    // Both hold for every n <= N exactly when, with Q = N / d,
    //     Q·e < c   and   Q·e + (d - 1)·c < 2^32.
    // So two inequalities per size prove the test for every offset below
    // N; the first test below checks them for every size and N = 65535 (the
    // claim in SizeClassRecord). The next two are independent evidence that
    // does not rely on that algebra: every offset for dozens of sizes, and for
    // every size the offsets where a slip would show first (the multiples,
    // which must pass, and their neighbours, which must fail).

    private static func reciprocal(_ size: UInt32) -> UInt32 { UInt32.max / size &+ 1 }

    @inline(__always)
    private static func passes(_ offset: UInt32, _ reciprocal: UInt32) -> Bool {
        offset &* reciprocal < reciprocal
    }

    func testReciprocalTestIsExactForEveryBlockSizeAndEveryOffsetBelow64KiB() {
        var mismatches = MismatchLog()
        let limit: UInt64 = 65535
        for size in UInt32(2)...32768 {
            let c = UInt64(Self.reciprocal(size))
            let d = UInt64(size)
            guard c * d >= 1 << 32, c * d - (1 << 32) < d else {
                mismatches.note("reciprocal of \(size) is not ceil(2^32 / size)")
                continue
            }
            let e = c * d - (1 << 32)
            let q = limit / d
            if !(q * e < c && q * e + (d - 1) * c < 1 << 32) { mismatches.note("size \(size): certificate fails") }
        }
        mismatches.assertNone()
    }

    func testReciprocalTestAgreesWithRemainderForEveryOffsetOfDozensOfSizes() {
        // The generated classes of a 32 KiB page (8 ... the 64-class cap),
        // the explicit ones of the randomized tests, odd multiples of 4
        // near the top, and the powers of two.
        var sizes = Set<UInt32>()
        _ = SlabConfiguration(pageSize: 32768, largestClass: 32768).forEachClass { _, size in sizes.insert(UInt32(size)) }
        sizes.formUnion([12, 20, 28, 44, 60, 100, 124, 252, 380, 508, 1020, 2044, 4092, 6556, 10924, 16380, 32764, 32768])
        for k in 3...15 { sizes.insert(1 << k) }
        XCTAssertGreaterThanOrEqual(sizes.count, 50)
        var mismatches = MismatchLog()
        for size in sizes.sorted() {
            let c = Self.reciprocal(size)
            // Walk the offsets with the remainder kept alongside: no divide.
            var offset: UInt32 = 0
            var remainder: UInt32 = 0
            while offset < 32768 {
                if Self.passes(offset, c) != (remainder == 0) { mismatches.note("size \(size), offset \(offset)") }
                offset &+= 1
                remainder &+= 1
                if remainder == size { remainder = 0 }
            }
        }
        mismatches.assertNone()
    }

    func testReciprocalTestAcceptsMultiplesAndRejectsTheirNeighboursForEveryBlockSize() {
        var mismatches = MismatchLog()
        var size: UInt32 = 8
        while size <= 32768 {
            let c = Self.reciprocal(size)
            var multiple: UInt32 = 0
            while multiple < 32768 {
                if !Self.passes(multiple, c) { mismatches.note("size \(size): multiple \(multiple) rejected") }
                for delta: UInt32 in [1, 2, 3, 4] {
                    if Self.passes(multiple + delta, c) { mismatches.note("size \(size): \(multiple) + \(delta) accepted") }
                    if multiple >= delta && Self.passes(multiple - delta, c) { mismatches.note("size \(size): \(multiple) - \(delta) accepted") }
                }
                multiple += size
            }
            for offset: UInt32 in [32767, 32766, 65535, size / 2, size - 4] where offset % size != 0 && Self.passes(offset, c) {
                mismatches.note("size \(size): \(offset) accepted")
            }
            size += 4
        }
        mismatches.assertNone()
    }

    func testSlabStoresTheReciprocalProvenHere() throws {
        // Up to the largest class a 32 KiB page holds beside its 20-byte tail.
        let sizes: [UInt16] = [8, 12, 20, 100, 4092, 10924, 32744, 32748]
        let region = TestRegion(bytes: 40 * 32768)
        let list = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: sizes.count)
        defer { list.deallocate() }
        _ = list.initialize(from: sizes)
        guard var slab = SlabAllocator(region: region.buffer,
                                       configuration: SlabConfiguration(pageSize: 32768, sizeClasses: UnsafeBufferPointer(list)))
        else { return XCTFail("configuration refused") }
        for (index, size) in sizes.enumerated() {
            XCTAssertEqual(slab.classRecord(UInt(index)).pointee.reciprocal, Self.reciprocal(UInt32(size)), "class \(size)")
        }
        // And the free path uses it: a pointer one granule into a block is
        // refused, the block start is taken.
        slab.misuseHandler = MisuseRecorder.handler
        MisuseRecorder.reset()
        let request = 10924 - SlabAllocator.blockOverhead  // a checked build adds its canary
        let block = try XCTUnwrap(slab.allocate(byteCount: request, alignment: 4))
        let second = try XCTUnwrap(slab.allocate(byteCount: request, alignment: 4))
        XCTAssertEqual(second - block, 10924)
        slab.deallocate(second + 4)
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart])
        slab.deallocate(second)
        slab.deallocate(block)
        XCTAssertEqual(MisuseRecorder.kinds, [.notBlockStart])
        XCTAssertTrue(slab.checkIntegrity().isValid)
    }
}

/// Collects mismatches of a loop and reports them once: how many, and the
/// first few.
struct MismatchLog {
    private(set) var count = 0
    private var first: [String] = []

    mutating func note(_ what: @autoclosure () -> String) {
        count += 1
        if first.count < 8 { first.append(what()) }
    }

    /// Notes where `roundUp` or `roundDown` of `value` to `alignment`
    /// disagrees with division in the wider type `Wide` (`roundUp` must be
    /// `nil` where the multiple does not fit `T`).
    mutating func noteRounding<T: FixedWidthInteger & UnsignedInteger, Wide: FixedWidthInteger & UnsignedInteger>(
        _ value: T, _ alignment: T, dividingIn _: Wide.Type) {
        let multiple = Wide(value).roundedUpByDivision(Wide(alignment))
        let expected: T? = multiple <= Wide(T.max) ? T(multiple) : nil
        let rounded = roundUp(value, toMultipleOf: alignment)
        if rounded != expected {
            note("roundUp(\(value), \(alignment)) gave \(String(describing: rounded)), expected \(String(describing: expected))")
        }
        if roundDown(value, toMultipleOf: alignment) != value / alignment * alignment {
            note("roundDown(\(value), \(alignment))")
        }
    }

    func assertNone(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(count, 0, "\(count) mismatches, first: \(first.joined(separator: "; "))", file: file, line: line)
    }
}

extension FixedWidthInteger where Self: UnsignedInteger {
    /// The smallest multiple of `alignment` at or above `self`, by division.
    /// Precondition: it fits (use a wider type).
    func roundedUpByDivision(_ alignment: Self) -> Self {
        (self / alignment + (self % alignment == 0 ? 0 : 1)) * alignment
    }
}
