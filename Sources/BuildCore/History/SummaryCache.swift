import Foundation

/// The summaries (and step rows) of finished records, kept beside them in
/// `history/.summaries/<id>.json` with the size and modification time of the record they were
/// computed from. Listing the history and reading recent builds' step times (every build start
/// does both, for the dashboard's estimates) then reads one small file per build instead of
/// records that may hold gigabytes of logs. Only a cache: a missing, stale or unreadable entry is
/// recomputed from the record, which stays the only truth.
struct SummaryCache {
    /// What identifies a record's contents: a record only grows, and a file copied over it (even
    /// with its times kept) changes its inode or ctime.
    struct Stamp: Codable, Equatable {
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
    }

    private struct Entry: Codable {
        var stamp: Stamp
        var summary: BuildSummary
        var steps: [StepRow]?
    }

    let file: URL
    let record: URL

    init(directory: URL, id: String, record: URL) {
        file = directory.appendingPathComponent(".summaries", isDirectory: true).appendingPathComponent(id + ".json")
        self.record = record
    }

    /// The record as it is now; nil when it cannot be read. Taken before reading the record, so a
    /// record that grows meanwhile is summarised again next time.
    var stamp: Stamp? {
        var st = stat()
        guard stat(record.path, &st) == 0 else { return nil }
        return Stamp(size: Int64(st.st_size), mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                     ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec), inode: UInt64(st.st_ino))
    }

    /// The cached summary when it was computed from the record as it is now.
    func read() -> BuildSummary? { entry()?.summary }

    /// The cached step rows when they were computed from the record as it is now.
    func readSteps() -> [StepRow]? { entry()?.steps }

    private func entry() -> Entry? {
        guard let stamp, let data = FileManager.default.contents(atPath: file.path),
              let entry = try? BuildRecord.makeDecoder().decode(Entry.self, from: data), entry.stamp == stamp else { return nil }
        return entry
    }

    /// Keeps `summary` (and `steps`, else those already cached) for the record as `stamp` saw it
    /// before it was read. Failures are ignored: the cache is optional.
    func write(_ summary: BuildSummary, steps: [StepRow]? = nil, stamp: Stamp) {
        guard let data = try? BuildRecord.makeEncoder().encode(Entry(stamp: stamp, summary: summary,
                                                                     steps: steps ?? entry()?.steps)) else { return }
        let directory = file.deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        try? AtomicFile.write(data, to: file.path, mode: 0o600, durable: false)
    }

    func remove() {
        try? FileManager.default.removeItem(at: file)
    }
}
