// The checked build (`CAIRN_CHECKED`): misuse is caught where it happens.
//
// Layout of a class block in a checked build:
//
//     live:         [ user bytes (size) | slack 0xCB ... | trailer ]
//     quarantined:  [ 0xDD ... 0xDD                               ]
//     free:         [ link | link ^ linkKey  | 0xDD ...           ]
//
// The trailer is the block's last word: the requested size in the low 16
// bits and its complement in the high 16, so a write past the end of the
// requested bytes shows either as a changed slack byte or a trailer that
// no longer checks. A fit-heap block has the same layout over the bytes
// its block holds; its size may not fit 16 bits, so its trailer holds the
// slack's length instead (the bytes between the request and the trailer),
// twice, XOR ``largeTrailerKey``: a write that changes part of it breaks the
// repetition.
//
// Freed blocks are poisoned and wait in a small quarantine ring before they
// reach a free list, and the poison is verified when they leave it and
// again when they are handed out: a write after free is reported with the
// block's address and class.
#if CAIRN_CHECKED
extension SlabAllocator {
    /// Extra bytes a checked build reserves per block.
    public static let blockOverhead: UInt = 4
    static let poisonByte: UInt8 = 0xDD
    static let poisonWord: UInt32 = 0xDDDD_DDDD
    static let slackByte: UInt8 = 0xCB

    static func quarantineSlots(_ configuration: SlabConfiguration) -> UInt {
        configuration.quarantineSlots
    }

    /// Allocates `byteCount` plus the canary and arms the canary.
    mutating func allocateChecked(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        guard byteCount <= UInt.max &- Self.blockOverhead else {
            outOfMemoryCount &+= 1
            return nil
        }
        guard let pointer = allocateBlockOrLarge(byteCount: byteCount &+ Self.blockOverhead, alignment: alignment)
        else { return nil }
        let block = address(of: pointer)
        let page = (block &- arenaBase) &>> pageShift
        arm(block, page: page, state: pageState(page), size: byteCount)
        requestedBytes &+= byteCount
        return pointer
    }

    /// Writes the slack pattern and the trailer for a block holding `size`
    /// requested bytes.
    mutating func arm(_ block: UInt, page: UInt, state: UInt8, size: UInt) {
        if state == PageDescriptor.notClassPage {
            let usable = Self.usableSize(ofLargeBlock: block)
            fillBytes(block &+ size, Self.slackByte, usable &- 4 &- size)
            storeWord(Self.largeTrailer(slack: usable &- 4 &- size), block &+ usable &- 4)
            return
        }
        let blockSize = UInt(classRecord(UInt(state)).pointee.blockSize)
        fillBytes(block &+ size, Self.slackByte, blockSize &- Self.blockOverhead &- size)
        storeWord(Self.trailer(size), block &+ blockSize &- 4)
    }

    static func trailer(_ size: UInt) -> UInt32 {
        let low = UInt32(truncatingIfNeeded: size) & 0xFFFF
        return low | ((~low & 0xFFFF) &<< 16)
    }

    /// A fit-heap block's trailer: its requested size XOR this key.
    static let largeTrailerKey: UInt32 = 0x5AFE_C0DE

    /// A fit-heap block's trailer for `slack` bytes between its request and
    /// the trailer. Precondition: `slack < 2^16` (a fit-heap block is cut to
    /// its request; a class-sized one served by the fit heap is at most one
    /// class step larger).
    static func largeTrailer(slack: UInt) -> UInt32 {
        let low = UInt32(truncatingIfNeeded: slack) & 0xFFFF
        return (low | low &<< 16) ^ largeTrailerKey
    }

    /// The requested size of a live fit-heap block, or `nil` when its
    /// trailer is broken.
    func requestedSize(ofLargeBlock block: UInt) -> UInt? {
        let usable = Self.usableSize(ofLargeBlock: block)
        let word = loadWord(block &+ usable &- 4) ^ Self.largeTrailerKey
        let slack = UInt(word & 0xFFFF)
        guard word &>> 16 == word & 0xFFFF, slack &+ 4 <= usable else { return nil }
        return usable &- 4 &- slack
    }

