import Foundation

/// The builds recorded under one state root: `<root>/history/<id>.jsonl`, one per build.
///
/// The records are the only truth: listings, summaries, step tables and logs are all recomputed
/// from them, so a record copied in from another machine (or written by `replay` from BuildKit's
/// rawjson) shows up like any other. Ids name files, so they are checked to be plain file names;
/// commands that take an id also take any unique prefix of one, like `docker buildx history`.
public struct BuildHistory: Sendable {
    /// The state root (`--root`); records live in its `history` folder.
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public init(_ stateRoot: StateRoot) {
        self.init(root: URL(fileURLWithPath: stateRoot.path, isDirectory: true))
    }

    public var directory: URL { root.appendingPathComponent("history", isDirectory: true) }

    /// `history ls` for the records under `root`, newest first.
    public static func list(root: URL) throws -> [BuildSummary] {
        try BuildHistory(root: root).list()
    }

    /// Every record's summary, newest start first (ties broken by id, descending). A record that
    /// cannot be read at all is still listed, as `interrupted` at its file's modification time.
    public func list() throws -> [BuildSummary] {
        let summaries = try ids().map { id in (try? summary(ofRecord: id)) ?? BuildSummary(
            id: id, events: [], fallbackStart: modificationDate(recordURL(id))) }
        return summaries.sorted { a, b in
            a.started != b.started ? a.started > b.started : a.id > b.id
        }
    }

    /// Up to `count` summaries that `include` accepts, newest first, looking only at the `scan`
    /// most recently written records: what a build start needs (its estimates), at a cost that
    /// does not grow with the history.
    public func recent(_ count: Int, scanning scan: Int = 200, where include: (BuildSummary) -> Bool) throws -> [BuildSummary] {
        let newest = try ids().map { ($0, modificationDate(recordURL($0))) }.sorted { $0.1 > $1.1 }.prefix(scan)
        var out: [BuildSummary] = []
        for (id, _) in newest {
            guard let summary = try? summary(ofRecord: id), include(summary) else { continue }
            out.append(summary)
            if out.count == count { break }
        }
        return out.sorted { a, b in a.started != b.started ? a.started > b.started : a.id > b.id }
    }

