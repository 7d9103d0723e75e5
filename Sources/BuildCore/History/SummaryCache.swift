import Foundation

/// The summaries of finished records, kept beside them in `history/.summaries/<id>.json` with the
/// size and modification time of the record they were computed from. Listing the history (every
/// build start does, for the dashboard's estimates) then reads one small file per build instead of
/// every record. Only a cache: a missing, stale or unreadable entry is recomputed from the record,
/// which stays the only truth.
struct SummaryCache {
    private struct Entry: Codable {
        var size: Int64
        var mtime: Int64
        var summary: BuildSummary
    }

    let file: URL
    let record: URL

    init(directory: URL, id: String, record: URL) {
        file = directory.appendingPathComponent(".summaries", isDirectory: true).appendingPathComponent(id + ".json")
        self.record = record
    }

    /// The record's size and modification time in nanoseconds; nil when it cannot be read.
    private var recordStamp: (size: Int64, mtime: Int64)? {
        var st = stat()
        guard stat(record.path, &st) == 0 else { return nil }
        return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    /// The cached summary when it was computed from the record as it is now.
    func read() -> BuildSummary? {
        guard let stamp = recordStamp, let data = FileManager.default.contents(atPath: file.path),
              let entry = try? BuildRecord.makeDecoder().decode(Entry.self, from: data),
              entry.size == stamp.size, entry.mtime == stamp.mtime else { return nil }
        return entry.summary
    }

    /// Keeps `summary` for the record as it is now. Failures are ignored: the cache is optional.
    func write(_ summary: BuildSummary) {
        guard let stamp = recordStamp,
              let data = try? BuildRecord.makeEncoder().encode(Entry(size: stamp.size, mtime: stamp.mtime, summary: summary)) else { return }
        let directory = file.deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        try? AtomicFile.write(data, to: file.path, mode: 0o600, durable: false)
    }

    func remove() {
        try? FileManager.default.removeItem(at: file)
    }
}
