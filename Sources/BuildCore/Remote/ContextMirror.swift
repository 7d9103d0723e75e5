import CLinux
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The remote's copies of one client's build contexts, under `remote-contexts/<client>/` of its
/// state root:
/// - `blobs/<hex>`: every context file the client has sent, by the sha256 of its bytes, so a
///   file is sent once whatever its path and however often the context is built;
/// - `trees/<key>/ctx`: the copy of one context directory as the last build saw it, with
///   `manifest.json` saying what it holds (absent while it changes, so a crash mid-way means
///   "start over", never "trust a half-made copy"), `df/` for the Dockerfile and its ignore
///   file, and `out/` for outputs on their way back. A build holds `trees/<key>.lock`; a second
///   build of the same context at once gets `<key>-1`, and so on.
///
/// Every path comes from the client's manifest, so every write goes through `ConfinedDirectory`:
/// nothing lands outside the tree, whatever the names and links say.
final class ContextMirror {
    let base: String
    private let storeLock: Int32

    init(root: StateRoot, clientID: String) throws(RemoteBuildError) {
        guard Self.isSafeName(clientID) else { throw .refused("remote build: bad client id \(GoQuote.quote(clientID))") }
        base = root.subdirectory("remote-contexts") + "/" + clientID
        do {
            try FileManager.default.createDirectory(atPath: base + "/blobs", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try FileManager.default.createDirectory(atPath: base + "/trees", withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(base): \(error.localizedDescription)")
        }
        storeLock = open(base + "/store.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard storeLock >= 0 else { throw .io("cannot open \(base)/store.lock: \(String(cString: strerror(errno)))") }
        // Shared while this build receives and places files; `prune` wants it alone.
        flock(storeLock, LOCK_SH)
    }

    deinit { close(storeLock) }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7a).contains($0) || (0x41...0x5a).contains($0) || $0 == 0x2d }
    }

    func blobPath(_ digest: String) -> String { base + "/blobs/" + digest.dropFirst("sha256:".count) }

