#if !CAIRN_FUZZER
// Testable for the layout the models compare with their own: the arena's
// base and page shift, the page-state map, the fit heap's bounds.
@testable import Cairn
#endif

/// Where a slab put a block, as the models of a slab (the randomized runs,
/// the fuzz program, the unit tests' fixture) read it.
extension SlabAllocator {
    /// The number of the page holding `address`. Precondition: in the arena.
    func page(of address: UInt) -> UInt { (address - arenaBase) >> pageShift }

    /// True when `address` (in the arena) lies in a class page (the
    /// page-state map names a class); else it is fit-heap memory.
    func isInClassPage(_ address: UInt) -> Bool {
        pageState(page(of: address)) != PageDescriptor.notClassPage
    }

    /// The bytes the live block at `address` takes: its class's block size,
    /// or what its fit-heap block holds (its size less the 4-byte header).
    /// Precondition: a live block.
    func bytesTaken(byBlockAt address: UInt) -> UInt {
        let state = pageState(page(of: address))
        if state == PageDescriptor.notClassPage { return FitHeap.blockBytes(ofPayload: address) - FitHeap.headerBytes }
        return blockSize(ofClass: Int(state))
    }

    /// The fit-heap block (header included) that holds `bytes`: a 4-byte
    /// header, rounded up to 8, 16 bytes at least; `nil` when it is larger
    /// than the whole fit heap.
    func fitBlockBytes(holding bytes: UInt) -> UInt? {
        let capacity = fit.sentinel - fit.firstBlock
        guard bytes <= capacity else { return nil }
        let size = max(FitHeap.minimumBlock, (bytes + FitHeap.headerBytes + 7) & ~7)
        return size <= capacity ? size : nil
    }
}
