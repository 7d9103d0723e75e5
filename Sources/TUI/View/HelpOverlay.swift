/// The key list (`?`), in a box over the current screen. It scrolls when the screen is short.
enum HelpOverlay {
    static let sections: [(title: String, keys: [(String, String)])] = [
        ("Move", [
            ("↑ ↓  k j", "select a step / scroll the log"),
            ("← →  h l", "previous / next stage (log: scroll sideways)"),
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
            ("?", "this help"),
            ("q", "quit (asks first while building)"),
        ]),
    ]

    /// Lines of help text (without the frame).
    static var contentHeight: Int { lines(ascii: false).count + 2 }

    static func lines(ascii: Bool) -> [StyledLine] {
        var out: [StyledLine] = []
        for (i, section) in sections.enumerated() {
            if i > 0 { out.append(.blank) }
            out.append(StyledLine(section.title, .title))
            for (key, text) in section.keys {
                var line = StyledLine("  " + pad(ascii ? asciiKeys(key) : key, 12), .key)
                line.append(text)
                out.append(line)
            }
        }
        return out
    }

    static func draw(_ state: DashboardState, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        let lines = self.lines(ascii: state.ascii)
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
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
