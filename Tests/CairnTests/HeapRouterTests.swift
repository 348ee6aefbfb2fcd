import XCTest
@testable import Cairn

/// The slab and the bump arena behind one router, as the firmware's hooks
/// see them (Firmware/HeapRouting.swift binds the same ``HeapRouter``
/// calls to the global heap and to IPSR; here `inHandlerMode` stands in
/// for IPSR). A class, like the firmware's globals: every call, the
/// queries too, passes the allocators `inout`.
final class RoutedHeaps {
    var router: HeapRouter
    var slab: SlabAllocator
    var inHandlerMode = false

    init(router: consuming HeapRouter, slab: consuming SlabAllocator) {
        self.router = router
        self.slab = slab
    }
}

struct RoutedTestHeap: RawAllocator {
    let heaps: RoutedHeaps

    var router: HeapRouter {
        _read { yield heaps.router }
        nonmutating _modify { yield &heaps.router }
    }

    var slab: SlabAllocator {
        _read { yield heaps.slab }
        nonmutating _modify { yield &heaps.slab }
    }

    var inHandlerMode: Bool {
        get { heaps.inHandlerMode }
        nonmutating set { heaps.inHandlerMode = newValue }
    }

    func allocate(byteCount: UInt, alignment: UInt) -> UnsafeMutableRawPointer? {
        HeapRouter.allocate(&heaps.router, &heaps.slab, byteCount: byteCount, alignment: alignment,
                            inHandlerMode: heaps.inHandlerMode)
    }

    func deallocate(_ pointer: UnsafeMutableRawPointer, caller: UInt) {
        HeapRouter.deallocate(&heaps.router, &heaps.slab, pointer, caller: caller)
    }

    func usableSize(of pointer: UnsafeMutableRawPointer) -> UInt? {
        HeapRouter.usableSize(&heaps.router, &heaps.slab, of: pointer)
    }

    func resizeInPlace(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> Bool {
        HeapRouter.resizeInPlace(&heaps.router, &heaps.slab, pointer, byteCount: byteCount)
    }

    func bytesToPreserve(from pointer: UnsafeMutableRawPointer) -> UInt? {
        HeapRouter.bytesToPreserve(&heaps.router, &heaps.slab, from: pointer)
    }

    func resizeOrMeasure(_ pointer: UnsafeMutableRawPointer, byteCount: UInt) -> ResizeOutcome {
        HeapRouter.resizeOrMeasure(&heaps.router, &heaps.slab, pointer, byteCount: byteCount)
    }

    func deallocate(knownLive pointer: UnsafeMutableRawPointer, caller: UInt) {
        HeapRouter.deallocate(&heaps.router, &heaps.slab, knownLive: pointer, caller: caller)
    }

    func openScope(bytes: UInt) -> ArenaScope? {
        heaps.router.openScope(bytes: bytes, inHandlerMode: heaps.inHandlerMode)
    }
}

/// One region cut like the firmware's heap with BUMP_ARENA_SIZE: the slab
/// below, the bump arena at the end.
final class RoutedFixture {
    let region: TestRegion
    let bumpStart: UInt
    let bumpEnd: UInt
    var heap: RoutedTestHeap

    init(slabBytes: Int = 64 * 1024, bumpBytes: Int = 4096) throws {
        region = TestRegion(bytes: slabBytes + bumpBytes)
        let base = try XCTUnwrap(region.buffer.baseAddress)
        let slabRegion = UnsafeMutableRawBufferPointer(start: base, count: slabBytes)
        let bumpRegion = UnsafeMutableRawBufferPointer(start: base + slabBytes, count: bumpBytes)
        guard var slab = SlabAllocator(region: slabRegion,
                                       configuration: SlabConfiguration(pageSize: 1024, largestClass: 512))
        else { throw CancellationError() }
        slab.misuseHandler = MisuseRecorder.handler
        heap = RoutedTestHeap(heaps: RoutedHeaps(router: HeapRouter(region: bumpRegion,
                                                                     misuseHandler: MisuseRecorder.handler),
                                                 slab: slab))
        bumpStart = region.start + UInt(slabBytes)
        bumpEnd = bumpStart + UInt(bumpBytes)
    }

    func isBumpBlock(_ block: UnsafeMutableRawPointer) -> Bool {
        block.address >= bumpStart && block.address < bumpEnd
    }

