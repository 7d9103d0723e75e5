import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A filesystem made of layers, bottom to top. Layers live at `<root>/layers/<id>/diff` in
/// overlayfs upper-dir format and never change once committed.
public struct Snapshot: Sendable, Equatable, Codable {
    public var layers: [String]
    public init(layers: [String]) { self.layers = layers }
    public static let empty = Snapshot(layers: [])
}

/// A writable view of a snapshot being changed by one step: an overlay whose upper directory
/// becomes the step's new layer. `release` must run on every path (it unmounts and removes).
public struct WorkingSnapshot: Sendable {
    public let merged: String
    let scratch: String
    let upper: String
}

/// Mounts snapshots with overlayfs and commits step results as layers. Every mount it makes is
/// under `<root>/run`, so a crashed build's leftovers can be found and removed at the next start.
public struct Snapshotter: Sendable {
    public let root: StateRoot
    /// This build's own scratch area (`<root>/run/<session>`), locked while the build lives.
    public let runDirectory: String
    public let layers: LayerStore
    var layersDirectory: String { root.subdirectory("layers") }
    var linksDirectory: String { root.subdirectory("l") }

    public init(root: StateRoot, session: BuildSessionLock) throws {
        self.root = root
        self.runDirectory = session.directory
        self.layers = try LayerStore(root: root.path)
    }

    public func diffPath(_ layer: String) -> String { layersDirectory + "/" + layer + "/diff" }

    public func exists(_ layer: String) -> Bool {
        layers.contains(LayerID(layer))
    }

    /// A short, stable path for a layer's diff, so dozens of layers fit in the mount options.
    func shortPath(_ layer: String) throws(ExecutorError) -> String {
        let name = String(Digest.sha256(layer).hex.prefix(12))
        let link = linksDirectory + "/" + name
        var st = stat()
        if lstat(link, &st) != 0 {
            try? FileManager.default.createDirectory(atPath: linksDirectory, withIntermediateDirectories: true)
            if symlink("../layers/\(layer)/diff", link) != 0 && errno != EEXIST {
                throw .mountFailed("cannot link layer \(layer): \(String(cString: strerror(errno)))")
            }
        }
        return link
    }

