import BuildCore
import Foundation

/// The block above a failed step's log: the error, and the Dockerfile lines of the instruction
/// that failed, marked as BuildKit marks them (`>>>`). With the log's last lines below it, this
/// is everything needed to see why the build failed without leaving the dashboard.
///
/// When the build failed with no failed step (a Dockerfile parse error, an export error), the
/// block shows the build's error instead, whatever is selected.
enum ErrorPanel {
    struct Line: Sendable, Equatable {
        var text: String
        var style: Style
    }

    /// Lines of context shown before and after the failing instruction.
    static let contextBefore = 2
    static let contextAfter = 1
    /// The error message is cut to this many rows.
    static let maxErrorRows = 4

    /// The block for `width` columns, in at most `maxRows` rows: when space is short, context
    /// lines go first, then the message's continuation rows, so the message's first row and the
    /// failing instruction stay longest.
    static func lines(_ state: DashboardState, width: Int, maxRows: Int = .max) -> [Line] {
        guard width > 0, maxRows > 0 else { return [] }
        let glyph = state.ascii ? Glyphs.ascii.failed : Glyphs.unicode.failed
        let ellipsis = state.ascii ? Glyphs.ascii.ellipsis : Glyphs.unicode.ellipsis
        if let step = state.selectedFailure {
            let text = "\(glyph) ERROR: " + (step.error ?? "failed")
            let shapes: [(message: Int, before: Int, after: Int, label: Bool)] = [
                (maxErrorRows, contextBefore, contextAfter, true), (2, 1, 0, true), (2, 0, 0, true), (1, 0, 0, true), (1, 0, 0, false),
            ]
            for shape in shapes {
                let block = message(text, width: width, rows: shape.message, ellipsis: ellipsis)
                    + excerpt(state, start: step.startLine, end: step.endLine, before: shape.before, after: shape.after, label: shape.label)
                if block.count <= maxRows { return block }
            }
            return Array(message(text, width: width, rows: 1, ellipsis: ellipsis).prefix(maxRows))
        }
        if state.status == .failed, !state.hasFailure, let error = state.result?.error {
            return Array(message("\(glyph) ERROR: " + error, width: width, rows: maxErrorRows, ellipsis: ellipsis).prefix(maxRows))
        }
        return []
    }

    /// The message word-wrapped to `width`, at most `rows` rows (the last one cut with `…`).
    private static func message(_ text: String, width: Int, rows: Int, ellipsis: String) -> [Line] {
        var out: [String] = []
        var truncated = false
        paragraphs: for part in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var rest = Substring(TerminalText.clean(Array(part.utf8)[...]))
            while !rest.isEmpty {
                if out.count == rows {
                    truncated = true
                    break paragraphs
                }
                if rest.count <= width {
                    out.append(String(rest))
                    break
                }
                let head = rest.prefix(width + 1)
                let cut = head.lastIndex(of: " ").map { rest.distance(from: rest.startIndex, to: $0) } ?? width
                let take = cut > width / 3 ? cut : width
                out.append(String(rest.prefix(take)))
                rest = rest.dropFirst(take).drop { $0 == " " }
            }
        }
        if truncated, let last = out.popLast() {
            out.append(CellGrid.trim(last + " " + ellipsis, to: width, ellipsis: ellipsis))
        }
        return out.map { Line(text: $0, style: .failed) }
    }

    /// `Dockerfile:12` and the numbered lines around the instruction.
    private static func excerpt(_ state: DashboardState, start: Int?, end: Int?, before: Int, after: Int, label: Bool) -> [Line] {
        let lines = state.dockerfileLines
        guard let start, start >= 1, start <= lines.count else { return [] }
        let last = min(max(start, end ?? start), lines.count)
        let from = max(1, start - before)
        let to = min(lines.count, last + after)
        let name = state.build.map { URL(fileURLWithPath: $0.dockerfilePath).lastPathComponent } ?? "Dockerfile"
        var out: [Line] = []
        if label { out.append(Line(text: "\(name):\(start == last ? "\(start)" : "\(start)-\(last)")", style: .dim)) }
        let digits = String(to).count
        for n in from...to {
            let failing = n >= start && n <= last
            let number = String(repeating: " ", count: max(0, digits - String(n).count)) + String(n)
            out.append(Line(text: " \(number) | \(failing ? ">>> " : "    ")\(lines[n - 1])", style: failing ? .failed : .dim))
        }
        return out
    }
}
