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
/// Lines are read with `JSONScanner` into `SolveStatus` (what `Codable` would accept, several
/// times faster), and vertex digests are interned, so a replay of a long log keeps up with disk.
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
    private var digests = DigestInterner()
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
        var events: [BuildEvent] = []
        data.withUnsafeBytes { raw in feed(raw.bindMemory(to: UInt8.self), into: &events) }
        return events
    }

    /// `feed(_:)` over bytes, appending to `events`: lines are decoded in place, and only a line
    /// still open at the end of `bytes` is copied (kept until its newline arrives).
    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into events: inout [BuildEvent]) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var start = 0
        while start < bytes.count {
            guard let newline = memchr(base + start, 0x0A, bytes.count - start) else {
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
                return
            }
            let end = UnsafeRawPointer(newline).assumingMemoryBound(to: UInt8.self) - base
            let piece = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if pending.isEmpty {
                decode(lineBytes: piece, into: &events)
            } else {
                var line = pending
                pending = []
                line.append(contentsOf: piece)
                line.withUnsafeBufferPointer { decode(lineBytes: $0, into: &events) }
            }
            start = end + 1
        }
    }

    /// Decodes what is left after the last newline: a last line without one, or a cut one (skipped).
    public mutating func finish() -> [BuildEvent] {
        let rest = pending
        pending = []
        var events: [BuildEvent] = []
        rest.withUnsafeBufferPointer { decode(lineBytes: $0, into: &events) }
        return events
    }

    /// Decodes one line; blank lines are ignored, unreadable ones counted and skipped.
    public mutating func decode(line: some StringProtocol) -> [BuildEvent] {
        var events: [BuildEvent] = []
        JSONScanner.scan(line.utf8) { scanner in decode(lineBytes: scanner.bytes, into: &events) }
        return events
    }

    /// The first bytes of a line that holds a `SolveStatus`, as BuildKit writes it.
    private static let statusStarts = ["{\"vertexes\":", "{\"statuses\":", "{\"logs\":", "{\"warnings\":"].map { Array($0.utf8) }

    mutating func decode(lineBytes line: UnsafeBufferPointer<UInt8>, into events: inout [BuildEvent]) {
        let text = BuildRecord.trimmed(line)
        guard !text.isEmpty else { return }
        if text.first == UInt8(ascii: "{"), let status = try? SolveStatus(jsonLine: text) {
            decode(status, into: &events)
            return
        }
        skippedLines += 1
        // A killed writer leaves a cut line that the next line is glued onto: try the last
        // SolveStatus that starts inside it.
        var i = text.count - 1
        while i > 0 {
            if text[i] == UInt8(ascii: "{") {
                let rest = UnsafeBufferPointer(rebasing: text[i...])
                if Self.statusStarts.contains(where: { rest.starts(with: $0) }) {
                    if let status = try? SolveStatus(jsonLine: rest) { decode(status, into: &events) }
                    return
                }
            }
            i -= 1
        }
    }

    /// The events one `SolveStatus` adds, given everything decoded before it.
    public mutating func decode(_ status: SolveStatus) -> [BuildEvent] {
        var events: [BuildEvent] = []
        decode(status, into: &events)
        return events
    }

    mutating func decode(_ status: SolveStatus, into events: inout [BuildEvent]) {
        // The common line: one log chunk and nothing else.
        if status.logs.count == 1, status.vertexes.isEmpty, status.statuses.isEmpty, status.warnings.isEmpty {
            let l = status.logs[0]
            guard let digest = l.vertex.flatMap({ digests.digest($0) }) else { return }
            let event = BuildEvent(time: l.timestamp.date, .log(LogChunk(digest: digest, stream: l.stream ?? 0, data: l.data)))
            lastTime = max(lastTime ?? event.time, event.time)
            events.append(event)
            return
        }
        var planned: [PlannedVertex] = []
        var timed: [(event: BuildEvent, rank: Int)] = []
        for v in status.vertexes {
            guard let digest = digests.digest(v.digest) else { continue }
            let inputs = (v.inputs ?? []).compactMap { digests.digest($0) }
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
            guard let digest = s.vertex.flatMap({ digests.digest($0) }) else { continue }
            let update = ProgressUpdate(digest: digest, id: s.id, current: s.current,
                                        total: (s.total ?? 0) == 0 ? nil : s.total, completed: s.completed != nil,
                                        name: s.name, started: s.started?.date)
            timed.append((BuildEvent(time: s.timestamp.date, .progress(update)), 1))
        }
        for l in status.logs {
            guard let digest = l.vertex.flatMap({ digests.digest($0) }) else { continue }
            let chunk = LogChunk(digest: digest, stream: l.stream ?? 0, data: l.data)
            timed.append((BuildEvent(time: l.timestamp.date, .log(chunk)), 1))
        }
        let earliest = timed.lazy.map(\.event.time).min()
        let warningTime = lastTime ?? earliest ?? Date(timeIntervalSince1970: 0)
        for w in status.warnings {
            var warning = BuildWarning(message: String(decoding: w.short ?? Data(), as: UTF8.self),
                                       file: w.sourceInfo?.filename, line: w.range?.first?.start?.line,
                                       digest: w.vertex.flatMap { digests.digest($0) })
            warning.adoptBuildCheck(level: w.level, detail: w.detail, url: w.url,
                                    lastLine: w.range?.compactMap { $0.end?.line ?? $0.start?.line }.max())
            timed.append((BuildEvent(time: warningTime, .warning(warning)), 1))
        }
        let first = events.count
        if !planned.isEmpty {
            events.append(BuildEvent(time: earliest ?? lastTime ?? Date(timeIntervalSince1970: 0), .plan(planned)))
        }
        if timed.count > 1 {
            events += timed.enumerated().sorted { a, b in
                (a.element.event.time, a.element.rank, a.offset) < (b.element.event.time, b.element.rank, b.offset)
            }.lazy.map(\.element.event)
        } else {
            events += timed.lazy.map(\.event)
        }
        if let latest = events[first...].lazy.map(\.time).max() { lastTime = max(lastTime ?? latest, latest) }
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
