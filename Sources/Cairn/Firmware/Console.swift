// Console output that never allocates: static text and numbers formatted
// into a stack buffer, written through cairn_platform_write. Reports use
// it, because printing through anything that allocates would re-enter the
// allocator being reported on.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

enum Console {
    static func write(_ text: StaticString) {
        text.withUTF8Buffer { bytes in
            bytes.baseAddress.map { base in
                cairn_platform_write(UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), bytes.count)
            }
        }
    }

    /// `count` spaces (none when `count` is not positive).
    static func writeSpaces(_ count: Int) {
        var left = count
        while left > 0 {
            write(" ")
            left -= 1
        }
    }

    /// `value` in decimal, right-aligned in `width` columns.
    static func write(_ value: UInt, width: Int = 0) {
        write(value, radix: 10, width: width)
    }

    /// `value` as 0x and eight hex digits.
    static func writeHex(_ value: UInt) {
        write("0x")
        write(value, radix: 16, width: 8, pad: UInt8(ascii: "0"))
    }

    private static func write(_ value: UInt, radix: UInt, width: Int, pad: UInt8 = UInt8(ascii: " ")) {
        // 24 bytes hold any 64-bit value in decimal (20 digits) and any width we use.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            var rest = value
            repeat {
                index -= 1
                let digit = UInt8(truncatingIfNeeded: rest % radix)
                buffer[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                rest /= radix
            } while rest != 0 && index > 0
            while buffer.count - index < width && index > 0 {
                index -= 1
                buffer[index] = pad
            }
            cairn_platform_write(buffer.baseAddress!.advanced(by: index).assumingMemoryBound(to: CChar.self),
                                 buffer.count - index)
        }
    }
}
#endif
