import Foundation
import Testing
@testable import BuildCore

@Suite("Image store")
struct ImageStoreTests {
    static func sampleImage(_ images: ImageStore) throws -> ExportedImage {
        let layers = try ImageExporterTests.sampleLayers(images.layerStore)
        return try ImageExporter(layerStore: images.layerStore).export(layers: layers, config: ImageExporterTests.sampleConfig(),
                                                                       sourceDateEpoch: ImageExporterTests.epoch)
    }

    @Test func namesNormaliseLikeDocker() throws {
        let scratch = try ScratchRoot("names")
        let images = try ImageStore(root: scratch.path)
        let image = try Self.sampleImage(images)
        try images.tag("busybox", manifest: image.manifest)
        for name in ["busybox", "busybox:latest", "docker.io/library/busybox:latest", "library/busybox"] {
            let resolved = try images.resolve(name)
            #expect(resolved.manifestDescriptor.digest == image.manifest.digest)
            #expect(resolved.name == "docker.io/library/busybox:latest")
        }
        #expect(try images.resolve(image.manifest.digest.value).config.rootfs.diffIDs.count == 2)
        #expect(try images.resolve("busybox@" + image.manifest.digest.value).manifest.layers.count == 2)
        try images.tag("ghcr.io/me/tool:1.0", manifestDigest: image.manifest.digest)
        #expect(try images.list().map(\.name) == ["docker.io/library/busybox:latest", "ghcr.io/me/tool:1.0"])
        #expect(throws: ImageError.imageNotFound("busybox:other")) { try images.resolve("busybox:other") }
        #expect(throws: ImageError.invalidName("Bad Name")) { try images.tag("Bad Name", manifest: image.manifest) }
        #expect(throws: ImageError.invalidName("UPPER/case")) { try images.tag("UPPER/case", manifest: image.manifest) }
        try images.remove("busybox:latest")
        #expect(try images.list().map(\.name) == ["ghcr.io/me/tool:1.0"])
        #expect(throws: ImageError.imageNotFound("busybox")) { try images.remove("busybox") }
    }

    @Test func aFailedImportRemovesTheLayerItMadeUnlessAnImageUsesIt() throws {
        let scratch = try ScratchRoot("import")
        let images = try ImageStore(root: scratch.path)
        let layers = images.layerStore
        let tarball = scratch.path + "/rootfs.tar"
        try TarTests.archive([(.directory("etc"), Data()), (TarEntry.file("etc/os-release", size: 0), Data("ID=test\n".utf8))])
            .write(to: URL(fileURLWithPath: tarball))
        #expect(try ToolRun.run("xz", ["-q", tarball]).status == 0)
        let rootfs = RootfsImage(tarball: tarball + ".xz")
        // Exporting with a compression no image can name fails after the layer is in.
        func failingImport() {
            #expect(throws: ImageError.self) { try rootfs.build(into: images, name: "base:failed", compression: .xz) }
        }

        failingImport()
        #expect(try layers.all().isEmpty)
        #expect(throws: ImageError.invalidName("Bad Name")) { try rootfs.build(into: images, name: "Bad Name") }
        #expect(try layers.all().isEmpty)

        try rootfs.build(into: images, name: "base:1")
        let imported = try layers.all()
        #expect(imported.count == 1)
        // Made again by the failing import, but base:1 names it.
        try layers.remove(imported[0])
        failingImport()
        #expect(try layers.all() == imported)
        // There before the failing import: not its to remove, image or not.
        try images.remove("base:1")
        failingImport()
        #expect(try layers.all() == imported)
    }

    /// `image save -o /dev/null` once replaced the host's /dev/null with a regular file (the
    /// archive was renamed over it). A device or a FIFO is now written in place.
    @Test func savingToADeviceWritesThroughIt() throws {
        guard getuid() == 0 else { return }
        let scratch = try ScratchRoot("device")
        let images = try ImageStore(root: scratch.path)
        let image = try Self.sampleImage(images)
        try images.tag("example/app:v1", manifest: image.manifest)
        let device = scratch.path + "/null"
        #expect(mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0)
        try images.save("example/app:v1", to: device)
        var info = stat()
        #expect(lstat(device, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
    }

    @Test func ociLayoutSaveThenLoadElsewhere() throws {
        let source = try ScratchRoot("save")
        let images = try ImageStore(root: source.path)
        let image = try Self.sampleImage(images)
        try images.tag("example/app:v1", manifest: image.manifest)
        let archive = source.path + "/app.tar"
        try images.save("example/app:v1", to: archive)

        let target = try ScratchRoot("load")
        let other = try ImageStore(root: target.path)
        let loaded = try other.load(archiveAt: archive)
        #expect(loaded.map(\.name) == ["docker.io/example/app:v1"])
        #expect(loaded[0].manifest.digest == image.manifest.digest)
        let resolved = try other.resolve("example/app:v1")
        let ids = try other.layerIDs(of: resolved)
        #expect(ids.map(\.value) == resolved.config.rootfs.diffIDs.map(\.hex))
        #expect(FileManager.default.fileExists(atPath: other.layerStore.layerPath(ids[0]) + "/app/run.sh"))

        let renamed = try other.load(archiveAt: archive, name: "renamed:x")
        #expect(renamed.map(\.name) == ["docker.io/library/renamed:x"])
    }