    /// True when the slack after a live fit-heap block's `size` requested
    /// bytes is intact.
    func largeCanaryIsIntact(_ block: UInt, size: UInt) -> Bool {
        poisonIsIntact(block, from: size, blockSize: Self.usableSize(ofLargeBlock: block) &- 4, byte: Self.slackByte)
    }

    /// The requested size of a live block, or `nil` when its trailer is broken.
    @inline(__always)
    func requestedSize(ofLiveBlock block: UInt, page: UInt, state: UInt8) -> UInt? {
        if state == PageDescriptor.notClassPage { return requestedSize(ofLargeBlock: block) }
        let blockSize = UInt(classRecord(UInt(state)).pointee.blockSize)
        let word = loadWord(block &+ blockSize &- 4)
        let size = word & 0xFFFF
        guard word &>> 16 == ~size & 0xFFFF, UInt(size) &+ Self.blockOverhead <= blockSize else { return nil }
        return UInt(size)
    }

    /// True when the canary of a live block is intact.
    func canaryIsIntact(_ block: UInt, page: UInt, state: UInt8) -> Bool {
        guard let size = requestedSize(ofLiveBlock: block, page: page, state: state) else { return false }
        if state == PageDescriptor.notClassPage { return largeCanaryIsIntact(block, size: size) }
        return poisonIsIntact(block, from: size, blockSize: UInt(classRecord(UInt(state)).pointee.blockSize) &- 4,
                              byte: Self.slackByte)
    }

    /// True when bytes `from ..< blockSize` of `block` all hold `byte` (the
    /// poison unless told otherwise).
    func poisonIsIntact(_ block: UInt, from start: UInt, blockSize: UInt, byte: UInt8 = poisonByte) -> Bool {
        var offset = start
        while offset < blockSize {
            if rawPointer(block &+ offset).load(as: UInt8.self) != byte { return false }
            offset &+= 1
        }
        return true
    }

    /// Reports a write after free when the poison of a block is broken.
    /// `caller` is whoever made the call that noticed (0 for an allocation).
    mutating func verifyPoison(_ block: UInt, from start: UInt, blockSize: UInt, page: UInt, caller: UInt = 0) {
        if !poisonIsIntact(block, from: start, blockSize: blockSize) {
            let state = pageState(page)
            Self.reportMisuse(&self, .writeAfterFree, block,
                              state == PageDescriptor.notClassPage ? -1 : Int(state), caller)
        }
    }

    /// The one walk of the quarantine ring at `ring`, of `slots` slots:
    /// passes the address of each slot, and the arena offset it holds
    /// (``PageDescriptor/noBlock`` when empty), to `visit`, until `visit`
    /// returns false. O(slots). (Over the two fields, so that `visit` may
    /// change the allocator.)
    @inline(__always)
    static func forEachQuarantineSlot(ring: UInt, slots: UInt, _ visit: (_ slot: UInt, _ offset: UInt32) -> Bool) {
        var slot: UInt = 0
        while slot < slots {
            let address = ring &+ slot &* 4
            if !visit(address, loadWord(address)) { return }
            slot &+= 1
        }
    }

    /// True when the block at arena offset `offset` waits in quarantine.
    @inline(__always)
    func isQuarantined(_ offset: UInt) -> Bool {
        var found = false
        Self.forEachQuarantineSlot(ring: quarantine, slots: quarantineSlots) { _, held in
            found = UInt(held) == offset
            return !found
        }
        return found
    }

