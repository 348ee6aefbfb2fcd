// The C allocation calls the fuzz program makes on either allocator
// (opcodes 2, 6, 7 and 8 of FuzzBumpRun.swift and FuzzSlabRun.swift):
// decoded, made, and held to what C promises whatever the allocator. Each
// run then checks a block against its own model.

#if !CAIRN_FUZZER
import Cairn
#endif

/// One decoded call.
enum FuzzCall {
    /// `allocate(byteCount:alignment:)`, any alignment (an invalid one is
    /// the allocator's to refuse, and the runs' models say how).
    case allocate(size: UInt, alignment: UInt)
    case posixMemalign(alignment: UInt, size: UInt)
    case calloc(count: UInt, size: UInt)
    case alignedAlloc(alignment: UInt, size: UInt)

    /// The call of opcode `opcode % 16` (2, 6, 7 or 8), its arguments read
    /// from `bytes` in the order they are written (Swift evaluates
    /// arguments left to right); `nil` for any other opcode (nothing read).
    init?(opcode: UInt8, _ bytes: inout FuzzBytes) {
        switch opcode % 16 {
        case 2: self = .allocate(size: bytes.size(), alignment: bytes.alignment())
        case 6: self = .posixMemalign(alignment: bytes.alignment(), size: bytes.size())
        case 7: self = .calloc(count: bytes.size(), size: bytes.size())
        case 8: self = .alignedAlloc(alignment: bytes.alignment(), size: bytes.size())
        default: return nil
        }
    }

    var label: String {
        switch self {
        case let .allocate(size, alignment): "allocate(\(size), align \(alignment))"
        case let .posixMemalign(alignment, size): "posix_memalign(\(alignment), \(size))"
        case let .calloc(count, size): "calloc(\(count), \(size))"
        case let .alignedAlloc(alignment, size): "aligned_alloc(\(alignment), \(size))"
        }
    }

    /// The block a valid call asks for (bytes, the alignment it must have,
    /// whether it must be zeroed), or `nil` when C refuses the call as
    /// invalid: EINVAL for an alignment that is not a power of two (below
    /// a pointer, for posix_memalign), NULL for a calloc whose product
    /// overflows.
    var request: (size: UInt, alignment: UInt, zeroed: Bool)? {
        switch self {
        case let .allocate(size, alignment):
            return (size, alignment, false)
        case let .posixMemalign(alignment, size):
            guard alignment >= CHeap.pointerSize, isPowerOfTwo(alignment) else { return nil }
            return (size, alignment, false)
        case let .calloc(count, size):
            let (total, overflow) = count.multipliedReportingOverflow(by: size)
            return overflow ? nil : (total, CHeap.fundamentalAlignment, true)
        case let .alignedAlloc(alignment, size):
            guard isPowerOfTwo(alignment) else { return nil }
            return (size, max(alignment, CHeap.pointerSize), false)
        }
    }

    /// Makes the call on `allocator` and checks the C contract: an invalid
    /// call returns no block, EINVAL where it has an error number, leaves
    /// posix_memalign's `out` untouched and reports no misuse; a valid one
    /// returns a block exactly when its error number is 0 (ENOMEM
    /// otherwise), and posix_memalign writes `out` only then. The block,
    /// or `nil` when the call failed or was invalid.
    func perform<A: RawAllocator & ~Copyable>(on allocator: inout A,
                                             _ context: @autoclosure () -> String) throws -> UnsafeMutableRawPointer? {
        let sentinel = UnsafeMutableRawPointer(bitPattern: 0xDEAD_0000)
        let block: UnsafeMutableRawPointer?
        var error: Int32 = 0
        switch self {
        case let .allocate(size, alignment):
            block = allocator.allocate(byteCount: size, alignment: alignment)
        case let .posixMemalign(alignment, size):
            var out = sentinel
            error = CHeap.posixMemalign(&allocator, &out, alignment: alignment, byteCount: size)
            try FuzzProgram.expect((error == 0) != (out == sentinel),
                                   "\(context()) \(label): returned \(error) and \(out == sentinel ? "left" : "wrote") out")
            block = error == 0 ? out : nil
        case let .calloc(count, size):
            block = CHeap.calloc(&allocator, count: count, size: size)
        case let .alignedAlloc(alignment, size):
            (block, error) = CHeap.alignedAlloc(&allocator, alignment: alignment, byteCount: size)
        }
        guard request != nil else {
            try FuzzProgram.expect(block == nil && (error == CHeap.EINVAL || self.isCalloc),
                                   "\(context()) \(label): invalid, returned \(block.map { UInt(bitPattern: $0).hexText } ?? "nil") and \(error)")
            try FuzzProgram.expectReports(0, "\(context()) \(label): invalid")
            return nil
        }
        try FuzzProgram.expect(error == (block == nil && self.hasErrorNumber ? CHeap.ENOMEM : 0),
                               "\(context()) \(label): returned \(block.map { UInt(bitPattern: $0).hexText } ?? "nil") and \(error)")
        return block
    }

    private var isCalloc: Bool {
        if case .calloc = self { return true }
        return false
    }

    /// posix_memalign and aligned_alloc say why they failed.
    private var hasErrorNumber: Bool {
        switch self {
        case .posixMemalign, .alignedAlloc: true
        case .allocate, .calloc: false
        }
    }
}
