import Foundation
import Testing
@testable import BuildCore

@Suite struct HistoryDiffTests {
    /// One step of a made-up build: its stage, position, instruction and how it ended.
    struct Spec {
        var stage: String
        var position: String
        var instruction: String
        var status: VertexCompletion.Status
        var duration: Double = 0
        var reason: String?
        var error: String?
        var context: [ReadSelection]?
        var image: String?
        /// A digest of its own: changes when anything a cache key covers changes.
        var salt = ""

        var name: String { "[\(stage) \(position)] \(instruction)" }
        var digest: Digest { Digest.sha256(name + salt) }
    }

    /// A record of a build of `steps`, run one after the other from `start`.
    static func build(_ id: String, args: [String: String] = [:], dockerfile: String = "FROM busybox\n", start: Double = 1_714_564_800,
                      steps: [Spec]) -> [BuildEvent] {
        var t = start
        func at(_ kind: BuildEvent.Kind) -> BuildEvent { BuildEvent(time: Date(timeIntervalSince1970: t), kind) }
        var events = [
            at(.buildStarted(BuildStart(buildID: id, contextPath: "/src", dockerfilePath: "/src/Dockerfile", dockerfileText: dockerfile,
                                        target: nil, buildArgs: args, tags: [], platform: "linux/amd64", noCache: false))),
            at(.plan(steps.map { PlannedVertex(digest: $0.digest, name: $0.name, inputs: [], stage: $0.stage, startLine: nil, endLine: nil) })),
        ]
        var cached = 0
        var failed: String?
        for s in steps {
            events.append(at(.vertexStarted(s.digest)))
            t += s.duration
            events.append(at(.vertexCompleted(VertexCompletion(digest: s.digest, status: s.status, duration: s.duration, missReason: s.reason,
                                                               error: s.error, context: s.context, imageDigest: s.image))))
            if s.status == .cached { cached += 1 }
            if s.status == .failed { failed = s.error ?? "failed" }
        }
        events.append(at(.buildFinished(BuildFinish(status: failed == nil ? .succeeded : .failed, duration: t - start, steps: steps.count,
                                                    cachedSteps: cached, error: failed))))
        return events
    }

    static let base = Spec(stage: "base", position: "1/3", instruction: "FROM busybox", status: .done, duration: 0.5,
                           image: "sha256:" + String(repeating: "a", count: 64))
    static func copy(_ greeting: String, status: VertexCompletion.Status, reason: String? = nil) -> Spec {
        Spec(stage: "base", position: "2/3", instruction: "COPY . ./", status: status, duration: status == .cached ? 0 : 0.25,
             reason: reason, context: [ReadSelection(selection: ".", digest: Digest.sha256(greeting).value,
                                                     files: ["greeting.txt": Digest.sha256(greeting).value, "same.txt": "sha256:1"])],
             salt: greeting)
    }
    static func make(_ seconds: Double, status: VertexCompletion.Status, reason: String? = nil, salt: String = "") -> Spec {
        Spec(stage: "base", position: "3/3", instruction: "RUN make", status: status, duration: seconds, reason: reason, salt: salt)
    }

