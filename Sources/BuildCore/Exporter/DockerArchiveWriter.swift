import Foundation

/// `type=docker`: the archive `docker save` writes and `docker load` / `podman load` /
/// `skopeo docker-archive:` read — `manifest.json` (`Config`, `RepoTags`, `Layers`), a
/// `repositories` file, the config, and every layer as an *uncompressed* tar whose SHA-256 is its
/// diffID (the form every version of those tools accepts). Paths follow Docker 25's layout,
/// `blobs/sha256/<hex>`. Deterministic and written atomically, like `OCIArchiveWriter`.
public struct DockerArchiveWriter: Sendable {
    public let content: ContentStore

    public init(content: ContentStore) {
        self.content = content
    }

    /// `names` become `RepoTags` in Docker's short form (`busybox:demo`).
    public func write(manifest descriptor: Descriptor, names: [String], to path: String, sourceDateEpoch: Int64? = nil) throws {
        try OCIArchiveWriter.atomically(path) { sink in
            try write(manifest: descriptor, names: names, into: sink, sourceDateEpoch: sourceDateEpoch)
        }
    }

    public func write(manifest descriptor: Descriptor, names: [String], into sink: ByteSink, sourceDateEpoch: Int64? = nil) throws {
        let manifest = try CanonicalJSON.decode(ImageManifest.self, from: try content.data(for: descriptor.digest),
                                                what: "manifest \(descriptor.digest)")
        let config = try CanonicalJSON.decode(ImageConfig.self, from: try content.data(for: manifest.config.digest),
                                              what: "config \(manifest.config.digest)")
        let diffIDs = config.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw ImageError.invalidImage("manifest has \(manifest.layers.count) layers but config lists \(diffIDs.count) diff_ids")
        }
        let mtime = sourceDateEpoch ?? 0
        let tags = names.map(Self.familiarName)
        let entry = DockerArchiveEntry(config: "blobs/sha256/" + manifest.config.digest.hex, repoTags: tags,
                                       layers: diffIDs.map { "blobs/sha256/" + $0.hex })
        var repositories: [String: [String: String]] = [:]
        if let top = diffIDs.last {
            for tag in tags {
                guard let colon = tag.lastIndex(of: ":"), !tag[colon...].contains("/") else { continue }
                repositories[String(tag[..<colon]), default: [:]][String(tag[tag.index(after: colon)...])] = top.hex
            }
        }

        let tar = TarWriter(sink: sink, sourceDateEpoch: sourceDateEpoch)
        try tar.write(.directory("blobs", mtime: mtime))
        try tar.write(.directory("blobs/sha256", mtime: mtime))
        try tar.write(TarEntry.file("blobs/sha256/" + manifest.config.digest.hex, size: 0, mtime: mtime),
                      data: try content.data(for: manifest.config.digest))
        var written = Set<Digest>()
        for (layer, diffID) in zip(manifest.layers, diffIDs) where written.insert(diffID).inserted {
            try Task.checkCancellation()
            try writeLayer(layer, diffID: diffID, into: tar, mtime: mtime)
        }
        try tar.write(TarEntry.file("manifest.json", size: 0, mtime: mtime), data: try CanonicalJSON.encode([entry]))
        try tar.write(TarEntry.file("repositories", size: 0, mtime: mtime), data: try CanonicalJSON.encode(repositories))
        try tar.finish()
    }

    /// Writes one layer uncompressed, checking that its bytes hash to the diffID.
    private func writeLayer(_ layer: Descriptor, diffID: Digest, into tar: TarWriter, mtime: Int64) throws {
        guard let compression = LayerCompression(mediaType: layer.mediaType) else {
            throw ImageError.unsupported("layer media type \(layer.mediaType)")
        }
        let blobPath = content.path(for: layer.digest)
        guard content.contains(layer.digest) else { throw ImageError.blobNotFound(layer.digest) }
        var uncompressed = blobPath
        var staged: String?
        defer { if let staged { unlink(staged) } }
        if compression != .none {
            // The tar header needs the size first, so the layer is decompressed to a temp file.
            let path = content.root + "/tmp/docker-layer-" + UUID().uuidString
            staged = path
            let sink = HashingSink(forwardingTo: try FileSink(path: path))
            try compression.decompressing(fileAt: blobPath).pipe(to: sink)
            try sink.finish()
            if sink.digest != diffID {
                throw ImageError.digestMismatch(expected: diffID, actual: sink.digest ?? Digest.sha256(Data()))
            }
            uncompressed = path
        } else if layer.digest != diffID {
            throw ImageError.digestMismatch(expected: diffID, actual: layer.digest)
        }
        let size = try FileAttributes.read(uncompressed).size
        try tar.write(TarEntry.file("blobs/sha256/" + diffID.hex, size: size, mtime: mtime),
                      contentsOf: FileSource(path: uncompressed))
    }

    /// Docker's short form of a name: `docker.io/library/busybox:demo` → `busybox:demo`,
    /// `docker.io/me/app:1` → `me/app:1`; other registries stay as they are.
    public static func familiarName(_ name: String) -> String {
        var full = ImageReference.normalize(name)
        if full.hasPrefix("docker.io/library/") {
            full = String(full.dropFirst("docker.io/library/".count))
        } else if full.hasPrefix("docker.io/") {
            full = String(full.dropFirst("docker.io/".count))
        }
        return full
    }
}
