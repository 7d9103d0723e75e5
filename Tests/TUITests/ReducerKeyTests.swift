import BuildCore
import Foundation
import Testing
@testable import TUI

/// Keys: search, follow, scrolling, panes and screens, and leaving.
@Suite struct ReducerKeyTests {
    typealias E = Events

    /// One running step with `count` numbered lines, selected, log pane focused.
    private func logState(_ count: Int = 100, running: Bool = true) -> DashboardState {
        var messages = [E.start(), E.at(0, .plan([E.vertex("v", "[s 1/1] RUN test", stage: "s")])), E.started("v", at: 0)]
        messages.append(E.log("v", at: 0.5, (0..<count).map { "line \($0)\($0 % 10 == 3 ? " match" : "")\n" }.joined()))
        if !running { messages += [E.completed("v", at: 1), E.finished(at: 1, .succeeded)] }
        var state = DashboardState.after(messages)
        state.press(.tab)
        return state
    }

    @Test func searchTypesAQueryAndMovesWithNAndShiftN() {
        var state = logState()
        state.press(.char("/"))
        #expect(state.log.editing)
        state.type("Match")
        #expect(state.log.matches.isEmpty, "an uppercase letter makes the search case-sensitive")
        state.press(.backspace, .backspace, .backspace, .backspace, .backspace)
        state.type("match")
        #expect(state.log.matches == [3, 13, 23, 33, 43, 53, 63, 73, 83, 93])
        state.press(.enter)
        #expect(!state.log.editing)
        #expect(state.log.current == 9, "following: the newest match first")
        #expect(!state.log.follow)
        state.press(.char("n"))
        #expect(state.log.current == 0)
        #expect(state.flash?.contains("BOTTOM") == true)
        state.press(.char("n"))
        #expect(state.log.current == 1)
        #expect(state.log.top <= 13)
        state.press(.char("N"), .char("N"))
        #expect(state.log.current == 9)
        #expect(state.flash?.contains("TOP") == true)
    }

    @Test func searchEscRestoresTheQueryAndMissesRingTheBell() {
        var state = logState()
        state.press(.char("/"))
        state.type("match")
        state.press(.enter)
        state.press(.char("/"))
        state.type("zzz")
        #expect(state.log.matches.isEmpty)
        state.press(.esc)
        #expect(state.log.query == "match")
        #expect(state.log.matches.count == 10)
        state.press(.char("/"))
        state.type("nothing-here")
        #expect(state.press(.enter) == [.bell])
        #expect(state.flash == "pattern not found: nothing-here")
        state = logState()
        #expect(state.press(.char("n")) == [.bell])
    }

    @Test func matchesFollowNewOutputAndDroppedLines() {
        var state = logState(10)
        state.press(.char("/"))
        state.type("match")
        state.press(.enter)
        #expect(state.log.matches == [3])
        state.feed([E.log("v", at: 2, "another match\n")])
        #expect(state.log.matches == [3, 10])
    }

    @Test func followTogglesAndScrollingPausesIt() {
        var state = logState()
        #expect(state.log.follow)
        state.press(.up)
        #expect(!state.log.follow)
        let top = state.log.top
        state.feed([E.log("v", at: 2, "more\nmore\n")])
        #expect(state.log.top == top, "a paused view does not move when output arrives")
        state.press(.char("G"))
        #expect(state.log.follow)
        state.press(.char("f"))
        #expect(!state.log.follow)
        state.press(.char("f"))
        #expect(state.log.follow)
        state.press(.home)
        #expect(state.log.top == 0 && !state.log.follow)
        state.press(.pageDown)
        #expect(state.log.top > 0)
        state.press(.end)
        #expect(state.log.follow)
    }

    @Test func scrollingStopsAtTheEnds() {
        var state = logState(50)
        state.press(.home)
        state.press(.up, .up)
        #expect(state.log.top == 0)
        for _ in 0..<200 { state.press(.down) }
        let rows = state.logViewport.rows
        #expect(state.log.top == 50 - rows, "never past the last page")
    }

    @Test func wrapAndTimestampsToggle() {
        var state = logState()
        state.press(.char("w"), .char("t"))
        #expect(!state.log.wrap && state.log.timestamps)
        state.press(.right, .right)
        #expect(state.log.column == 16)
        state.press(.char("w"))
        #expect(state.log.wrap && state.log.column == 0)
    }

    @Test func quitAsksWhileRunning() {
        var state = logState()
        #expect(state.press(.char("q")) == [.confirmQuit])
        #expect(state.confirmingQuit)
        #expect(state.press(.char("x")).isEmpty, "other keys leave the question open")
        #expect(state.confirmingQuit)
        #expect(state.press(.char("n")).isEmpty)
        #expect(!state.confirmingQuit)
        state.press(.char("q"))
        #expect(state.press(.char("y")) == [.cancelBuild])
        #expect(state.cancelRequested && !state.confirmingQuit)
        #expect(state.press(.char("q")) == [.quit], "once canceling, q leaves")
    }

