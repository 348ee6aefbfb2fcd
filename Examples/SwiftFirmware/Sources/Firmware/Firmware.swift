// A small Embedded Swift firmware whose heap is Cairn: every class
// instance, array buffer and string below comes from Cairn's allocator
// (Embedded Swift allocates through posix_memalign and frees through free,
// and Cairn defines both). It ends with Cairn's heap report and exits 0
// when the heap is intact and everything was given back, 1 otherwise.
import Board
import Cairn

/// A node of a singly linked list: a class, so each one is a heap object.
final class Task {
    let name: String
    let priority: Int
    var next: Task?

    init(name: String, priority: Int, next: Task?) {
        self.name = name
        self.priority = priority
        self.next = next
    }
}

@main
struct Firmware {
    static func main() {
        print("swift-firmware: an Embedded Swift package on Cairn's heap")
        exerciseHeap()
        // exerciseHeap's objects are all gone: nothing may be left live.
        let intact = CairnHeap.printReport()
        let leaked = CairnHeap.statistics.live_blocks
        if leaked != 0 { print("swift-firmware: \(leaked) blocks still live") }
        board_exit(intact && leaked == 0 ? 0 : 1)
    }

    /// Allocates classes, arrays and strings; all of them die on return.
    static func exerciseHeap() {
        var queue: Task? = nil
        for i in 0..<16 {
            queue = Task(name: i.isMultiple(of: 2) ? "sample" : "transmit", priority: i % 4, next: queue)
        }
        var tasks = 0
        var urgent = 0
        var cursor = queue
        while let task = cursor {
            tasks += 1
            if task.priority == 0 { urgent += 1 }
            cursor = task.next
        }
        print("  classes: \(tasks) tasks, \(urgent) urgent")

        // An array that grows by reallocation, and a sorted copy of it
        // (1200 bytes: larger than the largest size class, so a fit-heap block).
        var readings: [Int] = []
        for i in 0..<300 { readings.append((i * 37) % 101) }
        let sorted = readings.sorted()
        print("  arrays: \(readings.count) readings, median \(sorted[sorted.count / 2])")

        // A string built at run time, longer than a small string.
        var line = ""
        for part in ["uart", "ready", "heap", "ok"] {
            line += line.isEmpty ? part : "/" + part
        }
        print("  strings: \(line) (\(line.utf8.count) bytes)")
    }
}
