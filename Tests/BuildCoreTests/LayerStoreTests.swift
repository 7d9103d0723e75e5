import CZlib
import Foundation
import Testing
@testable import BuildCore

/// A temp directory used as the state root of one test, removed afterwards.
final class ScratchRoot {
    let path: String

    init(_ label: String = "image") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Every path under `sub`, relative, sorted: for "the store is unchanged" checks.
    func listing(_ sub: String) -> [String] {
        let base = path + "/" + sub
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        return (walker.allObjects as? [String] ?? []).sorted()
    }
}

/// Runs an external tool. A missing tool is a failure with a clear message, never a skip:
/// scripts/setup.sh installs all of them.
enum ToolRun {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func locate(_ tool: String) -> String? {
        for dir in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            if FileManager.default.isExecutableFile(atPath: dir + "/" + tool) { return dir + "/" + tool }
        }
        return nil
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> Output {
        guard let path = locate(tool) else {
            Issue.record("\(tool) is not installed; run scripts/setup.sh (it installs \(tool))")
            throw ImageError.toolMissing(tool)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = DispatchQueue(label: "stderr")
        nonisolated(unsafe) var stderrBytes = Data()
        let group = DispatchGroup()
        errData.async(group: group) { stderrBytes = err.fileHandleForReading.readDataToEndOfFile() }
        let stdoutBytes = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdoutBytes, as: UTF8.self),
                      stderr: String(decoding: stderrBytes, as: UTF8.self))
    }
}

@Suite("Layer store")
struct LayerStoreTests {
    static func tar(_ entries: [(TarEntry, Data)]) throws -> Data { try TarTests.archive(entries) }

    static func xattr(_ path: String, _ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = lgetxattr(path, name, &buffer, buffer.count)
        return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
    }

