import Foundation

/// Draws the home screen: running builds with their progress, the history as a table, the
/// Dockerfile to build, and the keys for the row under the cursor.
/// ```
///  swbuild  home                                        2 running · 24 in history
///  RUNNING 2 ──────────────────────────────────────────────────────────────────────
///    8f3a1c9e02d4  /src/app                          1m05s  ██████░░░░  12/20
///  HISTORY 24 ─────────────────────────────────────────────────────────────────────
///    ID           STATUS         DURATION STEPS CACHED      WHEN  NAME
///    77aa3b2c91f0 ✔ succeeded        9.8s    11    27%    3m ago  demo:latest
/// ```
/// Pure like the dashboard's `render`: times are measured from the state's last tick.
enum HomeView {
    static func render(_ state: HomeState, width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        guard width > 0, height > 0 else { return grid }
        let glyphs = state.ascii ? Glyphs.ascii : Glyphs.unicode
        let layout = HomeLayout(state: state, width: width, height: height)
        drawHeader(state, rect: layout.header, into: &grid)
        let entries = state.entries
        for (i, host) in entries.unreachable.prefix(layout.unreachableRows.height).enumerated() {
            grid.putTrimmed(" \(glyphs.warning) \(host.context): \(host.error)", x: 0, y: layout.unreachableRows.y + i,
                            width: width, style: .dim, ellipsis: glyphs.ellipsis)
        }
        if !layout.runningTitle.isEmpty {
            drawTitle("RUNNING", count: entries.running.count, rect: layout.runningTitle, glyphs: glyphs, into: &grid)
            if entries.running.isEmpty {
                grid.put("no builds running", x: 4, y: layout.runningRows.y, style: .dim, width: width - 4)
            }
            let rows = entries.running.enumerated().dropFirst(state.runningTop).prefix(layout.runningRows.height)
            for (i, (index, build)) in rows.enumerated() {
                let y = layout.runningRows.y + i
                drawRunning(build, state: state, y: y, width: width, glyphs: glyphs, into: &grid)
                if state.section == .running, state.row == index { select(y: y, width: width, into: &grid) }
            }
        }
        if !layout.recentTitle.isEmpty {
            drawTitle("HISTORY", count: entries.recent.count, rect: layout.recentTitle, glyphs: glyphs, into: &grid)
            let columns = RecentColumns(width: width, hosts: entries.recent.contains { $0.host != nil })
            if entries.recent.isEmpty {
                grid.put("no builds in the history yet", x: 4, y: layout.recentHeader.y, style: .dim, width: width - 4)
            } else {
                columns.drawHeader(y: layout.recentHeader.y, into: &grid)
            }
            let rows = entries.recent.enumerated().dropFirst(state.recentTop).prefix(layout.recentRows.height)
            for (i, (index, build)) in rows.enumerated() {
                let y = layout.recentRows.y + i
                columns.draw(build, state: state, y: y, glyphs: glyphs, into: &grid)
                if state.section == .recent, state.row == index { select(y: y, width: width, into: &grid) }
                // The baseline `c` marked, beside the cursor's `>`.
                if build.id == state.marked { grid.put("*", x: 1, y: y, style: state.row == index && state.section == .recent ? .selected : .warning) }
            }
            // What the scrolled list hides, on the row of column names.
            let below = entries.recent.count - state.recentTop - layout.recentRows.height
            let hidden = [state.recentTop > 0 ? "\(glyphs.up) \(state.recentTop)" : nil, below > 0 ? "\(glyphs.down) \(below)" : nil]
                .compactMap { $0 }
            if !hidden.isEmpty, !layout.recentRows.isEmpty {
                let more = hidden.joined(separator: " ") + " more"
                if columns.nameX + 6 + more.count < width {
                    grid.put(more, x: width - more.count - 1, y: layout.recentHeader.y, style: .dim)
                }
            }
        }
        if let path = entries.buildPath, !layout.buildTitle.isEmpty {
            drawTitle("BUILD", count: nil, rect: layout.buildTitle, glyphs: glyphs, into: &grid)
            grid.put("build " + path, x: 4, y: layout.buildRow.y, style: .bold, width: width - 4)
            if state.section == .build { select(y: layout.buildRow.y, width: width, into: &grid) }
        }
        drawHints(state, rect: layout.hint, into: &grid)
        return grid
    }

