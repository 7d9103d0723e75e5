import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The working directory and mount points a step needs in its root filesystem, made before the
/// runtime starts and, for mount points, taken away again afterwards, as BuildKit does: an empty
/// file or directory created only to mount over (`/run/secrets/id`, `/etc/hosts` in an image
/// without one, a cache target) never ends up in the layer; neither do the empty parents made for
/// it. What the step put there stays.
///
/// Every path is resolved inside the rootfs (`ScopedPath`), so an image whose `/x` links to `/`
/// cannot make the engine create, chown or remove anything on the host.
struct MountStubs {
    let rootfs: String
    /// Host paths this step created only to mount over, outermost first.
    private(set) var created: [String] = []

    init(rootfs: String) {
        self.rootfs = rootfs
    }

    mutating func prepare(_ request: ExecRequest, identity: UserResolver.Identity) throws {
        let cwd = request.op.cwd.isEmpty ? "/" : request.op.cwd
        // The working directory stays (BuildKit creates it owned by the step's user).
        _ = try Self.make(cwd, in: rootfs, directory: true, owner: (identity.uid, identity.gid))
        // /dev stays too, mode 0755 as runc makes it (BuildKit's layers have it); crun would
        // make it 01755.
        _ = try Self.make("/dev", in: rootfs, directory: true, owner: nil)
        var targets: [(String, Bool)] = [("/etc/hosts", false), ("/etc/resolv.conf", false)]
        for m in request.mounts { targets.append((m.target, m.sourceIsDirectory)) }
        for (target, directory) in targets {
            created += try Self.make(target, in: rootfs, directory: directory, owner: nil)
        }
    }

    /// Creates `path` (and its missing parents) inside `root` unless something is there; returns
    /// what it created, outermost first.
    static func make(_ path: String, in root: String, directory: Bool, owner: (UInt32, UInt32)?) throws -> [String] {
        let resolved = try ScopedPath.resolve(path, in: root)
        var st = stat()
        if lstat(resolved, &st) == 0 { return [] }
        // The resolved path has no links; walk up to what exists, then create downwards.
        var missing: [String] = []
        var cursor = resolved
        while cursor.count > root.count, lstat(cursor, &st) != 0 {
            missing.append(cursor)
            cursor = PathText.parent(of: cursor)
        }
        var made: [String] = []
        for (index, p) in missing.reversed().enumerated() {
            let last = index == missing.count - 1
            if last && !directory {
                let fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw ScopedPath.Failure(path: path, reason: "cannot create: \(FileActions.errnoText())") }
                close(fd)
            } else {
                guard mkdir(p, 0o755) == 0 else { throw ScopedPath.Failure(path: path, reason: "cannot create: \(FileActions.errnoText())") }
            }
            if let owner { lchown(p, owner.0, owner.1) }
            made.append(p)
        }
        return made
    }

    /// Removes the stubs the step left as they were (empty files, empty directories), innermost
    /// first. A stub whose path no longer resolves to itself (the step replaced a parent with a
    /// link) is left alone rather than followed.
    func remove() {
        for p in created.reversed() {
            let below = String(p.dropFirst(rootfs.count))
            guard (try? ScopedPath.resolve(below, in: rootfs, followFinal: false)) == p else { continue }
            var st = stat()
            guard lstat(p, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFREG where st.st_size == 0: unlink(p)
            case S_IFDIR: rmdir(p)
            default: break
            }
        }
    }
}
