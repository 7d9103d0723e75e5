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
        data.withUnsafeBytes { raw in decode(raw.bindMemory(to: UInt8.self)) }
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: Entry] {
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(bytes.count / 100)
        var fields: [Slice<UnsafeBufferPointer<UInt8>>] = []
        fields.reserveCapacity(8)
        var lineStart = 0
        func number<T: FixedWidthInteger>(_ s: Slice<UnsafeBufferPointer<UInt8>>, _: T.Type) -> T? {
            guard !s.isEmpty else { return nil }
            var v: T = 0
            for b in s {
                guard b >= 48 && b <= 57 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(T(b - 48))
                if o1 || o2 { return nil }
                v = a
            }
            return v
        }
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0A {
            defer { lineStart = i + 1 }
            guard i > lineStart else { continue }
            fields.removeAll(keepingCapacity: true)
            var fieldStart = lineStart
            for j in lineStart..<i where bytes[j] == 0x09 && fields.count < 7 {
                fields.append(bytes[fieldStart..<j])
                fieldStart = j + 1
            }
            fields.append(bytes[fieldStart..<i])
            guard fields.count == 8, let size = number(fields[0], Int64.self), let mtime = number(fields[1], Int64.self),
                  let inode = number(fields[2], UInt64.self), let mode = number(fields[3], UInt32.self),
                  let uid = number(fields[4], UInt32.self), let gid = number(fields[5], UInt32.self) else { continue }
            entries[String(decoding: UnsafeBufferPointer(rebasing: fields[7]), as: UTF8.self)] = Entry(size: size, mtime: mtime, inode: inode, mode: mode, uid: uid,
                                                                        gid: gid, digest: String(decoding: UnsafeBufferPointer(rebasing: fields[6]), as: UTF8.self))
        }
        return entries
    }

    /// Replaces the entries with the context's; returns false when nothing changed.
    @discardableResult
    mutating func update(with context: BuildContext) -> Bool {
        // Every file answered from the cache and as many files as it holds: the same set.
        if context.filesHashed == 0 && context.entries.lazy.filter({ $0.kind == .file }).count == entries.count { return false }
        var next: [String: Entry] = [:]
        next.reserveCapacity(entries.count)
        for e in context.entries where e.kind == .file {
            guard let d = context.contents[e.path] else { continue }
            next[e.path] = Entry(size: e.size, mtime: e.mtimeNanoseconds, inode: e.inode, mode: e.mode, uid: e.uid, gid: e.gid, digest: d)
        }
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
