import BuildCore
import Foundation

/// A recorded build played back in the dashboard: the events, the playback clock, and the
/// dashboard as it was at the playback position.
///
/// Playing forward reduces the next events into the shown state. Going back needs the state at
/// an earlier time, so a second dashboard (the indexer) reduces the whole record ahead of the
/// playback, in slices between frames, and keeps a copy every `interval` events (cheap: copies
/// share their logs until one of them changes). Showing any time is then restoring the nearest
/// checkpoint before it and reducing at most `interval` events, whatever the record's length.
/// Checkpoints are capped at `maxCheckpoints`: past that, every other one goes and the interval
/// doubles, so a huge record costs bounded memory and somewhat slower seeks.
///
/// All of it is a value, driven by the runner: `receive` loaded events, `advance` with the wall
/// clock, `apply` keys, `index` when idle. The same calls always give the same screens.
struct Replay: Sendable {
    struct Checkpoint: Sendable {
        /// Events reduced into `state`.
        var count: Int
        var state: DashboardState
    }

    /// What is on screen: the build at the playback position, as the user looks at it.
    private(set) var state: DashboardState
    /// The dashboard before any event: the state every reduction starts from.
    private let blank: DashboardState
    private(set) var events = ReplayEvents()
    /// Events reduced into `state`.
    private(set) var applied = 0
    private var indexer: DashboardState
    /// Events reduced into `indexer`.
    private(set) var indexed = 0
    private var costSinceCheckpoint = 0
    private(set) var checkpoints: [Checkpoint] = []
    /// Cost (see `ReplayEvents.cost`) between two checkpoints.
    private(set) var interval: Int
    let maxCheckpoints: Int

    /// `template` carries the dashboard's options (ASCII, colors, history, size); `speed` is build
    /// seconds per second (`.infinity` plays as fast as events load).
    init(template: DashboardState, title: String, speed: Double, interval: Int = 20_000, maxCheckpoints: Int = 24) {
        var blank = template
        blank.playback = nil
        self.blank = blank
        indexer = blank
        state = blank
        state.playback = Playback(title: title, speed: speed)
        self.interval = max(1, interval)
        self.maxCheckpoints = max(2, maxCheckpoints)
    }

    var playback: Playback { state.playback ?? Playback(title: "") }

    /// The indexer has not reached the end of what is loaded.
    var isIndexing: Bool { indexed < events.count }

    // MARK: Loading

    /// More events of the record, in record order. The first ones show the build's first moment.
    mutating func receive(_ batch: [BuildEvent]) {
        let marks = events.append(batch)
        guard let first = events.firstTime, let last = events.lastTime else { return }
        movePlayback { $0.extend(first...last, marks: marks) }
    }

    /// The record is loaded; `error` says why it stopped early (a damaged last line).
    mutating func finishLoading(error: String? = nil) {
        movePlayback {
            $0.finishLoading()
            return []
        }
        if let error { state.flash = "record ends early: " + error }
    }

    // MARK: Playing

    /// Wall-clock seconds passed since the last call.
    mutating func advance(by seconds: Double) {
        movePlayback { $0.advance(by: seconds) }
    }

    /// A key or a resize. Replay moves are carried out here; what is left (quit, bell) is for the
    /// caller. Ticks are ignored: the playback is the clock.
    @discardableResult
    mutating func apply(_ message: DashboardMessage) -> [DashboardEffect] {
        switch message {
        case .event(let event):
            receive([event])
            return []
        case .events(let batch):
            receive(batch)
            return []
        case .tick:
            return []
        case .key, .resize, .olderLines, .olderMatches, .layersOpened, .layersFailed:
            var rest: [DashboardEffect] = []
            for effect in state.apply(message) {
                if case .replayTo(let time) = effect { show(time) } else { rest.append(effect) }
            }
            return rest
        }
    }

    private mutating func movePlayback(_ body: (inout Playback) -> [PlaybackAction]) {
        guard var playback = state.playback else { return }
        let actions = body(&playback)
        state.playback = playback
        for case .show(let time) in actions { show(time) }
    }

    // MARK: Showing a moment

    /// Brings the shown state to `time`: forward by reducing the events in between, or from the
    /// closest earlier state (a checkpoint, the indexer) when going back or far ahead.
    mutating func show(_ time: Date) {
        let target = events.count(through: time)
        if target < applied || target - applied > interval { restore(target) }
        let events = self.events
        var state = self.state
        self.state = blank
        events.forEach(in: applied..<target) { event in
            state.handle(event)
            return true
        }
        _ = state.apply(.tick(time))
        self.state = state
        applied = target
    }

    /// Replaces the shown build by the one after `target` events, reduced from the closest state
    /// before it, keeping what the user looks at.
    private mutating func restore(_ target: Int) {
        if indexed < target { index(through: target) }
        var base = checkpoints.last { $0.count <= target } ?? Checkpoint(count: 0, state: blank)
        if indexed <= target, indexed > base.count { base = Checkpoint(count: indexed, state: indexer) }
        // Going forward from what is shown is no longer than from the checkpoint.
        if applied <= target, applied >= base.count { return }
        var next = base.state
        events.forEach(in: base.count..<target) { event in
            next.handle(event)
            return true
        }
        next.adoptView(of: state)
        state = next
        applied = target
    }

    // MARK: Indexing

    /// Reduces up to `budget` (in cost units) more of the record into the indexer, leaving
    /// checkpoints; returns whether some is left.
    @discardableResult
    mutating func index(budget: Int) -> Bool {
        index(until: events.count, budget: budget)
        return isIndexing
    }

    private mutating func index(through target: Int) {
        index(until: target, budget: .max)
    }

    private mutating func index(until end: Int, budget: Int) {
        guard indexed < end else { return }
        let events = self.events
        var indexer = self.indexer
        self.indexer = blank
        var spent = 0, count = indexed, sinceCheckpoint = costSinceCheckpoint
        var taken: [Checkpoint] = []
        events.forEach(in: indexed..<end) { event in
            indexer.handle(event)
            count += 1
            let cost = ReplayEvents.cost(event)
            spent += cost
            sinceCheckpoint += cost
            if sinceCheckpoint >= interval {
                taken.append(Checkpoint(count: count, state: indexer))
                sinceCheckpoint = 0
            }
            return spent < budget
        }
        self.indexer = indexer
        indexed = count
        costSinceCheckpoint = sinceCheckpoint
        checkpoints += taken
        thinCheckpoints()
    }

    /// Past `maxCheckpoints`, keeps every other checkpoint (the newest among them, so the next
    /// one comes a whole new interval after it) and doubles the interval.
    private mutating func thinCheckpoints() {
        while checkpoints.count > maxCheckpoints {
            let last = checkpoints.count - 1
            checkpoints = checkpoints.enumerated().filter { (last - $0.offset) % 2 == 0 }.map(\.element)
            interval *= 2
        }
    }
}
