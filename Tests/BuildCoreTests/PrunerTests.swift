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

    @Test func byteCountsParseAndFormat() {
        #expect(ByteCount.parse("10GB") == Int64(10_000_000_000))
        #expect(ByteCount.parse("512mib") == Int64(512 * 1_048_576))
        #expect(ByteCount.parse("x") == nil)
        #expect(ByteCount.format(1_500_000) == "1.5MB")
    }
}
