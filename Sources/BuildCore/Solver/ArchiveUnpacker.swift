import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// ADD's unpacking of a local tar archive (plain, gzip, bzip2, xz or zstd) into a directory of
/// an image's root file system, as BuildKit does it: the archive's files, owners, modes and
/// times, merged over what is there (an entry replaces an existing file; a directory entry
/// keeps an existing directory).
///
/// It never writes outside the root file system. Each entry's parent is resolved inside the
/// rootfs the way the container sees it (`ScopedPath`: symlinks followed relative to the rootfs,
/// `..` stopped at its top), so an image's own links such as `/bin -> usr/bin` work and a link
/// to `/` means the rootfs, never the host. The entry itself is created without following a
/// link; `..` or absolute names, and device nodes, are refused with a clear error.
struct ArchiveUnpacker {
    enum Compression { case none, gzip, bzip2, xz, zstd }

    /// The rootfs being written.
    let rootfs: String
    /// The directory to unpack into, as a path inside the rootfs.
    let destination: String

    /// How `path` is compressed when it is a tar archive (its first block, decompressed, is a
    /// tar header); nil when it is any other file, which ADD copies as it is.
    static func compression(of path: String) -> Compression? {
        guard let head = try? readHead(path, count: 6) else { return nil }
        let kind: Compression
        if head.starts(with: [0x1F, 0x8B]) { kind = .gzip }
        else if head.starts(with: [0x42, 0x5A, 0x68]) { kind = .bzip2 }
        else if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { kind = .xz }
        else if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { kind = .zstd }
        else { kind = .none }
        guard let source = try? open(path, kind) else { return nil }
        var block = [UInt8](repeating: 0, count: 512)
        let n = (try? block.withUnsafeMutableBytes { try source.readFully(into: $0) }) ?? 0
        guard n == 512 else { return nil }
        return (try? TarReader.verifyChecksum(block)) != nil && block.contains(where: { $0 != 0 }) ? kind : nil
    }

    /// Unpacks the archive at `path`.
    func unpack(_ path: String, compression: Compression) throws {
        let reader = TarReader(try Self.open(path, compression))
        var directoryTimes: [(String, Int64)] = []
        while let entry = try reader.next() {
            try Task.checkCancellation()
            let parts: [String]
            do {
                parts = try ConfinedDirectory.components(entry.path)
            } catch {
                throw SolveError(message: "cannot unpack \(Self.name(path)): entry \"\(entry.path)\" points outside the destination")
            }
            guard let leaf = parts.last else { continue }   // the archive's "./"
            let parent = ScopedPath.resolve(StageResolver.join(destination, parts.dropLast().joined(separator: "/")), in: rootfs)
            try FileActions.mkdirAll(parent)
            let full = parent + "/" + leaf
            var existing = stat()
            let exists = lstat(full, &existing) == 0
            let existingIsDirectory = exists && (existing.st_mode & S_IFMT) == S_IFDIR
            if exists && !(existingIsDirectory && entry.kind == .directory) {
                try FileAttributes.removeTree(full)
            }
            switch entry.kind {
            case .directory:
                if !existingIsDirectory, mkdir(full, 0o755) != 0 { throw error("mkdir", entry) }
                directoryTimes.append((full, entry.mtime))
            case .file:
                let fd = Glibc.open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw error("create", entry) }
                defer { close(fd) }
                try reader.copyData(to: DescriptorSink(fd: fd, display: entry.path))
            case .symlink:
                if symlink(entry.linkTarget, full) != 0 { throw error("symlink", entry) }
            case .hardlink:
                let target = try linkTarget(entry)
                if link(target, full) != 0 { throw error("link", entry) }
                continue   // shares its target's inode and metadata
            case .fifo:
                if mkfifo(full, 0o600) != 0 { throw error("mkfifo", entry) }
            case .characterDevice, .blockDevice:
                throw SolveError(message: "cannot unpack \(Self.name(path)): \"\(entry.path)\" is a device node, which ADD does not create")
            }
            try setMetadata(full, entry)
        }
        // Directory times last, deepest first: adding children would change them.
        for (directory, mtime) in directoryTimes.reversed() {
            var times = [timespec(tv_sec: Int(mtime), tv_nsec: 0), timespec(tv_sec: Int(mtime), tv_nsec: 0)]
            utimensat(AT_FDCWD, directory, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// A hardlink's target, which must be an earlier non-directory entry inside the rootfs.
    private func linkTarget(_ entry: TarEntry) throws -> String {
        guard let parts = try? ConfinedDirectory.components(entry.linkTarget), !parts.isEmpty else {
            throw SolveError(message: "cannot unpack: hardlink \"\(entry.path)\" points outside the destination")
        }
        let target = ScopedPath.resolve(StageResolver.join(destination, parts.joined(separator: "/")), in: rootfs, followFinal: false)
        var st = stat()
        guard lstat(target, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR else {
            throw SolveError(message: "cannot unpack: hardlink \"\(entry.path)\" to \"\(entry.linkTarget)\", which is not in the archive")
        }
        return target
    }

    private func setMetadata(_ path: String, _ entry: TarEntry) throws {
        if lchown(path, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid)) != 0 { throw error("chown", entry) }
        if entry.kind != .symlink, chmod(path, mode_t(entry.mode & 0o7777)) != 0 { throw error("chmod", entry) }
        if entry.kind != .directory {
            var times = [timespec(tv_sec: Int(entry.mtime), tv_nsec: 0), timespec(tv_sec: Int(entry.mtime), tv_nsec: 0)]
            utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    private func error(_ what: String, _ entry: TarEntry) -> SolveError {
        SolveError(message: "cannot unpack \"\(entry.path)\": \(what): \(FileActions.errnoText())")
    }

    private static func name(_ path: String) -> String { (path as NSString).lastPathComponent }

    private static func readHead(_ path: String, count: Int) throws -> [UInt8] {
        let source = try FileSource(path: path)
        var head = [UInt8](repeating: 0, count: count)
        let n = try head.withUnsafeMutableBytes { try source.readFully(into: $0) }
        return Array(head[0..<n])
    }

    private static func open(_ path: String, _ compression: Compression) throws -> ByteSource {
        switch compression {
        case .none: return try FileSource(path: path)
        case .gzip: return try Gzip.Decompressor(try FileSource(path: path))
        case .zstd: return try Zstd.decompressor(fileAt: path)
        case .bzip2: return try tool("bzip2", path)
        case .xz: return try tool("xz", path)
        }
    }

    private static func tool(_ name: String, _ path: String) throws -> ByteSource {
        for dir in ["/usr/bin", "/bin", "/usr/local/bin"] where access(dir + "/" + name, X_OK) == 0 {
            return try CommandSource(tool: dir + "/" + name, name: name, arguments: ["-q", "-d", "-c", path])
        }
        throw SolveError(message: "cannot unpack \(Self.name(path)): the \(name) tool is not installed")
    }
}
