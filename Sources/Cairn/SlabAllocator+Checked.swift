// The checked build (`CAIRN_CHECKED`): misuse is caught where it happens.
//
// Layout of a class block in a checked build:
//
//     live:         [ user bytes (size) | slack 0xCB ... | trailer ]
//     quarantined:  [ 0xDD ... 0xDD                               ]
//     free:         [ link | link ^ freeMark | 0xDD ...           ]
//
// The trailer is the block's last word: the requested size in the low 16
// bits and its complement in the high 16, so a write past the end of the
// requested bytes shows either as a changed slack byte or a trailer that
// no longer checks. A run keeps its requested size in its head descriptor
// and four 0xCB canary bytes right after it.
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
        guard let pointer = allocateBlockOrRun(byteCount: byteCount &+ Self.blockOverhead, alignment: alignment)
        else { return nil }
        let block = address(of: pointer)
        let page = (block &- arenaBase) &>> pageShift
        arm(block, page: page, state: descriptor(page).pointee.state, size: byteCount)
        requestedBytes &+= byteCount
        return pointer
    }

    /// Writes the slack pattern and the trailer (class block) or the size
    /// and canary (run) for a block holding `size` requested bytes.
    /// (`mutating`, like every out-of-line helper an allocation reaches:
    /// see scripts/check-no-heap-copy.sh.)
    mutating func arm(_ block: UInt, page: UInt, state: UInt8, size: UInt) {
        if state == PageDescriptor.largeRun {
            descriptor(page).pointee.freeList = UInt32(truncatingIfNeeded: size)
            fillBytes(block &+ size, Self.slackByte, Self.blockOverhead)
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

    /// The requested size of a live block, or `nil` when its trailer is broken.
    func requestedSize(ofLiveBlock block: UInt, page: UInt, state: UInt8) -> UInt? {
        if state == PageDescriptor.largeRun { return UInt(descriptor(page).pointee.freeList) }
        let blockSize = UInt(classRecord(UInt(state)).pointee.blockSize)
        let word = loadWord(block &+ blockSize &- 4)
        let size = word & 0xFFFF
        guard word &>> 16 == ~size & 0xFFFF, UInt(size) &+ Self.blockOverhead <= blockSize else { return nil }
        return UInt(size)
    }

    /// True when the canary of a live block is intact.
    func canaryIsIntact(_ block: UInt, page: UInt, state: UInt8) -> Bool {
        guard let size = requestedSize(ofLiveBlock: block, page: page, state: state) else { return false }
        let end = state == PageDescriptor.largeRun
            ? size &+ Self.blockOverhead
            : UInt(classRecord(UInt(state)).pointee.blockSize) &- 4
        var offset = size
        while offset < end {
            if rawPointer(block &+ offset).load(as: UInt8.self) != Self.slackByte { return false }
            offset &+= 1
        }
        return true
    }

    /// True when bytes `from ..< blockSize` of `block` still hold the poison.
    func poisonIsIntact(_ block: UInt, from start: UInt, blockSize: UInt) -> Bool {
        var offset = start
        while offset < blockSize {
            if rawPointer(block &+ offset).load(as: UInt8.self) != Self.poisonByte { return false }
            offset &+= 1
        }
        return true
    }

    /// Reports a write after free when the poison of a block is broken.
    /// `caller` is whoever made the call that noticed (0 for an allocation).
    mutating func verifyPoison(_ block: UInt, from start: UInt, blockSize: UInt, page: UInt, caller: UInt = 0) {
        if !poisonIsIntact(block, from: start, blockSize: blockSize) {
            Self.reportMisuse(&self, .writeAfterFree, block, Int(descriptor(page).pointee.state), caller)
        }
    }

    /// True when the block at arena offset `offset` waits in quarantine.
    func isQuarantined(_ offset: UInt) -> Bool {
        var slot: UInt = 0
        while slot < quarantineSlots {
            if UInt(loadWord(quarantine &+ slot &* 4)) == offset { return true }
            slot &+= 1
        }
        return false
    }

    /// Checks a block being freed, poisons it and puts it in quarantine.
    /// Returns the arena offset of the block to release now (the one that
    /// left quarantine, or this one when there is no quarantine), or `nil`.
    mutating func quarantineBlock(offset: UInt, page: UInt, _ record: UnsafeMutablePointer<SizeClassRecord>,
                                  caller: UInt) -> UInt? {
        let block = arenaBase &+ offset
        let state = descriptor(page).pointee.state
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

    /// A block leaving quarantine must still be all poison.
    mutating func checkLeavingQuarantine(_ offset: UInt, caller: UInt = 0) {
        let page = offset &>> pageShift
        let blockSize = UInt(classRecord(UInt(descriptor(page).pointee.state)).pointee.blockSize)
        verifyPoison(arenaBase &+ offset, from: 0, blockSize: blockSize, page: page, caller: caller)
    }

    /// Releases a block that left quarantine onto its page's free list.
    mutating func releaseBlock(offset: UInt) {
        let page = offset &>> pageShift
        let d = descriptor(page)
        releaseBlock(offset: offset, page: page, d, classRecord(UInt(d.pointee.state)))
    }

    /// Bytes of the blocks waiting in quarantine (of one class, or of all).
    func quarantinedBytes(ofClass sizeClass: UInt?) -> UInt {
        var bytes: UInt = 0
        var slot: UInt = 0
        while slot < quarantineSlots {
            let offset = loadWord(quarantine &+ slot &* 4)
            if offset != PageDescriptor.noBlock {
                let state = UInt(descriptor(UInt(offset) &>> pageShift).pointee.state)
                if sizeClass == nil || sizeClass == state {
                    bytes &+= UInt(classRecord(state).pointee.blockSize)
                }
            }
            slot &+= 1
        }
        return bytes
    }

    /// Poisons whole pages going back to the pool: a later write into them
    /// is caught when they are taken again.
    /// (`mutating`: see ``arm(_:page:state:size:)``.)
    mutating func poisonPages(start: UInt, count: UInt) {
        fillBytes(pageAddress(start), Self.poisonByte, count &<< pageShift)
    }

    /// Pages taken from the pool must still be all poison; reports a write
    /// after free (at the first page written to) otherwise.
    mutating func verifyPagesPoison(start: UInt, count: UInt) {
        var page = start
        while page < start &+ count {
            if !poisonIsIntact(pageAddress(page), from: 0, blockSize: pageMask &+ 1) {
                Self.reportMisuse(&self, .writeAfterFree, pageAddress(page), -1, 0)
                return
            }
            page &+= 1
        }
    }

    /// Empties the quarantine (memory is short). True when any block left.
    mutating func flushQuarantine() -> Bool {
        var released = false
        var slot: UInt = 0
        while slot < quarantineSlots {
            let address = quarantine &+ slot &* 4
            let offset = loadWord(address)
            if offset != PageDescriptor.noBlock {
                storeWord(PageDescriptor.noBlock, address)
                checkLeavingQuarantine(UInt(offset))
                releaseBlock(offset: UInt(offset))
                released = true
            }
            slot &+= 1
        }
        quarantineCount = 0
        quarantineNext = 0
        return released
    }

    /// Checked `resizeInPlace`: the block keeps room for its canary.
    mutating func resizeCheckedInPlace(_ block: UInt, page: UInt, state: UInt8, byteCount: UInt) -> Bool {
        guard byteCount <= UInt.max &- Self.blockOverhead else { return false }
        let needed = byteCount &+ Self.blockOverhead
        if state == PageDescriptor.largeRun {
            guard Self.resizeRun(&self, page: page, byteCount: needed) else { return false }
        } else if needed > UInt(classRecord(UInt(state)).pointee.blockSize) {
            return false
        }
        requestedBytes &-= requestedSize(ofLiveBlock: block, page: page, state: state) ?? 0
        arm(block, page: page, state: state, size: byteCount)
        requestedBytes &+= byteCount
        return true
    }

    /// Integrity of the blocks of one class page: live blocks have intact
    /// canaries, quarantined blocks are all poison, free blocks keep their
    /// poison after the link and mark.
    func checkBlocks(ofPage page: UInt) -> IntegrityProblem? {
        let d = descriptor(page)
        let record = classRecord(UInt(d.pointee.state))
        let blockSize = UInt(record.pointee.blockSize)
        let pageStart = page &<< pageShift
        var inPage: UInt = 0
        while inPage < UInt(d.pointee.carved) {
            let block = arenaBase &+ pageStart &+ inPage
            let offset = UInt32(truncatingIfNeeded: pageStart &+ inPage)
            if Self.looksFree(block), Self.isFreeBlock(offset, page: page, d, record, arenaBase: arenaBase) {
                if !poisonIsIntact(block, from: 8, blockSize: blockSize) { return .freeBlockOverwritten }
            } else if isQuarantined(UInt(offset)) {
                if !poisonIsIntact(block, from: 0, blockSize: blockSize) { return .freeBlockOverwritten }
            } else if !canaryIsIntact(block, page: page, state: d.pointee.state) {
                // A free block whose link was overwritten no longer looks
                // free: the list walk tells it from a live block.
                return Self.isFreeBlock(offset, page: page, d, record, arenaBase: arenaBase) ? .freeBlockOverwritten : .blockCanary
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
