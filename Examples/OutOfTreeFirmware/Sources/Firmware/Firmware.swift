// A firmware whose every allocation is Cairn's: Embedded Swift allocates
// objects and array buffers through posix_memalign and frees them through
// free, and Cairn defines both. It prints what the heap saw, then Cairn's
// report, and exits 0 when the heap is intact and empty again.
import Board
import Cairn

/// A reading kept on the heap: each one is a separate object.
final class Sample {
    let channel: Int
    let value: Int

    init(channel: Int, value: Int) {
        self.channel = channel
        self.value = value
    }
}

@main
struct Firmware {
    static func main() {
        print("out-of-tree: firmware built against Cairn as a package")
        let peakLive = collect()
        let stats = CairnHeap.statistics
        print("out-of-tree: peak live blocks \(peakLive), live now \(stats.live_blocks), peak bytes \(stats.peak_in_use)")
        let intact = CairnHeap.printReport()
        board_exit(intact && stats.live_blocks == 0 && peakLive > 0 ? 0 : 1)
    }

    /// Fills an array with objects, keeps a derived array, and lets both go.
    /// Returns how many blocks were live at the fullest point.
    static func collect() -> Int {
        var samples: [Sample] = []
        for i in 0..<200 {
            samples.append(Sample(channel: i % 4, value: (i * 53) % 97))
        }
        var totals = [Int](repeating: 0, count: 4)
        for sample in samples { totals[sample.channel] += sample.value }
        // Embedded Swift prints integers and strings, not arrays.
        var line = "out-of-tree: \(samples.count) samples, totals"
        for total in totals { line += " \(total)" }
        print(line)
        return CairnHeap.statistics.live_blocks
    }
}
