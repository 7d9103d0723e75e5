import BuildCore
import Foundation

/// One vertex of the build as the dashboard tracks it: what it is, where it stands, its timing
/// and its output.
///
/// BuildKit quirks it absorbs: a vertex may start several times (each start opens a run
/// interval, each completion closes the intervals open at its time, and its status is that of
/// the latest completion unless an interval is still open); events may name a vertex no plan
/// announced (it is created on the fly, named by its digest until a plan names it).
struct Step: Sendable {
    enum Status: String, Sendable, Equatable {
        case queued, running, done, cached, failed, canceled

        /// Ended in any way.
        var isEnded: Bool { self != .queued && self != .running }
    }

    struct Interval: Sendable, Equatable {
        var start: Date
        var end: Date?
    }

    /// One byte or item counter inside the step (BuildKit's status), by id.
    struct Progress: Sendable, Equatable {
        var id: String
        var current: Int64
        var total: Int64?
        var completed: Bool
    }

    let digest: Digest
    var name: String
    var stage: String?
    var inputs: [Digest] = []
    var startLine: Int?
    var endLine: Int?
    /// Position in the plans seen so far; nil until a plan names the vertex.
    var planRank: Int?
    /// Position among all steps in order of first sight (plan or any event).
    let creation: Int

    var status: Status = .queued
    var intervals: [Interval] = []
    /// Seconds it ran, as its latest completion reported (the union of its intervals).
    var reportedDuration: Double?
    var missReason: String?
    /// The step's filesystem as layers in the store, bottom first (see `VertexCompletion.layers`).
    var layers: [String]?
    var error: String?
    var progress: [Progress] = []
    var log: StepLog

    init(digest: Digest, creation: Int, logCapacity: Int) {
        self.digest = digest
        self.name = digest.short
        self.creation = creation
        self.log = StepLog(capacity: logCapacity)
    }

    var lane: Lane.Key { Lane.key(name: name, stage: stage) }
    var firstStart: Date? { intervals.first?.start }
    var isOpen: Bool { intervals.contains { $0.end == nil } }

    /// When it last stopped running (nil while running or never started).
    var lastEnd: Date? {
        guard !isOpen else { return nil }
        return intervals.compactMap(\.end).max()
    }

    /// Seconds spent running: the reported duration once ended, else the union of its
    /// intervals with open ones running until `now`. Nil when it never started.
    func duration(now: Date?) -> Double? {
        if status.isEnded, let reported = reportedDuration { return reported }
        guard !intervals.isEmpty else { return nil }
        let spans = intervals.map { ($0.start, $0.end ?? max(now ?? $0.start, $0.start)) }.sorted { $0.0 < $1.0 }
        var total = 0.0
        var open: (Date, Date)?
        for (start, end) in spans {
            if let current = open, start <= current.1 {
                open = (current.0, max(current.1, end))
            } else {
                if let current = open { total += current.1.timeIntervalSince(current.0) }
                open = (start, end)
            }
        }
        if let current = open { total += current.1.timeIntervalSince(current.0) }
        return total
    }

    /// The counter to draw as a bar: the latest unfinished one with a known total.
    var activeProgress: Progress? {
        progress.last { !$0.completed && ($0.total ?? 0) > 0 }
    }

    mutating func start(at time: Date) {
        intervals.append(Interval(start: time))
        status = .running
    }

    mutating func complete(_ completion: VertexCompletion, at time: Date) {
        for i in intervals.indices where intervals[i].end == nil && intervals[i].start <= time {
            intervals[i].end = time
        }
        if intervals.isEmpty {
            // Completed without a start (a replayed cache hit): an instant run at its end.
            intervals.append(Interval(start: time, end: time))
        }
        reportedDuration = completion.duration
        missReason = completion.missReason ?? (completion.status == .cached ? nil : missReason)
        if let error = completion.error { self.error = error }
        if let layers = completion.layers { self.layers = layers }
        let ended: Status
        switch completion.status {
        case .done: ended = .done
        case .cached: ended = .cached
        case .failed: ended = (completion.error?.hasSuffix("context canceled") ?? false) ? .canceled : .failed
        case .canceled: ended = .canceled
        }
        status = isOpen ? .running : ended
    }

    /// The build is over: whatever still runs stops at `time` (as canceled unless it succeeded).
    mutating func stop(at time: Date, buildSucceeded: Bool) {
        guard status == .running else { return }
        for i in intervals.indices where intervals[i].end == nil { intervals[i].end = max(time, intervals[i].start) }
        status = buildSucceeded ? .done : .canceled
    }

    mutating func update(_ p: ProgressUpdate) {
        let entry = Progress(id: p.id, current: p.current, total: p.total, completed: p.completed)
        if let i = progress.firstIndex(where: { $0.id == p.id }) {
            progress[i] = entry
        } else {
            progress.append(entry)
        }
    }
}
