import Foundation

/// BuildKit's `--progress=plain` output, as a state machine: feed it events, write what it returns.
///
/// It keeps no clock and does no I/O (times come from the events), so the same events always give
/// the same text: a live build, a replayed record and a unit test print alike.
///
/// The layout follows BuildKit's progressui text printer:
/// - Vertices are numbered `#1`, `#2`, … in the order they first print (BuildKit's numbering).
/// - Output comes in blocks, one vertex at a time, separated by a blank line. A block opens with
///   `#N name`; when another vertex needs to print while one is still open, the open block is
///   closed with `#N ...` and the other one opens (its header is printed again when it resumes).
/// - Log lines are `#N <seconds since the vertex started> <line>`, three decimals under 10 s, two
///   under 100 s, one beyond (as BuildKit). A line is printed only once its newline arrives or its
///   vertex ends, and keeps the time of its first byte; stdout and stderr are held apart.
/// - Progress items are `#N <id> <current> / <total> <elapsed> done`, throttled like BuildKit's
///   (an open item prints again after 5 % progress or 5 s).
/// - Endings: `#N DONE 1.2s`, `#N CACHED`, `#N ERROR: message`, `#N CANCELED` (also for an error
///   ending in `context canceled`, as BuildKit decides).
/// - Warnings on a vertex are `#N WARN: message` in its block; a build-wide one is a block of its
///   own, `WARNING: message (file:line)`. Output for a vertex that already ended (a late warning)
///   gets a block of its own, closed without `#N ...`.
/// - At the end of a failed build, each failed vertex's last log lines are repeated between
///   `------` rulers under ` > name:`, as BuildKit does before its final error.
public struct PlainProgressPrinter: Sendable {
    /// How many trailing log lines of a failed vertex are repeated at the end (BuildKit: 10).
    public static let errorLogLines = 10

    private struct StreamKey: Hashable, Sendable {
        var digest: Digest
        var stream: Int
    }

    private struct HeldLine: Sendable {
        var prefix: String
        var bytes: [UInt8]
    }

    private struct StatusKey: Hashable, Sendable {
        var digest: Digest
        var id: String
    }

    private var names: [Digest: String] = [:]
    private var indices: [Digest: Int] = [:]
    private var intervalStart: [Digest: Date] = [:]
    private var held: [StreamKey: HeldLine] = [:]
    private var lastStatus: [StatusKey: (current: Int64, time: Date)] = [:]
    private var statusStarted: [StatusKey: Date] = [:]
    private var recentLines: [Digest: [String]] = [:]
    private var failures: [Digest] = []
    private var ended: Set<Digest> = []
    private var current: Digest?
    private var printedAnything = false
    private var out = ""

    public init() {}

    /// Renders a whole event sequence (a build record, a test script) in one go.
    public static func render(_ events: [BuildEvent]) -> String {
        var printer = PlainProgressPrinter()
        var text = ""
        for event in events { text += printer.consume(event) }
        return text + printer.finish()
    }

    /// The text this event adds (often empty: a plan, a partial log line, a throttled status).
    public mutating func consume(_ event: BuildEvent) -> String {
        out = ""
        switch event.kind {
        case .buildStarted:
            break
        case .plan(let vertices):
            for v in vertices { names[v.digest] = v.name }
        case .vertexStarted(let digest):
            intervalStart[digest] = event.time
            ended.remove(digest)
            enter(digest)
        case .log(let chunk):
            log(chunk, at: event.time)
        case .progress(let update):
            progress(update, at: event.time)
        case .warning(let warning):
            warn(warning)
        case .vertexCompleted(let completion):
            complete(completion)
        case .buildFinished:
            flushAllHeld()
            printErrorLogs()
        }
        return out
    }

    /// Prints what is still held back (partial lines of vertices that never ended). Call once at
    /// the end of the stream; the printer is spent afterwards.
    public mutating func finish() -> String {
        out = ""
        flushAllHeld()
        return out
    }

    // MARK: - Blocks

    private mutating func index(of digest: Digest) -> Int {
        if let i = indices[digest] { return i }
        let i = indices.count + 1
        indices[digest] = i
        return i
    }

    /// Makes `digest` the open block, closing another open one first.
    private mutating func enter(_ digest: Digest) {
        if current == digest { return }
        leaveBlock()
        out += printedAnything ? "\n" : ""
        printedAnything = true
        out += "#\(index(of: digest)) \(names[digest] ?? digest.value)\n"
        current = digest
    }

    /// Closes an open, unfinished block with BuildKit's `#N ...`.
    private mutating func leaveBlock() {
        if let open = current {
            out += "#\(index(of: open)) ...\n"
            current = nil
        }
    }

    /// After output for a vertex that has already ended (a late warning or log line), its block is
    /// closed at once: it has nothing left to continue, so it must not end in `#N ...`.
    private mutating func settle(_ digest: Digest) {
        if current == digest, ended.contains(digest) { current = nil }
    }

    // MARK: - Logs

