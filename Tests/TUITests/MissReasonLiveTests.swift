import BuildCore
import Foundation
import Testing
@testable import TUI

/// The cache view says why a step runs while it runs, and keeps the reason when it fails.
@Suite struct MissReasonLiveTests {
    typealias E = Events

    @Test func aRunningStepShowsItsReasonAndAFailedOneKeepsIt() {
        var state = DashboardState.after([
            E.start(),
            E.at(0, .plan([E.vertex("b1", "[base 1/2] RUN make", stage: "base"), E.vertex("b2", "[base 2/2] RUN test", stage: "base")])),
            E.started("b1", at: 1),
            E.at(1.01, .cacheMiss(CacheMiss(digest: E.digest("b1"), reason: "build arg VERSION changed: \"1\" → \"2\""))),
        ])
        #expect(state.step(E.digest("b1"))?.status == .running)
        #expect(state.step(E.digest("b1"))?.missReason == "build arg VERSION changed: \"1\" → \"2\"")
        let running = CacheGraphView.lines(state, width: 100).map { $0.spans.map(\.text).joined() }
        #expect(running.contains { $0.contains("[base 1/2] RUN make") && $0.contains("build arg VERSION changed") }, "\(running)")
        #expect(!running.contains { $0.contains("no reason recorded") })

        // A failure from a solver that does not repeat the reason keeps the one it told first.
        state.feed([E.completed("b1", at: 3, .failed, duration: 2, error: "exit code 2")])
        #expect(state.step(E.digest("b1"))?.status == .failed)
        #expect(state.step(E.digest("b1"))?.missReason == "build arg VERSION changed: \"1\" → \"2\"")
    }
}