    /// The digests of the manifest's files that are not in the store, each once, in manifest order.
    func missing(_ manifest: ContextManifest) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for entry in manifest.entries {
            guard let digest = entry.digest, seen.insert(digest).inserted else { continue }
            if access(blobPath(digest), F_OK) != 0 { out.append(digest) }
        }
        return out
    }

    /// Takes a tree for the context `key`: its own when free, else a numbered sibling.
    func lease(key: String) throws(RemoteBuildError) -> MirrorTree {
        guard Self.isSafeName(key) else { throw .refused("remote build: bad context key \(GoQuote.quote(key))") }
        for n in 0..<8 {
            let name = n == 0 ? key : "\(key)-\(n)"
            let path = base + "/trees/" + name
            let fd = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .io("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                for sub in ["", "/ctx", "/df"] { mkdir(path + sub, 0o755) }
                return MirrorTree(path: path, lockFD: fd)
            }
            close(fd)
        }
        throw .refused("remote build: eight builds of this context from this client are running already")
    }

    /// Removes the copies no build has used for `treeLifetime` and the blobs that no copy's
    /// manifest names any more, unless another build of this client is placing files right now
    /// (it may need what looks unused).
    func prune(treeLifetime: TimeInterval = 7 * 86_400) {
        guard flock(storeLock, LOCK_EX | LOCK_NB) == 0 else { return }
        defer { flock(storeLock, LOCK_SH) }
        var used = Set<String>()
        let trees = base + "/trees"
        // A copy no build has used for `treeLifetime` goes, with what only it named.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: trees)) ?? [] where !name.hasSuffix(".lock") {
            let path = trees + "/" + name
            let lastUsed = (try? FileManager.default.attributesOfItem(atPath: path + "/manifest.json"))?[.modificationDate] as? Date
                ?? (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date ?? Date()
            guard Date().timeIntervalSince(lastUsed) > treeLifetime else { continue }
            let lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard lock >= 0 else { continue }
            if flock(lock, LOCK_EX | LOCK_NB) == 0 {
                try? FileManager.default.removeItem(atPath: path)
                unlink(path + ".lock")
            }
            close(lock)
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: trees)) ?? [] where !name.hasSuffix(".lock") {
            guard let data = FileManager.default.contents(atPath: trees + "/" + name + "/manifest.json"),
                  let manifest = try? JSONDecoder().decode(ContextManifest.self, from: data) else { continue }
            for entry in manifest.entries { if let d = entry.digest { used.insert(String(d.dropFirst("sha256:".count))) } }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base + "/blobs")) ?? [] where !used.contains(name) {
            // A blob on its way in belongs to a running build, unless its session died long ago.
            if name.hasPrefix(".incoming-"),
               let modified = (try? FileManager.default.attributesOfItem(atPath: base + "/blobs/" + name))?[.modificationDate] as? Date,
               Date().timeIntervalSince(modified) < 3600 { continue }
            unlink(base + "/blobs/" + name)
        }
    }

    /// Makes the tree's `ctx/` hold exactly `manifest`: what changed or went away is removed,
    /// what is new is made from the store, metadata is set as the client has it.
    func apply(_ manifest: ContextManifest, to tree: MirrorTree) throws -> ContextSynced {
        let old = tree.manifest()
        unlink(tree.path + "/manifest.json")
        let ctx = tree.path + "/ctx"
        if old == nil {
            try? FileManager.default.removeItem(atPath: ctx)
            mkdir(ctx, 0o755)
        }
        let dir = try ConfinedDirectory(root: ctx)
        // Keyed by bytes: Swift's String equality would take two spellings of "é" for one name.
        let wanted = Dictionary(manifest.entries.map { (Array($0.path.utf8), $0) }, uniquingKeysWith: { a, _ in a })
        var kept: [[UInt8]: ContextManifest.Entry] = [:]
        var removed = 0
        let oldEntries: [ContextManifest.Entry] = old?.entries ?? []
        for entry in oldEntries.sorted(by: { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }).reversed() {
            if let now = wanted[Array(entry.path.utf8)], now.sameContent(as: entry) {
                kept[Array(entry.path.utf8)] = entry
                continue
            }
            do {
                try dir.withParent(entry.path, create: false) { parent, name in
                    try ConfinedDirectory.remove(parent, name, display: entry.path)
                }
            } catch let ImageError.fileSystem(_, _, code) where code == ENOENT {
                // Gone with a directory removed before it.
            }
            removed += 1
        }
        let chown = getuid() == 0
        var written = 0
        var bytes: Int64 = 0
        for entry in manifest.entries {
            let same = kept[Array(entry.path.utf8)]
            try dir.withParent(entry.path) { parent, name in
                if same == nil {
                    switch entry.kind {
                    case .directory:
                        try ConfinedDirectory.ensureDirectory(parent, name, mode: 0o755, display: entry.path)
                    case .symlink:
                        try ConfinedDirectory.createSymlink(parent, name, target: entry.target ?? "", display: entry.path)
                    case .file:
                        let fd = try ConfinedDirectory.createFile(parent, name, display: entry.path)
                        defer { close(fd) }
                        try copyBlob(entry.digest ?? "", into: fd, display: entry.path)
                        bytes += entry.size
                    }
                    written += 1
                }
                // A directory's mode waits for the last pass: a read-only one would refuse its children.
                if same != entry && entry.kind != .directory {
                    let (seconds, nanoseconds) = ContextManifest.timespecParts(entry.mtime)
                    try ConfinedDirectory.setMetadata(parent, name, kind: Self.kind(entry.kind), mode: entry.mode, uid: Int(entry.uid),
                                                      gid: Int(entry.gid), mtime: seconds, mtimeNanoseconds: nanoseconds, xattrs: [:],
                                                      chown: chown, display: entry.path)
                }
            }
        }
        // Directories last, deepest first: making their children changed their times.
        for entry in manifest.entries.reversed() where entry.kind == .directory {
            try dir.withParent(entry.path) { parent, name in
                let (seconds, nanoseconds) = ContextManifest.timespecParts(entry.mtime)
                try ConfinedDirectory.setMetadata(parent, name, kind: .directory, mode: entry.mode, uid: Int(entry.uid), gid: Int(entry.gid),
                                                  mtime: seconds, mtimeNanoseconds: nanoseconds, xattrs: [:], chown: chown,
                                                  display: entry.path)
            }
        }
        try AtomicFile.write(try JSONEncoder().encode(manifest), to: tree.path + "/manifest.json", mode: 0o600)
        return ContextSynced(written: written, removed: removed, bytes: bytes)
    }

    /// Tells the build's stat cache the digests of the copy's files, which are the manifest's:
    /// every blob was hashed as it came in, so the build's load of the copy need not hash them
    /// again. Worth a walk of the copy only when many bytes were written.
    func seedStatCache(_ manifest: ContextManifest, tree: MirrorTree, root: StateRoot) {
        guard let entries = try? ContextWalker(root: tree.contextPath, patterns: []).walk() else { return }
        var contents: [String: String] = [:]
        for entry in manifest.entries where entry.kind == .file { contents[entry.path] = entry.digest }
        let context = BuildContext(root: tree.contextPath, entries: entries, contents: contents, ignorePatterns: [], bytesHashed: 0,
                                   filesHashed: 0)
        try? StatCache.open(root: root, contextPath: tree.contextPath).save(context)
    }

    private static func kind(_ kind: ContextManifest.Entry.Kind) -> FileAttributes.Kind {
        switch kind {
        case .file: .file
        case .directory: .directory
        case .symlink: .symlink
        }
    }

    /// Copies a blob into a new file in the kernel (`copy_file_range`), by reading and writing
    /// where it cannot.
    private func copyBlob(_ digest: String, into fd: Int32, display: String) throws {
        let source = open(blobPath(digest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard source >= 0 else { throw RemoteBuildError.io("\(display): the store lacks \(digest)") }
        defer { close(source) }
        while true {
            let n = swb_copy_file_range(source, fd, 1 << 30)
            if n > 0 { continue }
            if n == 0 { return }
            if errno == EINTR { continue }
            if errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP { break }
            throw ImageError.posix("copy", display)
        }
        _ = try ConfinedDirectory.copy(FileSource(owning: dup(source), path: display), into: fd, display: display)
    }
}

/// One leased tree of the mirror; closing the lease frees it for the next build.
final class MirrorTree {
    let path: String
    private let lockFD: Int32

    init(path: String, lockFD: Int32) {
        self.path = path
        self.lockFD = lockFD
    }

    deinit { close(lockFD) }

    var contextPath: String { path + "/ctx" }
    var outputDirectory: String { path + "/out" }

    /// What `ctx/` holds, or nil when that is not known (first use, or an interrupted change).
    func manifest() -> ContextManifest? {
        FileManager.default.contents(atPath: path + "/manifest.json").flatMap { try? JSONDecoder().decode(ContextManifest.self, from: $0) }
    }
}

/// A blob on its way in: written under a temporary name while it is hashed, kept under its
/// digest only when the bytes match it.
final class BlobReceiver {
    private let mirror: ContextMirror
    private let digest: String
    private let temporary: String
    private let fd: Int32
    private var hasher = SHA256()
    private(set) var bytes: Int64 = 0

    init(mirror: ContextMirror, digest: String) throws(RemoteBuildError) {
        self.mirror = mirror
        self.digest = digest
        temporary = mirror.base + "/blobs/.incoming-" + UUID().uuidString.lowercased()
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
    }

    func append(_ data: Data) throws {
        hasher.update(data: data)
        bytes += Int64(data.count)
        try data.withUnsafeBytes { try FileSink.writeAll(fd: fd, $0, path: temporary) }
    }

    func finish() throws(RemoteBuildError) {
        close(fd)
        let got = "sha256:" + Digest.lowercaseHex(hasher.finalize())
        guard got == digest else {
            unlink(temporary)
            throw .badManifest("the bytes sent for \(digest) hash to \(got)")
        }
        guard rename(temporary, mirror.blobPath(digest)) == 0 else {
            unlink(temporary)
            throw .io("cannot store \(digest): \(String(cString: strerror(errno)))")
        }
    }

    func abandon() {
        close(fd)
        unlink(temporary)
    }
}
