import BuildCore
import Foundation

/// The selected step's log: follow mode, scrolling, wrapping, timestamps and search highlights.
///
/// Only visible lines are ever measured or wrapped: a bottom-aligned view walks back from the
/// newest line until the pane is full, a scrolled one forward from its top line. So a frame
/// costs the same with 10 lines or 100,000 in memory.
enum LogPane {
    /// Cells taken by a timestamp (`12.345 `) when timestamps are on.
    static func prefixWidth(_ state: DashboardState) -> Int { state.log.timestamps ? 7 : 0 }

    /// Rows a line takes in a text area `width` cells wide.
    static func rows(of line: StepLog.Line, state: DashboardState, width: Int) -> Int {
        guard state.log.wrap else { return 1 }
        let w = max(1, width - prefixWidth(state))
        return max(1, (line.length + w - 1) / w)
    }

    /// The top line of a view that ends with the newest line (follow mode).
    static func bottomTop(state: DashboardState, step: Step, rows: Int, width: Int) -> Int {
        let source = Source(state, step)
        var number = source.end
        var used = 0
        while number > source.first, used < rows {
            number -= 1
            used += source.line(number).map { self.rows(of: $0, state: state, width: width) } ?? 1
        }
        return number
    }

    /// A top line that shows line `target` about a quarter down the pane, as less does for a
    /// search match (never so far down that a long wrapped line pushes it out of view).
    static func top(showing target: Int, state: DashboardState, step: Step, rows: Int, width: Int) -> Int {
        let source = Source(state, step)
        let context = rows / 4
        var top = max(source.first, target)
        var used = source.line(top).map { self.rows(of: $0, state: state, width: width) } ?? 1
        while top > source.first, target - top < context {
            let above = source.line(top - 1).map { self.rows(of: $0, state: state, width: width) } ?? 1
            guard used + above <= max(1, rows - 1) else { break }
            used += above
            top -= 1
        }
        return top
    }

    static func draw(_ state: DashboardState, layout: DashboardLayout, glyphs: Glyphs, into grid: inout CellGrid) {
        let step = state.selected.flatMap { state.step($0) }
        drawTitle(state, step: step, rect: layout.logTitle, glyphs: glyphs, into: &grid)
        for (i, line) in ErrorPanel.lines(state, width: layout.errorBlock.width, maxRows: layout.errorBlock.height).enumerated() {
            grid.put(line.text, x: layout.errorBlock.x, y: layout.errorBlock.y + i, style: line.style, width: layout.errorBlock.width)
        }
        let rect = layout.logText
        guard !rect.isEmpty else { return }
        guard let step else {
            let text = state.steps.isEmpty ? "waiting for the build to start…" : "no step selected: ↑↓ to pick one"
            grid.put(state.ascii ? text.replacingOccurrences(of: "…", with: "...").replacingOccurrences(of: "↑↓", with: "j/k") : text,
                     x: rect.x + 1, y: rect.y, style: .dim, width: rect.width - 1)
            return
        }
        let source = Source(state, step)
        guard source.end > source.first else {
            if step.status == .queued {
                drawWaits(state, step, rect: rect, glyphs: glyphs, into: &grid)
                return
            }
            let text = step.status == .cached ? "(cached: no output)" : "(no output)"
            grid.put(text, x: rect.x + 1, y: rect.y, style: .dim, width: rect.width - 1)
            return
        }
        let pattern = SearchPattern(state.log.query)
        let currentLine = state.log.current.flatMap { $0 < state.log.matches.count ? state.log.matches[$0] : nil }
        let prefix = prefixWidth(state)
        let textWidth = max(1, rect.width - prefix)
        let bottom = bottomTop(state: state, step: step, rows: rect.height, width: rect.width)
        let start = state.log.follow ? bottom : min(max(source.first, state.log.top), bottom)

        // Rows to skip at the top: when bottom-aligned, the first line may be partly above.
        var skip = 0
        if start == bottom {
            var used = 0
            for n in bottom..<source.end { used += source.line(n).map { rows(of: $0, state: state, width: rect.width) } ?? 1 }
            skip = max(0, used - rect.height)
        }
        var y = rect.y
        var number = start
        let stepStart = step.firstStart
        if start == source.first, skip == 0, step.log.dropped > 0, !state.canReadBack {
            // The top of what is kept: say that older output existed and is gone.
            let note = "\(step.log.dropped) earlier lines dropped: only the last \(step.log.lines.capacity) of a step are kept"
            grid.put(note, x: rect.x, y: y, style: .dim, width: rect.width)
            y += 1
        }
        while y < rect.maxY, number < source.end {
            guard let line = source.line(number) else {
                if number < step.log.firstNumber {
                    // Older than what is kept: on its way from the build record.
                    grid.put(glyphs.ellipsis, x: rect.x + prefix, y: y, style: .dim, width: textWidth)
                    y += 1
                }
                number += 1
                continue
            }
            let chars = Array(line.text)
            let style: Style = line.isWarning ? .warning : .normal
            let highlights = pattern?.ranges(in: chars) ?? []
            let matchStyle: Style = number == currentLine ? .currentMatch : .match
            let segments: [Range<Int>]
            if state.log.wrap {
                segments = stride(from: 0, to: max(1, chars.count), by: textWidth).map { $0..<min(chars.count, $0 + textWidth) }
            } else {
                let from = min(state.log.column, chars.count)
                segments = [from..<min(chars.count, from + textWidth)]
            }
            for (k, segment) in segments.enumerated() {
                if skip > 0 { skip -= 1; continue }
                guard y < rect.maxY else { break }
                if prefix > 0, k == 0 {
                    let offset = stepStart.map { line.time.timeIntervalSince($0) } ?? 0
                    grid.put(DurationText.offset(offset) + " ", x: rect.x, y: y, style: .dim, width: prefix)
                }
                grid.put(String(chars[segment]), x: rect.x + prefix, y: y, style: style, width: textWidth)
                for h in highlights {
                    let lo = max(h.lowerBound, segment.lowerBound), hi = min(h.upperBound, segment.upperBound)
                    if lo < hi { grid.restyle(x: rect.x + prefix + lo - segment.lowerBound, y: y, width: hi - lo, style: matchStyle) }
                }
                y += 1
            }
            number += 1
        }
    }

