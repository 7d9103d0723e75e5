import Foundation
import Testing
@testable import BuildCore

@Suite struct TraceExportTests {
    static let start = 1_714_564_800.0
    static let context = Digest.sha256("context")
    static let hit = Digest.sha256("hit")
    static let make = Digest.sha256("make")
    static let test = Digest.sha256("test")
    static let flaky = Digest.sha256("flaky")
    static let final = Digest.sha256("final")

    static func at(_ offset: Double, _ kind: BuildEvent.Kind) -> BuildEvent {
        BuildEvent(time: Date(timeIntervalSince1970: start + offset), kind)
    }

    /// Stages `base` and `test` run in parallel; `app` follows. A shared context load, a cache hit,
    /// a failure, a vertex started twice and one never completed.
    static func events(finished: Bool = true) -> [BuildEvent] {
        var events = [
            at(0, .buildStarted(BuildStart(buildID: "b1", contextPath: "/src", dockerfilePath: "/src/Dockerfile",
                                           dockerfileText: "FROM busybox AS base\n", target: "app",
                                           buildArgs: ["TOKEN": "hunter2"], tags: ["demo:latest"],
                                           platform: "linux/amd64", noCache: false))),
            at(0, .plan([
                PlannedVertex(digest: context, name: "[internal] load build context", inputs: [], stage: nil,
                              startLine: nil, endLine: nil),
                PlannedVertex(digest: hit, name: "[base 1/2] FROM busybox", inputs: [], stage: "base",
                              startLine: 1, endLine: 1),
                PlannedVertex(digest: make, name: "[base 2/2] RUN make", inputs: [hit, context], stage: "base",
                              startLine: 2, endLine: 3),
                PlannedVertex(digest: test, name: "[test 1/1] RUN make test", inputs: [hit], stage: "test",
                              startLine: 5, endLine: 5),
                PlannedVertex(digest: flaky, name: "[app 1/2] RUN fetch", inputs: [make], stage: "app",
                              startLine: 7, endLine: 7),
                PlannedVertex(digest: final, name: "[app 2/2] COPY out /", inputs: [flaky], stage: "app",
                              startLine: 8, endLine: 8),
            ])),
            at(0, .vertexStarted(context)),
            at(0.05, .vertexCompleted(VertexCompletion(digest: context, status: .done, duration: 0.05))),
            at(0.1, .vertexCompleted(VertexCompletion(digest: hit, status: .cached, duration: 0))),
            at(0.2, .vertexStarted(make)),
            at(0.25, .vertexStarted(test)),
            at(0.3, .log(LogChunk(digest: make, stream: 1, data: Data("a\nb".utf8)))),
            at(0.4, .log(LogChunk(digest: make, stream: 2, data: Data("secret\n".utf8)))),
            at(0.9, .vertexCompleted(VertexCompletion(digest: test, status: .failed, duration: 0.65,
                                                      missReason: "no cache record", error: "exit code: 1"))),
            at(1.2, .vertexCompleted(VertexCompletion(digest: make, status: .done, duration: 1.0,
                                                      missReason: "file changed: main.c"))),
            at(1.3, .vertexStarted(flaky)),
            at(1.5, .vertexStarted(flaky)),
            at(2.0, .vertexCompleted(VertexCompletion(digest: flaky, status: .done, duration: 0.7))),
            at(2.1, .vertexStarted(final)),
            at(2.3, .warning(BuildWarning(message: "odd"))),
        ]
        if finished {
            events.append(at(2.5, .buildFinished(BuildFinish(status: .failed, duration: 2.5, steps: 6, cachedSteps: 1,
                                                             error: "test failed"))))
        }
        return events
    }

