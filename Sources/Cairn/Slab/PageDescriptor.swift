/// What the allocator knows about one class page: 16 bytes near the page's
/// end (as in Bonwick's slab for small objects), so that only pages in use
/// carry a descriptor and `free(p)` finds it from the page's address.
/// User blocks carry no header.
///
/// Which pages are class pages, and of which class, is the page-state map
/// (one byte a page, see ``SlabLayout``); every other byte of the arena
/// belongs to the fit heap (``FitHeap``), which also holds the class
/// pages themselves, each as one block aligned to the page size:
///
///     page start                                      page end
///     [ blocks ... | unused | descriptor (16) | header (4) ]
///
/// The page's fit-heap block starts 4 bytes before the page (its header)
/// and ends 4 bytes before the page's end, where the header of the next
/// fit-heap block lies: a class page is exactly one page of the fit heap,
/// so class pages can sit side by side.
struct PageDescriptor {
    /// Arena offset of this page's first free block, or ``noBlock``.
    /// Each free block holds the arena offset of the next in its first word.
    var freeList: UInt32
    /// Carved blocks of this page that are not on its own free list: blocks
    /// in use, plus (on the class's cache page) blocks in the class's cache,
    /// plus (checked builds) blocks in quarantine.
    var used: UInt16
    /// `used` XOR the low half of the link key, moved by every change of
    /// `used` (see ``SlabAllocator/setUsed(_:_:)``): `used` lies where an
    /// overflow of the page's last block reaches it, and a forged 0 would
    /// send blocks in use back to the fit heap. A page goes back only when
    /// the two agree (``SlabAllocator/usedIsIntact(_:)``).
    var usedCheck: UInt16
    /// Offset inside the page of the first block never handed out: blocks are
    /// carved lazily, so taking a fresh page costs O(1), not O(blocks).
    var carved: UInt16
    /// `carved` XOR the low half of the link key: the descriptor lies where
    /// an overflow can reach, and a forged lower `carved` would hand out
    /// blocks in use again (see ``SlabAllocator/carvedLimitIsIntact(_:)``).
    var carvedCheck: UInt16
    /// Doubly linked list of the partial pages of a class, by page number;
    /// ``noPage`` ends it.
    var next: UInt16
    var prev: UInt16

    static let noBlock: UInt32 = .max
    static let noPage: UInt16 = .max
    /// Bytes at a page's end that hold no block: the descriptor and the
    /// next fit-heap block's header.
    static let pageTail: UInt = 20
    /// Page-state map entry of a page that is not a class page (fit heap).
    static let notClassPage: UInt8 = 0xFF
}

/// One size class: 16 bytes in the metadata area.
///
/// The class allocates from its *cache*: a list of free blocks, all from
/// one page (``cachePage``), popped with two loads and two stores. Blocks
/// freed into the cache page go straight back onto the cache; blocks freed
/// into the class's other pages go onto those pages' own free lists, so a
/// page whose blocks are all free can leave the class in O(1). When the
/// cache is empty, the cache page's never-used tail is carved one block at
/// a time; when that is gone too, a partial page's whole free list becomes
/// the cache (O(1)), or a fresh page from the fit heap becomes the cache page.
struct SizeClassRecord {
    /// Arena offset of the first block of the cache, or ``PageDescriptor/noBlock``.
    /// Each cached block holds the offset of the next and the free mark.
    var cacheHead: UInt32
    var blockSize: UInt16
    var blocksPerPage: UInt16
    /// First page other than the cache page with a block on its own free
    /// list, or ``PageDescriptor/noPage``. At most one page on this list
    /// has no block in use: the class keeps an emptied page only when it
    /// would be the list's only page.
    var partialHead: UInt16
    /// The page the cache's blocks come from, or ``PageDescriptor/noPage``.
    /// Its own free list is always empty, and it is the only page of the
    /// class that may be partly carved; it stays with the class even when
    /// none of its blocks is in use (the class's kept page), until the fit
    /// heap cannot serve a request.
    var cachePage: UInt16
    /// `ceil(2^32 / blockSize)`: `offsetInPage * reciprocal` (mod 2^32) is
    /// below `reciprocal` exactly when the offset is a multiple of the block
    /// size, for every offset below 2^16 (Lemire's divisibility test). That
    /// lets `free` reject interior pointers with one multiply and no divide.
    var reciprocal: UInt32
}