    private mutating func log(_ chunk: LogChunk, at time: Date) {
        let key = StreamKey(digest: chunk.digest, stream: chunk.stream)
        var start = 0
        let bytes = [UInt8](chunk.data)
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            var line = held.removeValue(forKey: key) ?? HeldLine(prefix: seconds(since: chunk.digest, at: time), bytes: [])
            line.bytes += bytes[start..<i]
            emit(line, for: chunk.digest)
            start = i + 1
        }
        guard start < bytes.count else { return }
        if held[key] == nil {
            held[key] = HeldLine(prefix: seconds(since: chunk.digest, at: time), bytes: [])
        }
        held[key]?.bytes += bytes[start...]
    }

    private mutating func emit(_ line: HeldLine, for digest: Digest) {
        enter(digest)
        let text = line.prefix + " " + String(decoding: line.bytes, as: UTF8.self)
        out += "#\(index(of: digest)) \(text)\n"
        var recent = recentLines[digest] ?? []
        recent.append(text)
        if recent.count > Self.errorLogLines { recent.removeFirst(recent.count - Self.errorLogLines) }
        recentLines[digest] = recent
        settle(digest)
    }

    private mutating func flushHeld(_ digest: Digest) {
        let keys = held.keys.filter { $0.digest == digest }.sorted { $0.stream < $1.stream }
        for key in keys {
            if let line = held.removeValue(forKey: key) { emit(line, for: digest) }
        }
    }

    private mutating func flushAllHeld() {
        let digests = Set(held.keys.map(\.digest)).sorted { index(of: $0) < index(of: $1) }
        for digest in digests { flushHeld(digest) }
    }

    /// BuildKit's log time: seconds since the vertex's latest start, precision shrinking as it grows.
    private func seconds(since digest: Digest, at time: Date) -> String {
        let s = intervalStart[digest].map { time.timeIntervalSince($0) } ?? 0
        let precision = s < 10 ? 3 : (s < 100 ? 2 : 1)
        return String(format: "%.\(precision)f", s)
    }

    // MARK: - Progress, warnings, endings

    private mutating func progress(_ p: ProgressUpdate, at time: Date) {
        let key = StatusKey(digest: p.digest, id: p.id)
        if statusStarted[key] == nil { statusStarted[key] = p.started ?? time }
        if !p.completed, let last = lastStatus[key] {
            let total = p.total ?? 0
            let delta = total > 0 ? Double(p.current - last.current) / Double(total) : 0
            if delta < 0.05 && time.timeIntervalSince(last.time) < 5 { return }
        }
        lastStatus[key] = (p.current, time)
        var line = "#\(index(of: p.digest)) \(p.id)"
        if let total = p.total, total != 0 {
            line += " \(Self.bytes(p.current)) / \(Self.bytes(total))"
        } else if p.current != 0 {
            line += " \(Self.bytes(p.current))"
        }
        if let started = p.started ?? statusStarted[key] {
            let elapsed = time.timeIntervalSince(started)
            if elapsed > 0.01 { line += String(format: " %.1fs", elapsed) }
        }
        if p.completed { line += " done" }
        enter(p.digest)
        out += line + "\n"
        settle(p.digest)
    }

    private mutating func warn(_ w: BuildWarning) {
        if let digest = w.digest {
            enter(digest)
            out += "#\(index(of: digest)) WARN: \(w.message)\n"
            settle(digest)
            return
        }
        leaveBlock()
        out += printedAnything ? "\n" : ""
        printedAnything = true
        var location = ""
        if let file = w.file {
            location = " (\(file)" + (w.line.map { ":\($0)" } ?? "") + ")"
        } else if let line = w.line {
            location = " (line \(line))"
        }
        out += "WARNING: \(w.message)\(location)\n"
    }

    private mutating func complete(_ c: VertexCompletion) {
        enter(c.digest)
        flushHeld(c.digest)
        let n = index(of: c.digest)
        let canceledError = c.error?.hasSuffix("context canceled") ?? false
        switch c.status {
        case .canceled:
            out += "#\(n) CANCELED\n"
        case .failed where canceledError:
            out += "#\(n) CANCELED\n"
        case .failed:
            out += "#\(n) ERROR: \(c.error ?? "failed")\n"
            if !failures.contains(c.digest) { failures.append(c.digest) }
        case .cached:
            out += "#\(n) CACHED\n"
        case .done:
            out += "#\(n) DONE \(String(format: "%.1f", c.duration))s\n"
        }
        ended.insert(c.digest)
        current = nil
    }

    private mutating func printErrorLogs() {
        for digest in failures {
            out += "------\n > \(names[digest] ?? digest.value):\n"
            for line in recentLines[digest] ?? [] { out += line + "\n" }
            out += "------\n"
        }
        failures.removeAll()
    }

    /// Sizes as BuildKit prints them (tonistiigi/units `%.2f`): whole bytes under 1000, else
    /// decimal units with two decimals (`84B`, `16.61kB`, `3.40MB`).
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var unit = 0
        var base: Double = 1
        while unit + 1 < units.count, Double(count.magnitude) >= base * 1000 {
            base *= 1000
            unit += 1
        }
        if unit == 0 { return "\(count)B" }
        return String(format: "%.2f", Double(count) / base) + units[unit]
    }
}
