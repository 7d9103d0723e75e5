import Foundation
import Testing
@testable import BuildCore

/// BuildKit's dispatcher semantics that the differential suite first showed apart: mounts without a
/// target, the base image's WORKDIR/USER/ONBUILD, ARG after ENV, EXPOSE checks.
@Suite struct StageResolverParityTests {
    func plan(_ text: String, args: [String: String] = [:], setup: [String: BaseImageSetup] = [:]) throws(FrontendError) -> BuildPlan {
        var options = FrontendOptions(buildArgs: args)
        options.baseImageSetup = setup
        return try StageResolver(options: options).resolve(try Dockerfile.parse(text))
    }

    @Test func aMountWithoutTargetIsTheWorkingDirectory() throws {
        let p = try plan("FROM a AS bin\nFROM b\nWORKDIR /src\nRUN --mount=from=bin true\nRUN --mount=type=cache,target=c true\n")
        guard case .run(let r) = p.stages[1].steps[1].instruction, case .run(let c) = p.stages[1].steps[2].instruction else {
            Issue.record("not runs")
            return
        }
        #expect(r.mounts[0].target == "/src")
        #expect(c.mounts[0].target == "/src/c")
        #expect(throws: FrontendError.self) { try plan("FROM a AS bin\nFROM b\nRUN --mount=from=bin true\n") }
    }

    @Test func theBaseImagesWorkdirUserAndTriggersComeFirst() throws {
        let setup = ["parent:1": BaseImageSetup(workingDir: "/home/app", user: "nobody", onBuild: ["RUN touch /ran", "ENV FROM_ONBUILD=yes"])]
        let p = try plan("FROM parent:1\nRUN true\n", setup: setup)
        let steps = p.stages[0].steps
        #expect(steps.count == 3)
        #expect(steps[0].text == "ONBUILD RUN touch /ran")
        #expect(steps[2].workdir == "/home/app" && steps[2].user == "nobody")
        #expect(steps[2].environment.contains { $0.key == "FROM_ONBUILD" && $0.value == "yes" })
        // A stage's own ONBUILD runs in a stage built FROM it, not in itself.
        let q = try plan("FROM a AS base\nONBUILD RUN touch /x\nFROM base\nRUN true\n")
        #expect(q.stages[0].steps.count == 1)
        #expect(q.stages[1].steps.first?.text == "ONBUILD RUN touch /x")
    }

    @Test func anArgDeclaredAfterEnvIsWhatRunSees() throws {
        let p = try plan("FROM a\nENV V=env\nARG V=arg\nRUN true\nENV V=again\nRUN true\n", args: ["V": "cli"])
        let lowering = GraphBuilder()
        let graph = try lowering.build(p)
        let runs = graph.vertices.compactMap { v -> ExecOp? in if case .exec(let e) = v.op { e } else { nil } }
        #expect(runs.count == 2)
        #expect(runs[0].env.contains("V=cli"))
        #expect(runs[1].env.contains("V=again"))
    }

    @Test func exposeChecksItsPorts() throws {
        #expect(throws: FrontendError.self) { try plan("FROM a\nEXPOSE 80801\n") }
        _ = try plan("FROM a\nEXPOSE 8000-8002 9999/UDP\n")
        #expect(ImageConfigBuilder.exposedPorts("8000-8002") == ["8000/tcp", "8001/tcp", "8002/tcp"])
        #expect(ImageConfigBuilder.exposedPorts("9999/UDP") == ["9999/udp"])
    }
}