    static func parse(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    static func isHex(_ s: String, count: Int) -> Bool {
        s.count == count && s.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    @Test func spansFollowRunIntervals() {
        let trace = TraceExport(id: "b1", events: Self.events())
        #expect(trace.lanes == ["(build)", "(shared)", "base", "test", "app"])
        #expect(trace.build.start == 1_714_564_800_000_000)
        #expect(trace.build.end == 1_714_564_802_500_000)
        #expect(trace.build.name == "build b1 --target app /src")
        #expect(trace.build.failure == "test failed")
        #expect(trace.vertices.map(\.digest) == [Self.context, Self.hit, Self.make, Self.test, Self.flaky, Self.flaky,
                                                 Self.final])
        #expect(trace.vertices.map(\.run) == [0, 0, 0, 0, 0, 1, 0])
        #expect(trace.vertices.map(\.lane) == [2, 3, 3, 4, 5, 5, 5])
        #expect(trace.vertices.map(\.failure) == [nil, nil, nil, "exit code: 1", nil, nil, nil])

        func attribute(_ span: TraceExport.Span, _ key: String) -> TraceExport.Value? {
            span.attributes.first { $0.key == key }?.value
        }
        let status = trace.vertices.map { attribute($0, "vertex.status") }
        #expect(status == ["done", "cached", "done", "failed", "restarted", "done", "interrupted"].map { .string($0) })
        let final = trace.vertices[6]
        #expect(final.end == trace.build.end)
        #expect(attribute(final, "vertex.interrupted") == .bool(true))
        let make = trace.vertices[2]
        #expect(attribute(make, "vertex.miss_reason") == .string("file changed: main.c"))
        #expect(attribute(make, "dockerfile.start_line") == .int(2))
        #expect(attribute(make, "dockerfile.end_line") == .int(3))
        #expect(attribute(make, "log.lines") == .int(3))
        #expect(attribute(make, "log.bytes") == .int(10))
        #expect(attribute(trace.build, "build.status") == .string("failed"))
        #expect(attribute(trace.build, "build.warnings") == .int(1))
        #expect(attribute(trace.build, "build.started") == .string("2024-05-01T12:00:00Z"))
    }

