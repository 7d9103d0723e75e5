import BuildCore
import Foundation

/// Everything the dashboard shows, as a value: the build as its events told it, plus what the
/// user is looking at.
///
/// It changes only through `reduce` (here `apply`), one `DashboardMessage` at a time, and is
/// drawn only by `render`; neither reads a clock or does I/O, so a screen is a function of the
/// messages received. Memory is bounded whatever a build prints: each step keeps its newest
/// `LogLimits.perStep` lines and all steps together at most `LogLimits.total`.
public struct DashboardState: Sendable {
    /// Draw with ASCII only (the locale is not UTF-8).
    public let ascii: Bool
    /// False under `NO_COLOR`: styles stay meaningful, the terminal maps them to bold/reverse.
    public let colorEnabled: Bool
    /// Seconds each step took last time, by step name, from the history: for the ETA and for
    /// the time the cache saved.
    let stepHistory: [String: Double]
    /// Past builds, oldest first, for the cache graph's trend.
    let trend: [TrendPoint]
    var limits: LogLimits

    // MARK: The build

    var build: BuildStart?
    var dockerfileLines: [String] = []
    var startTime: Date?
    /// The latest `tick`.
    var now: Date?
    /// The latest event time (a replay's clock runs ahead of ticks).
    var lastEventTime: Date?
    var result: BuildFinish?
    var finishTime: Date?
    public internal(set) var status: BuildStatus = .running
    /// True once `buildFinished` arrived, whatever its status.
    public internal(set) var finished = false
    /// Steps in order of first sight; `stepIndex` finds them by digest.
    var steps: [Step] = []
    var stepIndex: [Digest: Int] = [:]
    var nextPlanRank = 0
    /// The newest warnings not tied to a step (those of a step go into its log), at most
    /// `maxWarnings`.
    var warnings: [BuildWarning] = []
    static let maxWarnings = 1_000
    /// All warnings, with or without a step.
    var warningCount = 0
    /// Warnings that name a Dockerfile line (build checks), by line: the source view marks them.
    var lineWarnings: [Int: [String]] = [:]
    /// Committed log lines kept over all steps.
    var totalLogLines = 0

    // MARK: What the user looks at

    enum Pane: Sendable, Equatable { case steps, log }
    enum Screen: Sendable, Equatable { case build, cacheGraph, timeline, source }

    /// The terminal size from the last `resize`, for paging and mouse hit-testing.
    var width = 80
    var height = 24
    var selected: Digest?
    /// Set once the user picks a step (or a failure picks one): until then the selection follows
    /// the step that started last.
    var selectionPinned = false
    var focus: Pane = .steps
    var screen: Screen = .build
    var showHelp = false
    var logMaximised = false
    var log = LogViewState()
    var confirmingQuit = false
    /// Watching someone else's build (`attach`): quitting just leaves, it never cancels.
    public var viewer = false
    /// Lines a step no longer keeps can be read back from the build's events (its record, or
    /// the events a replay holds): the log pane scrolls up to line 0.
    public var canReadBack = false
    var cancelRequested = false
    /// First line shown on the cache graph, timeline, source and help screens.
    var scroll = 0
    /// The source view's line (0-based).
    var sourceCursor = 0
    /// A one-shot message for the hint bar, cleared by the next key.
    var flash: String?
    /// The user picked the selected step (a key or a click), rather than the build's events.
    var selectedByUser = false
    /// The layer explorer, over the whole screen while open (`l`).
    var explorer: LayerExplorer?
    /// Layers can be read here (the build's store is on this machine); `l` says why not otherwise.
    public var canOpenLayers = false

    // MARK: Replay

    /// Set when the dashboard replays a recorded build: its clock is the playback position, its
    /// keys move the playback, and the scrubber row shows where it stands.
    var playback: Playback?

    public init(ascii: Bool, colorEnabled: Bool, stepHistory: [String: Double] = [:],
                trend: [(hitRate: Double, duration: Double)] = []) {
        self.ascii = ascii
        self.colorEnabled = colorEnabled
        self.stepHistory = stepHistory
        self.trend = TrendPoint.normalized(trend)
        self.limits = LogLimits()
    }

    /// As the public init, with other log limits (tests use small ones).
    init(ascii: Bool = false, colorEnabled: Bool = true, stepHistory: [String: Double] = [:],
         trend: [(hitRate: Double, duration: Double)] = [], limits: LogLimits) {
        self.init(ascii: ascii, colorEnabled: colorEnabled, stepHistory: stepHistory, trend: trend)
        self.limits = limits
    }

    /// Applies one message; returns what the caller must do (quit, cancel the build, …).
    public mutating func apply(_ message: DashboardMessage) -> [DashboardEffect] {
        reduce(&self, message)
    }

    /// The screen for a terminal of `width` × `height` cells (any size, even 0 × 0).
    public func render(width: Int, height: Int) -> CellGrid {
        TUI.render(self, width: width, height: height)
    }

    // MARK: Derived views of the build

    /// The time screens measure against: the latest tick or event, whichever is later.
    var clock: Date? {
        switch (now, lastEventTime) {
        case let (a?, b?): return max(a, b)
        case let (a, b): return a ?? b
        }
    }

    /// Seconds since the build started (its final duration once it finished).
    var elapsed: Double? {
        if finished, let duration = result?.duration, duration > 0 { return duration }
        guard let start = startTime else { return nil }
        let end = finished ? (finishTime ?? clock) : clock
        return end.map { max(0, $0.timeIntervalSince(start)) }
    }

    func step(_ digest: Digest?) -> Step? {
        digest.flatMap { stepIndex[$0] }.map { steps[$0] }
    }

    /// Lanes with their steps in display order (see `Lane`).
    var lanes: [Lane] {
        let ordered = steps.sorted { a, b in
            switch (a.planRank, b.planRank) {
            case let (x?, y?): return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a.creation < b.creation
            }
        }
        var lanes: [Lane] = [Lane(key: .internal, steps: [])]
        var position: [Lane.Key: Int] = [.internal: 0]
        for step in ordered {
            let key = step.lane
            if let i = position[key] {
                lanes[i].steps.append(step.digest)
            } else {
                position[key] = lanes.count
                lanes.append(Lane(key: key, steps: [step.digest]))
            }
        }
        if lanes[0].steps.isEmpty { lanes.removeFirst() }
        return lanes
    }

    /// Every step in display order (lane by lane): the order up/down moves through.
    var displayOrder: [Digest] { lanes.flatMap(\.steps) }

    func count(_ status: Step.Status) -> Int { steps.reduce(0) { $0 + ($1.status == status ? 1 : 0) } }

    /// Whether any step failed (every step is in a lane: no ordering needed to tell).
    var hasFailure: Bool { steps.contains { $0.status == .failed } }

    /// The first failed step in display order.
    var firstFailure: Digest? {
        displayOrder.first { step($0)?.status == .failed }
    }

    /// Whether a step is selected and ended with an error: the failure view's condition.
    var selectedFailure: Step? {
        guard let selected, let step = step(selected), step.status == .failed else { return nil }
        return step
    }
}
