import BuildCore
import Foundation

/// The timeline (`g`): a Gantt chart of the build, one row per step grouped by lane, each run
/// interval a bar on a shared time axis, so what ran in parallel lines up vertically. Steps on
/// the critical path (see `CriticalPath`) are marked `*` and drawn solid; the rest are shaded.
///
/// The first two rows (title, axis) stay put; the lanes below scroll.
enum TimelineView {
    /// Rows before the scrolled part: the title, the selected step's slack, the axis.
    static let fixedRows = 3

    static func contentHeight(_ state: DashboardState) -> Int {
        fixedRows + state.lanes.reduce(0) { $0 + 1 + $1.steps.count }
    }

    static func draw(_ state: DashboardState, lanes: [Lane], rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        let critical = Set(CriticalPath.steps(state))
        let span = timeSpan(state)
        var title = StyledLine(" TIMELINE ", .title)
        var info = "  \(DurationText.format(span.length)) · at most \(maxParallel(state)) in parallel"
        if !critical.isEmpty { info += " · * critical path (\(critical.count) step\(critical.count == 1 ? "" : "s"))" }
        title.append(state.ascii ? info.replacingOccurrences(of: "·", with: "|") : info, .dim)
        title.draw(x: rect.x, y: rect.y, width: rect.width, into: &grid)
        guard rect.height > 2 else { return }
        if let selected = state.selected, let step = state.step(selected), let (gain, slack) = CriticalPath.slack(of: selected, state) {
            var line = StyledLine(" " + step.name, .bold)
            line.append(gain > 0.05
                ? ": critical path; if it took no time the build would end \(DurationText.format(gain)) sooner"
                : ": \(DurationText.format(slack)) of slack; faster ends the build no sooner (0s)", .dim)
            line.draw(x: rect.x, y: rect.y + 1, width: rect.width, into: &grid)
        } else {
            grid.put(state.ascii ? " j/k select a step: what making it faster is worth" : " ↑↓ select a step: what making it faster is worth", x: rect.x, y: rect.y + 1, style: .dim, width: rect.width)
        }

        let labelWidth = min(40, max(12, rect.width / 3))
        let barX = rect.x + labelWidth + 1
        let barWidth = max(1, rect.maxX - barX - 1)
        drawAxis(span: span, y: rect.y + 2, x: barX, width: barWidth, rect: rect, glyphs: glyphs, into: &grid)

        var rows: [(lane: Lane?, step: Step?)] = []
        for lane in lanes {
            rows.append((lane, nil))
            rows += lane.steps.compactMap { state.step($0) }.map { (nil, $0) }
        }
        let visible = rect.height - fixedRows
        guard visible > 0 else { return }
        let first = min(max(0, state.scroll), max(0, rows.count - visible))
        let frame = DashboardRenderer.frame(state)
        for (i, row) in rows.dropFirst(first).prefix(visible).enumerated() {
            let y = rect.y + fixedRows + i
            if let lane = row.lane {
                let x = rect.x + grid.put(" " + lane.title + " ", x: rect.x, y: y, style: .title, width: labelWidth)
                grid.hline(x: x, y: y, width: rect.x + labelWidth - x, glyphs.horizontal, style: .border)
                continue
            }
            guard let step = row.step else { continue }
            let onPath = critical.contains(step.digest)
            grid.put(onPath ? "*" : " ", x: rect.x, y: y, style: .critical)
            let (glyph, style) = glyphs.status(step.status, frame: frame)
            grid.put(String(glyph), x: rect.x + 1, y: y, style: style)
            grid.putTrimmed(step.name, x: rect.x + 3, y: y, width: labelWidth - 3,
                            style: step.digest == state.selected ? .selectedInactive : .normal, ellipsis: glyphs.ellipsis)
            for interval in step.intervals {
                let end = interval.end ?? state.clock ?? interval.start
                let c0 = column(interval.start, span: span, width: barWidth)
                let c1 = max(c0, column(end, span: span, width: barWidth, roundUp: true) - 1)
                let character: Character = step.status == .cached ? glyphs.cached : (onPath ? glyphs.critical : glyphs.bar)
                let barStyle: Style = onPath && step.status != .failed ? .critical : style
                grid.hline(x: barX + c0, y: y, width: c1 - c0 + 1, character, style: barStyle)
            }
        }
    }

    /// The build's time axis: its start to its end (now while it runs); never empty.
    static func timeSpan(_ state: DashboardState) -> (start: Date, length: Double) {
        let starts = state.steps.compactMap(\.firstStart)
        let start = state.startTime ?? starts.min() ?? state.clock ?? Date(timeIntervalSince1970: 0)
        let ends = state.steps.flatMap { $0.intervals.compactMap(\.end) }
        let end = state.finished ? (state.finishTime ?? ends.max()) : (state.clock ?? ends.max())
        let length = end.map { $0.timeIntervalSince(start) } ?? 0
        return (start, length.isFinite && length > 0 ? length : 0)
    }

    /// The most steps running at one instant (instant cache hits do not count).
    static func maxParallel(_ state: DashboardState) -> Int {
        var edges: [(Date, Int)] = []
        for step in state.steps {
            for interval in step.intervals {
                let end = interval.end ?? state.clock ?? interval.start
                guard end > interval.start else { continue }
                edges.append((interval.start, 1))
                edges.append((end, -1))
            }
        }
        edges.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var running = 0, most = 0
        for (_, delta) in edges {
            running += delta
            most = max(most, running)
        }
        return most
    }

    private static func column(_ time: Date, span: (start: Date, length: Double), width: Int, roundUp: Bool = false) -> Int {
        guard span.length > 0 else { return 0 }
        let f = time.timeIntervalSince(span.start) / span.length * Double(width)
        guard f.isFinite else { return 0 }
        let c = roundUp ? Int(f.rounded(.up)) : Int(f.rounded(.down))
        return min(max(0, c), roundUp ? width : width - 1)
    }

    /// `0s        5.0s       10.0s` with tick marks, at round intervals about 12 cells apart.
    private static func drawAxis(span: (start: Date, length: Double), y: Int, x: Int, width: Int, rect: Rect,
                                 glyphs: Glyphs, into grid: inout CellGrid) {
        grid.hline(x: x, y: y, width: width, glyphs.horizontal, style: .border)
        guard span.length > 0 else {
            grid.put("0s", x: x, y: y, style: .dim)
            return
        }
        let raw = span.length / Double(max(1, width / 12))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        guard step.isFinite, step > 0 else { return }
        var t = 0.0
        var lastEnd = x - 1
        while t <= span.length + 1e-9 {
            let col = x + Int(t / span.length * Double(width))
            let label = t == 0 ? "0s" : DurationText.format(t)
            if col > lastEnd, col + label.count <= x + width {
                lastEnd = col + grid.put(label, x: col, y: y, style: .dim)
            }
            t += step
        }
    }
}
