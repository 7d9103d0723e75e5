import Foundation
import Testing
@testable import BuildCore

@Suite struct StageResolverTests {
    let amd64 = Platform(os: "linux", architecture: "amd64")

    func plan(_ text: String, args: [String: String] = [:], target: String? = nil) throws(FrontendError) -> BuildPlan {
        let d = try Dockerfile.parse(text)
        return try StageResolver(options: FrontendOptions(buildArgs: args, target: target, targetPlatform: amd64, buildPlatform: amd64)).resolve(d)
    }

    let multi = """
        ARG GO_IMAGE=golang:1.22
        FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx
        FROM ${GO_IMAGE} AS builder
        COPY --from=xx / /
        RUN --mount=type=bind,from=xx,target=/x true
        FROM scratch AS unused
        FROM alpine
        COPY --from=builder /out /out
        COPY --from=0 /a /a
        """

    @Test func listingMatchesTheDocumentedShape() throws {
        let json = StageListing(plan: try plan(multi)).json()
        #expect(json == #"{"stages":[{"name":"xx","base":"tonistiigi/xx","baseResolved":"tonistiigi/xx","dependsOn":[]},{"name":"builder","base":"${GO_IMAGE}","baseResolved":"golang:1.22","dependsOn":["xx"]},{"name":"unused","base":"scratch","baseResolved":"scratch","dependsOn":[]},{"name":null,"base":"alpine","baseResolved":"alpine","dependsOn":["builder","xx"]}]}"#)
    }

    @Test func buildArgsOverrideGlobalDefaults() throws {
        let p = try plan(multi, args: ["GO_IMAGE": "golang:1.23"])
        #expect(p.stages[1].baseResolved == "golang:1.23")
        #expect(p.warnings.isEmpty)
        #expect(try plan(multi, args: ["NOPE": "1"]).warnings == ["one or more build-args [NOPE] were not consumed"])
    }

    @Test func targetPrunesToReachableStages() throws {
        #expect(try plan(multi).reachable == [0, 1, 3])
        #expect(try plan(multi, target: "builder").reachable == [0, 1])
        #expect(try plan(multi, target: "XX").reachable == [0])
        #expect(throws: FrontendError.self) { try plan(multi, target: "missing") }
    }

    @Test func platformArgsAreGlobalButMustBeDeclaredInStages() throws {
        let p = try plan("FROM busybox:${TARGETARCH}\nARG TARGETOS\nRUN echo $TARGETOS\nENV A=$TARGETOS B=$TARGETARCH\n")
        #expect(p.stages[0].baseResolved == "busybox:amd64")
        guard case .env(let env) = p.stages[0].steps[2].instruction else {
            Issue.record("not env")
            return
        }
        #expect(env == [KeyValuePair(key: "A", value: "linux"), KeyValuePair(key: "B", value: "")])
    }

    @Test func argScopingFollowsBuildKit() throws {
        let text = """
            ARG V=global
            FROM a
            RUN echo 1
            ARG V
            ENV FROM_ARG=$V
            ARG W=default-$V
            ENV W=$W
            ENV V=env-wins
            ARG V=ignored
            ENV X=$V
            """
        let p = try plan(text)
        let envs = p.stages[0].finalEnvironment
        #expect(envs.first { $0.key == "FROM_ARG" }?.value == "global")
        #expect(envs.first { $0.key == "W" }?.value == "default-global")
        #expect(envs.first { $0.key == "X" }?.value == "env-wins")
        #expect(p.stages[0].steps[0].arguments.isEmpty)
        let p2 = try plan(text, args: ["V": "cli", "W": "w"])
        #expect(p2.stages[0].finalEnvironment.first { $0.key == "FROM_ARG" }?.value == "cli")
        #expect(p2.stages[0].finalEnvironment.first { $0.key == "W" }?.value == "w")
    }

    @Test func workdirIsRelativeToThePreviousOne() throws {
        let p = try plan("FROM a\nWORKDIR /app\nWORKDIR src\nENV D=sub\nWORKDIR $D/../x\n")
        #expect(p.stages[0].finalWorkdir == "/app/src/x")
    }

    @Test func stageReferencesAreChecked() throws {
        func message(_ text: String) -> String? {
            do { _ = try plan(text); return nil } catch { return error.message }
        }
        #expect(message("FROM a AS one\nCOPY --from=two /a /b\nFROM b AS two\n") == "stage \"two\" is used before it is defined")
        #expect(message("FROM a\nCOPY --from=5 /a /b\n")?.hasPrefix("invalid stage index 5") == true)
        #expect(message("FROM a\nCOPY --from=0 /a /b\n")?.contains("used before it is defined") == true)
        #expect(message("FROM a AS one\nRUN --mount=from=one,target=/x true\n") == "stage \"one\" refers to itself")
        #expect(message("FROM a\nCOPY --from=alpine:3 /a /b\n") == nil)
    }

    @Test func envExpansionErrorsAreLocated() throws {
        do {
            _ = try plan("FROM a\n\nENV A=\"${B:?must be set}\"\n")
            Issue.record("expected failure")
        } catch {
            #expect(error.kind == .expansion)
            #expect(error.location?.line == 3)
            #expect(error.message.contains("must be set"))
        }
    }
}
