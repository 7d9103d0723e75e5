import BuildCore
import Foundation
import Testing
@testable import TUI

/// Rendering at any size, in ASCII, in two columns, and fast enough for 20 frames a second.
@Suite struct RenderTests {
    /// Every screen the dashboard can show, from the demo build.
    static func screens() -> [(String, DashboardState)] {
        var out: [(String, DashboardState)] = []
        for ascii in [false, true] {
            let running = DemoBuild(.succeeded).state(until: 2.4, ascii: ascii)
            let failed = DemoBuild(.failed).state(ascii: ascii)
            let done = DemoBuild(.succeeded).state(ascii: ascii)
            out.append(("empty", DashboardState(ascii: ascii, colorEnabled: false)))
            out += [("running", running), ("failed", failed), ("done", done)]
            for (name, keys) in [("cache", [Key.char("c")]), ("timeline", [.char("g")]), ("help", [.char("?")]),
                                 ("log", [.enter]), ("search", [.char("/"), .char("o"), .char("k")]),
                                 ("quit", [.char("q")]), ("nowrap", [.tab, .char("w"), .char("t"), .right])] {
                for (base, state) in [("running", running), ("failed", failed)] {
                    var s = state
                    for key in keys { _ = s.apply(.key(key)) }
                    out.append(("\(base)-\(name)", s))
                }
            }
            var parseError = DashboardState(ascii: ascii, colorEnabled: true)
            _ = parseError.apply(Events.start())
            _ = parseError.apply(Events.finished(at: 0.1, .failed, error: "Dockerfile:3:1: unknown instruction: RUNN\nmore"))
            out.append(("parse-error", parseError))
            var replay = ReplayTests.replay(.failed, speed: 2, ascii: ascii)
            replay.advance(by: 1.2)
            out.append(("replay", replay.state))
            replay.apply(.key(.char(" ")))
            replay.apply(.key(.char("?")))
            out.append(("replay-help", replay.state))
            replay.apply(.key(.esc))
            replay.apply(.key(.char("G")))
            out.append(("replay-end", replay.state))
            out.append(("replay-loading", Replay(template: DashboardState(ascii: ascii, colorEnabled: true), title: "x", speed: 1).state))
        }
        return out
    }

    @Test func neverCrashesAtAnySize() {
        let sizes = [(0, 0), (1, 1), (0, 5), (5, 0), (2, 2), (20, 5), (10, 3), (40, 10), (80, 24), (119, 30), (120, 30),
                     (160, 48), (200, 60), (300, 2), (3, 100), (-1, -1)]
        for (name, state) in Self.screens() {
            for (w, h) in sizes {
                let grid = state.render(width: w, height: h)
                #expect(grid.width == max(0, w) && grid.height == max(0, h), "\(name) \(w)x\(h)")
                #expect(grid.cells.allSatisfy { Style(rawValue: $0.style) != nil })
            }
        }
    }

    @Test func keysNeverCrashAtTinySizes() {
        let keys: [Key] = [.up, .down, .left, .right, .pageUp, .pageDown, .home, .end, .tab, .enter, .char("/"), .char("x"),
                           .enter, .char("n"), .char("N"), .char("f"), .char("w"), .char("t"), .char("G"), .char("c"),
                           .down, .char("g"), .pageDown, .char("?"), .end, .esc, .esc, .esc, .click(x: 0, y: 0),
                           .wheelUp(x: 0, y: 1), .wheelDown(x: 3, y: 3), .char("e"), .esc]
        for (w, h) in [(0, 0), (1, 1), (20, 5), (80, 24)] {
            var state = DemoBuild(.failed).state(width: w, height: h)
            for key in keys {
                _ = state.apply(.key(key))
                _ = state.render(width: w, height: h)
            }
        }
    }

    @Test func everyASCIIScreenIsASCII() {
        for (name, state) in Self.screens() where state.ascii {
            for (w, h) in [(80, 24), (160, 48)] {
                let text = state.render(width: w, height: h).text
                let bad = text.unicodeScalars.filter { !$0.isASCII }
                #expect(bad.isEmpty, "\(name) \(w)x\(h): \(String(String.UnicodeScalarView(bad)))")
            }
        }
    }

    @Test func noControlCharactersReachTheGrid() {
        var state = DashboardState(ascii: false, colorEnabled: true)
        _ = state.apply(Events.started("v", at: 0))
        _ = state.apply(Events.log("v", at: 0, "a\u{1b}[31mb\u{07}c\r\nd\u{0}e\n"))
        _ = state.apply(Events.completed("v", at: 1, .failed, error: "line one\nline\ttwo\r\n"))
        let grid = state.render(width: 80, height: 24)
        #expect(grid.cells.allSatisfy { cell in !cell.character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f } })
        #expect(grid.text.contains("abc"))
    }

