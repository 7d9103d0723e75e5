import BuildCore
import Foundation

/// The source view (`s`): the Dockerfile, each line with the status, duration and cache result
/// of the steps it made, a warning marker where a check or the frontend named the line, and
/// below, what the names on the cursor's line stand for and why its step ran.
enum SourceView {
    /// Dockerfile rows shown in a body of this size (the rest is the detail box).
    static func listHeight(_ body: Rect) -> Int { max(1, body.height - detailHeight(body)) }

    static func detailHeight(_ body: Rect) -> Int { body.height >= 12 ? 5 : 0 }

    static func draw(_ state: DashboardState, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        let lines = state.dockerfileLines
        if lines.isEmpty || (lines.count == 1 && lines[0].isEmpty) {
            grid.put(" no Dockerfile in this build's record", x: rect.x, y: rect.y, style: .dim, width: rect.width)
            return
        }
        let rows = listHeight(rect)
        let first = min(max(0, state.scroll), max(0, lines.count - rows))
        let numberWidth = max(3, String(lines.count).count)
        let failedLine = state.failedSourceLine
        for (offset, index) in (first..<min(lines.count, first + rows)).enumerated() {
            let y = rect.y + offset
            let steps = state.steps(onLine: index + 1).filter { $0.startLine == index + 1 }
            var line = StyledLine(padColumn(String(index + 1), numberWidth, right: true) + " ", .dim)
            line.append(contentsOf: status(steps, state: state, glyphs: glyphs))
            let warned = state.lineWarnings[index + 1] != nil
            line.append(warned ? String(glyphs.warning) : " ", .warning)
            line.append(glyphs.vertical == "|" ? "| " : "\(glyphs.vertical) ", .border)
            line.append(lines[index], index == failedLine ? .failed : .normal)
            line.draw(x: rect.x, y: y, width: rect.width, into: &grid)
            if index == state.sourceCursor { grid.restyle(x: rect.x, y: y, width: rect.width, style: .selected) }
        }
        let detail = Rect(x: rect.x, y: rect.y + rows, width: rect.width, height: rect.height - rows)
        guard !detail.isEmpty else { return }
        grid.hline(x: detail.x, y: detail.y, width: detail.width, glyphs.horizontal, style: .border)
        var notes: [StyledLine] = []
        for step in state.steps(onLine: state.sourceCursor + 1) {
            var note = StyledLine(" " + step.name + "  ", .bold)
            if let error = step.error {
                note.append(error, .failed)
            } else if step.status == .cached {
                note.append("cached", .cached)
            } else if let reason = step.missReason {
                note.append("ran: " + reason, .dim)
            }
            notes.append(note)
        }
        for message in state.lineWarnings[state.sourceCursor + 1] ?? [] {
            notes.append(StyledLine(" \(glyphs.warning) " + message, .warning))
        }
        for text in state.sourceDetails(line: state.sourceCursor) { notes.append(StyledLine(" " + text, .normal)) }
        if notes.isEmpty { notes.append(StyledLine(" no step, warning or name on this line", .dim)) }
        for (i, note) in notes.prefix(detail.height - 1).enumerated() {
            note.draw(x: detail.x, y: detail.y + 1 + i, width: detail.width, into: &grid)
        }
    }

    /// ` ✔  1.2s CACHED ` for the line's steps (the first step decides; several are rare).
    private static func status(_ steps: [Step], state: DashboardState, glyphs: Glyphs) -> [StyledLine.Span] {
        guard let step = steps.first else { return [.init(text: String(repeating: " ", count: 17), style: .normal)] }
        let (glyph, style): (Character, Style) = switch step.status {
        case .queued: (glyphs.queued, .dim)
        case .running: (glyphs.spinner[DashboardRenderer.frame(state) % glyphs.spinner.count], .running)
        case .done: (glyphs.done, .done)
        case .cached: (glyphs.cached, .cached)
        case .failed: (glyphs.failed, .failed)
        case .canceled: (glyphs.canceled, .canceled)
        }
        let duration = step.duration(now: state.clock).map { DurationText.format($0) } ?? ""
        let cache: (String, Style) = switch step.status {
        case .cached: ("CACHED", .cached)
        case .done, .running: (step.missReason == nil ? "" : "miss", .dim)
        case .failed: ("ERROR", .failed)
        default: ("", .dim)
        }
        return [.init(text: String(glyph) + " ", style: style), .init(text: padColumn(duration, 6, right: true) + " ", style: .dim),
                .init(text: padColumn(cache.0, 8), style: cache.1)]
    }

}

extension StyledLine {
    mutating func append(contentsOf spans: [Span]) { self.spans.append(contentsOf: spans) }
}
