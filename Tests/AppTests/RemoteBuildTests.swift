import Foundation
import Testing

/// `-H ssh://… build` against a real sshd on 127.0.0.1 (`scripts/local-sshd.sh`): the remote is
/// the same binary with a state root of its own, reached through the user's own ssh client.
@Suite(.serialized) struct RemoteBuildTests {
    /// A private sshd, the remote's state root (with busybox:test), and the client's environment.
    final class Remote {
        let env: BuildCommandTests.Env
        let sshDir = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-rsshd-\(UUID().uuidString)").path
        let clientRoot = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-rclient-\(UUID().uuidString)").path
        let host: String
        let environment: [String: String]

        var remoteRoot: String { env.root }

        init() throws {
            env = try BuildCommandTests.Env()
            let script = BinaryRunner.repositoryRoot.appendingPathComponent("scripts/local-sshd.sh").path
            let (status, output) = Spawn.run("/bin/bash", [script, sshDir])
            guard status == 0, let port = output.split(separator: "\n").last else {
                throw BuildCommandTests.TestFailure("sshd did not start: \(output)")
            }
            host = "ssh://root@127.0.0.1:\(port)"
            environment = [
                "PATH": sshDir + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "SWBUILD_REMOTE_COMMAND": "SWBUILD_ROOT=\(env.root) \(BinaryRunner.binary.path)",
                "SWBUILD_ROOT": clientRoot,
                "SWBUILD_CONFIG": sshDir + "/config",
            ]
        }

        deinit {
            // The shared connection the builds kept open goes with the test's sshd.
            let port = String(host.split(separator: ":").last ?? "")
            _ = Spawn.run(sshDir + "/bin/ssh", ["-o", "ControlPath=/tmp/swbuild-ssh-\(getuid())/%C", "-p", port, "-l", "root",
                                                "-O", "exit", "127.0.0.1"])
            if let pid = try? String(contentsOfFile: sshDir + "/sshd.pid", encoding: .utf8),
               let n = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(n, SIGTERM) }
            try? FileManager.default.removeItem(atPath: sshDir)
            try? FileManager.default.removeItem(atPath: clientRoot)
        }

        func build(_ args: [String], context: URL, environment extra: [String: String] = [:]) throws -> BinaryRunner.Result {
            try BinaryRunner.run(["-H", host, "build", "--progress", "plain"] + args + [context.path],
                                 environment: environment.merging(extra) { $1 })
        }

        func background(_ args: [String], context: URL) throws -> AttachTests.Background {
            try AttachTests.Background(["-H", host, "build", "--progress", "plain"] + args + [context.path], environment: environment)
        }

        /// The processes whose command line contains `needle` (the remote's steps run here too).
        func processes(_ needle: String) -> [Int32] {
            let (_, out) = Spawn.run("/usr/bin/pgrep", ["-f", needle])
            return out.split(separator: "\n").compactMap { Int32($0) }.filter { $0 != getpid() }
        }

        /// This remote's bridges (other suites build over ssh at the same time, with roots of
        /// their own).
        func bridges() -> [Int32] {
            processes("bridge build").filter { pid in
                let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data()
                return environ.split(separator: 0).contains { Data($0) == Data("SWBUILD_ROOT=\(remoteRoot)".utf8) }
            }
        }

