import Foundation

/// Turns BuildKit `--progress=rawjson` output back into `BuildEvent`s, for replaying BuildKit's
/// builds (and our own rawjson) in the dashboard, the printers and the history.
///
/// BuildKit's stream is a sequence of state snapshots, not of events, and this decoder works out
/// what happened from them:
/// - A vertex is re-sent whole whenever anything about it changes. Its first sight (or a changed
///   name or inputs) yields a `plan` event with that vertex: plans from this decoder are partial
///   and additive, one per line that introduces vertices, not one up-front list.
/// - Each distinct `started` time is one run interval (BuildKit runs some vertices several times);
///   a new one yields `vertexStarted`, its first `completed` yields `vertexCompleted`. Repeats of a
///   known interval yield nothing, and a vertex re-sent without times never undoes a start.
/// - An error ending in `context canceled` is a cancel, as BuildKit's printers read it; any other
///   error a failure; `cached` a cache hit; else done, its duration the union of its intervals.
/// - Within one line, events are ordered by time (a compacted stream can hold minutes of logs in
///   one line); at equal times starts (and instant runs, start then end) come before logs and
///   statuses, which come before completions.
/// - Warnings carry no time in BuildKit; they take the latest time seen so far.
///
/// It never fails: lines that are not JSON (docker's own messages between lines, a line cut short
/// by a kill, garbage) are counted in `skippedLines` and skipped. A line glued onto the tail of a
/// cut one is still recovered.
public struct RawJSONDecoder: Sendable {
    private struct VertexState: Sendable {
        var name: String
        var inputs: [Digest]
        var starts: Set<RFC3339Time> = []
        var ends: [RFC3339Time: RFC3339Time] = [:]
    }

    private var vertices: [Digest: VertexState] = [:]
    private var pending: [UInt8] = []
    private var lastTime: Date?

    /// Lines that could not be read as a `SolveStatus`.
    public private(set) var skippedLines = 0

    public init() {}

    /// Decodes a whole rawjson file or stream.
    public static func decodeAll(_ data: Data) -> (events: [BuildEvent], skippedLines: Int) {
        var decoder = RawJSONDecoder()
        let events = decoder.feed(data) + decoder.finish()
        return (events, decoder.skippedLines)
    }

    /// Feeds raw bytes as they arrive; returns the events of every line completed by them.
    public mutating func feed(_ data: Data) -> [BuildEvent] {
        pending.append(contentsOf: data)
        var events: [BuildEvent] = []
        var start = 0
        for i in pending.indices where pending[i] == UInt8(ascii: "\n") {
            events += decode(line: String(decoding: pending[start..<i], as: UTF8.self))
            start = i + 1
        }
        pending.removeFirst(start)
        return events
    }

    /// Decodes what is left after the last newline: a last line without one, or a cut one (skipped).
    public mutating func finish() -> [BuildEvent] {
        let rest = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        return decode(line: rest)
    }

