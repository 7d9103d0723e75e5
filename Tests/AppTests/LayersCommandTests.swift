import Foundation
import Testing

/// `swbuild-tui layers`, `history inspect --layers` and `l` in the dashboard, on a real build
/// whose second RUN deletes and rewrites what the first wrote.
@Suite(.serialized) struct LayersCommandTests {
    static let wasteful = """
        FROM busybox:test
        RUN dd if=/dev/zero of=/big.bin bs=1024 count=2048 2>/dev/null && mkdir /data && echo one > /data/a
        RUN rm /big.bin && echo rewritten > /data/a && ln -s /data/a /link
        COPY x.txt /data/x.txt
        """

    func built() throws -> (BuildCommandTests.Env, String) {
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": Self.wasteful, "x.txt": "x\n"])
        let r = try env.build(["-t", "waste:1"], context: ctx)
        guard r.status == 0 else { throw BuildCommandTests.TestFailure(r.stderr) }
        return (env, try #require(try BuildCommandTests.latestBuildID(root: env.root)))
    }

    @Test func theTableTiesLayersToLinesAndNamesTheWaste() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let (env, id) = try built()
        let table = try BinaryRunner.run(["layers", "--root", env.root, "waste:1"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("4 layers"), "\(table.stdout)")
        #expect(table.stdout.contains("[3/4] RUN rm /big.bin") && table.stdout.contains("(Dockerfile:3)"), "\(table.stdout)")
        #expect(table.stdout.contains("/big.bin  (2 Dockerfile:2, 3 Dockerfile:3)"), "\(table.stdout)")
        let removed = try BinaryRunner.run(["layers", "--root", env.root, "--layer=-2", "--filter", "removed", "waste:1"])
        #expect(removed.stdout.contains("- ---------- 0:0") && removed.stdout.contains("/big.bin"), "\(removed.stdout)")
        #expect(!removed.stdout.contains("+ lrwxrwxrwx"), "the removed filter shows only removals")
        let json = try BinaryRunner.run(["layers", "--root", env.root, "--format", "json", "waste:1"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let efficiency = try #require(object["efficiency"] as? [String: Any])
        #expect((efficiency["score"] as? Double).map { $0 < 0.6 } == true, "\(json.stdout)")
        let inspect = try BinaryRunner.run(["history", "inspect", "--root", env.root, "--layers", id])
        #expect(inspect.status == 0 && inspect.stdout.contains("/big.bin"), "\(inspect.stdout)\(inspect.stderr)")
    }

    @Test func ciThresholdsDecideTheExitStatus() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let (env, _) = try built()
        let failing = try BinaryRunner.run(["layers", "--root", env.root, "--ci", "waste:1"])
        #expect(failing.status == 1 && failing.stdout.contains("FAIL: lowest-efficiency"), "\(failing.stdout)")
        let passing = try BinaryRunner.run(["layers", "--root", env.root, "--ci", "--lowest-efficiency", "0.3",
                                            "--highest-user-wasted-percent", "disabled", "waste:1"])
        #expect(passing.status == 0 && passing.stdout.contains("Result: PASS"), "\(passing.stdout)")
        let unknown = try BinaryRunner.run(["layers", "--root", env.root, "nothing:here"])
        #expect(unknown.status != 0 && unknown.stderr.contains("nothing:here"), "\(unknown.stderr)")
    }

    @Test func lOpensTheExplorerInTheDashboard() throws {
        guard getuid() == 0, TerminalTests.tmuxInstalled else { Issue.record("needs root and tmux"); return }
        let (env, id) = try built()
        let player = try TerminalTests.Tmux([BinaryRunner.binary.path, "replay", "--root", env.root, "--speed", "max", id],
                                            width: 130, height: 32)
        #expect(player.wait(for: "ENDED").contains("ENDED"))
        player.keys("L")
        player.keys("j")
        player.keys("j")
        player.keys("l")
        let explorer = player.wait(for: "Layer 3/3")
        #expect(explorer.contains("RUN rm /big.bin") && explorer.contains("link → /data/a"), "\(explorer)")
        player.keys("w")
        let wasted = player.wait(for: "PUT THERE BY")
        #expect(wasted.contains("/big.bin") && wasted.contains("Dockerfile:2, Dockerfile:3"), "\(wasted)")
        player.keys("q")
        #expect(player.wait(for: "ENDED").contains("ENDED"), "q closes the explorer first")
        player.keys("q")
        #expect(player.wait(for: "EXIT=0").contains("EXIT=0"))
    }

    /// The source view of a real build with build-check warnings, in a real terminal: the
    /// markers, the warning under the cursor, a build arg's value, and enter to the line's log.
    @Test func sShowsTheSourceWithCheckWarnings() throws {
        guard getuid() == 0, TerminalTests.tmuxInstalled else { Issue.record("needs root and tmux"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": """
            ARG GREETING=hello
            FROM busybox:test as Base
            RUN echo "$GREETING" > /greeting.txt
            """])
        let r = try env.build([], context: ctx)
        #expect(r.stderr.contains("FromAsCasing") || r.stdout.contains("FromAsCasing"), "\(r.stdout)\(r.stderr)")
        let id = try #require(try BuildCommandTests.latestBuildID(root: env.root))
        let player = try TerminalTests.Tmux([BinaryRunner.binary.path, "replay", "--root", env.root, "--speed", "max", id],
                                            width: 120, height: 30)
        #expect(player.wait(for: "ENDED").contains("ENDED"))
        player.keys("s")
        for _ in 0..<5 { player.keys("k") }
        player.keys("j")
        let line2 = player.wait(for: "FromAsCasing")
        #expect(line2.contains("⚠│ FROM busybox:test as Base") && line2.contains("stage Base: line 2"), "\(line2)")
        player.keys("j")
        let line3 = player.wait(for: "GREETING=hello  (ARG default, line 1)")
        #expect(line3.contains("CACHED") || line3.contains("miss"), "\(line3)")
        player.keys("Enter")
        let log = player.wait(for: "RUN echo \"$GREETING\" > /greeting.txt ─")
        #expect(log.contains("─ LOG [") && log.contains("2/2] RUN echo"), "\(log)")
        player.keys("q")
        #expect(player.wait(for: "EXIT=0").contains("EXIT=0"))
    }
}
