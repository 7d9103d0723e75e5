import Foundation

/// One step of a recorded build, for `history inspect` and the dashboard's cache view: what it
/// was, whether the cache served it and, when not, why.
///
/// Rows come in plan order (topological, as the build showed them), then any vertex the record
/// mentions without planning it, in order of first appearance. A vertex that ran several times
/// (BuildKit restarts some) reports its last start and its last ending (whose duration already
/// covers every run: see `RawJSONDecoder`).
public struct StepRow: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case done, cached, failed, canceled
        /// Started but the record has no ending (the build was killed, or is still running).
        case unfinished
        /// Planned but never started (a failure or cancel stopped the build first).
        case notStarted
    }

    public var digest: Digest
    public var name: String
    public var stage: String?
    public var status: Status
    public var cached: Bool
    /// Why the cache did not serve it (nil for hits, and for steps that are never cached).
    public var missReason: String?
    public var started: Date?
    /// Seconds spent running; nil when it never ended.
    public var duration: Double?
    public var error: String?

    public init(digest: Digest, name: String, stage: String? = nil, status: Status, cached: Bool,
                missReason: String? = nil, started: Date? = nil, duration: Double? = nil, error: String? = nil) {
        self.digest = digest
        self.name = name
        self.stage = stage
        self.status = status
        self.cached = cached
        self.missReason = missReason
        self.started = started
        self.duration = duration
        self.error = error
    }

    /// The steps of a recorded build.
    public static func rows(from events: [BuildEvent]) -> [StepRow] {
        var order: [Digest] = []
        var rows: [Digest: StepRow] = [:]
        func row(_ digest: Digest) -> StepRow {
            if let existing = rows[digest] { return existing }
            order.append(digest)
            return StepRow(digest: digest, name: digest.value, status: .notStarted, cached: false)
        }
        for event in events {
            switch event.kind {
            case .plan(let planned):
                for p in planned {
                    var r = row(p.digest)
                    r.name = p.name
                    r.stage = p.stage ?? r.stage
                    rows[p.digest] = r
                }
            case .vertexStarted(let digest):
                var r = row(digest)
                r.started = event.time
                r.status = .unfinished
                rows[digest] = r
            case .cacheMiss(let miss):
                var r = row(miss.digest)
                r.missReason = miss.reason
                rows[miss.digest] = r
            case .vertexCompleted(let c):
                var r = row(c.digest)
                r.status = Status(c.status)
                r.cached = c.status == .cached
                // A failure recorded before completions carried the reason keeps the early one.
                r.missReason = c.status == .cached ? nil : c.missReason ?? r.missReason
                r.error = c.error
                r.started = r.started ?? event.time
                r.duration = c.duration
                rows[c.digest] = r
            default:
                break
            }
        }
        return order.compactMap { rows[$0] }
    }
}

extension StepRow.Status {
    init(_ status: VertexCompletion.Status) {
        switch status {
        case .done: self = .done
        case .cached: self = .cached
        case .failed: self = .failed
        case .canceled: self = .canceled
        }
    }
}
