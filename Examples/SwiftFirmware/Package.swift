// swift-tools-version:6.0
import PackageDescription

// An Embedded Swift firmware for the Arm MPS2 AN386 board (Cortex-M4) whose
// heap is Cairn. Build it with the toolset, which holds the flags for the
// bare-metal triple (see README.md):
//
//   swift build --triple armv7em-none-none-eabi --toolset toolset.json -c release
//
// The result, .build/armv7em-none-none-eabi/release/Firmware, is the ELF.

/// The Cairn repository this example lives in: the package it depends on,
/// and the home of the board layer and the linker scripts.
let cairnRoot = Context.packageDirectory + "/../.."
/// SwiftPM names a path dependency after its directory, which is whatever
/// the clone of Cairn is called (not the manifest's name, "Cairn").
let cairnPackage = String(Context.packageDirectory.split(separator: "/").dropLast(2).last!)

let package = Package(
    name: "SwiftFirmware",
    dependencies: [
        .package(path: "../.."),
    ],
    targets: [
        // The firmware's startup, UART console, semihosting exit and newlib
        // syscalls: Cairn's mps2-an386 board layer, reached through the
        // symbolic links in Sources/Board (a target's files must sit inside
        // its package). `board.h` is the module's public header, so Swift
        // can call board_exit.
        .target(
            name: "Board",
            path: "Sources/Board",
            // Cortex-M0 only: the M4 has the atomic instructions.
            exclude: ["common/atomics_armv6m.c"],
            publicHeadersPath: "common"
        ),
        .executableTarget(
            name: "Firmware",
            dependencies: [
                .product(name: "Cairn", package: cairnPackage),
                "Board",
            ],
            linkerSettings: [
                // The board's memory map and Cairn's section layout (.cairn_heap).
                // -L first: ld reads the board script, and its INCLUDE of
                // cairn-sections.ld, where -T stands.
                .unsafeFlags([
                    "-Xlinker", "-L", "-Xlinker", "\(cairnRoot)/LinkerScripts",
                    "-Xlinker", "-T", "-Xlinker", "\(cairnRoot)/LinkerScripts/mps2-an386.ld",
                ]),
            ]
        ),
    ]
)
