// A seeded random churn of the slab over the static region: allocate,
// realloc and free in random order with random sizes and alignments,
// checking every block's contents before it is freed or moved. A failure
// prints the seed; `make ... TEST_SEED=<seed>` replays the same run.
import Cairn

/// A churn size: mostly class sizes (0 included), sometimes up to the
/// profile's largest churn block (fit-heap blocks).
func churnSize(_ random: UInt32, largestClass: UInt, largestBlock: UInt) -> UInt {
    random & 3 != 0 ? UInt(random >> 2) % (largestClass + 1) : UInt(random >> 2) % (largestBlock + 1)
}

func slabSurvivesRandomChurn(_ slab: inout SlabAllocator, _ profile: ontarget_profile) {
    let slots = UnsafeMutableBufferPointer(start: profile.slots, count: Int(profile.slot_count))
    for i in slots.indices { slots[i] = ontarget_slot(block: nil, size: 0, tag: 0) }
    let failuresBefore = ontarget_failures()
    var random = ontarget_random_state(profile.seed)
    var serial: UInt32 = 0
    var allocations: UInt = 0
    // The first round that went wrong, one check per kind of fault at the
    // end, rather than thousands of lines.
    var changedContents: UInt32? = nil
    var misaligned: UInt32? = nil
    var broken: UInt32? = nil
    for round in 0..<profile.churn_rounds {
        let r = xorshift32_next(&random)
        let slot = Int(r % UInt32(slots.count))
        let size = churnSize(xorshift32_next(&random), largestClass: UInt(profile.largest_class),
                             largestBlock: UInt(profile.largest_churn_block))
        if let block = slots[slot].block {
            let oldSize = Int(slots[slot].size)
            if ontarget_first_changed_byte(block, oldSize, slots[slot].tag) != oldSize, changedContents == nil {
                changedContents = round
            }
            if (r >> 16) & 3 == 0 {
                // Moving realloc: the contents come along; failure keeps the block.
                guard let moved = CHeap.realloc(&slab, block, byteCount: size) else { continue }
                let kept = min(oldSize, Int(size))
                if ontarget_first_changed_byte(moved, kept, slots[slot].tag) != kept, changedContents == nil {
                    changedContents = round
                }
                serial += 1
                ontarget_fill(moved, Int(size), serial)
                slots[slot] = ontarget_slot(block: moved.assumingMemoryBound(to: UInt8.self),
                                            size: UInt32(size), tag: serial)
            } else {
                slab.deallocate(block)
                slots[slot].block = nil
            }
        } else {
            let alignment: UInt = (r >> 16) & 7 == 0 ? 1 << UInt((r >> 19) % 8) : 8
            guard let block = slab.allocate(byteCount: size, alignment: alignment) else { continue }
            allocations += 1
            if !isAligned(block, alignment), misaligned == nil { misaligned = round }
            serial += 1
            ontarget_fill(block, Int(size), serial)
            slots[slot] = ontarget_slot(block: block.assumingMemoryBound(to: UInt8.self), size: UInt32(size),
                                        tag: serial)
        }
        if round % 256 == 255, broken == nil, !slab.checkIntegrity().isValid { broken = round }
    }
    expect(changedContents == nil, "slab churn keeps every block's contents", "first bad round",
           value: UInt(changedContents ?? 0))
    expect(misaligned == nil, "slab churn honours every alignment", "first bad round", value: UInt(misaligned ?? 0))
    expect(broken == nil, "slab churn keeps the heap intact", "first bad round", value: UInt(broken ?? 0))
    expect(allocations >= UInt(profile.churn_rounds) / 4, "slab churn allocates", "too few allocations",
           value: allocations)
    for i in slots.indices {
        guard let block = slots[i].block else { continue }
        expect(ontarget_first_changed_byte(block, Int(slots[i].size), slots[i].tag) == Int(slots[i].size),
               "slab churn keeps every block's contents", "a survivor changed", value: UInt(i))
        slab.deallocate(block)
        slots[i].block = nil
    }
    expectEmpty(slab, "slab churn: every block freed")
    expectIntact(slab, "slab is intact after the churn")
    // One block can take the fit heap's whole capacity less its header.
    let capacity = slab.statistics.capacity - 4 - SlabAllocator.blockOverhead
    if let whole = slab.allocate(byteCount: capacity, alignment: 8) {
        slab.deallocate(whole)
    } else {
        expect(false, "slab gives the whole capacity back after the churn", "allocation failed")
    }
    if ontarget_failures() != failuresBefore { ontarget_print_replay_seed(profile.seed) }
}
