/// The blocks a caller holds, sorted by address, each filled with its
/// pattern. Every change is checked as it is made, so the set stays
/// disjoint by induction: a new or grown block is compared with its
/// neighbours only. ``verifyAll()`` re-checks everything from scratch.
///
/// A fault goes to `report` (the randomized tests pass their run's
/// failure report) and the call returns false or `nil`.
final class ReferenceModel {
    /// Blocks must lie in `lower ..< upper`.
    let lower: UInt
    let upper: UInt
    let patterns: BlockPatterns
    private let report: (String) -> Void

    private(set) var blocks: [ModelBlock] = []
    /// Requested bytes of the blocks not retired.
    private(set) var requestedBytes: UInt = 0
    /// Blocks not retired.
    private(set) var liveCount = 0
    private var nextTag: UInt32 = 0

    init(lower: UInt, upper: UInt, report: @escaping (String) -> Void) {
        self.lower = lower
        self.upper = upper
        self.report = report
        patterns = BlockPatterns(lower: lower, upper: upper)
    }

    /// Reports `message` unless `condition`; returns `condition`.
    private func expect(_ condition: Bool, _ message: @autoclosure () -> String) -> Bool {
        if !condition { report(message()) }
        return condition
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
    /// the bounds, overlapping no block held (its neighbours, by induction).
    /// Returns its index in `blocks`, or `nil` after reporting what is wrong.
    func placement(of address: UInt, size: UInt, alignment: UInt, _ what: StaticString) -> Int? {
        let block = ModelBlock(address: address, size: size, alignment: alignment, tag: 0)
        let i = insertionIndex(address)
        let neighbours = blocks[max(i, 1) - 1 ..< min(i + 1, blocks.count)]
        if let problem = block.misplacement(lower: lower, upper: upper, among: neighbours) {
            report("\(what) returned \(problem)")
            return nil
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
        patterns.fill(block, min(keeping, block.written)..<block.written)
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
        guard let damage = patterns.damage(block, upTo: limit) else { return true }
        report("\(what()): \(damage)")
        return false
    }

    /// A realloc moved block `index` to `address` (`size` bytes at
    /// `alignment`): checks the new place and that min(old, new) bytes came
    /// along, records the new block with the old one's pattern, and forgets
    /// the old one, or keeps it retired when the allocator only retires it
    /// (`released` false: a bump block below the top). The index of the new
    /// block, or `nil` (reported).
    func move(at index: Int, to address: UInt, size: UInt, alignment: UInt, released: Bool,
              _ what: StaticString) -> Int? {
        let old = blocks[index]
        guard let slot = placement(of: address, size: size, alignment: alignment, what) else { return nil }
        let kept = min(old.size, size)
        let moved = ModelBlock(address: address, size: size, alignment: alignment, tag: old.tag)
        if let damage = patterns.damage(moved, upTo: kept, writtenAt: old.address) {
            report("\(what) of \(old) to \(size) carrying \(kept) bytes: \(damage)")
            return nil
        }
        patterns.carry(from: old.address, to: address, count: min(kept, moved.written))
        record(address, size: size, alignment: alignment, tag: old.tag, at: slot, keeping: kept)
        let oldIndex = self.index(of: old.address)!
        if released {
            remove(at: oldIndex)
        } else {
            retire(at: oldIndex)
        }
        return self.index(of: address)
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
            return expect(last.end <= address, "model: \(last) reaches past the rewind point \(address.hexText)")
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
        var grown = old
        grown.size = size
        let kept = min(old.written, grown.written)
        guard verify(old, upTo: kept, "\(what) in place") else { return false }
        guard expect(grown.extent <= upper - old.address, "\(what) in place grew \(old) past the end to \(size) bytes")
        else { return false }
        if index + 1 < blocks.count {
            let after = blocks[index + 1]
            guard expect(grown.end <= after.address, "\(what) in place grew \(old) to \(size) bytes, over \(after)")
            else { return false }
        }
        blocks[index] = grown
        requestedBytes = requestedBytes - old.size + size
        patterns.fill(grown, kept..<grown.written)
        return true
    }

    /// Every block from scratch: sorted and disjoint, aligned, inside the
    /// bounds, content intact. False (reported) at the first fault.
    @discardableResult
    func verifyAll() -> Bool {
        var previousEnd = lower
        for block in blocks {
            guard expect(block.address >= previousEnd, "\(block) overlaps the block before it"),
                  expect(block.address % block.alignment == 0, "\(block) is misaligned"),
                  expect(block.extent <= upper - block.address, "\(block) ends past \(upper.hexText)"),
                  verify(block, "full check")
            else { return false }
            previousEnd = block.end
        }
        return true
    }
}
