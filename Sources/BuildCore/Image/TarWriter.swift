import Foundation

/// Writes a tar stream: ustar headers, with a PAX extended header (`x`) in front of any entry
/// that ustar cannot express — long or non-ASCII names and link names, sizes of 8 GiB and more,
/// large uid/gid, device numbers, or extended attributes (`SCHILY.xattr.<name>`).
///
/// The output is a function of the entries alone: no atime/ctime, no user or group names unless
/// given, PAX headers named `PaxHeaders.0/<name>` with mode and mtime 0, PAX records in key
/// order, and mtimes clamped to `sourceDateEpoch` when one is set. Callers that want a
/// reproducible archive also add entries in a stable order (`appendDirectory` sorts).
public final class TarWriter {
    public static let blockSize = 512

    private let sink: ByteSink
    /// Mtimes later than this are written as this (SOURCE_DATE_EPOCH semantics).
    public let sourceDateEpoch: Int64?
    private var remaining: Int64 = 0
    private var padding = 0
    private var inEntry = false
    private var currentPath = ""

    public init(sink: ByteSink, sourceDateEpoch: Int64? = nil) {
        self.sink = sink
        self.sourceDateEpoch = sourceDateEpoch
    }

    /// Starts an entry; exactly `entry.size` bytes of data must follow for regular files.
    public func writeHeader(_ entry: TarEntry) throws {
        try closeEntry()
        var entry = entry
        if let epoch = sourceDateEpoch, entry.mtime > epoch { entry.mtime = epoch }
        if entry.kind != .file { entry.size = 0 }
        var name = entry.cleanPath
        if entry.kind == .directory && !name.isEmpty { name += "/" }
        if name.isEmpty { name = "./" }

        var pax: [(String, Data)] = []
        func needsPax(_ text: String, limit: Int) -> Bool {
            text.utf8.count > limit || text.utf8.contains { $0 >= 0x80 }
        }
        if needsPax(name, limit: 100) { pax.append(("path", Data(name.utf8))) }
        if needsPax(entry.linkTarget, limit: 100) { pax.append(("linkpath", Data(entry.linkTarget.utf8))) }
        if entry.size > 0o77777777777 { pax.append(("size", Data(String(entry.size).utf8))) }
        if entry.uid > 0o7777777 || entry.uid < 0 { pax.append(("uid", Data(String(entry.uid).utf8))) }
        if entry.gid > 0o7777777 || entry.gid < 0 { pax.append(("gid", Data(String(entry.gid).utf8))) }
        if entry.mtime > 0o77777777777 || entry.mtime < 0 { pax.append(("mtime", Data(String(entry.mtime).utf8))) }
        if needsPax(entry.userName, limit: 32) { pax.append(("uname", Data(entry.userName.utf8))) }
        if needsPax(entry.groupName, limit: 32) { pax.append(("gname", Data(entry.groupName.utf8))) }
        if entry.deviceMajor > 0o7777777 { pax.append(("SCHILY.devmajor", Data(String(entry.deviceMajor).utf8))) }
        if entry.deviceMinor > 0o7777777 { pax.append(("SCHILY.devminor", Data(String(entry.deviceMinor).utf8))) }
        for (key, value) in entry.xattrs { pax.append(("SCHILY.xattr." + key, value)) }

        if !pax.isEmpty {
            let records = Self.paxRecords(pax)
            let base = (name.hasSuffix("/") ? String(name.dropLast()) : name)
            let slash = base.lastIndex(of: "/")
            let dir = slash.map { String(base[...$0]) } ?? ""
            let file = slash.map { String(base[base.index(after: $0)...]) } ?? base
            let paxName = dir + "PaxHeaders.0/" + file
            let header = Self.header(name: paxName, mode: 0, uid: 0, gid: 0, size: Int64(records.count), mtime: 0,
                                     type: UInt8(ascii: "x"), link: "", user: "", group: "", major: 0, minor: 0)
            try sink.write(header)
            try sink.write(records)
            try writeZeros(Self.padding(for: Int64(records.count)))
        }
        let header = Self.header(name: name, mode: entry.mode & 0o7777, uid: entry.uid, gid: entry.gid, size: entry.size,
                                 mtime: entry.mtime, type: entry.typeFlag, link: entry.linkTarget,
                                 user: entry.userName, group: entry.groupName,
                                 major: entry.deviceMajor, minor: entry.deviceMinor)
        try sink.write(header)
        remaining = entry.size
        padding = Self.padding(for: entry.size)
        inEntry = true
        currentPath = name
    }

