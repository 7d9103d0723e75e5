import Foundation
import Testing
@testable import BuildCore

@Suite struct BuildHistoryTests {
    static func temporaryRoot() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-history-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let step = Digest.sha256("step")
    static let hit = Digest.sha256("hit")

    /// A small build starting at `start` (seconds since 1970), finished unless `finished` is false.
    static func build(_ id: String, start: Double, target: String? = nil, finished: Bool = true) -> [BuildEvent] {
        func at(_ offset: Double, _ kind: BuildEvent.Kind) -> BuildEvent {
            BuildEvent(time: Date(timeIntervalSince1970: start + offset), kind)
        }
        var events = [
            at(0, .buildStarted(BuildStart(buildID: id, contextPath: "/src", dockerfilePath: "/src/Dockerfile",
                                           dockerfileText: "FROM busybox\nRUN make\n", target: target,
                                           buildArgs: ["A": "1"], tags: ["demo:latest"], platform: "linux/amd64",
                                           noCache: false))),
            at(0, .plan([
                PlannedVertex(digest: hit, name: "[1/2] FROM docker.io/library/busybox", inputs: [], stage: "stage-0",
                              startLine: 1, endLine: 1),
                PlannedVertex(digest: step, name: "[2/2] RUN make", inputs: [hit], stage: "stage-0",
                              startLine: 2, endLine: 2),
            ])),
            at(0.25, .vertexCompleted(VertexCompletion(digest: hit, status: .cached, duration: 0))),
            at(0.5, .vertexStarted(step)),
            at(0.75, .log(LogChunk(digest: step, stream: 1, data: Data("building\n".utf8)))),
        ]
        if finished {
            events += [
                at(2.5, .vertexCompleted(VertexCompletion(digest: step, status: .done, duration: 2.0,
                                                          missReason: "file changed: main.c"))),
                at(2.75, .buildFinished(BuildFinish(status: .succeeded, duration: 2.75, steps: 2, cachedSteps: 1,
                                                    imageDigest: "sha256:" + String(repeating: "ab", count: 32)))),
            ]
        }
        return events
    }

    static func write(_ events: [BuildEvent], id: String, root: URL) async throws {
        let writer = try BuildRecordWriter(root: root, buildID: id)
        for event in events { try await writer.append(event) }
        try await writer.close()
    }

    @Test func recordRoundTripsAndSurvivesACutLastLine() async throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let events = Self.build("b1", start: 1_714_564_800.125)
        try await Self.write(events, id: "b1", root: root)

