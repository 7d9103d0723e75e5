/// Clipped drawing on a grid: nothing here can write outside the grid or outside the given
/// width, so views may compute positions loosely (a 1×1 or 0×0 terminal draws nothing and never
/// traps). Text is sanitized as it is written: a control character becomes a space, never a
/// cell that would move the terminal's cursor.
extension CellGrid {
    /// Writes `text` from (x, y), at most `width` cells; returns the number of cells written.
    @discardableResult
    mutating func put(_ text: some StringProtocol, x: Int, y: Int, style: Style, width limit: Int? = nil) -> Int {
        guard y >= 0, y < height else { return 0 }
        let end = min(width, limit.map { x + max(0, $0) } ?? width)
        var col = x
        for ch in text {
            if col >= end { break }
            if col >= 0 { self[col, y] = Cell(Self.printable(ch), style: style.rawValue) }
            col += 1
        }
        return max(0, min(col, end) - x)
    }

    /// Writes `text` trimmed to `width` cells, ending in an ellipsis when it was cut.
    mutating func putTrimmed(_ text: String, x: Int, y: Int, width: Int, style: Style, ellipsis: String = "…") {
        guard width > 0 else { return }
        put(Self.trim(text, to: width, ellipsis: ellipsis), x: x, y: y, style: style, width: width)
    }

    /// Fills a rectangle with one character and style.
    mutating func fill(_ rect: Rect, _ character: Character = " ", style: Style = .normal) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let cell = Cell(Self.printable(character), style: style.rawValue)
        for y in y0..<y1 { for x in x0..<x1 { self[x, y] = cell } }
    }

    /// Changes the style of cells without touching their characters.
    mutating func restyle(x: Int, y: Int, width w: Int, style: Style) {
        guard y >= 0, y < height else { return }
        for col in max(0, x)..<max(max(0, x), min(width, x + w)) {
            self[col, y] = Cell(self[col, y].character, style: style.rawValue)
        }
    }

    /// A horizontal line of `character` across `width` cells.
    mutating func hline(x: Int, y: Int, width w: Int, _ character: Character, style: Style) {
        fill(Rect(x: x, y: y, width: w, height: 1), character, style: style)
    }

    /// The style mask: one character per cell (see `Style.maskCharacter`), one line per row,
    /// trailing blanks trimmed like `text`. Unknown raw styles show as `?`.
    public var styleMask: String {
        (0..<height).map { y in
            var line = String((0..<width).map { Style(rawValue: self[$0, y].style)?.maskCharacter ?? "?" })
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// `text` cut to `width` characters, the last replaced by `ellipsis` when cut.
    static func trim(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        let keep = max(0, width - ellipsis.count)
        return String(text.prefix(keep)) + String(ellipsis.prefix(width - keep))
    }

    private static func printable(_ ch: Character) -> Character {
        if let ascii = ch.asciiValue { return ascii < 0x20 || ascii == 0x7F ? " " : ch }
        for scalar in ch.unicodeScalars {
            switch scalar.value {
            case 0x00..<0x20, 0x7F, 0x80..<0xA0: return " "
            default: continue
            }
        }
        return ch
    }
}
