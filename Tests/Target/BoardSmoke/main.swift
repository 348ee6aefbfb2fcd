// Board smoke firmware: proves the board layer runs Embedded Swift on
// Cairn. Prints, allocates (class instances and an array go through
// posix_memalign/free to Cairn's heap),
// hashes (Set seeds its Hasher through arc4random_buf), checks that .data
// was copied and .bss zeroed, and, when built with
// SMOKE_FAULT_READ or SMOKE_FAULT_UDF, faults on purpose.

final class Node {
    let value: Int
    let next: Node?

    init(value: Int, next: Node?) {
        self.value = value
        self.next = next
    }
}

// Statically initialised by the compiler, so it lives in .data.
var swiftDataWord: UInt32 = 0x5EED_CAFE

func listSum(count: Int) -> Int {
    var head: Node? = nil
    for i in 1...count {
        head = Node(value: i, next: head)
    }
    var sum = 0
    var node = head
    while let current = node {
        sum += current.value
        node = current.next
    }
    return sum
}

func squares(count: Int) -> [Int] {
    var result: [Int] = []
    for i in 0..<count {
        result.append(i * i)
    }
    return result
}

@_cdecl("main")
func smokeMain() -> CInt {
    print("board-smoke: hello from Embedded Swift")
    var failures: CInt = 0

    if swiftDataWord != 0x5EED_CAFE || smoke_c_statics_intact() == 0 {
        print("board-smoke: FAIL .data not copied or .bss not zeroed")
        failures += 1
    }
    swiftDataWord &+= 1  // written, so the optimizer cannot fold the check

    let sum = listSum(count: 10)
    let total = squares(count: 16).reduce(0, +)
    let distinct = Set(squares(count: 16).map { $0 % 10 }).count
    print("board-smoke: list sum \(sum), squares sum \(total), \(distinct) last digits")
    if sum != 55 || total != 1240 || distinct != 6 {
        print("board-smoke: FAIL wrong arithmetic")
        failures += 1
    }

    // Read before printing: the interpolation allocates too.
    var heap = cairn_heap_stats()
    cairn_get_stats(&heap)
    let integrity = cairn_check_integrity()
    print("board-smoke: Cairn's heap: peak \(heap.peak_in_use) of \(heap.capacity) bytes, \(heap.live_blocks) live blocks")
    if heap.peak_in_use == 0 {
        print("board-smoke: FAIL Swift never allocated from Cairn's heap")
        failures += 1
    }
    if integrity != 0 {
        print("board-smoke: FAIL the integrity check found the heap broken")
        failures += 1
    }

#if SMOKE_FAULT_READ
    // Nothing answers at 0x3FFF_FFF0 on either board. (0xFFFF_FFF0 is no
    // good: QEMU's nrf51 reads the whole 0xF000_0000 block as zeros.)
    print("board-smoke: reading 0x3FFFFFF0, expect a HardFault")
    let bad = UnsafeMutablePointer<UInt32>(bitPattern: UInt(0x3FFF_FFF0))!
    print(bad.pointee)
#elseif SMOKE_FAULT_UDF
    print("board-smoke: executing udf, expect a HardFault")
    smoke_execute_undefined_instruction()
#endif

    print(failures == 0 ? "board-smoke: PASS" : "board-smoke: FAIL")
    return failures
}
