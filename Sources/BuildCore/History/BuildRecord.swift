import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The on-disk form of one build: JSON Lines, one `BuildEvent` per line, in publish order, at
/// `<root>/history/<buildID>.jsonl`. The same lines are the wire format of the attach socket (one
/// line per event, so a viewer reads a live build exactly as it reads a record).
///
/// A line is one flat JSON object, written by hand so that it is byte-stable:
///
///     {"time":"2026-11-29T04:53:00.123456Z","type":"log","digest":"sha256:…","stream":1,"data":"aGkK"}
///
/// - It always begins `{"time":"<RFC 3339 UTC, exactly six fraction digits, Z>","type":"<kind>"`,
///   so a reader can skip kinds by prefix, and binary-search a record by time over line offsets,
///   without decoding a line (`lineHeader(_:)`).
/// - `type` is the `BuildEvent.Kind` case: `buildStarted`, `plan`, `vertexStarted`,
///   `vertexCompleted`, `cacheMiss`, `log`, `progress`, `warning`, `buildFinished`.
/// - The payload's fields follow in the same object, in declaration order, each under its property
///   name; a nil optional is left out. `plan` has `vertices` (objects with `digest`, `name`,
///   `inputs`, `stage`, `startLine`, `endLine`); `vertexStarted` has `digest`; `cacheMiss` has
///   `digest` and `reason`; `vertexCompleted.context` is an array of objects with `selection`,
///   `digest` and, for small selections, `files` (path → checksum, sorted); `log` has `digest`,
///   `stream` and `data` (standard base64); `progress.started` is a time like `time`;
///   `buildStarted.buildArgs` is an object with sorted keys. Doubles are in shortest round-trip
///   form (a non-finite one, which JSON cannot hold, is written as 0).
/// - Strings are escaped per RFC 8259 (control characters escaped, other text as UTF-8).
/// - Readers ignore unknown fields, and skip a line of unknown `type`. They also read the older
///   format, the synthesized `Codable` form (`{"kind":{"log":{"_0":{…}}},"time":…}`), line by line,
///   so records written before this format still replay.
///
/// Invariants that make a killed build's record readable:
/// - Each line is written with a single append of the complete line and its newline, so the file
///   only ever ends in a cut line if the process died mid-write; every earlier line is whole.
/// - Readers decode line by line and skip what does not parse, so a cut last line (or any damaged
///   line) costs only itself.
public enum BuildRecord {
    /// The file name extension of records.
    public static let fileExtension = "jsonl"

    /// The `JSONEncoder` settings of records' companions (`history ls --format json`, `inspect`):
    /// sorted keys, RFC 3339 dates with microseconds. Record lines themselves do not use it.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = RFC3339Time.dateEncoding
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = RFC3339Time.dateDecoding
        return decoder
    }

    /// One record line for `event`, newline included.
    public static func line(for event: BuildEvent) -> Data {
        var bytes: [UInt8] = []
        encodeLine(event, into: &bytes)
        return Data(bytes)
    }

    /// Appends the record line of `event`, newline included, to `bytes`.
    public static func encodeLine(_ event: BuildEvent, into bytes: inout [UInt8]) {
        event.appendRecordLine(to: &bytes)
    }

    /// The event of one record line (with or without its newline), in either format; nil when the
    /// line is not a readable event.
    public static func decodeLine(_ line: some Collection<UInt8>) -> BuildEvent? {
        var decoder = RecordLineDecoder()
        return JSONScanner.scan(line) { scanner in decoder.decode(trimmed(scanner.bytes)) }
    }

    /// The time and `type` of a flat record line, read from its fixed prefix without decoding the
    /// rest; nil for other lines (including lines of the older format).
    public static func lineHeader(_ line: some Collection<UInt8>) -> (time: Date, type: String)? {
        JSONScanner.scan(line) { scanner in
            guard let header = header(scanner.bytes),
                  let time = RFC3339Time.parse(UnsafeBufferPointer(rebasing: scanner.bytes[header.time])) else { return nil }
            return (time.date, String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[header.type]), as: UTF8.self))
        }
    }

    /// The events in a record's bytes, skipping lines that do not decode (counted), and lines of
    /// the event kinds in `skipping` (not counted) without decoding them.
    public static func decode(_ data: Data, skipping kinds: Set<String> = []) -> (events: [BuildEvent], skippedLines: Int) {
        let result = data.withUnsafeBytes { raw in
            RecordBatchDecoder.decode(raw.bindMemory(to: UInt8.self), skipping: kinds)
        }
        return (result.events, result.skippedLines)
    }

    /// Where the time and the type are in a flat line: `{"time":"<time>","type":"<type>"`.
    static func header(_ line: UnsafeBufferPointer<UInt8>) -> (time: Range<Int>, type: Range<Int>)? {
        let prefix = RecordLineDecoder.flatPrefix
        guard line.starts(with: prefix) else { return nil }
        let separator = Array("\",\"type\":\"".utf8)
        // The time is 27 bytes for years 0–9999; look a little further for other years.
        let limit = min(line.count, prefix.count + 40)
        var i = prefix.count
        while i + separator.count <= limit {
            if line[i] == UInt8(ascii: "\""),
               UnsafeBufferPointer(rebasing: line[i..<(i + separator.count)]).elementsEqual(separator) {
                let typeStart = i + separator.count
                var j = typeStart
                while j < line.count, j < typeStart + 32, line[j] != UInt8(ascii: "\"") { j += 1 }
                guard j < line.count, line[j] == UInt8(ascii: "\"") else { return nil }
                return (prefix.count..<i, typeStart..<j)
            }
            i += 1
        }
        return nil
    }

    /// `line` without surrounding JSON whitespace (a CRLF file's `\r`, spaces).
    static func trimmed(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var end = line.count
        while end > 0, line[end - 1] == 0x20 || line[end - 1] == 0x09 || line[end - 1] == 0x0D || line[end - 1] == 0x0A {
            end -= 1
        }
        var start = 0
        while start < end, line[start] == 0x20 || line[start] == 0x09 || line[start] == 0x0D || line[start] == 0x0A {
            start += 1
        }
        return UnsafeBufferPointer(rebasing: line[start..<end])
    }
}

