import Foundation

/// A terminal screen as plain values: what `render` produces and what the terminal layer paints.
/// Keeping it a value lets every screen be snapshot-tested as text without a terminal.
public struct CellGrid: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public var character: Character
        public var style: UInt8
        public init(_ character: Character = " ", style: UInt8 = 0) {
            self.character = character
            self.style = style
        }
    }

    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes `text` from (x, y), clipped to the row.
    public mutating func put(_ text: String, x: Int, y: Int, style: UInt8 = 0) {
        guard y >= 0, y < height else { return }
        var col = x
        for ch in text {
            if col >= width { break }
            if col >= 0 { self[col, y] = Cell(ch, style: style) }
            col += 1
        }
    }

    /// The grid as text, one line per row with trailing blanks trimmed: the snapshot format.
    public var text: String {
        (0..<height).map { y in
            var line = String((0..<width).map { self[$0, y].character })
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