        /// Waits until `condition` holds (true) or `timeout` passes (false).
        func eventually(_ timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if condition() { return true }
                usleep(100_000)
            }
            return condition()
        }

        func history(root: String) throws -> String {
            try BinaryRunner.run(["history", "ls", "--root", root]).stdout
        }
    }

    static func ready() -> Bool {
        guard getuid() == 0 else { Issue.record("builds need root"); return false }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            Issue.record("openssh-server is not installed (scripts/setup.sh installs it)")
            return false
        }
        return true
    }

    @Test func buildsRemotelyWithLocalOutputsAndAnIncrementalContext() throws {
        guard Self.ready() else { return }
        let remote = try Remote()
        let ctx = try BinaryRunner.directory([
            "Dockerfile": "FROM busybox:test\nCOPY . /ctx\nRUN cat /ctx/a.txt > /made.txt && echo remote-step-ran\n",
            "a.txt": "first version\n",
            "sub/b.txt": "bee\n",
            "ignored.txt": "never sent\n",
            ".dockerignore": "ignored.txt\n",
        ])
        try FileManager.default.createSymbolicLink(atPath: ctx.path + "/link", withDestinationPath: "a.txt")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-rout-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }

        let first = try remote.build(["-t", "remote:test", "--label", "made.by=remote", "-o", "type=image", "-o", "type=local,dest=\(out)/dir",
                                      "-o", "type=oci,dest=\(out)/image.tar"], context: ctx)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("[internal] send context to \(remote.host)"), "\(first.stderr)")
        #expect(first.stderr.contains("remote-step-ran"))
        #expect(first.stderr.contains("sent 4 files"), "\(first.stderr)")
        #expect((try? String(contentsOfFile: out + "/dir/made.txt", encoding: .utf8)) == "first version\n")
        #expect((try? String(contentsOfFile: out + "/dir/ctx/sub/b.txt", encoding: .utf8)) == "bee\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out + "/dir/ctx/link")) == "a.txt")
        #expect(!FileManager.default.fileExists(atPath: out + "/dir/ctx/ignored.txt"))
        let archive = (try? FileManager.default.attributesOfItem(atPath: out + "/image.tar")[.size] as? Int) ?? 0
        #expect(archive > 1000)

        // The records: the remote's own, and the local copy under the same id, which replays here.
        let id = try #require(try BuildCommandTests.latestBuildID(root: remote.clientRoot))
        #expect(try BuildCommandTests.latestBuildID(root: remote.remoteRoot) == id)
        let replay = try BinaryRunner.run(["replay", "--root", remote.clientRoot, "--speed", "max", "--progress", "plain", id])
        #expect(replay.status == 0 && replay.stderr.contains("remote-step-ran"), "\(replay.stderr)")
        // The tag landed in the remote's store; the label is in the image's config.
        let images = try BinaryRunner.run(["image", "ls", "--root", remote.remoteRoot])
        #expect(images.status == 0 && images.stdout.contains("remote:test"), "\(images.stdout)\(images.stderr)")
        let (_, label) = Spawn.run("/bin/sh", ["-c", "tar -xOf \(out)/image.tar | grep -ac made.by.:.remote || true"])
        #expect(label.trimmingCharacters(in: .whitespacesAndNewlines) != "0", "\(label)")

        // Unchanged: nothing is sent. One file changed: that file alone.
        let second = try remote.build([], context: ctx)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("sent 0 files, 0B (0.00%)"), "\(second.stderr)")
        try "second version\n".write(toFile: ctx.path + "/a.txt", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: ctx.path + "/sub/b.txt")
        let third = try remote.build(["-o", "type=local,dest=\(out)/third"], context: ctx)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("sent 1 files"), "\(third.stderr)")
        #expect(third.stderr.contains("1 written, 2 removed") || third.stderr.contains("written, "), "\(third.stderr)")
        #expect((try? String(contentsOfFile: out + "/third/made.txt", encoding: .utf8)) == "second version\n")
        #expect(!FileManager.default.fileExists(atPath: out + "/third/ctx/sub/b.txt"))

        // Nothing of the session stays on the remote but its store and records.
        let trees = remote.remoteRoot + "/remote-contexts"
        let leftovers = (FileManager.default.enumerator(atPath: trees)?.allObjects as? [String] ?? []).filter { $0.hasSuffix("/out") || $0.contains(".incoming-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(remote.bridges().isEmpty)
    }

    @Test func secretsAndTheAgentGoOverTheSessionAndNeverToDisk() throws {
        guard Self.ready() else { return }
        let remote = try Remote()
        let agentDir = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-ragent-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: agentDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: agentDir) }
        let agentSocket = agentDir + "/agent.sock"
        let (agentStatus, agentOut) = Spawn.run("/usr/bin/ssh-agent", ["-a", agentSocket])
        #expect(agentStatus == 0, "\(agentOut)")
        defer {
            if let pidText = agentOut.split(separator: ";").first(where: { $0.contains("SSH_AGENT_PID=") }),
               let pid = Int32(pidText.split(separator: "=").last ?? "") { kill(pid, SIGTERM) }
        }
        let value = "remote-secret-\(UUID().uuidString)"
        // The Dockerfile holds the secret's hash only: the value itself must reach no file.
        let (_, hashLine) = Spawn.run("/bin/sh", ["-c", "printf %s '\(value)' | sha256sum"])
        let hash = hashLine.split(separator: " ").first.map(String.init) ?? ""
        let ctx = try BinaryRunner.directory([
            "Dockerfile": """
            FROM busybox:test
            RUN --mount=type=secret,id=token test "$(sha256sum < /run/secrets/token | cut -d' ' -f1)" = "\(hash)" && echo secret-arrived
            RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo agent-socket-there
            """,
        ])
        let result = try remote.build(["--no-cache", "--secret", "id=token,env=REMOTE_TOKEN", "--ssh", "default=\(agentSocket)"], context: ctx,
                                      environment: ["REMOTE_TOKEN": value])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("secret-arrived") && result.stderr.contains("agent-socket-there"), "\(result.stderr)")
        for root in [remote.remoteRoot, remote.clientRoot] {
            let (status, found) = Spawn.run("/bin/grep", ["-rlF", value, root])
            #expect(status == 1, "the secret is on disk: \(found)")
        }
        let (_, sockets) = Spawn.run("/bin/sh", ["-c", "ls -d /tmp/swbuild-agent-* 2>/dev/null || true"])
        #expect(sockets.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(sockets)")
    }

    @Test func cancelAndALostConnectionStopTheRemoteBuild() throws {
        guard Self.ready() else { return }
        let remote = try Remote()
        let marker = "sleep 61\(Int.random(in: 100...999))"
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN echo started-sleeping && \(marker)\n"])

        // Ctrl-C: the remote build is canceled and nothing of it keeps running.
        let build = try remote.background([], context: ctx)
        #expect(build.wait(for: "started-sleeping", timeout: 120), "\(build.output)")
        let interrupted = Date()
        kill(build.process.processIdentifier, SIGINT)
        #expect(remote.eventually(5) { remote.processes(marker).isEmpty }, "the remote step still runs")
        #expect(build.finish(timeout: 20) == 130, "\(build.output)")
        #expect(Date().timeIntervalSince(interrupted) < 12)
        #expect(build.output.contains("CANCELED") || build.output.contains("canceled"), "\(build.output)")
        #expect(remote.eventually(10) { (try? remote.history(root: remote.remoteRoot))?.contains("canceled") == true },
                "\((try? remote.history(root: remote.remoteRoot)) ?? "")")
        #expect(remote.eventually(5) { remote.bridges().isEmpty })

        // A frozen connection: the remote hears nothing and cancels; the client gives up too.
        let frozen = try remote.background([], context: ctx)
        #expect(frozen.wait(for: "started-sleeping", timeout: 120), "\(frozen.output)")
        // The connection is the shared master's (the builds' ssh hands it their pipes): freeze it.
        let port = String(remote.host.split(separator: ":").last ?? "")
        let (_, check) = Spawn.run(remote.sshDir + "/bin/ssh", ["-o", "ControlPath=/tmp/swbuild-ssh-\(getuid())/%C", "-p", port,
                                                                "-l", "root", "-O", "check", "127.0.0.1"])
        let master = check.split(separator: "=").last.flatMap { Int32($0.prefix { $0.isNumber }) }
        let ssh = try #require(master, "\(check)")
        kill(ssh, SIGSTOP)
        defer { kill(ssh, SIGKILL) }
        let stopped = Date()
        #expect(remote.eventually(10) { remote.processes(marker).isEmpty }, "the remote step outlived its connection")
        #expect(Date().timeIntervalSince(stopped) < 11)
        #expect(frozen.finish(timeout: 20) == 1, "\(frozen.output)")
        #expect(frozen.output.contains("no answer from"), "\(frozen.output)")
        #expect(remote.eventually(5) { remote.bridges().isEmpty })
    }

    @Test func detachedBuildsRunOnAndAttachFindsThem() throws {
        guard Self.ready() else { return }
        let remote = try Remote()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN sleep 3 && echo detached-build-done\n"])
        let started = try remote.build(["--detach", "-t", "detached:test"], context: ctx)
        #expect(started.status == 0, "\(started.stderr)")
        let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 20, "\(started.stdout)")
        let attached = try BinaryRunner.run(["-H", remote.host, "attach", "--progress", "plain", id], environment: remote.environment)
        #expect(attached.status == 0, "\(attached.stderr)")
        #expect(attached.stderr.contains("detached-build-done"), "\(attached.stderr)")
        let refused = try remote.build(["--detach", "-o", "type=local,dest=/tmp/never"], context: ctx)
        #expect(refused.status == 1 && refused.stderr.contains("--detach cannot bring outputs back"), "\(refused.stderr)")
    }

    @Test func badRemotesGetOneLine() throws {
        guard Self.ready() else { return }
        let remote = try Remote()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN true\n"])
        func errorLine(_ r: BinaryRunner.Result) -> String {
            r.stderr.split(separator: "\n").last { $0.hasPrefix("error: ") }.map(String.init) ?? r.stderr
        }

        let down = try BinaryRunner.run(["-H", "ssh://root@127.0.0.1:1", "build", "--progress", "plain", ctx.path],
                                        environment: remote.environment)
        #expect(down.status == 1)
        #expect(errorLine(down).contains("ssh root@127.0.0.1:1"), "\(down.stderr)")

        let missing = try remote.build([], context: ctx, environment: ["SWBUILD_REMOTE_COMMAND": "/nonexistent/swbuild-tui"])
        #expect(missing.status == 1)
        #expect(errorLine(missing).contains("swbuild-tui is not installed there"), "\(missing.stderr)")

        let fake = remote.sshDir + "/other-version.sh"
        try "#!/bin/sh\nprintf '%s\\n' '{\"ok\":true,\"protocolVersion\":99,\"version\":\"9.9.9\"}'\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let other = try remote.build([], context: ctx, environment: ["SWBUILD_REMOTE_COMMAND": fake])
        #expect(other.status == 1)
        #expect(errorLine(other).contains("9.9.9") && errorLine(other).contains("0."), "\(other.stderr)")

        let local = try remote.build(["--build-context", "extra=/tmp"], context: ctx)
        #expect(local.status == 1 && local.stderr.contains("docker-image:// contexts only"), "\(local.stderr)")
        let cache = try remote.build(["--cache-to", "type=local,dest=/tmp/cache"], context: ctx)
        #expect(cache.status == 1 && cache.stderr.contains("type=local cache"), "\(cache.stderr)")
        #expect(remote.bridges().isEmpty)
    }
}
