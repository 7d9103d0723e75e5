import BuildCore
import Foundation

/// The lanes: one per stage (and one for internal vertices), each a title row and its steps,
/// placed by `LaneLayout`. A step row is its status glyph, its name trimmed to fit, a byte
/// progress bar while a transfer runs, and its duration (live while running):
/// `  ⠹ [builder 2/4] RUN make                       ███▌    45%   3.2s`
enum BuildView {
    /// Cells for a step's duration column.
    static let durationWidth = 7
    /// Cells for a progress bar and its percentage, shown when the row is wide enough.
    static let progressWidth = 14

    static func draw(_ state: DashboardState, lanes: [Lane], rect: Rect, screenWidth: Int,
                     glyphs: Glyphs, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        if lanes.isEmpty {
            grid.put(state.finished ? "no steps" : "waiting for the plan" + (state.ascii ? "..." : "…"), x: rect.x + 1, y: rect.y, style: .dim, width: rect.width - 1)
            return
        }
        let layout = LaneLayout(state: state, lanes: lanes, rect: rect, screenWidth: screenWidth)
        for x in layout.separators {
            for y in rect.y..<rect.maxY { grid.put(String(glyphs.vertical), x: x, y: y, style: .border) }
        }
        let frame = DashboardRenderer.frame(state)
        for row in layout.rows {
            switch row.content {
            case .lane(let i, let collapsed):
                drawLaneTitle(state, lane: lanes[i], collapsed: collapsed, row: row, glyphs: glyphs, frame: frame, into: &grid)
            case .step(let digest):
                if let step = state.step(digest) { drawStep(state, step: step, row: row, glyphs: glyphs, frame: frame, into: &grid) }
            case .more(let count, let above):
                let arrow = above ? glyphs.up : glyphs.down
                grid.put("  \(arrow) \(count) more", x: row.x, y: row.y, style: .dim, width: row.width)
            }
        }
    }

    /// `✔ base ───────────── 3/3 · 2 cached · 4.1s`
    private static func drawLaneTitle(_ state: DashboardState, lane: Lane, collapsed: Bool, row: Row,
                                      glyphs: Glyphs, frame: Int, into grid: inout CellGrid) {
        let steps = lane.steps.compactMap { state.step($0) }
        let status = laneStatus(steps)
        let (glyph, style) = glyphs.status(status, frame: frame)
        var x = row.x
        x += grid.put("\(glyph) ", x: x, y: row.y, style: style, width: row.width)
        x += grid.put(lane.title + " ", x: x, y: row.y, style: .title, width: row.maxX - x)
        let ended = steps.filter { $0.status == .done || $0.status == .cached }.count
        let cached = steps.filter { $0.status == .cached }.count
        var info = " \(ended)/\(steps.count)"
        if cached > 0 { info += " \(state.ascii ? "|" : "·") \(cached) cached" }
        if let span = span(steps, now: state.clock), span >= 0.05 { info += " \(state.ascii ? "|" : "·") " + DurationText.format(span) }
        if collapsed { info += " " + glyphs.ellipsis }
        info += " "
        let infoX = max(x, row.maxX - info.count)
        grid.hline(x: x, y: row.y, width: infoX - x, glyphs.horizontal, style: .border)
        grid.put(info, x: infoX, y: row.y, style: .dim, width: row.maxX - infoX)
    }

    private static func drawStep(_ state: DashboardState, step: Step, row: Row, glyphs: Glyphs, frame: Int,
                                 into grid: inout CellGrid) {
        let (glyph, glyphStyle) = glyphs.status(step.status, frame: frame)
        grid.put(String(glyph), x: row.x + 2, y: row.y, style: glyphStyle, width: row.width - 2)
        let nameX = row.x + 4
        var right = row.maxX
        if let d = step.duration(now: state.clock), step.status != .cached {
            let text = DurationText.format(d)
            let x = right - min(durationWidth, text.count + 1)
            if x > nameX + 8 {
                grid.put(text, x: right - text.count - 1, y: row.y, style: step.status == .running ? .running : .dim, width: text.count)
                right = right - durationWidth
            }
        } else if step.status == .cached, right - durationWidth > nameX + 8 {
            grid.put("cached", x: right - 7, y: row.y, style: .cached, width: 6)
            right -= durationWidth
        }
        if let p = step.activeProgress, let total = p.total, right - progressWidth > nameX + 16 {
            let fraction = Double(p.current) / Double(max(1, total))
            let x = right - progressWidth
            grid.put(glyphs.bar(fraction: fraction, width: 8), x: x, y: row.y, style: .progress, width: 8)
            grid.put(String(format: "%4d%%", Int(min(1, max(0, fraction)) * 100)), x: x + 8, y: row.y, style: .dim, width: 5)
            right = x
        }
        let selected = step.digest == state.selected
        let style: Style = selected ? (state.focus == .steps && !state.logMaximised ? .selected : .selectedInactive)
            : (step.status == .queued ? .dim : (step.status == .failed ? .failed : .normal))
        let available = right - nameX - 1
        // The selection is a bar across the name column, so it reads without color too.
        if selected { grid.fill(Rect(x: nameX - 1, y: row.y, width: available + 1, height: 1), style: style) }
        grid.putTrimmed(step.name, x: nameX, y: row.y, width: available, style: style, ellipsis: glyphs.ellipsis)
    }

    /// Failed if a step failed, running if one runs, done when all ended, else queued.
    static func laneStatus(_ steps: [Step]) -> Step.Status {
        if steps.contains(where: { $0.status == .failed }) { return .failed }
        if steps.contains(where: { $0.status == .running }) { return .running }
        if !steps.isEmpty, steps.allSatisfy({ $0.status == .cached }) { return .cached }
        if !steps.isEmpty, steps.allSatisfy({ $0.status.isEnded }) {
            return steps.contains { $0.status == .canceled } ? .canceled : .done
        }
        return .queued
    }

    /// From the lane's first start to its last end (or now while it runs).
    static func span(_ steps: [Step], now: Date?) -> Double? {
        guard let first = steps.compactMap(\.firstStart).min() else { return nil }
        let running = steps.contains { $0.isOpen }
        let end = running ? now : steps.compactMap(\.lastEnd).max()
        return end.map { max(0, $0.timeIntervalSince(first)) }
    }

    private typealias Row = LaneLayout.Row
}

extension LaneLayout.Row {
    var maxX: Int { x + width }
}
