import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The file-system work of COPY/ADD/WORKDIR and friends, on real directories: copying entries with
/// their type, mode, owner and mtime, writing files, staging the context.
enum FileActions {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    static func writeFile(_ data: Data, at path: String, mode: UInt32, owner: (UInt32, UInt32)) throws {
        let dir = PathText.parent(of: path)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode_t(mode))
        guard fd >= 0 else { throw Failure("cannot write \(path): \(errnoText())") }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure("cannot write \(path): \(errnoText())")
                }
                offset += n
            }
        }
        fchmod(fd, mode_t(mode))
        fchown(fd, owner.0, owner.1)
    }

    /// Creates `path` and missing parents; every directory it creates gets `mode` and `owner`
    /// (BuildKit's MkdirAllAndChownNew: WORKDIR under USER, COPY --chown), existing ones are left.
    static func mkdirAll(_ path: String, mode: UInt32 = 0o755, owner: (UInt32, UInt32)? = nil) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw Failure("cannot create directory \(path): a file is in the way") }
            return
        }
        let parent = PathText.parent(of: path)
        if !parent.isEmpty && parent != path { try mkdirAll(parent, mode: mode, owner: owner) }
        if mkdir(path, mode_t(mode)) != 0 && errno != EEXIST { throw Failure("cannot create directory \(path): \(errnoText())") }
        chmod(path, mode_t(mode))
        if let owner { chown(path, owner.0, owner.1) }
    }

    /// Copies one entry (file, directory itself, symlink, device, fifo) with its metadata.
    /// `owner`/`mode` override the source's when given.
    /// `known` is the source's `lstat` when the caller already has it.
    static func copyEntry(from src: String, to dst: String, owner: (UInt32, UInt32)?, mode: UInt32?, known: stat? = nil) throws {
        var st = known ?? stat()
        guard known != nil || lstat(src, &st) == 0 else { throw Failure("cannot read \(src): \(errnoText())") }
        let type = st.st_mode & S_IFMT
        var existing = stat()
        let exists = lstat(dst, &existing) == 0
        if exists && !((existing.st_mode & S_IFMT) == S_IFDIR && type == S_IFDIR) {
            if (existing.st_mode & S_IFMT) == S_IFDIR { try? FileManager.default.removeItem(atPath: dst) } else { unlink(dst) }
        }
        let perm = mode ?? UInt32(st.st_mode & 0o7777)
        switch type {
        case S_IFDIR:
            if !(exists && (existing.st_mode & S_IFMT) == S_IFDIR) {
                guard mkdir(dst, 0o755) == 0 else { throw Failure("cannot create \(dst): \(errnoText())") }
            }
        case S_IFREG:
            try copyFileData(src, dst, size: Int(st.st_size))
        case S_IFLNK:
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: src)
            guard symlink(target, dst) == 0 else { throw Failure("cannot create link \(dst): \(errnoText())") }
        case S_IFIFO:
            guard mkfifo(dst, mode_t(perm)) == 0 else { throw Failure("cannot create fifo \(dst): \(errnoText())") }
        default:
            guard mknod(dst, st.st_mode, st.st_rdev) == 0 else { throw Failure("cannot create device \(dst): \(errnoText())") }
        }
        let uid = owner?.0 ?? st.st_uid, gid = owner?.1 ?? st.st_gid
        lchown(dst, uid, gid)
        if type != S_IFLNK { chmod(dst, mode_t(perm)) }
        var times = [st.st_atim, st.st_mtim]
        utimensat(AT_FDCWD, dst, &times, AT_SYMLINK_NOFOLLOW)
    }

    static func copyFileData(_ src: String, _ dst: String, size: Int) throws {
        let inFD = open(src, O_RDONLY | O_CLOEXEC)
        guard inFD >= 0 else { throw Failure("cannot read \(src): \(errnoText())") }
        defer { close(inFD) }
        let outFD = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard outFD >= 0 else { throw Failure("cannot write \(dst): \(errnoText())") }
        defer { close(outFD) }
        var remaining = size
        while remaining > 0 {
            let n = sendfile(outFD, inFD, nil, min(remaining, 1 << 30))
            if n > 0 { remaining -= n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            // Fall back to read/write (cross-device copies on old kernels).
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let r = read(inFD, &buffer, buffer.count)
                if r < 0 { if errno == EINTR { continue }; throw Failure("cannot read \(src): \(errnoText())") }
                if r == 0 { break }
                var off = 0
                while off < r {
                    let w = buffer.withUnsafeBytes { write(outFD, $0.baseAddress! + off, r - off) }
                    if w < 0 { if errno == EINTR { continue }; throw Failure("cannot write \(dst): \(errnoText())") }
                    off += w
                }
            }
            return
        }
    }

    /// Copies the tree at `src` (a directory's contents, or one entry) into `dst`, keeping owners.
    static func copyTree(_ src: String, into dst: String, owner: (UInt32, UInt32)? = nil, mode: UInt32? = nil,
                         include: (String) -> Bool = { _ in true }) throws {
        var st = stat()
        guard lstat(src, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            try copyEntry(from: src, to: dst, owner: owner, mode: mode)
            return
        }
        try mkdirAll(dst, owner: owner)
        try walk(src, relative: "") { rel, isDir in
            guard include(rel) else { return false }
            try copyEntry(from: src + "/" + rel, to: dst + "/" + rel, owner: owner, mode: mode)
            return isDir
        }
    }

    /// Depth-first walk; the visitor returns whether to descend into a directory.
    static func walk(_ root: String, relative: String, _ visit: (String, Bool) throws -> Bool) throws {
        let dir = relative.isEmpty ? root : root + "/" + relative
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        for name in names {
            let rel = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(root + "/" + rel, &st) == 0 else { continue }
            let isDir = (st.st_mode & S_IFMT) == S_IFDIR
            if try visit(rel, isDir) && isDir { try walk(root, relative: rel, visit) }
        }
    }

    /// Hard-links (or copies) the context entries at or below `selection` into `dir`, so a bind
    /// mount of the context shows exactly what `.dockerignore` lets through.
    /// The selection is resolved inside the context first: a link in the context to `/` or to
    /// `../..` means the context's own root, never the host's.
    /// `linking: false` copies every file (for a directory that will be written to).
    static func stageContext(_ context: BuildContext, selection: String, into dir: String, linking: Bool = true) throws {
        let resolved = try ScopedPath.resolve(selection, in: context.root)
        let prefix = resolved == context.root ? "" : String(resolved.dropFirst(context.root.count + 1))
        guard prefix.isEmpty || context.entries.contains(where: { $0.path == prefix }) else {
            throw SolveError(message: "failed to compute cache key: \"/\(prefix)\": not found (is it excluded by .dockerignore?)")
        }
        for e in context.entries where prefix.isEmpty || e.path == prefix || e.path.hasPrefix(prefix + "/") {
            let rel = prefix.isEmpty ? e.path : String(e.path.dropFirst(prefix.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let target = rel.isEmpty ? dir : dir + "/" + rel
            if e.kind == .directory {
                try mkdirAll(target)
                continue
            }
            try mkdirAll(PathText.parent(of: target))
            if linking, e.kind == .file, link(context.root + "/" + e.path, target) == 0 { continue }
            try copyEntry(from: context.root + "/" + e.path, to: target, owner: nil, mode: nil)
        }
    }
}
