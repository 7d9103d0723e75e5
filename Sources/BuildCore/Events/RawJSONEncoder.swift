import Foundation

/// BuildKit's `--progress=rawjson`: each event becomes at most one `SolveStatus`, written as one
/// line of JSON exactly as BuildKit's `json.Encoder` writes it.
///
/// The mapping mirrors what BuildKit sends:
/// - `plan` → the vertices without times (BuildKit announces a vertex before it starts).
/// - `vertexStarted` → the whole vertex again with `started` (a restart opens a new interval).
/// - `vertexCompleted` → the whole vertex again with `started`, `completed`, and `cached: true` or
///   `error` (a cancel is BuildKit's `context canceled`). A completion with no start, such as a
///   cache hit the solver never ran, starts and completes at the same instant.
/// - `log` → one `logs` entry; `progress` → one `statuses` entry, `started` being the update's own
///   or the time of the first update for that item; `warning` → one `warnings` entry with the text
///   as `short` and the file and line as `sourceInfo` and `range`.
/// - `buildStarted` and `buildFinished` have no SolveStatus form and write nothing.
///
/// Times are printed from `Date`, so they carry microseconds, not BuildKit's nanoseconds (see
/// `RFC3339Time`).
public struct RawJSONEncoder: Sendable {
    private struct VertexInfo: Sendable {
        var name: String?
        var inputs: [String]?
        var started: RFC3339Time?
    }

    private struct StatusKey: Hashable, Sendable {
        var digest: Digest
        var id: String
    }

    private var vertices: [Digest: VertexInfo] = [:]
    private var statusStarted: [StatusKey: RFC3339Time] = [:]

    public init() {}

    /// The rawjson line for `event` without its newline (the writer ends each line with one, as
    /// Go's `json.Encoder` does), or nil when BuildKit would send nothing.
    public mutating func encode(_ event: BuildEvent) -> String? {
        solveStatus(for: event)?.goJSON
    }

    /// The `SolveStatus` BuildKit would send for `event`, or nil.
    public mutating func solveStatus(for event: BuildEvent) -> SolveStatus? {
        let time = RFC3339Time(event.time)
        switch event.kind {
        case .buildStarted, .buildFinished, .cacheMiss:
            return nil
        case .plan(let planned):
            guard !planned.isEmpty else { return nil }
            var out: [SolveStatus.Vertex] = []
            for p in planned {
                var info = vertices[p.digest] ?? VertexInfo()
                info.name = p.name
                info.inputs = p.inputs.map(\.value)
                vertices[p.digest] = info
                out.append(SolveStatus.Vertex(digest: p.digest.value, inputs: info.inputs, name: info.name))
            }
            return SolveStatus(vertexes: out)
        case .vertexStarted(let digest):
            var info = vertices[digest] ?? VertexInfo()
            info.started = time
            vertices[digest] = info
            return SolveStatus(vertexes: [vertex(digest, info)])
        case .vertexCompleted(let c):
            var info = vertices[c.digest] ?? VertexInfo()
            let started = info.started ?? time
            info.started = nil
            vertices[c.digest] = info
            var v = vertex(c.digest, info)
            v.started = started
            v.completed = max(time, started)
            switch c.status {
            case .done: break
            case .cached: v.cached = true
            case .failed: v.error = c.error ?? "failed"
            case .canceled: v.error = c.error ?? "context canceled"
            }
            return SolveStatus(vertexes: [v])
        case .log(let chunk):
            return SolveStatus(logs: [SolveStatus.VertexLog(vertex: chunk.digest.value, stream: chunk.stream,
                                                            data: chunk.data, timestamp: time)])
        case .progress(let p):
            let key = StatusKey(digest: p.digest, id: p.id)
            let started = p.started.map(RFC3339Time.init) ?? statusStarted[key] ?? time
            statusStarted[key] = started
            let status = SolveStatus.VertexStatus(id: p.id, vertex: p.digest.value, name: p.name, total: p.total,
                                                  current: p.current, timestamp: time, started: started,
                                                  completed: p.completed ? time : nil)
            return SolveStatus(statuses: [status])
        case .warning(let w):
            var warning = SolveStatus.VertexWarning(vertex: w.digest?.value, level: w.level ?? 1, short: Data(w.message.utf8))
            if let file = w.file {
                // A build check is located in the Dockerfile, as BuildKit's language tag says.
                warning.sourceInfo = SolveStatus.SourceInfo(filename: file, language: w.rule == nil ? nil : "Dockerfile")
            }
            if let description = w.description { warning.detail = [Data(description.utf8)] }
            warning.url = w.url
            if let line = w.line {
                // BuildKit sends one range per line of the instruction.
                warning.range = (line...max(line, w.endLine ?? line)).map { n in
                    let position = SolveStatus.SourceRange.Position(line: n)
                    return SolveStatus.SourceRange(start: position, end: position)
                }
            }
            return SolveStatus(warnings: [warning])
        }
    }

    /// Renders a whole event sequence as rawjson text, every line ended by a newline.
    public static func render(_ events: [BuildEvent]) -> String {
        var encoder = RawJSONEncoder()
        return events.compactMap { encoder.encode($0).map { $0 + "\n" } }.joined()
    }

    private func vertex(_ digest: Digest, _ info: VertexInfo) -> SolveStatus.Vertex {
        SolveStatus.Vertex(digest: digest.value, inputs: info.inputs, name: info.name, started: info.started)
    }
}
