import CZlib
import Foundation
import Testing
@testable import BuildCore

@Suite("Image exporter")
struct ImageExporterTests {
    /// Layers compress concurrently; results come back in layer order and the first error wins.
    @Test func concurrentMapKeepsOrderAndRethrows() throws {
        let squares = try ImageExporter.concurrentMap(Array(0..<64)) { i -> Int in
            usleep(UInt32((64 - i) * 100))
            return i * i
        }
        #expect(squares == (0..<64).map { $0 * $0 })
        struct Odd: Error {}
        #expect(throws: Odd.self) {
            _ = try ImageExporter.concurrentMap([2, 4, 5, 6]) { i -> Int in
                if i % 2 == 1 { throw Odd() }
                return i
            }
        }
    }
    static let epoch: Int64 = 1_700_000_000

    /// Two layers: the base has files, a directory to make opaque and a file to delete; the top
    /// deletes one file (whiteout) and replaces a directory's content (opaque).
    static func sampleLayers(_ store: LayerStore) throws -> [LayerID] {
        let base = try TarTests.archive([
            (.directory("app", mtime: 10), Data()),
            (TarEntry.file("app/run.sh", size: 0, mode: 0o755, mtime: 10), Data("#!/bin/sh\necho hi\n".utf8)),
            (TarEntry.file("app/old.txt", size: 0, mtime: 10), Data("old".utf8)),
            (.directory("cache", mtime: 10), Data()),
            (TarEntry.file("cache/stale", size: 0, mtime: 10), Data("stale".utf8)),
            (TarEntry.symlink("app/link", to: "run.sh", mtime: 10), Data()),
        ])
        let top = try TarTests.archive([
            (.directory("app", mtime: 20), Data()),
            (TarEntry.file("app/.wh.old.txt", size: 0, mtime: 20), Data()),
            (.directory("cache", mtime: 20), Data()),
            (TarEntry.file("cache/.wh..wh..opq", size: 0, mtime: 20), Data()),
            (TarEntry.file("cache/fresh", size: 0, mtime: 20), Data("fresh".utf8)),
            (TarEntry(path: "etc/owned", kind: .file, mode: 0o640, uid: 1000, gid: 1000, mtime: 20), Data("o".utf8)),
        ])
        return [try store.importLayer(tar: base), try store.importLayer(tar: top)]
    }

    static func sampleConfig() -> ImageConfig {
        var config = ImageConfig(platform: Platform(os: "linux", architecture: "amd64"),
                                 config: ImageConfig.ContainerConfig(env: ["PATH=/bin"], cmd: ["/app/run.sh"]))
        config.config?.exposedPorts = ["80/tcp": EmptyObject()]
        config.config?.labels = ["org.example.test": "yes"]
        return config
    }

    @Test func manifestDigestIsReproducible() throws {
        var digests: [Digest] = []
        for _ in 0..<2 {
            let scratch = try ScratchRoot("repro")
            let store = try LayerStore(root: scratch.path)
            let exported = try ImageExporter(layerStore: store).export(layers: try Self.sampleLayers(store), config: Self.sampleConfig(),
                                                                       sourceDateEpoch: Self.epoch)
            digests.append(exported.manifest.digest)
            let config = try CanonicalJSON.decode(ImageConfig.self, from: try store.content.data(for: exported.config.digest), what: "config")
            #expect(config.rootfs.diffIDs.count == 2)
            #expect(config.created == "2023-11-14T22:13:20Z")
            #expect(config.history?.count == 2)
            let json = String(decoding: try store.content.data(for: exported.config.digest), as: UTF8.self)
            #expect(json.contains("\"diff_ids\":[") && json.contains("\"ExposedPorts\":{\"80/tcp\":{}}"))
            #expect(json.contains("\"created_by\":\"swbuild\"") && !json.contains("\\/"))
        }
        #expect(digests[0] == digests[1])
        let scratch = try ScratchRoot("repro")
        let store = try LayerStore(root: scratch.path)
        let other = try ImageExporter(layerStore: store).export(layers: try Self.sampleLayers(store), config: Self.sampleConfig(),
                                                                sourceDateEpoch: Self.epoch + 1)
        #expect(other.manifest.digest != digests[0])
    }

    @Test func ociArchiveIsAcceptedBySkopeoAndUmoci() throws {
        let scratch = try ScratchRoot("oci")
        let store = try LayerStore(root: scratch.path)
        let exported = try ImageExporter(layerStore: store).export(layers: try Self.sampleLayers(store), config: Self.sampleConfig(),
                                                                   sourceDateEpoch: Self.epoch)
        let archive = scratch.path + "/image.tar"
        try OCIArchiveWriter(content: store.content).write(manifest: exported.manifest, name: "example/app:v1", to: archive)
        let inspect = try ToolRun.run("skopeo", ["inspect", "oci-archive:" + archive])
        #expect(inspect.status == 0, "skopeo inspect: \(inspect.stderr)")
        #expect(inspect.stdout.contains(exported.layers[0].digest.value))
        #expect(inspect.stdout.contains("org.example.test"))

        let layout = scratch.path + "/layout"
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        #expect(try ToolRun.run("tar", ["-xf", archive, "-C", layout]).status == 0)
        let bundle = scratch.path + "/bundle"
        let unpack = try ToolRun.run("umoci", ["unpack", "--image", layout + ":v1", bundle])
        #expect(unpack.status == 0, "umoci unpack: \(unpack.stderr)")
        let rootfs = bundle + "/rootfs"
        #expect(try String(contentsOfFile: rootfs + "/app/run.sh", encoding: .utf8) == "#!/bin/sh\necho hi\n")
        #expect(!FileManager.default.fileExists(atPath: rootfs + "/app/old.txt"))
        #expect(!FileManager.default.fileExists(atPath: rootfs + "/cache/stale"))
        #expect(FileManager.default.fileExists(atPath: rootfs + "/cache/fresh"))
        var st = stat()
        #expect(lstat(rootfs + "/etc/owned", &st) == 0 && st.st_uid == 1000 && st.st_mode & 0o777 == 0o640)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/app/link") == "run.sh")

        // Byte-identical when written again.
        let again = scratch.path + "/again.tar"
        try OCIArchiveWriter(content: store.content).write(manifest: exported.manifest, name: "example/app:v1", to: again)
        #expect(try Digest.sha256(fileAt: archive) == Digest.sha256(fileAt: again))
    }

    @Test func dockerArchiveIsAcceptedBySkopeo() throws {
        let scratch = try ScratchRoot("docker")
        let store = try LayerStore(root: scratch.path)
        let exported = try ImageExporter(layerStore: store).export(layers: try Self.sampleLayers(store), config: Self.sampleConfig())
        let archive = scratch.path + "/docker.tar"
        try DockerArchiveWriter(content: store.content).write(manifest: exported.manifest, names: ["docker.io/library/app:v2"], to: archive)
        let inspect = try ToolRun.run("skopeo", ["inspect", "docker-archive:" + archive])
        #expect(inspect.status == 0, "skopeo inspect: \(inspect.stderr)")
        #expect(inspect.stdout.contains(exported.layers[1].diffID.value))
        // skopeo can copy it back out to an OCI layout, which we can load.
        let out = try ToolRun.run("skopeo", ["copy", "docker-archive:" + archive, "oci:" + scratch.path + "/copied:v2"])
        #expect(out.status == 0, "skopeo copy: \(out.stderr)")
        // Layers are stored uncompressed under their diffIDs, as docker load expects.
        let entries = try TarTests.read(try Data(contentsOf: URL(fileURLWithPath: archive)))
        let names = Set(entries.map { $0.0.cleanPath })
        for layer in exported.layers { #expect(names.contains("blobs/sha256/" + layer.diffID.hex)) }
        for (entry, data) in entries where entry.path.hasPrefix("blobs/sha256/") && entry.kind == .file {
            #expect(Digest.sha256(data).hex == String(entry.cleanPath.dropFirst("blobs/sha256/".count)))
        }
        let manifest = try CanonicalJSON.decode([DockerArchiveEntry].self,
                                                from: entries.first { $0.0.cleanPath == "manifest.json" }?.1 ?? Data(), what: "manifest.json")
        #expect(manifest.first?.repoTags == ["app:v2"])
        #expect(DockerArchiveWriter.familiarName("docker.io/library/app:v2") == "app:v2")
        #expect(DockerArchiveWriter.familiarName("ghcr.io/me/app:v2") == "ghcr.io/me/app:v2")
    }

    @Test func zstdLayers() throws {
        let scratch = try ScratchRoot("zstd")
        let store = try LayerStore(root: scratch.path)
        let exported = try ImageExporter(layerStore: store).export(layers: try Self.sampleLayers(store), config: Self.sampleConfig(),
                                                                   compression: .zstd, sourceDateEpoch: Self.epoch)
        #expect(exported.layers.allSatisfy { $0.mediaType == MediaType.layerZstd })
        let archive = scratch.path + "/zstd.tar"
        try OCIArchiveWriter(content: store.content).write(manifest: exported.manifest, name: "zst:1", to: archive)
        let inspect = try ToolRun.run("skopeo", ["inspect", "--raw", "oci-archive:" + archive])
        #expect(inspect.status == 0, "skopeo inspect: \(inspect.stderr)")
        #expect(inspect.stdout.contains(MediaType.layerZstd))
        // Real zstd frames that the tool itself decompresses back to the diffID.
        let blob = store.content.path(for: exported.layers[0].digest)
        let test = try ToolRun.run("zstd", ["-t", "-q", blob])
        #expect(test.status == 0, "zstd -t: \(test.stderr)")
    }

    @Test func rootfsWriterAppliesWhiteoutsToDirectoryAndTar() throws {
        let scratch = try ScratchRoot("rootfs")
        let store = try LayerStore(root: scratch.path)
        let layers = try Self.sampleLayers(store)
        let out = scratch.path + "/out"
        try RootfsWriter(layerStore: store).write(layers: layers, to: out)
        #expect(FileManager.default.fileExists(atPath: out + "/app/run.sh"))
        #expect(!FileManager.default.fileExists(atPath: out + "/app/old.txt"))
        #expect(!FileManager.default.fileExists(atPath: out + "/cache/stale"))
        #expect(try String(contentsOfFile: out + "/cache/fresh", encoding: .utf8) == "fresh")
        var st = stat()
        #expect(lstat(out + "/app/run.sh", &st) == 0 && st.st_mode & 0o777 == 0o755)
        #expect(lstat(out + "/etc/owned", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000)
        #expect(lstat(out + "/app", &st) == 0 && st.st_mtim.tv_sec == 20)

        let tarPath = scratch.path + "/rootfs.tar"
        try RootfsWriter(layerStore: store).writeTar(layers: layers, to: tarPath, sourceDateEpoch: 15)
        let entries = try TarTests.read(try Data(contentsOf: URL(fileURLWithPath: tarPath)))
        let names = entries.map { $0.0.cleanPath }
        #expect(names == ["app", "app/link", "app/run.sh", "cache", "cache/fresh", "etc", "etc/owned"])
        #expect(entries.allSatisfy { $0.0.mtime <= 15 })
        #expect(!names.contains { $0.contains(".wh.") })
        #expect(scratch.listing("tmp").isEmpty)
    }

    @Test func busyboxImageUnpacksWithUmociAndIsDeterministic() throws {
        let scratch = try ScratchRoot("busybox")
        let images = try ImageStore(root: scratch.path)
        let first = try BusyboxImage().build(into: images, name: "busybox:demo")
        let second = try BusyboxImage().build(into: images, name: "busybox:demo")
        #expect(first.manifest.digest == second.manifest.digest)
        let resolved = try images.resolve("busybox:demo")
        #expect(resolved.config.config?.cmd == ["sh"])
        #expect(resolved.config.config?.env?.first?.hasPrefix("PATH=") == true)
        #expect(try images.layerIDs(of: resolved).count == 1)

        let archive = scratch.path + "/busybox.tar"
        try images.save("busybox:demo", to: archive)
        let inspect = try ToolRun.run("skopeo", ["inspect", "oci-archive:" + archive])
        #expect(inspect.status == 0, "skopeo inspect: \(inspect.stderr)")
        let layout = scratch.path + "/layout"
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        #expect(try ToolRun.run("tar", ["-xf", archive, "-C", layout]).status == 0)
        let bundle = scratch.path + "/bundle"
        let unpack = try ToolRun.run("umoci", ["unpack", "--image", layout + ":demo", bundle])
        #expect(unpack.status == 0, "umoci unpack: \(unpack.stderr)")
        let rootfs = bundle + "/rootfs"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/bin/sh") == "busybox")
        #expect(FileManager.default.isExecutableFile(atPath: rootfs + "/bin/busybox"))
        #expect(try String(contentsOfFile: rootfs + "/etc/passwd", encoding: .utf8).hasPrefix("root:x:0:0:"))
        var st = stat()
        #expect(lstat(rootfs + "/tmp", &st) == 0 && st.st_mode & 0o7777 == 0o1777)
        // The unpacked busybox really runs.
        let echo = try ToolRun.run("chroot", [rootfs, "/bin/sh", "-c", "echo from-busybox"])
        #expect(echo.stdout == "from-busybox\n", "chroot: \(echo.stderr)")
    }
}