    /// The ids of all records, unordered.
    public func ids() throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch CocoaError.fileReadNoSuchFile {
            return []
        } catch {
            if !FileManager.default.fileExists(atPath: directory.path) { return [] }
            throw HistoryError.io(path: directory.path, message: "\(error.localizedDescription)")
        }
        let suffix = "." + BuildRecord.fileExtension
        return names.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.map { String($0.dropLast(suffix.count)) }
    }

    /// The full id of the record `reference` names: an exact id, or a unique prefix of one.
    public func resolve(_ reference: String) throws -> String {
        guard Self.isValidID(reference) else { throw HistoryError.invalidID(reference) }
        let all = try ids()
        if all.contains(reference) { return reference }
        let matches = all.filter { $0.hasPrefix(reference) }.sorted()
        switch matches.count {
        case 0: throw HistoryError.notFound(reference)
        case 1: return matches[0]
        default: throw HistoryError.ambiguous(reference, matches: matches)
        }
    }

    /// Every event of a record (a cut last line skipped).
    public func events(id reference: String) throws -> [BuildEvent] {
        try BuildRecordReader(url: recordURL(try resolve(reference))).events()
    }

    public func summary(id reference: String) throws -> BuildSummary {
        try summary(ofRecord: try resolve(reference))
    }

    /// Reads only what a summary needs: log and progress lines are skipped undecoded, except for a
    /// record with no ending, whose duration runs to its very last event, whatever its kind.
    /// A finished record's summary is kept in the summary cache.
    private func summary(ofRecord id: String) throws -> BuildSummary {
        let url = recordURL(id)
        let cache = SummaryCache(directory: directory, id: id, record: url)
        if let cached = cache.read() { return cached }
        let stamp = cache.stamp
        let reader = BuildRecordReader(url: url)
        var summary = BuildSummary(id: id, events: try reader.eventsWithoutOutput(), fallbackStart: modificationDate(url))
        guard summary.status == .interrupted else {
            if let stamp { cache.write(summary, stamp: stamp) }
            return summary
        }
        // Killed or still running: its duration runs to its last whole line, whatever its kind
        // (read by its header alone: such a record may hold gigabytes of logs).
        if let last = try reader.lastLineTime() {
            summary.duration = max(summary.duration, last.timeIntervalSince(summary.started))
        }
        return summary
    }

    /// Deletes a record. Removing a running build's record is allowed (its writer keeps writing to
    /// the unlinked file and nothing is listed).
    public func remove(id reference: String) throws {
        let id = try resolve(reference)
        SummaryCache(directory: directory, id: id, record: recordURL(id)).remove()
        do {
            try FileManager.default.removeItem(at: recordURL(id))
        } catch {
            throw HistoryError.io(path: recordURL(id).path, message: "\(error.localizedDescription)")
        }
    }

    /// The steps of a record, for `history inspect`.
    /// A finished record's rows are kept in the summary cache.
    public func stepRows(id reference: String) throws -> [StepRow] {
        let id = try resolve(reference)
        let url = recordURL(id)
        let cache = SummaryCache(directory: directory, id: id, record: url)
        if let cached = cache.readSteps() { return cached }
        let stamp = cache.stamp
        let events = try BuildRecordReader(url: url).eventsWithoutOutput()
        let rows = StepRow.rows(from: events)
        let summary = BuildSummary(id: id, events: events, fallbackStart: modificationDate(url))
        if summary.status != .interrupted, let stamp { cache.write(summary, steps: rows, stamp: stamp) }
        return rows
    }

    /// `history inspect ID --format json`: the build's status and its steps.
    public func inspect(id reference: String) throws -> Inspection {
        let id = try resolve(reference)
        let events = try BuildRecordReader(url: recordURL(id)).events()
        return Inspection(id: id, events: events, fallbackStart: modificationDate(recordURL(id)))
    }

    /// `history logs ID`: the record printed as `--progress=plain` would have printed it live.
    public func plainLog(id reference: String) throws -> String {
        PlainProgressPrinter.render(try events(id: reference))
    }

    /// A writer for a new build's record.
    public func writer(buildID: String) throws -> BuildRecordWriter {
        try BuildRecordWriter(url: recordURL(forNewID: buildID))
    }

    /// Where the record of `id` goes, after checking that `id` is a plain file name.
    public func recordURL(forNewID id: String) throws -> URL {
        guard Self.isValidID(id) else { throw HistoryError.invalidID(id) }
        return recordURL(id)
    }

    /// An id is usable as a file name: 1–200 characters of letters, digits, `-`, `_`, `.`, not
    /// starting with `.` (so never `..`, never hidden, never a path).
    public static func isValidID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 200, !id.hasPrefix(".") else { return false }
        return id.unicodeScalars.allSatisfy { s in
            (s.isASCII && (CharacterSet.alphanumerics.contains(s))) || s == "-" || s == "_" || s == "."
        }
    }

    private func recordURL(_ id: String) -> URL {
        directory.appendingPathComponent(id + "." + BuildRecord.fileExtension)
    }

    private func modificationDate(_ url: URL) -> Date {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        return attributes?[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0)
    }

    /// The JSON of `history inspect --format json`.
    public struct Inspection: Sendable, Codable, Equatable {
        public var id: String
        public var status: BuildSummary.Status
        public var started: Date
        public var duration: Double
        public var target: String?
        public var error: String?
        public var steps: [StepRow]

        /// The inspection of record `id` with `events` (a record read here or fetched from a host).
        public init(id: String, events: [BuildEvent], fallbackStart: Date = Date(timeIntervalSince1970: 0)) {
            let summary = BuildSummary(id: id, events: events, fallbackStart: fallbackStart)
            self.id = id
            status = summary.status
            started = summary.started
            duration = summary.duration
            target = summary.target
            error = summary.error
            steps = StepRow.rows(from: events)
        }

        /// Pretty JSON with sorted keys and RFC 3339 dates.
        public func json() throws -> String {
            let encoder = BuildRecord.makeEncoder()
            encoder.outputFormatting.insert(.prettyPrinted)
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }
    }
}
