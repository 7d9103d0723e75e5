import Foundation

/// `du`: what the state root holds, by kind.
public struct StorageReport: Sendable, Equatable {
    public var layers: Int64 = 0
    public var layerCount = 0
    public var blobs: Int64 = 0
    public var blobCount = 0
    public var cacheMounts: Int64 = 0
    public var cacheMountCount = 0
    public var buildRecords: Int64 = 0
    public var buildRecordCount = 0
    public var cacheRecordCount = 0

    public var total: Int64 { layers + blobs + cacheMounts + buildRecords }

    public static func measure(root: StateRoot) async throws -> StorageReport {
        var r = StorageReport()
        let layerStore = try LayerStore(root: root.path)
        for id in try layerStore.all() {
            r.layers += (try? layerStore.size(id)) ?? 0
            r.layerCount += 1
        }
        for blob in try layerStore.content.all() {
            r.blobs += blob.size
            r.blobCount += 1
        }
        let mounts = root.subdirectory("cachemounts")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: mounts)) ?? [] {
            r.cacheMounts += DirectorySize.of(mounts + "/" + name)
            r.cacheMountCount += 1
        }
        let history = root.subdirectory("history")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: history)) ?? [] where name.hasSuffix(".jsonl") {
            r.buildRecords += DirectorySize.of(history + "/" + name)
            r.buildRecordCount += 1
        }
        r.cacheRecordCount = await CacheStore(root: root).all().count
        return r
    }

    /// A table like `docker system df`.
    public var text: String {
        func row(_ kind: String, _ count: Int, _ size: Int64) -> String {
            kind.padding(toLength: 16, withPad: " ", startingAt: 0) + String(count).padding(toLength: 8, withPad: " ", startingAt: 0)
                + ByteCount.format(size)
        }
        return ["TYPE            COUNT   SIZE",
                row("layers", layerCount, layers),
                row("blobs", blobCount, blobs),
                row("cache mounts", cacheMountCount, cacheMounts),
                row("build records", buildRecordCount, buildRecords),
                row("total", layerCount + blobCount + cacheMountCount + buildRecordCount, total)].joined(separator: "\n")
    }
}

/// Sizes on disk, counting each inode once.
enum DirectorySize {
    static func of(_ path: String) -> Int64 {
        var seen = Set<UInt64>()
        var total: Int64 = 0
        func visit(_ p: String) {
            var st = stat()
            guard lstat(p, &st) == 0 else { return }
            if seen.insert(UInt64(st.st_ino)).inserted { total += Int64(st.st_blocks) * 512 }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: p)) ?? [] { visit(p + "/" + name) }
            }
        }
        visit(path)
        return total
    }
}
