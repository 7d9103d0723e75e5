import Foundation

/// Remembers, per context, the digest of each file with the stat data it was computed from, so
/// a second load of an unchanged context hashes nothing. A changed size, mtime, inode, mode or
/// owner means the file is hashed again (mtime only decides *whether* to re-hash, never the
/// checksum itself).
///
/// The file is a version line, then one entry a line, `size mtime inode mode uid gid digest
/// path` tab separated (the path last, so it may hold anything but a newline), sorted by path
/// bytes as the walker sorts entries. A load looks its files up in one forward pass over both,
/// comparing path bytes: no dictionary to build and no string made but the digests it uses.
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

    public var file: String
    /// The cache as read (empty when absent, unreadable or of another version).
    var data: Data
    /// How many entries `data` holds.
    let count: Int

    init(file: String, data: Data) {
        let valid = data.count >= Self.header.count && data.prefix(Self.header.count).elementsEqual(Self.header)
        self.file = file
        self.data = valid ? data : Data()
        self.count = valid ? data.occurrences(of: 0x0A) - 1 : 0
    }

    /// The cache for the context at `contextPath`, stored under `root/statcache/`.
    public static func open(root: StateRoot, contextPath: String) -> StatCache {
        let absolute = (contextPath as NSString).standardizingPath
        let dir = root.subdirectory("statcache")
        let file = dir + "/" + Digest.sha256(absolute).hex + ".tsv"
        return StatCache(file: file, data: FileManager.default.contents(atPath: file) ?? Data())
    }

    /// The cached digest of each regular file of `entries` (sorted by path bytes) whose stat data
    /// still matches, by index in `entries`.
    func digests(for entries: [ContextEntry]) -> [Int: String] {
        guard count > 0 else { return [:] }
        return data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var out: [Int: String] = [:]
            out.reserveCapacity(count)
            var cursor = Cursor(bytes: bytes, position: Self.header.count)
            for (i, e) in entries.enumerated() where e.kind == .file {
                var path = e.path
                path.withUTF8 { wanted in
                    if let line = cursor.seek(to: wanted), line.entry == Entry(e) { out[i] = line.digest() }
                }
            }
            return out
        }
    }

    /// Walks the cache's lines forward, one parsed line at a time.
    private struct Cursor {
        struct Line {
            let entry: Entry?
            let digestRange: Range<Int>
            let bytes: UnsafeBufferPointer<UInt8>
            func digest() -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[digestRange]), as: UTF8.self) }
        }

        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        /// The line at `position`: its path and its end.
        private var current: (path: Range<Int>, fields: [Range<Int>], end: Int)?

        init(bytes: UnsafeBufferPointer<UInt8>, position: Int) {
            self.bytes = bytes
            self.position = position
        }

        /// Moves past lines whose path sorts before `path`; the line for `path` if there is one.
        mutating func seek(to path: UnsafeBufferPointer<UInt8>) -> Line? {
            while let line = parse() {
                let order = Self.compare(UnsafeBufferPointer(rebasing: bytes[line.path]), path)
                if order > 0 { return nil }
                advance()
                if order == 0 { return Line(entry: entry(line.fields), digestRange: line.fields[6], bytes: bytes) }
            }
            return nil
        }

        private mutating func advance() {
            if let end = current?.end { position = end + 1 }
            current = nil
        }

        private mutating func parse() -> (path: Range<Int>, fields: [Range<Int>], end: Int)? {
            if let current { return current }
            while position < bytes.count {
                let end = bytes[position...].firstIndex(of: 0x0A) ?? bytes.count
                var fields: [Range<Int>] = []
                fields.reserveCapacity(7)
                var start = position
                for j in position..<end where bytes[j] == 0x09 && fields.count < 7 {
                    fields.append(start..<j)
                    start = j + 1
                }
                if fields.count == 7 {
                    current = (start..<end, fields, end)
                    return current
                }
                position = end + 1  // a damaged line: skipped
            }
            return nil
        }

        private func entry(_ fields: [Range<Int>]) -> Entry? {
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

        static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
            let n = min(a.count, b.count)
            if n > 0, let x = a.baseAddress, let y = b.baseAddress {
                let c = memcmp(x, y, n)
                if c != 0 { return Int(c) }
            }
            return a.count - b.count
        }
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
