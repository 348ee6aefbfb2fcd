#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes written into the blocks a caller holds, and the check that
/// they are still there.
///
/// Byte `offset` of a block with tag `tag` is ``byte(tag:offset:)``: it
/// depends on both the block and the position, so that a write by the
/// allocator into a live block, a copy from the wrong source or to the
/// wrong offset, and two overlapping blocks all show as a mismatch. (The
/// fuzz regressions replay inputs whose effect depends on these values:
/// keep the formula.) What was written is also kept in a shadow of the
/// bounds, so that a check is one `memcmp`, affordable for every live byte
/// in a debug build.
final class BlockPatterns {
    /// Blocks lie in `lower ..< upper`.
    let lower: UInt
    let upper: UInt
    /// Byte `a - lower` holds what was written at address `a`.
    private let shadow: UnsafeMutableRawBufferPointer
    private var zeros: UnsafeMutableRawBufferPointer?

    init(lower: UInt, upper: UInt) {
        self.lower = lower
        self.upper = upper
        shadow = .allocate(byteCount: Int(upper - lower) + 1, alignment: 8)
    }

    deinit {
        shadow.deallocate()
        zeros?.deallocate()
    }

    /// Byte `offset` of the pattern of `tag`.
    @inline(__always)
    static func byte(tag: UInt32, offset: UInt) -> UInt8 {
        let mixed = (tag &* 0x9E37_79B1) ^ (UInt32(truncatingIfNeeded: offset) &* 0x85EB_CA77)
        return UInt8(truncatingIfNeeded: (mixed ^ (mixed >> 15)) >> 8)
    }

    /// True when bytes `range` of a block at `address` lie inside the bounds.
    private func covers(_ address: UInt, _ range: Range<UInt>) -> Bool {
        address >= lower && address <= upper && range.upperBound <= upper - address
    }

    /// The shadow of the byte at `address + offset`. Precondition: inside the bounds.
    private func shadowByte(_ address: UInt, _ offset: UInt) -> UnsafeMutablePointer<UInt8> {
        shadow.baseAddress!.assumingMemoryBound(to: UInt8.self) + Int(address - lower + offset)
    }

    /// Writes the pattern of `block.tag` into bytes `range` of the block
    /// (all it covers by default). Precondition: the block passed
    /// ``ModelBlock/misplacement(lower:upper:among:)`` for these bounds.
    func fill(_ block: ModelBlock, _ range: Range<UInt>? = nil) {
        let range = range ?? 0..<block.written
        guard !range.isEmpty else { return }
        precondition(covers(block.address, range), "model: \(block) filled outside its bounds")
        let expected = shadowByte(block.address, range.lowerBound)
        for i in 0..<Int(range.count) {
            expected[i] = Self.byte(tag: block.tag, offset: range.lowerBound + UInt(i))
        }
        memcpy(block.address.modelPointer + Int(range.lowerBound), expected, Int(range.count))
    }

    /// A realloc moved a block from `source` to `destination` carrying
    /// `count` bytes: what was written at the one is now expected at the other.
    func carry(from source: UInt, to destination: UInt, count: UInt) {
        guard count > 0 else { return }
        precondition(covers(source, 0..<count) && covers(destination, 0..<count), "model: carried outside the bounds")
        memmove(shadowByte(destination, 0), shadowByte(source, 0), Int(count))
    }

    /// What is wrong with the first `limit` bytes of the pattern `block`
    /// covers (all of them by default), or `nil`. With `source`, the bytes
    /// are expected to be what was written at that address (a block a
    /// realloc moved, before ``carry(from:to:count:)``).
    func damage(_ block: ModelBlock, upTo limit: UInt? = nil, writtenAt source: UInt? = nil) -> String? {
        let count = min(limit ?? block.written, block.written)
        let source = source ?? block.address
        guard count > 0 else { return nil }
        guard covers(block.address, 0..<count), covers(source, 0..<count) else {
            return "\(block) lies outside \(lower.hexText) ..< \(upper.hexText)"
        }
        let found = UnsafePointer<UInt8>(block.address.modelPointer.assumingMemoryBound(to: UInt8.self))
        let expected = shadowByte(source, 0)
        if memcmp(found, expected, Int(count)) == 0 { return nil }
        let bad = (0..<Int(count)).first { found[$0] != expected[$0] }!
        return "\(block) was overwritten at byte \(bad) (found \(found[bad]), wrote \(expected[bad]))"
    }

    /// Offset of the first non-zero byte of the `count` bytes at `address`
    /// (a calloc block), or `nil`. Precondition: inside the bounds.
    func firstNonZero(_ address: UInt, _ count: UInt) -> UInt? {
        guard count > 0 else { return nil }
        precondition(covers(address, 0..<count), "model: zero check outside the bounds")
        if zeros == nil {
            zeros = .allocate(byteCount: shadow.count, alignment: 8)
            zeros!.initializeMemory(as: UInt8.self, repeating: 0)
        }
        let block = UnsafeRawPointer(address.modelPointer)
        if memcmp(block, zeros!.baseAddress!, Int(count)) == 0 { return nil }
        return (0..<count).first { block.load(fromByteOffset: Int($0), as: UInt8.self) != 0 }
    }
}
