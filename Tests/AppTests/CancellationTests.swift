import Foundation
import Testing

/// Cancelling a build (SIGINT) and killing it (SIGKILL) leave nothing behind, and the cache stays
/// valid for the next build.
@Suite(.serialized) struct CancellationTests {
    /// Starts a build in the background and returns once its long step is running.
    static func startLongBuild(root: String, context: URL) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = BinaryRunner.binary
        p.arguments = ["build", "--root", root, "--progress", "plain", context.path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, err)
    }

    static func waitForStep(_ pipe: Pipe, containing text: String, timeout: TimeInterval = 60) -> String {
        var seen = ""
        let deadline = Date().addingTimeInterval(timeout)
        let handle = pipe.fileHandleForReading
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
            if seen.contains(text) { return seen }
        }
        return seen
    }

    static func mounts(under root: String) -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.contains(root) }
    }

    static let dockerfile = "FROM busybox:test\nCOPY a /a\nRUN echo started-long-step && sleep 60\n"

    @Test func sigintCancelsWithinSecondsAndCleansUp() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": Self.dockerfile, "a": "a"])
        let (p, err) = try Self.startLongBuild(root: env.root, context: ctx)
        let seen = Self.waitForStep(err, containing: "started-long-step")
        #expect(seen.contains("started-long-step"), "\(seen)")
        let sent = Date()
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(Date().timeIntervalSince(sent) < 10)
        #expect(p.terminationStatus != 0)
        #expect(Self.mounts(under: env.root).isEmpty)
        // The canceled build removed its runtime state itself, not just its containers.
        let runtimeState = (try? FileManager.default.contentsOfDirectory(atPath: env.root + "/runc")) ?? []
        #expect(runtimeState.isEmpty, "\(runtimeState)")
        let ps = try BuildCommandTests.tool("/bin/ps", ["-eo", "args"]).1
        #expect(!ps.contains("sleep 60"))
    }

    @Test func sigkillLeavesAValidCacheAndTheNextBuildCleansUp() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": Self.dockerfile, "a": "a"])
        let (p, err) = try Self.startLongBuild(root: env.root, context: ctx)
        let seen = Self.waitForStep(err, containing: "started-long-step")
        #expect(seen.contains("started-long-step"), "\(seen)")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // The next build (without the long step) cleans up, reuses the cached COPY and succeeds.
        try Data("FROM busybox:test\nCOPY a /a\nRUN echo next\n".utf8).write(to: ctx.appendingPathComponent("Dockerfile"))
        let next = try BinaryRunner.run(["build", "--root", env.root, "--progress", "plain", ctx.path])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("CACHED"))
        #expect(Self.mounts(under: env.root).isEmpty)
        let ps = try BuildCommandTests.tool("/bin/ps", ["-eo", "args"]).1
        #expect(!ps.contains("sleep 60"), "the killed build's container still runs")
        let history = try BinaryRunner.run(["history", "ls", "--root", env.root, "--format", "json"])
        #expect(history.stdout.contains("interrupted"))
    }
}