    /// Checks a block being freed, poisons it and puts it in quarantine.
    /// Returns the arena offset of the block to release now (the one that
    /// left quarantine, or this one when there is no quarantine), or `nil`.
    mutating func quarantineBlock(offset: UInt, page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>,
                                  caller: UInt) -> UInt? {
        let block = arenaBase &+ offset
        let state = pageState(page)
        if isQuarantined(offset) {
            Self.reportMisuse(&self, .doubleFree, block, Int(state), caller)
            return nil
        }
        guard let size = requestedSize(ofLiveBlock: block, page: page, state: state),
              canaryIsIntact(block, page: page, state: state)
        else {
            Self.reportMisuse(&self, .bufferOverflow, block, Int(state), caller)
            return nil
        }
        requestedBytes &-= size
        fillBytes(block, Self.poisonByte, UInt(record.pointee.blockSize))
        return enterQuarantine(offset, caller: caller)
    }

    /// A large block being freed, checked and poisoned, waits in quarantine
    /// too (still a live fit-heap block, so a write after free lands in
    /// memory the fit heap does not use yet, not on its free links, and is
    /// caught when the block leaves). Precondition: `block` is a live
    /// fit-heap block.
    mutating func quarantineLargeBlock(_ block: UInt, caller: UInt) {
        let offset = block &- arenaBase
        if isQuarantined(offset) {
            return Self.reportMisuse(&self, .doubleFree, block, -1, caller)
        }
        guard let size = requestedSize(ofLargeBlock: block), largeCanaryIsIntact(block, size: size) else {
            return Self.reportMisuse(&self, .bufferOverflow, block, -1, caller)
        }
        requestedBytes &-= size
        fillBytes(block, Self.poisonByte, Self.usableSize(ofLargeBlock: block))
        quarantinedLargeCount &+= 1
        if let released = enterQuarantine(offset, caller: caller) { releaseBlock(offset: released) }
    }

    /// Puts the block at arena offset `offset` (checked and poisoned) in
    /// the quarantine ring; returns the offset of the block to release now:
    /// the one that left (its poison verified), or this one when there is
    /// no quarantine, or `nil`.
    mutating func enterQuarantine(_ offset: UInt, caller: UInt) -> UInt? {
        guard quarantineSlots != 0 else { return offset }
        let slot = quarantine &+ quarantineNext &* 4
        let evicted = loadWord(slot)
        storeWord(UInt32(truncatingIfNeeded: offset), slot)
        quarantineNext = quarantineNext &+ 1 == quarantineSlots ? 0 : quarantineNext &+ 1
        if evicted == PageDescriptor.noBlock {
            quarantineCount &+= 1
            return nil
        }
        checkLeavingQuarantine(UInt(evicted), caller: caller)
        return UInt(evicted)
    }

    /// The bytes a quarantined block holds: its class's block size, or what
    /// its fit-heap block holds.
    func quarantinedBlockBytes(_ offset: UInt) -> UInt {
        let state = pageState(offset &>> pageShift)
        if state == PageDescriptor.notClassPage { return Self.usableSize(ofLargeBlock: arenaBase &+ offset) }
        return UInt(classRecord(UInt(state)).pointee.blockSize)
    }

    /// A block leaving quarantine must still be all poison.
    mutating func checkLeavingQuarantine(_ offset: UInt, caller: UInt = 0) {
        let page = offset &>> pageShift
        verifyPoison(arenaBase &+ offset, from: 0, blockSize: quarantinedBlockBytes(offset), page: page, caller: caller)
    }

    /// Releases a block that left quarantine: onto its page's free list, or
    /// back to the fit heap.
    mutating func releaseBlock(offset: UInt) {
        let page = offset &>> pageShift
        let state = pageState(page)
        guard state != PageDescriptor.notClassPage else {
            quarantinedLargeCount &-= 1
            return Self.releaseFitBlock(&self, arenaBase &+ offset)
        }
        releaseBlock(offset: offset, page: page, descriptor(page), classRecord(UInt(state)))
    }

    /// Bytes of the fit-heap blocks of the large blocks waiting in
    /// quarantine, headers included.
    func quarantinedLargeBytes() -> UInt {
        var bytes: UInt = 0
        Self.forEachQuarantineSlot(ring: quarantine, slots: quarantineSlots) { _, offset in
            if offset != PageDescriptor.noBlock, pageState(UInt(offset) &>> pageShift) == PageDescriptor.notClassPage {
                bytes &+= FitHeap.blockBytes(ofPayload: arenaBase &+ UInt(offset))
            }
            return true
        }
        return bytes
    }

