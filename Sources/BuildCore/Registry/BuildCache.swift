import Foundation

/// `--cache-to` / `--cache-from` as buildx spells them: `type=registry,ref=REF[,mode=min|max]`
/// and `type=local,dest=DIR` / `type=local,src=DIR` (an OCI layout).
public struct CacheSpec: Sendable, Equatable {
    public enum Location: Sendable, Equatable, CustomStringConvertible {
        case registry(String)
        case local(String)

        public var description: String {
            switch self {
            case .registry(let ref): ref
            case .local(let dir): dir
            }
        }
    }
    public var location: Location
    /// `max`: every step's layers; `min` (the default): only the final image's.
    public var max: Bool

    public init(location: Location, max: Bool = false) {
        self.location = location
        self.max = max
    }

    /// The spec in the form `parse` reads back (for a remote build's spec).
    public var text: String {
        switch location {
        case .registry(let ref): "type=registry,ref=\(ref),mode=\(max ? "max" : "min")"
        case .local(let dir): "type=local,src=\(dir),dest=\(dir),mode=\(max ? "max" : "min")"
        }
    }

    public static func parse(_ text: String, exporting: Bool) throws -> CacheSpec {
        // buildx: a bare reference means type=registry,ref=REF.
        if !text.contains("=") { return CacheSpec(location: .registry(text)) }
        var fields: [String: String] = [:]
        for field in text.split(separator: ",") {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw RegistryError("invalid cache field \"\(field)\" in \"\(text)\": expected key=value") }
            fields[parts[0].lowercased()] = parts[1]
        }
        let mode = fields["mode"] ?? "min"
        guard mode == "min" || mode == "max" else { throw RegistryError("invalid cache mode \"\(mode)\": use min or max") }
        switch fields["type"] ?? "registry" {
        case "registry":
            guard let ref = fields["ref"], !ref.isEmpty else { throw RegistryError("cache type=registry needs ref=REF") }
            return CacheSpec(location: .registry(ref), max: mode == "max")
        case "local":
            let key = exporting ? "dest" : "src"
            guard let dir = fields[key], !dir.isEmpty else { throw RegistryError("cache type=local needs \(key)=DIR") }
            return CacheSpec(location: .local(dir), max: mode == "max")
        case let other:
            throw RegistryError("unsupported cache type \"\(other)\": use registry or local")
        }
    }
}

/// swbuild's build cache as an OCI artifact: an image manifest whose `artifactType` and config
/// say "swbuild cache", the config a JSON list of cache records (key, step, layer diffIDs) and
/// the layers the records' layer blobs (gzip). Any registry stores it; an OCI layout directory
/// holds it the same way. The keys are swbuild's: BuildKit's caches are not interchangeable.
public struct CacheManifest: Codable, Sendable, Equatable {
    public static let artifactType = "application/vnd.swbuild.cache.v1"
    public static let configType = "application/vnd.swbuild.cache.config.v1+json"

    public struct Record: Codable, Sendable, Equatable {
        public var key: String
        public var name: String
        public var duration: Double
        /// diffIDs, bottom to top.
        public var layers: [Digest]
    }

    public var version = 1
    public var records: [Record]
    /// diffID → the blob that holds it.
    public var blobs: [String: Descriptor]
}

/// Writes a build's cache records to a registry or a directory.
public struct CacheExporter: Sendable {
    public let images: RegistryImages

    public init(images: RegistryImages) { self.images = images }

