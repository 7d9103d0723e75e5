import Foundation

/// Remembers, per context, the digest of each file with the stat data it was computed from, so
/// a second load of an unchanged context hashes nothing. A changed size, mtime, inode, mode or
/// owner means the file is hashed again (mtime only decides *whether* to re-hash, never the
/// checksum itself).
public struct StatCache: Sendable {
    public struct Entry: Codable, Sendable {
        var size: Int64
        var mtime: Int64
        var inode: UInt64
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var digest: String

        func matches(_ e: ContextEntry) -> Bool {
            size == e.size && mtime == e.mtimeNanoseconds && inode == e.inode && mode == e.mode && uid == e.uid && gid == e.gid
        }
    }

    public var file: String
    public var entries: [String: Entry]

    /// The cache for the context at `contextPath`, stored under `root/statcache/`.
    public static func open(root: StateRoot, contextPath: String) -> StatCache {
        let absolute = (contextPath as NSString).standardizingPath
        let dir = root.subdirectory("statcache")
        let file = dir + "/" + Digest.sha256(absolute).hex + ".json"
        var entries: [String: Entry] = [:]
        if let data = FileManager.default.contents(atPath: file),
           let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = decoded
        }
        return StatCache(file: file, entries: entries)
    }

    mutating func update(with context: BuildContext) {
        var next: [String: Entry] = [:]
        for e in context.entries where e.kind == .file {
            guard let d = context.contents[e.path] else { continue }
            next[e.path] = Entry(size: e.size, mtime: e.mtimeNanoseconds, inode: e.inode, mode: e.mode, uid: e.uid, gid: e.gid, digest: d)
        }
        entries = next
    }

    /// Writes atomically (temp file, fsync, rename) so a crash never leaves a torn cache.
    func save() throws {
        let data = try JSONEncoder().encode(entries)
        try AtomicFile.write(data, to: file)
    }
}
