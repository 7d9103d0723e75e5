import BuildCore
import Foundation
import Testing
@testable import TUI

/// Every view at 80×24 and 160×48, from the demo build's events, against stored snapshots.
@Suite struct SnapshotTests {
    static let sizes = [(80, 24), (160, 48)]

    private func check(_ name: String, _ make: (Int, Int) -> DashboardState) {
        for (w, h) in Self.sizes {
            let state = make(w, h)
            Snapshot.assert(state.render(width: w, height: h), named: "\(name)-\(w)x\(h)")
        }
    }

    private func keys(_ state: inout DashboardState, _ keys: Key...) {
        for key in keys { _ = state.apply(.key(key)) }
    }

    @Test func buildViewWhileRunning() {
        check("build") { w, h in DemoBuild(.succeeded).state(until: 2.4, width: w, height: h) }
    }

    @Test func buildViewInASCII() {
        let state = DemoBuild(.succeeded).state(until: 2.4, ascii: true)
        Snapshot.assert(state.render(width: 80, height: 24), named: "build-ascii-80x24")
    }

    @Test func logWithSearch() {
        check("log-search") { w, h in
            var state = DemoBuild(.succeeded).state(width: w, height: h)
            state.select(DemoBuild.runTests, pin: true)
            keys(&state, .char("t"), .char("/"), .char("o"), .char("k"), .char(" "), .char("1"), .enter, .char("n"))
            return state
        }
    }

    @Test func maximisedLog() {
        check("log-full") { w, h in
            var state = DemoBuild(.succeeded).state(until: 5.0, width: w, height: h)
            state.select(DemoBuild.make, pin: true)
            keys(&state, .enter)
            return state
        }
    }

    @Test func cacheGraph() {
        check("cache") { w, h in
            var state = DemoBuild(.succeeded).state(width: w, height: h)
            keys(&state, .char("c"))
            return state
        }
    }

    @Test func timeline() {
        check("timeline") { w, h in
            var state = DemoBuild(.succeeded).state(width: w, height: h)
            keys(&state, .char("g"))
            return state
        }
    }

    @Test func help() {
        check("help") { w, h in
            var state = DemoBuild(.succeeded).state(until: 2.4, width: w, height: h)
            keys(&state, .char("?"))
            return state
        }
    }

    @Test func failure() {
        check("failure") { w, h in DemoBuild(.failed).state(width: w, height: h) }
    }

    @Test func quitQuestion() {
        var state = DemoBuild(.succeeded).state(until: 2.4)
        keys(&state, .char("q"))
        Snapshot.assert(state.render(width: 80, height: 24), named: "quit-80x24")
    }
}
