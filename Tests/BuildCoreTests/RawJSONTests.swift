import Foundation
import Testing
@testable import BuildCore

@Suite struct RawJSONTests {
    static let from = "sha256:af327a6478537246e0d9f0c589986d5f067d2e2351a1ca5a0a4962424da0e408"
    static let run = "sha256:25f682044b5badaff8b296bf6fd676214968b238fcff5559e64f38c88bb9790f"

    static func time(_ text: String) -> Date { RFC3339Time(parsing: text)?.date ?? .distantPast }
    static func digest(_ text: String) -> Digest { Digest(parsing: text) ?? Digest.sha256(text) }

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: Fixtures.url("conformance/rawjson/" + name))
    }

    // MARK: - Times

    @Test func timesPrintLikeGo() throws {
        let t = try #require(RFC3339Time(parsing: "2024-05-01T12:00:01.27740212Z"))
        #expect(t.description == "2024-05-01T12:00:01.27740212Z")
        #expect(RFC3339Time(parsing: "2024-05-01T12:00:01.500000000Z")?.description == "2024-05-01T12:00:01.5Z")
        #expect(RFC3339Time(parsing: "2024-05-01T12:00:01.000Z")?.description == "2024-05-01T12:00:01Z")
        #expect(RFC3339Time(parsing: "2024-05-01T14:00:01.25+02:00")?.description == "2024-05-01T12:00:01.25Z")
        #expect(RFC3339Time(parsing: "1969-12-31T23:59:59.9Z")?.seconds == -1)
        #expect(RFC3339Time.goZero.description == "0001-01-01T00:00:00Z")
        #expect(RFC3339Time(Date(timeIntervalSince1970: 1_704_164_645.123456)).description
            == "2024-01-02T03:04:05.123456Z")
        #expect(RFC3339Time(parsing: "2024-05-01 12:00:01") == nil)
        #expect(RFC3339Time(parsing: "2024-13-01T12:00:01Z") == nil)
        #expect(RFC3339Time(parsing: "2024-05-01T12:00:01.Z") == nil)
    }

    @Test func dateRoundTripIsStableToTheMicrosecond() throws {
        let t = try #require(RFC3339Time(parsing: "2024-05-29T08:07:46.285513805Z"))
        let again = RFC3339Time(t.date)
        #expect(again.description == "2024-05-29T08:07:46.285514Z")
        #expect(RFC3339Time(again.date) == again)
    }

    // MARK: - Encoding

    @Test func scriptedEventsEncodeToBuildKitLines() {
        let events: [BuildEvent] = [
            BuildEvent(time: Self.time("2024-05-01T12:00:00.9Z"), .plan([
                PlannedVertex(digest: Self.digest(Self.from), name: "[1/2] FROM docker.io/library/alpine:3.19",
                              inputs: [], stage: nil, startLine: 1, endLine: 1),
                PlannedVertex(digest: Self.digest(Self.run), name: "[2/2] RUN echo hello && echo oops >&2",
                              inputs: [Self.digest(Self.from)], stage: nil, startLine: 2, endLine: 2),
            ])),
            BuildEvent(time: Self.time("2024-05-01T12:00:01.031201Z"),
                       .vertexCompleted(VertexCompletion(digest: Self.digest(Self.from), status: .cached, duration: 0))),
            BuildEvent(time: Self.time("2024-05-01T12:00:01.031201Z"), .vertexStarted(Self.digest(Self.run))),
            BuildEvent(time: Self.time("2024-05-01T12:00:01.2774Z"),
                       .log(LogChunk(digest: Self.digest(Self.run), stream: 1, data: Data("hello\n".utf8)))),
            BuildEvent(time: Self.time("2024-05-01T12:00:01.3Z"),
                       .progress(ProgressUpdate(digest: Self.digest(Self.run), id: "exporting layers", current: 0,
                                                total: nil, completed: true, started: Self.time("2024-05-01T12:00:01.25Z")))),
            BuildEvent(time: Self.time("2024-05-01T12:00:01.318665Z"),
                       .vertexCompleted(VertexCompletion(digest: Self.digest(Self.run), status: .canceled, duration: 0.28))),
            BuildEvent(time: Self.time("2024-05-01T12:00:01.5Z"), .warning(BuildWarning(message: "odd <thing>",
                                                                                       file: "Dockerfile", line: 3))),
            BuildEvent(time: Self.time("2024-05-01T12:00:02Z"),
                       .buildFinished(BuildFinish(status: .canceled, duration: 2, steps: 2, cachedSteps: 1))),
        ]
        let lines = RawJSONEncoder.render(events).split(separator: "\n", omittingEmptySubsequences: false)
        let name2 = #""[2/2] RUN echo hello \u0026\u0026 echo oops \u003e\u00262""#
        #expect(lines == [
            #"{"vertexes":[{"digest":"\#(Self.from)","name":"[1/2] FROM docker.io/library/alpine:3.19"},{"digest":"\#(Self.run)","inputs":["\#(Self.from)"],"name":\#(name2)}]}"#,
            #"{"vertexes":[{"digest":"\#(Self.from)","name":"[1/2] FROM docker.io/library/alpine:3.19","started":"2024-05-01T12:00:01.031201Z","completed":"2024-05-01T12:00:01.031201Z","cached":true}]}"#,
            #"{"vertexes":[{"digest":"\#(Self.run)","inputs":["\#(Self.from)"],"name":\#(name2),"started":"2024-05-01T12:00:01.031201Z"}]}"#,
            #"{"logs":[{"vertex":"\#(Self.run)","stream":1,"data":"aGVsbG8K","timestamp":"2024-05-01T12:00:01.2774Z"}]}"#,
            #"{"statuses":[{"id":"exporting layers","vertex":"\#(Self.run)","current":0,"timestamp":"2024-05-01T12:00:01.3Z","started":"2024-05-01T12:00:01.25Z","completed":"2024-05-01T12:00:01.3Z"}]}"#,
            #"{"vertexes":[{"digest":"\#(Self.run)","inputs":["\#(Self.from)"],"name":\#(name2),"started":"2024-05-01T12:00:01.031201Z","completed":"2024-05-01T12:00:01.318665Z","error":"context canceled"}]}"#,
            #"{"warnings":[{"level":1,"short":"b2RkIDx0aGluZz4=","sourceInfo":{"filename":"Dockerfile"},"range":[{"start":{"line":3},"end":{"line":3}}]}]}"#,
            "",
        ])
    }

    @Test func goWriterReproducesBuildKitBytes() throws {
        for name in ["example.synthetic.jsonl", "buildkit-ci-build.jsonl"] {
            let text = String(decoding: try Self.fixture(name), as: UTF8.self)
            for line in text.split(separator: "\n") {
                let status = try JSONDecoder().decode(SolveStatus.self, from: Data(line.utf8))
                #expect(status.goJSON == String(line), "\(name)")
            }
        }
    }

    // MARK: - Decoding

    @Test func decodesTheSyntheticExample() throws {
        let (events, skipped) = RawJSONDecoder.decodeAll(try Self.fixture("example.synthetic.jsonl"))
        #expect(skipped == 0)
        let summary = Summary(events)
        #expect(summary.planned.count == 4)
        #expect(summary.starts == 4)
        #expect(summary.completions.count == 4)
        #expect(summary.completions[Self.digest(Self.from)]?.status == .cached)
        #expect(summary.logs == 2)
        #expect(summary.progress == 4)
        let run = try #require(summary.completions[Self.digest(Self.run)])
        #expect(run.status == .done)
        #expect(abs(run.duration - 0.287464159) < 1e-6)
        // BuildKit's build check comes back as one: rule, detail, description and URL taken apart.
        var check = BuildWarning(
            message: "FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)", file: "Dockerfile",
            line: 1, digest: Self.digest("sha256:8b53639f152c8fc6ef30802fde462ba0be9cf085f7580dc69efd72e002abbb35"))
        check.rule = "FromAsCasing"
        check.detail = "'as' and 'FROM' keywords' casing do not match"
        check.description = CheckRule.fromAsCasing.description
        check.url = CheckRule.fromAsCasing.url
        check.level = 1
        #expect(summary.warnings == [check])
        // Each vertex starts before its logs and completes after them.
        let order = events.compactMap { e -> String? in
            switch e.kind {
            case .vertexStarted(let d) where d.value == Self.run: return "start"
            case .log(let l) where l.digest.value == Self.run: return "log"
            case .vertexCompleted(let c) where c.digest.value == Self.run: return "done"
            default: return nil
            }
        }
        #expect(order == ["start", "log", "log", "done"])
    }

    @Test func decodesTheCIBuild() throws {
        let data = try Self.fixture("buildkit-ci-build.jsonl")
        let (events, skipped) = RawJSONDecoder.decodeAll(data)
        #expect(skipped == 0)
        let summary = Summary(events)
        let reference = try Reference(data)
        #expect(summary.planned.count == 84)
        #expect(summary.logs == 952)
        #expect(summary.progress == 55)
        #expect(summary.starts == reference.intervals.count)
        #expect(summary.completions.count == 84 - reference.neverCompleted)
        #expect(summary.completions.values.filter { $0.status == .cached }.count == 1)
        #expect(summary.planned[Self.digest("sha256:91e86d9581e8a1089101825b62de61970f71b2f8029860db149bdfd81951131f")]?
            .stage == "integration-tests-base")
    }

    @Test func reencodingKeepsVerticesLogsAndStatuses() throws {
        for name in ["example.synthetic.jsonl", "buildkit-ci-build.jsonl"] {
            let original = try Self.fixture(name)
            let events = RawJSONDecoder.decodeAll(original).events
            let reencoded = Data(RawJSONEncoder.render(events).utf8)
            let a = try Reference(original)
            let b = try Reference(reencoded)
            #expect(a.names == b.names, "\(name)")
            #expect(a.inputs == b.inputs, "\(name)")
            #expect(a.outcomes == b.outcomes, "\(name)")
            #expect(a.intervals.count == b.intervals.count, "\(name)")
            for (x, y) in zip(a.intervals, b.intervals) {
                #expect(x.digest == y.digest && Reference.close(x.start, y.start) && Reference.close(x.end, y.end))
            }
            #expect(a.logs.count == b.logs.count, "\(name)")
            for (x, y) in zip(a.logs, b.logs) {
                #expect(x.key == y.key && Reference.close(x.time, y.time))
            }
            #expect(a.statuses.keys.sorted() == b.statuses.keys.sorted(), "\(name)")
            for (key, x) in a.statuses {
                let y = b.statuses[key]
                #expect(x.current == y?.current && x.total == y?.total && x.name == y?.name
                    && (x.completed == nil) == (y?.completed == nil)
                    && Reference.close(x.timestamp, y?.timestamp) && Reference.close(x.started, y?.started))
            }
        }
    }

    @Test func survivesCutLinesAndGarbage() throws {
        let text = String(decoding: try Self.fixture("buildkit-ci-build.jsonl"), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let firstOnly = RawJSONDecoder.decodeAll(Data((lines[0] + "\n").utf8)).events

        // Killed while writing the second line.
        let cut = lines[0] + "\n" + lines[1].prefix(lines[1].count / 2)
        let (cutEvents, cutSkipped) = RawJSONDecoder.decodeAll(Data(cut.utf8))
        #expect(cutSkipped == 1)
        #expect(cutEvents == firstOnly)

        // docker's own messages and noise between lines; CRLF endings.
        let noisy = "#0 building with \"default\" instance\n" + lines[0] + "\r\n\nnot json {\n{\"vertexes\":[{\n"
            + lines[1] + "\nERROR: failed to solve: canceled\n"
        let (noisyEvents, noisySkipped) = RawJSONDecoder.decodeAll(Data(noisy.utf8))
        #expect(noisySkipped == 4)
        #expect(noisyEvents == RawJSONDecoder.decodeAll(Data(text.utf8)).events)

        // A cut line with the next line glued on: the glued line is recovered.
        let glued = lines[0].prefix(500) + lines[1] + "\n"
        let (gluedEvents, gluedSkipped) = RawJSONDecoder.decodeAll(Data(glued.utf8))
        #expect(gluedSkipped == 1)
        #expect(Summary(gluedEvents).logs == 823)

        // Bytes arriving in small pieces decode the same.
        var decoder = RawJSONDecoder()
        var pieces: [BuildEvent] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces += decoder.feed(Data(rest.prefix(997).utf8))
            rest = rest.dropFirst(997)
        }
        pieces += decoder.finish()
        #expect(pieces == RawJSONDecoder.decodeAll(Data(text.utf8)).events)
    }

    @Test func contextCanceledMeansCanceled() {
        let line = #"{"vertexes":[{"digest":"\#(Self.run)","name":"x","started":"2024-05-01T12:00:01Z","completed":"2024-05-01T12:00:02Z","error":"failed to compute: context canceled"}]}"#
        var decoder = RawJSONDecoder()
        let events = decoder.decode(line: line)
        #expect(Summary(events).completions[Self.digest(Self.run)]?.status == .canceled)
        #expect(decoder.decode(line: line).isEmpty, "a vertex re-sent unchanged adds nothing")
    }

    @Test func stageNamesComeFromVertexNames() {
        #expect(RawJSONDecoder.stage(of: "[build 2/5] RUN make") == "build")
        #expect(RawJSONDecoder.stage(of: "[linux/amd64 build 2/5] RUN make") == "linux/amd64 build")
        #expect(RawJSONDecoder.stage(of: "[2/5] RUN make") == nil)
        #expect(RawJSONDecoder.stage(of: "[internal] load .dockerignore") == nil)
        #expect(RawJSONDecoder.stage(of: "exporting to image") == nil)
    }
}

