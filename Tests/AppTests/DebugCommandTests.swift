import Foundation
import Testing

/// End-to-end checks of the `debug` commands through the built binary.
@Suite struct DebugCommandTests {
    static let fixtures = BinaryRunner.repositoryRoot.appendingPathComponent("Tests/Fixtures/conformance/parser")

    @Test func parsePrintsBuildKitsDumpForEveryConformanceCase() throws {
        let dir = Self.fixtures.appendingPathComponent("testfiles")
        let cases = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(cases.count == 21)
        for name in cases {
            let r = try BinaryRunner.run(["debug", "parse", dir.appendingPathComponent(name + "/Dockerfile").path])
            let expected = try String(contentsOf: dir.appendingPathComponent(name + "/result"), encoding: .utf8)
            #expect(r.status == 0, "\(name)")
            #expect(r.stdout == expected, "\(name)")
        }
    }

    @Test func negativeCasesExitOneWithALocatedMessage() throws {
        for name in ["empty_dockerfile", "shykes-nested-json"] {
            let path = Self.fixtures.appendingPathComponent("testfiles-negative/\(name)/Dockerfile").path
            let r = try BinaryRunner.run(["debug", "parse", path])
            #expect(r.status == 1)
            #expect(r.stderr.contains("\(path):1:1: "))
        }
    }

    @Test func unknownInstructionShowsFileLineColumnAndSource() throws {
        let dir = try BinaryRunner.directory(["Dockerfile": "FROM busybox\n\n\n\n\n\n\n\n\n\n\n    RUNN echo hi\n"])
        let r = try BinaryRunner.run(["debug", "stages", dir.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("Dockerfile:12:5: unknown instruction: RUNN (did you mean run?)"))
        #expect(r.stderr.contains("12 |     RUNN echo hi"))
    }

    @Test func expandPrintsWordsAndFailsOnErrors() throws {
        let r = try BinaryRunner.run(["debug", "expand", "--env", "A=x y", "--words", "--", "$A \"b c\" ${U:-d}"])
        #expect(r.status == 0)
        #expect(r.stdout == "x\ny\nb c\nd\n")
        let bad = try BinaryRunner.run(["debug", "expand", "--", "${U:?is required}"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("is required"))
    }

    @Test func stagesAsJSON() throws {
        let dir = try BinaryRunner.directory(["Dockerfile": "ARG IMG=golang:1.22\nFROM tonistiigi/xx AS xx\nFROM ${IMG} AS builder\nCOPY --from=xx / /\n"])
        let r = try BinaryRunner.run(["debug", "stages", "--format", "json", "--build-arg", "IMG=golang:1.23", dir.path])
        #expect(r.status == 0)
        #expect(r.stdout == #"{"stages":[{"name":"xx","base":"tonistiigi/xx","baseResolved":"tonistiigi/xx","dependsOn":[]},{"name":"builder","base":"${IMG}","baseResolved":"golang:1.23","dependsOn":["xx"]}]}"# + "\n")
    }

    @Test func contextHonoursDockerignoreAndPrefersTheDockerfilesOwn() throws {
        let dir = try BinaryRunner.directory([
            "Dockerfile": "FROM scratch\nCOPY . .\n",
            "app.go": "package main\n",
            "debug.log": "x",
            "keep.log": "y",
            "node_modules/a/index.js": "z",
            ".dockerignore": "node_modules\n*.log\n!keep.log\n",
            "other.Dockerfile": "FROM scratch\n",
            "other.Dockerfile.dockerignore": "*.go\n",
        ])
        let r = try BinaryRunner.run(["debug", "context", dir.path])
        #expect(r.status == 0)
        #expect(r.stdout == ".dockerignore\nDockerfile\napp.go\nkeep.log\nother.Dockerfile\nother.Dockerfile.dockerignore\n")
        #expect(r.stderr.hasPrefix("6 files, "))
        let own = try BinaryRunner.run(["debug", "context", "-f", dir.appendingPathComponent("other.Dockerfile").path, dir.path])
        #expect(!own.stdout.contains("app.go"))
        #expect(own.stdout.contains("debug.log"))
    }

    @Test func dumpLLBIsDeterministicAndPrunesByTarget() throws {
        let dir = try BinaryRunner.directory([
            "Dockerfile": "FROM busybox AS a\nRUN echo a\nFROM busybox AS b\nRUN echo b\nFROM a\nCOPY --from=b / /\n",
        ])
        let first = try BinaryRunner.run(["debug", "dump-llb", dir.path])
        let second = try BinaryRunner.run(["debug", "dump-llb", dir.path])
        #expect(first.status == 0)
        #expect(first.stdout == second.stdout)
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        let onlyA = try BinaryRunner.run(["debug", "dump-llb", "--target", "a", dir.path])
        #expect(onlyA.stdout.split(separator: "\n").count == 2)
        #expect(!onlyA.stdout.contains("echo b"))
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["digest"] as? String != nil)
            #expect(object?["name"] as? String != nil)
        }
    }

    @Test func rootFlagAndEnvironment() throws {
        let viaFlag = try BinaryRunner.run(["root", "--root", "/tmp/swb-root-flag"])
        #expect(viaFlag.stdout == "/tmp/swb-root-flag\n")
        let viaEnv = try BinaryRunner.run(["root"], environment: ["SWBUILD_ROOT": "/tmp/swb-root-env"])
        #expect(viaEnv.stdout == "/tmp/swb-root-env\n")
    }
}