    @Test func parallelStagesSideBySideWhenWide() {
        let state = DemoBuild(.succeeded).state(until: 2.4, width: 160, height: 48)
        func position(_ text: String, _ grid: CellGrid) -> (x: Int, y: Int)? {
            let rows = grid.text.split(separator: "\n", omittingEmptySubsequences: false)
            for (y, row) in rows.enumerated() {
                if let r = row.range(of: text) { return (row.distance(from: row.startIndex, to: r.lowerBound), y) }
            }
            return nil
        }
        let wide = state.render(width: 160, height: 48)
        let make = position("[builder 1/2]", wide), download = position("[tester 1/2]", wide)
        #expect(make != nil && download != nil)
        #expect(make?.x != download?.x, "two columns at 160")
        #expect(abs((make?.y ?? 0) - (download?.y ?? 99)) <= 3, "side by side")

        let narrow = state.render(width: 80, height: 24)
        let make80 = position("[builder 1/2]", narrow), download80 = position("[tester 1/2]", narrow)
        #expect(make80?.x == download80?.x, "stacked at 80")
        #expect(abs((make80?.y ?? 0) - (download80?.y ?? 99)) <= 4, "stacked together")
    }

    @Test func spinnerAndLiveDurationFollowTheTick() {
        var state = DemoBuild(.succeeded).state(until: 2.4)
        let before = state.render(width: 80, height: 24)
        _ = state.apply(.tick(DemoBuild.t0.addingTimeInterval(2.5)))
        let after = state.render(width: 80, height: 24)
        #expect(before.text != after.text)
        #expect(after.text.contains("1.8s"))
        #expect(state.render(width: 80, height: 24) == after, "render is pure")
    }

    @Test func stylesMarkStatusesAndTheSelection() {
        let state = DemoBuild(.failed).state()
        let grid = state.render(width: 80, height: 24)
        let styles = Set(grid.cells.map(\.style))
        for style in [Style.header, .done, .cached, .failed, .selected, .border, .title, .key, .dim] {
            #expect(styles.contains(style.rawValue), "\(style)")
        }
    }

    /// 20 steps × 5,000 lines in memory, a 200×60 screen, the log pane following one of them.
    @Test func renderStaysFastWithAHundredThousandLines() {
        var state = DashboardState(ascii: false, colorEnabled: true)
        _ = state.apply(.resize(width: 200, height: 60))
        _ = state.apply(Events.start())
        let longTail = String(repeating: "x", count: 150)
        let ingest = ContinuousClock().measure {
            for s in 0..<20 {
                let id = "s\(s)"
                _ = state.apply(Events.at(0, .plan([Events.vertex(id, "[stage\(s % 4) \(s / 4 + 1)/5] RUN step \(s)", stage: "stage\(s % 4)")])))
                _ = state.apply(Events.started(id, at: 0))
                for chunk in 0..<5 {
                    let text = (0..<1000).map { "step \(s) line \(chunk * 1000 + $0) \($0 % 7 == 0 ? longTail : "")\n" }.joined()
                    _ = state.apply(Events.log(id, at: 1, text))
                }
            }
        }
        print("ingesting 100,000 log lines: \(ingest)")
        #expect(state.totalLogLines == 100_000)
        _ = state.apply(.key(.char("/")))
        for c in "line 4" { _ = state.apply(.key(.char(c))) }
        _ = state.apply(.key(.enter))
        _ = state.apply(.key(.char("G")))
        // Each screen for 40 frames, the clock moving as it does at 20 frames a second.
        let frames = 40
        for (name, keys) in [("build", [Key]()), ("full log, no wrap", [.enter, .char("w")]), ("cache graph", [.esc, .char("c")]),
                             ("timeline", [.char("g")])] {
            for key in keys { _ = state.apply(.key(key)) }
            let elapsed = ContinuousClock().measure {
                for i in 0..<frames {
                    _ = state.apply(.tick(Events.t0.addingTimeInterval(2 + Double(i) * 0.05)))
                    _ = state.render(width: 200, height: 60)
                }
            }
            let perFrame = elapsed / frames
            print("render 200x60 \(name) with 100,000 lines: \(perFrame) per frame")
            #expect(perFrame < .milliseconds(50), "\(name): \(perFrame) per frame")
        }
    }
}