    @Test func importConvertsWhiteoutsAndExportConvertsBack() throws {
        let scratch = try ScratchRoot("layers")
        let store = try LayerStore(root: scratch.path)
        let data = try Self.tar([
            (.directory("etc"), Data()),
            (TarEntry.file("etc/hosts", size: 0, mtime: 100), Data("127.0.0.1 localhost\n".utf8)),
            (TarEntry.file("etc/.wh.motd", size: 0), Data()),
            (.directory("var/cache", mtime: 50), Data()),
            (TarEntry.file("var/cache/.wh..wh..opq", size: 0), Data()),
            (TarEntry.file("var/cache/new", size: 0), Data("n".utf8)),
            (TarEntry(path: "etc/hosts.bak", kind: .hardlink, linkTarget: "etc/hosts"), Data()),
            (TarEntry.symlink("bin/sh", to: "/bin/busybox"), Data()),
        ])
        let id = try store.importLayer(tar: Data(try Gzip.compress(data)))
        #expect(id.value == Digest.sha256(data).hex)
        let diff = store.layerPath(id)
        var st = stat()
        #expect(lstat(diff + "/etc/motd", &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0)
        #expect(Self.xattr(diff + "/var/cache", "trusted.overlay.opaque") == "y")
        #expect(FileManager.default.fileExists(atPath: diff + "/var/cache/.wh..wh..opq") == false)
        #expect(try String(contentsOfFile: diff + "/etc/hosts", encoding: .utf8).hasPrefix("127.0.0.1"))
        #expect(lstat(diff + "/etc/hosts", &st) == 0 && st.st_nlink == 2 && st.st_mtim.tv_sec == 100)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: diff + "/bin/sh") == "/bin/busybox")
        #expect(lstat(diff + "/var/cache", &st) == 0 && st.st_mtim.tv_sec == 50)
        #expect(try store.metadata(id).diffID == Digest.sha256(data))

        let export = try store.exportLayer(id, compression: .none, sourceDateEpoch: 1000)
        let entries = try TarTests.read(try store.content.data(for: export.digest))
        let names = entries.map { $0.0.cleanPath }
        #expect(names.contains("etc/.wh.motd"))
        #expect(names.contains("var/cache/.wh..wh..opq"))
        #expect(!names.contains("etc/motd"))
        #expect(entries.allSatisfy { $0.0.xattrs.keys.allSatisfy { !$0.hasPrefix("trusted.") } })
        #expect(entries.first { $0.0.cleanPath == "etc/hosts.bak" }?.0.kind == .hardlink)
        // Depth first, names sorted bytewise in each directory (a whiteout sorts by the name it hides).
        #expect(names == ["bin", "bin/sh", "etc", "etc/hosts", "etc/hosts.bak", "etc/.wh.motd", "var", "var/cache",
                          "var/cache/.wh..wh..opq", "var/cache/new"])
        #expect(export.diffID == export.digest)   // uncompressed: the blob is the diff

        // Cached per compression and clamp; gzip and zstd share the diffID.
        #expect(try store.exportLayer(id, compression: .none, sourceDateEpoch: 1000) == export)
        let gz = try store.exportLayer(id, compression: .gzip, sourceDateEpoch: 1000)
        #expect(gz.diffID == export.diffID && gz.mediaType == MediaType.layerGzip)
        let zst = try store.exportLayer(id, compression: .zstd, sourceDateEpoch: 1000)
        #expect(zst.diffID == export.diffID && zst.mediaType == MediaType.layerZstd)
        #expect(try store.metadata(id).exports.count == 3)

        // Re-importing our own export gives back a layer with the same tree.
        let again = try store.importLayer(blobAt: store.content.path(for: zst.digest))
        #expect(again.value == export.diffID.hex)
        #expect(Self.xattr(store.layerPath(again) + "/var/cache", "trusted.overlay.opaque") == "y")
    }

    @Test func committedDirectoryExportsOverlayWhiteouts() throws {
        let scratch = try ScratchRoot("layers")
        let store = try LayerStore(root: scratch.path)
        let upper = try store.makeWorkDirectory("upper")
        try FileManager.default.createDirectory(atPath: upper + "/opaque", withIntermediateDirectories: true)
        #expect(lsetxattr(upper + "/opaque", "trusted.overlay.opaque", "y", 1, 0) == 0)
        #expect(mknod(upper + "/gone", S_IFCHR, 0) == 0)
        try Data("k".utf8).write(to: URL(fileURLWithPath: upper + "/opaque/kept"))
        let id = try store.commitLayer(fromDirectory: upper)
        #expect(!FileManager.default.fileExists(atPath: upper))
        let export = try store.exportLayer(id, compression: .gzip)
        let tar = try Gzip.decompress(try store.content.data(for: export.digest))
        #expect(Digest.sha256(tar) == export.diffID)
        let names = try TarTests.read(tar).map { $0.0.cleanPath }
        #expect(names == ["gone", "opaque", "opaque/.wh..wh..opq", "opaque/kept"].map { $0 == "gone" ? ".wh.gone" : $0 })
        #expect(try store.size(id) > 0)
        try store.remove(id)
        #expect(!store.contains(id))
        #expect(try store.all().isEmpty)
    }

    /// Each hostile archive must be refused and leave `layers/` and `tmp/` as they were.
    @Test(arguments: [
        "dotdot", "absolute", "symlinkWriteThrough", "symlinkDirThenFile", "hardlinkPasswd",
        "hardlinkDotdot", "device", "hardlinkThroughSymlink",
    ])
    func hostileArchivesAreRefused(_ attack: String) throws {
        let scratch = try ScratchRoot("hostile")
        let store = try LayerStore(root: scratch.path)
        _ = try store.importLayer(tar: try Self.tar([(TarEntry.file("ok", size: 0), Data("fine".utf8))]))
        let before = (scratch.listing("layers"), scratch.listing("tmp"), scratch.listing("content"))
        let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        let outside = scratch.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)

        let payload = Data("pwned\n".utf8)
        let entries: [(TarEntry, Data)]
        switch attack {
        case "dotdot": entries = [(TarEntry.file("a/../../../outside/evil", size: 0), payload)]
        case "absolute": entries = [(TarEntry.file(outside + "/evil", size: 0), payload)]
        case "symlinkWriteThrough":
            entries = [(TarEntry.symlink("escape", to: outside), Data()), (TarEntry.file("escape/evil", size: 0), payload)]
        case "symlinkDirThenFile":
            entries = [(.directory("d"), Data()), (TarEntry.symlink("d/link", to: "../../../../../../etc"), Data()),
                       (TarEntry.file("d/link/passwd", size: 0), payload)]
        case "hardlinkPasswd": entries = [(TarEntry(path: "pw", kind: .hardlink, linkTarget: "/etc/passwd"), Data())]
        case "hardlinkDotdot":
            entries = [(TarEntry(path: "pw", kind: .hardlink, linkTarget: "../../../../../../../etc/passwd"), Data())]
        case "hardlinkThroughSymlink":
            entries = [(TarEntry.symlink("etc", to: "/etc"), Data()),
                       (TarEntry(path: "pw", kind: .hardlink, linkTarget: "etc/passwd"), Data()),
                       (TarEntry.file("pw", size: 0), payload)]
        default: entries = [(TarEntry(path: "dev/sda", kind: .blockDevice, mode: 0o600, deviceMajor: 8, deviceMinor: 0), Data())]
        }
        let archive = attack == "absolute" ? TarTests.rawArchive(name: outside + "/evil", data: payload) : try Self.tar(entries)
        #expect(throws: ImageError.self) { try store.importLayer(tar: archive) }
        #expect(scratch.listing("layers") == before.0)
        #expect(scratch.listing("tmp") == before.1)
        #expect(scratch.listing("content") == before.2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(try String(contentsOfFile: "/etc/passwd", encoding: .utf8) == passwd)
    }

    @Test func devicesAllowedWhenAskedAndBadArchivesLeaveNothing() throws {
        let scratch = try ScratchRoot("devices")
        let store = try LayerStore(root: scratch.path)
        let id = try store.importLayer(tar: try Self.tar([
            (TarEntry(path: "dev/null", kind: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3), Data()),
        ]), allowDevices: true)
        var st = stat()
        #expect(lstat(store.layerPath(id) + "/dev/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)

        let before = scratch.listing("layers")
        var truncated = try Self.tar([(TarEntry.file("big", size: 0), Data(repeating: 1, count: 5000))])
        truncated = truncated.prefix(3000)
        #expect(throws: ImageError.self) { try store.importLayer(tar: truncated, compression: LayerCompression.none) }
        let gz = try Gzip.compress(try Self.tar([(TarEntry.file("x", size: 0), Data(repeating: 2, count: 9000))]))
        #expect(throws: ImageError.self) { try store.importLayer(tar: gz.prefix(gz.count / 2)) }
        #expect(scratch.listing("layers") == before)
        #expect(scratch.listing("tmp").isEmpty)

        // A truncated zstd blob fails as a truncated frame, not as a short tar.
        let plain = scratch.path + "/z.tar", packed = scratch.path + "/z.tar.zst"
        try Self.tar([(TarEntry.file("z", size: 0), Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))])
            .write(to: URL(fileURLWithPath: plain))
        try Zstd.compress(fileAt: plain, to: packed)
        let whole = try Data(contentsOf: URL(fileURLWithPath: packed))
        try whole.prefix(whole.count - 40).write(to: URL(fileURLWithPath: packed))
        #expect(throws: ImageError.self) { try store.importLayer(blobAt: packed) }
        #expect(scratch.listing("layers") == before)
        #expect(scratch.listing("tmp").isEmpty)

        let wrong = Digest.sha256("other")
        let blob = scratch.path + "/blob.tar"
        try Self.tar([(TarEntry.file("x", size: 0), Data("x".utf8))]).write(to: URL(fileURLWithPath: blob))
        #expect(throws: ImageError.digestMismatch(expected: wrong, actual: try Digest.sha256(fileAt: blob))) {
            try store.importLayer(blobAt: blob, expectedDiffID: wrong)
        }
        #expect(scratch.listing("layers") == before)
    }

    @Test func contentStoreIsContentAddressed() throws {
        let scratch = try ScratchRoot("content")
        let content = try ContentStore(root: scratch.path)
        let digest = try content.put(Data("hello".utf8))
        #expect(digest == Digest.sha256("hello"))
        #expect(content.contains(digest))
        #expect(try content.size(of: digest) == 5)
        #expect(content.path(for: digest) == scratch.path + "/content/blobs/sha256/" + digest.hex)
        #expect(throws: ImageError.self) { try content.put(Data("x".utf8), expected: digest) }
        try Data("file".utf8).write(to: URL(fileURLWithPath: scratch.path + "/f"))
        #expect(try content.put(fileAt: scratch.path + "/f") == Digest.sha256("file"))
        #expect(try content.all().map(\.digest).sorted() == [digest, Digest.sha256("file")].sorted())
        try content.remove(digest)
        #expect(!content.contains(digest))
        #expect(throws: ImageError.blobNotFound(digest)) { try content.data(for: digest) }
        #expect(scratch.listing("tmp").isEmpty)
    }
}
