import CZlib
import Foundation

/// What `lstat` and the extended-attribute calls say about one path, never following a final
/// symbolic link. Layer export, rootfs merging and size accounting all read files through this,
/// so they agree on what a file's mode, owner, mtime, device number and xattrs are.
struct FileAttributes {
    enum Kind: Equatable { case file, directory, symlink, characterDevice, blockDevice, fifo, socket }

    var kind: Kind
    var mode: UInt32
    var uid: Int
    var gid: Int
    var size: Int64
    var mtime: Int64
    var mtimeNanoseconds: Int
    var rdevMajor: UInt32
    var rdevMinor: UInt32
    var device: UInt64
    var inode: UInt64
    var linkCount: UInt64
    var blocks: Int64

    /// `lstat(path)`; throws `ImageError.fileSystem` (ENOENT included).
    static func read(_ path: String) throws -> FileAttributes {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw ImageError.posix("lstat", path) }
        return FileAttributes(st)
    }

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .file
        }
        mode = UInt32(st.st_mode) & 0o7777
        uid = Int(st.st_uid)
        gid = Int(st.st_gid)
        size = Int64(st.st_size)
        mtime = Int64(st.st_mtim.tv_sec)
        mtimeNanoseconds = Int(st.st_mtim.tv_nsec)
        let dev = UInt64(st.st_rdev)
        rdevMajor = Self.major(dev)
        rdevMinor = Self.minor(dev)
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        linkCount = UInt64(st.st_nlink)
        blocks = Int64(st.st_blocks)
    }

    /// An overlayfs whiteout: a character device 0/0.
    var isWhiteout: Bool { kind == .characterDevice && rdevMajor == 0 && rdevMinor == 0 }

    /// glibc's `major`/`minor`/`makedev` (macros, wrapped in the CZlib shim).
    static func major(_ dev: UInt64) -> UInt32 { UInt32(swb_major(dev_t(dev))) }

    static func minor(_ dev: UInt64) -> UInt32 { UInt32(swb_minor(dev_t(dev))) }

    static func makeDevice(major: UInt32, minor: UInt32) -> dev_t { swb_makedev(major, minor) }

    /// Extended attributes of `path` (not following a final symlink). File systems without
    /// xattr support yield none.
    static func xattrs(_ path: String) throws -> [String: Data] {
        let size = llistxattr(path, nil, 0)
        if size < 0 {
            if errno == ENOTSUP || errno == ENODATA { return [:] }
            throw ImageError.posix("listxattr", path)
        }
        guard size > 0 else { return [:] }
        var names = [CChar](repeating: 0, count: size)
        let listed = llistxattr(path, &names, size)
        guard listed >= 0 else { throw ImageError.posix("listxattr", path) }
        var result: [String: Data] = [:]
        for raw in names[0..<listed].split(separator: 0) {
            let name = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let length = lgetxattr(path, name, nil, 0)
            guard length >= 0 else {
                if errno == ENODATA { continue }
                throw ImageError.posix("getxattr \(name)", path)
            }
            var value = [UInt8](repeating: 0, count: length)
            let got = lgetxattr(path, name, &value, length)
            guard got >= 0 else { throw ImageError.posix("getxattr \(name)", path) }
            result[name] = Data(value[0..<got])
        }
        return result
    }

    /// Entry names in a directory, sorted bytewise (the order every archive we write uses).
    static func sortedNames(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw ImageError.posix("opendir", directory) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Bytes used on disk by a tree (allocated blocks, each inode counted once).
    static func diskUsage(_ path: String) throws -> Int64 {
        var seen = Set<UInt64>()
        func walk(_ p: String) throws -> Int64 {
            let attributes = try read(p)
            var total: Int64 = 0
            if seen.insert(attributes.inode).inserted { total += attributes.blocks * 512 }
            if attributes.kind == .directory {
                for name in try sortedNames(p) { total += try walk(p + "/" + name) }
            }
            return total
        }
        return try walk(path)
    }
}

extension FileAttributes {
    /// `mkdir -p`, reporting the real errno of the component that failed.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST { throw ImageError.posix("mkdir", current) }
        }
    }

    /// `rm -rf` for trees we own (temp dirs, layers); never follows symlinks.
    static func removeTree(_ path: String) throws {
        let parent = PathText.parent(of: path)
        let name = (path as NSString).lastPathComponent
        let fd = open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return }
            throw ImageError.posix("open", parent)
        }
        defer { close(fd) }
        try ConfinedDirectory.remove(fd, name, display: path)
    }
}
