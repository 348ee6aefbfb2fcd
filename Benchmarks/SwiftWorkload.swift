// Workload 7: an Embedded Swift program whose every allocation goes through
// the runtime (swift_allocObject, array and string storage), which calls
// posix_memalign and free. mk/bench.mk renames those two references in
// this object to bench_swift_posix_memalign / bench_swift_free
// (workload_swift.c), which time each call or pass it straight through.

/// A sensor reading: a class, so each instance is a heap object, holding a
/// string and a growing array of samples.
final class Reading {
    let label: String
    var samples: [Int32]
    var next: Reading?

    init(label: String, next: Reading?) {
        self.label = label
        self.samples = []
        self.next = next
    }
}

/// Runs the workload at `scale` (readings kept at once); returns a checksum
/// so that nothing is optimised away.
@_cdecl("bench_swift_run")
public func benchSwiftRun(_ scale: Int) -> Int {
    var checksum = 0
    for round in 0..<3 {
        // Class instances in a linked list, each with a string label and an
        // array that grows one sample at a time.
        var newest: Reading? = nil
        for i in 0..<scale {
            let reading = Reading(label: "sensor-\(round)-\(i)-celsius", next: newest)
            for j in 0..<(i % 12) {
                reading.samples.append(Int32(truncatingIfNeeded: i &* j))
            }
            newest = reading
        }
        // Strings built and dropped.
        var log = ""
        var cursor = newest
        var count = 0
        while let reading = cursor, count < scale / 4 {
            log += reading.label
            log += ";"
            checksum &+= reading.samples.count
            cursor = reading.next
            count += 1
        }
        checksum &+= log.utf8.count
        // An array of arrays, grown and then filtered into a new one.
        var table: [[Int]] = []
        for i in 0..<(scale / 4) {
            table.append(Array(repeating: i, count: i % 16))
        }
        let kept = table.filter { $0.count > 4 }
        checksum &+= kept.count
        if round == 2 { bench_swift_checkpoint() }
        // Drop everything: every object goes back to the heap.
        newest = nil
    }
    return checksum
}
