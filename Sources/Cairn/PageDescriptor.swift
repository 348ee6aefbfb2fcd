/// The side-table entry of one page: 16 bytes, indexed by page number.
///
/// User blocks carry no header; everything the allocator knows about a page
/// lives here, so `free(p)` finds it with a subtraction and a shift.
///
/// What the fields mean depends on `state`:
///
/// | state                 | freeList           | carved / used         | span        | next, prev          |
/// |-----------------------|--------------------|-----------------------|-------------|---------------------|
/// | class `c`             | first free block   | never-used offset / blocks not on the page's list | blocks per page | partial-page list |
/// | ``freeSpan``          | —                  | —                     | span pages  | bin list (head page only) |
/// | ``largeRun``          | —                  | —                     | run pages   | —                   |
/// | ``largeRunInterior``  | —                  | —                     | —           | —                   |
///
/// A free span marks its first and its last page ``freeSpan`` with its
/// length, so that freeing a neighbour can merge with it in O(1).
///
/// Invariant: every page of a free span other than its first and last is
/// ``largeRunInterior``, and so is every page of a run but its first.
/// Whatever leaves a span or a run re-marks its ends (`removeSpan`,
/// `releasePages`), so a span taken from the pool is interior throughout
/// and a run carved from it needs only its first page marked: O(1), and a
/// stray `free` into any other page is reported, never taken for a block.
struct PageDescriptor {
    /// Arena offset of this page's first free block, or ``noBlock``.
    /// Each free block holds the arena offset of the next in its first word.
    var freeList: UInt32
    /// Carved blocks of this page that are not on its own free list: blocks
    /// in use, plus (on the class's cache page) blocks in the class's cache,
    /// plus (checked builds) blocks in quarantine.
    var used: UInt16
    /// A class page: its capacity in blocks (a copy of the class's, so the
    /// fast paths test "full" and "empty" without reading the class).
    /// A free span or a large run: its page count (on its first and last page).
    var span: UInt16
    /// Offset inside the page of the first block never handed out: blocks are
    /// carved lazily, so taking a fresh page costs O(1), not O(blocks).
    var carved: UInt16
    /// A size-class index, or one of the states below.
    var state: UInt8
    var reserved: UInt8
    /// Doubly linked list of pages (the partial pages of a class, or the
    /// free spans of a bin), by page number; ``noPage`` ends it.
    var next: UInt16
    var prev: UInt16

    static let noBlock: UInt32 = .max
    static let noPage: UInt16 = .max
    static let freeSpan: UInt8 = 0xFF
    static let largeRun: UInt8 = 0xFE
    static let largeRunInterior: UInt8 = 0xFD
    /// States below this are size-class indices.
    static let firstSpecialState: UInt8 = 0xFD
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
/// the cache (O(1)), or a fresh page from the pool becomes the cache page.
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
    /// none of its blocks is in use (the class's kept page), until the pool
    /// runs dry.
    var cachePage: UInt16
    /// `ceil(2^32 / blockSize)`: `offsetInPage * reciprocal` (mod 2^32) is
    /// below `reciprocal` exactly when the offset is a multiple of the block
    /// size, for every offset below 2^16 (Lemire's divisibility test). That
    /// lets `free` reject interior pointers with one multiply and no divide.
    var reciprocal: UInt32
}
