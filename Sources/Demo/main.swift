// Cairn's demo firmware: an Embedded Swift program whose classes, arrays,
// strings and dictionary all get their memory from Cairn (through
// posix_memalign/free), plus C code using malloc/strdup/printf on the same
// heap. It ends with the heap report; the exit status says whether the heap
// is intact.
import Cairn
#if CAIRN_DEMO_HEAPMAP
import CairnPlatform
#endif

/// A reading from one sensor: a class, so each instance is a heap object.
final class Reading {
    let sensor: String
    let value: Int
    var next: Reading?

    init(sensor: String, value: Int, next: Reading?) {
        self.sensor = sensor
        self.value = value
        self.next = next
    }
}

@main
struct Demo {
    static func main() {
        // The heap's one-time set-up, here rather than in the first
        // allocation (print's first call may allocate).
        CairnHeap.setUp()
        print("cairn demo: Embedded Swift and C sharing one heap")

        // Class instances: a linked list of readings.
        var newest: Reading? = nil
        for i in 0..<24 {
            newest = Reading(sensor: i % 3 == 0 ? "thermistor" : "photodiode", value: i * 7, next: newest)
        }
        var count = 0
        var total = 0
        var cursor = newest
        while let reading = cursor {
            count += 1
            total += reading.value
            cursor = reading.next
        }
        print("  classes: \(count) readings, total \(total)")

        // An array that grows (and reallocates) as it is appended to.
        var samples: [Int] = []
        for i in 0..<200 { samples.append(i * i % 97) }
        print("  array: \(samples.count) samples, max \(samples.max() ?? 0)")

        // Strings built at run time.
        var log = ""
        for word in ["boot", "sensors", "radio", "ready"] {
            log += log.isEmpty ? word : " > " + word
        }
        print("  string: \(log) (\(log.utf8.count) bytes)")

        // A dictionary keyed by string.
        var counts: [String: Int] = [:]
        cursor = newest
        while let reading = cursor {
            counts[reading.sensor, default: 0] += 1
            cursor = reading.next
        }
        print("  dictionary: thermistor \(counts["thermistor"] ?? 0), photodiode \(counts["photodiode"] ?? 0)")

        // Drop the list: every instance goes back to the heap.
        newest = nil

        let cFailures = demo_c_exercise()
        #if CAIRN_DEMO_HEAPMAP
        cairn_print_heap_map()  // `make heapmap` builds the demo with this
        #endif
        let intact = CairnHeap.printReport()
        demo_report_stack()
        demo_exit(intact && cFailures == 0 ? 0 : 1)
    }
}
