// The suite's test profile (test_profile.h) seen from Swift, and the
// alignment test its scenarios share.

/// The board's test settings (see test_profile.h).
var testProfile: ontarget_profile {
    var profile = ontarget_profile()
    ontarget_get_profile(&profile)
    return profile
}

/// The profile's static region, for the Swift scenarios' own allocators.
func testRegion(_ profile: ontarget_profile) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: profile.region, count: profile.region_size)
}

/// True when `pointer` is a multiple of `alignment`.
func isAligned(_ pointer: UnsafeMutableRawPointer, _ alignment: UInt) -> Bool {
    UInt(bitPattern: pointer) % alignment == 0
}
