import CZlib
import Foundation

/// One entry of a layer as overlayfs keeps it: what the layer explorer lists and what image
/// efficiency is computed from.
public struct LayerFile: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case file = 0x66          // f
        case directory = 0x64     // d
        case symlink = 0x6C       // l
        /// A further link to a file listed earlier in the layer (a tar hardlink: no bytes of its own).
        case hardlink = 0x68      // h
        /// The path is deleted: the entry below is gone from the image.
        case whiteout = 0x77      // w
        case device = 0x63        // c
        case fifo = 0x70          // p
    }

    /// Relative to the layer's root, without a leading slash (`usr/bin/env`).
    public var path: String
    public var kind: Kind
    /// Permission bits with setuid/setgid/sticky (`0o4755`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Bytes of content (files only; what a tar entry would carry).
    public var size: Int64
    /// A symlink's target or the file a hardlink points at.
    public var linkTarget: String?
    /// A directory whose lower contents this layer hides (overlay's opaque marker).
    public var opaque: Bool

    public init(path: String, kind: Kind, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0, size: Int64 = 0,
                linkTarget: String? = nil, opaque: Bool = false) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.linkTarget = linkTarget
        self.opaque = opaque
    }
}

/// The files of one layer, recorded when the layer is made (`<root>/layers/<id>/files`) so a
/// layer opens without reading its tree or any tarball again.
///
/// The format is made to load 100,000 entries in a few milliseconds: a header line
/// `swbuild-files 1\n`, then per entry three NUL-terminated fields: `KIND MODE UID GID SIZE OPAQUE`
/// (kind as one letter, mode in octal, the rest decimal), the path, and the link target (empty
/// for none). Paths never contain NUL, so no escaping is needed.
public struct LayerFileList: Sendable, Equatable {
    public var files: [LayerFile]
    static let header = Array("swbuild-files 1\n".utf8)

    public init(files: [LayerFile]) { self.files = files }

    /// Bytes of content in the layer (its files' sizes, as dive and `docker history` count them).
    public var contentSize: Int64 { files.reduce(0) { $0 + $1.size } }

    // MARK: Reading a layer directory

    /// Lists an overlay-format layer directory, depth first in bytewise name order (the order
    /// its tar has), and measures the bytes it allocates on disk (each inode once).
    public static func scan(_ root: String) throws -> (list: LayerFileList, diskUsage: Int64) {
        var files: [LayerFile] = []
        var seen = Set<UInt64>()
        var links: [UInt64: String] = [:]
        var usage: Int64 = 0
        if let attributes = try? FileAttributes.read(root), seen.insert(attributes.inode).inserted {
            usage += attributes.blocks * 512
        }
        func walk(_ directory: String, _ relative: String) throws {
            for name in try FileAttributes.sortedNames(directory) {
                let absolute = directory + "/" + name
                let path = relative.isEmpty ? name : relative + "/" + name
                let a = try FileAttributes.read(absolute)
                let firstSight = seen.insert(a.inode).inserted
                if firstSight { usage += a.blocks * 512 }
                var entry = LayerFile(path: path, kind: .file, mode: a.mode, uid: UInt32(a.uid), gid: UInt32(a.gid))
                switch a.kind {
                case .characterDevice where a.isWhiteout:
                    entry.kind = .whiteout
                    entry.mode = 0
                case .directory:
                    entry.kind = .directory
                    entry.opaque = isOpaque(absolute)
                    files.append(entry)
                    try walk(absolute, path)
                    continue
                case .file:
                    if a.linkCount > 1, let first = links[a.inode] {
                        entry.kind = .hardlink
                        entry.linkTarget = first
                    } else {
                        if a.linkCount > 1 { links[a.inode] = path }
                        entry.size = a.size
                    }
                case .symlink:
                    entry.kind = .symlink
                    entry.linkTarget = try TarWriter.readLink(absolute)
                case .characterDevice, .blockDevice:
                    entry.kind = .device
                case .fifo:
                    entry.kind = .fifo
                case .socket:
                    continue
                }
                files.append(entry)
            }
        }
        try walk(root, "")
        return (LayerFileList(files: files), usage)
    }

    private static func isOpaque(_ path: String) -> Bool {
        var value: UInt8 = 0
        return lgetxattr(path, "trusted.overlay.opaque", &value, 1) == 1 && value == UInt8(ascii: "y")
    }

    // MARK: Encoding

    public func encoded() -> [UInt8] {
        var out = Self.header
        out.reserveCapacity(files.count * 48)
        func decimal<T: BinaryInteger>(_ n: T, radix: T = 10) {
            if n == 0 { out.append(0x30); return }
            var digits: [UInt8] = []
            var v = n
            while v > 0 { digits.append(0x30 + UInt8(v % radix)); v /= radix }
            out.append(contentsOf: digits.reversed())
        }
        for f in files {
            out.append(f.kind.rawValue)
            out.append(0x20)
            decimal(f.mode, radix: 8)
            out.append(0x20)
            decimal(f.uid)
            out.append(0x20)
            decimal(f.gid)
            out.append(0x20)
            decimal(f.size)
            out.append(0x20)
            out.append(f.opaque ? 0x31 : 0x30)
            out.append(0)
            out.append(contentsOf: f.path.utf8)
            out.append(0)
            if let target = f.linkTarget { out.append(contentsOf: target.utf8) }
            out.append(0)
        }
        return out
    }

    /// Parses `encoded()` output; anything else is `ImageError.invalidImage` naming `what`.
    public static func decode(_ bytes: [UInt8], what: String) throws -> LayerFileList {
        guard bytes.starts(with: header) else { throw ImageError.invalidImage("\(what): not a layer file list") }
        return try bytes.withUnsafeBufferPointer { buffer throws -> LayerFileList in
            var files: [LayerFile] = []
            var i = header.count
            let end = buffer.count
            func field() throws -> Range<Int> {
                let start = i
                while i < end, buffer[i] != 0 { i += 1 }
                guard i < end else { throw ImageError.invalidImage("\(what): truncated") }
                defer { i += 1 }
                return start..<i
            }
            func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buffer[r]), as: UTF8.self) }
            while i < end {
                let meta = try field()
                var numbers: [Int64] = []
                numbers.reserveCapacity(5)
                var j = meta.lowerBound + 2
                var radix: Int64 = 8
                while j <= meta.upperBound, numbers.count < 5 {
                    var value: Int64 = 0
                    var digits = 0
                    while j < meta.upperBound, buffer[j] != 0x20 {
                        let d = Int64(buffer[j]) - 0x30
                        guard d >= 0, d < radix else { throw ImageError.invalidImage("\(what): bad number") }
                        value = value * radix + d
                        digits += 1
                        j += 1
                    }
                    guard digits > 0 else { throw ImageError.invalidImage("\(what): bad entry") }
                    numbers.append(value)
                    radix = 10
                    j += 1
                }
                guard meta.count >= 2, numbers.count == 5, let kind = LayerFile.Kind(rawValue: buffer[meta.lowerBound]),
                      numbers[0] <= 0o7777, numbers[1] <= UInt32.max, numbers[2] <= UInt32.max, numbers[3] >= 0 else {
                    throw ImageError.invalidImage("\(what): bad entry")
                }
                let path = try field()
                let target = try field()
                files.append(LayerFile(path: text(path), kind: kind, mode: UInt32(numbers[0]), uid: UInt32(numbers[1]),
                                       gid: UInt32(numbers[2]), size: numbers[3],
                                       linkTarget: target.isEmpty ? nil : text(target), opaque: numbers[4] == 1))
            }
            return LayerFileList(files: files)
        }
    }
}
