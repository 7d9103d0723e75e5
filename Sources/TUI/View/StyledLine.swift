/// A line of text made of styled spans, for views that are laid out as a list of lines and
/// then scrolled (cache graph, help): building lines is separate from placing them, so the
/// reducer can count them to bound scrolling.
struct StyledLine: Sendable, Equatable {
    struct Span: Sendable, Equatable {
        var text: String
        var style: Style
    }

    var spans: [Span] = []

    init(_ spans: [Span] = []) { self.spans = spans }

    init(_ text: String, _ style: Style = .normal) {
        spans = [Span(text: text, style: style)]
    }

    static let blank = StyledLine()

    mutating func append(_ text: String, _ style: Style = .normal) {
        spans.append(Span(text: text, style: style))
    }

    var count: Int { spans.reduce(0) { $0 + $1.text.count } }

    /// Draws the line from (x, y), clipped to `width` cells.
    func draw(x: Int, y: Int, width: Int, into grid: inout CellGrid) {
        var col = x
        for span in spans where col < x + width {
            col += grid.put(span.text, x: col, y: y, style: span.style, width: x + width - col)
        }
    }

    /// Draws `lines` into `rect` from line `scroll`, clamped so the last page stays full.
    static func drawScrolled(_ lines: [StyledLine], scroll: Int, rect: Rect, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        let first = min(max(0, scroll), max(0, lines.count - rect.height))
        for (i, line) in lines.dropFirst(first).prefix(rect.height).enumerated() {
            line.draw(x: rect.x, y: rect.y + i, width: rect.width, into: &grid)
        }
    }
}
