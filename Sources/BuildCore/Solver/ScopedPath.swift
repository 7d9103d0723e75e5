import CLinux
import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Resolves a path from untrusted input (a Dockerfile, a context, an archive, a stage's files)
/// inside a root directory the way the container would see it: symlinks are followed relative to
/// the root (an absolute link `/etc` means `<root>/etc`) and `..` never climbs above it.
///
/// The kernel does the walk: `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)` on the root's
/// descriptor, so there is no second, host-side resolution of a link to race or to get wrong. The
/// answer is the host path the kernel reached (read back from `/proc/self/fd`), which contains
/// no symlink: every component was resolved, except the last one when `followFinal` is false.
/// A walk that cannot finish (a loop, more than 40 links) throws; it never falls back to the
/// host's own resolution.
///
/// This is the only way the engine joins a host directory with a path from a build; the trees it
/// is used on are never changed by anyone else while a step uses them (committed snapshots, the
/// step's own rootfs, the user's context).
enum ScopedPath {
    /// A path that could not be resolved inside its root.
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot resolve \(GoQuote.quote(path)): \(reason)" }
    }

    /// Links followed before giving up, as the kernel's own limit.
    static let maxLinks = 40

    static func resolve(_ path: String, in root: String, followFinal: Bool = true) throws -> String {
        let rootFD = Glibc.open(root, swb_o_path() | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw Failure(path: path, reason: "cannot open the root \(root): \(errnoText())") }
        defer { close(rootFD) }
        var hops = 0
        let below = try resolve(lexicalComponents(path), rootFD: rootFD, followFinal: followFinal, hops: &hops, display: path)
        return below.isEmpty ? root : root + "/" + below.joined(separator: "/")
    }

    /// The resolved path as components below `root`; none is `.`, `..` or a symlink, except the
    /// last one when `followFinal` is false.
    static func components(_ path: String, in root: String, followFinal: Bool = true) throws -> [String] {
        let resolved = try resolve(path, in: root, followFinal: followFinal)
        return resolved.dropFirst(root.count).split(separator: "/").map(String.init)
    }

    /// The bytes of the file at `path` inside `root`, or nil when it does not exist. A name that
    /// resolves to something other than a regular file is an error (and a FIFO or device is
    /// never opened).
    static func read(_ path: String, in root: String, limit: Int = 64 << 20) throws -> Data? {
        let resolved = try resolve(path, in: root)
        let pathFD = Glibc.open(resolved, swb_o_path() | O_CLOEXEC | O_NOFOLLOW)
        if pathFD < 0 && errno == ENOENT { return nil }
        guard pathFD >= 0 else { throw Failure(path: path, reason: errnoText()) }
        defer { close(pathFD) }
        var st = stat()
        guard fstat(pathFD, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw Failure(path: path, reason: "not a regular file") }
        // Reopened through the descriptor just checked: the same file, never a device or FIFO.
        let fd = Glibc.open("/proc/self/fd/\(pathFD)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, reason: errnoText()) }
        defer { close(fd) }
        guard Int(st.st_size) <= limit else { throw Failure(path: path, reason: "larger than \(limit) bytes") }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Failure(path: path, reason: errnoText()) }
            if n == 0 { break }
            data.append(buffer, count: n)
            if data.count > limit { throw Failure(path: path, reason: "larger than \(limit) bytes") }
        }
        return data
    }

    // MARK: - The walk

    private static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// `path` split on `/`, empty and `.` components dropped (`..` is kept: it is resolved
    /// against what the components before it turned out to be).
    private static func lexicalComponents(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    /// The host path of an open descriptor, as components below the root's host path.
    private static func componentsBelowRoot(_ fd: Int32, rootFD: Int32, display: String) throws -> [String] {
        let own = try hostPath(fd, display: display), base = try hostPath(rootFD, display: display)
        if own == base { return [] }
        let prefix = base == "/" ? "/" : base + "/"
        guard own.hasPrefix(prefix) else { throw Failure(path: display, reason: "resolved outside its root") }
        return own.dropFirst(prefix.count).split(separator: "/").map(String.init)
    }

    private static func hostPath(_ fd: Int32, display: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard n > 0 else { throw Failure(path: display, reason: "cannot read back its location: \(errnoText())") }
        guard n < buffer.count - 1 else { throw Failure(path: display, reason: "resolves to a path longer than \(PATH_MAX) bytes") }
        let text = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasSuffix(" (deleted)") { throw Failure(path: display, reason: "removed while it was resolved") }
        return text
    }

    /// Resolves `parts` below the root. A missing final part is fine (the caller is about to
    /// create it); a missing final part that is a dangling symlink resolves to the link's target,
    /// so a write through it lands where the container would put it.
    private static func resolve(_ parts: [String], rootFD: Int32, followFinal: Bool, hops: inout Int,
                                display: String) throws -> [String] {
        guard let last = parts.last else { return [] }
        let joined = parts.joined(separator: "/")
        let flags = swb_o_path() | (followFinal || last == ".." ? 0 : O_NOFOLLOW)
        if !followFinal && last != ".." {
            // Only the parents are followed; the last name is taken as it is.
            let parent = try resolve(Array(parts.dropLast()), rootFD: rootFD, followFinal: true, hops: &hops, display: display)
            return parent + [last]
        }
        let fd = swb_openat_in_root(rootFD, joined, Int32(flags), 0)
        if fd >= 0 {
            defer { close(fd) }
            return try componentsBelowRoot(fd, rootFD: rootFD, display: display)
        }
        let code = errno
        switch code {
        case ENOENT where last != "..":
            let parent = try resolve(Array(parts.dropLast()), rootFD: rootFD, followFinal: true, hops: &hops, display: display)
            // A dangling link: follow it by hand, counting the hop.
            let linkFD = swb_openat_in_root(rootFD, (parent + [last]).joined(separator: "/"), Int32(swb_o_path() | O_NOFOLLOW), 0)
            guard linkFD >= 0 else {
                if errno == ENOENT { return parent + [last] }
                throw Failure(path: display, reason: errnoText())
            }
            defer { close(linkFD) }
            var st = stat()
            guard fstat(linkFD, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return parent + [last] }
            hops += 1
            guard hops <= maxLinks else { throw Failure(path: display, reason: errnoText(ELOOP)) }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(linkFD, "", &buffer, buffer.count - 1)
            guard n >= 0 else { throw Failure(path: display, reason: errnoText()) }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let next = target.hasPrefix("/") ? lexicalComponents(target) : parent + lexicalComponents(target)
            return try resolve(next, rootFD: rootFD, followFinal: true, hops: &hops, display: display)
        case ENOTDIR:
            throw Failure(path: display, reason: "a parent is not a directory")
        default:
            throw Failure(path: display, reason: errnoText(code))
        }
    }
}
