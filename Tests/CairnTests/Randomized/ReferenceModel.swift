#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The reference model of the randomized tests: what the caller of an
// allocator knows (the blocks it holds, their sizes and alignments, what it
// wrote into them), checked against what the allocator did.

/// The bytes written into blocks. Each block gets a window of one random
/// buffer chosen by its tag, so that its content depends on both the block
/// and the byte position: a write by the allocator into a live block, a copy
/// from the wrong source or to the wrong offset, and two overlapping blocks
/// all show as a mismatch. Filling and checking are `memcpy` and `memcmp`,
/// which keeps a check of every live byte affordable in a debug build.
final class PatternSource {
    /// Distinct windows; a tag selects one.
    static let windowCount = 4096

    private let bytes: UnsafeMutableRawBufferPointer
    private let zeros: UnsafeMutableRawBufferPointer

    /// Patterns for blocks of up to `maxExtent` bytes, drawn from `seed`.
    init(maxExtent: UInt, seed: UInt64) {
        let count = Int(maxExtent) + Self.windowCount + 8
        bytes = .allocate(byteCount: count, alignment: 8)
        var generator = SeededGenerator(seed: seed ^ 0x7A77_E2D5_0000_0001)
        var offset = 0
        while offset + 8 <= count {
            bytes.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < count {
            bytes[offset] = UInt8(truncatingIfNeeded: generator.next())
            offset += 1
        }
        zeros = .allocate(byteCount: Int(maxExtent) + 1, alignment: 8)
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        bytes.deallocate()
        zeros.deallocate()
    }

    private func source(_ tag: UInt32) -> UnsafeRawPointer {
        // Multiplicative hashing spreads consecutive tags over the windows.
        let window = Int((tag &* 0x9E37_79B1) >> 20) % Self.windowCount
        return UnsafeRawPointer(bytes.baseAddress! + window)
    }

    /// Writes the pattern of `tag` into bytes `range` of the block at `address`.
    func fill(_ address: UInt, tag: UInt32, _ range: Range<UInt>) {
        guard !range.isEmpty else { return }
        memcpy(address.modelPointer + Int(range.lowerBound), source(tag) + Int(range.lowerBound), Int(range.count))
    }

    /// Offset of the first byte in `range` of the block at `address` that
    /// differs from the pattern of `tag`, or `nil`.
    func firstMismatch(_ address: UInt, tag: UInt32, _ range: Range<UInt>) -> UInt? {
        guard !range.isEmpty else { return nil }
        let block = UnsafeRawPointer(address.modelPointer)
        let expected = source(tag)
        if memcmp(block + Int(range.lowerBound), expected + Int(range.lowerBound), Int(range.count)) == 0 { return nil }
        return range.first { block.load(fromByteOffset: Int($0), as: UInt8.self)
            != expected.load(fromByteOffset: Int($0), as: UInt8.self) }
    }

    /// The byte the pattern of `tag` has at `offset`.
    func expectedByte(tag: UInt32, at offset: UInt) -> UInt8 {
        source(tag).load(fromByteOffset: Int(offset), as: UInt8.self)
    }

    /// Offset of the first non-zero byte of the `count` bytes at `address`, or `nil`.
    func firstNonZero(_ address: UInt, _ count: UInt) -> UInt? {
        guard count > 0 else { return nil }
        let block = UnsafeRawPointer(address.modelPointer)
        if memcmp(block, zeros.baseAddress!, Int(count)) == 0 { return nil }
        return (0..<count).first { block.load(fromByteOffset: Int($0), as: UInt8.self) != 0 }
    }
}

/// A block the caller holds.
struct ModelBlock {
    var address: UInt
    /// Bytes asked for, all written with the pattern. A zero-byte block is
    /// never written (C forbids it; a checked build would see its canary
    /// overwritten) but still owns one byte for the overlap checks: the
    /// allocators promise a unique pointer.
    var size: UInt
    /// The alignment asked for (a power of two).
    var alignment: UInt
    /// Selects the block's pattern; kept across a realloc.
    var tag: UInt32
    /// Bump only: freed by the caller but still below the top, so still
    /// reserved. Its bytes must stay as written and nothing may overlap it.
    var retired = false

    /// Bytes no other block may share.
    var extent: UInt { size == 0 ? 1 : size }
    var end: UInt { address + extent }
}

extension ModelBlock: CustomStringConvertible {
    var description: String {
        "block \(address.hexText) size \(size) align \(alignment) tag \(tag)\(retired ? " (retired)" : "")"
    }
}

/// The blocks a caller holds, sorted by address, each filled with its
/// pattern. Every change is checked as it is made, so the set stays
/// disjoint by induction: a new or grown block is compared with its
/// neighbours only. ``verifyAll()`` re-checks everything from scratch.
final class ReferenceModel {
    let run: RandomRun
    /// Blocks must lie in `lower ..< upper`.
    let lower: UInt
    let upper: UInt
    let patterns: PatternSource

    private(set) var blocks: [ModelBlock] = []
    /// Requested bytes of the blocks not retired.
    private(set) var requestedBytes: UInt = 0
    /// Blocks not retired.
    private(set) var liveCount = 0
    private var nextTag: UInt32 = 0

    init(run: RandomRun, lower: UInt, upper: UInt) {
        self.run = run
        self.lower = lower
        self.upper = upper
        patterns = PatternSource(maxExtent: upper - lower, seed: run.seed)
    }

    var count: Int { blocks.count }
    var isEmpty: Bool { blocks.isEmpty }

    /// A tag for a new block.
    func newTag() -> UInt32 {
        nextTag &+= 1
        return nextTag
    }

    /// Index of the block that starts at `address`, or `nil`.
    func index(of address: UInt) -> Int? {
        let i = insertionIndex(address)
        return i < blocks.count && blocks[i].address == address ? i : nil
    }

