/// Where each part of the home screen goes for a state and a terminal size; `render` draws into
/// these rectangles and the reducer pages and hit-tests with them.
///
/// Row 0 is the header and the last row the hint bar. Below the header, the running builds (a
/// title row, then at least one row and at most a third of the body); the Dockerfile to build
/// sits at the bottom (a title row and its row); the history takes the rest (a title row, a row
/// of column names, then its builds, scrolled to keep the cursor in view).
struct HomeLayout: Sendable {
    private(set) var header = Rect.empty
    private(set) var hint = Rect.empty
    /// Contexts that did not answer, under the header.
    private(set) var unreachableRows = Rect.empty
    private(set) var runningTitle = Rect.empty
    private(set) var runningRows = Rect.empty
    private(set) var recentTitle = Rect.empty
    private(set) var recentHeader = Rect.empty
    private(set) var recentRows = Rect.empty
    private(set) var buildTitle = Rect.empty
    private(set) var buildRow = Rect.empty
    private let runningTop: Int
    private let recentTop: Int
    private let counts: (running: Int, recent: Int, build: Int)

    init(state: HomeState, width: Int, height: Int) {
        runningTop = state.runningTop
        recentTop = state.recentTop
        counts = (state.count(of: .running), state.count(of: .recent), state.count(of: .build))
        guard width > 0, height > 0 else { return }
        func row(_ y: Int, _ n: Int = 1) -> Rect { Rect(x: 0, y: y, width: width, height: n) }
        if height == 1 {
            hint = row(0)
            return
        }
        header = row(0)
        hint = row(height - 1)
        var top = 1
        var bottom = height - 1
        if counts.build > 0, bottom - top >= 4 {
            buildTitle = row(bottom - 2)
            buildRow = row(bottom - 1)
            bottom -= 2
        }
        let unreachable = state.entries.unreachable.count
        if unreachable > 0, bottom - top >= 5 {
            unreachableRows = row(top, min(unreachable, 3))
            top += unreachableRows.height
        }
        if bottom - top >= 2 {
            let rows = min(max(1, counts.running), max(1, (height - 2) / 3), bottom - top - 1)
            runningTitle = row(top)
            runningRows = row(top + 1, rows)
            top += 1 + rows
        }
        if bottom - top >= 1 {
            recentTitle = row(top)
            top += 1
        }
        if bottom - top >= 2 {
            recentHeader = row(top)
            recentRows = row(top + 1, bottom - top - 1)
        }
    }

    /// The selectable row at a screen position.
    func row(atX x: Int, y: Int) -> (section: HomeState.Section, row: Int)? {
        if runningRows.contains(x: x, y: y), runningTop + y - runningRows.y < counts.running {
            return (.running, runningTop + y - runningRows.y)
        }
        if recentRows.contains(x: x, y: y), recentTop + y - recentRows.y < counts.recent {
            return (.recent, recentTop + y - recentRows.y)
        }
        if buildRow.contains(x: x, y: y), counts.build > 0 { return (.build, 0) }
        return nil
    }
}
