import Foundation
/// The key list (`?`), in a box over the current screen. It scrolls when the screen is short.
enum HelpOverlay {
    static let sections: [(title: String, keys: [(String, String)])] = [
        ("Move", [
            ("↑ ↓  k j", "select a step / scroll the log"),
            ("← →  h L", "previous / next stage (log: h l scroll sideways)"),
            ("PgUp PgDn", "page up / down"),
            ("Home End", "first / last step; top / end of the log"),
            ("tab  S-tab", "switch between steps and log"),
            ("enter", "open the selected step's full log"),
            ("esc", "back"),
        ]),
        ("Log", [
            ("/", "search (type, then enter)"),
            ("n  N", "next / previous match"),
            ("f", "follow the log on / off"),
            ("G", "end of the log, following"),
            ("w", "wrap long lines on / off"),
            ("t", "timestamps on / off"),
            ("e", "jump to the failed step"),
        ]),
        ("Views", [
            ("c", "cache graph: hits, misses and why"),
            ("g", "timeline: what ran in parallel"),
            ("l", "layer explorer: the step's files, wasted space"),
            ("s", "source: the Dockerfile, each line's steps"),
            ("?", "this help"),
            ("q", "quit (asks first while building)"),
        ]),
    ]

    /// A replay's keys, first in its help. They win on every screen; what they take over
    /// moves to another key, and the sections below say so (`replayChanges`).
    static let replaySection: (title: String, keys: [(String, String)]) = ("Replay", [
        ("space", "pause / resume (at the end: play again)"),
        ("+ -", "speed ×0.25 … ×64, then max"),
        ("← →", "back / forward 5 seconds"),
        ("[ ]", "previous / next step start, end or error"),
        ("g G", "start / end of the build"),
        ("click", "on the timeline row: go there"),
    ])

    /// Live keys that mean something else in a replay: their replacement, or nil when gone.
    static let replayChanges: [String: (String, String)?] = [
        "← →  h L": ("h L", "previous / next stage (log: h l scroll sideways)"),
        "G": nil,
        "g": ("T", "timeline: what ran in parallel"),
        "q": ("q", "leave the replay"),
    ]

    static func sections(replay: Bool) -> [(title: String, keys: [(String, String)])] {
        guard replay else { return sections }
        return [replaySection] + sections.map { section in
            (section.title, section.keys.compactMap { key -> (String, String)? in
                guard let change = replayChanges[key.0] else { return key }
                return change
            })
        }
    }

    /// Lines of help text (with the frame).
    static func contentHeight(_ state: DashboardState) -> Int {
        lines(ascii: false, replay: state.playback != nil).count + 2
    }

    static func lines(ascii: Bool, replay: Bool = false) -> [StyledLine] {
        var out: [StyledLine] = []
        for (i, section) in sections(replay: replay).enumerated() {
            if i > 0 { out.append(.blank) }
            out.append(StyledLine(section.title, .title))
            for (key, text) in section.keys {
                var line = StyledLine("  " + pad(ascii ? asciiKeys(key) : key, 12), .key)
                line.append(ascii ? text.replacingOccurrences(of: "×", with: "x").replacingOccurrences(of: "…", with: "...") : text)
                out.append(line)
            }
        }
        return out
    }

    static func draw(_ state: DashboardState, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        let lines = self.lines(ascii: state.ascii, replay: state.playback != nil)
        let width = min(rect.width, (lines.map(\.count).max() ?? 0) + 4)
        let height = min(rect.height, lines.count + 2)
        guard width > 2, height > 2 else { return }
        let box = Rect(x: rect.x + (rect.width - width) / 2, y: rect.y + (rect.height - height) / 2, width: width, height: height)
        grid.fill(box)
        grid.hline(x: box.x, y: box.y, width: box.width, glyphs.horizontal, style: .border)
        grid.hline(x: box.x, y: box.maxY - 1, width: box.width, glyphs.horizontal, style: .border)
        for y in box.y..<box.maxY {
            grid.put(String(glyphs.vertical), x: box.x, y: y, style: .border)
            grid.put(String(glyphs.vertical), x: box.maxX - 1, y: y, style: .border)
        }
        let corners: [Character] = state.ascii ? ["+", "+", "+", "+"] : ["┌", "┐", "└", "┘"]
        grid.put(String(corners[0]), x: box.x, y: box.y, style: .border)
        grid.put(String(corners[1]), x: box.maxX - 1, y: box.y, style: .border)
        grid.put(String(corners[2]), x: box.x, y: box.maxY - 1, style: .border)
        grid.put(String(corners[3]), x: box.maxX - 1, y: box.maxY - 1, style: .border)
        grid.put(" keys ", x: box.x + 2, y: box.y, style: .title, width: box.width - 4)
        let inner = box.inset(dx: 2, dy: 1)
        StyledLine.drawScrolled(lines, scroll: state.scroll, rect: inner, into: &grid)
        if lines.count > inner.height {
            let more = state.scroll + inner.height < lines.count ? " \(glyphs.down) more " : " \(glyphs.up) "
            grid.put(more, x: box.maxX - more.count - 2, y: box.maxY - 1, style: .dim)
        }
    }

    private static func asciiKeys(_ key: String) -> String {
        key.replacingOccurrences(of: "↑ ↓", with: "up dn").replacingOccurrences(of: "← →", with: "lt rt")
            .replacingOccurrences(of: "←", with: "lt").replacingOccurrences(of: "→", with: "rt")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
