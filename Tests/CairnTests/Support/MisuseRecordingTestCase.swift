import XCTest

/// A test case whose tests each start with no misuse recorded (see
/// ``MisuseRecorder``, a global): the suites that read it derive from this.
class MisuseRecordingTestCase: XCTestCase {
    override func setUp() {
        super.setUp()
        MisuseRecorder.reset()
    }
}
