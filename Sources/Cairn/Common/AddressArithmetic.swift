// Overflow-checked size and address arithmetic.
//
// Every size that reaches an allocator comes from a caller and may be hostile
// (`malloc(SIZE_MAX)`, `calloc(n, m)` with a wrapping product). These helpers
// are generic over the integer width so that the host tests can prove them on
// `UInt32`, the width of `size_t` on Cortex-M, while the allocators use `UInt`.

/// True when `value` is a power of two. Zero is not.
@inline(__always)
public func isPowerOfTwo<T: FixedWidthInteger & UnsignedInteger>(_ value: T) -> Bool {
    value != 0 && value & (value &- 1) == 0
}

/// `value` rounded up to a multiple of `alignment`, or `nil` when that does
/// not fit in `T`. Precondition: `alignment` is a power of two.
@inline(__always)
public func roundUp<T: FixedWidthInteger & UnsignedInteger>(_ value: T, toMultipleOf alignment: T) -> T? {
    let mask = alignment &- 1
    let (sum, overflow) = value.addingReportingOverflow(mask)
    return overflow ? nil : sum & ~mask
}

/// `value` rounded down to a multiple of `alignment`.
/// Precondition: `alignment` is a power of two.
@inline(__always)
public func roundDown<T: FixedWidthInteger & UnsignedInteger>(_ value: T, toMultipleOf alignment: T) -> T {
    value & ~(alignment &- 1)
}

/// `a + b`, or `nil` on overflow.
@inline(__always)
public func checkedAdd<T: FixedWidthInteger & UnsignedInteger>(_ a: T, _ b: T) -> T? {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? nil : sum
}

/// `a * b`, or `nil` on overflow (the `calloc` rule).
@inline(__always)
public func checkedMultiply<T: FixedWidthInteger & UnsignedInteger>(_ a: T, _ b: T) -> T? {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : product
}

/// Index of the highest set bit. Undefined for zero.
@inline(__always)
func floorLog2(_ value: UInt) -> UInt {
    UInt(UInt.bitWidth - 1 - value.leadingZeroBitCount)
}

/// Smallest `k` with `2^k >= value`. Undefined for zero.
@inline(__always)
func ceilLog2(_ value: UInt) -> UInt {
    value == 1 ? 0 : floorLog2(value &- 1) &+ 1
}
