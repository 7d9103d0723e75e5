import CZlib
import Foundation

/// A directory that writes can never leave. Every operation takes a path relative to the root,
/// walks its parents one component at a time with `openat(O_NOFOLLOW | O_DIRECTORY)` and acts
/// on the last component with the `*at` calls, so neither `..`, an absolute path, nor a symbolic
/// link planted earlier (by the same archive, or a lower layer) can redirect a write outside.
/// Final components are created with `O_EXCL | O_NOFOLLOW` after removing what was there, so a
/// write never goes *through* an existing symlink or hardlink either.
///
/// This is the one place extraction (hostile tar archives) and rootfs merging touch the disk.
final class ConfinedDirectory {
    let root: String
    private let rootFD: Int32

    init(root: String) throws {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError.posix("open", root) }
        self.root = root
        rootFD = fd
    }

    deinit { close(rootFD) }

    /// Splits and checks a relative path: no empty result, no `..`, not absolute. `.` and empty
    /// components are dropped.
    static func components(_ path: String) throws -> [String] {
        if path.hasPrefix("/") { throw ImageError.unsafeEntry(path: path, reason: "absolute path") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.contains("..") { throw ImageError.unsafeEntry(path: path, reason: "path contains \"..\"") }
        return parts
    }

    /// An open descriptor for the parent directory of `parts`, which the caller must close.
    /// Missing parents are created (0755, root-owned) when `create` is set.
    func openParent(_ parts: [String], create: Bool, display: String) throws -> Int32 {
        var fd = dup(rootFD)
        guard fd >= 0 else { throw ImageError.posix("dup", root) }
        for name in parts.dropLast() {
            var next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, name, 0o755) != 0 && errno != EEXIST {
                    let code = errno
                    close(fd)
                    throw ImageError.posix("mkdir", display, code)
                }
                next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                let code = errno
                close(fd)
                if code == ELOOP || code == ENOTDIR {
                    throw ImageError.unsafeEntry(path: display, reason: "a parent directory is a symbolic link or not a directory")
                }
                throw ImageError.posix("open", display, code)
            }
            close(fd)
            fd = next
        }
        return fd
    }

    /// Runs `body` with the parent directory's descriptor and the final name.
    func withParent<T>(_ path: String, create: Bool = true, _ body: (Int32, String) throws -> T) throws -> T {
        let parts = try Self.components(path)
        guard let name = parts.last else { throw ImageError.unsafeEntry(path: path, reason: "names the root itself") }
        let fd = try openParent(parts, create: create, display: path)
        defer { close(fd) }
        return try body(fd, name)
    }

    /// `fstatat` without following; nil when the entry does not exist.
    static func attributes(_ parent: Int32, _ name: String) -> FileAttributes? {
        var st = stat()
        guard fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileAttributes(st)
    }

    /// Removes `name` under `parent`, recursively for directories; absent is fine.
    static func remove(_ parent: Int32, _ name: String, display: String) throws {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM else { throw ImageError.posix("remove", display) }
        try removeChildren(parent, name, display: display)
        if unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT { throw ImageError.posix("rmdir", display) }
    }

    /// Empties a directory without removing it (overlay opaque semantics).
    static func removeChildren(_ parent: Int32, _ name: String, display: String) throws {
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError.posix("open", display) }
        guard let dir = fdopendir(fd) else {
            close(fd)
            throw ImageError.posix("opendir", display)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let child = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            if child != "." && child != ".." { names.append(child) }
        }
        for child in names { try remove(fd, child, display: display + "/" + child) }
    }

    /// Makes sure `name` is a directory (replacing anything else), keeping an existing one.
    static func ensureDirectory(_ parent: Int32, _ name: String, mode: UInt32, display: String) throws {
        if let existing = attributes(parent, name) {
            if existing.kind == .directory { return }
            try remove(parent, name, display: display)
        }
        guard mkdirat(parent, name, mode_t(mode & 0o7777)) == 0 else { throw ImageError.posix("mkdir", display) }
    }

    /// Creates `name` as a new regular file (after removing what was there) and returns its fd.
    static func createFile(_ parent: Int32, _ name: String, display: String) throws -> Int32 {
        try remove(parent, name, display: display)
        let fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ImageError.posix("create", display) }
        return fd
    }

    static func createSymlink(_ parent: Int32, _ name: String, target: String, display: String) throws {
        try remove(parent, name, display: display)
        guard symlinkat(target, parent, name) == 0 else { throw ImageError.posix("symlink", display) }
    }

    static func createNode(_ parent: Int32, _ name: String, type: mode_t, major: UInt32, minor: UInt32, display: String) throws {
        try remove(parent, name, display: display)
        let dev = FileAttributes.makeDevice(major: major, minor: minor)
        guard mknodat(parent, name, type | 0o600, dev) == 0 else { throw ImageError.posix("mknod", display) }
    }

    /// Applies owner, mode, xattrs and (unless `skipTime`) mtime to `name`, never following it.
    /// Owner goes first because `chown` clears setuid/setgid bits.
    static func setMetadata(_ parent: Int32, _ name: String, kind: FileAttributes.Kind, mode: UInt32, uid: Int, gid: Int,
                            mtime: Int64, mtimeNanoseconds: Int = 0, xattrs: [String: Data], skipTime: Bool = false,
                            chown: Bool = true, display: String) throws {
        guard !chown || fchownat(parent, name, uid_t(truncatingIfNeeded: uid), gid_t(truncatingIfNeeded: gid), AT_SYMLINK_NOFOLLOW) == 0 else {
            throw ImageError.posix("chown", display)
        }
        if kind != .symlink {
            guard fchmodat(parent, name, mode_t(mode & 0o7777), 0) == 0 else { throw ImageError.posix("chmod", display) }
        }
        if !xattrs.isEmpty {
            // The parent descriptor pins the directory; the name is the final, unfollowed component.
            let path = "/proc/self/fd/\(parent)/\(name)"
            for (key, value) in xattrs.sorted(by: { $0.key < $1.key }) {
                let rc = value.withUnsafeBytes { lsetxattr(path, key, $0.baseAddress, value.count, 0) }
                // Unprivileged users cannot set every namespace, and symlinks take no user.* ones.
                if rc != 0 && errno != ENOTSUP && !(errno == EPERM && (!chown || kind == .symlink)) { throw ImageError.posix("setxattr \(key)", display) }
            }
        }
        if !skipTime { try setTime(parent, name, mtime: mtime, nanoseconds: mtimeNanoseconds, display: display) }
    }

    static func setTime(_ parent: Int32, _ name: String, mtime: Int64, nanoseconds: Int = 0, display: String) throws {
        var times = [timespec(tv_sec: Int(mtime), tv_nsec: nanoseconds), timespec(tv_sec: Int(mtime), tv_nsec: nanoseconds)]
        guard utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw ImageError.posix("utimensat", display) }
    }

    /// Copies `source` into the open descriptor `fd`, returning the byte count.
    static func copy(_ source: ByteSource, into fd: Int32, display: String) throws -> Int64 {
        let sink = DescriptorSink(fd: fd, display: display)
        return try source.pipe(to: sink)
    }
}

/// Writes straight to a descriptor someone else owns (no buffering, no close).
final class DescriptorSink: ByteSink {
    private let fd: Int32
    private let display: String

    init(fd: Int32, display: String) {
        self.fd = fd
        self.display = display
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileSink.writeAll(fd: fd, bytes, path: display)
    }

    func finish() throws {}
}
