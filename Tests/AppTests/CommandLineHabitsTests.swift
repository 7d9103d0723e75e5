import Foundation
import Testing

/// docker's command-line habits: global options before the subcommand, byte counts that are
/// bytes, and the user's own rootfs tarball imported as `docker import` takes it.
@Suite(.serialized) struct CommandLineHabitsTests {
    @Test func globalOptionsMayComeBeforeTheSubcommand() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-globals-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try BinaryRunner.run(["--root", root, "image", "busybox", "--name", "busybox:test"]).status == 0)
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN echo hi > /hi\n"])
        defer { try? FileManager.default.removeItem(at: ctx) }
        let r = try BinaryRunner.run(["--root=" + root, "build", "--progress", "plain", "-t", "globals:1", ctx.path])
        #expect(r.status == 0, "\(r.stderr)")
        // The layer bytes, not a count of layers.
        let exporting = r.stderr.split(separator: "\n").first { $0.contains("exporting layers") } ?? ""
        #expect(exporting.contains("B") && !exporting.contains(" 1B / 1B") && !exporting.contains(" 2B / 2B"), "\(exporting)")
        let images = try BinaryRunner.run(["--root", root, "image", "ls"])
        #expect(images.stdout.contains("globals:1"), "\(images.stdout)")
        // An option after the subcommand still wins.
        let other = try BinaryRunner.run(["--root", "/nonexistent-swbuild-root", "image", "ls", "--root", root])
        #expect(other.stdout.contains("globals:1"), "\(other.stdout)\(other.stderr)")
    }

    @Test func importKeepsDeviceNodesOfTheUsersOwnTarball() throws {
        guard getuid() == 0 else { Issue.record("mknod needs root"); return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-import-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/rootfs/dev", withIntermediateDirectories: true)
        #expect(mknod(dir + "/rootfs/dev/full", S_IFCHR | 0o666, dev_t((1 << 8) | 7)) == 0)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-C", dir + "/rootfs", "-czf", dir + "/rootfs.tgz", "."]
        try tar.run()
        tar.waitUntilExit()
        let r = try BinaryRunner.run(["--root", dir + "/state", "image", "import", "--name", "devs:1", dir + "/rootfs.tgz"])
        #expect(r.status == 0, "\(r.stderr)")
    }
}
