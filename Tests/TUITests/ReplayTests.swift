import BuildCore
import Foundation
import Testing
@testable import TUI

/// The replay player: the playback clock drives the dashboard, seeking anywhere shows what
/// playing to that point shows, and what the user looks at survives seeking.
@Suite struct ReplayTests {
    static func at(_ seconds: Double) -> Date { DemoBuild.t0.addingTimeInterval(seconds) }

    static func template(ascii: Bool = false, width: Int = 80, height: Int = 24) -> DashboardState {
        var state = DashboardState(ascii: ascii, colorEnabled: true, stepHistory: DemoBuild.history, trend: DemoBuild.trend)
        _ = state.apply(.resize(width: width, height: height))
        return state
    }

    /// A replay of the demo build, loaded in batches of `batch` events.
    static func replay(_ outcome: DemoBuild.Outcome = .succeeded, speed: Double = 1, batch: Int = .max,
                       interval: Int = 20_000, maxCheckpoints: Int = 48, ascii: Bool = false) -> Replay {
        var replay = Replay(template: template(ascii: ascii), title: "b1", speed: speed, interval: interval,
                            maxCheckpoints: maxCheckpoints)
        let events = DemoBuild(outcome).events
        for start in stride(from: 0, to: events.count, by: min(batch, events.count)) {
            replay.receive(Array(events[start..<min(events.count, start + batch)]))
        }
        replay.finishLoading()
        return replay
    }

    /// What a live dashboard showed at `seconds`, without the scrubber row.
    static func live(_ outcome: DemoBuild.Outcome = .succeeded, at seconds: Double) -> CellGrid {
        DemoBuild(outcome).state(until: seconds).render(width: 80, height: 24)
    }

    /// The replay's screen without its scrubber, to compare with a live one.
    static func withoutScrubber(_ replay: Replay) -> CellGrid {
        var state = replay.state
        state.playback = nil
        return state.render(width: 80, height: 24)
    }

    @Test func theFirstFrameIsTheBuildsFirstMoment() {
        var replay = Replay(template: Self.template(), title: "b1", speed: 1)
        #expect(replay.state.render(width: 80, height: 24).text.contains("LOADING"))
        replay.receive(Array(DemoBuild(.succeeded).events.prefix(3)))
        #expect(replay.playback.position == DemoBuild.t0)
        #expect(replay.state.clock == DemoBuild.t0, "the replay clock, not the wall clock")
        #expect(replay.state.render(width: 80, height: 24).text.contains("demo:latest"))
    }

    @Test func playingShowsWhatTheLiveDashboardShowed() {
        var replay = Self.replay(speed: 2)
        replay.advance(by: 1.2)
        #expect(replay.playback.position == Self.at(2.4))
        #expect(Self.withoutScrubber(replay) == Self.live(at: 2.4))
        replay.advance(by: 100)
        #expect(replay.playback.ended)
        #expect(Self.withoutScrubber(replay) == Self.live(at: 9.8), "the end stays, like a finished build")
    }

    @Test func pausedScreensDoNotChange() {
        var replay = Self.replay()
        replay.advance(by: 2.4)
        replay.apply(.key(.char(" ")))
        let paused = replay.state.render(width: 80, height: 24)
        #expect(paused.text.contains("PAUSED"))
        replay.advance(by: 3)
        #expect(replay.state.render(width: 80, height: 24) == paused)
        replay.apply(.key(.char(" ")))
        replay.advance(by: 0.1)
        #expect(replay.state.render(width: 80, height: 24) != paused, "the spinner and timers move again")
    }

