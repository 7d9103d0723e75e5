import Foundation

/// Resolves `USER`/`--chown` values (`name`, `uid`, `name:group`, `uid:gid`) against the image's
/// own /etc/passwd and /etc/group, as BuildKit does; numeric ids need no entry.
public struct UserResolver: Sendable {
    public struct Identity: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]
    }

    public var rootfs: String

    public init(rootfs: String) {
        self.rootfs = rootfs
    }

    /// Unknown names resolve to nil so the caller can report them with the step's location.
    public func identity(_ spec: String) -> Identity? {
        if spec.isEmpty { return Identity(uid: 0, gid: 0, additionalGids: []) }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let passwd = Self.table("/etc/passwd", in: rootfs)
        let groups = Self.table("/etc/group", in: rootfs)
        var uid: UInt32
        var gid: UInt32 = 0
        if let n = UInt32(parts[0]) {
            uid = n
            if let row = passwd.first(where: { $0.count > 3 && $0[2] == parts[0] }) { gid = UInt32(row[3]) ?? 0 }
        } else if let row = passwd.first(where: { $0.count > 3 && $0[0] == parts[0] }) {
            uid = UInt32(row[2]) ?? 0
            gid = UInt32(row[3]) ?? 0
        } else {
            return nil
        }
        if parts.count == 2 {
            if let n = UInt32(parts[1]) {
                gid = n
            } else if let row = groups.first(where: { $0.count > 2 && $0[0] == parts[1] }) {
                gid = UInt32(row[2]) ?? 0
            } else {
                return nil
            }
        }
        var extra: [UInt32] = []
        if parts.count == 1, let name = passwd.first(where: { $0.count > 2 && $0[2] == String(uid) })?.first {
            for row in groups where row.count > 3 && row[3].split(separator: ",").contains(Substring(name)) {
                if let g = UInt32(row[2]), g != gid { extra.append(g) }
            }
        }
        return Identity(uid: uid, gid: gid, additionalGids: extra)
    }

    /// The owner a file op's `--chown` gives, as BuildKit's file ops resolve it (not as RUN's
    /// USER): a number is that uid and the same gid; a name is looked up in the image's passwd and
    /// means 0:0 when it is not there; `:group` (a number, or a name in /etc/group) then sets the
    /// gid, an unknown group name leaving the user's.
    public func chownOwner(_ spec: String) -> (uid: UInt32, gid: UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var uid: UInt32 = 0, gid: UInt32 = 0
        if let n = UInt32(parts[0]) {
            (uid, gid) = (n, n)
        } else if let row = Self.table("/etc/passwd", in: rootfs).first(where: { $0.count > 3 && $0[0] == parts[0] }) {
            (uid, gid) = (UInt32(row[2]) ?? 0, UInt32(row[3]) ?? 0)
        }
        if parts.count == 2 {
            if let n = UInt32(parts[1]) {
                gid = n
            } else if let row = Self.table("/etc/group", in: rootfs).first(where: { $0.count > 2 && $0[0] == parts[1] }) {
                gid = UInt32(row[2]) ?? gid
            }
        }
        return (uid, gid)
    }

    /// The rows of the image's `path`, read inside the rootfs: a link `/etc/passwd -> /...` is
    /// followed in the image, never to the host's file. Missing or unreadable means no rows.
    static func table(_ path: String, in rootfs: String) -> [[String]] {
        guard let data = try? ScopedPath.read(path, in: rootfs, limit: 16 << 20) else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }
}
