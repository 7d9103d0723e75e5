import BuildCore

/// How keys change the state, with the habits of k9s, lazygit and less: arrows and `hjkl` move,
/// `tab` switches panes, `/` `n` `N` search, `esc` goes back one level, `q` leaves (asking
/// first while the build runs, since leaving a build cancels it).
///
/// Keys are read in layers, the first that applies wins: the quit question, the search prompt,
/// the help overlay, then the keys of the current screen and pane.
///
/// In a replay, the replay's keys (see `Playback.handle`) come right after the help overlay, on
/// every screen: space, `+` `-`, `←` `→`, `[` `]`, `g` `G`. What they displace keeps another key:
/// `h` `l` still move between stages and scroll sideways, PgDn pages, End ends the log, and the
/// timeline is `T`. `q` leaves at once: there is no build to cancel.
extension DashboardState {
    mutating func handle(_ key: Key) -> [DashboardEffect] {
        let before = selected
        let effects = handleKey(Self.normalized(key))
        if selected != before { selectedByUser = true }
        return effects
    }

    private mutating func handleKey(_ key: Key) -> [DashboardEffect] {
        flash = nil
        if confirmingQuit { return answerQuit(key) }
        if explorer != nil { return explorerKey(key) }
        if log.editing { return editQuery(key) }
        if showHelp { return helpKey(key) }
        if let effects = playbackKey(key) { return effects }
        switch key {
        case .char("q"), .interrupt: return quit()
        case .char("?"):
            showHelp = true
            scroll = 0
        case .char("c"): switchScreen(.cacheGraph)
        case .char("s"):
            switchScreen(.source)
            // Opens on the selected step's line.
            if screen == .source, let line = step(selected)?.startLine { moveSourceCursor(by: line - 1 - sourceCursor) }
        case .char("g"): switchScreen(.timeline)
        case .char("T") where playback != nil: switchScreen(.timeline)
        case .esc: back()
        case .char("/"): startSearch()
        case .char("e"): return jumpToError()
        case .char("n"): return nextMatch(forward: true)
        case .char("N"): return nextMatch(forward: false)
        default:
            if screen == .source { return sourceKey(key) }
            if screen != .build { scrollScreen(key) } else { return buildKey(key) }
        }
        return []
    }

    /// Control characters a terminal layer may pass as characters, read as the keys they are.
    static func normalized(_ key: Key) -> Key {
        guard case .char(let c) = key else { return key }
        switch c {
        case "\u{3}": return .interrupt
        case "\u{1b}": return .esc
        case "\t": return .tab
        case "\r", "\n", "\r\n": return .enter
        case "\u{7f}", "\u{8}": return .backspace
        default: return key
        }
    }

    // MARK: Leaving

    private mutating func quit() -> [DashboardEffect] {
        if finished || cancelRequested || playback != nil || viewer { return [.quit] }
        confirmingQuit = true
        return [.confirmQuit]
    }

    private mutating func answerQuit(_ key: Key) -> [DashboardEffect] {
        switch key {
        case .char("y"), .char("Y"), .interrupt:
            confirmingQuit = false
            cancelRequested = true
            flash = "canceling the build"
            return [.cancelBuild]
        case .char("n"), .char("N"), .esc:
            confirmingQuit = false
        default:
            break
        }
        return []
    }

    /// One level back: maximised log, other screen, log focus, then the search highlight.
    private mutating func back() {
        if logMaximised {
            logMaximised = false
            focus = .steps
        } else if screen != .build {
            screen = .build
        } else if focus == .log {
            focus = .steps
        } else if !log.query.isEmpty {
            log.query = ""
            recomputeMatches()
        }
    }

    private mutating func switchScreen(_ target: Screen) {
        screen = screen == target ? .build : target
        scroll = 0
    }

    private mutating func helpKey(_ key: Key) -> [DashboardEffect] {
        switch key {
        case .esc, .char("?"), .char("q"), .enter, .interrupt: showHelp = false
        default: scrollScreen(key)
        }
        return []
    }

    /// Scrolls the cache graph, timeline or help by lines and pages.
    private mutating func scrollScreen(_ key: Key) {
        let layout = DashboardLayout(state: self, width: width, height: height)
        let page = max(1, layout.body.height - 1)
        let limit = max(0, screenContentHeight(width: width) - layout.body.height)
        switch key {
        case .up, .char("k"), .wheelUp: scroll -= 1
        case .down, .char("j"), .wheelDown: scroll += 1
        case .pageUp: scroll -= page
        case .pageDown, .char(" "): scroll += page
        case .home: scroll = 0
        case .end, .char("G"): scroll = limit
        default: break
        }
        scroll = min(max(0, scroll), limit)
    }

    private func screenContentHeight(width: Int) -> Int {
        if showHelp { return HelpOverlay.contentHeight(self) }
        switch screen {
        case .build: return 0
        case .cacheGraph: return CacheGraphView.lines(self, width: width).count
        case .timeline: return TimelineView.contentHeight(self)
        case .source: return dockerfileLines.count
        }
    }

    // MARK: Replay