    func emptyDirectory() throws(ExecutorError) -> String {
        let path = root.subdirectory("empty")
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .mountFailed("cannot create \(path): \(error)")
        }
        return path
    }

    func lowerDirs(_ snapshot: Snapshot) throws(ExecutorError) -> [String] {
        var dirs: [String] = []
        for layer in snapshot.layers.reversed() { dirs.append(try shortPath(layer)) }
        if dirs.isEmpty { dirs = [try emptyDirectory()] }
        return dirs
    }

    /// Mounts `snapshot` writable at a fresh directory.
    public func mountWritable(_ snapshot: Snapshot) throws(ExecutorError) -> WorkingSnapshot {
        let scratch = runDirectory + "/" + UUID().uuidString.lowercased()
        let upper = scratch + "/diff", work = scratch + "/work", merged = scratch + "/merged"
        do {
            for d in [upper, work, merged] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
            chmod(upper, 0o755)
        } catch {
            throw .mountFailed("cannot create \(scratch): \(error)")
        }
        do {
            try Mounter.overlay(lower: try lowerDirs(snapshot), upper: upper, work: work, target: merged)
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
        return WorkingSnapshot(merged: merged, scratch: scratch, upper: upper)
    }

    /// Mounts `snapshot` read-only at a fresh directory; returns the path and its cleanup.
    public func mountReadOnly(_ snapshot: Snapshot) throws(ExecutorError) -> (path: String, release: @Sendable () -> Void) {
        let scratch = runDirectory + "/" + UUID().uuidString.lowercased()
        let merged = scratch + "/merged"
        do {
            try FileManager.default.createDirectory(atPath: merged, withIntermediateDirectories: true)
        } catch {
            throw .mountFailed("cannot create \(merged): \(error)")
        }
        var lowers = try lowerDirs(snapshot)
        if lowers.count == 1 { lowers.append(try emptyDirectory()) }
        do {
            try Mounter.overlay(lower: lowers, upper: nil, work: nil, target: merged)
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
        return (merged, {
            Mounter.unmount(merged)
            try? FileManager.default.removeItem(atPath: scratch)
        })
    }

    /// Unmounts and turns the upper directory into a committed layer; returns its id. `origin`
    /// (the step that made it) is kept with the layer for the layer explorer.
    public func commit(_ working: WorkingSnapshot, origin: LayerOrigin? = nil) throws(ExecutorError) -> String {
        Mounter.unmount(working.merged)
        do {
            let id = try layers.commitLayer(fromDirectory: working.upper, origin: origin)
            release(working)
            return id.value
        } catch {
            release(working)
            throw .mountFailed("cannot commit layer: \(error)")
        }
    }

    /// Unmounts and removes a working snapshot without keeping its changes.
    public func release(_ working: WorkingSnapshot) {
        Mounter.unmount(working.merged)
        try? FileManager.default.removeItem(atPath: working.scratch)
    }

}

/// Marks a build's scratch area as in use with an advisory lock that the kernel drops when the
/// process dies, however it dies. A later build can then tell a live build's mounts from the
/// leftovers of a killed one, and remove only the latter.
///
/// Releasing the lock ends the build's session: its scratch area and its (by then empty) runtime
/// state directory are removed; a killed build's are swept by the next build (`cleanUpStale`).
public final class BuildSessionLock: @unchecked Sendable {
    public let directory: String
    /// Where the steps' runtime bundles go: a tmpfs (in the build's private mount namespace), as a
    /// bundle's config.json holds the step's environment, secret `env=` values included; they
    /// never reach the disk and vanish with the build.
    public let bundleDirectory: String
    /// The OCI runtime's state directory (`--root`) for this build's containers.
    public let runtimeStateDirectory: String
    private let fd: Int32
    /// A shared hold on the store lock for the whole build, so `prune` (which takes it
    /// exclusively) never removes a layer between its commit and its cache record.
    private let storeFD: Int32

    /// `<root>/run/store.lock`: builds share it, `prune` owns it.
    public static func storeLockPath(_ root: StateRoot) -> String { root.subdirectory("run") + "/store.lock" }

    /// `<root>/runc/<id>`: the runtime state directory of build session `id`.
    public static func runtimeStateDirectory(_ root: StateRoot, id: String) -> String { root.subdirectory("runc") + "/" + id }

    public init(root: StateRoot, id: String) throws(ExecutorError) {
        let base = root.subdirectory("run")
        directory = base + "/" + id
        bundleDirectory = directory + "/bundles"
        runtimeStateDirectory = Self.runtimeStateDirectory(root, id: id)
        // Lock first, then create the directory: a cleaner never sees our directory unlocked.
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        storeFD = open(Self.storeLockPath(root), O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        // Waits while a prune runs (it is short); never fails because of one.
        guard storeFD >= 0, flock(storeFD, LOCK_SH) == 0 else {
            if storeFD >= 0 { close(storeFD) }
            throw .mountFailed("cannot lock the store under \(root.path)")
        }
        fd = open(directory + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            if fd >= 0 { close(fd) }
            close(storeFD)
            throw .mountFailed("cannot lock build session \(id)")
        }
        do {
            try FileManager.default.createDirectory(atPath: bundleDirectory, withIntermediateDirectories: true)
        } catch {
            throw .mountFailed("cannot create \(directory): \(error)")
        }
        // Without the privilege to mount (never the case for a build, which needs root) the
        // bundles stay on disk, removed with the session as before.
        try? Mounter.tmpfs(target: bundleDirectory, sizeBytes: 64 << 20, mode: 0o700)
    }

    deinit {
        // Every step deleted its container when it ended, which leaves the directory empty. Should
        // a delete have failed, the directory stays for the next build's sweep, which knows the
        // runtime to delete the container with.
        rmdir(runtimeStateDirectory)
        Self.removeScratch(directory)
        unlink(directory + ".lock")
        close(fd)
        close(storeFD)
    }

    static func removeScratch(_ directory: String) {
        for point in Mounter.mounts(under: directory) { Mounter.unmount(point) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Unmounts and removes the scratch areas of builds that are no longer running. Returns how
    /// many were cleaned.
    @discardableResult
    public static func cleanUpStale(root: StateRoot, runtime: String = "runc") -> Int {
        let base = root.subdirectory("run")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        var cleaned = 0
        for name in names where !name.hasSuffix(".lock") {
            let lockPath = base + "/" + name + ".lock"
            let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                // Containers first (they hold the mounts), then mounts and scratch files.
                let state = runtimeStateDirectory(root, id: name)
                RuntimeLocator.deleteAll(runtime: runtime, state: state)
                try? FileManager.default.removeItem(atPath: state)
                removeScratch(base + "/" + name)
                unlink(lockPath)
                cleaned += 1
            }
            close(fd)
        }
        // Runtime state of sessions whose scratch area is already gone.
        let runtimeBase = root.subdirectory("runc")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: runtimeBase)) ?? []
        where !FileManager.default.fileExists(atPath: base + "/" + name + ".lock") && !FileManager.default.fileExists(atPath: base + "/" + name) {
            RuntimeLocator.deleteAll(runtime: runtime, state: runtimeBase + "/" + name)
            try? FileManager.default.removeItem(atPath: runtimeBase + "/" + name)
        }
        return cleaned
    }
}
