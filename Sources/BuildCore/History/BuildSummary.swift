import Foundation

/// One line of `history ls`: a build as its record tells it.
///
/// It is derived from the events alone (`buildStarted`, `buildFinished`, `vertexCompleted`), never
/// stored, so it cannot disagree with the record. A record without `buildFinished` belongs to a
/// build that was killed (or is still running) and is `interrupted`; its duration runs to its last
/// recorded event and its step counts are counted from the completions it has.
public struct BuildSummary: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case succeeded, failed, canceled, interrupted
    }

    /// The record's id (its file name without `.jsonl`).
    public var id: String
    /// When the build started (its `buildStarted` event, else its first event, else the file's
    /// modification time).
    public var started: Date
    public var status: Status
    /// Seconds, from the build's own `buildFinished` when it has one.
    public var duration: Double
    /// Steps and cache hits, from `buildFinished` when present, else counted from completions.
    public var steps: Int
    public var cachedSteps: Int
    public var target: String?
    public var dockerfile: String?
    public var contextPath: String?
    public var tags: [String]
    public var platform: String?
    public var imageDigest: String?
    public var error: String?

    public init(id: String, started: Date, status: Status, duration: Double, steps: Int, cachedSteps: Int,
                target: String? = nil, dockerfile: String? = nil, contextPath: String? = nil, tags: [String] = [],
                platform: String? = nil, imageDigest: String? = nil, error: String? = nil) {
        self.id = id
        self.started = started
        self.status = status
        self.duration = duration
        self.steps = steps
        self.cachedSteps = cachedSteps
        self.target = target
        self.dockerfile = dockerfile
        self.contextPath = contextPath
        self.tags = tags
        self.platform = platform
        self.imageDigest = imageDigest
        self.error = error
    }

    /// The summary of record `id` with events `events` (only build and vertex-completion events
    /// matter; logs may be left out). `fallbackStart` dates a record with no events at all.
    public init(id: String, events: [BuildEvent], fallbackStart: Date = Date(timeIntervalSince1970: 0)) {
        var start: BuildStart?
        var startTime: Date?
        var finish: BuildFinish?
        var lastTime: Date?
        var completions: [Digest: VertexCompletion.Status] = [:]
        for event in events {
            lastTime = max(lastTime ?? event.time, event.time)
            switch event.kind {
            case .buildStarted(let s):
                if start == nil {
                    start = s
                    startTime = event.time
                }
            case .buildFinished(let f):
                finish = f
            case .vertexCompleted(let c):
                completions[c.digest] = c.status
            default:
                break
            }
        }
        let began = startTime ?? events.first?.time ?? fallbackStart
        let status: Status
        switch finish?.status {
        case .succeeded: status = .succeeded
        case .failed: status = .failed
        case .canceled: status = .canceled
        case nil: status = .interrupted
        }
        self.init(id: id, started: began, status: status,
                  duration: finish?.duration ?? max(0, (lastTime ?? began).timeIntervalSince(began)),
                  steps: finish?.steps ?? completions.count,
                  // A build that did not finish counts what the dashboard counted: its cached steps.
                  cachedSteps: (finish?.status == .succeeded ? finish?.cachedSteps : nil)
                      ?? completions.values.filter { $0 == .cached }.count,
                  target: start?.target, dockerfile: start?.dockerfilePath, contextPath: start?.contextPath,
                  tags: start?.tags ?? [], platform: start?.platform, imageDigest: finish?.imageDigest,
                  error: finish?.error)
    }

    /// `history ls --format json`: the summaries as a JSON array, keys sorted, dates RFC 3339.
    public static func json(_ summaries: [BuildSummary]) throws -> String {
        let encoder = BuildRecord.makeEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(summaries), as: UTF8.self)
    }
}