    private static func drawHeader(_ state: HomeState, rect: Rect, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        grid.fill(rect, style: .header)
        grid.put(" swbuild  home", x: rect.x, y: rect.y, style: .header, width: rect.width)
        let dot = state.ascii ? "|" : "·"
        let right = "\(state.entries.running.count) running \(dot) \(state.entries.recent.count) in history "
        if right.count + 16 <= rect.width {
            grid.put(right, x: rect.maxX - right.count, y: rect.y, style: .header)
        }
    }

    /// ` RUNNING 2 ─────────…`
    private static func drawTitle(_ title: String, count: Int?, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        var x = rect.x + 1
        x += grid.put(title + " ", x: x, y: rect.y, style: .title, width: rect.maxX - x)
        if let count { x += grid.put("\(count) ", x: x, y: rect.y, style: .dim, width: rect.maxX - x) }
        grid.hline(x: x, y: rect.y, width: rect.maxX - x, glyphs.horizontal, style: .border)
    }

    /// `  8f3a1c9e02d4  /src/app            1m05s  ██████░░░░  12/20`: the bar and the time go
    /// first when the row is narrow.
    private static func drawRunning(_ build: HomeEntries.RunningBuild, state: HomeState, y: Int, width: Int,
                                    glyphs: Glyphs, into grid: inout CellGrid) {
        // Right to left, each field right-aligned in a fixed width so rows line up.
        var right = width - 1
        func field(_ text: String, width w: Int, style: Style) {
            let x = right - w
            grid.put(text, x: x + max(0, w - text.count), y: y, style: style, width: w)
            right = x - 2
        }
        field(build.total > 0 ? "\(build.done)/\(build.total)" : "\(build.done)/?", width: 7, style: .dim)
        if width >= 60 {
            let fraction = build.total > 0 ? Double(build.done) / Double(build.total) : 0
            field(glyphs.bar(fraction: fraction, width: 10), width: 10, style: .progress)
        }
        if width >= 44 {
            field(DurationText.format(state.now.timeIntervalSince(build.started)), width: 6, style: .running)
        }
        grid.put(build.id.prefix(12), x: 2, y: y, style: .bold, width: 12)
        grid.putTrimmed((build.host.map { "[\($0)] " } ?? "") + build.context, x: 16, y: y, width: right - 16 + 1, style: .normal,
                        ellipsis: glyphs.ellipsis)
    }

    private static func select(y: Int, width: Int, into grid: inout CellGrid) {
        grid.restyle(x: 0, y: y, width: width, style: .selected)
        grid.put(">", x: 0, y: y, style: .selected)
    }

    private static func drawHints(_ state: HomeState, rect: Rect, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        var hints: [(String, String)] = []
        if state.hasSelection {
            switch state.section {
            case .running: hints.append(("enter", "attach"))
            case .recent: hints += [("enter", "replay"), ("i", "inspect"), ("c", compareHint(state))]
            case .build: hints.append(("enter", "build"))
            }
            if state.sections.count > 1 { hints.append(("tab", "section")) }
        }
        hints += [("r", "refresh"), ("q", "quit")]
        if state.hasSelection { hints.append((state.ascii ? "j/k" : "↑↓", "move")) }
        HintBar.drawKeys(flash: state.flash, hints: hints, rect: rect, into: &grid)
    }

    /// What `c` does on the selected build: mark it, unmark it, or compare it with the mark.
    private static func compareHint(_ state: HomeState) -> String {
        guard let marked = state.marked else { return "mark to compare" }
        return marked == state.entries.recent[state.row].id ? "unmark" : "compare with " + marked.prefix(8)
    }
}
