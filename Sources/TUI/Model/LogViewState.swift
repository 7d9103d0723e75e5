import BuildCore
import Foundation

/// How the log pane looks at the selected step's log: position, display options and search.
///
/// Positions are log line numbers (see `StepLog`), so they survive old lines being dropped.
/// Scrolling moves by whole log lines even when wrapping (as k9s does): no frame ever needs to
/// wrap more than the lines it shows.
struct LogViewState: Sendable, Equatable {
    /// Keep the newest line at the bottom as output arrives. Scrolling up turns it off; `G`,
    /// End and `f` turn it back on.
    var follow = true
    /// Number of the first line shown when not following.
    var top = 0
    /// Columns scrolled to the right when not wrapping.
    var column = 0
    var wrap = true
    var timestamps = false

    /// The search pattern, highlighted in the pane (also while it is being typed).
    var query = ""
    /// Typing a query after `/`: characters go to `query` until enter or esc.
    var editing = false
    /// The query before `/` was pressed, restored by esc.
    var savedQuery = ""
    /// Numbers of the selected step's lines that contain `query`, ascending.
    var matches: [Int] = []
    /// Index in `matches` of the current match (`n`/`N` move it).
    var current: Int?

    /// Older lines of the selected step read back from the build record (see `LogReadBack`),
    /// and the read asked for and not answered yet.
    var older: ReadBackLines?
    var requested: Request?
    /// The last read came back short (the record lagged the screen): read again after this.
    var retryAt: Date?

    struct Request: Sendable, Equatable {
        var digest: Digest
        var range: Range<Int>
    }

    /// Back to the defaults for a newly selected step, keeping the display options and the query.
    mutating func reset() {
        follow = true
        top = 0
        column = 0
        matches = []
        current = nil
        older = nil
        requested = nil
        retryAt = nil
    }
}