    /// `records` are the build's steps (cache key, layer ids, name); `min` keeps those whose
    /// layers are a prefix of `final`. Returns where the cache went and how many records.
    public func export(_ spec: CacheSpec, records: [CacheRecord], final: [String]) async throws -> String {
        let chosen = spec.max ? records : records.filter { Array(final.prefix($0.layers.count)) == $0.layers }
        let layerStore = images.store.layerStore
        var blobs: [String: Descriptor] = [:]
        var byID: [String: Digest] = [:]
        for id in Set(chosen.flatMap(\.layers)).sorted() {
            try Task.checkCancellation()
            let export = try await Blocking.run { try layerStore.exportLayer(LayerID(id), compression: .gzip) }
            var blob = export.blob
            blob.mediaType = MediaType.layerGzip
            blob.annotations = nil
            blobs[export.diffID.value] = blob
            byID[id] = export.diffID
        }
        let manifestRecords = chosen.map { record in
            CacheManifest.Record(key: record.key, name: record.name, duration: record.duration, layers: record.layers.compactMap { byID[$0] })
        }.sorted { $0.key < $1.key }
        let cache = CacheManifest(records: manifestRecords, blobs: blobs)
        let configData = try CanonicalJSON.encode(cache)
        let content = images.store.content
        let configDigest = try content.put(configData)
        var manifest = ImageManifest(config: Descriptor(mediaType: CacheManifest.configType, digest: configDigest, size: Int64(configData.count)),
                                     layers: blobs.values.sorted { $0.digest.value < $1.digest.value }, annotations: nil)
        manifest.artifactType = CacheManifest.artifactType
        let manifestData = try CanonicalJSON.encode(manifest)
        let manifestDigest = try content.put(manifestData)
        let descriptor = Descriptor(mediaType: MediaType.imageManifest, digest: manifestDigest, size: Int64(manifestData.count))
        switch spec.location {
        case .registry(let ref):
            let reference = try RegistryReference(parsing: ref)
            let pusher = ImagePusher(client: images.puller.client, content: content, records: images.records)
            let digest = try await pusher.push(descriptor, to: reference)
            return "cache \(reference.registry)/\(reference.repository)@\(digest.value) (\(chosen.count) records)"
        case .local(let dir):
            try OCILayoutDirectory(path: dir).write(descriptor, blobs: [configDigest] + manifest.layers.map(\.digest), from: content)
            return "cache \(dir) (\(chosen.count) records)"
        }
    }
}

/// `--cache-from`: the records of a cache artifact, consulted when the local cache misses. A hit
/// fetches only that step's layers the layer store lacks, verified against digest and diffID.
public final class CacheImporter: Sendable {
    let images: RegistryImages
    let sources: [(spec: CacheSpec, cache: CacheManifest)]

    /// Loads each source's record list (small); a source that cannot be read is a warning, as in
    /// buildx, not a failed build.
    public static func load(_ specs: [CacheSpec], images: RegistryImages,
                            warn: @Sendable (String) -> Void) async -> CacheImporter {
        var loaded: [(CacheSpec, CacheManifest)] = []
        for spec in specs {
            do {
                loaded.append((spec, try await read(spec, images: images)))
            } catch {
                warn("cannot import the cache \(spec.location): \(error)")
            }
        }
        return CacheImporter(images: images, sources: loaded)
    }

    init(images: RegistryImages, sources: [(spec: CacheSpec, cache: CacheManifest)]) {
        self.images = images
        self.sources = sources
    }