    @Test func chromeTraceHasCompleteEventsOnStageLanes() throws {
        let text = TraceExport.render(Self.events(), id: "b1", format: .chromeTrace)
        let root = try Self.parse(text)
        #expect(root["displayTimeUnit"] as? String == "ms")
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        let metadata = events.filter { $0["ph"] as? String == "M" }
        let complete = events.filter { $0["ph"] as? String == "X" }
        #expect(events.count == metadata.count + complete.count)
        #expect(metadata.count == 1 + 2 * 5)
        #expect(complete.count == 8)
        #expect(events.allSatisfy { $0["pid"] as? Int == 1 })

        var laneNames: [Int: String] = [:]
        for m in metadata where m["name"] as? String == "thread_name" {
            laneNames[try #require(m["tid"] as? Int)] = (m["args"] as? [String: Any])?["name"] as? String
        }
        #expect(laneNames == [1: "(build)", 2: "(shared)", 3: "base", 4: "test", 5: "app"])
        let sortIndices = metadata.filter { $0["name"] as? String == "thread_sort_index" }
            .map { ($0["args"] as? [String: Any])?["sort_index"] as? Int }
        #expect(sortIndices == [1, 2, 3, 4, 5])

        #expect(complete.map { $0["ts"] as? Int } == [0, 0, 100_000, 200_000, 250_000, 1_300_000, 1_500_000, 2_100_000])
        #expect(complete.map { $0["dur"] as? Int } == [2_500_000, 50_000, 0, 1_000_000, 650_000, 200_000, 500_000, 400_000])
        #expect(complete.map { $0["tid"] as? Int } == [1, 2, 3, 3, 4, 5, 5, 5])
        #expect(complete.map { $0["cat"] as? String } == ["build"] + Array(repeating: "vertex", count: 7))
        let failed = try #require(complete[4]["args"] as? [String: Any])
        #expect(complete[4]["name"] as? String == "[test 1/1] RUN make test")
        #expect(failed["vertex.status"] as? String == "failed")
        #expect(failed["vertex.error"] as? String == "exit code: 1")
        #expect(failed["vertex.digest"] as? String == Self.test.value)
        #expect(failed["vertex.stage"] as? String == "test")
        #expect(failed["vertex.cached"] as? Bool == false)
        #expect((complete[2]["args"] as? [String: Any])?["vertex.cached"] as? Bool == true)
    }

    @Test func otlpSpansHaveStableIdsParentsAndStatus() throws {
        let text = TraceExport.render(Self.events(), id: "b1", format: .otlpJSON)
        #expect(text == TraceExport.render(Self.events(), id: "b1", format: .otlpJSON))
        let root = try Self.parse(text)
        let resourceSpans = try #require(root["resourceSpans"] as? [[String: Any]])
        #expect(resourceSpans.count == 1)
        let resource = try #require(resourceSpans[0]["resource"] as? [String: Any])
        let resourceAttributes = try #require(resource["attributes"] as? [[String: Any]])
        #expect(resourceAttributes.first?["key"] as? String == "service.name")
        #expect((resourceAttributes.first?["value"] as? [String: Any])?["stringValue"] as? String == "swbuild")
        let scopeSpans = try #require(resourceSpans[0]["scopeSpans"] as? [[String: Any]])
        #expect((scopeSpans[0]["scope"] as? [String: Any])?["name"] as? String == "swbuild")
        let spans = try #require(scopeSpans[0]["spans"] as? [[String: Any]])
        #expect(spans.count == 8)

        let traceIDs = Set(spans.compactMap { $0["traceId"] as? String })
        #expect(traceIDs == [TraceExport.traceID(buildID: "b1")])
        #expect(traceIDs.allSatisfy { Self.isHex($0, count: 32) })
        let spanIDs = spans.compactMap { $0["spanId"] as? String }
        #expect(spanIDs.count == 8 && Set(spanIDs).count == 8)
        #expect(spanIDs.allSatisfy { Self.isHex($0, count: 16) })
        #expect(spans[0]["parentSpanId"] == nil)
        #expect(spans.dropFirst().allSatisfy { $0["parentSpanId"] as? String == spanIDs[0] })
        #expect(spanIDs[6] == TraceExport.spanID(buildID: "b1", digest: Self.flaky, run: 1))
        #expect(spans.allSatisfy { $0["kind"] as? Int == 1 })

        #expect(spans[0]["startTimeUnixNano"] as? String == "1714564800000000000")
        #expect(spans[0]["endTimeUnixNano"] as? String == "1714564802500000000")
        #expect(spans[2]["startTimeUnixNano"] as? String == spans[2]["endTimeUnixNano"] as? String)

        let statuses = spans.map { $0["status"] as? [String: Any] }
        #expect(statuses.map { $0?["code"] as? Int } == [2, nil, nil, nil, 2, nil, nil, nil])
        #expect(statuses[0]?["message"] as? String == "test failed")
        #expect(statuses[4]?["message"] as? String == "exit code: 1")

        let attributes = try #require(spans[3]["attributes"] as? [[String: Any]])
        func value(_ key: String) -> [String: Any]? {
            attributes.first { $0["key"] as? String == key }?["value"] as? [String: Any]
        }
        #expect(value("vertex.digest")?["stringValue"] as? String == Self.make.value)
        #expect(value("dockerfile.start_line")?["intValue"] as? String == "2")
        #expect(value("vertex.cached")?["boolValue"] as? Bool == false)

        let other = TraceExport.render(Self.events(), id: "b2", format: .otlpJSON)
        #expect(!other.contains(TraceExport.traceID(buildID: "b1")))
    }

    @Test func logsAndBuildArgumentsStayOut() {
        for format in TraceExport.Format.allCases {
            let text = TraceExport.render(Self.events(), id: "b1", format: format)
            #expect(!text.contains("secret"))
            #expect(!text.contains("hunter2"))
            #expect(!text.contains("FROM busybox AS base"))
        }
    }

    @Test func unfinishedBuildEndsAtItsLastEvent() throws {
        let trace = TraceExport(id: "b1", events: Self.events(finished: false))
        #expect(trace.build.end == 1_714_564_802_300_000)
        #expect(trace.vertices.last?.end == trace.build.end)
        #expect(trace.build.failure == nil)
        #expect(trace.build.attributes.contains(TraceExport.Attribute("build.status", .string("interrupted"))))
        for format in TraceExport.Format.allCases {
            _ = try Self.parse(TraceExport.render(Self.events(finished: false), id: "b1", format: format))
        }
    }

    @Test func overlappingRunsOfOneStageGetTheirOwnLanes() {
        let a = Digest.sha256("a"), b = Digest.sha256("b")
        let events = [
            Self.at(0, .plan([PlannedVertex(digest: a, name: "a", inputs: [], stage: "s", startLine: nil, endLine: nil),
                              PlannedVertex(digest: b, name: "b", inputs: [], stage: "s", startLine: nil, endLine: nil)])),
            Self.at(0, .vertexStarted(a)),
            Self.at(1, .vertexStarted(b)),
            Self.at(2, .vertexCompleted(VertexCompletion(digest: a, status: .done, duration: 2))),
            Self.at(3, .vertexCompleted(VertexCompletion(digest: b, status: .done, duration: 2))),
            Self.at(3, .vertexStarted(a)),
            Self.at(4, .vertexCompleted(VertexCompletion(digest: a, status: .done, duration: 1))),
        ]
        let trace = TraceExport(id: "x", events: events)
        #expect(trace.lanes == ["(build)", "s", "s #2"])
        #expect(trace.vertices.map(\.lane) == [2, 3, 2])
        #expect(trace.build.start == 1_714_564_800_000_000)
        #expect(trace.build.end == 1_714_564_804_000_000)
    }
}