    /// `─ LOG [stage 2/3] RUN make ─ ✘ failed 1.2s ─ … ── follow wrap ─` across the pane.
    private static func drawTitle(_ state: DashboardState, step: Step?, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        let focused = state.focus == .log || state.logMaximised
        grid.hline(x: rect.x, y: rect.y, width: rect.width, glyphs.horizontal, style: .border)
        // Right side, most important first; what does not fit in 45% of the row is left out.
        var right: [String] = []
        if !state.log.query.isEmpty {
            let n = state.log.matches.count
            right.append(state.log.current.map { "/\(state.log.query) \($0 + 1)/\(n)" } ?? "/\(state.log.query) \(n) matches")
        }
        if let step, step.log.dropped > 0 {
            right.append(state.canReadBack ? "\(step.log.dropped) older on disk" : "\(step.log.dropped) older dropped")
        }
        right.append(state.log.follow ? "follow" : "paused")
        right.append(state.log.wrap ? "wrap" : "nowrap")
        if state.log.timestamps { right.append("time") }
        if let step { right.append("\(step.log.count) lines") }
        let separator = state.ascii ? " | " : " · "
        func joined() -> String { " " + right.joined(separator: separator) + " " }
        while right.count > 1, joined().count > rect.width * 45 / 100 { right.removeLast() }
        let rightText = joined()
        let rightWidth = min(rightText.count, max(0, rect.width - 2))
        let rightX = rect.maxX - rightWidth - 1
        var x = rect.x + 1
        x += grid.put(" LOG ", x: x, y: rect.y, style: focused ? .title : .dim, width: rightX - x)
        if let step {
            let (glyph, statusStyle) = glyphs.status(step.status, frame: DashboardRenderer.frame(state))
            var status = "\(glyph) \(step.status.rawValue)"
            if let d = step.duration(now: state.clock) { status += " " + DurationText.format(d) }
            let available = rightX - x - 1
            // The name matters most: the status goes when both do not fit with 12 cells of name.
            let showStatus = available - status.count - 4 >= 12
            let name = CellGrid.trim(step.name, to: max(0, showStatus ? available - status.count - 4 : available - 1),
                                     ellipsis: glyphs.ellipsis)
            x += grid.put(name + " ", x: x, y: rect.y, style: focused ? .bold : .normal, width: available)
            if showStatus {
                x += 1
                x += grid.put(" " + status + " ", x: x, y: rect.y, style: statusStyle, width: rightX - x)
            }
            if let reason = step.missReason, rightX - x > 12 {
                x += 1
                grid.putTrimmed(" " + reason + " ", x: x, y: rect.y, width: rightX - x, style: .dim, ellipsis: glyphs.ellipsis)
            }
        }
        grid.put(String(rightText.suffix(rightWidth)), x: rightX, y: rect.y, style: .dim, width: rightWidth)
    }

    /// A step's committed lines followed by its pending (unterminated) ones, numbered alike,
    /// after the lines read back from the record when it can be read.
    struct Source {
        let log: StepLog
        let pending: [StepLog.Line]
        let older: ReadBackLines?
        let first: Int
        init(_ state: DashboardState, _ step: Step) {
            self.log = step.log
            self.pending = log.pendingLines
            self.older = state.log.older?.digest == step.digest ? state.log.older : nil
            self.first = state.firstReadableLine(of: step)
        }
        var end: Int { log.endNumber + pending.count }
        /// Nil for a line not read back yet.
        func line(_ number: Int) -> StepLog.Line? {
            if number < log.firstNumber { return older?.line(number) }
            if number < log.endNumber { return log.line(number) }
            let i = number - log.endNumber
            return i >= 0 && i < pending.count ? pending[i] : nil
        }
    }

    /// A step that has not started: what it waits for, each input with its state (the unmet
    /// ones first), or that it waits for a free job slot.
    static func drawWaits(_ state: DashboardState, _ step: Step, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        let inputs = step.inputs.compactMap { state.step($0) }
        let unmet = inputs.filter { !$0.status.isEnded || $0.status == .failed || $0.status == .canceled }
        var lines: [StyledLine] = []
        if inputs.isEmpty || unmet.isEmpty {
            lines.append(StyledLine("(not started: its inputs are ready; waiting for a free job slot)", .dim))
        } else {
            lines.append(StyledLine("(not started) waiting for \(unmet.count) of \(inputs.count) input\(inputs.count == 1 ? "" : "s"):", .dim))
        }
        let frame = DashboardRenderer.frame(state)
        for input in unmet + inputs.filter({ i in !unmet.contains { $0.digest == i.digest } }) {
            let (glyph, style) = glyphs.status(input.status, frame: frame)
            var line = StyledLine("  " + String(glyph) + " ", style)
            line.append(input.name)
            let time = input.duration(now: state.clock).map { " " + DurationText.format($0) } ?? ""
            line.append("  " + input.status.rawValue + time, .dim)
            lines.append(line)
        }
        for (i, line) in lines.prefix(rect.height).enumerated() {
            line.draw(x: rect.x + 1, y: rect.y + i, width: rect.width - 1, into: &grid)
        }
    }
}