    private static func read(_ spec: CacheSpec, images: RegistryImages) async throws -> CacheManifest {
        let content = images.store.content
        let manifestData: Data
        switch spec.location {
        case .registry(let ref):
            let reference = try RegistryReference(parsing: ref)
            manifestData = try await images.puller.client.fetchManifest(reference).data
        case .local(let dir):
            manifestData = try OCILayoutDirectory(path: dir).read()
        }
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: manifestData)
        guard manifest.config.mediaType == CacheManifest.configType else {
            throw RegistryError("not a swbuild cache (config type \(manifest.config.mediaType)); BuildKit caches are not interchangeable")
        }
        guard manifest.config.size <= 64 << 20 else { throw RegistryError("the cache's record list claims \(manifest.config.size) bytes") }
        switch spec.location {
        case .registry(let ref):
            try await images.puller.client.fetchBlob(try RegistryReference(parsing: ref), manifest.config, into: content)
        case .local(let dir):
            try OCILayoutDirectory(path: dir).copyBlob(manifest.config, into: content)
        }
        return try JSONDecoder().decode(CacheManifest.self, from: try content.data(for: manifest.config.digest))
    }

    public var isEmpty: Bool { sources.isEmpty }

    /// The record for `key`, its layers now in the layer store; nil when no source has it.
    public func lookup(_ key: String, name: String) async throws -> CacheRecord? {
        for (spec, cache) in sources {
            guard let record = cache.records.first(where: { $0.key == key }) else { continue }
            var ids: [String] = []
            for diffID in record.layers {
                if let id = try images.store.layerStore.find(diffID: diffID) {
                    ids.append(id.value)
                    continue
                }
                guard let blob = cache.blobs[diffID.value] else { return nil }
                ids.append(try await fetch(blob, diffID: diffID, from: spec).value)
            }
            return CacheRecord(key: key, layers: ids, duration: record.duration, name: name)
        }
        return nil
    }

    private func fetch(_ blob: Descriptor, diffID: Digest, from spec: CacheSpec) async throws -> LayerID {
        let content = images.store.content
        switch spec.location {
        case .registry(let ref):
            try await images.puller.client.fetchBlob(try RegistryReference(parsing: ref), blob, into: content)
        case .local(let dir):
            try OCILayoutDirectory(path: dir).copyBlob(blob, into: content)
        }
        let layerStore = images.store.layerStore
        return try await Blocking.run {
            try layerStore.importLayer(blobAt: content.path(for: blob.digest), compression: .gzip, expectedDiffID: diffID, blob: blob)
        }
    }
}

/// An OCI image layout directory holding one tagged manifest (`latest`): `oci-layout`,
/// `index.json` and `blobs/sha256/…`. Blobs read back are verified against their digests.
struct OCILayoutDirectory {
    let path: String

    func write(_ manifest: Descriptor, blobs: [Digest], from content: ContentStore) throws {
        let blobDirectory = path + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobDirectory, withIntermediateDirectories: true)
        for digest in blobs + [manifest.digest] {
            let target = blobDirectory + "/" + digest.hex
            if FileManager.default.fileExists(atPath: target) { continue }
            try AtomicFile.write(try Data(contentsOf: URL(fileURLWithPath: content.path(for: digest))), to: target, durable: false)
        }
        try AtomicFile.write(Data("{\"imageLayoutVersion\":\"1.0.0\"}".utf8), to: path + "/oci-layout")
        var entry = manifest
        entry.annotations = [AnnotationKey.refName: "latest"]
        try AtomicFile.write(try CanonicalJSON.encode(ImageIndex(manifests: [entry])), to: path + "/index.json")
    }

    func read() throws -> Data {
        guard let data = try ScopedPath.read("index.json", in: path, limit: 4 << 20) else {
            throw RegistryError("\(path) holds no OCI layout (no index.json)")
        }
        let index = try JSONDecoder().decode(ImageIndex.self, from: data)
        guard let entry = index.manifests.first(where: { $0.annotations?[AnnotationKey.refName] == "latest" }) ?? index.manifests.first else {
            throw RegistryError("\(path)/index.json lists no manifest")
        }
        return try verified(entry)
    }

    func copyBlob(_ blob: Descriptor, into content: ContentStore) throws {
        if content.contains(blob.digest) { return }
        do {
            try content.put(fileAt: try ScopedPath.resolve("blobs/sha256/" + blob.digest.hex, in: path, followFinal: true),
                            expected: blob.digest)
        } catch ImageError.digestMismatch {
            throw RegistryError("\(path): blob \(blob.digest.value) does not match its digest")
        }
    }

    private func verified(_ descriptor: Descriptor) throws -> Data {
        guard descriptor.size <= 4 << 20,
              let data = try ScopedPath.read("blobs/sha256/" + descriptor.digest.hex, in: path, limit: 4 << 20) else {
            throw RegistryError("\(path): manifest \(descriptor.digest.value) is missing")
        }
        guard Digest.sha256(data) == descriptor.digest else {
            throw RegistryError("\(path): manifest \(descriptor.digest.value) does not match its digest")
        }
        return data
    }
}
