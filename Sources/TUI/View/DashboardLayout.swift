/// Where each part of the screen goes for a state and a terminal size. `render` draws into
/// these rectangles and the reducer pages and hit-tests with them, so both always agree.
///
/// - Row 0 is the header and the last row the hint bar (a 1-row screen keeps only the hint bar:
///   it is where the quit question appears). The body is everything between. A replay puts its
///   scrubber on the row above the hint bar when the screen has 5 rows or more.
/// - The build screen splits the body: lanes on top (as many rows as they need, at most 55%, or
///   40% after a failure, so the error and the log's end have room), the log pane below. A body under 8 rows shows only the focused pane; `enter` maximises
///   the log pane.
/// - The log pane is a title row, the error block when the selected step failed (at most half
///   the pane), then the log text.
struct DashboardLayout: Sendable {
    private(set) var header = Rect.empty
    private(set) var body = Rect.empty
    private(set) var hint = Rect.empty
    private(set) var scrubber = Rect.empty
    private(set) var steps = Rect.empty
    private(set) var log = Rect.empty
    private(set) var logTitle = Rect.empty
    private(set) var errorBlock = Rect.empty
    private(set) var logText = Rect.empty

    /// Bodies shorter than this show one pane at a time.
    static let minimumSplitHeight = 8

    init(state: DashboardState, width: Int, height: Int, lanes: [Lane]? = nil) {
        guard width > 0, height > 0 else { return }
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        if height == 1 {
            hint = screen
            return
        }
        header = Rect(x: 0, y: 0, width: width, height: 1)
        hint = Rect(x: 0, y: height - 1, width: width, height: 1)
        body = Rect(x: 0, y: 1, width: width, height: height - 2)
        if state.playback != nil, height >= 5 {
            scrubber = Rect(x: 0, y: height - 2, width: width, height: 1)
            body.height -= 1
        }
        guard state.screen == .build, !body.isEmpty else { return }

        if state.logMaximised {
            log = body
        } else if body.height < Self.minimumSplitHeight {
            if state.focus == .log { log = body } else { steps = body }
        } else {
            let lanes = lanes ?? state.lanes
            let needed = max(1, LaneLayout.neededHeight(lanes, screenWidth: width))
            // A failure needs room for its error and log more than for the other lanes.
            let share = state.selectedFailure != nil || state.status == .failed ? 40 : 55
            let most = max(3, body.height * share / 100)
            var height = min(needed, most)
            if needed > most {
                // Folding finished lanes may leave rows to spare: give them to the log.
                let folded = LaneLayout(state: state, lanes: lanes, rect: body.splitTop(most).top, screenWidth: width)
                height = max(1, folded.usedHeight)
            }
            let split = body.splitTop(height)
            steps = split.top
            log = split.rest
        }
        guard !log.isEmpty else { return }
        let (title, content) = log.splitTop(1)
        logTitle = title
        let errorRows = ErrorPanel.lines(state, width: content.width, maxRows: content.height / 2).count
        let split = content.splitTop(errorRows)
        errorBlock = split.top
        logText = split.rest
    }
}
