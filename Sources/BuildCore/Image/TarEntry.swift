import Foundation

/// One tar header, decoded: what `TarReader` yields and `TarWriter` encodes. Paths are relative
/// and use `/`; a directory's path carries no trailing slash here (the writer adds it).
public struct TarEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file, directory, symlink, hardlink, characterDevice, blockDevice, fifo
    }

    public var path: String
    public var kind: Kind
    /// Permission bits including setuid/setgid/sticky (`0o7777`), never the file-type bits.
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    /// Data size; always 0 for everything but regular files.
    public var size: Int64
    /// Seconds since the epoch (sub-second precision is dropped on purpose: it only breaks
    /// reproducibility).
    public var mtime: Int64
    /// The symlink target, or for a hardlink the archive path it links to.
    public var linkTarget: String
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// Extended attributes (`SCHILY.xattr.*` PAX records), written in key order.
    public var xattrs: [String: Data]
    public var userName: String
    public var groupName: String

    public init(path: String, kind: Kind, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0, size: Int64 = 0,
                mtime: Int64 = 0, linkTarget: String = "", deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0,
                xattrs: [String: Data] = [:], userName: String = "", groupName: String = "") {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
        self.linkTarget = linkTarget
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.xattrs = xattrs
        self.userName = userName
        self.groupName = groupName
    }

    public static func file(_ path: String, size: Int64, mode: UInt32 = 0o644, mtime: Int64 = 0) -> TarEntry {
        TarEntry(path: path, kind: .file, mode: mode, size: size, mtime: mtime)
    }

    public static func directory(_ path: String, mode: UInt32 = 0o755, mtime: Int64 = 0) -> TarEntry {
        TarEntry(path: path, kind: .directory, mode: mode, mtime: mtime)
    }

    public static func symlink(_ path: String, to target: String, mtime: Int64 = 0) -> TarEntry {
        TarEntry(path: path, kind: .symlink, mode: 0o777, mtime: mtime, linkTarget: target)
    }

    /// The ustar type flag.
    var typeFlag: UInt8 {
        switch kind {
        case .file: UInt8(ascii: "0")
        case .hardlink: UInt8(ascii: "1")
        case .symlink: UInt8(ascii: "2")
        case .characterDevice: UInt8(ascii: "3")
        case .blockDevice: UInt8(ascii: "4")
        case .directory: UInt8(ascii: "5")
        case .fifo: UInt8(ascii: "6")
        }
    }

    /// The entry's path with `./` and `/` prefixes and trailing slashes removed; `""` is the
    /// archive root. Does not judge `..`: extraction does that.
    public var cleanPath: String {
        TarEntry.clean(path)
    }

    static func clean(_ path: String) -> String {
        var components: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            components.append(part)
        }
        return components.joined(separator: "/")
    }
}
