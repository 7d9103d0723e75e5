import Foundation
import Testing

/// The real-world check: a Debian base made with `debootstrap --variant=minbase bookworm` and a
/// RUN that installs a package with apt's cache on a `sharing=locked` cache mount, built twice;
/// the second build (with `--no-cache`, so the step runs again) finds the package in the cache.
///
/// Opt-in (it downloads from Debian's archive and takes a few minutes the first time):
/// `SWBUILD_E2E_DEBIAN=1 swift test --filter DebianAptTests`. The rootfs tarball and the state
/// root are kept in `SWBUILD_E2E_DEBIAN_DIR` (default `/var/tmp/swbuild-e2e-debian`) between runs.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SWBUILD_E2E_DEBIAN"] == "1"))
struct DebianAptTests {
    static let directory = ProcessInfo.processInfo.environment["SWBUILD_E2E_DEBIAN_DIR"] ?? "/var/tmp/swbuild-e2e-debian"
    static let image = "debian:bookworm-minbase"

    static let dockerfile = """
        FROM \(image)
        RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
            --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\
            apt-get update && apt-get install -y --no-install-recommends hello && hello

        """

    /// The debootstrap tarball, made once.
    static func rootfsTarball() throws -> String {
        let tarball = directory + "/bookworm-minbase.tar.gz"
        if FileManager.default.fileExists(atPath: tarball) { return tarball }
        let staging = directory + "/rootfs"
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (status, output) = try BuildCommandTests.tool("/usr/sbin/debootstrap",
                                                          ["--variant=minbase", "bookworm", staging, "http://deb.debian.org/debian"])
        guard status == 0 else { throw BuildCommandTests.TestFailure("debootstrap failed: \(output.suffix(2000))") }
        // The runtime provides /dev, /proc and /sys; device nodes are not image content.
        let (tarStatus, tarOutput) = try BuildCommandTests.tool("/bin/tar", [
            "-C", staging, "--numeric-owner", "--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*",
            "-czf", tarball + ".partial", "."])
        guard tarStatus == 0 else { throw BuildCommandTests.TestFailure("tar failed: \(tarOutput)") }
        try FileManager.default.moveItem(atPath: tarball + ".partial", toPath: tarball)
        try? FileManager.default.removeItem(atPath: staging)
        return tarball
    }

    @Test func aptInstallsThroughALockedCacheMountAndTheSecondBuildUsesIt() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let root = Self.directory + "/root"
        let tarball = try Self.rootfsTarball()
        let images = try BinaryRunner.run(["image", "ls", "--root", root])
        if !images.stdout.contains("docker.io/library/\(Self.image)") {
            let imported = try BinaryRunner.run(["image", "import", "--root", root, "--name", Self.image, tarball])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        // Start from an empty apt cache, so the first build must download.
        let pruned = try BinaryRunner.run(["prune", "--all", "--root", root])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        let ctx = try BinaryRunner.directory(["Dockerfile": Self.dockerfile])

        let first = try BinaryRunner.run(["build", "--root", root, "--progress", "plain", ctx.path])
        #expect(first.status == 0, "\(first.stderr.suffix(3000))")
        #expect(first.stderr.contains("Hello, world!"))
        #expect(first.stderr.contains("hello amd64") || first.stderr.contains("hello arm64"), "the package was not downloaded")
        #expect(!first.stderr.contains("Need to get 0 B/"))

        let second = try BinaryRunner.run(["build", "--root", root, "--progress", "plain", "--no-cache", ctx.path])
        #expect(second.status == 0, "\(second.stderr.suffix(3000))")
        #expect(second.stderr.contains("Hello, world!"))
        #expect(second.stderr.contains("Need to get 0 B/"), "the apt cache mount was not reused: \(second.stderr.suffix(3000))")
    }
}
