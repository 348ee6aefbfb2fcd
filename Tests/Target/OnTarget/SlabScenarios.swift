// The slab allocator run directly on the target over a static region (not
// the firmware's heap): the suite's order, and the helpers every slab
// scenario shares. Each scenario leaves the slab empty for the next.
import Cairn

/// A slab over the profile's static region, its misuse counted.
func makeRegionSlab(_ profile: ontarget_profile) -> SlabAllocator? {
    let configuration = SlabConfiguration(pageSize: UInt(profile.page_size), largestClass: UInt(profile.largest_class))
    guard var slab = SlabAllocator(region: testRegion(profile), configuration: configuration) else { return nil }
    slab.misuseHandler = countMisuse
    return slab
}

/// One check: the slab's integrity check finds no broken invariant.
func expectIntact(_ slab: borrowing SlabAllocator, _ test: StaticString) {
    let report = slab.checkIntegrity()
    expect(report.isValid, test, "integrity check: broken invariant", value: UInt(report.problem?.rawValue ?? 0))
}

/// One check: no class block and no large block is live.
func expectEmpty(_ slab: borrowing SlabAllocator, _ test: StaticString) {
    let stats = slab.statistics
    expect(stats.liveBlocks == 0 && stats.largeBlocks == 0, test, "blocks still live after freeing all",
           value: stats.liveBlocks + stats.largeBlocks)
}

func runSlabScenarios() {
    announce("slab allocator over a static region")
    guard var slab = makeRegionSlab(testProfile) else {
        expect(false, "slab over the test region", "the region was refused")
        return
    }
    expect(slab.isConfigured && slab.statistics.pageCount >= 8, "slab over the test region",
           "fewer than 8 pages", value: slab.statistics.pageCount)
    slabFollowsTheCRules(&slab)
    expectIntact(slab, "slab is intact after the C rules")
    slabHonoursEveryAlignment(&slab)
    expectIntact(slab, "slab is intact after every alignment")
    slabReportsMisuseAndChangesNothing(&slab)
    expectIntact(slab, "slab is intact after misuse")
    slabRefusesImpossibleSizes(&slab)
    expectIntact(slab, "slab is intact after impossible sizes")
    slabRecoversFromExhaustion(&slab)
    slabSurvivesRandomChurn(&slab, testProfile)
}
