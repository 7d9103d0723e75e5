import BuildCore
import Foundation

/// The cache graph (`c`): how much of this build the cache served, stage by stage, what that
/// saved, why each executed step missed, and how hits and build time moved over past builds.
///
/// Only Dockerfile steps count as hits or misses: internal vertices (loading the context,
/// exporting) are never cached, so counting them would only dilute the rate. One block per
/// step: hit `█`, miss `░`, not decided yet `·` (ASCII `#`, `-`, `.`).
enum CacheGraphView {
    static func draw(_ state: DashboardState, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        StyledLine.drawScrolled(lines(state, width: rect.width), scroll: state.scroll, rect: rect, into: &grid)
    }

    static func lines(_ state: DashboardState, width: Int) -> [StyledLine] {
        let glyphs = Glyphs.forState(state)
        let lanes = state.lanes.filter { !$0.isInternal }
        let steps = lanes.flatMap(\.steps).compactMap { state.step($0) }
        let hits = steps.filter { $0.status == .cached }.count
        let misses = steps.filter(isMiss).count
        let decided = hits + misses
        var out: [StyledLine] = []

        var title = StyledLine(" CACHE ", .title)
        let rate = decided > 0 ? " (\(Int((Double(hits) / Double(decided) * 100).rounded()))% hit)" : ""
        title.append("  this build: \(hits) hit\(hits == 1 ? "" : "s"), \(misses) miss\(misses == 1 ? "" : "es")\(rate)", .bold)
        out.append(title)
        out.append(.blank)

        let labelWidth = min(16, max(9, lanes.map(\.title.count).max() ?? 0)) + 1
        let blockWidth = max(1, width - labelWidth - 12)
        // Up to 3 cells per step when few steps leave the row mostly empty; the same for every
        // row, so rows compare by length.
        let unit = min(3, max(1, blockWidth / max(1, steps.count)))
        out.append(blockRow("all steps", steps: steps, labelWidth: labelWidth, blockWidth: blockWidth, unit: unit, glyphs: glyphs))
        for lane in lanes {
            let laneSteps = lane.steps.compactMap { state.step($0) }
            out.append(blockRow(lane.title, steps: laneSteps, labelWidth: labelWidth, blockWidth: blockWidth, unit: unit, glyphs: glyphs))
        }
        out.append(.blank)
        out.append(savedLine(state, cached: steps.filter { $0.status == .cached }))
        out.append(.blank)

        out.append(StyledLine(" WHY STEPS RAN", .title))
        let executed = steps.filter(isMiss)
        if executed.isEmpty {
            out.append(StyledLine("   nothing ran: every step came from the cache so far", .dim))
        }
        let nameWidth = max(12, min(48, width * 2 / 5))
        for step in executed {
            let (glyph, style) = glyphs.status(step.status, frame: DashboardRenderer.frame(state))
            var line = StyledLine(" \(glyph) ", style)
            line.append(padColumn(CellGrid.trim(step.name, to: nameWidth, ellipsis: glyphs.ellipsis), nameWidth) + "  ")
            let duration = step.duration(now: state.clock).map(DurationText.format) ?? ""
            let reasonWidth = max(8, width - nameWidth - 14)
            line.append(padColumn(CellGrid.trim(step.missReason ?? "(no reason recorded)", to: reasonWidth, ellipsis: glyphs.ellipsis), reasonWidth),
                        step.missReason == nil ? .dim : .warning)
            line.append(" " + duration, .dim)
            out.append(line)
        }
        out.append(.blank)
        out += trendLines(state, width: width, glyphs: glyphs, current: decided > 0 && state.finished ? Double(hits) / Double(decided) : nil)
        return out
    }

    /// A step that ran instead of coming from the cache (or is running now).
    private static func isMiss(_ step: Step) -> Bool {
        step.status == .done || step.status == .failed || step.status == .running
            || (step.status == .canceled && !step.intervals.isEmpty)
    }

    private static func blockRow(_ label: String, steps: [Step], labelWidth: Int, blockWidth: Int, unit: Int,
                                 glyphs: Glyphs) -> StyledLine {
        var line = StyledLine(" " + padColumn(CellGrid.trim(label, to: labelWidth - 1, ellipsis: glyphs.ellipsis), labelWidth), .bold)
        let shown = steps.prefix(blockWidth / unit)
        for step in shown {
            let block: (Character, Style)
            if step.status == .cached {
                block = (glyphs.hit, .cached)
            } else if isMiss(step) {
                block = (glyphs.miss, step.status == .failed ? .failed : .warning)
            } else {
                block = (glyphs.pending, .dim)
            }
            line.append(String(repeating: block.0, count: unit), block.1)
        }
        if steps.count > shown.count { line.append("+\(steps.count - shown.count)", .dim) }
        let hits = steps.filter { $0.status == .cached }.count
        line.append("  \(hits)/\(steps.count)", .dim)
        return line
    }

    /// The time the cache saved: what the cached steps took the last time they ran.
    private static func savedLine(_ state: DashboardState, cached: [Step]) -> StyledLine {
        let measured = cached.compactMap { state.stepHistory[$0.name] }
        var line = StyledLine(" time saved by the cache: ", .bold)
        guard !cached.isEmpty else {
            line.append("none (no cache hits)", .dim)
            return line
        }
        guard !measured.isEmpty else {
            line.append("unknown (no earlier run of the cached steps in the history)", .dim)
            return line
        }
        line.append("≈ " + DurationText.format(measured.reduce(0, +)), .cached)
        var note = "  (last run of \(measured.count) cached step\(measured.count == 1 ? "" : "s")"
        if measured.count < cached.count { note += "; \(cached.count - measured.count) never measured" }
        line.append(note + ")", .dim)
        if state.ascii { line.spans[1].text = line.spans[1].text.replacingOccurrences(of: "≈", with: "~") }
        return line
    }

    private static func trendLines(_ state: DashboardState, width: Int, glyphs: Glyphs, current: Double?) -> [StyledLine] {
        var points = state.trend
        if let current, let duration = state.elapsed { points.append(TrendPoint(hitRate: current, duration: duration)) }
        var title = StyledLine(" TREND", .title)
        title.append("  \(state.trend.count) past build\(state.trend.count == 1 ? "" : "s")" + (current != nil ? " and this one" : ""), .dim)
        guard !points.isEmpty else { return [title, StyledLine("   no earlier builds in the history", .dim)] }
        let span = max(1, width - 32)
        let shown = Array(points.suffix(span))
        let rates = Sparkline.render(shown.map(\.hitRate), glyphs: glyphs, range: 0...1)
        let durations = Sparkline.render(shown.map(\.duration), glyphs: glyphs, range: nil)
        let last = shown[shown.count - 1]
        var hitLine = StyledLine("   hit %     ", .bold)
        hitLine.append(rates, .cached)
        hitLine.append("  last \(Int((last.hitRate * 100).rounded()))%", .dim)
        var timeLine = StyledLine("   duration  ", .bold)
        timeLine.append(durations, .running)
        let slowest = shown.map(\.duration).max() ?? 0
        timeLine.append("  last \(DurationText.format(last.duration)), slowest \(DurationText.format(slowest))", .dim)
        return [title, hitLine, timeLine]
    }

}
