import Cairn

/// A heap-allocated region for an allocator under test, freed when the
/// test ends: `bytes` bytes from `offset` bytes into an allocation aligned
/// like a firmware's static heap array (an offset places the region off
/// any alignment, as a linker may).
final class TestRegion {
    let buffer: UnsafeMutableRawBufferPointer
    private let allocation: UnsafeMutableRawBufferPointer

    init(bytes: Int, offset: Int = 0, alignment: Int = 4096) {
        allocation = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes + offset, alignment: alignment)
        // A pattern, not zeros: the allocators must not rely on zeroed memory.
        allocation.initializeMemory(as: UInt8.self, repeating: 0xA5)
        buffer = UnsafeMutableRawBufferPointer(rebasing: allocation[offset...])
    }

    deinit { allocation.deallocate() }

    var start: UInt { UInt(bitPattern: buffer.baseAddress) }
    var end: UInt { start + UInt(buffer.count) }

    func contains(_ pointer: UnsafeMutableRawPointer, bytes: UInt) -> Bool {
        let p = UInt(bitPattern: pointer)
        return p >= start && p + bytes <= end
    }
}

extension UnsafeMutableRawPointer {
    var address: UInt { UInt(bitPattern: self) }
}