    /// Appends data to the current entry; never more than its declared size.
    public func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard inEntry, Int64(bytes.count) <= remaining else {
            throw ImageError.badArchive("more data than the header of \"\(currentPath)\" declares")
        }
        try sink.write(bytes)
        remaining -= Int64(bytes.count)
    }

    /// Writes a whole entry; a regular file's size is taken from `data`.
    public func write(_ entry: TarEntry, data: Data = Data()) throws {
        var entry = entry
        if entry.kind == .file { entry.size = Int64(data.count) }
        try writeHeader(entry)
        if !data.isEmpty { try data.withUnsafeBytes { try writeData($0) } }
        try closeEntry()
    }

    /// Writes a regular file entry whose data is read from `source` (`entry.size` bytes).
    public func write(_ entry: TarEntry, contentsOf source: ByteSource) throws {
        try writeHeader(entry)
        var chunk = [UInt8](repeating: 0, count: 128 * 1024)
        while remaining > 0 {
            let want = Int(min(Int64(chunk.count), remaining))
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            if n == 0 { throw ImageError.badArchive("\"\(currentPath)\" is shorter than its size (changed while archiving?)") }
            try chunk.withUnsafeBytes { try writeData(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        try closeEntry()
    }

    /// Ends the archive (two zero blocks) and finishes the sink.
    public func finish() throws {
        try closeEntry()
        try sink.write([UInt8](repeating: 0, count: TarWriter.blockSize * 2))
        try sink.finish()
    }

    private func closeEntry() throws {
        guard inEntry else { return }
        guard remaining == 0 else {
            throw ImageError.badArchive("\"\(currentPath)\" ended \(remaining) bytes short of its declared size")
        }
        try writeZeros(padding)
        inEntry = false
    }

    /// Zero bytes that round `size` up to a whole block.
    static func padding(for size: Int64) -> Int {
        Int((Int64(blockSize) - size % Int64(blockSize)) % Int64(blockSize))
    }

    private func writeZeros(_ count: Int) throws {
        if count > 0 { try sink.write([UInt8](repeating: 0, count: count)) }
    }

    /// PAX records `"<len> <key>=<value>\n"` sorted by key, where `<len>` counts the whole record.
    static func paxRecords(_ records: [(String, Data)]) -> Data {
        var out = Data()
        for (key, value) in records.sorted(by: { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }) {
            let body = 1 + key.utf8.count + 1 + value.count + 1
            var length = body + String(body).count
            if String(length).count != String(body).count { length = body + String(length).count }
            out.append(contentsOf: Array("\(length) \(key)=".utf8))
            out.append(value)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func header(name: String, mode: UInt32, uid: Int, gid: Int, size: Int64, mtime: Int64, type: UInt8,
                       link: String, user: String, group: String, major: UInt32, minor: UInt32) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let max = (Int64(1) << (3 * Int64(width - 1))) - 1
            let clamped = value < 0 || value > max ? 0 : value   // the PAX record carries the real value
            let digits = String(clamped, radix: 8)
            put(String(repeating: "0", count: width - 1 - digits.count) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(mode), at: 100, width: 8)
        octal(Int64(uid), at: 108, width: 8)
        octal(Int64(gid), at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        block[156] = type
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(user, at: 265, width: 32)
        put(group, at: 297, width: 32)
        if type == UInt8(ascii: "3") || type == UInt8(ascii: "4") {
            octal(Int64(major), at: 329, width: 8)
            octal(Int64(minor), at: 337, width: 8)
        }
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - digits.count) + digits, at: 148, width: 6)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }
}