    @Test func dockerArchivesFromUsAndFromSkopeoLoad() throws {
        let source = try ScratchRoot("dsave")
        let images = try ImageStore(root: source.path)
        let image = try Self.sampleImage(images)
        let ours = source.path + "/ours.tar"
        try DockerArchiveWriter(content: images.content).write(manifest: image.manifest, names: ["app:v3"], to: ours)
        // skopeo re-writes it in its own docker-archive flavour (and gzips nothing).
        let theirs = source.path + "/theirs.tar"
        let copy = try ToolRun.run("skopeo", ["copy", "docker-archive:" + ours, "docker-archive:" + theirs + ":tool/app:v4"])
        #expect(copy.status == 0, "skopeo copy: \(copy.stderr)")

        let target = try ScratchRoot("dload")
        let other = try ImageStore(root: target.path)
        #expect(try other.load(archiveAt: ours).map(\.name) == ["docker.io/library/app:v3"])
        #expect(try other.load(archiveAt: theirs).map(\.name) == ["docker.io/tool/app:v4"])
        let a = try other.resolve("app:v3")
        let b = try other.resolve("tool/app:v4")
        #expect(a.config.rootfs.diffIDs == image.imageConfig.rootfs.diffIDs)
        #expect(b.config.rootfs.diffIDs == image.imageConfig.rootfs.diffIDs)
        #expect(try other.layerIDs(of: b) == other.layerIDs(of: a))
        // A gzipped docker archive loads too.
        let gz = source.path + "/ours.tar.gz"
        try Gzip.compress(fileAt: ours, to: gz)
        #expect(try other.load(archiveAt: gz, name: "zipped").map(\.name) == ["docker.io/library/zipped:latest"])
    }

    @Test func failedLoadLeavesTheStoreUnchanged() throws {
        let source = try ScratchRoot("bad")
        let images = try ImageStore(root: source.path)
        let image = try Self.sampleImage(images)
        let good = source.path + "/good.tar"
        try DockerArchiveWriter(content: images.content).write(manifest: image.manifest, names: ["good:1"], to: good)

        // A docker archive whose second layer is hostile (escapes with ../) and whose config
        // claims matching diffIDs.
        let hostile = try TarTests.archive([(TarEntry.file("../../escape", size: 0), Data("x".utf8))])
        let base = try TarTests.archive([(TarEntry.file("fine", size: 0), Data("ok".utf8))])
        var config = HandMadeConfig.config(diffIDs: [Digest.sha256(base), Digest.sha256(hostile)])
        config.architecture = "amd64"
        let configData = try CanonicalJSON.encode(config)
        let bad = source.path + "/bad.tar"
        let sink = try FileSink(path: bad)
        let tar = TarWriter(sink: sink)
        try tar.write(TarEntry.file("config.json", size: 0), data: configData)
        try tar.write(TarEntry.file("l1/layer.tar", size: 0), data: base)
        try tar.write(TarEntry.file("l2/layer.tar", size: 0), data: hostile)
        try tar.write(TarEntry.symlink("l3/layer.tar", to: "../l1/layer.tar"), data: Data())
        let entry = DockerArchiveEntry(config: "config.json", repoTags: ["bad:1"], layers: ["l3/layer.tar", "l2/layer.tar"])
        try tar.write(TarEntry.file("manifest.json", size: 0), data: try CanonicalJSON.encode([entry]))
        try tar.finish()

        let target = try ScratchRoot("badload")
        let other = try ImageStore(root: target.path)
        try other.load(archiveAt: good)
        let before = (target.listing("layers"), target.listing("content"), target.listing("images"))
        #expect(throws: ImageError.self) { try other.load(archiveAt: bad) }
        #expect(target.listing("layers") == before.0)
        #expect(target.listing("content") == before.1)
        #expect(target.listing("images") == before.2)
        #expect(target.listing("tmp").isEmpty)
        #expect(try other.list().map(\.name) == ["docker.io/library/good:1"])
        #expect(!FileManager.default.fileExists(atPath: target.path + "/escape"))

        // Not an archive at all, and an OCI layout named only by a bare tag.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: source.path + "/junk.tar"))
        #expect(throws: ImageError.self) { try other.load(archiveAt: source.path + "/junk.tar") }
        let tagOnly = source.path + "/tagonly.tar"
        let layoutSink = try FileSink(path: tagOnly)
        try OCIArchiveWriter(content: images.content).write(manifest: image.manifest, name: nil, into: layoutSink)
        #expect(throws: ImageError.self) { try other.load(archiveAt: tagOnly) }
        #expect(try other.load(archiveAt: tagOnly, name: "named:now").map(\.name) == ["docker.io/library/named:now"])
        #expect(target.listing("tmp").isEmpty)
    }
}

/// A bare config for hand-made archives.
enum HandMadeConfig {
    static func config(diffIDs: [Digest]) -> ImageConfig {
        var config = ImageConfig(platform: Platform(os: "linux", architecture: "amd64"))
        config.rootfs = ImageConfig.RootFS(diffIDs: diffIDs)
        return config
    }
}
