import Foundation

/// A name in the local image store and the manifest it points to.
public struct ImageRecord: Sendable, Equatable {
    /// Normalised: `docker.io/library/busybox:latest`.
    public var name: String
    public var manifest: Descriptor
}

/// An image looked up by name: its platform manifest and config (with the config's exact bytes,
/// which a build extends).
public struct ResolvedImage: Sendable, Equatable {
    public var name: String
    public var manifestDescriptor: Descriptor
    public var manifest: ImageManifest
    public var config: ImageConfig
    public var configData: Data
}

/// The local image store: names → manifests, in `<root>/images/index.json`, an OCI index whose
/// entries carry the full normalised name in `org.opencontainers.image.ref.name` (our own store,
/// so the full name rather than the layout convention's bare tag). Blobs live in the
/// `ContentStore`, unpacked layers in the `LayerStore`.
///
/// Names are normalised like docker: `busybox`, `busybox:latest` and
/// `docker.io/library/busybox:latest` are one image. A value type over the file system, safe to
/// share between tasks: `index.json` is read-modified-written under an exclusive `flock` and
/// replaced by `rename`, so concurrent tasks and processes never lose a tag or see half a file.
public struct ImageStore: Sendable {
    public let root: String
    public let layerStore: LayerStore
    public var content: ContentStore { layerStore.content }
    var imagesDirectory: String { root + "/images" }

    public init(root: String) throws {
        try self.init(layerStore: LayerStore(root: root))
    }

    public init(layerStore: LayerStore) throws {
        self.layerStore = layerStore
        root = layerStore.root
        try FileAttributes.makeDirectories(root + "/images")
    }