    @Test func quitLeavesAfterTheBuild() {
        var state = logState(running: false)
        #expect(state.press(.char("q")) == [.quit])
        var asking = logState()
        asking.press(.char("q"))
        asking.feed([E.finished(at: 3, .succeeded)])
        #expect(!asking.confirmingQuit, "the question goes away with the build")
        #expect(asking.press(.interrupt) == [.quit])
    }

    @Test func escAndCtrlCAnswerTheQuestion() {
        var state = logState()
        state.press(.char("q"))
        state.press(.esc)
        #expect(!state.confirmingQuit)
        state.press(.interrupt)
        #expect(state.press(.interrupt) == [.cancelBuild])
    }

    @Test func screensAndPanes() {
        var state = DemoBuild(.succeeded).state()
        state.press(.char("c"))
        #expect(state.screen == .cacheGraph)
        state.press(.char("g"))
        #expect(state.screen == .timeline)
        state.press(.esc)
        #expect(state.screen == .build)
        state.press(.char("?"))
        #expect(state.showHelp)
        state.press(.char("c"))
        #expect(state.showHelp && state.screen == .build, "help takes the keys while open")
        state.press(.esc)
        #expect(!state.showHelp)
        state.press(.tab)
        #expect(state.focus == .log)
        state.press(.shiftTab)
        #expect(state.focus == .steps)
        state.press(.enter)
        #expect(state.logMaximised && state.focus == .log)
        state.press(.esc)
        #expect(!state.logMaximised && state.focus == .steps)
    }

    @Test func selectionMovesThroughStepsAndLanes() {
        var state = DemoBuild(.succeeded).state()
        let order = state.displayOrder
        state.press(.home)
        #expect(state.selected == order.first)
        state.press(.char("j"), .down)
        #expect(state.selected == order[2])
        state.press(.char("k"))
        #expect(state.selected == order[1])
        state.press(.char("L"))
        #expect(state.selected == DemoBuild.base1, "next lane")
        state.press(.right)
        #expect(state.selected == DemoBuild.make)
        state.press(.left)
        #expect(state.selected == DemoBuild.base1)
        state.press(.end)
        #expect(state.selected == order.last)
        state.press(.pageUp)
        #expect(state.selected != order.last)
    }

    @Test func eJumpsToTheError() {
        var state = DemoBuild(.failed).state()
        state.press(.home)
        #expect(state.selected != DemoBuild.makeTest)
        state.press(.char("e"))
        #expect(state.selected == DemoBuild.makeTest)
        var ok = DemoBuild(.succeeded).state()
        #expect(ok.press(.char("e")) == [.bell])
    }

    @Test func mouseClickSelectsAndWheelScrolls() {
        var state = DemoBuild(.succeeded).state(until: 2.4)
        let grid = state.render(width: 80, height: 24)
        let rows = grid.text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let y = rows.firstIndex(where: { $0.contains("[builder 2/2]") }) else {
            Issue.record("builder 2/2 not on screen")
            return
        }
        state.press(.click(x: 10, y: y))
        #expect(state.selected == DemoBuild.makeTest)
        #expect(state.selectionPinned)
        state.press(.wheelDown(x: 10, y: 3))
        #expect(state.selected != DemoBuild.makeTest)
        state.select(DemoBuild.make, pin: true)
        state.press(.wheelUp(x: 10, y: 22))
        #expect(!state.log.follow, "wheel over the log pane scrolls it")
        state.press(.click(x: 10, y: 22))
        #expect(state.focus == .log)
    }

    @Test func controlCharactersActAsTheirKeys() {
        var state = logState()
        state.press(.char("\u{3}"))
        #expect(state.confirmingQuit, "ctrl-c asks like q")
        #expect(state.press(.char("\u{3}")) == [.cancelBuild])
        var search = logState()
        search.press(.char("/"))
        search.type("ab")
        search.press(.char("\u{7f}"))
        #expect(search.log.query == "a")
        search.press(.char("\u{1b}"))
        #expect(!search.log.editing && search.log.query.isEmpty)
    }

    @Test func resizeAndTickOnlyRecordTheirValues() {
        var state = DashboardState(ascii: false, colorEnabled: true)
        #expect(state.apply(.resize(width: -3, height: 50)).isEmpty)
        #expect(state.width == 0 && state.height == 50)
        #expect(state.apply(.tick(E.t0)).isEmpty)
        #expect(state.now == E.t0)
    }
}
