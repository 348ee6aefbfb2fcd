// The reference model shared by the randomized tests (Randomized/) and the
// fuzz program (Regressions/Program/, built into the libFuzzer target by
// mk/fuzz.mk): what the caller of an allocator knows of the blocks it
// holds. The fuzz target has no XCTest, so nothing in Model/ imports it:
// a check returns what is wrong, and the caller reports it its own way.

/// A block the caller holds.
struct ModelBlock {
    var address: UInt
    /// Bytes asked for. A zero-byte block still owns one byte for the
    /// placement checks (`extent`): the allocators promise a unique pointer.
    var size: UInt
    /// The alignment asked for (a power of two).
    var alignment: UInt = 1
    /// Selects the block's pattern (see ``BlockPatterns``).
    var tag: UInt32
    /// Bump only: freed by the caller but still below the top, so still
    /// reserved. Its bytes must stay as written and nothing may overlap it.
    var retired = false
    /// What a slab run of the fuzz program saw of the block when it was
    /// handed out: the bytes `usableSize` must report, whether it is a
    /// fit-heap block (a large request, or a class request served from the
    /// fit heap) rather than a block of a class page, and the bytes it
    /// takes (its class's block size, or what its fit-heap block holds:
    /// its size less the 4-byte header; the same as `usable` except in a
    /// checked build).
    var usable: UInt = 0
    var inFitHeap = false
    var reserved: UInt = 0

    /// Bytes no other block may share.
    var extent: UInt { max(size, 1) }
    var end: UInt { address + extent }

    /// Bytes the pattern covers: the extent, but in a checked build only
    /// the bytes asked for (the byte after them is the canary, and a
    /// zero-byte block has none to write).
    var written: UInt {
        #if CAIRN_CHECKED
        size
        #else
        extent
        #endif
    }

    /// What is wrong with where the allocator put this new block, or `nil`:
    /// it must be aligned as asked, lie inside `lower ..< upper`, and share
    /// no byte with any block of `held`.
    func misplacement(lower: UInt, upper: UInt, among held: some Sequence<ModelBlock>) -> String? {
        if alignment > 1 && address % alignment != 0 { return "\(self) is not aligned to \(alignment)" }
        guard address >= lower, address <= upper, extent <= upper - address else {
            return "\(self) lies outside \(lower.hexText) ..< \(upper.hexText)"
        }
        for other in held where address < other.end && other.address < end {
            return "\(self) overlaps \(other)"
        }
        return nil
    }
}

extension ModelBlock: CustomStringConvertible {
    var description: String {
        "block \(address.hexText) size \(size) align \(alignment) tag \(tag)\(retired ? " (retired)" : "")"
    }
}

extension UInt {
    /// The pointer at this address, which is never zero here (addresses
    /// come from blocks an allocator handed out).
    var modelPointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: self)! }

    /// This value as hex, for failure messages.
    var hexText: String { "0x" + String(self, radix: 16) }
}
