import Foundation
import Testing
@testable import BuildCore

/// A test double for RUN: interprets `sh -c` scripts of the form `write PATH TEXT` / `fail N`
/// directly on the root filesystem, so the solver can be tested without a container runtime.
struct ScriptedExecutor: Executor {
    let runs: RunCounter

    func run(_ request: ExecRequest, output: @escaping @Sendable (Int, Data) -> Void) async throws(ExecutorError) {
        runs.increment()
        let script = request.op.args.last ?? ""
        for line in script.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            switch words.first {
            case "write":
                FileManager.default.createFile(atPath: request.rootfs + "/" + words[1], contents: Data((words.count > 2 ? words[2] : "").utf8))
                output(1, Data("wrote \(words[1])\n".utf8))
            case "fail":
                output(2, Data("failing on purpose\n".utf8))
                throw .processFailed(command: request.op.args.joined(separator: " "), exitCode: Int32(words[1]) ?? 1)
            case "sleep":
                try? await Task.sleep(for: .milliseconds(Int(words[1]) ?? 0))
                if Task.isCancelled { throw .canceled }
            default:
                break
            }
        }
    }
}

final class RunCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.lock(); n += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return n }
}

/// Images made of one layer written by the test.
struct FixedImages: ImageResolver {
    let layers: [String: String]
    func resolve(_ reference: String, platform: Platform) async throws -> BaseImage {
        guard let layer = layers[reference] else { throw SolveError(message: "image \(reference) not found") }
        return BaseImage(reference: reference, manifestDigest: Digest.sha256(layer).value, layers: [layer], config: Data("{}".utf8))
    }
}

@Suite(.serialized) struct SolverTests {
    final class Harness {
        private var baseLayer: String?
        let state = TempDirectory("solver-state")
        let contextDir = TempDirectory("solver-ctx")
        let runs = RunCounter()
        /// The events of the last build, kept when it fails too.
        var lastEvents: [BuildEvent] = []
        var root: StateRoot { StateRoot(path: state.path) }

        func makeBaseLayer() throws -> String {
            let store = try LayerStore(root: state.path)
            let diff = try store.makeWorkDirectory("base")
            try FileManager.default.createDirectory(atPath: diff + "/etc", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: diff + "/etc/passwd", contents: Data("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n".utf8))
            FileManager.default.createFile(atPath: diff + "/etc/group", contents: Data("root:x:0:\napp:x:1000:\n".utf8))
            return try store.commitLayer(fromDirectory: diff).value
        }

        func build(_ dockerfile: String, args: [String: String] = [:], noCache: Bool = false) async throws -> (Snapshot, [BuildEvent]) {
            let base = try baseLayer ?? makeBaseLayer()
            baseLayer = base
            let df = try Dockerfile.parse(dockerfile)
            let plan = try StageResolver(options: FrontendOptions(buildArgs: args)).resolve(df)
            let graph = try GraphBuilder().build(plan)
            let context = try await BuildContext.load(root: contextDir.path, patterns: [], statCache: nil)
            let session = try BuildSessionLock(root: root, id: UUID().uuidString.lowercased())
            let (stream, continuation) = AsyncStream<BuildEvent>.makeStream()
            let explainer = MissExplainer(root: root, dockerfilePath: "/t/Dockerfile", target: nil, argNames: ["VERSION"])
            let solver = Solver(graph: graph, plan: plan, context: context, executor: ScriptedExecutor(runs: runs),
                                images: FixedImages(layers: ["docker.io/library/base:latest": base]),
                                cache: CacheStore(root: root), snapshotter: try Snapshotter(root: root, session: session),
                                options: SolveOptions(noCache: noCache, jobs: 2),
                                explainer: explainer,
                                events: continuation)
            let results: [Digest: VertexResult]
            do {
                results = try await solver.solve()
            } catch {
                continuation.finish()
                lastEvents = []
                for await e in stream { lastEvents.append(e) }
                throw error
            }
            explainer.save()
            continuation.finish()
            var events: [BuildEvent] = []
            for await e in stream { events.append(e) }
            lastEvents = events
            let target = try #require(graph.target)
            return (try #require(results[target]).snapshot, events)
        }

        /// The merged view of a snapshot, read through its layers (top wins).
        func file(_ path: String, in snapshot: Snapshot) -> String? {
            for layer in snapshot.layers.reversed() {
                if let data = FileManager.default.contents(atPath: state.path + "/layers/\(layer)/diff/" + path) {
                    return String(decoding: data, as: UTF8.self)
                }
            }
            return nil
        }
    }

    static func completions(_ events: [BuildEvent]) -> [VertexCompletion] {
        events.compactMap { if case .vertexCompleted(let c) = $0.kind { return c }; return nil }
    }

