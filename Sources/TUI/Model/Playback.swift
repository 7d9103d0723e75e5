import BuildCore
import Foundation

/// The clock of a replayed build: where the playback stands in the recorded build's time, how
/// fast it moves, whether it is paused, and the moments worth jumping to.
///
/// It is the dashboard's "now" during a replay: the runner advances it with the wall clock
/// (scaled by `speed`) and the dashboard is shown as it was at `position`, so a paused replay
/// shows a frozen screen. Every method that moves it returns `.show(time)`; the caller brings
/// the dashboard to that time (forward by reducing the next events, back from a checkpoint).
struct Playback: Sendable, Equatable {
    /// A moment of the build a step started, finished or failed: `[` and `]` jump between them,
    /// the scrubber draws them.
    struct Mark: Sendable, Equatable {
        enum Kind: Sendable, Equatable { case started, finished, failed }
        var time: Date
        var kind: Kind
        var step: Digest

        init(time: Date, kind: Kind, step: Digest) {
            self.time = time
            self.kind = kind
            self.step = step
        }
    }

    /// The speeds `+` and `-` step through; the last is `max` (as fast as events can be applied).
    static let speeds: [Double] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, .infinity]
    /// What `←` and `→` move by, in seconds of the build.
    static let seekStep = 5.0

    /// What is replayed (a build id or a file name), for the header.
    let title: String
    /// The first event's time: the build's time zero. Meaningless until `hasEvents`.
    private(set) var start = Date(timeIntervalSince1970: 0)
    /// The latest event time loaded so far (the whole build's end once `complete`).
    private(set) var end = Date(timeIntervalSince1970: 0)
    /// The playback clock: events up to this time are shown.
    private(set) var position = Date(timeIntervalSince1970: 0)
    /// Build seconds per wall-clock second; `.infinity` is `max`.
    private(set) var speed: Double
    private(set) var paused = false
    /// Ascending by time.
    private(set) var marks: [Mark] = []
    private(set) var hasEvents = false
    /// Every event of the record has been loaded: `end` is final.
    private(set) var complete = false

    init(title: String, speed: Double = 1) {
        self.title = title
        self.speed = speed > 0 ? speed : 1
    }

    // MARK: Reading it

    /// Seconds from the build's start to the playback position.
    var elapsed: Double { max(0, position.timeIntervalSince(start)) }
    /// The build's length so far (all of it once `complete`).
    var length: Double { max(0, end.timeIntervalSince(start)) }
    /// The playback reached the end of a fully loaded record.
    var ended: Bool { complete && position >= end }
    /// Playing, but at the end of what is loaded: waiting for more events.
    var waiting: Bool { !paused && !complete && position >= end }

    // MARK: Moving it

    /// More of the record was loaded: events from `span.lowerBound` to `span.upperBound`, with
    /// these marks. The first events place the playback at the build's start.
    mutating func extend(_ span: ClosedRange<Date>, marks new: [Mark]) -> [PlaybackAction] {
        marks += new
        guard hasEvents else {
            hasEvents = true
            start = span.lowerBound
            end = span.upperBound
            position = start
            return [.show(position)]
        }
        end = max(end, span.upperBound)
        return []
    }

    /// No more events will come.
    mutating func finishLoading() {
        complete = true
    }

    /// `seconds` of wall-clock time passed: the clock moves by that times the speed, up to the end
    /// of what is loaded. Nothing moves while paused.
    mutating func advance(by seconds: Double) -> [PlaybackAction] {
        guard hasEvents, !paused, position < end, seconds > 0 else { return [] }
        let step = seconds * speed
        position = step.isFinite ? min(end, position.addingTimeInterval(step)) : end
        return [.show(position)]
    }

    /// Space: pause or resume; at the end of the replay, play it again from the start.
    mutating func togglePause() -> [PlaybackAction] {
        if ended {
            paused = false
            return move(to: start)
        }
        paused.toggle()
        return []
    }

    /// `+` / `-`: the next speed up or down the steps (from an odd `--speed`, the nearest step).
    mutating func changeSpeed(faster: Bool) -> [PlaybackAction] {
        let next = faster ? Self.speeds.first { $0 > speed } : Self.speeds.last { $0 < speed }
        guard let next else { return [.bell] }
        speed = next
        return []
    }

    /// `←` / `→`: moves by `seconds` of build time, within the loaded part.
    mutating func seek(by seconds: Double) -> [PlaybackAction] {
        move(to: position.addingTimeInterval(seconds))
    }

    /// Jumps to a moment of the build, within the loaded part.
    mutating func seek(to time: Date) -> [PlaybackAction] {
        move(to: time)
    }

    /// `[` / `]`: the previous or next moment a step started, finished or failed.
    mutating func jumpToMark(forward: Bool) -> [PlaybackAction] {
        // A few milliseconds of slack, so `[` right after a mark goes to the one before it.
        let slack = 0.001
        let target = forward ? marks.first { $0.time.timeIntervalSince(position) > slack }?.time
            : marks.last { position.timeIntervalSince($0.time) > slack }?.time
        guard let target else { return [.bell] }
        return move(to: target)
    }

    /// `g` / `G`: the build's start or the end of what is loaded.
    mutating func jump(toEnd: Bool) -> [PlaybackAction] {
        move(to: toEnd ? end : start)
    }

    private mutating func move(to time: Date) -> [PlaybackAction] {
        guard hasEvents else { return [.bell] }
        let clamped = min(max(time, start), end)
        guard clamped != position else { return [.bell] }
        position = clamped
        return [.show(position)]
    }

    // MARK: Keys

    /// The replay's keys; nil when `key` is not one of them (the dashboard takes it).
    mutating func handle(_ key: Key) -> [PlaybackAction]? {
        switch key {
        case .char(" "): return togglePause()
        case .char("+"), .char("="): return changeSpeed(faster: true)
        case .char("-"), .char("_"): return changeSpeed(faster: false)
        case .left: return seek(by: -Self.seekStep)
        case .right: return seek(by: Self.seekStep)
        case .char("["): return jumpToMark(forward: false)
        case .char("]"): return jumpToMark(forward: true)
        case .char("g"): return jump(toEnd: false)
        case .char("G"): return jump(toEnd: true)
        default: return nil
        }
    }

    /// `×4`, `×0.25`, `max` (`x4` in ASCII).
    func speedLabel(ascii: Bool) -> String {
        guard speed.isFinite else { return "max" }
        let number = speed == speed.rounded() ? String(Int(speed)) : String(format: "%g", speed)
        return (ascii ? "x" : "×") + number
    }
}
