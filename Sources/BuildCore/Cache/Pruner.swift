import Foundation

/// `prune`: removes cache records (oldest use first) older than `until` or beyond
/// `keepStorage`, then the layers and blobs nothing references any more: not a kept cache
/// record, not an image in the store. `all` also empties the cache mounts. Only layers are
/// deleted that no running build holds (builds share the store lock that prune takes exclusively,
/// so prune refuses while one runs and a build starting meanwhile waits for it).
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
        var records = await cache.all().sorted { $0.lastUsed < $1.lastUsed }
        let now = Date()
        var keep: [CacheRecord] = []
        var layerSizes: [String: Int64] = [:]
        for id in try layers.all() { layerSizes[id.value] = (try? layers.size(id)) ?? 0 }
        var total = layerSizes.values.reduce(0, +)
        while let record = records.first {
            records.removeFirst()
            let old = until.map { now.timeIntervalSince(record.lastUsed) > $0 } ?? false
            let over = keepStorage.map { total > $0 } ?? false
            if all || old || over {
                await cache.remove(record.key)
                result.records += 1
                total -= record.layers.last.flatMap { layerSizes[$0] } ?? 0
            } else {
                keep.append(record)
            }
        }
        // What is still referenced: kept records and every image in the store.
        var referencedLayers = Set(keep.flatMap(\.layers))
        var referencedBlobs = Set<Digest>()
        var byDiffID: [Digest: [String]] = [:]
        for id in try layers.all() {
            guard let meta = try? layers.metadata(id) else { continue }
            for d in Set([meta.diffID].compactMap { $0 } + meta.exports.map(\.diffID)) { byDiffID[d, default: []].append(id.value) }
        }
        for record in try images.list() {
            referencedBlobs.insert(record.manifest.digest)
            guard let image = try? images.resolve(record.name) else { continue }
            referencedBlobs.insert(image.manifest.config.digest)
            for l in image.manifest.layers { referencedBlobs.insert(l.digest) }
            for d in image.config.rootfs.diffIDs { referencedLayers.formUnion(byDiffID[d] ?? []) }
            referencedBlobs.insert(image.manifestDescriptor.digest)
        }
        for id in try layers.all() where !referencedLayers.contains(id.value) {
            let size = layerSizes[id.value] ?? 0
            try? layers.remove(id)
            result.layers += 1
            result.reclaimed += size
        }
        for id in try layers.all() {
            for e in (try? layers.metadata(id))?.exports ?? [] { referencedBlobs.insert(e.blob.digest) }
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
