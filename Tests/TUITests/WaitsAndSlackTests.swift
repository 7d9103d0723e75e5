import BuildCore
import Foundation
import Testing
@testable import TUI

/// A pending step says what it waits for; the timeline says what speeding a step up is worth.
struct WaitsAndSlackTests {
    /// a (2s) and b (5s) run in parallel; c needs both (1s). b is on the critical path, a has 3s of slack.
    static func build() -> DashboardState {
        DashboardState.after([
            .resize(width: 100, height: 30),
            Events.start(),
            Events.at(0, .plan([Events.vertex("a", "step a"), Events.vertex("b", "step b"),
                                Events.vertex("c", "step c", inputs: ["a", "b"])])),
            Events.started("a", at: 0), Events.started("b", at: 0),
            Events.completed("a", at: 2, duration: 2),
        ])
    }

    @Test func aPendingStepListsItsUnmetInputs() {
        var state = Self.build()
        state.selected = Events.digest("c")
        state.feed([.tick(Events.t0.addingTimeInterval(3))])
        let text = state.render(width: 100, height: 30).text
        #expect(text.contains("waiting for 1 of 2 inputs:"), "\(text)")
        #expect(text.contains("step b  running 3.0s"), "\(text)")
        #expect(text.contains("step a  done 2.0s"), "\(text)")
    }

    @Test func slackAndGainFollowTheCriticalPath() throws {
        var state = Self.build()
        state.feed([Events.completed("b", at: 5, duration: 5), Events.started("c", at: 5), Events.completed("c", at: 6, duration: 1),
                    Events.finished(at: 6, .succeeded)])
        let a = try #require(CriticalPath.slack(of: Events.digest("a"), state))
        let b = try #require(CriticalPath.slack(of: Events.digest("b"), state))
        #expect(a.gain == 0 && abs(a.slack - 3) < 1e-9)
        #expect(abs(b.gain - 3) < 1e-9 && b.slack == 0, "b at 0s leaves a's 2s: 3s sooner")
        state.press(.char("g"))
        state.selected = Events.digest("a")
        var text = state.render(width: 100, height: 30).text
        #expect(text.contains("step a: 3.0s of slack; faster ends the build no sooner (0s)"), "\(text)")
        state.press(.down)
        text = state.render(width: 100, height: 30).text
        #expect(text.contains("step b: critical path; if it took no time the build would end 3.0s sooner"), "\(text)")
    }
}
