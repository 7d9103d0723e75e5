import BuildCore
import Foundation

/// The comparison of two builds (`c` on one build of the home screen, `c` on another), as a
/// value: the diff the caller computed from the two records, and how far it is scrolled.
///
/// Like the home screen it changes only through `apply` and is drawn only by `render`; it takes
/// the home screen's messages and answers `.quit` when the user goes back (`q`, esc).
public struct ComparisonState: Sendable {
    public let diff: HistoryDiff
    /// Draw with ASCII only (the locale is not UTF-8).
    public let ascii: Bool
    /// False under `NO_COLOR`.
    public let colorEnabled: Bool
    /// The first body line shown.
    public internal(set) var scroll = 0
    var width = 80
    var height = 24

    public init(diff: HistoryDiff, ascii: Bool, colorEnabled: Bool) {
        self.diff = diff
        self.ascii = ascii
        self.colorEnabled = colorEnabled
    }

    /// Applies one message; returns what the caller must do.
    public mutating func apply(_ message: HomeMessage) -> [HomeEffect] {
        switch message {
        case .key(let key):
            return handle(DashboardState.normalized(key))
        case .tick:
            return []
        case .resize(let width, let height):
            self.width = max(0, width)
            self.height = max(0, height)
            scroll = min(scroll, maxScroll)
            return []
        }
    }

    /// The screen for a terminal of `width` × `height` cells (any size, even 0 × 0).
    public func render(width: Int, height: Int) -> CellGrid {
        ComparisonView.render(self, width: width, height: height)
    }

    private mutating func handle(_ key: Key) -> [HomeEffect] {
        switch key {
        case .char("q"), .esc, .interrupt: return [.quit]
        case .up, .char("k"), .wheelUp: scroll(by: -1)
        case .down, .char("j"), .wheelDown: scroll(by: 1)
        case .pageUp: scroll(by: -page)
        case .pageDown, .char(" "): scroll(by: page)
        case .home, .char("g"): scroll = 0
        case .end, .char("G"): scroll = maxScroll
        default: return []
        }
        return []
    }

    /// Body rows: everything but the header and the hint bar.
    private var page: Int { max(1, height - 3) }

    private var maxScroll: Int {
        max(0, ComparisonView.lines(self, width: width).count - max(0, height - 2))
    }

    private mutating func scroll(by delta: Int) {
        scroll = min(max(0, scroll + delta), maxScroll)
    }
}