    /// A replay key (or a click on the scrubber) moves the playback; nil when `key` is not one.
    private mutating func playbackKey(_ key: Key) -> [DashboardEffect]? {
        guard var playback else { return nil }
        var actions = playback.handle(key)
        if actions == nil, case .click(let x, let y) = key,
           let time = ScrubberBar.time(atX: x, y: y, state: self) {
            actions = playback.seek(to: time)
        }
        guard let actions else { return nil }
        self.playback = playback
        return actions.map { action in
            switch action {
            case .show(let time): return .replayTo(time)
            case .bell: return .bell
            }
        }
    }

    // MARK: The build screen

    private mutating func buildKey(_ key: Key) -> [DashboardEffect] {
        switch key {
        case .tab, .shiftTab:
            focus = focus == .steps ? .log : .steps
            if logMaximised { focus = .log }
        case .enter:
            if logMaximised {
                logMaximised = false
                focus = .steps
            } else if selected != nil {
                logMaximised = true
                focus = .log
            }
        case .char("f"):
            if log.follow { pauseFollow() } else { log.follow = true }
        case .char("w"):
            log.wrap.toggle()
            log.column = 0
        case .char("t"): log.timestamps.toggle()
        case .char("l") where focus == .steps && !logMaximised: return openLayers()
        case .char("G"): log.follow = true
        case .wheelUp(let x, let y), .wheelDown(let x, let y):
            let up = if case .wheelUp = key { true } else { false }
            let layout = DashboardLayout(state: self, width: width, height: height)
            if layout.log.contains(x: x, y: y) {
                scrollLog(by: up ? -3 : 3)
            } else if layout.steps.contains(x: x, y: y) {
                moveSelection(by: up ? -1 : 1)
            }
        case .click(let x, let y):
            click(x: x, y: y)
        default:
            if focus == .log || logMaximised { logKey(key) } else { stepsKey(key) }
        }
        return []
    }

    private mutating func stepsKey(_ key: Key) {
        let layout = DashboardLayout(state: self, width: width, height: height)
        switch key {
        case .up, .char("k"): moveSelection(by: -1)
        case .down, .char("j"): moveSelection(by: 1)
        case .left, .char("h"): moveLane(by: -1)
        case .right, .char("L"): moveLane(by: 1)
        case .pageUp: moveSelection(by: -max(1, layout.steps.height - 1))
        case .pageDown: moveSelection(by: max(1, layout.steps.height - 1))
        case .home: select(displayOrder.first, pin: true)
        case .end: select(displayOrder.last, pin: true)
        default: break
        }
    }

    private mutating func logKey(_ key: Key) {
        let rows = DashboardLayout(state: self, width: width, height: height).logText.height
        switch key {
        case .up, .char("k"): scrollLog(by: -1)
        case .down, .char("j"): scrollLog(by: 1)
        case .pageUp, .char("b"): scrollLog(by: -max(1, rows - 1))
        case .pageDown, .char(" "): scrollLog(by: max(1, rows - 1))
        case .left, .char("h"): if !log.wrap { log.column = max(0, log.column - 8) }
        case .right, .char("l"): if !log.wrap { log.column += 8 }
        case .home:
            log.follow = false
            log.top = selected.flatMap { step($0) }.map { firstReadableLine(of: $0) } ?? 0
        case .end: log.follow = true
        default: break
        }
    }

    private mutating func moveSelection(by delta: Int) {
        let order = displayOrder
        guard !order.isEmpty else { return }
        let current = selected.flatMap { order.firstIndex(of: $0) }
        let target = current.map { $0 + delta } ?? (delta >= 0 ? 0 : order.count - 1)
        select(order[min(max(0, target), order.count - 1)], pin: true)
    }

    /// Moves to the first step of the previous or next lane.
    private mutating func moveLane(by delta: Int) {
        let lanes = self.lanes.filter { !$0.steps.isEmpty }
        guard !lanes.isEmpty else { return }
        let current = selected.flatMap { s in lanes.firstIndex { $0.steps.contains(s) } }
        let target = current.map { $0 + delta } ?? 0
        select(lanes[min(max(0, target), lanes.count - 1)].steps.first, pin: true)
    }

    private mutating func click(x: Int, y: Int) {
        let layout = DashboardLayout(state: self, width: width, height: height)
        if layout.log.contains(x: x, y: y) {
            focus = .log
            return
        }
        guard layout.steps.contains(x: x, y: y) else { return }
        let lanes = self.lanes
        let rows = LaneLayout(state: self, lanes: lanes, rect: layout.steps, screenWidth: width)
        switch rows.row(atX: x, y: y)?.content {
        case .step(let digest)?:
            select(digest, pin: true)
            focus = .steps
        case .lane(let i, _)?:
            if i < lanes.count { select(lanes[i].steps.first, pin: true) }
            focus = .steps
        default:
            break
        }
    }

    private mutating func jumpToError() -> [DashboardEffect] {
        guard let failed = firstFailure else {
            flash = "no failed step"
            return [.bell]
        }
        select(failed, pin: true)
        if screen == .source, let line = failedSourceLine {
            moveSourceCursor(by: line - sourceCursor)
            return []
        }
        screen = .build
        log.follow = true
        return []
    }
}