/// Appends a build's events to its record as they happen.
///
/// Each `append` is one `write(2)` of a whole line on an `O_APPEND` descriptor (flushed per line:
/// there is no user-space buffer to lose), and the file is `fsync`ed when the build finishes and on
/// `close()`, so a finished build's record survives a power cut and a killed one's is whole up to
/// its last complete line. The file is created owner-only: records hold the Dockerfile and build
/// arguments.
public actor BuildRecordWriter {
    public nonisolated let url: URL
    private var fd: Int32
    private var buffer: [UInt8] = []

    /// Opens (creating if needed) the record of `buildID` under `<root>/history`.
    public init(root: URL, buildID: String) throws {
        try self.init(url: BuildHistory(root: root).recordURL(forNewID: buildID))
    }

    /// Opens (creating if needed) a record at an explicit path, appending to what is there.
    public init(url: URL) throws {
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw HistoryError.io(path: directory, message: "\(error)")
        }
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HistoryError.posix(url.path) }
        self.url = url
        self.fd = fd
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Writes `event` as one line; a `buildFinished` event also syncs the file to disk.
    public func append(_ event: BuildEvent) throws {
        guard fd >= 0 else { throw HistoryError.io(path: url.path, message: "record already closed") }
        buffer.removeAll(keepingCapacity: true)
        BuildRecord.encodeLine(event, into: &buffer)
        try writeAll(buffer)
        if case .buildFinished = event.kind, fsync(fd) != 0 {
            throw HistoryError.posix(url.path)
        }
    }

    /// Syncs and closes the record. Idempotent; appends after it fail.
    public func close() throws {
        guard fd >= 0 else { return }
        let synced = fsync(fd) == 0
        let code = errno
        Glibc.close(fd)
        fd = -1
        if !synced { throw HistoryError.posix(url.path, code) }
    }

    /// Appends every event of `events` until it ends, then closes: the whole job of recording a
    /// build, typically fed by `bus.subscribe()`. Tells `bus` how far the record goes (every
    /// 256 events or MiB of logs), so it can let recorded events go from memory, and lets the
    /// steps' output through `gate` as their logs are written.
    public func record(_ events: AsyncStream<BuildEvent>, acknowledging bus: EventBus? = nil,
                       releasing gate: OutputGate? = nil) async throws {
        await bus?.recordAt(url)
        var count = 0, unacknowledged = 0, bytes = 0
        // What the summary cache needs (everything but output), so no later reader has to go
        // through this record's logs to list it.
        var outline: [BuildEvent] = []
        for await event in events {
            try append(event)
            switch event.kind {
            case .log, .progress: break
            default: outline.append(event)
            }
            if let gate, case .log(let chunk) = event.kind { gate.leave(chunk.data.count) }
            count += 1
            unacknowledged += 1
            bytes += buffer.count
            if unacknowledged >= 256 || bytes >= 1 << 20, let bus {
                await bus.recorded(count: count)
                unacknowledged = 0
                bytes = 0
            }
        }
        try close()
        await bus?.recorded(count: count)
        let id = url.deletingPathExtension().lastPathComponent
        let summary = BuildSummary(id: id, events: outline, fallbackStart: Date())
        let cache = SummaryCache(directory: url.deletingLastPathComponent(), id: id, record: url)
        if summary.status != .interrupted, let stamp = cache.stamp {
            cache.write(summary, steps: StepRow.rows(from: outline), stamp: stamp)
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        do {
            try bytes.withUnsafeBytes { try FileSink.writeAll(fd: fd, $0, path: url.path) }
        } catch {
            throw HistoryError.posix(url.path)
        }
    }
}

/// Reads a record back, tolerating a cut last line (a killed build) and damaged lines.
public struct BuildRecordReader: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// Every readable event, and how many lines were skipped as unreadable.
    /// Throws only when the file itself cannot be read.
    public func read() throws -> (events: [BuildEvent], skippedLines: Int) {
        BuildRecord.decode(try contents())
    }

    /// Every readable event.
    public func events() throws -> [BuildEvent] {
        try read().events
    }

    /// The events without `log` and `progress` ones (skipped undecoded): what a summary needs, at a
    /// fraction of the cost for a chatty build.
    public func eventsWithoutOutput() throws -> [BuildEvent] {
        BuildRecord.decode(try contents(), skipping: ["log", "progress"]).events
    }

    /// The time of the last whole line, read from its header.
    public func lastLineTime() throws -> Date? {
        try contents().withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard var end = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return nil }
            while true {
                let start = bytes[..<end].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
                if let header = BuildRecord.lineHeader(UnsafeBufferPointer(rebasing: bytes[start..<end])) { return header.time }
                guard start > 0 else { return nil }
                end = start - 1
            }
        }
    }

    /// Mapped, not read: a record of a flooding build may be gigabytes, and its pages are the
    /// file's (records only ever grow, so the mapping never loses its end).
    private func contents() throws -> Data {
        do {
            return try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw HistoryError.io(path: url.path, message: "cannot read record: \(error.localizedDescription)")
        }
    }
}
