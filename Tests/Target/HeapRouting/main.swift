// The heap-routing firmware: the bump arena selected at boot and the slab
// after it, scoped arenas (thousands of iterations with a constant heap,
// nested scopes, refusals), an interrupt that allocates while thread mode
// is routed to the bump arena, and a free after its scope has closed.
// Built with BUMP_ARENA_SIZE; prints one line per failed check, then
// `N passed, N failed`. With -D ROUTING_LATE_FREE_ONLY (checked builds) it
// only commits the late free, which must stop it (check-misuse.sh).
import Cairn

/// A Swift object the scopes allocate (a class instance: one heap block).
final class Message {
    var payload: [UInt32]
    init(_ count: Int, seed: UInt32) {
        payload = []
        payload.reserveCapacity(count)
        for i in 0..<count { payload.append(seed &+ UInt32(i)) }
    }

    var sum: UInt32 { payload.reduce(0, &+) }
}

func address(_ object: AnyObject) -> UnsafeRawPointer {
    UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque())
}

/// Boot objects in the bump arena, then the slab.
func bootInBumpArena() -> Message? {
    expect(CairnHeap.use(.bump), "CairnHeap.use(.bump)", "accepted with a bump arena")
    let permanent = Message(8, seed: 7)
    expect(routing_in_bump_arena(address(permanent)), "boot objects", "a Swift object made at boot lies in the bump arena")
    expect(CairnHeap.arenaStatistics.selection == .bump, "selection", "the statistics say bump")
    expect(CairnHeap.use(.slab), "CairnHeap.use(.slab)", "always accepted")
    let transient = Message(8, seed: 9)
    expect(routing_in_slab(address(transient)), "after the switch", "a Swift object made later lies in the slab")
    expect(permanent.sum == 8 * 7 + 28, "boot objects", "the boot object holds its data")
    return permanent
}

/// The README's example, as written there.
func readmeExample() -> UInt32? {
    // README: scoped arena
    CairnHeap.withArena(bytes: 1024) {
        let message = Message(16, seed: 1)
        return message.sum
    }
}

/// Thousands of scopes in a loop, an interrupt pended now and then and a
/// timer interrupt landing anywhere: the heap (both parts) is the same
/// after as before, and every block an interrupt took was a slab block.
func scopedLoop() {
    let iterations = 4000
    var slabBefore = cairn_heap_stats()
    cairn_get_stats(&slabBefore)
    let arenaBefore = CairnHeap.arenaStatistics
    var wrongSums = 0
    var outsideArena = 0
    routing_timer_start(3000)
    for i in 0..<iterations {
        let ok: Bool? = CairnHeap.withArena(bytes: 512) {
            let message = Message(8 + i % 24, seed: UInt32(i))
            if !routing_in_bump_arena(address(message)) { outsideArena += 1 }
            var words: [UInt32] = []
            for k in 0..<(i % 9) { words.append(UInt32(k)) }
            if i % 64 == 0 { routing_interrupt() }
            let n = UInt32(8 + i % 24)
            return message.sum == n &* UInt32(i) &+ n &* (n &- 1) / 2 && words.count == i % 9
        }
        if ok != true { wrongSums += 1 }
    }
    routing_timer_stop()
    routing_interrupt_release()
    expect(wrongSums == 0, "scoped loop", "every scope ran and computed its result", value: UInt(wrongSums))
    expect(outsideArena == 0, "scoped loop", "objects made in a scope lie in the bump arena", value: UInt(outsideArena))
    var slabAfter = cairn_heap_stats()
    cairn_get_stats(&slabAfter)
    let arenaAfter = CairnHeap.arenaStatistics
    // (Class pages the interrupt's blocks took may stay with their classes:
    // the live blocks and their bytes are what must not change.)
    expect(slabAfter.reserved == slabBefore.reserved && slabAfter.live_blocks == slabBefore.live_blocks,
           "scoped loop", "the slab holds the blocks it held before", value: UInt(slabAfter.live_blocks))
    expect(arenaAfter.bump.bytesInUse == arenaBefore.bump.bytesInUse && arenaAfter.openScopes == 0,
           "scoped loop", "the bump arena is back where it was", value: arenaAfter.bump.bytesInUse)
    // 63 pended runs; the timer adds more (some hundred under QEMU).
    expect(routing_interrupt_runs() > UInt32(iterations / 64 + 1), "interrupts",
           "the handler ran during the scopes, pended and from the timer", value: UInt(routing_interrupt_runs()))
    expect(routing_interrupt_misplaced() == 0, "interrupts", "an interrupt during a scope allocates from the slab",
           value: UInt(routing_interrupt_misplaced()))
}

