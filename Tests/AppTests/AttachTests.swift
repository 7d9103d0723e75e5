import Foundation
import Testing

/// `attach` from another process (and over ssh to a real sshd on 127.0.0.1) to real running
/// builds: every event from the start, then live; leaving never affects the build; the exit status
/// is the build's.
@Suite(.serialized) struct AttachTests {
    /// A process started in the background whose stderr (and stdout) is collected as it comes.
    final class Background: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var text = ""

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            process.executableURL = BinaryRunner.binary
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v }
            process.environment = env
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = pipe
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard !data.isEmpty else {
                    // End of file: stop, or the handler is called again and again.
                    handle.readabilityHandler = nil
                    return
                }
                guard let self else { return }
                self.lock.withLock { self.text += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
        }

        var output: String { lock.withLock { text } }

        /// Waits until the output contains `needle` (true) or `timeout` passes (false).
        func wait(for needle: String, timeout: TimeInterval = 60) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if output.contains(needle) { return true }
                usleep(20_000)
            }
            return false
        }

        /// Waits for the process to end (polling, rather than a run loop that may miss the exit).
        func finish(timeout: TimeInterval = 300) -> Int32 {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            usleep(100_000)
            return process.isRunning ? -1 : process.terminationStatus
        }
    }

    static let slow = "FROM busybox:test\nRUN echo first-line && sleep 3 && echo second-line\nRUN echo after\n"

    @Test func viewersSeeTheWholeBuildAndLeavingDoesNotAffectIt() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": Self.slow])
        let build = try Background(["build", "--root", env.root, "--progress", "plain", ctx.path])
        #expect(build.wait(for: "first-line"))
        // The socket is the owner's only.
        let sockets = try FileManager.default.contentsOfDirectory(atPath: env.root + "/attach")
        #expect(sockets.count == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: env.root + "/attach/" + sockets[0])
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let dirAttributes = try FileManager.default.attributesOfItem(atPath: env.root + "/attach")
        #expect((dirAttributes[.posixPermissions] as? Int) == 0o700)

        let leaving = try Background(["attach", "--root", env.root, "--progress", "plain"])
        let staying = try Background(["attach", "--root", env.root, "--progress", "plain"])
        let json = try Background(["attach", "--root", env.root, "--progress", "rawjson"])
        #expect(leaving.wait(for: "first-line"))
        leaving.process.terminate()
        #expect(build.finish() == 0)
        #expect(staying.finish() == 0)
        #expect(json.finish() == 0)
        // From the start, then live, to the end.
        for needle in ["[1/3] FROM", "first-line", "second-line", "[3/3] RUN echo after", "DONE"] {
            #expect(staying.output.contains(needle), "\(needle) missing from: \(staying.output)")
        }
        let lines = json.output.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        #expect(json.output.contains("\"vertexes\""))
        // The build is over: no socket is left, and attaching replays its record.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: env.root + "/attach")) ?? []).isEmpty)
        let none = try BinaryRunner.run(["attach", "--root", env.root])
        #expect(none.status == 1)
        #expect(none.stderr.contains("no build is running"))
        let id = try #require(try BuildCommandTests.latestBuildID(root: env.root))
        let replayed = try BinaryRunner.run(["attach", "--root", env.root, "--progress", "plain", String(id.prefix(6))])
        #expect(replayed.status == 0)
        #expect(replayed.stderr.contains("second-line"))
    }

    @Test func theExitStatusIsTheBuilds() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN echo going && sleep 2 && exit 3\n"])
        let build = try Background(["build", "--root", env.root, "--progress", "plain", ctx.path])
        #expect(build.wait(for: "going"))
        let viewer = try BinaryRunner.run(["attach", "--root", env.root, "--progress", "plain"])
        #expect(build.finish() == 1)
        #expect(viewer.status == 1)
        #expect(viewer.stderr.contains("exit code: 3"), "\(viewer.stderr)")
    }

    @Test func overSSHToARealSSHD() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            Issue.record("openssh-server is not installed (scripts/setup.sh installs it)")
            return
        }
        let env = try BuildCommandTests.Env()
        let sshDir = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-sshd-\(UUID().uuidString)").path
        let script = BinaryRunner.repositoryRoot.appendingPathComponent("scripts/local-sshd.sh").path
        let (status, portText) = Spawn.run("/bin/bash", [script, sshDir])
        #expect(status == 0, "\(portText)")
        let port = portText.split(separator: "\n").last.map(String.init) ?? ""
        defer {
            // The shared connection the fleet's sessions kept open goes with the test's sshd.
            _ = Spawn.run(sshDir + "/bin/ssh", ["-o", "ControlPath=/tmp/swbuild-ssh-\(getuid())/%C", "-p", port, "-l", "root",
                                                "-O", "exit", "127.0.0.1"])
            if let pid = try? String(contentsOfFile: sshDir + "/sshd.pid", encoding: .utf8),
               let n = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(n, SIGTERM) }
            try? FileManager.default.removeItem(atPath: sshDir)
        }
        let remote: [String: String] = [
            "PATH": sshDir + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "SWBUILD_REMOTE_COMMAND": "SWBUILD_ROOT=\(env.root) \(BinaryRunner.binary.path)",
            "SWBUILD_ROOT": env.root + "-client-side-unused",
        ]
        let host = "ssh://root@127.0.0.1:\(port)"
        let ctx = try BinaryRunner.directory(["Dockerfile": Self.slow])
        let build = try Background(["build", "--root", env.root, "--progress", "plain", ctx.path])
        #expect(build.wait(for: "first-line"))
        let viewer = try Background(["attach", "--host", host, "--progress", "plain"], environment: remote)
        #expect(build.finish() == 0)
        #expect(viewer.finish() == 0, "\(viewer.output)")
        #expect(viewer.output.contains("first-line") && viewer.output.contains("second-line"), "\(viewer.output)")

        let list = try BinaryRunner.run(["history", "ls", "--format", "json"], environment: remote.merging(["SWBUILD_HOST": host]) { $1 })
        #expect(list.status == 0, "\(list.stderr)")
        let id = try #require(try BuildCommandTests.latestBuildID(root: env.root))
        #expect(list.stdout.contains(id))
        let replay = try BinaryRunner.run(["replay", "--host", host, "--speed", "max", "--progress", "plain", id], environment: remote)
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stderr.contains("second-line"))
        let missing = try BinaryRunner.run(["attach", "--host", host, "no-such-build"], environment: remote)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no running or recorded build matches"))

        // The fleet: with ssh contexts, the home screen lists this machine's builds and each
        // context's side by side, and a context that does not answer is a row saying why.
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-contexts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: config) }
        let fleetEnv = remote.merging(["SWBUILD_CONFIG": config]) { $1 }
        for (name, url) in [("far", host), ("down", "ssh://root@127.0.0.1:1")] {
            let created = try BinaryRunner.run(["context", "create", "--host", url, name], environment: fleetEnv)
            #expect(created.status == 0, "\(created.stderr)")
        }
        let localRoot = env.root + "-fleet-local"
        defer { try? FileManager.default.removeItem(atPath: localRoot) }
        let started = Date()
        let home = try BinaryRunner.run(["home", "--root", localRoot], environment: fleetEnv)
        #expect(Date().timeIntervalSince(started) < 20, "an unreachable context must not hold the screen up")
        #expect(home.status == 0, "\(home.stderr)")
        #expect(home.stdout.contains("down: unreachable: ssh root@127.0.0.1:1:"), "\(home.stdout)")
        #expect(home.stdout.contains("\(id)") && home.stdout.contains("[far] "), "\(home.stdout)")
    }
}