    @Test func namesTheChangedArgAndFileAndTheSlowestStepInOneLine() {
        let a = Self.build("a1", args: ["VERSION": "1"], steps: [Self.base, Self.copy("hi", status: .cached), Self.make(0, status: .cached)])
        let b = Self.build("b2", args: ["VERSION": "2"], start: 1_714_564_900, steps: [
            Self.base, Self.copy("hello", status: .done, reason: "files changed: greeting.txt"),
            Self.make(9.5, status: .done, reason: "build arg VERSION changed: \"1\" → \"2\"", salt: "2"),
        ])
        let diff = HistoryDiff(a: "a1", events: a, b: "b2", events: b)
        #expect(diff.buildArgs == [HistoryDiff.Change(name: "VERSION", old: "1", new: "2")])
        #expect(diff.contextFiles == [HistoryDiff.FileChange(path: "greeting.txt", kind: .modified)])
        #expect(diff.baseImages.isEmpty)
        #expect(!diff.dockerfileChanged)
        #expect(diff.steps.map(\.instruction) == ["FROM busybox", "COPY . ./", "RUN make"])
        #expect(diff.steps.map(\.flip) == [nil, .hitToMiss, .hitToMiss])
        #expect(diff.steps[2].delta == 9.5)
        #expect(diff.steps[1].changedFiles == [HistoryDiff.FileChange(path: "greeting.txt", kind: .modified)])
        // A: 0.5 s; B: 0.5 + 0.25 + 9.5 s.
        #expect(diff.summary == "B took 9.75s longer (+1950%): 2 steps missed the cache (build arg VERSION changed, "
                + "greeting.txt modified), RUN make slower by 9.50s")
        let text = diff.text()
        #expect(text.contains("build arg   VERSION: \"1\" → \"2\""))
        #expect(text.contains("file        greeting.txt (modified)"))
        #expect(text.contains("hit → miss: build arg VERSION changed"))
    }

    @Test func stepsOnlyInOneBuildAndEditedInstructionsAreMatchedByStageAndPosition() {
        let a = Self.build("a1", steps: [
            Self.base,
            Spec(stage: "base", position: "2/3", instruction: "RUN make -j1", status: .done, duration: 4),
            Spec(stage: "base", position: "3/3", instruction: "RUN strip app", status: .done, duration: 1),
        ])
        let b = Self.build("b2", dockerfile: "FROM busybox\nRUN make -j4\n", steps: [
            Self.base,
            Spec(stage: "base", position: "2/3", instruction: "RUN make -j4", status: .done, duration: 1, reason: "instruction changed"),
            Spec(stage: "test", position: "1/1", instruction: "RUN make test", status: .done, duration: 2, reason: "new step"),
        ])
        let diff = HistoryDiff(a: "a1", events: a, b: "b2", events: b)
        #expect(diff.dockerfileChanged)
        #expect(diff.steps.count == 4)
        let edited = diff.steps[1]
        #expect(edited.instructionChanged)
        #expect(edited.a?.name == "[base 2/3] RUN make -j1")
        #expect(edited.b?.name == "[base 2/3] RUN make -j4")
        #expect(edited.delta == -3)
        #expect(diff.steps[2].b == nil && diff.steps[2].instruction == "RUN strip app")
        #expect(diff.steps[3].a == nil && diff.steps[3].stage == "test")
        #expect(HistoryDiff.change(diff.steps[2]) == "only in A")
        #expect(HistoryDiff.change(diff.steps[3]) == "only in B")
        #expect(diff.summary.hasPrefix("B took 2.00s less (-36%)"))
        #expect(diff.summary.hasSuffix("RUN make -j4 faster by 3.00s"))
    }

    @Test func repeatedInstructionsPairInOrder() {
        let twice = [Self.base,
                     Spec(stage: "base", position: "2/3", instruction: "RUN sync", status: .done, duration: 1),
                     Spec(stage: "base", position: "3/3", instruction: "RUN sync", status: .done, duration: 2)]
        var later = twice
        later[2].duration = 5
        let diff = HistoryDiff(a: "a", events: Self.build("a", steps: twice), b: "b", events: Self.build("b", steps: later))
        #expect(diff.steps.count == 3)
        #expect(diff.steps.map(\.delta) == [0, 0, 3])
        #expect(!diff.steps.contains { $0.instructionChanged })

        // Steps that moved both ways and cancel out: the build took as long, and nothing is blamed.
        var even = later
        even[1].duration = 0
        even[2].duration = 3
        let same = HistoryDiff(a: "a", events: Self.build("a", steps: twice), b: "b", events: Self.build("b", steps: even))
        #expect(same.summary == "B took as long as A (3.50s)")
    }

    @Test func aMovedBaseImageANewFailureAndAStepTheCacheNowServes() {
        var moved = Self.base
        moved.image = "sha256:" + String(repeating: "b", count: 64)
        moved.salt = "moved"
        let a = Self.build("a", steps: [Self.base, Self.copy("hi", status: .done, reason: "first build"), Self.make(2, status: .done)])
        let b = Self.build("b", steps: [moved, Self.copy("hi", status: .cached),
                                        Spec(stage: "base", position: "3/3", instruction: "RUN make", status: .failed, duration: 0.5,
                                             reason: "base image changed: busybox → sha256:bbbb", error: "exit code 2")])
        let diff = HistoryDiff(a: "a", events: a, b: "b", events: b)
        #expect(diff.baseImages == [HistoryDiff.Change(name: "busybox", old: "sha256:" + String(repeating: "a", count: 64),
                                                        new: "sha256:" + String(repeating: "b", count: 64))])
        #expect(diff.steps[1].flip == .missToHit)
        #expect(diff.steps[2].newFailure)
        #expect(diff.b.status == .failed)
        #expect(diff.summary.contains("B failed at RUN make"))
        #expect(diff.summary.contains("1 step came from the cache instead"))
        #expect(HistoryDiff.change(diff.steps[2]) == "new failure: exit code 2")
        #expect(diff.text().contains("base image  busybox: sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb"))
    }

    @Test func largeSelectionsAndOlderRecordsSayWhatWasNotCompared() {
        var big = Self.copy("hi", status: .cached)
        big.context = [ReadSelection(selection: "data/", digest: "sha256:1")]
        var bigger = Self.copy("hello", status: .done, reason: "files changed: data/x")
        bigger.context = [ReadSelection(selection: "data/", digest: "sha256:2")]
        let diff = HistoryDiff(a: "a", events: Self.build("a", steps: [Self.base, big]), b: "b", events: Self.build("b", steps: [Self.base, bigger]))
        #expect(diff.contextFiles == [HistoryDiff.FileChange(path: "data/", kind: .selection)])
        #expect(diff.notes.isEmpty)

        var old = Self.base
        old.image = nil
        var oldCopy = Self.copy("hi", status: .cached)
        oldCopy.context = nil
        let older = HistoryDiff(a: "a", events: Self.build("a", steps: [old, oldCopy]), b: "b",
                                events: Self.build("b", steps: [Self.base, bigger]))
        #expect(older.contextFiles.isEmpty)
        #expect(older.notes.first?.contains("A's record holds no per-step checksums") == true)
        // The miss reason recorded in B stands in for the files A cannot name.
        #expect(older.summary.contains("1 step missed the cache (files changed: data/x)"))
    }

    @Test func newFieldsSurviveTheRecordFormatAndOldLinesStillDecode() throws {
        let completion = VertexCompletion(digest: Digest.sha256("x"), status: .done, duration: 1, missReason: "first build",
                                          context: [ReadSelection(selection: "src/", digest: "sha256:1", files: ["src/b": "sha256:2", "src/a": "sha256:3"]),
                                                    ReadSelection(selection: "big/", digest: "sha256:4")],
                                          imageDigest: "sha256:5")
        let event = BuildEvent(time: Date(timeIntervalSince1970: 1_714_564_800), .vertexCompleted(completion))
        let line = BuildRecord.line(for: event)
        #expect(String(decoding: line, as: UTF8.self).contains(#""context":[{"selection":"src/","digest":"sha256:1","files":{"src/a":"sha256:3","src/b":"sha256:2"}},{"selection":"big/","digest":"sha256:4"}],"imageDigest":"sha256:5"}"#))
        #expect(BuildRecord.decodeLine(line) == event)
        let old = #"{"time":"2024-05-01T12:00:00.000000Z","type":"vertexCompleted","digest":"\#(Digest.sha256("x").value)","status":"cached","duration":0}"#
        #expect(BuildRecord.decodeLine(Array(old.utf8)) == BuildEvent(time: Date(timeIntervalSince1970: 1_714_564_800),
                                                                        .vertexCompleted(VertexCompletion(digest: Digest.sha256("x"), status: .cached, duration: 0))))
    }

    @Test func comparesRecordsOnAHostByIDPrefix() async throws {
        let root = try BuildHistoryTests.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try await BuildHistoryTests.write(Self.build("aaa111", steps: [Self.base, Self.make(1, status: .done)]), id: "aaa111", root: root)
        try await BuildHistoryTests.write(Self.build("bbb222", steps: [Self.base, Self.make(1, status: .cached)]), id: "bbb222", root: root)
        let host = LocalBuildHost(root: StateRoot(path: root.path))
        let diff = try HistoryDiff.compare("aaa", "bbb", on: host)
        #expect(diff.a.id == "aaa111" && diff.b.id == "bbb222")
        #expect(diff.steps[1].flip == .missToHit)
        #expect(throws: HistoryError.notFound("zzz")) { try HistoryDiff.compare("zzz", "bbb", on: host) }
    }
}
