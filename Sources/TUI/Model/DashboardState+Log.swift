import BuildCore

/// Scrolling and searching the log pane. Positions are line numbers of the selected step's log;
/// the pane's size comes from the last `resize`, through the same layout `render` uses.
extension DashboardState {
    /// The log pane's text area: rows, and columns for text (after timestamps).
    var logViewport: (rows: Int, width: Int) {
        let rect = DashboardLayout(state: self, width: width, height: height).logText
        return (max(1, rect.height), max(1, rect.width))
    }

    /// Scrolls by `delta` lines (negative is up). Scrolling up leaves follow mode; scrolling
    /// down to the end does not re-enter it (press `G`, End or `f`), as in less.
    mutating func scrollLog(by delta: Int) {
        guard let selected, let step = step(selected) else { return }
        if log.follow {
            guard delta < 0 else { return }
            pauseFollow()
        }
        let view = logViewport
        let bottom = LogPane.bottomTop(state: self, step: step, rows: view.rows, width: view.width)
        let first = firstReadableLine(of: step)
        log.top = min(max(first, log.top + delta), max(first, bottom))
    }

    /// Leaves follow mode where the view is, so pausing never jumps.
    mutating func pauseFollow() {
        guard log.follow else { return }
        log.follow = false
        if let selected, let step = step(selected) {
            let view = logViewport
            log.top = LogPane.bottomTop(state: self, step: step, rows: view.rows, width: view.width)
        }
    }

    // MARK: Search

    /// `/`: starts typing a query; the log pane takes the focus.
    mutating func startSearch() {
        log.editing = true
        log.savedQuery = log.query
        log.query = ""
        recomputeMatches()
        if screen == .build { focus = .log }
    }

    mutating func editQuery(_ key: Key) -> [DashboardEffect] {
        switch key {
        case .char(let c):
            log.query.append(c)
            recomputeMatches()
        case .backspace:
            if log.query.isEmpty {
                log.editing = false
                log.query = log.savedQuery
            } else {
                log.query.removeLast()
            }
            recomputeMatches()
        case .enter:
            log.editing = false
            guard !log.query.isEmpty else { return [] }
            let onDisk = searchOlderLines()
            if log.matches.isEmpty, !onDisk.isEmpty {
                flash = "searching the lines on disk…"
                return onDisk
            }
            return firstMatch() + onDisk
        case .esc, .interrupt:
            log.editing = false
            log.query = log.savedQuery
            recomputeMatches()
        default:
            break
        }
        return []
    }

    /// After a search is entered: the newest match when following (build output is read from
    /// the end), else the first at or below the top of the view.
    private mutating func firstMatch() -> [DashboardEffect] {
        guard !log.matches.isEmpty else { return notFound() }
        if log.follow {
            log.current = log.matches.count - 1
        } else {
            log.current = log.matches.firstIndex { $0 >= log.top } ?? 0
        }
        showCurrentMatch()
        return []
    }

    /// `n` / `N`: the next or previous match, wrapping around the ends.
    mutating func nextMatch(forward: Bool) -> [DashboardEffect] {
        guard !log.query.isEmpty else {
            flash = "no search: press / to search"
            return [.bell]
        }
        guard !log.matches.isEmpty else { return notFound() }
        guard let current = log.current, current < log.matches.count else { return firstMatch() }
        var next = current + (forward ? 1 : -1)
        if next >= log.matches.count {
            next = 0
            flash = "search hit BOTTOM, continuing at TOP"
        } else if next < 0 {
            next = log.matches.count - 1
            flash = "search hit TOP, continuing at BOTTOM"
        }
        log.current = next
        showCurrentMatch()
        return []
    }

    private mutating func notFound() -> [DashboardEffect] {
        flash = "pattern not found: " + log.query
        return [.bell]
    }

    /// Scrolls so the current match is in view, a few lines below the top.
    mutating func showCurrentMatch() {
        guard let current = log.current, current < log.matches.count,
              let selected, let step = step(selected) else { return }
        if screen != .build { screen = .build }
        let view = logViewport
        log.follow = false
        log.top = LogPane.top(showing: log.matches[current], state: self, step: step, rows: view.rows, width: view.width)
    }
}