    func isSlabBlock(_ block: UnsafeMutableRawPointer) -> Bool {
        block.address >= region.start && block.address < bumpStart
    }

    func malloc(_ bytes: UInt) -> UnsafeMutableRawPointer? { CHeap.malloc(&heap, byteCount: bytes) }

    func free(_ block: UnsafeMutableRawPointer?) { CHeap.free(&heap, block) }

    var bumpInUse: UInt { heap.router.statistics.bump.bytesInUse }

    /// Frees `older`, a bump block below the newest (a counted no-op: the
    /// bytes in use stay `inUse`), then `newest` (the top rolls back by its
    /// `newestBytes`).
    func assertOnlyTheNewestRollsBack(older: UnsafeMutableRawPointer, newest: UnsafeMutableRawPointer, inUse: UInt,
                                      newestBytes: UInt, file: StaticString = #filePath, line: UInt = #line) {
        free(older)
        XCTAssertEqual(heap.router.statistics.bump.ignoredFrees, 1, file: file, line: line)
        XCTAssertEqual(bumpInUse, inUse, file: file, line: line)
        free(newest)
        XCTAssertEqual(heap.router.statistics.bump.rollbacks, 1, file: file, line: line)
        XCTAssertEqual(bumpInUse, inUse - newestBytes, file: file, line: line)
    }
}

final class HeapRouterTests: MisuseRecordingTestCase {
    func testNothingIsRoutedUntilSelectedOrScoped() throws {
        let f = try RoutedFixture()
        XCTAssertEqual(f.heap.router.routesToBump, 0)
        XCTAssertEqual(f.heap.router.selection, .slab)
        let block = try XCTUnwrap(f.malloc(24))
        XCTAssertTrue(f.isSlabBlock(block))
        XCTAssertEqual(f.bumpInUse, 0)
    }

    func testBootObjectsGoToTheBumpArenaUntilTheSlabIsSelected() throws {
        let f = try RoutedFixture()
        XCTAssertTrue(f.heap.router.select(.bump))
        let permanent = try XCTUnwrap(f.malloc(100))
        let table = try XCTUnwrap(f.malloc(40))
        XCTAssertTrue(f.isBumpBlock(permanent))
        XCTAssertTrue(f.isBumpBlock(table))
        XCTAssertEqual(table.address, permanent.address + 104, "bump blocks follow each other at 8-byte alignment")
        XCTAssertEqual(f.heap.slab.statistics.liveBlocks + f.heap.slab.statistics.largeBlocks, 0)
        XCTAssertTrue(f.heap.router.select(.slab))
        let transient = try XCTUnwrap(f.malloc(40))
        XCTAssertTrue(f.isSlabBlock(transient))
        XCTAssertEqual(f.bumpInUse, 144)
    }

    func testSelectingTheBumpArenaWithoutOneIsRefused() throws {
        let region = TestRegion(bytes: 16 * 1024)
        var router = HeapRouter()
        XCTAssertFalse(router.select(.bump))
        XCTAssertEqual(router.routesToBump, 0)
        XCTAssertNil(router.openScope(bytes: 16, inHandlerMode: false))
        XCTAssertFalse(router.freeIfOwned(region.start, caller: 0), "an unconfigured router owns no address")
    }

    func testFreeGoesToTheOwnerWhateverIsSelected() throws {
        let f = try RoutedFixture()
        let slabBlock = try XCTUnwrap(f.malloc(24))
        f.heap.router.select(.bump)
        let older = try XCTUnwrap(f.malloc(16))
        let newest = try XCTUnwrap(f.malloc(16))
        // A slab block freed while the bump arena is selected goes back to the slab.
        XCTAssertEqual(f.heap.slab.statistics.liveBlocks, 1)
        f.free(slabBlock)
        XCTAssertEqual(f.heap.slab.statistics.liveBlocks, 0)
        f.heap.router.select(.slab)
        // Bump blocks freed once the slab is selected go to the bump arena:
        // an older one is a counted no-op, the newest rolls the top back.
        f.assertOnlyTheNewestRollsBack(older: older, newest: newest, inUse: 32, newestBytes: 16)
        XCTAssertEqual(MisuseRecorder.reports.count, 0)
        XCTAssertEqual(f.heap.slab.statistics.misuseCount, 0)
    }