        let url = root.appendingPathComponent("history/b1.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.split(separator: "\n").count == events.count)
        #expect(text.hasPrefix(#"{"time":"2024-05-01T12:00:00.125000Z","type":"buildStarted","#))
        #expect(try BuildRecordReader(url: url).events() == events)

        // A build killed mid-write: the last line is cut.
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        handle.write(Data(#"{"time":"2024-05-01T12:00:03.000000Z","type":"log","digest":"sha256:"#.utf8))
        handle.closeFile()
        let (read, skipped) = try BuildRecordReader(url: url).read()
        #expect(read == events)
        #expect(skipped == 1)

        let permissions = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test func writerRecordsABusUntilItFinishes() async throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let bus = EventBus()
        let events = Self.build("live", start: 1_000)
        await bus.publish(events[0])
        let writer = try BuildHistory(root: root).writer(buildID: "live")
        let recording = Task { try await writer.record(await bus.subscribe()) }
        await bus.publish(contentsOf: Array(events.dropFirst()))
        await bus.finish()
        try await recording.value
        #expect(try BuildHistory(root: root).events(id: "live") == events)
        await #expect(throws: HistoryError.self) { try await writer.append(events[0]) }
        // The writer leaves the summary and step rows cached: listing never reads its logs.
        let history = BuildHistory(root: root)
        let cached = history.directory.appendingPathComponent(".summaries/live.json")
        #expect(FileManager.default.fileExists(atPath: cached.path))
        try FileManager.default.removeItem(at: cached)
        let fresh = try history.summary(id: "live")
        let rows = try history.stepRows(id: "live")
        try await Self.write(events, id: "again", root: root)
        #expect(try history.summary(id: "again").status == fresh.status)
        #expect(try history.stepRows(id: "again") == rows)
    }

    @Test func listIsNewestFirstAndReportsInterruptedBuilds() async throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try await Self.write(Self.build("old", start: 1_000), id: "old", root: root)
        try await Self.write(Self.build("new", start: 3_000, target: "release"), id: "new", root: root)
        try await Self.write(Self.build("killed", start: 2_000, finished: false), id: "killed", root: root)

        let list = try BuildHistory.list(root: root)
        #expect(list.map(\.id) == ["new", "killed", "old"])
        let new = list[0]
        #expect(new.status == .succeeded)
        #expect(new.target == "release")
        #expect(new.started == Date(timeIntervalSince1970: 3_000))
        #expect(new.duration == 2.75)
        #expect(new.steps == 2 && new.cachedSteps == 1)
        #expect(new.tags == ["demo:latest"])
        let killed = list[1]
        #expect(killed.status == .interrupted)
        #expect(killed.duration == 0.75)
        #expect(killed.steps == 1 && killed.cachedSteps == 1)

        let json = try BuildSummary.json(list)
        #expect(json.contains(#""status" : "interrupted""#))
        #expect(json.contains(#""started" : "1970-01-01T00:50:00.000000Z""#))
        let decoder = BuildRecord.makeDecoder()
        #expect(try decoder.decode([BuildSummary].self, from: Data(json.utf8)) == list)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(iso.date(from: "1970-01-01T00:50:00.000000Z") != nil)
    }

    @Test func finishedSummariesAreCachedAndACacheNeverOutlivesItsRecord() async throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try await Self.write(Self.build("done1", start: 100), id: "done1", root: root)
        try await Self.write(Self.build("open1", start: 200, finished: false), id: "open1", root: root)
        let history = BuildHistory(root: root)
        let first = try history.list()
        let cache = history.directory.appendingPathComponent(".summaries")
        #expect(FileManager.default.fileExists(atPath: cache.appendingPathComponent("done1.json").path))
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("open1.json").path),
                "an unfinished build's summary is not cached")
        #expect(try history.list() == first)
        let rows = try history.stepRows(id: "done1")
        #expect(rows.count == 2)
        let cached = try String(contentsOf: cache.appendingPathComponent("done1.json"), encoding: .utf8)
        #expect(cached.contains("\"steps\"") && cached.contains("RUN make"))
        #expect(try history.stepRows(id: "done1") == rows)
        // A record that changes (here: copied over by another build's) is summarised afresh.
        let record = history.directory.appendingPathComponent("done1.jsonl")
        try FileManager.default.removeItem(at: record)
        try await Self.write(Self.build("done1", start: 300, target: "other"), id: "done1", root: root)
        #expect(try history.summary(id: "done1").target == "other")
        try history.remove(id: "done1")
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("done1.json").path))
    }

    @Test func recentTakesTheNewestMatchingBuilds() async throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        for (i, target) in ["a", "b", "a", "a"].enumerated() {
            try await Self.write(Self.build("r\(i)", start: Double(100 * (i + 1)), target: target), id: "r\(i)", root: root)
        }
        let history = BuildHistory(root: root)
        #expect(try history.recent(2) { $0.target == "a" }.map(\.id) == ["r3", "r2"])
        #expect(try history.recent(5) { $0.target == "b" }.map(\.id) == ["r1"])
        #expect(try history.recent(5, scanning: 1) { $0.target == "b" }.isEmpty, "only the newest record is looked at")
    }

    @Test func missingHistoryIsEmpty() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try BuildHistory(root: root).list().isEmpty)
    }

    @Test func idsResolveByPrefixAndAreChecked() async throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let history = BuildHistory(root: root)
        try await Self.write(Self.build("abc123", start: 1), id: "abc123", root: root)
        try await Self.write(Self.build("abd456", start: 2), id: "abd456", root: root)
        #expect(try history.resolve("abc") == "abc123")
        #expect(throws: HistoryError.ambiguous("ab", matches: ["abc123", "abd456"])) { try history.resolve("ab") }
        #expect(throws: HistoryError.notFound("zz")) { try history.resolve("zz") }
        #expect(throws: HistoryError.invalidID("../x")) { try history.resolve("../x") }
        #expect(throws: HistoryError.invalidID("a/b")) { try BuildRecordWriter(root: root, buildID: "a/b") }
        #expect(throws: HistoryError.invalidID("..")) { try history.recordURL(forNewID: "..") }

        try history.remove(id: "abc")
        #expect(try history.ids() == ["abd456"])
        #expect(throws: HistoryError.notFound("abc123")) { try history.remove(id: "abc123") }
    }

    @Test func inspectGivesStepsWithCacheDecisions() async throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let history = BuildHistory(root: root)
        try await Self.write(Self.build("b2", start: 100), id: "b2", root: root)
        let rows = try history.stepRows(id: "b2")
        #expect(rows == [
            StepRow(digest: Self.hit, name: "[1/2] FROM docker.io/library/busybox", stage: "stage-0", status: .cached,
                    cached: true, started: Date(timeIntervalSince1970: 100.25), duration: 0),
            StepRow(digest: Self.step, name: "[2/2] RUN make", stage: "stage-0", status: .done, cached: false,
                    missReason: "file changed: main.c", started: Date(timeIntervalSince1970: 100.5), duration: 2.0),
        ])
        let inspection = try history.inspect(id: "b2")
        #expect(inspection.status == .succeeded)
        let json = try inspection.json()
        #expect(json.contains(#""missReason" : "file changed: main.c""#))
        #expect(json.contains(#""id" : "b2""#))

        try await Self.write(Self.build("b3", start: 200, finished: false), id: "b3", root: root)
        #expect(try history.stepRows(id: "b3").map(\.status) == [.cached, .unfinished])
    }

    @Test func logsAreThePlainRendering() async throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try await Self.write(Self.build("b4", start: 100), id: "b4", root: root)
        #expect(try BuildHistory(root: root).plainLog(id: "b4") == """
            #1 [1/2] FROM docker.io/library/busybox
            #1 CACHED

            #2 [2/2] RUN make
            #2 0.250 building
            #2 DONE 2.0s

            """)
    }
}
