import Foundation
import Testing

/// `swbuild-tui build --call=check` and `--check`: BuildKit's check report, nothing built.
@Suite struct CheckCommandTests {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-check-\(UUID().uuidString)").path

    @Test func callCheckPrintsTheReportAndFailsOnWarnings() throws {
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM scratch AS Bad\nMAINTAINER me\nCOPY $nope /x\n"])
        let r = try BinaryRunner.run(["build", "--root", Self.root, "--call=check", ctx.path])
        #expect(r.status == 1)
        #expect(r.stdout.hasPrefix("Check complete, 3 warnings have been found!\n"))
        #expect(r.stdout.contains("\nWARNING: StageNameCasing - https://docs.docker.com/go/dockerfile/rule/stage-name-casing/\nStage name 'Bad' should be lowercase\nDockerfile:1\n"))
        #expect(r.stdout.contains("WARNING: UndefinedVar - https://docs.docker.com/go/dockerfile/rule/undefined-var/\nUsage of undefined variable '$nope'\n"))
        #expect(r.stdout.contains("   2 | >>> MAINTAINER me\n"))
    }

    @Test func checkShorthandPassesACleanDockerfile() throws {
        let ctx = try BinaryRunner.directory(["Dockerfile": "# check=skip=StageNameCasing\nFROM scratch AS Bad\nCOPY a /a\n", "a": "a"])
        let r = try BinaryRunner.run(["build", "--root", Self.root, "--check", ctx.path])
        #expect(r.status == 0)
        #expect(r.stdout == "Check complete, no warnings found.\n")
    }

    @Test func checkReportsTheErrorAfterTheWarnings() throws {
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM scratch AS Bad\nBADCMD\n"])
        let r = try BinaryRunner.run(["build", "--root", Self.root, "--check", ctx.path])
        #expect(r.status == 1)
        #expect(r.stdout.hasPrefix("Check complete, 1 warning has been found!\n"))
        #expect(r.stderr.hasPrefix("ERROR: dockerfile parse error on line 2: unknown instruction: BADCMD\n"))
    }

    @Test func errorTrueFailsABuildBeforeAnythingRuns() throws {
        let ctx = try BinaryRunner.directory(["Dockerfile": "# check=error=true\nFROM scratch AS Bad\nCOPY a /a\n", "a": "a"])
        let r = try BinaryRunner.run(["build", "--root", Self.root, "--progress", "plain", ctx.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("WARNING: StageNameCasing: Stage name 'Bad' should be lowercase (line 2)\n"))
        #expect(r.stderr.contains(" 1 warning found (use docker --debug to expand):\n - StageNameCasing: Stage name 'Bad' should be lowercase (line 2)\n"))
        #expect(r.stderr.contains("lint violation found for rules: StageNameCasing"))
        #expect(!r.stderr.contains("COPY a /a"))
    }

    @Test func buildArgOverridesTheDirective() throws {
        let ctx = try BinaryRunner.directory(["Dockerfile": "# check=error=true\nFROM scratch AS Bad\n"])
        let r = try BinaryRunner.run(["build", "--root", Self.root, "--check", "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=all", ctx.path])
        #expect(r.status == 0)
        #expect(r.stdout == "Check complete, no warnings found.\n")
    }
}
