import CLinux
import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Solver {
    /// Turns one `RUN --mount` into what the runtime mounts: bind sources from stages, images or
    /// the context; cache directories under the state root; tmpfs; secrets in a tmpfs outside the
    /// state root (they never touch a layer or `--root`); ssh agent sockets.
    func prepareMount(_ m: ExecMount, vertex v: Vertex, inputs: [VertexResult], cleanups: inout [@Sendable () -> Void],
                      secretEnv: inout [String]) async throws -> [PreparedMount] {
        let spec = m.spec
        let target = spec.target ?? ""
        switch spec.kind {
        case .tmpfs:
            return [PreparedMount(kind: .tmpfs(sizeBytes: spec.sizeLimit), source: "tmpfs", target: target, readOnly: false)]
        case .bind:
            var source = try bindSource(m, vertex: v, inputs: inputs, cleanups: &cleanups)
            if !spec.readOnly { source = try writableLayer(over: source, cleanups: &cleanups) }
            return [PreparedMount(kind: .bind, source: source, target: target, readOnly: spec.readOnly)]
        case .cache:
            let dir = try await cacheDirectory(spec, vertex: v, inputs: inputs, cleanups: &cleanups)
            return [PreparedMount(kind: .bind, source: dir, target: target, readOnly: spec.readOnly)]
        case .secret:
            let id = spec.id ?? ""
            guard let value = options.secrets[id] else {
                if spec.required { throw SolveError(message: "secret \(id): not found") }
                return []
            }
            if let env = spec.env { secretEnv.append(env + "=" + String(decoding: value, as: UTF8.self)) }
            guard let target = spec.target else { return [] }
            let file = try secretFile(value, id: id, spec: spec, cleanups: &cleanups)
            return [PreparedMount(kind: .bind, source: file, target: target, readOnly: true)]
        case .ssh:
            let id = spec.id ?? "default"
            guard let socket = options.sshAgents[id] else {
                if spec.required { throw SolveError(message: "no SSH key \(id) forwarded from the client (use --ssh \(id))") }
                return []
            }
            let target = spec.target ?? "/run/buildkit/ssh_agent.0"
            if id == "default" { secretEnv.append("SSH_AUTH_SOCK=" + target) }
            return [PreparedMount(kind: .bind, source: socket, target: target, readOnly: true)]
        }
    }

    func bindSource(_ m: ExecMount, vertex v: Vertex, inputs: [VertexResult], cleanups: inout [@Sendable () -> Void]) throws -> String {
        let sub = m.spec.source ?? "/"
        guard let index = m.input else { return try snapshotter.emptyDirectory() }
        let (root, context) = try sourceRoot(input: index, vertex: v, inputs: inputs, cleanups: &cleanups)
        if let context {
            // Only what .dockerignore lets through may be seen: copy (hard-link) the selection.
            let staging = snapshotter.runDirectory + "/ctx-" + UUID().uuidString.lowercased()
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            cleanups.append { try? FileManager.default.removeItem(atPath: staging) }
            try FileActions.stageContext(context, selection: sub, into: staging)
            return staging
        }
        return try pinnedSource(sub, in: root, cleanups: &cleanups)
    }

    /// `path` inside `root` (a stage's or an image's files) bound read-only, recursively, onto a
    /// mount point of the engine's own: the runtime and overlayfs are only ever handed that
    /// point, never a path from the build that the host could resolve differently. The object
    /// is opened once, inside the root (`openat2(RESOLVE_IN_ROOT)`), and bound through its
    /// descriptor, so nothing is resolved twice.
    func pinnedSource(_ path: String, in root: String, cleanups: inout [@Sendable () -> Void]) throws -> String {
        let rootFD = open(root, swb_o_path() | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw SolveError(message: "cannot open \(root): \(FileActions.errnoText())") }
        defer { close(rootFD) }
        let fd = swb_openat_in_root(rootFD, path, swb_o_path(), 0)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "not found" : FileActions.errnoText()
            throw SolveError(message: "failed to mount \(GoQuote.quote(StageResolver.join("/", path))): \(reason)")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SolveError(message: "cannot stat \(path): \(FileActions.errnoText())") }
        let point = snapshotter.runDirectory + "/src-" + UUID().uuidString.lowercased()
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard mkdir(point, 0o700) == 0 else { throw SolveError(message: "cannot create \(point): \(FileActions.errnoText())") }
        } else {
            let created = open(point, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard created >= 0 else { throw SolveError(message: "cannot create \(point): \(FileActions.errnoText())") }
            close(created)
        }
        do {
            try Mounter.bind("/proc/self/fd/\(fd)", target: point, readOnly: true)
        } catch {
            try? FileManager.default.removeItem(atPath: point)
            throw error
        }
        cleanups.append {
            Mounter.unmount(point)
            try? FileManager.default.removeItem(atPath: point)
        }
        return point
    }

    /// A secret's bytes in a tmpfs of its own below the session directory. Builds run in a private
    /// mount namespace (see `MountNamespace`), so the tmpfs is never visible to the host and is
    /// gone when the build ends, is canceled or is killed.
    func secretFile(_ value: Data, id: String, spec: MountSpec, cleanups: inout [@Sendable () -> Void]) throws -> String {
        let dir = snapshotter.runDirectory + "/secret-" + UUID().uuidString.lowercased()
        guard mkdir(dir, 0o700) == 0 else { throw SolveError(message: "cannot create \(dir): \(FileActions.errnoText())") }
        do {
            try Mounter.tmpfs(target: dir, sizeBytes: Int64(max(value.count + 65536, 1 << 20)), mode: 0o700)
        } catch {
            rmdir(dir)
            throw error
        }
        cleanups.append {
            Mounter.unmount(dir)
            rmdir(dir)
        }
        let file = dir + "/" + Digest.sha256(id).short
        try FileActions.writeFile(value, at: file, mode: spec.mode ?? 0o400, owner: (spec.uid ?? 0, spec.gid ?? 0))
        return file
    }

    /// An overlay over `source` whose changes are thrown away after the step (`rw` binds).
    func writableLayer(over source: String, cleanups: inout [@Sendable () -> Void]) throws -> String {
        let scratch = snapshotter.runDirectory + "/rw-" + UUID().uuidString.lowercased()
        let upper = scratch + "/u", work = scratch + "/w", merged = scratch + "/m"
        var st = stat()
        if stat(source, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR {
            // A single file: a private copy takes the step's writes.
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            cleanups.append { try? FileManager.default.removeItem(atPath: scratch) }
            try FileActions.copyEntry(from: source, to: merged, owner: nil, mode: nil)
            return merged
        }
        for d in [upper, work, merged] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try Mounter.overlay(lower: [source], upper: upper, work: work, target: merged)
        cleanups.append {
            Mounter.unmount(merged)
            try? FileManager.default.removeItem(atPath: scratch)
        }
        return merged
    }

    /// The directory behind a cache mount. `locked` waits for other users; `private` takes a
    /// fresh directory when another build holds the shared one; `shared` is used by all at once.
    func cacheDirectory(_ spec: MountSpec, vertex v: Vertex, inputs: [VertexResult],
                        cleanups: inout [@Sendable () -> Void]) async throws -> String {
        let id = spec.id ?? spec.target ?? ""
        let base = snapshotter.root.subdirectory("cachemounts") + "/" + Digest.sha256(id).hex.prefix(32)
        let data = base + "/data"
        let fresh = !FileManager.default.fileExists(atPath: data)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        if fresh {
            chmod(data, mode_t(spec.mode ?? 0o755))
            chown(data, spec.uid ?? 0, spec.gid ?? 0)
            if let index = m(spec, v) {
                let (root, context) = try sourceRoot(input: index, vertex: v, inputs: inputs, cleanups: &cleanups)
                if let context {
                    // What .dockerignore lets through, copied: the cache is written to, the context never.
                    try FileActions.stageContext(context, selection: spec.source ?? "/", into: data, linking: false)
                } else {
                    try FileActions.copyTree(try ScopedPath.resolve(spec.source ?? "/", in: root), into: data)
                }
            }
            try? AtomicFile.write(Data(id.utf8), to: base + "/id")
        }
        let lockFD = open(base + "/lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { return data }
        switch spec.sharing ?? .shared {
        case .shared:
            // A shared lock marks the directory in use (prune skips it) without excluding others.
            await FileLock.acquire(lockFD, LOCK_SH)
        case .locked:
            await FileLock.acquire(lockFD, LOCK_EX)
        case .private:
            if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
                close(lockFD)
                let tmp = snapshotter.runDirectory + "/cache-" + UUID().uuidString.lowercased()
                try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
                cleanups.append { try? FileManager.default.removeItem(atPath: tmp) }
                return tmp
            }
        }
        cleanups.append { close(lockFD) }
        return data
    }

    private func m(_ spec: MountSpec, _ v: Vertex) -> Int? {
        guard case .exec(let e) = v.op else { return nil }
        return e.mounts.first { $0.spec == spec }?.input
    }
}

/// Waits for an advisory lock on a thread of its own, so a build waiting for another build's
/// `sharing=locked` cache never blocks the solver's threads.
enum FileLock {
    static func acquire(_ fd: Int32, _ operation: Int32) async {
        if flock(fd, operation | LOCK_NB) == 0 { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                flock(fd, operation)
                c.resume()
            }
        }
    }
}
