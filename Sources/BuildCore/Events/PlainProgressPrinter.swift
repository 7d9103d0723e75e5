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
///   gets a block of its own, closed without `#N ...`. A build check's message already ends in
///   `(line N)`, so it gets no location; at the end of the build the checks are listed again as
///   buildx does: ` N warnings found (use docker --debug to expand):` then ` - Rule: detail (line N)`.
/// - At the end of a failed build, each failed vertex's last log lines are repeated between
///   `------` rulers under ` > name:`, as BuildKit does before its final error.
///
/// Cost: each event does one lookup of its vertex (none when it names the same vertex as the event
/// before, the usual case in a log flood) and appends bytes to one buffer; numbers are formatted by
/// hand (`String(format:)` only settles the rare near-ties, so the digits are always printf's).
public struct PlainProgressPrinter: Sendable {
    /// How many trailing log lines of a failed vertex are repeated at the end (BuildKit: 10).
    public static let errorLogLines = 10

    /// A line waiting for its newline: when its first byte arrived (seconds since its vertex
    /// started, fixed then) and its bytes so far.
    private struct HeldLine: Sendable {
        var stream: Int
        var seconds: Double
        /// Order of creation, which orders the final flush of vertices never numbered.
        var serial: Int
        var bytes: [UInt8]
    }

    /// Everything known about one vertex; vertices are slots in `vertices`.
    private struct VertexState: Sendable {
        var digest: Digest
        var name: String?
        /// `#N`, once the vertex has a number.
        var label: [UInt8]?
        var number = 0
        var intervalStart: Date?
        var held: [HeldLine] = []
        /// The last `errorLogLines` printed lines (without `#N `), oldest first from `recentStart`.
        var recent: [[UInt8]] = []
        var recentStart = 0
        var ended = false
        var failed = false

        init(digest: Digest) {
            self.digest = digest
        }
    }

    private struct StatusKey: Hashable, Sendable {
        var slot: Int
        var id: String
    }

    private var slots: [Digest: Int] = [:]
    private var vertices: [VertexState] = []
    private var lastSlot: (digest: Digest, slot: Int)?
    private var numbered = 0
    private var heldSerial = 0
    private var lastStatus: [StatusKey: (current: Int64, time: Date)] = [:]
    private var statusStarted: [StatusKey: Date] = [:]
    private var failures: [Int] = []
    private var current: Int?
    private var printedAnything = false
    /// Build checks seen, for the summary at the end.
    private var checkMessages: [String] = []
    /// The text of the event being consumed, as UTF-8 (always valid: see `appendText`).
    private var out: [UInt8] = []

    public init() {}