    /// Docker's normalisation, after checking the name is one (`invalidName` otherwise).
    public static func normalize(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }),
              !trimmed.hasPrefix("/"), !trimmed.hasSuffix(":"), !trimmed.contains("//") else {
            throw ImageError.invalidName(name)
        }
        let full = ImageReference.normalize(trimmed)
        let path = full.split(separator: "@").first.map(String.init) ?? full
        let repository = path.split(separator: "/").dropFirst().joined(separator: "/")
        guard repository == repository.lowercased() else { throw ImageError.invalidName(name) }
        if let at = full.firstIndex(of: "@"), Digest(parsing: String(full[full.index(after: at)...])) == nil {
            throw ImageError.invalidName(name)
        }
        return full
    }

    /// Points `name` at a manifest (or index) already in the content store.
    public func tag(_ name: String, manifest: Descriptor) throws {
        let full = try Self.normalize(name)
        guard content.contains(manifest.digest) else { throw ImageError.blobNotFound(manifest.digest) }
        try updateIndex { index in Self.setTag(full, manifest, in: &index) }
    }

    /// Tags by digest; the media type is read from the manifest itself.
    public func tag(_ name: String, manifestDigest: Digest) throws {
        let data = try content.data(for: manifestDigest)
        try tag(name, manifest: try Self.descriptor(for: manifestDigest, data: data))
    }

    /// Every tagged image, sorted by name.
    public func list() throws -> [ImageRecord] {
        try readIndex().manifests.compactMap { descriptor in
            guard let name = descriptor.annotations?[AnnotationKey.refName] else { return nil }
            var manifest = descriptor
            manifest.annotations = nil
            return ImageRecord(name: name, manifest: manifest)
        }.sorted { $0.name < $1.name }
    }

    /// Removes a name. Blobs and layers stay until pruned (other images may share them).
    public func remove(_ name: String) throws {
        let full = try Self.normalize(name)
        try updateIndex { index in
            let before = index.manifests.count
            index.manifests.removeAll { $0.annotations?[AnnotationKey.refName] == full }
            if index.manifests.count == before { throw ImageError.imageNotFound(name) }
        }
    }

    /// Looks an image up by name (or `name@sha256:…`, or a bare manifest digest) and reads its
    /// manifest and config; an index is narrowed to the host platform's manifest.
    public func resolve(_ name: String, platform: Platform = .host) throws -> ResolvedImage {
        var descriptor: Descriptor
        var full = name
        if let digest = Digest(parsing: name) {
            descriptor = try Self.descriptor(for: digest, data: try content.data(for: digest))
        } else {
            full = try Self.normalize(name)
            if let at = full.firstIndex(of: "@"), let digest = Digest(parsing: String(full[full.index(after: at)...])),
               content.contains(digest) {
                descriptor = try Self.descriptor(for: digest, data: try content.data(for: digest))
            } else if let found = try list().first(where: { $0.name == full }) {
                descriptor = found.manifest
            } else {
                throw ImageError.imageNotFound(name)
            }
        }
        if MediaType.isIndex(descriptor.mediaType) {
            let index = try CanonicalJSON.decode(ImageIndex.self, from: try content.data(for: descriptor.digest),
                                                 what: "index of \(name)")
            descriptor = try Self.select(platform, from: index.manifests, what: name)
        }
        let manifest = try CanonicalJSON.decode(ImageManifest.self, from: try content.data(for: descriptor.digest),
                                                what: "manifest of \(name)")
        let configData = try content.data(for: manifest.config.digest)
        let config = try CanonicalJSON.decode(ImageConfig.self, from: configData, what: "config of \(name)")
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw ImageError.invalidImage("\(name): \(manifest.layers.count) layers but \(config.rootfs.diffIDs.count) diff_ids")
        }
        return ResolvedImage(name: full, manifestDescriptor: descriptor, manifest: manifest, config: config, configData: configData)
    }

    /// The image's layers in the layer store, lowest first, importing any not unpacked yet
    /// (each checked against its diffID). These are the executor's overlay lowerdirs.
    public func layerIDs(of image: ResolvedImage) throws -> [LayerID] {
        try zip(image.manifest.layers, image.config.rootfs.diffIDs).map { blob, diffID in
            if let id = try layerStore.find(diffID: diffID) { return id }
            guard content.contains(blob.digest) else { throw ImageError.blobNotFound(blob.digest) }
            return try layerStore.importLayer(blobAt: content.path(for: blob.digest),
                                              compression: LayerCompression(mediaType: blob.mediaType),
                                              expectedDiffID: diffID, blob: blob)
        }
    }

    /// Writes an image as an OCI layout tar (`type=oci`).
    public func save(_ name: String, to path: String, platform: Platform = .host) throws {
        let image = try resolve(name, platform: platform)
        try OCIArchiveWriter(content: content).write(manifest: image.manifestDescriptor, name: image.name, to: path)
    }

    // MARK: - index.json

    static func setTag(_ full: String, _ manifest: Descriptor, in index: inout ImageIndex) {
        var entry = manifest
        entry.annotations = [AnnotationKey.refName: full]
        index.manifests.removeAll { $0.annotations?[AnnotationKey.refName] == full }
        index.manifests.append(entry)
        index.manifests.sort { ($0.annotations?[AnnotationKey.refName] ?? "") < ($1.annotations?[AnnotationKey.refName] ?? "") }
    }

    func readIndex() throws -> ImageIndex {
        let path = imagesDirectory + "/index.json"
        guard access(path, F_OK) == 0 else { return ImageIndex(manifests: []) }
        return try CanonicalJSON.decode(ImageIndex.self, from: try FileSource(path: path).readAll(limit: 64 << 20),
                                        what: path)
    }

    /// Read-modify-write of `index.json` under an exclusive `flock`, published by rename (and not
    /// written at all when the change changed nothing).
    func updateIndex(_ change: (inout ImageIndex) throws -> Void) throws {
        let lockPath = imagesDirectory + "/lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw ImageError.posix("open", lockPath) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw ImageError.posix("flock", lockPath) }
        var index = try readIndex()
        let before = index
        try change(&index)
        if index == before { return }
        let temporary = imagesDirectory + "/index.json.tmp-" + UUID().uuidString
        do {
            let sink = try FileSink(path: temporary, sync: true)
            try sink.write(try CanonicalJSON.encode(index))
            try sink.finish()
            guard rename(temporary, imagesDirectory + "/index.json") == 0 else {
                throw ImageError.posix("rename", imagesDirectory + "/index.json")
            }
            ContentStore.syncDirectory(imagesDirectory)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A descriptor for a manifest or index blob, from the media type it declares.
    static func descriptor(for digest: Digest, data: Data) throws -> Descriptor {
        struct Probe: Decodable {
            var mediaType: String?
            var manifests: [Descriptor]?
        }
        let probe = try CanonicalJSON.decode(Probe.self, from: data, what: "manifest \(digest)")
        let type = probe.mediaType ?? (probe.manifests != nil ? MediaType.imageIndex : MediaType.imageManifest)
        guard MediaType.isIndex(type) || MediaType.isManifest(type) else {
            throw ImageError.invalidImage("\(digest) is a \(type), not a manifest")
        }
        return Descriptor(mediaType: type, digest: digest, size: Int64(data.count))
    }

    /// The manifest for `platform` in an index: exact match, else same os/architecture, else the
    /// only real image in it.
    static func select(_ platform: Platform, from manifests: [Descriptor], what: String) throws -> Descriptor {
        let images = manifests.filter { $0.platform?.os != "unknown" && MediaType.isManifest($0.mediaType) }
        if let exact = images.first(where: { $0.platform == platform }) { return exact }
        if let close = images.first(where: { $0.platform?.os == platform.os && $0.platform?.architecture == platform.architecture }) {
            return close
        }
        if images.count == 1 { return images[0] }
        let available = images.compactMap { $0.platform?.description }
        throw ImageError.invalidImage("\(what) has no image for \(platform)"
            + (available.isEmpty ? "" : " (it has: \(available.joined(separator: ", ")))"))
    }
}
