import BuildCore
import Foundation

/// Reads a step's older log lines back from its build record on disk while the build goes on,
/// for the log pane (see `LogReadBack`). Reads run on a queue of their own, never on the
/// terminal's thread.
///
/// The record is indexed as it grows: for each step, a checkpoint (a record offset and the log's
/// state there, holding no lines) every few thousand lines. A read starts from the checkpoint
/// just before the lines it wants, so scrolling up a log of millions of lines reads a few
/// hundred kilobytes, not the file from its start; and each byte is indexed once.
final class RecordLogArchive: @unchecked Sendable {
    private struct StepIndex {
        var log = LogReadBack.emptyLog()
        /// The first at the step's first event: reading its start never reads the record's.
        var checkpoints: [(offset: Int, log: StepLog)]
        var sinceCheckpoint = 0

        init(at offset: Int) {
            checkpoints = [(offset, LogReadBack.emptyLog())]
        }
    }

    /// Lines between two checkpoints of a step.
    static let checkpointLines = 2_000
    /// The record kinds that feed a step's log (see `LogReadBack.feed`).
    private static let logKinds: Set<String> = ["log", "warning", "vertexCompleted", "buildFinished"]

    let url: URL
    private let queue = DispatchQueue(label: "swbuild.log-read-back")
    /// Bytes of the record indexed so far (always at a line's start).
    private var indexed = 0
    private var steps: [Digest: StepIndex] = [:]

    init(url: URL) {
        self.url = url
    }

    /// Reads lines `range` of step `digest` on the archive's queue and hands them to `deliver`
    /// (on that queue).
    func read(_ digest: Digest, _ range: Range<Int>, deliver: @escaping @Sendable (ReadBackLines) -> Void) {
        queue.async {
            deliver(self.lines(of: digest, in: range))
        }
    }

    /// Searches step `digest`'s lines before `below` on the archive's queue and hands the matches
    /// to `deliver` (on that queue).
    func search(_ digest: Digest, query: String, below: Int, deliver: @escaping @Sendable (OlderMatches) -> Void) {
        queue.async {
            deliver(self.matches(of: digest, query: query, below: below))
        }
    }

    /// The numbers of step `digest`'s lines before `below` that `query` matches.
    func matches(of digest: Digest, query: String, below: Int) -> OlderMatches {
        let none = OlderMatches(digest: digest, query: query, below: below, numbers: [])
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else { return none }
        return data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            index(bytes)
            guard let start = steps[digest]?.checkpoints.first else { return none }
            let needle = Array(digest.value.utf8)
            return LogReadBack.matches(of: digest, query: query, below: below, startingWith: start.log) { body in
                Self.forEachEvent(in: bytes, from: start.offset, to: indexed, mentioning: needle) { _, event in body(event) }
            }
        }
    }

    /// Lines `range` of step `digest`: fewer when the record does not hold them (yet).
    func lines(of digest: Digest, in range: Range<Int>) -> ReadBackLines {
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else {
            return ReadBackLines(digest: digest, first: range.lowerBound, lines: [], unavailable: true)
        }
        return data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            index(bytes)
            // Not in the record yet (it lags the screen): nothing to read, ask again later.
            guard let start = steps[digest]?.checkpoints.last(where: { $0.log.endNumber <= range.lowerBound }) else {
                return ReadBackLines(digest: digest, first: range.lowerBound, lines: [])
            }
            let needle = Array(digest.value.utf8)
            return LogReadBack.lines(of: digest, in: range, startingWith: start.log) { body in
                Self.forEachEvent(in: bytes, from: start.offset, to: indexed, mentioning: needle) { _, event in body(event) }
            }
        }
    }

    /// Indexes the record's whole lines past what was indexed before.
    private func index(_ bytes: UnsafeBufferPointer<UInt8>) {
        indexed = Self.forEachEvent(in: bytes, from: indexed, to: bytes.count) { offset, event in
            if case .buildFinished = event.kind {
                for digest in steps.keys { account(event, for: digest, at: offset) }
            } else if let digest = Self.logDigest(event) {
                if steps[digest] == nil { steps[digest] = StepIndex(at: offset) }
                account(event, for: digest, at: offset)
            }
            return true
        }
    }

    private func account(_ event: BuildEvent, for digest: Digest, at offset: Int) {
        guard var step = steps[digest] else { return }
        if step.sinceCheckpoint >= Self.checkpointLines {
            step.checkpoints.append((offset, step.log))
            step.sinceCheckpoint = 0
        }
        let before = step.log.endNumber
        LogReadBack.feed(event, for: digest, into: &step.log)
        step.sinceCheckpoint += step.log.endNumber - before
        step.log.dropOldest(step.log.count)
        steps[digest] = step
    }

    /// Whether `needle` occurs in `line`: `memchr` for its first byte, then a compare.
    private static func contains(_ line: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let base = line.baseAddress, let first = needle.first, line.count >= needle.count else { return false }
        return needle.withUnsafeBytes { n in
            var p = UnsafeRawPointer(base)
            let last = UnsafeRawPointer(base) + (line.count - needle.count)
            while p <= last, let hit = memchr(p, Int32(first), last - p + 1) {
                if let nb = n.baseAddress, memcmp(hit, nb, needle.count) == 0 { return true }
                p = UnsafeRawPointer(hit) + 1
            }
            return false
        }
    }

    private static func logDigest(_ event: BuildEvent) -> Digest? {
        switch event.kind {
        case .log(let chunk): return chunk.digest
        case .warning(let warning): return warning.digest
        case .vertexCompleted(let completion): return completion.digest
        default: return nil
        }
    }

    /// Calls `body` with each log-related event of the whole lines in `bytes[from..<to]` and the
    /// offset of its line, until it returns false; returns the offset after the last whole line.
    /// With `mentioning`, only the build's end and lines holding those bytes (a step's digest)
    /// are decoded: other steps' output is skipped unread.
    @discardableResult
    private static func forEachEvent(in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int, mentioning needle: [UInt8]? = nil,
                                     _ body: (Int, BuildEvent) -> Bool) -> Int {
        var start = from
        while start < to {
            guard let newline = bytes[start..<to].firstIndex(of: UInt8(ascii: "\n")) else { break }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<newline])
            let lineStart = start
            start = newline + 1
            // Lines of other kinds are skipped by their header, undecoded.
            if let header = BuildRecord.lineHeader(line) {
                if !logKinds.contains(header.type) { continue }
                if let needle, header.type != "buildFinished", !contains(line, needle) { continue }
            }
            guard let event = BuildRecord.decodeLine(line) else { continue }
            if !body(lineStart, event) { break }
        }
        return start
    }
}
