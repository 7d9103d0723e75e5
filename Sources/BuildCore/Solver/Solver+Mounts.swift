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
            let dir = "/dev/shm/swbuild-secret-" + UUID().uuidString.lowercased()
            let file = dir + "/" + Digest.sha256(id).short
            mkdir(dir, 0o700)
            cleanups.append { try? FileManager.default.removeItem(atPath: dir) }
            try FileActions.writeFile(value, at: file, mode: spec.mode ?? 0o400, owner: (spec.uid ?? 0, spec.gid ?? 0))
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
        return StageResolver.join(root, sub)
    }

    /// An overlay over `source` whose changes are thrown away after the step (`rw` binds).
    func writableLayer(over source: String, cleanups: inout [@Sendable () -> Void]) throws -> String {
        let scratch = snapshotter.runDirectory + "/rw-" + UUID().uuidString.lowercased()
        let upper = scratch + "/u", work = scratch + "/w", merged = scratch + "/m"
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
                let (root, _) = try sourceRoot(input: index, vertex: v, inputs: inputs, cleanups: &cleanups)
                try FileActions.copyTree(StageResolver.join(root, spec.source ?? "/"), into: data)
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