/// Nested scopes: the inner one takes its bytes from the outer one's and
/// gives them back when it closes; refusals run nothing.
func nestedScopes() {
    let base = CairnHeap.arenaStatistics.bump.bytesInUse
    var innerRan = false
    let outer: UInt? = CairnHeap.withArena(bytes: 1024) {
        let a = Message(4, seed: 1)
        let levelBeforeInner = CairnHeap.arenaStatistics.bump.bytesInUse
        let inner: UInt? = CairnHeap.withArena(bytes: 512) {
            innerRan = true
            let b = Message(4, seed: 2)
            expect(UInt(bitPattern: address(b)) > UInt(bitPattern: address(a)), "nested scopes",
                   "the inner scope allocates above the outer one's blocks")
            return CairnHeap.arenaStatistics.openScopes
        }
        expect(inner == 2, "nested scopes", "two scopes are open inside the inner one", value: inner ?? 0)
        expect(CairnHeap.arenaStatistics.bump.bytesInUse == levelBeforeInner, "nested scopes",
               "closing the inner scope releases only its blocks")
        let refused: Int? = CairnHeap.withArena(bytes: 2048) { 1 }
        expect(refused == nil, "nested scopes", "an inner scope larger than what the outer has left does not open")
        return UInt(a.sum)
    }
    expect(innerRan && outer == 1 + 2 + 3 + 4, "nested scopes", "both scopes ran")
    expect(CairnHeap.arenaStatistics.bump.bytesInUse == base, "nested scopes", "the outer scope releases everything")
    let tooLarge: Int? = CairnHeap.withArena(bytes: Int(CairnHeap.arenaStatistics.bump.capacity) + 8) { 1 }
    expect(tooLarge == nil, "scope refused", "a scope larger than the bump arena does not open")
}

/// A block that escapes its scope and is freed after it.
func lateFree() {
    var escaped: UnsafeMutableRawPointer? = nil
    _ = CairnHeap.withArena(bytes: 256) {
        escaped = malloc(16)
        return 0
    }
    guard let escaped else { return }
    #if ROUTING_CHECKED && !ROUTING_LATE_FREE_ONLY
    // The checked build stops at the late free: its own firmware tests it.
    _ = escaped
    #elseif ROUTING_LATE_FREE_ONLY
    routing_announce_misuse(escaped)
    commit_misuse(escaped)
    announce("UNREACHED")
    #else
    let before = CairnHeap.arenaStatistics.lateFrees
    commit_misuse(escaped)
    expect(CairnHeap.arenaStatistics.lateFrees == before + 1, "late free",
           "a free after the scope closed is reported and counted")
    #endif
}

@main
struct HeapRoutingTests {
    static func main() {
        #if ROUTING_LATE_FREE_ONLY
        lateFree()
        #else
        announce("heap routing: the C hooks")
        routing_run_c_tests()
        announce("heap routing: Swift")
        let permanent = bootInBumpArena()
        expect(readmeExample() == 16 * 1 + 120, "README example", "the README's scope returns its sum")
        scopedLoop()
        nestedScopes()
        lateFree()
        expect(permanent?.sum == 8 * 7 + 28, "boot objects", "the boot object survives every scope")
        expect(cairn_check_integrity() == 0, "integrity", "the slab is intact at the end")
        _ = CairnHeap.printReport()
        cairn_print_heap_map()
        #endif
        ontarget_finish()
    }
}
