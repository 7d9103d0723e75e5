import Foundation
import Testing
@testable import BuildCore

@Suite struct PrunerTests {
    func makeLayer(_ store: LayerStore, _ content: String) throws -> String {
        let dir = try store.makeWorkDirectory("t")
        FileManager.default.createFile(atPath: dir + "/f", contents: Data(content.utf8))
        return try store.commitLayer(fromDirectory: dir).value
    }

    @Test func pruneKeepsReferencedLayersAndHonoursFilters() async throws {
        let state = TempDirectory("prune")
        let root = StateRoot(path: state.path)
        let layers = try LayerStore(root: state.path)
        let cache = CacheStore(root: root)
        let old = try makeLayer(layers, "old")
        let recent = try makeLayer(layers, "recent")
        let orphan = try makeLayer(layers, "orphan")
        try await cache.store(CacheRecord(key: "sha256:" + String(repeating: "a", count: 64), layers: [old], duration: 1,
                                          created: Date(timeIntervalSinceNow: -7200), lastUsed: Date(timeIntervalSinceNow: -7200), name: "old"))
        try await cache.store(CacheRecord(key: "sha256:" + String(repeating: "b", count: 64), layers: [recent], duration: 1, name: "recent"))
        let before = try await StorageReport.measure(root: root)
        #expect(before.layerCount == 3)
        #expect(before.cacheRecordCount == 2)

        // Plain prune: only what nothing references.
        let first = try await Pruner(root: root).run()
        #expect(first.layers == 1)
        #expect(!layers.contains(LayerID(orphan)))
        #expect(layers.contains(LayerID(old)) && layers.contains(LayerID(recent)))

        // until=1h: the record unused for two hours goes, with its layer.
        let second = try await Pruner(root: root, until: 3600).run()
        #expect(second.records == 1)
        #expect(!layers.contains(LayerID(old)))
        #expect(layers.contains(LayerID(recent)))

        // --all: everything.
        _ = try await Pruner(root: root, all: true).run()
        let after = try await StorageReport.measure(root: root)
        #expect(after.layerCount == 0 && after.cacheRecordCount == 0)
    }

    @Test func pruneRefusesWhileABuildHoldsTheStore() async throws {
        let state = TempDirectory("prune-lock")
        let root = StateRoot(path: state.path)
        var session: BuildSessionLock? = try BuildSessionLock(root: root, id: "running-build")
        await #expect(throws: PruneError.self) { try await Pruner(root: root, all: true, keepStorage: nil, until: nil).run() }
        _ = session
        session = nil
        _ = try await Pruner(root: root, all: true, keepStorage: nil, until: nil).run()
    }

    @Test func keepStorageCountsASharedLayerUntilItsLastRecordGoes() async throws {
        let state = TempDirectory("prune-keep")
        let root = StateRoot(path: state.path)
        let layers = try LayerStore(root: state.path)
        let cache = CacheStore(root: root)
        let shared = try makeLayer(layers, String(repeating: "s", count: 200_000))
        let newest = try makeLayer(layers, "n")
        let sharedSize = try layers.size(LayerID(shared)), newestSize = try layers.size(LayerID(newest))
        // Two records end in the same layer (a RUN, then an ENV that adds none); a newer one has its own.
        for (i, (name, layer)) in [("run", shared), ("env", shared), ("newest", newest)].enumerated() {
            let used = Date(timeIntervalSinceNow: Double(i - 10) * 60)
            try await cache.store(CacheRecord(key: "sha256:" + String(repeating: String(i), count: 64), layers: [layer],
                                              duration: 1, created: used, lastUsed: used, name: name))
        }

        // Just over the limit: removing "run" alone frees nothing, "env" still holds the layer.
        let result = try await Pruner(root: root, keepStorage: sharedSize + newestSize - 1).run()
        #expect(result.records == 2)
        #expect(await cache.all().map(\.name) == ["newest"])
        #expect(!layers.contains(LayerID(shared)) && layers.contains(LayerID(newest)))
        #expect(result.reclaimed == sharedSize)
    }

    @Test func byteCountsParseAsDockerAndFormat() {
        // Binary units however they are spelt, as docker's RAMInBytes (prune sizes and tmpfs sizes).
        for text in ["10GB", "10g", "10GiB", "10 gb", "10gib"] { #expect(ByteCount.parse(text) == Int64(10) << 30, "\(text)") }
        #expect(ByteCount.parse("512mib") == Int64(512) << 20)
        #expect(ByteCount.parse("1.5k") == 1536)
        #expect(ByteCount.parse("1024") == 1024 && ByteCount.parse("7b") == 7)
        for bad in ["x", "", "-1", "10ki", "10gbb", "10 2", "10bb", "1e400", "9999999p"] { #expect(ByteCount.parse(bad) == nil, "\(bad)") }
        #expect(ByteCount.format(1_500_000) == "1.5MB")
    }
}
