// swift-tools-version:6.0
import PackageDescription

// A firmware for the Arm MPS2 AN386 board (Cortex-M4) that takes Cairn as an
// ordinary package dependency: nothing here points into Cairn's tree. Copy
// this folder anywhere, say where Cairn is below, and build with the toolset:
//
//   swift build --triple armv7em-none-none-eabi --toolset toolset.json -c release
//
// The ELF is .build/armv7em-none-none-eabi/release/Firmware.

/// Where the clone of Cairn is, relative to this package (or absolute).
/// With a git URL instead, use `.package(url: ..., from: ...)` and the
/// repository's name as `cairnPackage`.
let cairnPath = "../cairn"
/// SwiftPM names a path dependency after the last component of its path
/// (not after the manifest's name, "Cairn").
let cairnPackage = String(cairnPath.split(separator: "/").last!)

let package = Package(
    name: "OutOfTreeFirmware",
    dependencies: [
        .package(path: cairnPath),
    ],
    targets: [
        // Startup, vector table, UART console and semihosting exit: the
        // firmware's own, as on any board Cairn knows nothing about.
        .target(name: "Board", path: "Sources/Board"),
        .executableTarget(
            name: "Firmware",
            dependencies: [
                .product(name: "Cairn", package: cairnPackage),
                "Board",
            ]
        ),
    ]
)
