import Foundation
import Testing

/// The dashboard in a real terminal (tmux): attach to a running build, replay a record with the
/// player's keys, and the home screen.
@Suite(.serialized) struct TerminalTests {
    /// One tmux session running `command` under a UTF-8 locale; the pane stays after the command
    /// ends and shows `EXIT=<status>`.
    final class Tmux {
        let name = "swb-test-" + String(UUID().uuidString.prefix(8))

        init(_ command: [String], width: Int = 120, height: Int = 36) throws {
            let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            let script = "LANG=C.UTF-8 \(quoted); echo EXIT=$?; sleep 120"
            let (status, output) = Spawn.run("/usr/bin/tmux", ["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", script])
            guard status == 0 else { throw BuildCommandTests.TestFailure("tmux: \(output)") }
        }

        deinit { _ = Spawn.run("/usr/bin/tmux", ["kill-session", "-t", name]) }

        var screen: String { Spawn.run("/usr/bin/tmux", ["capture-pane", "-p", "-t", name]).output }

        func keys(_ keys: String...) {
            _ = Spawn.run("/usr/bin/tmux", ["send-keys", "-t", name] + keys)
        }

        /// Waits until the screen contains `text`; returns the screen either way.
        @discardableResult
        func wait(for text: String, timeout: TimeInterval = 60) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var last = ""
            while Date() < deadline {
                last = screen
                if last.contains(text) { return last }
                usleep(100_000)
            }
            return last
        }
    }

    static var tmuxInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    @Test func attachShowsARunningBuildAndLeavingKeepsItRunning() throws {
        guard getuid() == 0, Self.tmuxInstalled else { Issue.record("needs root and tmux"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN echo tick-one && sleep 4 && echo tick-two\nRUN echo last\n"])
        let build = try AttachTests.Background(["build", "--root", env.root, "--progress", "plain", ctx.path])
        #expect(build.wait(for: "tick-one"))
        let viewer = try Tmux([BinaryRunner.binary.path, "attach", "--root", env.root])
        let screen = viewer.wait(for: "tick-one")
        #expect(screen.contains("RUN echo tick-one"), "\(screen)")
        usleep(300_000)
        viewer.keys("q")
        let left = viewer.wait(for: "EXIT=")
        #expect(left.contains("still running") && left.contains("EXIT=0"), "\(left)")
        #expect(build.finish() == 0, "leaving the dashboard affected the build: \(build.output)")
    }

    @Test func scrollingToTheTopOfAHugeLogReadsItBackFromTheRecord() throws {
        guard getuid() == 0, Self.tmuxInstalled else { Issue.record("needs root and tmux"); return }
        let env = try BuildCommandTests.Env()
        // 12,000 lines: more than a step keeps in memory; the build fails, so the dashboard
        // stays open on the failed step.
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN seq 1 12000 | sed 's/^/row-/' && exit 1\n"])
        let dashboard = try Tmux([BinaryRunner.binary.path, "build", "--root", env.root, "--progress", "tty", ctx.path])
        let failed = dashboard.wait(for: "row-12000")
        #expect(failed.contains("older on disk"), "\(failed)")
        dashboard.keys("Tab")
        dashboard.keys("Home")
        // (tmux drops the blanks that end a row)
        let top = dashboard.wait(for: "\nrow-2\n")
        #expect(top.contains("\nrow-1\n") && top.contains("\nrow-2\n"), "\(top)")
        // A search finds a line only the record holds, and shows it.
        dashboard.keys("/")
        dashboard.keys("row-6543")
        dashboard.keys("Enter")
        let found = dashboard.wait(for: "\nrow-6543\n")
        #expect(found.contains("\nrow-6543\n") && found.contains("/row-6543 1/1"), "\(found)")
        dashboard.keys("q")
        #expect(dashboard.wait(for: "EXIT=").contains("EXIT=1"))
    }

    @Test func replayPlaysPausesSeeksAndQuits() throws {
        guard getuid() == 0, Self.tmuxInstalled else { Issue.record("needs root and tmux"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN echo one && sleep 4 && echo two\nRUN exit 3\n"])
        _ = try env.build([], context: ctx)
        let id = try #require(try BuildCommandTests.latestBuildID(root: env.root))
        let player = try Tmux([BinaryRunner.binary.path, "replay", "--root", env.root, id])
        #expect(player.wait(for: "PLAYING").contains("PLAYING"))
        player.keys("Space")
        let paused = player.wait(for: "PAUSED")
        #expect(paused.contains("PAUSED"), "\(paused)")
        usleep(1_200_000)
        #expect(player.screen == paused, "a paused replay kept changing")
        player.keys("G")
        let end = player.wait(for: "ENDED")
        #expect(end.contains("ENDED") && end.contains("exit code: 3"), "\(end)")
        player.keys("q")
        #expect(player.wait(for: "EXIT=0").contains("EXIT=0"))
    }

    @Test func homeListsRecentBuilds() throws {
        guard getuid() == 0, Self.tmuxInstalled else { Issue.record("needs root and tmux"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN echo home\n"])
        _ = try env.build([], context: ctx)
        let id = try #require(try BuildCommandTests.latestBuildID(root: env.root))
        let home = try Tmux([BinaryRunner.binary.path, "--root", env.root])
        let screen = home.wait(for: String(id.prefix(12)))
        #expect(screen.contains("HISTORY") && screen.contains(String(id.prefix(12))), "\(screen)")
        home.keys("Enter")
        #expect(home.wait(for: "replay " + id).contains("replay " + id), "\(home.screen)")
        home.keys("q")
        #expect(home.wait(for: "HISTORY").contains("HISTORY"))
        home.keys("q")
        #expect(home.wait(for: "EXIT=0").contains("EXIT=0"))
    }

    @Test func cTwiceOnTheHomeScreenComparesTwoBuilds() throws {
        guard getuid() == 0, Self.tmuxInstalled else { Issue.record("needs root and tmux"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nARG V=1\nRUN echo $V\n"])
        _ = try env.build([], context: ctx)
        _ = try env.build(["--build-arg", "V=2"], context: ctx)
        let home = try Tmux([BinaryRunner.binary.path, "--root", env.root])
        #expect(home.wait(for: "c mark to compare").contains("c mark to compare"), "\(home.screen)")
        // The older build is the baseline: mark it, then compare the newer one with it.
        home.keys("j")
        home.keys("c")
        #expect(home.wait(for: "marked").contains("marked"), "\(home.screen)")
        home.keys("k")
        #expect(home.wait(for: "c compare with").contains("c compare with"), "\(home.screen)")
        home.keys("c")
        let comparison = home.wait(for: "build arg   V")
        #expect(comparison.contains("swbuild  compare") && comparison.contains("build arg   V: unset → \"2\""), "\(comparison)")
        #expect(comparison.contains("B took"), "\(comparison)")
        home.keys("q")
        #expect(home.wait(for: "HISTORY").contains("HISTORY"))
        home.keys("q")
        #expect(home.wait(for: "EXIT=0").contains("EXIT=0"))
    }
}