    func testHandlerModeAllocatesFromTheSlabWhileTheBumpArenaServesThreadMode() throws {
        let f = try RoutedFixture()
        f.heap.router.select(.bump)
        f.heap.inHandlerMode = true
        let fromInterrupt = try XCTUnwrap(f.malloc(32))
        XCTAssertTrue(f.isSlabBlock(fromInterrupt))
        XCTAssertNil(f.heap.openScope(bytes: 64), "no scope opens in handler mode")
        f.heap.inHandlerMode = false
        f.heap.router.select(.slab)
        let scope = try XCTUnwrap(f.heap.openScope(bytes: 256))
        f.heap.inHandlerMode = true
        let inScope = try XCTUnwrap(f.malloc(32))
        XCTAssertTrue(f.isSlabBlock(inScope), "an interrupt during a scope gets slab memory")
        f.free(inScope)
        f.heap.inHandlerMode = false
        let thread = try XCTUnwrap(f.malloc(32))
        XCTAssertTrue(f.isBumpBlock(thread))
        f.heap.router.closeScope(scope)
        XCTAssertEqual(f.bumpInUse, 0)
        f.free(fromInterrupt)
        XCTAssertEqual(f.heap.slab.statistics.liveBlocks, 0)
    }

    func testAScopeReleasesEverythingWhenItCloses() throws {
        let f = try RoutedFixture()
        f.heap.router.select(.bump)
        let permanent = try XCTUnwrap(f.malloc(40))
        f.heap.router.select(.slab)
        let scope = try XCTUnwrap(f.heap.openScope(bytes: 1024))
        XCTAssertEqual(f.heap.router.openScopes, 1)
        var blocks: [UnsafeMutableRawPointer] = []
        for size in [UInt(8), 100, 3, 256, 17] {
            let block = try XCTUnwrap(f.malloc(size))
            XCTAssertTrue(f.isBumpBlock(block))
            XCTAssertGreaterThan(block.address, permanent.address)
            blocks.append(block)
        }
        let peak = blocks[4].address + 17 - f.bumpStart
        XCTAssertEqual(f.bumpInUse, peak)
        f.heap.router.closeScope(scope)
        XCTAssertEqual(f.bumpInUse, 40, "the scope's blocks are gone; the boot block stays")
        XCTAssertEqual(f.heap.router.routesToBump, 0)
        XCTAssertTrue(f.isSlabBlock(try XCTUnwrap(f.malloc(8))))
        XCTAssertEqual(f.heap.router.statistics.bump.peakBytesInUse, peak)
    }

    func testOnlyTheInnermostOpenScopeCloses() throws {
        let f = try RoutedFixture()
        let outer = try XCTUnwrap(f.heap.openScope(bytes: 512))
        _ = try XCTUnwrap(f.malloc(64))
        // All the outer scope has left: the two limits are the same.
        let inner = try XCTUnwrap(f.heap.openScope(bytes: 512 - 64))
        let inInner = try XCTUnwrap(f.malloc(32))
        let before = f.heap.router.statistics
        XCTAssertFalse(f.heap.router.closeScope(outer), "an outer scope while an inner one is open")
        XCTAssertEqual(f.heap.router.statistics, before, "a refused close changes nothing")
        XCTAssertTrue(f.isBumpBlock(inInner))
        XCTAssertTrue(f.heap.router.closeScope(inner))
        XCTAssertFalse(f.heap.router.closeScope(inner), "a scope closed already")
        XCTAssertEqual(f.bumpInUse, 64)
        XCTAssertTrue(f.heap.router.closeScope(outer))
        XCTAssertEqual(f.bumpInUse, 0)
        XCTAssertEqual(f.heap.router.openScopes, 0)
        XCTAssertFalse(f.heap.router.closeScope(outer), "no scope is open")
        XCTAssertTrue(f.isSlabBlock(try XCTUnwrap(f.malloc(8))))
    }

    func testABlockFreedInsideAScopeRollsBackOnlyWhenNewest() throws {
        let f = try RoutedFixture()
        let scope = try XCTUnwrap(f.heap.openScope(bytes: 512))
        let a = try XCTUnwrap(f.malloc(64))
        let b = try XCTUnwrap(f.malloc(64))
        f.assertOnlyTheNewestRollsBack(older: a, newest: b, inUse: 128, newestBytes: 64)
        let c = try XCTUnwrap(f.malloc(32))
        XCTAssertEqual(c.address, b.address, "the rolled-back bytes are reused")
        f.heap.router.closeScope(scope)
        XCTAssertEqual(f.bumpInUse, 0)
    }

