/// What a cell means, stored in `CellGrid.Cell.style`. The terminal layer maps each to colors,
/// or, with color off (`NO_COLOR`), to bold/reverse/plain, so every style must read as
/// "more/less important" or "selected" without its color.
///
/// Raw values are stable: snapshots store them through `maskCharacter`.
public enum Style: UInt8, Sendable, CaseIterable {
    case normal = 0
    /// Secondary text: durations, hints, queued steps, timestamps.
    case dim
    case bold
    /// The header line.
    case header
    case running
    case done
    case cached
    case failed
    case canceled
    /// The selected row in the focused pane (reverse video).
    case selected
    /// The selected row when its pane is not focused.
    case selectedInactive
    /// A search match.
    case match
    /// The current search match (`n`/`N` moves it).
    case currentMatch
    case warning
    /// Frames and separators.
    case border
    /// Pane and lane titles.
    case title
    /// The timeline's critical path.
    case critical
    /// Progress bars.
    case progress
    /// Keys in the hint bar and help.
    case key
    /// A question that needs an answer (quit confirmation, search prompt).
    case prompt

    /// One character per style for snapshot mask files; normal is a space so masks read like
    /// the screens they describe.
    public var maskCharacter: Character {
        switch self {
        case .normal: return " "
        case .dim: return "d"
        case .bold: return "b"
        case .header: return "h"
        case .running: return "r"
        case .done: return "o"
        case .cached: return "c"
        case .failed: return "F"
        case .canceled: return "x"
        case .selected: return "S"
        case .selectedInactive: return "s"
        case .match: return "m"
        case .currentMatch: return "M"
        case .warning: return "w"
        case .border: return "-"
        case .title: return "t"
        case .critical: return "C"
        case .progress: return "p"
        case .key: return "k"
        case .prompt: return "?"
        }
    }
}