    @Test func buildsCachesAndExplainsMisses() async throws {
        guard getuid() == 0 else { Issue.record("the solver mounts overlayfs and must run as root"); return }
        let h = Harness()
        h.contextDir.write("app.txt", "v1")
        h.contextDir.write("other.txt", "o")
        let file = """
            FROM base AS build
            ARG VERSION=1
            COPY app.txt /src/app.txt
            RUN write /out.txt built
            FROM base
            COPY --from=build /out.txt /final.txt
            COPY --chown=app other.txt /other.txt
            """
        let (snap, events) = try await h.build(file)
        #expect(h.file("final.txt", in: snap) == "built")
        #expect(h.file("other.txt", in: snap) == "o")
        #expect(h.runs.count == 1)
        #expect(Self.completions(events).filter { $0.status == .done && $0.missReason == "first build" }.count >= 3)
        let logs = events.compactMap { e -> String? in if case .log(let l) = e.kind { return String(decoding: l.data, as: UTF8.self) }; return nil }
        #expect(logs == ["wrote /out.txt\n"])

        // Nothing changed: everything from the cache, RUN not executed again.
        let (_, again) = try await h.build(file)
        #expect(h.runs.count == 1)
        #expect(Self.completions(again).filter { $0.status == .done && $0.missReason != nil }.isEmpty)

        // A file no step reads changes nothing.
        h.contextDir.write("unrelated.txt", "u")
        _ = try await h.build(file)
        #expect(h.runs.count == 1)

        // One file changed: exactly the steps that depend on it re-run, with reasons.
        h.contextDir.write("app.txt", "v2")
        let (_, third) = try await h.build(file)
        #expect(h.runs.count == 2)
        let reasons = Self.completions(third).compactMap(\.missReason)
        #expect(reasons.contains("files changed: app.txt"))
        #expect(reasons.contains { $0.hasPrefix("input step re-ran: [build 2/3] COPY app.txt") })
        #expect(!reasons.contains { $0.contains("other.txt") })

        // A build arg change re-runs the RUN with the arg named.
        let (_, fourth) = try await h.build(file, args: ["VERSION": "2"])
        #expect(Self.completions(fourth).compactMap(\.missReason).contains("build arg VERSION changed: \"1\" → \"2\""))

        let (_, fifth) = try await h.build(file, noCache: true)
        #expect(Self.completions(fifth).compactMap(\.missReason).contains("--no-cache"))
    }

    @Test func failureIsReportedWithTheStepAndLeavesNoMounts() async throws {
        guard getuid() == 0 else { Issue.record("the solver mounts overlayfs and must run as root"); return }
        let h = Harness()
        do {
            _ = try await h.build("FROM base\nRUN write /a x\nRUN fail 3\n")
            Issue.record("expected a failure")
        } catch let error as SolveError {
            #expect(error.message == "process \"/bin/sh -c fail 3\" did not complete successfully: exit code: 3")
            #expect(error.location?.line == 3)
            #expect(error.logTail == ["failing on purpose"])
        }
        #expect(Mounter.mounts(under: h.state.path).isEmpty)
    }

    @Test func copySemantics() async throws {
        guard getuid() == 0 else { Issue.record("the solver mounts overlayfs and must run as root"); return }
        let h = Harness()
        h.contextDir.write("dir/a.txt", "a")
        h.contextDir.write("dir/sub/b.txt", "b")
        h.contextDir.write("x.go", "x")
        h.contextDir.write("y.go", "y")
        h.contextDir.write("é", "one character")
        let (snap, _) = try await h.build("""
            FROM base
            WORKDIR /app
            COPY dir ./d/
            COPY *.go ./
            COPY x.go /renamed.go
            COPY --chmod=0600 --parents dir/sub/b.txt /p/
            COPY --parents é /p/
            COPY <<EOF /note.txt
            hello
            EOF
            """)
        #expect(h.file("app/d/a.txt", in: snap) == "a")
        #expect(h.file("app/d/sub/b.txt", in: snap) == "b")
        #expect(h.file("app/x.go", in: snap) == "x")
        #expect(h.file("app/y.go", in: snap) == "y")
        #expect(h.file("renamed.go", in: snap) == "x")
        #expect(h.file("p/dir/sub/b.txt", in: snap) == "b")
        #expect(h.file("p/é", in: snap) == "one character", "a one-character name (Foundation traps on its parent)")
        #expect(h.file("note.txt", in: snap) == "hello\n")
        do {
            _ = try await h.build("FROM base\nCOPY a.go b.go /notadir\n")
            Issue.record("expected a failure")
        } catch let e as SolveError {
            #expect(e.message.contains("not found") || e.message.contains("must be a directory"))
        }
    }
}

extension SolverTests {
    @Test func scratchStagesHoldOnlyTheirOwnLayers() async throws {
        guard getuid() == 0 else { Issue.record("the solver mounts overlayfs and must run as root"); return }
        let h = Harness()
        let (snap, _) = try await h.build("FROM base AS b\nRUN write /x built\nFROM scratch\nCOPY --from=b /x /y\n")
        #expect(snap.layers.count == 1)
        #expect(h.file("y", in: snap) == "built")
        #expect(h.file("etc/passwd", in: snap) == nil)
        let (linked, _) = try await h.build("FROM base\nCOPY --link --from=base /etc/group /g\n")
        #expect(linked.layers.count == 2)
    }
}