    func testABlockBelowAScopeCannotRollBackWhileItIsOpen() throws {
        let f = try RoutedFixture()
        f.heap.router.select(.bump)
        let boot = try XCTUnwrap(f.malloc(48))
        let scope = try XCTUnwrap(f.heap.openScope(bytes: 256))
        f.free(boot)
        XCTAssertEqual(f.heap.router.statistics.bump.ignoredFrees, 1)
        XCTAssertEqual(f.bumpInUse, 48)
        f.heap.router.closeScope(scope)
        // Closed, the boot block is the newest again.
        f.free(boot)
        XCTAssertEqual(f.heap.router.statistics.bump.rollbacks, 1)
        XCTAssertEqual(f.bumpInUse, 0)
    }

    func testAFreeAfterTheScopeClosedIsReportedAsForeign() throws {
        let f = try RoutedFixture()
        let scope = try XCTUnwrap(f.heap.openScope(bytes: 256))
        let escaped = try XCTUnwrap(f.malloc(32))
        f.heap.router.closeScope(scope)
        let slabBefore = f.heap.slab.statistics
        f.free(escaped)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer])
        XCTAssertEqual(MisuseRecorder.reports.first?.address, escaped.address)
        XCTAssertEqual(f.heap.router.lateFrees, 1)
        XCTAssertEqual(f.bumpInUse, 0, "nothing changes in the bump arena")
        XCTAssertEqual(f.heap.slab.statistics, slabBefore, "nothing reaches the slab")
    }

    func testScopesNestAndCloseInnermostFirst() throws {
        let f = try RoutedFixture(bumpBytes: 1024)
        let outer = try XCTUnwrap(f.heap.openScope(bytes: 512))
        let a = try XCTUnwrap(f.malloc(64))
        XCTAssertNil(f.heap.openScope(bytes: 512), "an inner scope takes its bytes from the outer one's")
        let inner = try XCTUnwrap(f.heap.openScope(bytes: 256))
        XCTAssertEqual(f.heap.router.openScopes, 2)
        let b = try XCTUnwrap(f.malloc(200))
        XCTAssertEqual(b.address, a.address + 64)
        XCTAssertNil(f.malloc(64), "the inner budget is spent")
        f.free(a)  // below the inner scope: a counted no-op
        f.heap.router.closeScope(inner)
        XCTAssertEqual(f.bumpInUse, 64)
        XCTAssertEqual(f.heap.router.openScopes, 1)
        let c = try XCTUnwrap(f.malloc(300), "the outer scope's own budget is back")
        XCTAssertEqual(c.address, b.address)
        f.heap.router.closeScope(outer)
        XCTAssertEqual(f.bumpInUse, 0)
        XCTAssertEqual(f.heap.router.routesToBump, 0)
        XCTAssertEqual(f.heap.router.statistics.bump.ignoredFrees, 1)
        XCTAssertEqual(f.heap.router.statistics.bump.failedRequests, 1)
    }

    func testAScopeLargerThanWhatIsLeftDoesNotOpen() throws {
        let f = try RoutedFixture(bumpBytes: 1024)
        f.heap.router.select(.bump)
        _ = try XCTUnwrap(f.malloc(1000))
        XCTAssertNil(f.heap.openScope(bytes: 32))
        XCTAssertNotNil(f.heap.openScope(bytes: 24))
        XCTAssertNil(f.heap.router.openScope(bytes: UInt.max, inHandlerMode: false), "no wrap past the address space")
    }

    func testReallocKeepsABumpBlockInPlaceWhenNewestAndMovesItOtherwise() throws {
        let f = try RoutedFixture()
        let scope = try XCTUnwrap(f.heap.openScope(bytes: 1024))
        let a = try XCTUnwrap(f.malloc(16))
        for i in 0..<16 { a.storeBytes(of: UInt8(i), toByteOffset: i, as: UInt8.self) }
        let grown = try XCTUnwrap(CHeap.realloc(&f.heap, a, byteCount: 64))
        XCTAssertEqual(grown, a, "the newest bump block grows in place")
        _ = try XCTUnwrap(f.malloc(8))
        let moved = try XCTUnwrap(CHeap.realloc(&f.heap, grown, byteCount: 128))
        XCTAssertNotEqual(moved, grown)
        XCTAssertTrue(f.isBumpBlock(moved), "a move takes its block from the allocator that serves now")
        for i in 0..<16 { XCTAssertEqual(moved.load(fromByteOffset: i, as: UInt8.self), UInt8(i)) }
        f.heap.router.closeScope(scope)
        XCTAssertEqual(MisuseRecorder.reports.count, 0)
    }

    func testThousandsOfScopedIterationsLeaveBothHeapsAsTheyWere() throws {
        let f = try RoutedFixture()
        let slabBefore = f.heap.slab.statistics
        for iteration in 0..<5000 {
            let scope = try XCTUnwrap(f.heap.openScope(bytes: 2048))
            var blocks: [UnsafeMutableRawPointer] = []
            for k in 0..<8 {
                blocks.append(try XCTUnwrap(f.malloc(UInt(8 + (iteration * 7 + k * 13) % 200))))
            }
            f.free(blocks[iteration % 8])
            f.heap.router.closeScope(scope)
        }
        XCTAssertEqual(f.bumpInUse, 0)
        XCTAssertEqual(f.heap.router.routesToBump, 0)
        XCTAssertEqual(f.heap.slab.statistics, slabBefore)
        XCTAssertEqual(f.heap.slab.checkIntegrity().problem, nil)
        XCTAssertEqual(MisuseRecorder.reports.count, 0)
    }

    func testAForeignPointerIsStillTheSlabsToReport() throws {
        let f = try RoutedFixture()
        let outside = TestRegion(bytes: 64)
        f.heap.deallocate(try XCTUnwrap(outside.buffer.baseAddress), caller: 0)
        XCTAssertEqual(MisuseRecorder.kinds, [.foreignPointer])
        XCTAssertEqual(f.heap.slab.statistics.misuseCount, 1)
        XCTAssertEqual(f.heap.router.lateFrees, 0)
    }

    func testQueriesAndResizesGoToTheOwner() throws {
        let f = try RoutedFixture()
        let slabBlock = try XCTUnwrap(f.malloc(100))
        let scope = try XCTUnwrap(f.heap.openScope(bytes: 512))
        let older = try XCTUnwrap(f.malloc(24))
        let newest = try XCTUnwrap(f.malloc(40))
        XCTAssertEqual(CHeap.usableSize(f.heap, newest), 40, "the newest bump block's size is known")
        XCTAssertEqual(CHeap.usableSize(f.heap, older), 0, "an older bump block's is not")
        XCTAssertEqual(CHeap.usableSize(f.heap, slabBlock), f.heap.slab.usableSize(of: UnsafeRawPointer(slabBlock)))
        XCTAssertTrue(f.heap.resizeInPlace(newest, byteCount: 80))
        XCTAssertFalse(f.heap.resizeInPlace(older, byteCount: 80))
        XCTAssertEqual(f.heap.bytesToPreserve(from: older), newest.address + 80 - older.address,
                       "an older bump block may copy up to the top")
        XCTAssertEqual(f.heap.bytesToPreserve(from: slabBlock), f.heap.usableSize(of: slabBlock))
        XCTAssertTrue(f.heap.resizeInPlace(slabBlock, byteCount: 90), "a slab block shrinks in its own allocator")
        // A slab block that must move while a scope is open lands in the scope.
        let moved = try XCTUnwrap(CHeap.realloc(&f.heap, slabBlock, byteCount: 300))
        XCTAssertTrue(f.isBumpBlock(moved))
        #if CAIRN_CHECKED
        _ = f.heap.slab.flushQuarantine()
        #endif
        XCTAssertEqual(f.heap.slab.statistics.liveBlocks + f.heap.slab.statistics.largeBlocks, 0,
                       "the old slab block is freed")
        f.heap.router.closeScope(scope)
        XCTAssertEqual(MisuseRecorder.reports.count, 0)
    }

    func testStatisticsNameTheSelectionAndTheWholeArena() throws {
        let f = try RoutedFixture(bumpBytes: 2048)
        f.heap.router.select(.bump)
        let scope = try XCTUnwrap(f.heap.openScope(bytes: 256))
        let stats = f.heap.router.statistics
        XCTAssertEqual(stats.selection, .bump)
        XCTAssertEqual(stats.openScopes, 1)
        XCTAssertEqual(stats.bump.capacity, 2048, "a scope's budget does not shrink the arena's capacity")
        XCTAssertTrue(f.heap.router.hasBumpArena)
        f.heap.router.closeScope(scope)
        XCTAssertEqual(HeapRouter().statistics.bump.capacity, 0)
    }
}