/// What a decoded event sequence contains, by kind.
private struct Summary {
    var planned: [Digest: PlannedVertex] = [:]
    var starts = 0
    var completions: [Digest: VertexCompletion] = [:]
    var logs = 0
    var progress = 0
    var warnings: [BuildWarning] = []

    init(_ events: [BuildEvent]) {
        for event in events {
            switch event.kind {
            case .plan(let vertices): for v in vertices { planned[v.digest] = v }
            case .vertexStarted: starts += 1
            case .vertexCompleted(let c): completions[c.digest] = c
            case .log: logs += 1
            case .progress: progress += 1
            case .warning(let w): warnings.append(w)
            default: break
            }
        }
    }
}

/// The information in a rawjson stream, read with `JSONSerialization` (independently of
/// `SolveStatus` and the decoder), folded so that two streams saying the same thing compare equal.
private struct Reference {
    struct Interval { var digest: String; var start: RFC3339Time; var end: RFC3339Time? }
    struct Status { var current: Int64; var total: Int64?; var name: String?; var timestamp: RFC3339Time?
                    var started: RFC3339Time?; var completed: RFC3339Time? }

    var names: [String: String] = [:]
    var inputs: [String: [String]] = [:]
    var outcomes: [String: String] = [:]
    var intervals: [Interval] = []
    var logs: [(key: String, time: RFC3339Time)] = []
    var statuses: [String: Status] = [:]
    var neverCompleted: Int { names.keys.filter { outcomes[$0] == nil }.count }

