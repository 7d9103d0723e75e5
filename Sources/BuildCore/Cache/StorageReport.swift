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

/// Human sizes (`1.5MB`), and parsing of `--keep-storage 10GB`.
public enum ByteCount {
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes)B" : String(format: "%.1f%@", value, units[unit])
    }

    public static func parse(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let number = t.prefix { $0.isNumber || $0 == "." }
        guard let value = Double(number) else { return nil }
        let unit = t.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
        let factors: [String: Double] = ["": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
                                         "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824]
        guard let f = factors[unit] else { return nil }
        return Int64(value * f)
    }
}
