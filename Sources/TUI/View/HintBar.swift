import Foundation
/// The bottom line, always there: the quit question or the search prompt when one is open,
/// else a one-shot message, then the keys that make sense where the user is.
enum HintBar {
    static func draw(_ state: DashboardState, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        let y = rect.y
        if state.confirmingQuit {
            grid.fill(rect, style: .prompt)
            grid.put(" cancel the build? y/n ", x: rect.x, y: y, style: .prompt, width: rect.width)
            return
        }
        if state.log.editing {
            let cursor = state.ascii ? "_" : "█"
            let prompt = "/" + state.log.query
            // Keep the end of a long query in view, where typing happens.
            let shown = String(prompt.suffix(max(0, rect.width - 2)))
            var x = rect.x + grid.put(shown, x: rect.x, y: y, style: .prompt, width: rect.width)
            x += grid.put(cursor, x: x, y: y, style: .prompt, width: rect.maxX - x)
            let count = "  \(state.log.matches.count) matching lines · enter search · esc cancel"
            grid.put(state.ascii ? count.replacingOccurrences(of: "·", with: "|") : count, x: x, y: y, style: .dim, width: rect.maxX - x)
            return
        }
        drawKeys(flash: state.flash, hints: hints(state), rect: rect, into: &grid)
    }

    /// The flash message, then `key label` pairs while they fit: the dashboard's and the home
    /// screen's hint bars.
    static func drawKeys(flash: String?, hints: [(String, String)], rect: Rect, into grid: inout CellGrid) {
        var x = rect.x
        if let flash {
            x += grid.put(" " + flash + " ", x: x, y: rect.y, style: .warning, width: rect.width) + 1
        }
        for (key, label) in hints {
            guard x + key.count + label.count + 3 <= rect.maxX + 1 else { break }
            x += grid.put(" " + key, x: x, y: rect.y, style: .key, width: rect.maxX - x)
            x += grid.put(" " + label + " ", x: x, y: rect.y, style: .dim, width: rect.maxX - x)
        }
    }

    /// (key, what it does) for the current screen and pane, most useful first.
    static func hints(_ state: DashboardState) -> [(String, String)] {
        let arrows = state.ascii ? "j/k" : "↑↓"
        if state.showHelp { return [("esc", "close help"), (arrows, "scroll"), ("q", "close")] }
        if let playback = state.playback { return replayHints(state, playback: playback, arrows: arrows) }
        let quit = ("q", state.finished ? "quit" : "cancel")
        switch state.screen {
        case .cacheGraph:
            return [quit, ("esc", "back"), (arrows, "scroll"), ("g", "timeline"), ("?", "help")]
        case .timeline:
            return [quit, ("esc", "back"), (arrows, "scroll"), ("c", "cache"), ("?", "help")]
        case .source:
            return [quit, ("esc", "back"), (arrows, "line"), ("enter", "its log"), ("e", "failed line"), ("?", "help")]
        case .build:
            if state.focus == .log || state.logMaximised {
                return [quit, ("?", "help"), (arrows, "scroll"), ("/", "search"), ("n/N", "match"), ("f", "follow"),
                        ("w", "wrap"), ("t", "time"), ("G", "end"), ("tab", "steps"), ("esc", "back")]
            }
            var hints = [quit, ("?", "help"), (arrows, "select"), ("enter", "log"), ("tab", "log pane"), ("/", "search")]
            if state.hasFailure { hints.insert(("e", "error"), at: 2) }
            return hints + [("c", "cache"), ("g", "timeline"), ("l", "layers"), ("s", "source")]
        }
    }

    /// In a replay: leaving and the playback first, then the screen's own keys (see the help's
    /// Replay section for the keys it takes over).
    private static func replayHints(_ state: DashboardState, playback: Playback, arrows: String) -> [(String, String)] {
        let play = ("space", playback.ended ? "replay" : playback.paused ? "play" : "pause")
        let common = [("q", "quit"), play, ("+/-", "speed"), (state.ascii ? "lt/rt" : "←→", "5s"), ("[ ]", "step"),
                      ("g/G", "start/end"), ("?", "help")]
        switch state.screen {
        case .cacheGraph:
            return common + [("esc", "back"), (arrows, "scroll"), ("T", "timeline")]
        case .timeline:
            return common + [("esc", "back"), (arrows, "scroll"), ("c", "cache")]
        case .source:
            return common + [("esc", "back"), (arrows, "line"), ("enter", "its log"), ("e", "failed line")]
        case .build:
            if state.focus == .log || state.logMaximised {
                return common + [(arrows, "scroll"), ("/", "search"), ("n/N", "match"), ("f", "follow"), ("w", "wrap"),
                                 ("t", "time"), ("tab", "steps"), ("esc", "back")]
            }
            var hints = common + [(arrows, "select"), ("enter", "log"), ("tab", "log pane"), ("/", "search")]
            if state.hasFailure { hints.append(("e", "error")) }
            return hints + [("c", "cache"), ("T", "timeline")]
        }
    }
}