    /// Decodes one line; blank lines are ignored, unreadable ones counted and skipped.
    public mutating func decode(line: some StringProtocol) -> [BuildEvent] {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return [] }
        if let status = Self.parse(text) {
            return decode(status)
        }
        // A killed writer leaves a cut line that the next line is glued onto: try the last
        // SolveStatus that starts inside it.
        let starts = ["{\"vertexes\":", "{\"statuses\":", "{\"logs\":", "{\"warnings\":"]
        let tail = starts.compactMap { text.range(of: $0, options: .backwards)?.lowerBound }
            .filter { $0 > text.startIndex }.max()
        skippedLines += 1
        if let tail, let status = Self.parse(text[tail...]) {
            return decode(status)
        }
        return []
    }

    /// The events one `SolveStatus` adds, given everything decoded before it.
    public mutating func decode(_ status: SolveStatus) -> [BuildEvent] {
        var planned: [PlannedVertex] = []
        var timed: [(event: BuildEvent, rank: Int)] = []
        for v in status.vertexes {
            guard let digest = Digest(parsing: v.digest) else { continue }
            let inputs = (v.inputs ?? []).compactMap { Digest(parsing: $0) }
            var state = vertices[digest] ?? VertexState(name: v.name ?? "", inputs: inputs)
            if vertices[digest] == nil || (v.name != nil && v.name != state.name)
                || (v.inputs != nil && inputs != state.inputs) {
                state.name = v.name ?? state.name
                if v.inputs != nil { state.inputs = inputs }
                planned.append(PlannedVertex(digest: digest, name: state.name, inputs: state.inputs,
                                             stage: Self.stage(of: state.name), startLine: nil, endLine: nil))
            }
            if let start = v.started ?? v.completed {
                if state.starts.insert(start).inserted {
                    timed.append((BuildEvent(time: start.date, .vertexStarted(digest)), 0))
                }
                if let end = v.completed, state.ends[start] == nil {
                    state.ends[start] = max(end, start)
                    let completion = Self.completion(of: v, digest: digest, intervals: state.ends)
                    // An instant run (a cache hit) ends next to its start, not after everything
                    // else that happened at that instant.
                    timed.append((BuildEvent(time: max(end, start).date, .vertexCompleted(completion)), end <= start ? 0 : 2))
                }
            }
            vertices[digest] = state
        }
        for s in status.statuses {
            guard let digest = s.vertex.flatMap({ Digest(parsing: $0) }) else { continue }
            let update = ProgressUpdate(digest: digest, id: s.id, current: s.current,
                                        total: (s.total ?? 0) == 0 ? nil : s.total, completed: s.completed != nil,
                                        name: s.name, started: s.started?.date)
            timed.append((BuildEvent(time: s.timestamp.date, .progress(update)), 1))
        }
        for l in status.logs {
            guard let digest = l.vertex.flatMap({ Digest(parsing: $0) }) else { continue }
            let chunk = LogChunk(digest: digest, stream: l.stream ?? 0, data: l.data)
            timed.append((BuildEvent(time: l.timestamp.date, .log(chunk)), 1))
        }
        let earliest = timed.map(\.event.time).min()
        let warningTime = lastTime ?? earliest ?? Date(timeIntervalSince1970: 0)
        for w in status.warnings {
            let warning = BuildWarning(message: String(decoding: w.short ?? Data(), as: UTF8.self),
                                       file: w.sourceInfo?.filename, line: w.range?.first?.start?.line,
                                       digest: w.vertex.flatMap { Digest(parsing: $0) })
            timed.append((BuildEvent(time: warningTime, .warning(warning)), 1))
        }
        let ordered = timed.enumerated().sorted { a, b in
            (a.element.event.time, a.element.rank, a.offset) < (b.element.event.time, b.element.rank, b.offset)
        }.map(\.element.event)
        var events: [BuildEvent] = []
        if !planned.isEmpty {
            events.append(BuildEvent(time: earliest ?? lastTime ?? Date(timeIntervalSince1970: 0), .plan(planned)))
        }
        events += ordered
        if let latest = events.map(\.time).max() { lastTime = max(lastTime ?? latest, latest) }
        return events
    }

    private static func parse(_ text: some StringProtocol) -> SolveStatus? {
        guard text.first == "{" else { return nil }
        return try? JSONDecoder().decode(SolveStatus.self, from: Data(text.utf8))
    }

    private static func completion(of v: SolveStatus.Vertex, digest: Digest,
                                   intervals: [RFC3339Time: RFC3339Time]) -> VertexCompletion {
        let error = v.error.flatMap { $0.isEmpty ? nil : $0 }
        if let error {
            let status: VertexCompletion.Status = error.hasSuffix("context canceled") ? .canceled : .failed
            return VertexCompletion(digest: digest, status: status, duration: runTime(intervals), error: error)
        }
        if v.cached == true {
            return VertexCompletion(digest: digest, status: .cached, duration: 0)
        }
        return VertexCompletion(digest: digest, status: .done, duration: runTime(intervals))
    }

    /// Seconds covered by the union of the finished intervals (BuildKit's `mergeIntervals`).
    static func runTime(_ intervals: [RFC3339Time: RFC3339Time]) -> Double {
        var total = 0.0
        var open: (start: RFC3339Time, end: RFC3339Time)?
        func span(_ a: RFC3339Time, _ b: RFC3339Time) -> Double {
            Double(b.seconds - a.seconds) + Double(b.nanoseconds - a.nanoseconds) / 1e9
        }
        for (start, end) in intervals.sorted(by: { $0.key < $1.key }) {
            if let current = open, start <= current.end {
                open = (current.start, max(current.end, end))
            } else {
                if let current = open { total += span(current.start, current.end) }
                open = (start, end)
            }
        }
        if let current = open { total += span(current.start, current.end) }
        return total
    }

    /// The stage in a Dockerfile vertex name: `[build 2/5] RUN …` → `build`; nil for `[2/5] …`,
    /// `[internal] …` and names without a bracket.
    static func stage(of name: String) -> String? {
        guard name.hasPrefix("["), let close = name.firstIndex(of: "]") else { return nil }
        var words = name[name.index(after: name.startIndex)..<close].split(separator: " ")
        guard let last = words.last, last.contains("/"),
              last.split(separator: "/").allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return nil }
        words.removeLast()
        return words.isEmpty ? nil : words.joined(separator: " ")
    }
}
