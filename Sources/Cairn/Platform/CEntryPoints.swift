// The Swift side of the C allocation hooks. cairn_hooks.c defines the
// standard names (malloc, free, posix_memalign, ...) with interrupts masked
// and calls these; each applies the C rule from CHeap to the platform heap.
#if hasFeature(Embedded) && os(none)
import CairnPlatform

@_cdecl("cairn_swift_posix_memalign")
func cairnPosixMemalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: UInt, _ size: UInt,
                        _ caller: UInt) -> Int32 {
    let result = CHeap.posixMemalign(&platformHeap, out, alignment: alignment, byteCount: size)
    if result == CHeap.ENOMEM && heapWasUnconfigured() {
        return CHeap.posixMemalign(&platformHeap, out, alignment: alignment, byteCount: size)
    }
    return result
}

@_cdecl("cairn_swift_malloc")
func cairnMalloc(_ size: UInt, _ caller: UInt) -> UnsafeMutableRawPointer? {
    if let block = CHeap.malloc(&platformHeap, byteCount: size) { return block }
    return heapWasUnconfigured() ? CHeap.malloc(&platformHeap, byteCount: size) : nil
}

@_cdecl("cairn_swift_free")
func cairnFree(_ pointer: UnsafeMutableRawPointer?, _ caller: UInt) {
    CHeap.free(&platformHeap, pointer, caller: caller)
}

@_cdecl("cairn_swift_calloc")
func cairnCalloc(_ count: UInt, _ size: UInt, _ caller: UInt) -> UnsafeMutableRawPointer? {
    if let block = CHeap.calloc(&platformHeap, count: count, size: size) { return block }
    return heapWasUnconfigured() ? CHeap.calloc(&platformHeap, count: count, size: size) : nil
}

@_cdecl("cairn_swift_realloc")
func cairnRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: UInt, _ caller: UInt) -> UnsafeMutableRawPointer? {
    if let block = CHeap.realloc(&platformHeap, pointer, byteCount: size, caller: caller) { return block }
    // Only a realloc(NULL, n) can be the first use of the heap.
    return pointer == nil && heapWasUnconfigured() ? CHeap.malloc(&platformHeap, byteCount: size) : nil
}

@_cdecl("cairn_swift_aligned_alloc")
func cairnAlignedAlloc(_ alignment: UInt, _ size: UInt, _ error: UnsafeMutablePointer<Int32>,
                       _ caller: UInt) -> UnsafeMutableRawPointer? {
    var (block, code) = CHeap.alignedAlloc(&platformHeap, alignment: alignment, byteCount: size)
    if code == CHeap.ENOMEM && heapWasUnconfigured() {
        (block, code) = CHeap.alignedAlloc(&platformHeap, alignment: alignment, byteCount: size)
    }
    error.pointee = code
    return block
}

@_cdecl("cairn_swift_usable_size")
func cairnUsableSize(_ pointer: UnsafeMutableRawPointer?) -> UInt {
    CHeap.usableSize(platformHeap, pointer)
}
#endif
