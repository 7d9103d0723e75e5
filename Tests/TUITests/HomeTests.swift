import BuildCore
import Foundation
import Testing
@testable import TUI

/// The home screen: moving through running builds, the history and the Dockerfile to build,
/// and what each key picks.
@Suite struct HomeTests {
    static let now = Date(timeIntervalSince1970: 1_700_003_600)

    static func entries(recent count: Int = 30, running: Bool = true, dockerfile: Bool = true) -> HomeEntries {
        let statuses: [HomeEntries.RecentBuild.Status] = [.succeeded, .succeeded, .failed, .succeeded, .canceled, .interrupted]
        let recent = (0..<count).map { i in
            HomeEntries.RecentBuild(id: String(format: "b%02d", count - i) + "7f3a2c91e04d", status: statuses[i % statuses.count],
                                    started: now.addingTimeInterval(-Double(i * i) * 97 - 40), duration: 9.8 + Double(i) * 7.3,
                                    steps: 11, cached: (i * 3) % 12, name: i % 3 == 0 ? "demo:latest" : "--target builder")
        }
        let runningBuilds = running ? [
            HomeEntries.RunningBuild(id: "r2c81d0e55a3b", context: "/src/app", started: now.addingTimeInterval(-65), done: 12, total: 20),
            HomeEntries.RunningBuild(id: "r1aa09f7b3c21", context: "/home/me/projects/a-rather-long-name/service", started: now.addingTimeInterval(-4),
                                     done: 0, total: 0),
        ] : []
        return HomeEntries(running: runningBuilds, recent: recent, buildPath: dockerfile ? "./Dockerfile" : nil, now: now)
    }

    static func state(_ entries: HomeEntries = entries(), ascii: Bool = false, width: Int = 80, height: Int = 24) -> HomeState {
        var state = HomeState(entries: entries, ascii: ascii, colorEnabled: true)
        _ = state.apply(.resize(width: width, height: height))
        return state
    }

    @discardableResult
    static func press(_ state: inout HomeState, _ keys: Key...) -> [HomeEffect] {
        keys.flatMap { state.apply(.key($0)) }
    }

