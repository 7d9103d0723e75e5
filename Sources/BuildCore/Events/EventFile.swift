import Foundation

/// A file of build events to replay: a swbuild build record (either line format, see
/// `BuildRecord`) or BuildKit `--progress=rawjson` output, told apart by its content, never by
/// its name.
///
/// Invariants:
/// - The format is decided by the first lines of the file (at most `headLines` lines within the
///   first `headBytes` bytes): the first line that reads as a record event or as a SolveStatus
///   decides. Lines before it that are neither (docker's own messages, a damaged line) are
///   skipped like any unreadable line. A file whose start decides nothing fails at once, without
///   being read further: a 50 MB file of random bytes is rejected as fast as a 1 KB one.
/// - Loading never fails on damage after the start: unreadable lines are skipped and reported in
///   `warnings`, and a cut last line (a build killed mid-write) replays up to the cut.
/// - It fails when there is nothing to replay: an empty file, or one where no line decodes.
public enum EventFile {
    public enum Format: String, Sendable, Equatable {
        /// A swbuild build record (`BuildRecord`).
        case record
        /// BuildKit `--progress=rawjson` output (`SolveStatus` lines).
        case rawJSON
    }

    /// What a file holds, ready to replay.
    public struct Loaded: Sendable {
        public var format: Format
        public var events: [BuildEvent]
        /// Lines that could not be read (a cut last line included).
        public var skippedLines: Int
        /// What the user should know about the file, one sentence each (nothing when it is whole).
        public var warnings: [String]
    }

    /// How much of the start decides the format.
    static let headBytes = 64 * 1024
    static let headLines = 32

    /// Loads the file at `url`; errors name it by its path.
    public static func load(contentsOf url: URL) throws -> Loaded {
        let path = url.path
        do {
            let handle = try FileHandle(forReadingFrom: url)
            let head = try handle.read(upToCount: headBytes) ?? Data()
            try? handle.close()
            guard head.count == headBytes else { return try load(data: head, name: path) }
            // Decide on the start before reading the rest: a wrong file fails fast.
            _ = try detect(head, isWhole: false, name: path)
            // Mapped, not copied: a long record is hundreds of megabytes, and every byte of it is
            // read once. (Records and logs only ever grow, which a mapping tolerates.)
            return try load(data: try Data(contentsOf: url, options: .alwaysMapped), name: path)
        } catch let error as EventFileError {
            throw error
        } catch {
            throw EventFileError.unreadable(path: path, message: error.localizedDescription)
        }
    }

    /// Loads events from bytes; `name` is how errors and warnings call them.
    public static func load(data: Data, name: String = "input") throws -> Loaded {
        let format = try detect(data, isWhole: true, name: name)
        var loaded = Loaded(format: format, events: [], skippedLines: 0, warnings: [])
        var cutLine: Int?
        switch format {
        case .record:
            let decoder = data.withUnsafeBytes { RecordBatchDecoder.decode($0.bindMemory(to: UInt8.self)) }
            loaded.events = decoder.events
            loaded.skippedLines = decoder.skippedLines
            cutLine = decoder.cutLine
        case .rawJSON:
            var decoder = RawJSONDecoder()
            var events: [BuildEvent] = []
            data.withUnsafeBytes { decoder.feed($0.bindMemory(to: UInt8.self), into: &events) }
            let skippedBeforeEnd = decoder.skippedLines
            events += decoder.finish()
            loaded.events = events
            loaded.skippedLines = decoder.skippedLines
            // A cut last line is the one after the last newline.
            if data.last != 0x0A, decoder.skippedLines > skippedBeforeEnd {
                cutLine = data.occurrences(of: 0x0A) + 1
            }
        }
        guard !loaded.events.isEmpty || loaded.skippedLines == 0 else {
            throw EventFileError.nothingReadable(path: name, format: format, lines: loaded.skippedLines)
        }
        if let cutLine {
            loaded.warnings.append("truncated last line at line \(cutLine): replaying up to the cut")
        }
        let damaged = loaded.skippedLines - (cutLine == nil ? 0 : 1)
        if damaged > 0 {
            loaded.warnings.append("skipped \(damaged) unreadable \(damaged == 1 ? "line" : "lines")")
        }
        return loaded
    }

    /// The format of `data` (a whole file) from its first lines, or the error that rejects it,
    /// without decoding the rest.
    public static func format(of data: Data, name: String = "input") throws -> Format {
        try detect(data, isWhole: true, name: name)
    }

    /// The format of a file from its first lines (`data` being its start, or all of it when
    /// `isWhole`), or the error that rejects it.
    static func detect(_ data: Data, isWhole: Bool, name: String) throws -> Format {
        try data.withUnsafeBytes { raw in
            try detect(raw.bindMemory(to: UInt8.self), isWhole: isWhole, name: name)
        }
    }

    private static func detect(_ bytes: UnsafeBufferPointer<UInt8>, isWhole: Bool, name: String) throws -> Format {
        let head = UnsafeBufferPointer(rebasing: bytes[..<min(bytes.count, headBytes)])
        var firstSeen: (line: Int, isJSON: Bool)?
        var lineNumber = 0
        var examined = 0
        var start = 0
        while start < head.count, examined < headLines {
            let end = head[start...].firstIndex(of: 0x0A)
            let complete = end != nil || (isWhole && head.count == bytes.count)
            let line = BuildRecord.trimmed(UnsafeBufferPointer(rebasing: head[start..<(end ?? head.count)]))
            start = (end ?? head.count) + 1
            lineNumber += 1
            if line.isEmpty { continue }
            examined += 1
            if complete {
                if BuildRecord.decodeLine(line) != nil { return .record }
                if SolveStatus.hasStatusField(line), (try? SolveStatus(jsonLine: line)) != nil { return .rawJSON }
                if firstSeen == nil { firstSeen = (lineNumber, isJSON(line)) }
            } else {
                // A line longer than the head (BuildKit packs minutes of logs into one): judge
                // it by how it begins.
                if line.starts(with: RecordLineDecoder.flatPrefix) || line.starts(with: RecordLineDecoder.codablePrefix) {
                    return .record
                }
                if line.first == UInt8(ascii: "{"), isStatusStart(line) { return .rawJSON }
                if firstSeen == nil { firstSeen = (lineNumber, line.first == UInt8(ascii: "{") || line.first == UInt8(ascii: "[")) }
            }
        }
        guard let firstSeen else { throw EventFileError.empty(path: name) }
        if firstSeen.isJSON { throw EventFileError.unrecognizedJSON(path: name, line: firstSeen.line) }
        throw EventFileError.notJSON(path: name, line: firstSeen.line)
    }

    /// Whether a (cut) line begins like a SolveStatus: `{` and one of its field names as its
    /// first key.
    private static func isStatusStart(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = JSONScanner(line)
        guard (try? s.beginObject()) != nil, let key = try? s.nextKey() else { return false }
        return s.key(key, is: "vertexes") || s.key(key, is: "statuses") || s.key(key, is: "logs")
            || s.key(key, is: "warnings")
    }

    private static func isJSON(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = JSONScanner(line)
        return (try? s.skipValue()) != nil && (try? s.end()) != nil
    }
}
