import Foundation

/// Reads a tar stream entry by entry: ustar, PAX (`x` local and `g` global headers, including
/// `SCHILY.xattr.*` and `LIBARCHIVE.xattr.*` attributes), GNU long names (`L`/`K`) and GNU
/// base-256 numbers, and old v7 headers. Streaming: an entry's data is read (or skipped) before
/// the next header, so a multi-gigabyte layer never sits in memory.
///
/// Everything that is malformed — a bad checksum, a truncated entry, an oversized PAX header,
/// sparse files — throws `ImageError.badArchive`; judging whether a path is safe is the
/// extractor's job, not the reader's.
public final class TarReader {
    private let source: ByteSource
    private var remaining: Int64 = 0
    private var padding: Int64 = 0
    private var globalPax: [String: Data] = [:]
    private var ended = false
    /// PAX and GNU long-name payloads larger than this are refused (they are metadata).
    private static let metadataLimit: Int64 = 1 << 20

    public init(_ source: ByteSource) {
        self.source = source
    }

    /// The next entry, or nil at the end of the archive (two zero blocks, or a clean EOF on a
    /// block boundary). Unread data of the previous entry is skipped.
    public func next() throws -> TarEntry? {
        guard !ended else { return nil }
        try skip(remaining + padding)
        remaining = 0
        padding = 0
        var localPax: [String: Data] = [:]
        var longName: String?
        var longLink: String?
        while true {
            var block = [UInt8](repeating: 0, count: TarWriter.blockSize)
            let n = try block.withUnsafeMutableBytes { try source.readFully(into: $0) }
            if n == 0 { ended = true; return nil }
            guard n == TarWriter.blockSize else { throw ImageError.badArchive("truncated header block") }
            if block.allSatisfy({ $0 == 0 }) { ended = true; return nil }
            try Self.verifyChecksum(block)
            let type = block[156]
            let size = try Self.number(block, 124, 12)
            guard size >= 0 else { throw ImageError.badArchive("negative entry size") }
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let data = try readMetadata(size: size)
                let records = try Self.parsePax(data)
                if type == UInt8(ascii: "g") {
                    globalPax.merge(records) { $1 }
                } else {
                    localPax.merge(records) { $1 }
                }
                continue
            case UInt8(ascii: "L"):
                longName = Self.string(Array(try readMetadata(size: size)))
                continue
            case UInt8(ascii: "K"):
                longLink = Self.string(Array(try readMetadata(size: size)))
                continue
            default:
                break
            }
            var entry = try Self.decodeHeader(block, size: size)
            let pax = globalPax.merging(localPax) { $1 }
            if let longName { entry.path = longName }
            if let longLink { entry.linkTarget = longLink }
            try Self.apply(pax: pax, to: &entry)
            var dataSize = entry.size
            if let paxSize = pax["size"].flatMap({ Int64(Self.string(Array($0))) }) { dataSize = paxSize }
            guard dataSize >= 0 else { throw ImageError.badArchive("negative entry size") }
            if entry.kind == .file && entry.path.hasSuffix("/") && type == 0 { entry.kind = .directory }
            // Links, directories and devices carry no data, but any bytes declared must be skipped.
            entry.size = entry.kind == .file ? dataSize : 0
            remaining = dataSize
            padding = (Int64(TarWriter.blockSize) - dataSize % Int64(TarWriter.blockSize)) % Int64(TarWriter.blockSize)
            return entry
        }
    }

    /// Reads the current entry's data; 0 at its end.
    public func readData(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0, !buffer.isEmpty else { return 0 }
        let want = Int(min(Int64(buffer.count), remaining))
        let n = try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
        guard n == want else { throw ImageError.badArchive("archive ends inside an entry's data") }
        remaining -= Int64(n)
        return n
    }

    /// The current entry's data in memory, refusing entries over `limit` bytes.
    public func readData(limit: Int64 = 64 << 20) throws -> Data {
        guard remaining <= limit else { throw ImageError.badArchive("entry of \(remaining) bytes is too large to read into memory") }
        var out = [UInt8](repeating: 0, count: Int(remaining))
        _ = try out.withUnsafeMutableBytes { raw in try readData(into: raw) }
        return Data(out)
    }

    /// Streams the current entry's data into `sink` (without finishing it).
    public func copyData(to sink: ByteSink) throws {
        var chunk = [UInt8](repeating: 0, count: 128 * 1024)
        while remaining > 0 {
            let n = try chunk.withUnsafeMutableBytes { try readData(into: $0) }
            try chunk.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    private func readMetadata(size: Int64) throws -> Data {
        guard size <= Self.metadataLimit else { throw ImageError.badArchive("extended header of \(size) bytes is too large") }
        var data = [UInt8](repeating: 0, count: Int(size))
        let n = try data.withUnsafeMutableBytes { try source.readFully(into: $0) }
        guard n == data.count else { throw ImageError.badArchive("archive ends inside an extended header") }
        try skip((Int64(TarWriter.blockSize) - size % Int64(TarWriter.blockSize)) % Int64(TarWriter.blockSize))
        return Data(data)
    }

    private func skip(_ count: Int64) throws {
        var left = count
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while left > 0 {
            let want = Int(min(Int64(chunk.count), left))
            let n = try chunk.withUnsafeMutableBytes { try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            guard n == want else { throw ImageError.badArchive("archive ends inside an entry's data") }
            left -= Int64(n)
        }
    }

    static func decodeHeader(_ block: [UInt8], size: Int64) throws -> TarEntry {
        var name = string(Array(block[0..<100]))
        let isUstar = block[257..<263].elementsEqual(Array("ustar\0".utf8))
        if isUstar {
            let prefix = string(Array(block[345..<500]))
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        let kind: TarEntry.Kind
        switch block[156] {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
        case UInt8(ascii: "1"): kind = .hardlink
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"), UInt8(ascii: "D"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        case UInt8(ascii: "S"): throw ImageError.badArchive("GNU sparse file \"\(name)\" is not supported")
        case let other:
            throw ImageError.badArchive("entry \"\(name)\" has unsupported type '\(Character(UnicodeScalar(other)))'")
        }
        let isDevice = kind == .characterDevice || kind == .blockDevice
        return TarEntry(
            path: name, kind: kind,
            mode: UInt32(truncatingIfNeeded: try number(block, 100, 8) & 0o7777),
            uid: Int(try number(block, 108, 8)), gid: Int(try number(block, 116, 8)),
            size: size, mtime: try number(block, 136, 12),
            linkTarget: string(Array(block[157..<257])),
            deviceMajor: isDevice ? UInt32(truncatingIfNeeded: try number(block, 329, 8)) : 0,
            deviceMinor: isDevice ? UInt32(truncatingIfNeeded: try number(block, 337, 8)) : 0,
            userName: string(Array(block[265..<297])), groupName: string(Array(block[297..<329])))
    }

    static func apply(pax: [String: Data], to entry: inout TarEntry) throws {
        for (key, value) in pax {
            let text = string(Array(value))
            switch key {
            case "path": entry.path = text
            case "linkpath": entry.linkTarget = text
            case "uid": entry.uid = try integer(text, key)
            case "gid": entry.gid = try integer(text, key)
            case "uname": entry.userName = text
            case "gname": entry.groupName = text
            case "mtime":
                let whole = text.split(separator: ".", maxSplits: 1).first.map(String.init) ?? text
                entry.mtime = Int64(try integer(whole, key))
            case "SCHILY.devmajor": entry.deviceMajor = UInt32(truncatingIfNeeded: try integer(text, key))
            case "SCHILY.devminor": entry.deviceMinor = UInt32(truncatingIfNeeded: try integer(text, key))
            default:
                if key.hasPrefix("SCHILY.xattr.") {
                    entry.xattrs[String(key.dropFirst("SCHILY.xattr.".count))] = value
                } else if key.hasPrefix("LIBARCHIVE.xattr.") {
                    let name = String(key.dropFirst("LIBARCHIVE.xattr.".count)).removingPercentEncoding ?? ""
                    var b64 = text
                    while b64.count % 4 != 0 { b64 += "=" }
                    if !name.isEmpty, let decoded = Data(base64Encoded: b64) { entry.xattrs[name] = decoded }
                } else if key.hasPrefix("GNU.sparse.") {
                    throw ImageError.badArchive("GNU sparse file \"\(entry.path)\" is not supported")
                }
            }
        }
    }

    static func parsePax(_ data: Data) throws -> [String: Data] {
        let bytes = Array(data)
        var records: [String: Data] = [:]
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0 { break }   // some writers pad the PAX payload with NULs
            guard let space = bytes[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(string(Array(bytes[i..<space]))), length > 0,
                  i + length <= bytes.count, bytes[i + length - 1] == UInt8(ascii: "\n"),
                  let equals = bytes[(space + 1)..<(i + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw ImageError.badArchive("malformed PAX record")
            }
            let key = string(Array(bytes[(space + 1)..<equals]))
            records[key] = Data(bytes[(equals + 1)..<(i + length - 1)])
            i += length
        }
        return records
    }

    /// A numeric header field: octal text (space/NUL padded) or GNU base-256 (high bit set).
    static func number(_ block: [UInt8], _ offset: Int, _ width: Int) throws -> Int64 {
        let field = block[offset..<(offset + width)]
        if let first = field.first, first & 0x80 != 0 {
            var value: Int64 = first & 0x40 != 0 ? -1 : 0
            value = (value << 6) | Int64(first & 0x3f)
            for byte in field.dropFirst() {
                guard value.leadingZeroBitCount > 8 || value < 0 else { throw ImageError.badArchive("numeric field overflows") }
                value = (value << 8) | Int64(byte)
            }
            return value
        }
        let text = string(Array(field)).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Int64(text, radix: 8) else { throw ImageError.badArchive("bad numeric field \"\(text)\"") }
        return value
    }

    static func verifyChecksum(_ block: [UInt8]) throws {
        let recorded = try number(block, 148, 8)
        var unsigned = 0
        var signed = 0
        for (i, byte) in block.enumerated() {
            let b = (148..<156).contains(i) ? UInt8(ascii: " ") : byte
            unsigned += Int(b)
            signed += Int(Int8(bitPattern: b))
        }
        guard recorded == Int64(unsigned) || recorded == Int64(signed) else {
            throw ImageError.badArchive("header checksum mismatch (not a tar archive, or corrupt)")
        }
    }

    static func integer(_ text: String, _ key: String) throws -> Int {
        guard let value = Int(text) else { throw ImageError.badArchive("bad PAX \(key) \"\(text)\"") }
        return value
    }

    /// A NUL-terminated field as text.
    static func string(_ bytes: [UInt8]) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[0..<end], as: UTF8.self)
    }
}