    /// First index whose block starts at or above `address`.
    private func insertionIndex(_ address: UInt) -> Int {
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if blocks[middle].address < address { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Checks where the allocator put a new block: aligned as asked, inside
    /// the bounds, overlapping no block held. Returns its index in `blocks`,
    /// or `nil` after reporting what is wrong.
    func placement(of address: UInt, size: UInt, alignment: UInt, _ what: StaticString) -> Int? {
        let block = ModelBlock(address: address, size: size, alignment: alignment, tag: 0)
        guard run.expect(address % alignment == 0, "\(what) returned \(address.hexText), not aligned to \(alignment)"),
              run.expect(address >= lower && address <= upper && block.extent <= upper - address,
                         "\(what) returned \(block) outside \(lower.hexText) ..< \(upper.hexText)")
        else { return nil }
        let i = insertionIndex(address)
        if i > 0 {
            let before = blocks[i - 1]
            guard run.expect(before.end <= address, "\(what) returned \(block), which overlaps \(before)") else { return nil }
        }
        if i < blocks.count {
            let after = blocks[i]
            guard run.expect(block.end <= after.address, "\(what) returned \(block), which overlaps \(after)") else { return nil }
        }
        return i
    }

    /// Records a block that passed ``placement(of:size:alignment:_:)`` and
    /// writes its pattern from byte `keeping` on (the bytes below already
    /// hold it: a realloc carried them over).
    func record(_ address: UInt, size: UInt, alignment: UInt, tag: UInt32, at index: Int, keeping: UInt = 0) {
        let block = ModelBlock(address: address, size: size, alignment: alignment, tag: tag)
        blocks.insert(block, at: index)
        requestedBytes += size
        liveCount += 1
        patterns.fill(address, tag: tag, min(keeping, size)..<size)
    }

    /// Checks and records a fresh block; false (reported) when misplaced.
    @discardableResult
    func adopt(_ pointer: UnsafeMutableRawPointer, size: UInt, alignment: UInt, _ what: StaticString) -> Bool {
        let address = UInt(bitPattern: pointer)
        guard let i = placement(of: address, size: size, alignment: alignment, what) else { return false }
        record(address, size: size, alignment: alignment, tag: newTag(), at: i)
        return true
    }

    /// True when the first `limit` bytes of `block` (all of it by default)
    /// still hold its pattern; reports the first wrong byte otherwise.
    @discardableResult
    func verify(_ block: ModelBlock, upTo limit: UInt? = nil, _ what: @autoclosure () -> String) -> Bool {
        let range = 0..<min(limit ?? block.size, block.size)
        guard let bad = patterns.firstMismatch(block.address, tag: block.tag, range) else { return true }
        let found = block.address.modelPointer.load(fromByteOffset: Int(bad), as: UInt8.self)
        run.fail("\(what()): \(block) was overwritten at byte \(bad) "
                 + "(found \(found), wrote \(patterns.expectedByte(tag: block.tag, at: bad)))")
        return false
    }

    /// Forgets block `index` (freed, or moved by a realloc).
    @discardableResult
    func remove(at index: Int) -> ModelBlock {
        let block = blocks.remove(at: index)
        if !block.retired {
            requestedBytes -= block.size
            liveCount -= 1
        }
        return block
    }

    /// Marks block `index` freed but still reserved (a bump free that is a no-op).
    func retire(at index: Int) {
        guard !blocks[index].retired else { return }
        blocks[index].retired = true
        requestedBytes -= blocks[index].size
        liveCount -= 1
    }

    /// Forgets every block at or above `address` (a bump rewind); returns
    /// false (reported) if a block held below it reaches past it.
    @discardableResult
    func removeAll(from address: UInt) -> Bool {
        let i = insertionIndex(address)
        while blocks.count > i { remove(at: blocks.count - 1) }
        if let last = blocks.last {
            return run.expect(last.end <= address, "model: \(last) reaches past the rewind point \(address.hexText)")
        }
        return true
    }

    /// Forgets every block.
    func removeAll() {
        blocks.removeAll(keepingCapacity: true)
        requestedBytes = 0
        liveCount = 0
    }

    /// Block `index` was resized in place to `size`: checks that the kept
    /// bytes are intact and the new extent overlaps nothing, then writes
    /// the pattern into the grown part. False (reported) otherwise.
    @discardableResult
    func resize(at index: Int, to size: UInt, _ what: StaticString) -> Bool {
        let old = blocks[index]
        guard verify(old, upTo: size, "\(what) in place") else { return false }
        var grown = old
        grown.size = size
        guard run.expect(grown.extent <= upper - old.address, "\(what) in place grew \(old) past the end to \(size) bytes")
        else { return false }
        if index + 1 < blocks.count {
            let after = blocks[index + 1]
            guard run.expect(grown.end <= after.address, "\(what) in place grew \(old) to \(size) bytes, over \(after)")
            else { return false }
        }
        blocks[index] = grown
        requestedBytes = requestedBytes - old.size + size
        patterns.fill(old.address, tag: old.tag, min(old.size, size)..<size)
        return true
    }

    /// Every block from scratch: sorted and disjoint, aligned, inside the
    /// bounds, content intact. False (reported) at the first fault.
    @discardableResult
    func verifyAll() -> Bool {
        var previousEnd = lower
        for block in blocks {
            guard run.expect(block.address >= previousEnd, "\(block) overlaps the block before it"),
                  run.expect(block.address % block.alignment == 0, "\(block) is misaligned"),
                  run.expect(block.extent <= upper - block.address, "\(block) ends past \(upper.hexText)"),
                  verify(block, "full check")
            else { return false }
            previousEnd = block.end
        }
        return true
    }
}
