// swift-tools-version:6.0
import PackageDescription

// Cairn: bump and slab allocators for bare-metal Embedded Swift.
//
// On the host this builds the portable allocator module and its XCTest suite.
// On an embedded triple (`swift build --triple armv7em-none-none-eabi`) the same
// module also compiles its C-ABI glue (Sources/Cairn/Firmware and the C shim in
// Sources/CairnPlatform), which the host build leaves out: the host test
// binary exports no `malloc`/`free` of Cairn's.
let package = Package(
    name: "Cairn",
    products: [
        .library(name: "Cairn", targets: ["Cairn"]),
    ],
    targets: [
        .target(
            name: "CairnPlatform",
            path: "Sources/CairnPlatform"
            // The C ABI between the shim and Swift passes no enums, so the
            // `-fshort-enums` the firmware build uses cannot change it.
        ),
        .target(
            name: "Cairn",
            dependencies: ["CairnPlatform"],
            path: "Sources/Cairn"
        ),
        .testTarget(
            name: "CairnTests",
            dependencies: ["Cairn"],
            path: "Tests/CairnTests"
        ),
    ]
)
