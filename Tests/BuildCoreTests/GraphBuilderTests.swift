import Foundation
import Testing
@testable import BuildCore

@Suite struct GraphBuilderTests {
    let amd64 = Platform(os: "linux", architecture: "amd64")

    func graph(_ text: String, args: [String: String] = [:], target: String? = nil, excludes: [String] = []) throws -> BuildGraph {
        let d = try Dockerfile.parse(text)
        let p = try StageResolver(options: FrontendOptions(buildArgs: args, target: target, targetPlatform: amd64, buildPlatform: amd64)).resolve(d)
        return try GraphBuilder(contextExcludes: excludes).build(p)
    }

    let multi = """
        FROM alpine:3.20 AS base
        WORKDIR /src
        COPY go.mod ./
        FROM base AS build
        ARG VERSION=dev
        RUN --mount=type=cache,target=/root/.cache go build -ldflags "-X main.v=$VERSION" -o /out/app
        FROM base AS test
        RUN go test ./...
        FROM scratch
        COPY --from=build /out/app /app
        ENTRYPOINT ["/app"]
        """

    @Test func namesFollowBuildKit() throws {
        let names = try graph(multi).vertices.map(\.name)
        #expect(names == [
            "[base 1/3] FROM docker.io/library/alpine:3.20",
            "[base 2/3] WORKDIR /src",
            "[internal] load build context",
            "[base 3/3] COPY go.mod ./",
            "[build 1/1] RUN --mount=type=cache,target=/root/.cache go build -ldflags \"-X main.v=$VERSION\" -o /out/app",
            "[stage-3 1/1] COPY --from=build /out/app /app",
        ])
        let single = try graph("FROM busybox\nRUN a\nRUN b\nRUN c\nRUN d\nRUN e\nRUN f\nRUN g\nRUN h\nRUN i\n").vertices.map(\.name)
        #expect(single.first == "[ 1/10] FROM docker.io/library/busybox:latest")
        #expect(single.last == "[10/10] RUN i")
    }

    @Test func targetPrunesUnreachedStages() throws {
        let g = try graph(multi, target: "test")
        #expect(g.vertices.contains { $0.name.hasPrefix("[test") })
        #expect(!g.vertices.contains { $0.name.hasPrefix("[build") })
        #expect(!g.vertices.contains { $0.name.hasPrefix("[stage-3") })
    }

    @Test func digestsAreStableAndOrderedTopologically() throws {
        let a = try graph(multi)
        let b = try graph(multi)
        #expect(a == b)
        var seen: Set<Digest> = []
        for v in a.vertices {
            #expect(v.inputs.allSatisfy { seen.contains($0) })
            seen.insert(v.digest)
        }
        // The encoding is fixed: this digest must be the same on every machine and run.
        let scratchCopy = try graph("FROM scratch\nCOPY a /a\n")
        #expect(scratchCopy.vertices.map(\.digest.value) == [
            Vertex.digest(of: .source(.local(name: "context", excludes: [])), inputs: []).value,
            scratchCopy.vertices[1].digest.value,
        ])
        #expect(Vertex.digest(of: .merge, inputs: []).value == Digest.sha256(#"{"v":1,"op":{"kind":"merge"},"inputs":[]}"#).value)
    }

    @Test func anArgAStepUsesChangesItsDigest() throws {
        let dev = try graph(multi)
        let rel = try graph(multi, args: ["VERSION": "1.0"])
        let devRun = try #require(dev.vertices.first { $0.name.hasPrefix("[build") })
        let relRun = try #require(rel.vertices.first { $0.name.hasPrefix("[build") })
        #expect(devRun.digest != relRun.digest)
        // Steps before the ARG keep their digests.
        #expect(dev.vertices[0...3].map(\.digest) == rel.vertices[0...3].map(\.digest))
    }

    @Test func ignorePatternsAndSelectorsChangeDigests() throws {
        let plain = try graph("FROM scratch\nCOPY a /a\n")
        let ignoring = try graph("FROM scratch\nCOPY a /a\n", excludes: ["*.log"])
        #expect(plain.target != ignoring.target)
        let other = try graph("FROM scratch\nCOPY b /a\n")
        #expect(plain.target != other.target)
        let mounted = try graph("FROM busybox\nRUN --mount=type=cache,target=/c,sharing=locked true\n")
        let shared = try graph("FROM busybox\nRUN --mount=type=cache,target=/c true\n")
        #expect(mounted.target != shared.target)
    }

    @Test func secretsAreReferencedByIdOnly() throws {
        let g = try graph("FROM busybox\nRUN --mount=type=secret,id=token,env=TOKEN true\n")
        let run = try #require(g.vertices.last)
        let encoded = run.op.canonical.rendered
        #expect(encoded.contains("\"id\":\"token\""))
        guard case .exec(let exec) = run.op else {
            Issue.record("not exec")
            return
        }
        #expect(exec.mounts.first?.spec.kind == .secret)
    }

    @Test func runEnvironmentHasArgsEnvAndPath() throws {
        let g = try graph("FROM busybox\nARG A=1\nENV B=2\nWORKDIR /w\nUSER nobody\nRUN env\n")
        guard case .exec(let exec) = try #require(g.vertices.last).op else {
            Issue.record("not exec")
            return
        }
        #expect(exec.env == [GraphBuilder.defaultPath, "B=2", "A=1"])
        #expect(exec.cwd == "/w" && exec.user == "nobody")
        #expect(exec.args == ["/bin/sh", "-c", "env"])
    }

    @Test func heredocRunsItsBody() throws {
        let g = try graph("FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\nRUN cat <<A > /x\nhi\nA\n")
        let execs = g.vertices.compactMap { v -> ExecOp? in if case .exec(let e) = v.op { return e }; return nil }
        #expect(execs[0].args == ["/bin/sh", "-c", "echo one\necho two\n"])
        #expect(execs[1].args == ["/bin/sh", "-c", "cat <<A > /x\nhi\nA\n"])
    }

    @Test func copyLinkMergesOntoTheStage() throws {
        let g = try graph("FROM busybox\nCOPY --link a /a\n")
        #expect(g.vertices.last?.op == .merge)
        guard case .file(let f) = g.vertices[g.vertices.count - 2].op else {
            Issue.record("not file")
            return
        }
        #expect(!f.hasBase)
    }

    @Test func copyHeredocMakesAFile() throws {
        let g = try graph("FROM busybox\nARG NAME=world\nCOPY <<EOF /greeting\nhello $NAME\nEOF\n")
        guard case .file(let f) = try #require(g.vertices.last).op, case .mkfile(let path, _, _, let content, _) = f.actions.first else {
            Issue.record("not mkfile")
            return
        }
        #expect(path == "/greeting" && content == "hello world\n")
    }
}
