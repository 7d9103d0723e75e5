import Foundation

/// What an export produced: the manifest to tag or write out, and what it points to.
public struct ExportedImage: Sendable, Equatable {
    public var manifest: Descriptor
    public var config: Descriptor
    public var layers: [LayerExport]
    /// The config as written (rootfs and history filled in).
    public var imageConfig: ImageConfig
}

/// Turns an ordered stack of layers plus an image config into an image in the content store:
/// layer blobs, config and manifest. The image can then be tagged in the `ImageStore` or written
/// out by `OCIArchiveWriter` / `DockerArchiveWriter`.
///
/// Reproducible: with the same layer contents, config and `sourceDateEpoch`, the manifest digest
/// is the same on every run and machine — layers are tarred in sorted order with clamped mtimes,
/// gzip headers carry no time, and JSON is canonical (`CanonicalJSON`). With an epoch, `created`
/// of the config and of every history entry is the epoch, as BuildKit does.
public struct ImageExporter: Sendable {
    public let layerStore: LayerStore
    public var content: ContentStore { layerStore.content }

    public init(layerStore: LayerStore) {
        self.layerStore = layerStore
    }

    /// gzip unless asked otherwise (`compression=zstd` goes through libzstd).
    public static let defaultCompression = LayerCompression.gzip

    /// Exports `layers` (lowest first) under `config`, whose `rootfs` is replaced. History gets
    /// one entry per layer when it has none, and missing entries are appended when it has fewer
    /// non-empty entries than layers, so `history` and `diff_ids` always line up. `progress`
    /// hears uncompressed bytes as layers are compressed, from several threads at once.
    public func export(layers ids: [LayerID], config: ImageConfig, compression: LayerCompression = defaultCompression,
                       sourceDateEpoch: Int64? = nil, annotations: [String: String]? = nil,
                       progress: (@Sendable (Int64) -> Void)? = nil) throws -> ExportedImage {
        try Task.checkCancellation()
        // Layers compress concurrently, one per core: each blob is the same whichever thread made it.
        let exports = try Self.concurrentMap(ids) { id in
            try layerStore.exportLayer(id, compression: compression, sourceDateEpoch: sourceDateEpoch, progress: progress)
        }
        var config = config
        config.rootfs = ImageConfig.RootFS(diffIDs: exports.map(\.diffID))
        if let epoch = sourceDateEpoch {
            let stamp = CanonicalJSON.timestamp(epoch)
            config.created = stamp
            config.history = config.history?.map { entry in
                var entry = entry
                if entry.created != nil { entry.created = stamp }
                return entry
            }
        }
        var history = config.history ?? []
        let nonEmpty = history.filter { $0.emptyLayer != true }.count
        if nonEmpty < exports.count {
            for _ in nonEmpty..<exports.count {
                history.append(ImageConfig.History(created: config.created, createdBy: "swbuild", comment: "layer"))
            }
        }
        config.history = history

        let configData = try CanonicalJSON.encode(config)
        let configDigest = try content.put(configData)
        let configDescriptor = Descriptor(mediaType: MediaType.imageConfig, digest: configDigest, size: Int64(configData.count))
        // An imported base layer may carry a Docker media type; an OCI manifest names OCI types.
        let layerDescriptors = exports.map { export -> Descriptor in
            var blob = export.blob
            blob.mediaType = export.compression.mediaType ?? blob.mediaType
            blob.annotations = nil
            return blob
        }
        let manifest = ImageManifest(config: configDescriptor, layers: layerDescriptors, annotations: annotations)
        let manifestData = try CanonicalJSON.encode(manifest)
        let manifestDigest = try content.put(manifestData)
        return ExportedImage(
            manifest: Descriptor(mediaType: MediaType.imageManifest, digest: manifestDigest, size: Int64(manifestData.count)),
            config: configDescriptor, layers: exports, imageConfig: config)
    }

    /// Every blob an image needs, manifest (or index) first, then config and layers; indexes are
    /// followed to their manifests. Throws `blobNotFound` when one is missing.
    static func blobs(of root: Descriptor, in content: ContentStore) throws -> [Descriptor] {
        var result: [Descriptor] = [root]
        guard content.contains(root.digest) else { throw ImageError.blobNotFound(root.digest) }
        let data = try content.data(for: root.digest)
        if MediaType.isIndex(root.mediaType) {
            let index = try CanonicalJSON.decode(ImageIndex.self, from: data, what: "index \(root.digest)")
            for manifest in index.manifests where content.contains(manifest.digest) {
                result += try blobs(of: manifest, in: content)
            }
        } else {
            let manifest = try CanonicalJSON.decode(ImageManifest.self, from: data, what: "manifest \(root.digest)")
            result.append(manifest.config)
            result += manifest.layers
            for blob in result where !content.contains(blob.digest) { throw ImageError.blobNotFound(blob.digest) }
        }
        var seen = Set<Digest>()
        return result.filter { seen.insert($0.digest).inserted }
    }

    /// `transform` over `items` on up to one thread per core, results in order; the first error
    /// thrown is rethrown once every item has finished.
    static func concurrentMap<T: Sendable, R>(_ items: [T], _ transform: @Sendable (T) throws -> R) throws -> [R] {
        guard items.count > 1 else { return try items.map(transform) }
        let slots = ResultSlots<R>(count: items.count)
        withoutActuallyEscaping(transform) { transform in
            let work = UncheckedBox(transform)
            DispatchQueue.concurrentPerform(iterations: items.count) { i in
                slots.set(i, Result { try work.value(items[i]) })
            }
        }
        return try slots.values.map { try $0!.get() }
    }
}

/// Results filled in by concurrent workers, each slot once.
private final class ResultSlots<R>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<R, Error>?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<R, Error>) {
        lock.lock()
        values[index] = result
        lock.unlock()
    }
}

private struct UncheckedBox<V>: @unchecked Sendable {
    let value: V
    init(_ value: V) { self.value = value }
}