    init(_ data: Data) throws {
        var byStart: [String: Interval] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            for v in object["vertexes"] as? [[String: Any]] ?? [] {
                let digest = v["digest"] as? String ?? ""
                names[digest] = v["name"] as? String ?? ""
                inputs[digest] = v["inputs"] as? [String] ?? []
                let started = Self.time(v["started"])
                let completed = Self.time(v["completed"])
                if let start = started ?? completed {
                    let key = digest + " " + RFC3339Time(start.date).description
                    if byStart[key]?.end == nil { byStart[key] = Interval(digest: digest, start: start, end: completed) }
                }
                if completed != nil {
                    if let error = v["error"] as? String { outcomes[digest] = "error: " + error }
                    else { outcomes[digest] = (v["cached"] as? Bool ?? false) ? "cached" : "done" }
                }
            }
            for s in object["statuses"] as? [[String: Any]] ?? [] {
                let key = (s["vertex"] as? String ?? "") + " " + (s["id"] as? String ?? "")
                statuses[key] = Status(current: (s["current"] as? NSNumber)?.int64Value ?? 0,
                                       total: (s["total"] as? NSNumber)?.int64Value, name: s["name"] as? String,
                                       timestamp: Self.time(s["timestamp"]), started: Self.time(s["started"]),
                                       completed: Self.time(s["completed"]))
            }
            for l in object["logs"] as? [[String: Any]] ?? [] {
                let key = "\(l["vertex"] as? String ?? "") \((l["stream"] as? NSNumber)?.intValue ?? 0) \(l["data"] as? String ?? "")"
                logs.append((key, Self.time(l["timestamp"]) ?? .goZero))
            }
        }
        intervals = byStart.values.sorted { ($0.digest, $0.start) < ($1.digest, $1.start) }
        logs.sort { ($0.key, $0.time) < ($1.key, $1.time) }
    }

    static func time(_ value: Any?) -> RFC3339Time? {
        (value as? String).flatMap { RFC3339Time(parsing: $0) }
    }

    /// Equal within a microsecond: `Date` cannot carry BuildKit's nanoseconds.
    static func close(_ a: RFC3339Time?, _ b: RFC3339Time?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        let ns = (a.seconds - b.seconds) * 1_000_000_000 + Int64(a.nanoseconds - b.nanoseconds)
        return abs(ns) <= 1000
    }
}
