// What the firmware does when the heap sees misuse: one report line on the
// console, naming the kind, the address, the size class and the caller.
// Checked builds (CAIRN_CHECKED) then stop with a non-zero exit; release
// builds carry on with the bad request ignored, and pass a heap corruption
// to the hook the firmware set (`cairn_set_corruption_hook`).
#if hasFeature(Embedded) && os(none)
import CairnPlatform

/// The firmware's ``MisuseHandler`` (a plain function, so that the global
/// heap that names it is laid out at link time, with no initialiser).
func reportMisuseAndMaybeStop(_ kind: UInt8, _ address: UInt, _ sizeClass: Int, _ blockSize: UInt, _ caller: UInt) {
    Console.write("cairn: ")
    switch MisuseKind(rawValue: kind) {
    case .foreignPointer: Console.write("free of a pointer outside the heap")
    case .notBlockStart: Console.write("free of a pointer that is not the start of a block")
    case .doubleFree: Console.write("double free")
    case .bufferOverflow: Console.write("write past the end of a block")
    case .writeAfterFree: Console.write("write to a block after it was freed")
    case .invalidMark: Console.write("rewind to an invalid mark")
    case .heapCorruption: Console.write("heap corruption (a free-list link or heap metadata was overwritten)")
    case nil: Console.write("unknown misuse")
    }
    Console.write(" at ")
    Console.writeHex(address)
    if sizeClass >= 0 {
        Console.write(", class ")
        Console.write(UInt(sizeClass))
        Console.write(" (")
        Console.write(blockSize)
        Console.write("-byte blocks)")
    }
    Console.write(", caller ")
    Console.writeHex(caller)
    Console.write("\n")
    #if CAIRN_CHECKED
    cairn_platform_fatal()
    #else
    if kind == MisuseKind.heapCorruption.rawValue, let hook = corruptionHook {
        hook(rawPointer(address), Int32(truncatingIfNeeded: sizeClass))
    }
    #endif
}

/// What release builds call after reporting a heap corruption, or nil.
/// Set with `cairn_set_corruption_hook`; called with interrupts masked.
nonisolated(unsafe) var corruptionHook: cairn_corruption_hook? = nil

/// `cairn_set_corruption_hook`.
@c(cairn_swift_set_corruption_hook)
func cairnSetCorruptionHook(_ hook: cairn_corruption_hook?) {
    let saved = cairn_enter()
    defer { cairn_leave(saved) }
    corruptionHook = hook
}
#endif
