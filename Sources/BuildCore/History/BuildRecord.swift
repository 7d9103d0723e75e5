import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The on-disk form of one build: JSON Lines, one `BuildEvent` per line, in publish order, at
/// `<root>/history/<buildID>.jsonl`.
///
/// Invariants that make a killed build's record readable:
/// - Each line is written with a single append of the complete line and its newline, so the file
///   only ever ends in a cut line if the process died mid-write; every earlier line is whole.
/// - Readers decode line by line and skip what does not parse, so a cut last line (or any damaged
///   line) costs only itself.
/// - Keys are sorted and dates are RFC 3339 UTC with microseconds, so records are byte-stable and
///   diffable, and every line starts `{"kind":{"<case>"`, which lets listings skip log lines
///   without decoding them.
public enum BuildRecord {
    /// The file name extension of records.
    public static let fileExtension = "jsonl"

    /// The encoder every record line goes through.
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
    public static func line(for event: BuildEvent, encoder: JSONEncoder = makeEncoder()) throws -> Data {
        var data = try encoder.encode(event)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// The events in a record's bytes, skipping lines that do not decode (counted), and lines of
    /// the event kinds in `skipping` (not counted) without decoding them.
    public static func decode(_ data: Data, skipping kinds: Set<String> = []) -> (events: [BuildEvent], skippedLines: Int) {
        let decoder = makeDecoder()
        let skippedPrefixes = kinds.map { Array("{\"kind\":{\"\($0)\":".utf8) }
        var events: [BuildEvent] = []
        var skipped = 0
        let bytes = [UInt8](data)
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = bytes[start..<end]
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            if skippedPrefixes.contains(where: { line.starts(with: $0) }) { continue }
            if let event = try? decoder.decode(BuildEvent.self, from: Data(line)) {
                events.append(event)
            } else {
                skipped += 1
            }
        }
        return (events, skipped)
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
    private let encoder = BuildRecord.makeEncoder()

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
        let line: Data
        do {
            line = try BuildRecord.line(for: event, encoder: encoder)
        } catch {
            throw HistoryError.io(path: url.path, message: "cannot encode event: \(error)")
        }
        try writeAll(line)
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
    /// build, typically fed by `EventBus.subscribe()`.
    public func record(_ events: AsyncStream<BuildEvent>) async throws {
        for await event in events {
            try append(event)
        }
        try close()
    }

    private func writeAll(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw HistoryError.posix(url.path)
                }
                offset += n
            }
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

    private func contents() throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw HistoryError.io(path: url.path, message: "cannot read record: \(error.localizedDescription)")
        }
    }
}
