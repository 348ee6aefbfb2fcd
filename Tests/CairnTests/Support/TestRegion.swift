import Cairn

/// A heap-allocated region for an allocator under test, aligned like a
/// firmware's static heap array, freed when the test ends.
final class TestRegion {
    let buffer: UnsafeMutableRawBufferPointer

    init(bytes: Int, alignment: Int = 4096) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: alignment)
        // A pattern, not zeros: the allocators must not rely on zeroed memory.
        buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
    }

    deinit { buffer.deallocate() }

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