    /// Seeking to any time, from any other, in any order, gives the screen of a dashboard fed
    /// the events up to that time: with checkpoints every few events (restores are exercised),
    /// with the default interval, and with the record arriving in small batches.
    @Test(arguments: [(7, 48, Int.max), (20_000, 48, Int.max), (3, 4, 5)])
    func seekingAnywhereEqualsAFreshReduce(interval: Int, maxCheckpoints: Int, batch: Int) {
        for outcome in [DemoBuild.Outcome.succeeded, .failed] {
            var replay = Self.replay(outcome, batch: batch, interval: interval, maxCheckpoints: maxCheckpoints)
            if interval < 100 { replay.index(budget: .max) }
            #expect(replay.checkpoints.count <= maxCheckpoints)
            var times = stride(from: 0.0, through: 10, by: 0.3).map { $0 }
            // A fixed shuffle: forward and back, near and far.
            times = times.enumerated().sorted { ($0.offset * 7919) % 31 < ($1.offset * 7919) % 31 }.map(\.element)
            for t in times {
                replay.show(Self.at(t))
                #expect(Self.withoutScrubber(replay) == Self.live(outcome, at: min(t, outcome == .failed ? 8.5 : 9.8)),
                        "\(outcome) at \(t)s")
            }
        }
    }

    @Test func seekingBackWithKeysEqualsPlayingThere() {
        var replay = Self.replay(interval: 5)
        replay.index(budget: .max)
        replay.advance(by: 8)
        replay.apply(.key(.left))
        #expect(replay.playback.position == Self.at(3))
        var fresh = Self.replay(interval: 5)
        fresh.advance(by: 3)
        #expect(replay.state.render(width: 80, height: 24) == fresh.state.render(width: 80, height: 24))
    }

    @Test func whatTheUserLooksAtSurvivesSeeking() {
        var replay = Self.replay(interval: 5)
        replay.advance(by: 8)
        // Pick the tests step, open its log with timestamps, search it.
        replay.apply(.key(.home))
        for _ in 0..<20 where replay.state.selected != DemoBuild.runTests { replay.apply(.key(.down)) }
        #expect(replay.state.selected == DemoBuild.runTests)
        for key in [Key.tab, .char("t"), .char("/"), .char("o"), .char("k"), .enter] { replay.apply(.key(key)) }
        #expect(replay.state.log.matches.count > 5)
        replay.apply(.key(.left))
        #expect(replay.playback.position == Self.at(3))
        #expect(replay.state.selected == DemoBuild.runTests)
        #expect(replay.state.focus == .log && replay.state.log.timestamps && replay.state.log.query == "ok")
        let log = replay.state.step(DemoBuild.runTests)?.log
        let expected = log.map { log in (log.firstNumber..<log.endNumber).filter { log.line($0)?.text.contains("ok") == true } }
        #expect(replay.state.log.matches == expected, "the matches of the log as it was then")
        replay.apply(.key(.char("g")))
        #expect(replay.state.selected == DemoBuild.runTests, "a step the user picked stays picked while it exists")

        // The export step is planned only at 9.2s: before that the selection is the build's own.
        replay.apply(.key(.char("G")))
        replay.apply(.key(.tab))
        replay.apply(.key(.home))
        for _ in 0..<20 where replay.state.selected != DemoBuild.export { replay.apply(.key(.down)) }
        #expect(replay.state.selected == DemoBuild.export)
        replay.apply(.key(.char("g")))
        var fresh = Self.replay(interval: 5)
        fresh.show(DemoBuild.t0)
        #expect(replay.state.selected == fresh.state.selected)
    }

    @Test func replayKeysWinExceptInHelpAndSearch() {
        var replay = Self.replay()
        replay.advance(by: 2)
        replay.apply(.key(.char("?")))
        replay.apply(.key(.char(" ")))
        #expect(!replay.playback.paused, "the help overlay keeps its keys")
        replay.apply(.key(.esc))
        replay.apply(.key(.char("/")))
        replay.apply(.key(.char(" ")))
        replay.apply(.key(.char("g")))
        #expect(replay.state.log.query == " g" && replay.playback.position == Self.at(2), "a search types")
        replay.apply(.key(.esc))
        replay.apply(.key(.char("g")))
        #expect(replay.playback.position == DemoBuild.t0 && replay.state.screen == .build, "g goes to the start")
        replay.apply(.key(.char("T")))
        #expect(replay.state.screen == .timeline, "the timeline is T")
        replay.apply(.key(.char(" ")))
        #expect(replay.playback.paused, "on every screen")
        #expect(replay.apply(.key(.char("q"))) == [.quit], "no question: there is no build to cancel")
    }

    @Test func aClickOnTheTimelineSeeks() {
        var replay = Self.replay()
        let row = replay.state.render(width: 80, height: 24).text.split(separator: "\n", omittingEmptySubsequences: false)[22]
        #expect(row.contains("PLAYING"))
        replay.apply(.key(.click(x: 78, y: 22)))
        #expect(replay.playback.position == Self.at(9.8), "the last cell is the end")
        replay.apply(.key(.click(x: 2, y: 22)))
        #expect(replay.playback.position == Self.at(9.8), "the label is not the timeline")
    }

    @Test func keysNeverCrashAtTinySizes() {
        let keys: [Key] = [.char(" "), .char("+"), .right, .char("]"), .char("["), .left, .char("-"), .char("G"), .char("g"),
                           .click(x: 0, y: 0), .click(x: 3, y: 3), .click(x: 19, y: 3), .char("T"), .char("c"), .char("?"),
                           .esc, .esc, .tab, .enter, .char("/"), .char("x"), .enter, .char("q")]
        for (w, h) in [(0, 0), (1, 1), (4, 4), (5, 5), (20, 5), (80, 24)] {
            var replay = Self.replay(.failed, interval: 4)
            replay.apply(.resize(width: w, height: h))
            for key in keys {
                replay.apply(.key(key))
                replay.advance(by: 0.7)
                _ = replay.state.render(width: w, height: h)
            }
        }
    }

    @Test func checkpointsAreCappedByWideningTheirInterval() {
        var replay = Self.replay(interval: 2, maxCheckpoints: 8)
        replay.index(budget: .max)
        #expect(replay.checkpoints.count <= 8)
        #expect(replay.interval >= 16)
        let counts = replay.checkpoints.map(\.count)
        #expect(counts == counts.sorted())
    }

    @Test func aRecordEndingEarlySaysSo() {
        var replay = Replay(template: Self.template(), title: "b1", speed: 1)
        replay.receive(Array(DemoBuild(.succeeded).events.prefix(20)))
        replay.finishLoading(error: "line 21: unexpected end of JSON")
        #expect(replay.state.render(width: 80, height: 24).text.contains("record ends early"))
    }

    @Test func replayScreens() {
        var replay = Self.replay(speed: 4)
        replay.advance(by: 1.25)
        replay.apply(.key(.char(" ")))
        Snapshot.assert(replay.state.render(width: 80, height: 24), named: "replay-80x24")
        var failed = Self.replay(.failed, speed: .infinity, ascii: true)
        failed.advance(by: 0.1)
        failed.apply(.key(.char("[")))
        Snapshot.assert(failed.state.render(width: 80, height: 24), named: "replay-ascii-80x24")
        replay.apply(.key(.char("?")))
        Snapshot.assert(replay.state.render(width: 80, height: 24), named: "replay-help-80x24")
    }
}