    /// Several contexts: a CONTEXT column says whose each build is, running rows name theirs, and
    /// a context that did not answer is a dimmed row with its error, above the lists.
    @Test func theFleetShowsWhoseEachBuildIsAndWhoDidNotAnswer() {
        var entries = Self.entries(recent: 2, running: true, dockerfile: false)
        for i in entries.recent.indices { entries.recent[i].host = i == 0 ? "default" : "far" }
        for i in entries.running.indices { entries.running[i].host = "far" }
        entries.unreachable = [("down", "unreachable: ssh root@10.0.0.9: Connection timed out")]
        let text = Self.state(entries, width: 100, height: 20).render(width: 100, height: 20).text
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[1].contains("down: unreachable: ssh root@10.0.0.9: Connection timed out"), "\(text)")
        #expect(lines.contains { $0.contains("ID") && $0.contains("CONTEXT") && $0.contains("STATUS") }, "\(text)")
        #expect(lines.contains { $0.contains(" far ") && $0.contains("succeeded") || $0.contains(" far ") && $0.contains("failed") }, "\(text)")
        #expect(lines.contains { $0.contains("[far] ") }, "a running build names its context: \(text)")
    }

    @Test func enterDoesEachSectionsMainThing() {
        var state = Self.state()
        #expect(state.section == .running, "running builds come first")
        #expect(Self.press(&state, .enter) == [.choose(.attach(id: "r2c81d0e55a3b"))])
        Self.press(&state, .down, .down)
        #expect(state.section == .recent && state.row == 0, "down moves on into the history")
        #expect(Self.press(&state, .enter) == [.choose(.replay(id: "b307f3a2c91e04d"))])
        #expect(Self.press(&state, .char("i")) == [.choose(.inspect(id: "b307f3a2c91e04d"))])
        #expect(Self.press(&state, .char("c")) == [], "the first c marks the build")
        #expect(state.marked == "b307f3a2c91e04d")
        #expect(Self.press(&state, .esc) == [], "esc drops the mark before it leaves")
        #expect(state.marked == nil)
        Self.press(&state, .char("G"))
        #expect(state.section == .build)
        #expect(Self.press(&state, .enter) == [.choose(.build(path: "./Dockerfile"))])
        Self.press(&state, .up)
        #expect(state.section == .recent && state.row == 29)
    }

    @Test func tabJumpsBetweenSections() {
        var state = Self.state()
        Self.press(&state, .down, .tab)
        #expect(state.section == .recent && state.row == 0)
        Self.press(&state, .tab)
        #expect(state.section == .build)
        Self.press(&state, .tab)
        #expect(state.section == .running && state.row == 0, "wraps around")
        Self.press(&state, .shiftTab)
        #expect(state.section == .build)
        var noRunning = Self.state(Self.entries(running: false))
        #expect(noRunning.section == .recent, "an empty section is skipped")
        Self.press(&noRunning, .tab, .tab)
        #expect(noRunning.section == .recent)
    }

    @Test func inspectAndCompareWantABuildOfTheHistory() {
        var state = Self.state()
        #expect(Self.press(&state, .char("i")) == [.bell])
        #expect(state.flash != nil)
        #expect(state.render(width: 80, height: 24).text.contains("history"))
        #expect(Self.press(&state, .char("c")) == [.bell])
        #expect(Self.press(&state, .char("r")) == [.choose(.refresh)])
        #expect(Self.press(&state, .char("q")) == [.quit])
        #expect(Self.press(&state, .esc) == [.quit])
    }

    @Test func theCursorStaysInViewInALongHistory() {
        var state = Self.state()
        Self.press(&state, .tab)
        for _ in 0..<25 { Self.press(&state, .down) }
        #expect(state.section == .recent && state.row == 25)
        let text = state.render(width: 80, height: 24).text
        #expect(text.contains("b057f3a2c91e"), "the selected build is on screen")
        #expect(!text.contains("b307f3a2c91e"), "the list scrolled")
        Self.press(&state, .pageUp)
        #expect(state.section == .recent && state.row == 11)
        for _ in 0..<11 { Self.press(&state, .up) }
        #expect(state.render(width: 80, height: 24).text.contains("b307f3a2c91e"), "and back")
        _ = state.apply(.resize(width: 80, height: 10))
        Self.press(&state, .char("G"), .up)
        #expect(state.render(width: 80, height: 10).text.contains("b017f3a2c91e"))
    }

    @Test func aClickSelectsARow() {
        var state = Self.state()
        let rows = state.render(width: 80, height: 24).text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let y = rows.firstIndex(where: { $0.contains("b287f3a2c91e") }) else {
            Issue.record("no row for b28")
            return
        }
        Self.press(&state, .click(x: 30, y: y))
        #expect(state.section == .recent && state.row == 2)
        Self.press(&state, .click(x: 30, y: 0))
        #expect(state.section == .recent && state.row == 2, "the header is not a row")
    }

    @Test func nothingToListStillWorks() {
        var state = Self.state(HomeEntries(now: Self.now))
        #expect(!state.hasSelection)
        #expect(Self.press(&state, .enter, .down, .tab, .char("i")) == [.bell, .bell])
        let text = state.render(width: 80, height: 24).text
        #expect(text.contains("no builds running") && text.contains("no builds in the history yet"))
        #expect(Self.press(&state, .char("q")) == [.quit])
    }

    @Test func timesFollowTheTick() {
        var state = Self.state()
        #expect(state.render(width: 80, height: 24).text.contains("1m05s"))
        _ = state.apply(.tick(Self.now.addingTimeInterval(60)))
        #expect(state.render(width: 80, height: 24).text.contains("2m05s"))
        #expect(DurationText.ago(3) == "just now" && DurationText.ago(42) == "42s ago" && DurationText.ago(3 * 3600 + 5) == "3h ago")
        #expect(DurationText.ago(90 * 86_400) == "90d ago" && DurationText.ago(-5) == "just now")
    }

    @Test func neverCrashesAtAnySizeAndASCIIStaysASCII() {
        let sizes = [(0, 0), (1, 1), (2, 2), (10, 3), (20, 5), (40, 8), (60, 12), (80, 24), (160, 48), (300, 2), (3, 100), (-1, -1)]
        for ascii in [false, true] {
            for entries in [Self.entries(), HomeEntries(now: Self.now), Self.entries(recent: 1, dockerfile: false)] {
                for (w, h) in sizes {
                    var state = Self.state(entries, ascii: ascii, width: w, height: h)
                    for key in [Key.down, .tab, .pageDown, .end, .click(x: 1, y: 1), .up, .char("i"), .home] {
                        _ = state.apply(.key(key))
                        let grid = state.render(width: w, height: h)
                        #expect(grid.width == max(0, w) && grid.height == max(0, h))
                        if ascii { #expect(grid.text.unicodeScalars.allSatisfy { $0.isASCII }, "\(w)x\(h)") }
                    }
                }
            }
        }
    }

    @Test func cMarksABuildAndCOnASecondComparesThem() {
        var state = Self.state(Self.entries(running: false))
        #expect(Self.hintBar(state).contains("c mark to compare"))
        #expect(Self.press(&state, .char("c")) == [])
        #expect(state.marked == "b307f3a2c91e04d")
        #expect(Self.hintBar(state).contains("marked b307f3a2c91e"), "a flash says what happened")
        #expect(state.render(width: 80, height: 24).text.split(separator: "\n")[5].hasPrefix(">*b307f3a2c91e"),
                "the mark stands beside the cursor")
        #expect(Self.hintBar(state.applying(.tick(Self.now))).contains("c unmark"))
        Self.press(&state, .down)
        #expect(Self.hintBar(state).contains("c compare with b307f3a2"))
        #expect(state.render(width: 80, height: 24).text.split(separator: "\n")[5].hasPrefix(" *b307f3a2c91e"))
        #expect(Self.press(&state, .char("c")) == [.choose(.compare(base: "b307f3a2c91e04d", with: "b297f3a2c91e04d"))])
        #expect(state.marked == nil)
        // c on the marked build again unmarks it.
        Self.press(&state, .char("c"), .char("c"))
        #expect(state.marked == nil)
        #expect(Self.press(&state, .esc) == [.quit])
    }

    static func hintBar(_ state: HomeState) -> String {
        String(state.render(width: 120, height: 24).text.split(separator: "\n", omittingEmptySubsequences: false)[23])
    }

    @Test func homeScreens() {
        var state = Self.state()
        Self.press(&state, .tab, .down)
        Snapshot.assert(state.render(width: 80, height: 24), named: "home-80x24")
        var ascii = Self.state(ascii: true, width: 120, height: 30)
        Self.press(&ascii, .end)
        Snapshot.assert(ascii.render(width: 120, height: 30), named: "home-ascii-120x30")
        Self.press(&state, .up, .char("c"), .down, .down)
        Snapshot.assert(state.render(width: 80, height: 24), named: "home-marked-80x24")
    }
}

extension HomeState {
    /// The state after `message`, for checks on what a message leaves behind.
    func applying(_ message: HomeMessage) -> HomeState {
        var copy = self
        _ = copy.apply(message)
        return copy
    }
}