    /// Renders a whole event sequence (a build record, a test script) in one go.
    public static func render(_ events: [BuildEvent]) -> String {
        var printer = PlainProgressPrinter()
        var text: [UInt8] = []
        for event in events { printer.consume(event, into: &text) }
        printer.finish(into: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// The text this event adds (often empty: a plan, a partial log line, a throttled status).
    public mutating func consume(_ event: BuildEvent) -> String {
        out.removeAll(keepingCapacity: true)
        handle(event)
        return String(decoding: out, as: UTF8.self)
    }

    /// `consume(_:)` appending the text's UTF-8 to `output`: for writers that batch their output
    /// (a replay at full speed), it saves a `String` per event.
    public mutating func consume(_ event: BuildEvent, into output: inout [UInt8]) {
        swap(&out, &output)
        handle(event)
        swap(&out, &output)
    }

    /// Prints what is still held back (partial lines of vertices that never ended). Call once at
    /// the end of the stream; the printer is spent afterwards.
    public mutating func finish() -> String {
        out.removeAll(keepingCapacity: true)
        flushAllHeld()
        return String(decoding: out, as: UTF8.self)
    }

    /// `finish()` appending to `output`.
    public mutating func finish(into output: inout [UInt8]) {
        swap(&out, &output)
        flushAllHeld()
        swap(&out, &output)
    }

    private mutating func handle(_ event: BuildEvent) {
        switch event.kind {
        case .buildStarted, .cacheMiss:
            break
        case .plan(let planned):
            for v in planned { vertices[slot(v.digest)].name = v.name }
        case .vertexStarted(let digest):
            let s = slot(digest)
            vertices[s].intervalStart = event.time
            vertices[s].ended = false
            enter(s)
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
            printCheckSummary()
        }
    }

    // MARK: - Vertices and blocks

    private mutating func slot(_ digest: Digest) -> Int {
        if let last = lastSlot, last.digest == digest { return last.slot }
        let s: Int
        if let known = slots[digest] {
            s = known
        } else {
            s = vertices.count
            vertices.append(VertexState(digest: digest))
            slots[digest] = s
        }
        lastSlot = (digest, s)
        return s
    }

    /// Appends `#N`, numbering the vertex on first use (BuildKit numbers in order of first print).
    private mutating func appendLabel(_ s: Int) {
        if let label = vertices[s].label {
            out.append(contentsOf: label)
            return
        }
        numbered += 1
        let label = Array("#\(numbered)".utf8)
        vertices[s].label = label
        vertices[s].number = numbered
        out.append(contentsOf: label)
    }

    /// `#N` as text (numbering the vertex on first use).
    private mutating func label(_ s: Int) -> String {
        let mark = out.count
        appendLabel(s)
        let text = String(decoding: out[mark...], as: UTF8.self)
        out.removeSubrange(mark...)
        return text
    }

    private mutating func append(_ text: String) {
        out.append(contentsOf: text.utf8)
    }

    /// Appends a log line's bytes: as they are when they are ASCII, else as `String(decoding:)`
    /// repairs them (invalid UTF-8 becomes U+FFFD), so the output is always valid UTF-8.
    private mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>) {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        if high < 0x80 {
            out.append(contentsOf: bytes)
        } else {
            append(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Makes `s` the open block, closing another open one first.
    private mutating func enter(_ s: Int) {
        if current == s { return }
        leaveBlock()
        if printedAnything { out.append(0x0A) }
        printedAnything = true
        appendLabel(s)
        out.append(0x20)
        append(vertices[s].name ?? vertices[s].digest.value)
        out.append(0x0A)
        current = s
    }

    /// Closes an open, unfinished block with BuildKit's `#N ...`.
    private mutating func leaveBlock() {
        if let open = current {
            appendLabel(open)
            append(" ...\n")
            current = nil
        }
    }

    /// After output for a vertex that has already ended (a late warning or log line), its block is
    /// closed at once: it has nothing left to continue, so it must not end in `#N ...`.
    private mutating func settle(_ s: Int) {
        if current == s, vertices[s].ended { current = nil }
    }

    // MARK: - Logs

    private mutating func log(_ chunk: LogChunk, at time: Date) {
        let s = slot(chunk.digest)
        chunk.data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count {
                guard let newline = bytes[start...].firstIndex(of: 0x0A) else { break }
                let piece = UnsafeBufferPointer(rebasing: bytes[start..<newline])
                if let h = vertices[s].held.firstIndex(where: { $0.stream == chunk.stream }) {
                    var line = vertices[s].held.remove(at: h)
                    line.bytes.append(contentsOf: piece)
                    line.bytes.withUnsafeBufferPointer { emit($0, seconds: line.seconds, for: s) }
                } else {
                    emit(piece, seconds: seconds(since: s, at: time), for: s)
                }
                start = newline + 1
            }
            guard start < bytes.count else { return }
            let rest = UnsafeBufferPointer(rebasing: bytes[start...])
            if let h = vertices[s].held.firstIndex(where: { $0.stream == chunk.stream }) {
                vertices[s].held[h].bytes.append(contentsOf: rest)
            } else {
                heldSerial += 1
                vertices[s].held.append(HeldLine(stream: chunk.stream, seconds: seconds(since: s, at: time),
                                                 serial: heldSerial, bytes: Array(rest)))
            }
        }
    }

    private mutating func emit(_ bytes: UnsafeBufferPointer<UInt8>, seconds: Double, for s: Int) {
        enter(s)
        appendLabel(s)
        out.append(0x20)
        let textStart = out.count
        Self.appendFixed(seconds, digits: seconds < 10 ? 3 : (seconds < 100 ? 2 : 1), to: &out)
        out.append(0x20)
        appendText(bytes)
        let textEnd = out.count
        if vertices[s].recent.count < Self.errorLogLines {
            vertices[s].recent.append(Array(out[textStart..<textEnd]))
        } else {
            let oldest = vertices[s].recentStart
            vertices[s].recent[oldest].removeAll(keepingCapacity: true)
            vertices[s].recent[oldest].append(contentsOf: out[textStart..<textEnd])
            vertices[s].recentStart = (oldest + 1) % Self.errorLogLines
        }
        out.append(0x0A)
        settle(s)
    }

    private mutating func flushHeld(_ s: Int) {
        guard !vertices[s].held.isEmpty else { return }
        let lines = vertices[s].held.sorted { $0.stream < $1.stream }
        vertices[s].held = []
        for line in lines {
            line.bytes.withUnsafeBufferPointer { emit($0, seconds: line.seconds, for: s) }
        }
    }

    private mutating func flushAllHeld() {
        let waiting = vertices.indices.filter { !vertices[$0].held.isEmpty }
        // Numbered vertices in number order, then the others in the order their lines began.
        let ordered = waiting.sorted { a, b in
            let x = vertices[a], y = vertices[b]
            switch (x.label != nil, y.label != nil) {
            case (true, true): return x.number < y.number
            case (true, false): return true
            case (false, true): return false
            case (false, false): return x.held.map(\.serial).min() ?? 0 < y.held.map(\.serial).min() ?? 0
            }
        }
        for s in ordered { flushHeld(s) }
    }

    /// Seconds since the vertex's latest start (0 before it started).
    private func seconds(since s: Int, at time: Date) -> Double {
        vertices[s].intervalStart.map { time.timeIntervalSince($0) } ?? 0
    }

    // MARK: - Progress, warnings, endings

    private mutating func progress(_ p: ProgressUpdate, at time: Date) {
        let s = slot(p.digest)
        let key = StatusKey(slot: s, id: p.id)
        if statusStarted[key] == nil { statusStarted[key] = p.started ?? time }
        if !p.completed, let last = lastStatus[key] {
            let total = p.total ?? 0
            let delta = total > 0 ? Double(p.current - last.current) / Double(total) : 0
            if delta < 0.05 && time.timeIntervalSince(last.time) < 5 { return }
        }
        lastStatus[key] = (p.current, time)
        var line = label(s) + " " + p.id
        if let total = p.total, total != 0 {
            line += " " + Self.bytes(p.current) + " / " + Self.bytes(total)
        } else if p.current != 0 {
            line += " " + Self.bytes(p.current)
        }
        if let started = p.started ?? statusStarted[key] {
            let elapsed = time.timeIntervalSince(started)
            if elapsed > 0.01 { line += " " + Self.fixed(elapsed, digits: 1) + "s" }
        }
        if p.completed { line += " done" }
        enter(s)
        append(line)
        out.append(0x0A)
        settle(s)
    }

    private mutating func warn(_ w: BuildWarning) {
        if let digest = w.digest {
            let s = slot(digest)
            enter(s)
            appendLabel(s)
            append(" WARN: " + w.message + "\n")
            settle(s)
            return
        }
        leaveBlock()
        if printedAnything { out.append(0x0A) }
        printedAnything = true
        if w.rule != nil {
            checkMessages.append(w.message)
            append("WARNING: \(w.message)\n")
            return
        }
        var location = ""
        if let file = w.file {
            location = " (\(file)" + (w.line.map { ":\($0)" } ?? "") + ")"
        } else if let line = w.line {
            location = " (line \(line))"
        }
        append("WARNING: \(w.message)\(location)\n")
    }

    private mutating func complete(_ c: VertexCompletion) {
        let s = slot(c.digest)
        enter(s)
        flushHeld(s)
        appendLabel(s)
        let canceledError = c.error?.hasSuffix("context canceled") ?? false
        switch c.status {
        case .canceled:
            append(" CANCELED\n")
        case .failed where canceledError:
            append(" CANCELED\n")
        case .failed:
            append(" ERROR: " + (c.error ?? "failed") + "\n")
            if !vertices[s].failed {
                vertices[s].failed = true
                failures.append(s)
            }
        case .cached:
            append(" CACHED\n")
        case .done:
            append(" DONE ")
            Self.appendFixed(c.duration, digits: 1, to: &out)
            append("s\n")
        }
        vertices[s].ended = true
        current = nil
    }

    /// buildx's `printWarnings`, without its colour.
    private mutating func printCheckSummary() {
        guard !checkMessages.isEmpty else { return }
        let count = checkMessages.count == 1 ? "1 warning found" : "\(checkMessages.count) warnings found"
        append("\n \(count) (use docker --debug to expand):\n")
        for m in checkMessages { append(" - \(m)\n") }
        checkMessages.removeAll()
    }

    private mutating func printErrorLogs() {
        for s in failures {
            append("------\n > " + (vertices[s].name ?? vertices[s].digest.value) + ":\n")
            let recent = vertices[s].recent
            let start = vertices[s].recentStart
            for i in 0..<recent.count {
                out.append(contentsOf: recent[(start + i) % recent.count])
                out.append(0x0A)
            }
            append("------\n")
            vertices[s].failed = false
        }
        failures.removeAll()
    }
}
