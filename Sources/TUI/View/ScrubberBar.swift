import Foundation

/// A replay's position in the build, on the row above the hint bar:
/// ` PAUSED  ×4   2.4s / 9.8s  ━━━━━━━━━━━●──┼────┼──✘──────── `
///
/// The state (PLAYING, PAUSED, ENDED, LOADING while the playback waits for the record to load),
/// the speed, the time into the build and its length (`…` while more is loading), then the
/// build's timeline: the played part, the playhead, and a mark where a step started or finished
/// (`✘` where one failed). A click on the timeline seeks there.
enum ScrubberBar {
    /// The label, its style, and the texts before the timeline.
    private static func parts(_ playback: Playback, ascii: Bool) -> [(String, Style)] {
        let label: (String, Style)
        if !playback.hasEvents, playback.complete {
            label = (" NO EVENTS ", .dim)
        } else if !playback.hasEvents || playback.waiting {
            label = (" LOADING ", .dim)
        } else if playback.ended {
            label = (" ENDED ", .done)
        } else if playback.paused {
            label = (" PAUSED ", .prompt)
        } else {
            label = (" PLAYING ", .running)
        }
        let total = DurationText.format(playback.length) + (playback.complete ? "" : (ascii ? "..." : "…"))
        var elapsed = DurationText.format(playback.elapsed)
        let width = DurationText.format(playback.length).count
        if elapsed.count < width { elapsed = String(repeating: " ", count: width - elapsed.count) + elapsed }
        // Fixed widths for the label and the speed, so the timeline does not shift when they change.
        let speed = playback.speedLabel(ascii: ascii)
        return [(label.0.padding(toLength: max(9, label.0.count), withPad: " ", startingAt: 0), label.1),
                (" " + speed + " ", .key), (String(repeating: " ", count: max(0, 5 - speed.count)) + "\(elapsed) / \(total)", .normal)]
    }

    /// Where the timeline is drawn on the scrubber row: its first column and width (nil when the
    /// row is too narrow for one).
    static func timeline(_ state: DashboardState, rect: Rect) -> (x: Int, width: Int)? {
        guard let playback = state.playback, !rect.isEmpty else { return nil }
        let parts = self.parts(playback, ascii: state.ascii)
        let used = parts.reduce(0) { $0 + $1.0.count } + parts.count + 1
        let width = rect.width - used - 1
        guard width >= 4 else { return nil }
        return (rect.x + used, width)
    }

    static func draw(_ state: DashboardState, rect: Rect, into grid: inout CellGrid) {
        guard let playback = state.playback, !rect.isEmpty else { return }
        var x = rect.x
        for (text, style) in parts(playback, ascii: state.ascii) {
            x += grid.put(text, x: x, y: rect.y, style: style, width: rect.maxX - x) + 1
        }
        guard let line = timeline(state, rect: rect) else { return }
        let head = column(playback.position, playback, width: line.width)
        for c in 0..<line.width {
            let played = c < head
            grid.put(played ? (state.ascii ? "=" : "━") : (state.ascii ? "-" : "─"), x: line.x + c, y: rect.y,
                     style: played ? .progress : .border)
        }
        for mark in playback.marks where mark.kind != .failed {
            let c = column(mark.time, playback, width: line.width)
            grid.put(state.ascii ? "+" : "┼", x: line.x + c, y: rect.y, style: c < head ? .progress : .border)
        }
        for mark in playback.marks where mark.kind == .failed {
            grid.put(state.ascii ? "x" : "✘", x: line.x + column(mark.time, playback, width: line.width), y: rect.y, style: .failed)
        }
        let headStyle: Style = playback.paused ? .prompt : playback.ended ? .done : .running
        grid.put(state.ascii ? "O" : "●", x: line.x + head, y: rect.y, style: headStyle)
    }

    /// The build time under a click at (x, y), when it is on the timeline.
    static func time(atX x: Int, y: Int, state: DashboardState) -> Date? {
        guard let playback = state.playback, playback.hasEvents else { return nil }
        let rect = DashboardLayout(state: state, width: state.width, height: state.height).scrubber
        guard rect.contains(x: x, y: y), let line = timeline(state, rect: rect),
              x >= line.x, x < line.x + line.width else { return nil }
        let fraction = Double(x - line.x) / Double(max(1, line.width - 1))
        return playback.start.addingTimeInterval(playback.length * fraction)
    }

    /// The cell of `time` on a timeline `width` cells wide.
    private static func column(_ time: Date, _ playback: Playback, width: Int) -> Int {
        guard playback.length > 0 else { return 0 }
        let f = time.timeIntervalSince(playback.start) / playback.length * Double(width - 1)
        guard f.isFinite else { return 0 }
        return min(max(0, Int(f.rounded(.down))), width - 1)
    }
}
