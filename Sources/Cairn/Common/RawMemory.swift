// The one place where addresses become memory accesses.
//
// Allocator state refers to memory by address (`UInt`) rather than by
// pointer so that an unconfigured allocator is all zeros (a firmware global
// needs no initialiser code) and so that offset arithmetic reads plainly.
// Invariant for every function here: the caller has checked that `address`
// lies inside memory the allocator owns and is aligned for the access.

@inline(__always)
func rawPointer(_ address: UInt) -> UnsafeMutableRawPointer {
    // Callers never pass zero: every address here is inside a region.
    UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
}

@inline(__always)
func address(of pointer: UnsafeRawPointer) -> UInt {
    UInt(bitPattern: pointer)
}

@inline(__always)
func address(of pointer: UnsafeMutableRawPointer) -> UInt {
    UInt(bitPattern: pointer)
}

/// Reads the 32-bit word at `address` (4-byte aligned).
@inline(__always)
func loadWord(_ address: UInt) -> UInt32 {
    rawPointer(address).load(as: UInt32.self)
}

/// Writes the 32-bit word at `address` (4-byte aligned).
///
/// A typed store through memory bound to `UInt32` (binding is free at run
/// time; the word belongs to the allocator while it writes it), not
/// `storeBytes`: that one accepts any alignment, which on a core without
/// unaligned access (Cortex-M0) costs four byte stores and three shifts.
@inline(__always)
func storeWord(_ value: UInt32, _ address: UInt) {
    rawPointer(address).bindMemory(to: UInt32.self, capacity: 1).pointee = value
}

/// A typed view of a table entry at `address` (aligned for `T`).
@inline(__always)
func entry<T>(_ type: T.Type, at address: UInt) -> UnsafeMutablePointer<T> {
    rawPointer(address).assumingMemoryBound(to: T.self)
}

/// Fills `count` bytes at `address` with `byte` (the C library's `memset`).
@inline(__always)
func fillBytes(_ address: UInt, _ byte: UInt8, _ count: UInt) {
    rawPointer(address).initializeMemory(as: UInt8.self, repeating: byte, count: Int(count))
}

/// Copies `count` bytes; the ranges do not overlap (the C library's `memcpy`).
@inline(__always)
func copyBytes(from source: UInt, to destination: UInt, _ count: UInt) {
    rawPointer(destination).copyMemory(from: UnsafeRawPointer(rawPointer(source)), byteCount: Int(count))
}
