import Foundation

/// The home screen (`swbuild-tui` with no arguments), as a value: the entries gathered by the
/// caller and where the cursor is.
///
/// Three sections, each shown when it has something: builds running now (enter attaches), the
/// history (enter replays, `i` inspects, `c` marks a build and `c` on a second compares the two),
/// and building the current
/// directory's Dockerfile. The cursor moves through them as one list; `tab` jumps between them.
/// Like `DashboardState` it changes only through `apply` and is drawn only by `render`.
public struct HomeState: Sendable {
    public enum Section: Sendable, Equatable, CaseIterable {
        case running, recent, build
    }

    /// Draw with ASCII only (the locale is not UTF-8).
    public let ascii: Bool
    /// False under `NO_COLOR`.
    public let colorEnabled: Bool
    public internal(set) var entries: HomeEntries
    /// The latest tick (the entries' time until the first one).
    var now: Date
    /// Where the cursor is: a section and a row in it.
    public internal(set) var section: Section
    public internal(set) var row = 0
    /// First row shown of the running and recent lists, when they do not fit.
    var runningTop = 0
    var recentTop = 0
    /// The terminal size from the last `resize`, for paging and mouse hit-testing.
    var width = 80
    var height = 24
    /// A one-shot message for the hint bar, cleared by the next key.
    var flash: String?
    /// The build `c` marked as the baseline of a comparison; `c` on another build compares.
    public internal(set) var marked: String?

    public init(entries: HomeEntries, ascii: Bool, colorEnabled: Bool) {
        self.entries = entries
        self.ascii = ascii
        self.colorEnabled = colorEnabled
        now = entries.now
        // Something running is what one most likely came for; else the latest build.
        section = Section.allCases.first { Self.count(of: $0, in: entries) > 0 } ?? .recent
    }

    /// Applies one message; returns what the caller must do.
    public mutating func apply(_ message: HomeMessage) -> [HomeEffect] {
        switch message {
        case .key(let key):
            flash = nil
            return handle(DashboardState.normalized(key))
        case .tick(let date):
            now = date
            return []
        case .resize(let width, let height):
            self.width = max(0, width)
            self.height = max(0, height)
            keepCursorInView()
            return []
        }
    }

    /// The screen for a terminal of `width` × `height` cells (any size, even 0 × 0).
    public func render(width: Int, height: Int) -> CellGrid {
        HomeView.render(self, width: width, height: height)
    }

    // MARK: Rows

    static func count(of section: Section, in entries: HomeEntries) -> Int {
        switch section {
        case .running: return entries.running.count
        case .recent: return entries.recent.count
        case .build: return entries.buildPath == nil ? 0 : 1
        }
    }

    func count(of section: Section) -> Int { Self.count(of: section, in: entries) }

    /// The sections that have rows, in screen order.
    var sections: [Section] { Section.allCases.filter { count(of: $0) > 0 } }

    /// Whether the cursor is on a row (false when every section is empty).
    var hasSelection: Bool { row < count(of: section) }

    /// What enter does on the selected row.
    var primaryChoice: HomeChoice? {
        guard hasSelection else { return nil }
        switch section {
        case .running: return .attach(id: entries.running[row].id)
        case .recent: return .replay(id: entries.recent[row].id)
        case .build: return entries.buildPath.map { .build(path: $0) }
        }
    }
}
