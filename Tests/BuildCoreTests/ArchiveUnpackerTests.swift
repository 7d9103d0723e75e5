import Foundation
import Testing
@testable import BuildCore

/// ADD's unpacking of local archives, in process: the extractor layers use, with parents resolved
/// inside the image, attributes kept, and the compression told by content (each decompressed once).
@Suite("ADD archives")
struct ArchiveUnpackerTests {
    /// An image root with the usual `/bin -> usr/bin` link.
    static func makeRootfs(_ scratch: ScratchRoot) throws -> String {
        let rootfs = scratch.path + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/usr/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/bin", withDestinationPath: "usr/bin")
        return rootfs
    }

    static func unpack(_ path: String, into rootfs: String, at destination: String = "/") throws {
        let archive = try #require(ArchiveUnpacker.archive(at: path))
        try ArchiveUnpacker(rootfs: rootfs, destination: destination).unpack(archive, from: path)
    }

    @Test func extendedAttributesSurviveAndLinksStayInsideTheImage() throws {
        let scratch = try ScratchRoot("add")
        let rootfs = try Self.makeRootfs(scratch)
        var tool = TarEntry.file("bin/tool", size: 0, mode: 0o755, mtime: 1_234_567_890)
        tool.uid = 1000
        tool.xattrs = ["user.origin": Data("archive".utf8), "trusted.overlay.opaque": Data("y".utf8)]
        let archive = scratch.path + "/tools.tar.gz"
        try Gzip.compress(try TarTests.archive([
            (tool, Data("#!/bin/sh\n".utf8)),
            (TarEntry.symlink("root", to: "/"), Data()),
            (TarEntry.file("root/etc/swbuild-add-marker", size: 0), Data("inside\n".utf8)),
        ])).write(to: URL(fileURLWithPath: archive))

        try Self.unpack(archive, into: rootfs)

        // Through the image's own link, with the archive's owner, mode, time and user.* attribute.
        let installed = rootfs + "/usr/bin/tool"
        let attributes = try FileAttributes.read(installed)
        #expect(attributes.uid == 1000 && attributes.mode == 0o755 && attributes.mtime == 1_234_567_890)
        #expect(LayerStoreTests.xattr(installed, "user.origin") == "archive")
        #expect(LayerStoreTests.xattr(installed, "trusted.overlay.opaque") == nil)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/bin") == "usr/bin")
        // The archive's link to / meant the image's root.
        #expect(FileManager.default.fileExists(atPath: rootfs + "/etc/swbuild-add-marker"))
        #expect(!FileManager.default.fileExists(atPath: "/etc/swbuild-add-marker"))
    }

    @Test func everyCompressionIsToldByContent() throws {
        let scratch = try ScratchRoot("add")
        let plain = scratch.path + "/a.tar"
        try TarTests.archive([(TarEntry.file("hello", size: 0), Data("hi\n".utf8))]).write(to: URL(fileURLWithPath: plain))
        var archives = [plain]
        for (tool, suffix) in [("gzip", "gz"), ("bzip2", "bz2"), ("xz", "xz"), ("zstd", "zst")] {
            let packed = plain + "." + suffix
            let run = try ToolRun.run("sh", ["-c", "\(tool) -c -q \"$0\" > \"$1\"", plain, packed])
            #expect(run.status == 0, "\(run.stderr)")
            archives.append(packed)
        }
        for path in archives {
            let rootfs = try Self.makeRootfs(scratch)
            defer { try? FileManager.default.removeItem(atPath: rootfs) }
            try Self.unpack(path, into: rootfs, at: "/out")
            #expect(FileManager.default.contents(atPath: rootfs + "/out/hello") == Data("hi\n".utf8), "\(path)")
        }
        // Anything else, compressed or not, is copied as it is.
        let text = scratch.path + "/notes.txt"
        try Data("BZh9 is not bzip2\n".utf8).write(to: URL(fileURLWithPath: text))
        try Gzip.compress(Data("just text\n".utf8)).write(to: URL(fileURLWithPath: text + ".gz"))
        #expect(ArchiveUnpacker.archive(at: text) == nil)
        #expect(ArchiveUnpacker.archive(at: text + ".gz") == nil)
    }

    @Test func climbingNamesAndDevicesAreRefused() throws {
        let scratch = try ScratchRoot("add")
        let rootfs = try Self.makeRootfs(scratch)
        let dotdot = scratch.path + "/dotdot.tar"
        try TarTests.rawArchive(name: "../../escape", data: Data("x".utf8)).write(to: URL(fileURLWithPath: dotdot))
        do {
            try Self.unpack(dotdot, into: rootfs)
            Issue.record("an entry climbing out was unpacked")
        } catch let error as SolveError {
            #expect(error.message == "cannot unpack dotdot.tar: entry \"../../escape\" points outside the destination")
        }
        let device = scratch.path + "/device.tar"
        try TarTests.archive([(TarEntry(path: "dev/null", kind: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3), Data())])
            .write(to: URL(fileURLWithPath: device))
        // BuildKit's ADD creates device nodes (inside the image; the step's device cgroup and the
        // engine's own reads never open them).
        if getuid() == 0 {
            try Self.unpack(device, into: rootfs)
            var st = stat()
            #expect(lstat(rootfs + "/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/escape"))
    }
}
