import Foundation

/// Content-addressed blobs (layers, configs, manifests) at `<root>/content/blobs/sha256/<hex>`,
/// the same layout as an OCI image layout's `blobs/` so exporters copy files as they are.
///
/// Invariant: a file under `blobs/` is complete and its name is the SHA-256 of its bytes. Every
/// write goes to a temp file under `<root>/tmp`, is hashed while it streams, fsynced, and only
/// then renamed into place, so a crash leaves at worst a stray temp file, never a wrong blob.
/// Writers racing on the same digest are harmless: both renames publish identical bytes.
public struct ContentStore: Sendable {
    public struct BlobInfo: Sendable, Equatable {
        public var digest: Digest
        public var size: Int64
        /// Last modification, for prune-by-age.
        public var modified: Date
    }

    /// The state root (`--root`).
    public let root: String
    public var blobsDirectory: String { root + "/content/blobs/sha256" }
    var temporaryDirectory: String { root + "/tmp" }

    public init(root: String) throws {
        self.root = root
        try FileAttributes.makeDirectories(root + "/content/blobs/sha256")
        try FileAttributes.makeDirectories(root + "/tmp")
    }

    public func path(for digest: Digest) -> String { blobsDirectory + "/" + digest.hex }

    public func contains(_ digest: Digest) -> Bool {
        var st = stat()
        return lstat(path(for: digest), &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    public func size(of digest: Digest) throws -> Int64 {
        var st = stat()
        guard lstat(path(for: digest), &st) == 0 else {
            if errno == ENOENT { throw ImageError.blobNotFound(digest) }
            throw ImageError.posix("stat", path(for: digest))
        }
        return Int64(st.st_size)
    }

    /// A blob's bytes, for small blobs (JSON); refuses more than `limit` bytes.
    public func data(for digest: Digest, limit: Int = 64 << 20) throws -> Data {
        guard contains(digest) else { throw ImageError.blobNotFound(digest) }
        return try FileSource(path: path(for: digest)).readAll(limit: limit)
    }

    /// Stores bytes; when `expected` is given, bytes with another digest are refused. Bytes the
    /// store already has are not written again (a cached rebuild's config and manifest).
    @discardableResult
    public func put(_ data: Data, expected: Digest? = nil) throws -> Digest {
        let digest = Digest.sha256(data)
        if let expected, expected != digest { throw ImageError.digestMismatch(expected: expected, actual: digest) }
        if contains(digest) { return digest }
        let writer = try makeWriter()
        try writer.write(data)
        return try writer.commit(expected: expected).digest
    }

    /// Stores a copy of a file, hashing it as it streams.
    @discardableResult
    public func put(fileAt source: String, expected: Digest? = nil) throws -> Digest {
        let writer = try makeWriter()
        try FileSource(path: source).pipe(to: writer)
        return try writer.commit(expected: expected).digest
    }

    /// A sink that becomes a blob on `commit()`; dropped uncommitted, it leaves nothing behind.
    public func makeWriter() throws -> BlobWriter {
        try BlobWriter(store: self)
    }

    public func remove(_ digest: Digest) throws {
        if unlink(path(for: digest)) != 0 && errno != ENOENT { throw ImageError.posix("remove", path(for: digest)) }
    }

    /// Every blob, for `du` and `prune`. Stray files that are not digests are ignored.
    public func all() throws -> [BlobInfo] {
        var result: [BlobInfo] = []
        for name in try FileAttributes.sortedNames(blobsDirectory) {
            guard let digest = Digest(parsing: "sha256:" + name) else { continue }
            var st = stat()
            guard lstat(blobsDirectory + "/" + name, &st) == 0 else { continue }
            result.append(BlobInfo(digest: digest, size: Int64(st.st_size),
                                   modified: Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))))
        }
        return result
    }

    /// Makes a rename in `directory` durable.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// Streams one blob into the content store: bytes go to a temp file while being hashed;
/// `commit` fsyncs and renames the file to its digest.
public final class BlobWriter: ByteSink {
    private let store: ContentStore
    private let temporaryPath: String
    private let hasher: HashingSink
    private var done = false

    init(store: ContentStore) throws {
        self.store = store
        temporaryPath = store.temporaryDirectory + "/blob-" + UUID().uuidString
        hasher = HashingSink(forwardingTo: try FileSink(path: temporaryPath, mode: 0o644, sync: true))
    }

    deinit {
        if !done { unlink(temporaryPath) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try hasher.write(bytes)
    }

    /// Part of `ByteSink`; a no-op here, since `commit` finishes the stream.
    public func finish() throws {}

    /// Publishes the blob and returns its digest and size. With `expected`, a blob whose bytes
    /// hash differently is discarded and `digestMismatch` thrown.
    @discardableResult
    public func commit(expected: Digest? = nil) throws -> (digest: Digest, size: Int64) {
        done = true
        do {
            try hasher.finish()
            guard let digest = hasher.digest else { throw ImageError.compression("blob hash missing") }
            if let expected, expected != digest { throw ImageError.digestMismatch(expected: expected, actual: digest) }
            let destination = store.path(for: digest)
            if store.contains(digest) {
                unlink(temporaryPath)
            } else {
                guard rename(temporaryPath, destination) == 0 else { throw ImageError.posix("rename", destination) }
                ContentStore.syncDirectory(store.blobsDirectory)
            }
            return (digest, hasher.count)
        } catch {
            unlink(temporaryPath)
            throw error
        }
    }
}
