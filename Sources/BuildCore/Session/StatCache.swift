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
        let file = dir + "/" + Digest.sha256(absolute).hex + ".tsv"
        var entries: [String: Entry] = [:]
        if let data = FileManager.default.contents(atPath: file) {
            entries = decode(data)
        }
        return StatCache(file: file, entries: entries)
    }

    /// One entry a line: `size mtime inode mode uid gid digest path`, tab separated (the path
    /// last, so it may hold anything but a newline). Far quicker to read than JSON for big trees.
    static func decode(_ data: Data) -> [String: Entry] {
        var entries: [String: Entry] = [:]
        let text = String(decoding: data, as: UTF8.self)
        entries.reserveCapacity(text.utf8.count / 120)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let f = line.split(separator: "\t", maxSplits: 7, omittingEmptySubsequences: false)
            guard f.count == 8, let size = Int64(f[0]), let mtime = Int64(f[1]), let inode = UInt64(f[2]),
                  let mode = UInt32(f[3]), let uid = UInt32(f[4]), let gid = UInt32(f[5]) else { continue }
            entries[String(f[7])] = Entry(size: size, mtime: mtime, inode: inode, mode: mode, uid: uid, gid: gid, digest: String(f[6]))
        }
        return entries
    }

    /// Replaces the entries with the context's; returns false when nothing changed.
    @discardableResult
    mutating func update(with context: BuildContext) -> Bool {
        var next: [String: Entry] = [:]
        for e in context.entries where e.kind == .file {
            guard let d = context.contents[e.path] else { continue }
            next[e.path] = Entry(size: e.size, mtime: e.mtimeNanoseconds, inode: e.inode, mode: e.mode, uid: e.uid, gid: e.gid, digest: d)
        }
        if context.filesHashed == 0 && next.count == entries.count { return false }
        entries = next
        return true
    }

    /// Writes atomically (temp file, rename) so a crash never leaves a torn cache; not synced:
    /// losing it only costs a re-hash.
    func save() throws {
        var out = ""
        out.reserveCapacity(entries.count * 120)
        for (path, e) in entries where !path.contains("\n") {
            out += "\(e.size)\t\(e.mtime)\t\(e.inode)\t\(e.mode)\t\(e.uid)\t\(e.gid)\t\(e.digest)\t\(path)\n"
        }
        try AtomicFile.write(Data(out.utf8), to: file, durable: false)
    }
}
