import Foundation

/// A registry image resolved for one platform: what `FROM` needs before any layer moves.
public struct RemoteImage: Sendable {
    /// As asked for (by tag or digest).
    public var reference: RegistryReference
    /// Where it was found: a mirror or the registry's own API host.
    public var host: String
    /// What the name resolves to: an index, or the manifest itself.
    public var top: Descriptor
    public var manifestDescriptor: Descriptor
    public var manifest: ImageManifest
    public var config: ImageConfig
    public var configData: Data
}

/// One layer's progress through a pull, as BuildKit shows it (`sha256:… 12.3MB / 45.6MB`,
/// then `extracting sha256:…`).
public struct LayerProgress: Sendable {
    public enum Phase: String, Sendable { case downloading, extracting, done, exists }
    public var digest: Digest
    public var current: Int64
    public var total: Int64
    public var phase: Phase
}

/// Pulls images from registries into the local store: manifest (and index, narrowed to the
/// platform), config, then every layer in parallel — downloaded verified, unpacked and checked
/// against its diffID — and only then the name. A failed pull leaves no name and no partial blob.
public struct ImagePuller: Sendable {
    public let client: RegistryClient
    public let store: ImageStore
    /// Most layers an image may have; overlayfs could not stack more.
    public static let layerLimit = 500
    /// Layers fetched at once.
    public static let parallelLayers = 4

    public init(client: RegistryClient, store: ImageStore) {
        self.client = client
        self.store = store
    }

    /// Resolves a reference to its platform manifest and config, trying the registry's mirrors
    /// first; the manifests and config land in the content store (small, and verified).
    public func resolve(_ reference: RegistryReference, platform: Platform) async throws -> RemoteImage {
        let hosts = client.hosts.pullHosts(for: reference.registry).map { $0 == reference.registry ? reference.apiHost : $0 }
        var failures: [String] = []
        for (i, host) in hosts.enumerated() {
            do {
                return try await resolve(reference, platform: platform, host: host)
            } catch let error as RegistryError where i < hosts.count - 1 {
                failures.append(error.description)
            }
        }
        throw RegistryError(failures.joined(separator: "; "))
    }

    private func resolve(_ reference: RegistryReference, platform: Platform, host: String) async throws -> RemoteImage {
        let top = try await client.fetchManifest(reference, host: host)
        try store.content.put(top.data, expected: top.descriptor.digest)
        var manifestDescriptor = top.descriptor
        var manifestData = top.data
        if MediaType.isIndex(top.descriptor.mediaType) {
            let index = try decode(ImageIndex.self, top.data, reference, "index")
            do {
                manifestDescriptor = try ImageStore.select(platform, from: index.manifests, what: reference.description)
            } catch let error as ImageError {
                throw RegistryError("\(error)")
            }
            let fetched = try await client.fetchManifest(reference, digest: manifestDescriptor.digest, host: host)
            guard MediaType.isManifest(fetched.descriptor.mediaType) else {
                throw RegistryError("\(reference): the index entry for \(platform) is a \(fetched.descriptor.mediaType), not an image manifest")
            }
            manifestData = fetched.data
            manifestDescriptor.mediaType = fetched.descriptor.mediaType
            manifestDescriptor.size = fetched.descriptor.size
            try store.content.put(manifestData, expected: manifestDescriptor.digest)
        }
        let manifest = try decode(ImageManifest.self, manifestData, reference, "manifest")
        guard manifest.layers.count <= Self.layerLimit else {
            throw RegistryError("\(reference): the image has \(manifest.layers.count) layers; at most \(Self.layerLimit) can be stacked")
        }
        for layer in manifest.layers where LayerCompression(mediaType: layer.mediaType) == nil {
            throw RegistryError("\(reference): layer \(layer.digest.value) has the unsupported media type \(layer.mediaType)")
        }
        guard manifest.config.size <= 16 << 20 else {
            throw RegistryError("\(reference): the image config claims \(manifest.config.size) bytes; configs are metadata")
        }
        try await client.fetchBlob(reference, manifest.config, into: store.content, host: host)
        let configData = try store.content.data(for: manifest.config.digest)
        let config = try decode(ImageConfig.self, configData, reference, "config")
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw RegistryError("\(reference): \(manifest.layers.count) layers but \(config.rootfs.diffIDs.count) diff_ids in its config")
        }
        return RemoteImage(reference: reference, host: host, top: top.descriptor, manifestDescriptor: manifestDescriptor,
                           manifest: manifest, config: config, configData: configData)
    }

    /// Downloads and unpacks the layers the layer store lacks, a few at a time.
    public func fetchLayers(_ image: RemoteImage, progress: @escaping @Sendable (LayerProgress) -> Void = { _ in }) async throws {
        let pairs = Array(zip(image.manifest.layers, image.config.rootfs.diffIDs))
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                guard next < pairs.count else { return }
                let (blob, diffID) = pairs[next]
                next += 1
                group.addTask { try await fetchLayer(image, blob: blob, diffID: diffID, progress: progress) }
            }
            for _ in 0..<Self.parallelLayers { add() }
            while try await group.next() != nil { add() }
        }
    }

    private func fetchLayer(_ image: RemoteImage, blob: Descriptor, diffID: Digest,
                            progress: @escaping @Sendable (LayerProgress) -> Void) async throws {
        let layerStore = store.layerStore
        if try layerStore.find(diffID: diffID) != nil {
            progress(LayerProgress(digest: blob.digest, current: blob.size, total: blob.size, phase: .exists))
            return
        }
        try await client.fetchBlob(image.reference, blob, into: store.content, host: image.host) { received in
            progress(LayerProgress(digest: blob.digest, current: received, total: blob.size, phase: .downloading))
        }
        progress(LayerProgress(digest: blob.digest, current: blob.size, total: blob.size, phase: .extracting))
        let content = store.content
        try await Blocking.run {
            do {
                _ = try layerStore.importLayer(blobAt: content.path(for: blob.digest), compression: LayerCompression(mediaType: blob.mediaType),
                                               expectedDiffID: diffID, blob: blob)
            } catch {
                // A blob that does not unpack to its diffID is no use to anyone: drop it.
                try? content.remove(blob.digest)
                throw RegistryError("\(image.reference): layer \(blob.digest.value) does not unpack to its diff_id \(diffID.value): \(error)")
            }
        }
        progress(LayerProgress(digest: blob.digest, current: blob.size, total: blob.size, phase: .done))
    }

    /// `image pull`: resolve, fetch every layer, then name the image and remember the digest.
    @discardableResult
    public func pull(_ reference: RegistryReference, platform: Platform, records: PullRecords?,
                     progress: @escaping @Sendable (LayerProgress) -> Void = { _ in }) async throws -> RemoteImage {
        let image = try await resolve(reference, platform: platform)
        try await fetchLayers(image, progress: progress)
        try name(image, records: records)
        return image
    }

    /// Names a fetched image in the store: the tag (or `name@digest`) points at what the
    /// registry served, the index included, so `image ls` shows the digest docker would.
    public func name(_ image: RemoteImage, records: PullRecords?) throws {
        try store.tag(image.reference.description, manifest: image.top)
        records?.record(image.reference.description, digest: image.top.digest)
        records?.recordSources([image.manifest.config.digest] + image.manifest.layers.map(\.digest),
                               repository: image.reference.registry + "/" + image.reference.repository)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ reference: RegistryReference, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw RegistryError("\(reference): the \(what) is not valid: \(error)")
        }
    }
}

/// Runs blocking work (unpacking a layer, compressing one) on a thread of its own, so the
/// cooperative pool keeps serving downloads and events meanwhile.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
