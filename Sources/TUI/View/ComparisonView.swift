import BuildCore
import Foundation

/// Draws the comparison of two builds: the line saying why B took longer (or less), what changed
/// between them, then a row per step with both times, the difference and the cache flip.
/// ```
///  swbuild  compare  A 3788ea03450a → B 3816ebe5e9f2
///  A  3788ea03450a4a97822f  ✔ succeeded  0.02s  7 steps, 7 cached
///  B  3816ebe5e9f24619ad74  ✔ succeeded  1.17s  7 steps, 1 cached
///  B took 1.15s longer (+6333%): 6 steps missed the cache (build arg REPEAT changed, …)
///  CHANGED
///    build arg   REPEAT: unset → "4"
///  STEP                                  A        B     DELTA  CHANGE
///  [base] COPY greeting.txt ./      cached    0.08s    +0.08s  hit → miss: files changed: greeting.txt
/// ```
/// Pure like the other views; the body scrolls, the header and hint bar stay.
enum ComparisonView {
    static func render(_ state: ComparisonState, width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        guard width > 0, height > 0 else { return grid }
        let hint = Rect(x: 0, y: height - 1, width: width, height: 1)
        if height > 1 {
            let header = Rect(x: 0, y: 0, width: width, height: 1)
            grid.fill(header, style: .header)
            let arrow = state.ascii ? "->" : "→"
            grid.put(" swbuild  compare  A \(state.diff.a.id.prefix(12)) \(arrow) B \(state.diff.b.id.prefix(12))",
                     x: 0, y: 0, style: .header, width: width)
        }
        if height > 2 {
            let body = Rect(x: 0, y: 1, width: width, height: height - 2)
            StyledLine.drawScrolled(lines(state, width: width), scroll: state.scroll, rect: body, into: &grid)
        }
        let arrows = state.ascii ? "j/k" : "↑↓"
        HintBar.drawKeys(flash: nil, hints: [("q", "back"), ("esc", "back"), (arrows, "scroll"), ("g/G", "top/end")],
                         rect: hint, into: &grid)
        return grid
    }

    static func lines(_ state: ComparisonState, width: Int) -> [StyledLine] {
        let diff = state.diff
        let glyphs = state.ascii ? Glyphs.ascii : Glyphs.unicode
        var out: [StyledLine] = []
        for (label, build) in [("A", diff.a), ("B", diff.b)] {
            let (glyph, style) = RecentColumns.status(build.status, glyphs: glyphs)
            var line = StyledLine(" \(label)  ", .bold)
            line.append(build.id + "  ", .bold)
            line.append("\(glyph) \(build.status.rawValue)", style)
            line.append("  \(HistoryDiff.seconds(build.duration))  \(build.steps) steps, \(build.cachedSteps) cached", .dim)
            out.append(line)
        }
        out.append(.blank)
        out += wrap(diff.summary, width: width - 2).map { StyledLine(" " + $0, headlineStyle(diff)) }
        out.append(.blank)
        out.append(StyledLine(" CHANGED", .title))
        let changes = diff.changeLines
        if changes.isEmpty {
            out.append(StyledLine("   no build arg, context file, base image or Dockerfile change", .dim))
        }
        out += changes.map { StyledLine("   " + $0) }
        out += diff.notes.map { StyledLine("   note: " + $0, .dim) }
        out.append(.blank)
        out.append(StyledLine(" STEPS", .title))
        let nameWidth = max(16, min(48, width - 42))
        out.append(StyledLine(" " + padColumn("STEP", nameWidth) + "  " + padColumn("A", 8, right: true) + "  " + padColumn("B", 8, right: true) + "  " + padColumn("DELTA", 8, right: true)
                              + "  CHANGE", .dim))
        for step in diff.steps {
            let flat = step.instruction.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let name = CellGrid.trim((step.stage.map { "[\($0)] " } ?? "") + flat, to: nameWidth, ellipsis: glyphs.ellipsis)
            var line = StyledLine(" " + padColumn(name, nameWidth) + "  ", step.a == nil || step.b == nil ? .dim : .normal)
            line.append(padColumn(HistoryDiff.cell(step.a), 8, right: true) + "  ", runStyle(step.a))
            line.append(padColumn(HistoryDiff.cell(step.b), 8, right: true) + "  ", runStyle(step.b))
            let delta = step.delta ?? 0
            line.append(padColumn(abs(delta) < 0.005 ? "" : HistoryDiff.signed(delta), 8, right: true) + "  ",
                        abs(delta) < 0.05 ? .dim : delta > 0 ? .warning : .cached)
            // A change too long for what the row leaves goes on a line of its own, whole.
            let change = HistoryDiff.change(step)
            if line.count + change.count <= width || change.count > width - 6 {
                line.append(change, changeStyle(step))
                out.append(line)
            } else {
                out.append(line)
                out.append(StyledLine("     " + change, changeStyle(step)))
            }
        }
        return state.ascii ? out.map(asciiOnly) : out
    }

    private static func headlineStyle(_ diff: HistoryDiff) -> Style {
        if diff.steps.contains(where: \.newFailure) { return .failed }
        return diff.delta >= 0.05 ? .warning : .bold
    }

    private static func runStyle(_ run: HistoryDiff.StepRun?) -> Style {
        guard let run else { return .dim }
        if run.cached { return .cached }
        switch run.status {
        case .failed: return .failed
        case .canceled, .unfinished, .notStarted: return .canceled
        case .done, .cached: return .normal
        }
    }

    private static func changeStyle(_ step: HistoryDiff.Step) -> Style {
        if step.newFailure { return .failed }
        switch step.flip {
        case .hitToMiss: return .warning
        case .missToHit: return .cached
        case nil: return .dim
        }
    }

    /// Words of `text` on lines of at most `width` cells (a word longer than that is cut).
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if current.isEmpty {
                current = String(word.prefix(width))
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word.prefix(width))
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    private static func asciiOnly(_ line: StyledLine) -> StyledLine {
        var line = line
        for i in line.spans.indices {
            line.spans[i].text = line.spans[i].text.replacingOccurrences(of: "→", with: "->").replacingOccurrences(of: "…", with: "~")
        }
        return line
    }


}
