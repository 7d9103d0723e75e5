import Foundation

/// `type=oci`: an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) as one tar,
/// the format `skopeo copy oci-archive:`, `umoci` (after untarring) and `podman load` read.
///
/// `index.json` names the image the way containerd and BuildKit do: the tag alone in
/// `org.opencontainers.image.ref.name` (the OCI convention, which `umoci --image dir:TAG` and
/// `oci-archive:path:TAG` match) and the full name in `io.containerd.image.name`. The tar is
/// deterministic (sorted blobs, fixed mtimes) and written to a temp name, then renamed.
public struct OCIArchiveWriter: Sendable {
    public let content: ContentStore

    public init(content: ContentStore) {
        self.content = content
    }

    public func write(manifest: Descriptor, name: String?, to path: String, sourceDateEpoch: Int64? = nil) throws {
        try Self.atomically(path) { sink in
            try write(manifest: manifest, name: name, into: sink, sourceDateEpoch: sourceDateEpoch)
        }
    }

    /// Streams the layout tar into `sink` and finishes it.
    public func write(manifest: Descriptor, name: String?, into sink: ByteSink, sourceDateEpoch: Int64? = nil) throws {
        let mtime = sourceDateEpoch ?? 0
        var entry = manifest
        entry.annotations = nil
        entry.platform = nil
        if let name {
            let full = ImageReference.normalize(name)
            var annotations = [AnnotationKey.imageName: full]
            if let tag = Self.tag(of: full) { annotations[AnnotationKey.refName] = tag }
            entry.annotations = annotations
        }
        let index = ImageIndex(manifests: [entry])
        let tar = TarWriter(sink: sink, sourceDateEpoch: sourceDateEpoch)
        try tar.write(TarEntry.file("oci-layout", size: 0, mtime: mtime), data: Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try tar.write(TarEntry.file("index.json", size: 0, mtime: mtime), data: try CanonicalJSON.encode(index))
        try tar.write(.directory("blobs", mtime: mtime))
        try tar.write(.directory("blobs/sha256", mtime: mtime))
        for blob in try ImageExporter.blobs(of: manifest, in: content).sorted(by: { $0.digest < $1.digest }) {
            try Task.checkCancellation()
            let size = try content.size(of: blob.digest)
            try tar.write(TarEntry.file("blobs/sha256/" + blob.digest.hex, size: size, mtime: mtime),
                          contentsOf: FileSource(path: content.path(for: blob.digest)))
        }
        try tar.finish()
    }

    /// The tag of a normalised reference (`docker.io/library/busybox:demo` → `demo`), nil when
    /// it is pinned by digest only.
    static func tag(of reference: String) -> String? {
        let withoutDigest = reference.split(separator: "@", maxSplits: 1).first.map(String.init) ?? reference
        let last = withoutDigest.split(separator: "/").last.map(String.init) ?? withoutDigest
        guard let colon = last.lastIndex(of: ":") else { return nil }
        return String(last[last.index(after: colon)...])
    }

    /// Writes through a temp file next to `path` and renames it into place, so a reader never
    /// sees half an archive and a failure leaves nothing behind.
    /// A device or a pipe (`-o /dev/null`, `-o /dev/stdout`) is written in place: renaming over
    /// it would replace the host's device node with a regular file.
    static func atomically(_ path: String, _ body: (ByteSink) throws -> Void) throws {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR || (info.st_mode & S_IFMT) == S_IFIFO {
            let sink = try FileSink(path: path, mode: 0o644, sync: false)
            try body(sink)
            return
        }
        let directory = PathText.parent(of: path)
        let temporary = (directory.isEmpty ? "." : directory) + "/." + (path as NSString).lastPathComponent + ".tmp-" + UUID().uuidString
        do {
            let sink = try FileSink(path: temporary, mode: 0o644, sync: true)
            try body(sink)
            guard rename(temporary, path) == 0 else { throw ImageError.posix("rename", path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
