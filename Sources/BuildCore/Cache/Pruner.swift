import Foundation

/// `prune`: removes cache records (oldest use first) older than `until` or beyond
/// `keepStorage`, then the layers and blobs nothing references any more: not a kept cache
/// record, not an image in the store. `all` also empties the cache mounts. Only layers are
/// deleted that no running build holds (builds share the store lock that prune takes exclusively,
/// so prune refuses while one runs and a build starting meanwhile waits for it).
///
/// `keepStorage` bounds what the cache takes: the layers cache records hold and no image does
/// (an image's layers stay whatever the cache keeps, and unreferenced ones go anyway), each
/// counted once however many records share it. Removing a record frees a layer only when it
/// was the layer's last record.
public struct Pruner: Sendable {
    public var root: StateRoot
    public var all: Bool
    public var keepStorage: Int64?
    public var until: TimeInterval?

    public init(root: StateRoot, all: Bool = false, keepStorage: Int64? = nil, until: TimeInterval? = nil) {
        self.root = root
        self.all = all
        self.keepStorage = keepStorage
        self.until = until
    }

    public struct Result: Sendable {
        public var records = 0
        public var layers = 0
        public var blobs = 0
        public var cacheMounts = 0
        public var reclaimed: Int64 = 0
    }

    public func run() async throws -> Result {
        // Exclusive for the whole prune: running builds hold it shared, new ones wait for it.
        let base = root.subdirectory("run")
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let storeFD = open(BuildSessionLock.storeLockPath(root), O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard storeFD >= 0 else { throw PruneError.busy("cannot open \(BuildSessionLock.storeLockPath(root))") }
        defer { close(storeFD) }
        guard flock(storeFD, LOCK_EX | LOCK_NB) == 0 else {
            throw PruneError.busy("a build is running under \(root.path); prune when it has finished")
        }
        var result = Result()
        let cache = CacheStore(root: root)
        let layers = try LayerStore(root: root.path)
        let images = try ImageStore(layerStore: layers)
        let present = try layers.all()
        // Every layer's metadata, read once: its size, the diffIDs images name it by, its blobs.
        var metadata: [String: LayerMetadata] = [:]
        for id in present { metadata[id.value] = try? layers.metadata(id) }
        func size(_ layer: String) -> Int64 { metadata[layer]?.size ?? 0 }

        // What images hold: their blobs, and their layers found by diffID.
        var byDiffID: [Digest: [String]] = [:]
        for (id, meta) in metadata {
            for d in Set([meta.diffID].compactMap { $0 } + meta.exports.map(\.diffID)) { byDiffID[d, default: []].append(id) }
        }
        var imageLayers = Set<String>()
        var referencedBlobs = Set<Digest>()
        for record in try images.list() {
            referencedBlobs.insert(record.manifest.digest)
            guard let image = try? images.resolve(record.name) else { continue }
            referencedBlobs.insert(image.manifest.config.digest)
            for l in image.manifest.layers { referencedBlobs.insert(l.digest) }
            for d in image.config.rootfs.diffIDs { imageLayers.formUnion(byDiffID[d] ?? []) }
            referencedBlobs.insert(image.manifestDescriptor.digest)
        }

        // Cache records, oldest use first, against what the cache takes (see the type's comment).
        let records = await cache.all().sorted { $0.lastUsed < $1.lastUsed }
        var users: [String: Int] = [:]
        for record in records {
            for layer in Set(record.layers) { users[layer, default: 0] += 1 }
        }
        var cacheSize = users.keys.filter { !imageLayers.contains($0) }.reduce(Int64(0)) { $0 + size($1) }
        let now = Date()
        var keep: [CacheRecord] = []
        for record in records {
            let old = until.map { now.timeIntervalSince(record.lastUsed) > $0 } ?? false
            let over = keepStorage.map { cacheSize > $0 } ?? false
            guard all || old || over else {
                keep.append(record)
                continue
            }
            await cache.remove(record.key)
            result.records += 1
            for layer in Set(record.layers) {
                let left = (users[layer] ?? 1) - 1
                users[layer] = left
                if left == 0 && !imageLayers.contains(layer) { cacheSize -= size(layer) }
            }
        }

        let referencedLayers = imageLayers.union(keep.flatMap(\.layers))
        for id in present where !referencedLayers.contains(id.value) {
            guard (try? layers.remove(id)) != nil else { continue }
            result.layers += 1
            result.reclaimed += size(id.value)
            metadata[id.value] = nil
        }
        // The blobs the remaining layers were exported to (or imported from) stay too.
        for meta in metadata.values {
            for e in meta.exports { referencedBlobs.insert(e.blob.digest) }
        }
        for blob in try layers.content.all() where !referencedBlobs.contains(blob.digest) {
            try? layers.content.remove(blob.digest)
            result.blobs += 1
            result.reclaimed += blob.size
        }
        if all {
            let mounts = root.subdirectory("cachemounts")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: mounts)) ?? [] {
                let dir = mounts + "/" + name
                let fd = open(dir + "/lock", O_RDWR | O_CLOEXEC)
                defer { if fd >= 0 { close(fd) } }
                // A cache mount in use by a running step is kept.
                if fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 { continue }
                result.reclaimed += DirectorySize.of(dir)
                try? FileManager.default.removeItem(atPath: dir)
                result.cacheMounts += 1
            }
        }
        return result
    }
}

/// Why a prune did not run.
public enum PruneError: Error, CustomStringConvertible {
    case busy(String)

    public var description: String {
        switch self {
        case .busy(let message): message
        }
    }
}