    /// Bytes of the blocks waiting in quarantine (of one class, or of all).
    func quarantinedBytes(ofClass sizeClass: UInt?) -> UInt {
        var bytes: UInt = 0
        Self.forEachQuarantineSlot(ring: quarantine, slots: quarantineSlots) { _, offset in
            if offset != PageDescriptor.noBlock {
                let state = UInt(pageState(UInt(offset) &>> pageShift))
                if sizeClass == nil || sizeClass == state { bytes &+= quarantinedBlockBytes(UInt(offset)) }
            }
            return true
        }
        return bytes
    }

    /// Empties the quarantine (memory is short). True when any block left.
    mutating func flushQuarantine() -> Bool {
        var released = false
        Self.forEachQuarantineSlot(ring: quarantine, slots: quarantineSlots) { slot, offset in
            guard offset != PageDescriptor.noBlock else { return true }
            storeWord(PageDescriptor.noBlock, slot)
            checkLeavingQuarantine(UInt(offset))
            releaseBlock(offset: UInt(offset))
            released = true
            return true
        }
        quarantineCount = 0
        quarantinedLargeCount = 0
        quarantineNext = 0
        return released
    }

    /// Checked `resizeInPlace`: the block keeps room for its canary.
    mutating func resizeCheckedInPlace(_ block: UInt, page: UInt, state: UInt8, byteCount: UInt) -> Bool {
        guard byteCount <= UInt.max &- Self.blockOverhead else { return false }
        let needed = byteCount &+ Self.blockOverhead
        // Read before resizing: a fit-heap block's trailer moves with its end.
        let previous = requestedSize(ofLiveBlock: block, page: page, state: state) ?? 0
        if state == PageDescriptor.notClassPage {
            guard Self.resizeLarge(&self, block, byteCount: needed) else { return false }
        } else if needed > UInt(classRecord(UInt(state)).pointee.blockSize) {
            return false
        }
        requestedBytes &-= previous
        arm(block, page: page, state: state, size: byteCount)
        requestedBytes &+= byteCount
        return true
    }

    /// Integrity of the blocks of one class page: live blocks have intact
    /// canaries, quarantined blocks are all poison, free blocks keep their
    /// poison after the link and mark.
    func checkBlocks(ofPage page: UInt) -> IntegrityProblem? {
        let d = descriptor(page)
        let state = pageState(page)
        let record = classRecord(UInt(state))
        let blockSize = UInt(record.pointee.blockSize)
        let pageStart = page &<< pageShift
        var inPage: UInt = 0
        while inPage < UInt(d.pointee.carved) {
            let block = arenaBase &+ pageStart &+ inPage
            let offset = UInt32(truncatingIfNeeded: pageStart &+ inPage)
            if Self.looksFree(block, key: linkKey), Self.freeListsHold(offset, page: page, d, record, arenaBase: arenaBase, key: linkKey, pageMask: pageMask) {
                if !poisonIsIntact(block, from: 8, blockSize: blockSize) { return .freeBlockOverwritten }
            } else if isQuarantined(UInt(offset)) {
                if !poisonIsIntact(block, from: 0, blockSize: blockSize) { return .freeBlockOverwritten }
            } else if !canaryIsIntact(block, page: page, state: state) {
                // A free block whose link was overwritten no longer looks
                // free: the list walk tells it from a live block.
                return Self.freeListsHold(offset, page: page, d, record, arenaBase: arenaBase, key: linkKey, pageMask: pageMask) ? .freeBlockOverwritten : .blockCanary
            }
            inPage &+= blockSize
        }
        return nil
    }
}
#else
extension SlabAllocator {
    /// Extra bytes a checked build reserves per block (none in this build).
    public static let blockOverhead: UInt = 0

    static func quarantineSlots(_ configuration: SlabConfiguration) -> UInt { 0 }
}
#endif
