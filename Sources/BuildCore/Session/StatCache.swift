import Foundation

/// Remembers, per context, the digest of each file with the stat data it was computed from, so
/// a second load of an unchanged context hashes nothing. A changed size, mtime, inode, mode or
/// owner means the file is hashed again (mtime only decides *whether* to re-hash, never the
/// checksum itself).
///
/// The file is a version line, then one entry a line, `size mtime inode mode uid gid digest
/// path` tab separated (the path last, so it may hold anything but a newline), sorted by path
/// bytes as the walker sorts entries. Reading it makes no strings; a load then looks its files up
/// in one forward pass over both, comparing path bytes, and makes only the digests it uses.
public struct StatCache: Sendable {
    struct Entry: Equatable {
        var size: Int64
        var mtime: Int64
        var inode: UInt64
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32

        init(size: Int64, mtime: Int64, inode: UInt64, mode: UInt32, uid: UInt32, gid: UInt32) {
            (self.size, self.mtime, self.inode, self.mode, self.uid, self.gid) = (size, mtime, inode, mode, uid, gid)
        }

        init(_ e: ContextEntry) {
            self.init(size: e.size, mtime: e.mtimeNanoseconds, inode: e.inode, mode: e.mode, uid: e.uid, gid: e.gid)
        }
    }

    static let header = Array("swbuild-statcache 2\n".utf8)

    /// One cached file: byte ranges of its path and digest in `data`, and its stat data.
    struct Line {
        var path: Range<Int>
        var digest: Range<Int>
        var entry: Entry
    }

    public var file: String
    /// The cache as read (empty when absent, unreadable or of another version).
    let data: Data
    /// Its entries, in file (path) order.
    let lines: [Line]
    var count: Int { lines.count }

    init(file: String, data: Data) {
        let valid = data.count >= Self.header.count && data.prefix(Self.header.count).elementsEqual(Self.header)
        self.file = file
        self.data = valid ? data : Data()
        self.lines = valid ? Self.parse(data) : []
    }

    /// The cache for the context at `contextPath`, stored under `root/statcache/`. Reading it
    /// costs about as much as walking an unchanged tree, so loads do both at once.
    public static func open(root: StateRoot, contextPath: String) -> StatCache {
        let absolute = (contextPath as NSString).standardizingPath
        let dir = root.subdirectory("statcache")
        let file = dir + "/" + Digest.sha256(absolute).hex + ".tsv"
        return StatCache(file: file, data: FileManager.default.contents(atPath: file) ?? Data())
    }

    /// The cached digest of each regular file of `entries` (sorted by path bytes) whose stat data
    /// still matches, by index in `entries`: one forward pass over both, comparing path bytes.
    func digests(for entries: [ContextEntry]) -> [String?] {
        var out = [String?](repeating: nil, count: entries.count)
        guard !lines.isEmpty else { return out }
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var k = 0
            for (i, e) in entries.enumerated() where e.kind == .file {
                var path = e.path
                path.withUTF8 { wanted in
                    while k < lines.count {
                        let order = ContextWalker.compare(UnsafeBufferPointer(rebasing: bytes[lines[k].path]), wanted)
                        if order > 0 { return }
                        k += 1
                        if order == 0 {
                            if lines[k - 1].entry == Entry(e) {
                                out[i] = String(decoding: UnsafeBufferPointer(rebasing: bytes[lines[k - 1].digest]), as: UTF8.self)
                            }
                            return
                        }
                    }
                }
            }
        }
        return out
    }

    private static func parse(_ data: Data) -> [Line] {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var out: [Line] = []
            out.reserveCapacity(bytes.count / 100)
            var fields: [Range<Int>] = []
            fields.reserveCapacity(7)
            var position = header.count
            while position < bytes.count {
                let end = bytes[position...].firstIndex(of: 0x0A) ?? bytes.count
                defer { position = end + 1 }
                fields.removeAll(keepingCapacity: true)
                var start = position
                for j in position..<end where bytes[j] == 0x09 && fields.count < 7 {
                    fields.append(start..<j)
                    start = j + 1
                }
                // A damaged line is skipped: its file is hashed again.
                guard fields.count == 7, Digest.isValid(UnsafeBufferPointer(rebasing: bytes[fields[6]])), let entry = entry(fields, in: bytes) else { continue }
                out.append(Line(path: start..<end, digest: fields[6], entry: entry))
            }
            return out
        }
    }

    private static func entry(_ fields: [Range<Int>], in bytes: UnsafeBufferPointer<UInt8>) -> Entry? {
        func number<T: FixedWidthInteger>(_ r: Range<Int>, _: T.Type) -> T? {
            guard !r.isEmpty else { return nil }
            var v: T = 0
            for b in bytes[r] {
                guard b >= 48 && b <= 57 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(T(b - 48))
                if o1 || o2 { return nil }
                v = a
            }
            return v
        }
        guard let size = number(fields[0], Int64.self), let mtime = number(fields[1], Int64.self),
              let inode = number(fields[2], UInt64.self), let mode = number(fields[3], UInt32.self),
              let uid = number(fields[4], UInt32.self), let gid = number(fields[5], UInt32.self) else { return nil }
        return Entry(size: size, mtime: mtime, inode: inode, mode: mode, uid: uid, gid: gid)
    }


    /// Whether `context` needs writing: false when every file came from the cache and the cache
    /// holds exactly its files.
    func isStale(for context: BuildContext) -> Bool {
        !(context.filesHashed == 0 && context.entries.lazy.filter { $0.kind == .file }.count == count)
    }

    /// Writes the context's files, in its (path) order, atomically (temp file, rename) so a crash
    /// never leaves a torn cache; not synced: losing it only costs a re-hash.
    func save(_ context: BuildContext) throws {
        var out = Self.header
        out.reserveCapacity(context.entries.count * 120)
        for e in context.entries where e.kind == .file && !e.path.contains("\n") {
            guard let digest = context.contents[e.path] else { continue }
            out += Array("\(e.size)\t\(e.mtimeNanoseconds)\t\(e.inode)\t\(e.mode)\t\(e.uid)\t\(e.gid)\t\(digest)\t\(e.path)\n".utf8)
        }
        try AtomicFile.write(Data(out), to: file, durable: false)
    }
}
