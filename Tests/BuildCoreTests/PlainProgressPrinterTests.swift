import Foundation
import Testing
@testable import BuildCore

@Suite struct PlainProgressPrinterTests {
    static let t0 = Date(timeIntervalSince1970: 1_714_564_800)
    static let load = Digest.sha256("load")
    static let base = Digest.sha256("base")
    static let run = Digest.sha256("run")
    static let sleep = Digest.sha256("sleep")

    static func at(_ offset: Double, _ kind: BuildEvent.Kind) -> BuildEvent {
        BuildEvent(time: t0.addingTimeInterval(offset), kind)
    }

    static func log(_ offset: Double, _ digest: Digest, _ text: String, stream: Int = 1) -> BuildEvent {
        at(offset, .log(LogChunk(digest: digest, stream: stream, data: Data(text.utf8))))
    }

    static let plan: [PlannedVertex] = [
        PlannedVertex(digest: load, name: "[internal] load build definition from Dockerfile", inputs: [],
                      stage: nil, startLine: nil, endLine: nil),
        PlannedVertex(digest: base, name: "[1/3] FROM docker.io/library/busybox:latest", inputs: [],
                      stage: "stage-0", startLine: 1, endLine: 1),
        PlannedVertex(digest: run, name: "[2/3] RUN echo hello && echo oops >&2", inputs: [base],
                      stage: "stage-0", startLine: 2, endLine: 2),
        PlannedVertex(digest: sleep, name: "[3/3] RUN sleep 1", inputs: [base],
                      stage: "stage-0", startLine: 3, endLine: 3),
    ]

    static let failure = "process \"/bin/sh -c echo hello && echo oops >&2\" did not complete successfully: exit code: 1"

    /// Two steps running side by side, a partial line, a progress item, a cache hit, a build-wide
    /// warning and a failure (offsets are binary fractions so the arithmetic is exact).
    static let script: [BuildEvent] = [
        at(0, .buildStarted(BuildStart(buildID: "b1", contextPath: ".", dockerfilePath: "Dockerfile",
                                       dockerfileText: "", target: nil, buildArgs: [:], tags: [],
                                       platform: "linux/amd64", noCache: false))),
        at(0, .plan(plan)),
        at(0.125, .vertexStarted(load)),
        at(0.25, .progress(ProgressUpdate(digest: load, id: "transferring dockerfile:", current: 84, total: nil,
                                          completed: true))),
        at(0.375, .vertexCompleted(VertexCompletion(digest: load, status: .done, duration: 0.3))),
        at(0.5, .vertexCompleted(VertexCompletion(digest: base, status: .cached, duration: 0))),
        at(1.0, .vertexStarted(run)),
        log(1.125, run, "hel"),
        log(1.25, run, "lo\nwor"),
        at(1.5, .vertexStarted(sleep)),
        log(1.625, run, "oops\n", stream: 2),
        log(2.0, sleep, "tick\n"),
        at(2.5, .vertexCompleted(VertexCompletion(digest: sleep, status: .done, duration: 1.0,
                                                  missReason: "no cache record"))),
        at(2.75, .warning(BuildWarning(message: "FromAsCasing: 'as' and 'FROM' keywords' casing do not match",
                                       file: "Dockerfile", line: 1))),
        at(3.0, .vertexCompleted(VertexCompletion(digest: run, status: .failed, duration: 2.0, error: failure))),
        at(3.0, .buildFinished(BuildFinish(status: .failed, duration: 3.0, steps: 4, cachedSteps: 1, error: failure))),
    ]

    @Test func scriptedBuildPrintsLikeBuildKit() {
        let expected = """
            #1 [internal] load build definition from Dockerfile
            #1 transferring dockerfile: 84B done
            #1 DONE 0.3s

            #2 [1/3] FROM docker.io/library/busybox:latest
            #2 CACHED

            #3 [2/3] RUN echo hello && echo oops >&2
            #3 0.125 hello
            #3 ...

            #4 [3/3] RUN sleep 1
            #4 ...

            #3 [2/3] RUN echo hello && echo oops >&2
            #3 0.625 oops
            #3 ...

            #4 [3/3] RUN sleep 1
            #4 0.500 tick
            #4 DONE 1.0s

            WARNING: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (Dockerfile:1)

            #3 [2/3] RUN echo hello && echo oops >&2
            #3 0.250 wor
            #3 ERROR: \(Self.failure)
            ------
             > [2/3] RUN echo hello && echo oops >&2:
            0.125 hello
            0.625 oops
            0.250 wor
            ------

            """
        #expect(PlainProgressPrinter.render(Self.script) == expected)
    }

    @Test func incrementalOutputMatchesRender() {
        var printer = PlainProgressPrinter()
        var text = ""
        var silent = 0
        for event in Self.script {
            let chunk = printer.consume(event)
            if chunk.isEmpty { silent += 1 }
            text += chunk
        }
        text += printer.finish()
        #expect(text == PlainProgressPrinter.render(Self.script))
        // buildStarted, plan and the held partial "hel" print nothing.
        #expect(silent == 3)
    }

    @Test func partialLineIsFlushedWhenStreamEnds() {
        let events = [
            Self.at(0, .plan(Self.plan)),
            Self.at(1, .vertexStarted(Self.run)),
            Self.log(13.5, Self.run, "half"),
            Self.log(200, Self.run, "late\n", stream: 2),
        ]
        var printer = PlainProgressPrinter()
        var text = events.map { printer.consume($0) }.joined()
        #expect(text == "#1 [2/3] RUN echo hello && echo oops >&2\n#1 199.0 late\n")
        text = printer.finish()
        #expect(text == "#1 12.50 half\n")
    }

    @Test func cancelAndCanceledErrorsPrintCanceled() {
        let events = [
            Self.at(0, .plan(Self.plan)),
            Self.at(0, .vertexStarted(Self.run)),
            Self.at(1, .vertexStarted(Self.sleep)),
            Self.at(2, .vertexCompleted(VertexCompletion(digest: Self.run, status: .canceled, duration: 2))),
            Self.at(2, .vertexCompleted(VertexCompletion(digest: Self.sleep, status: .failed, duration: 1,
                                                         error: "step: context canceled"))),
            Self.at(2, .buildFinished(BuildFinish(status: .canceled, duration: 2, steps: 2, cachedSteps: 0))),
        ]
        let text = PlainProgressPrinter.render(events)
        #expect(text.contains("#1 CANCELED\n"))
        #expect(text.contains("#2 CANCELED\n"))
        #expect(!text.contains("ERROR"))
        #expect(!text.contains("------"))
    }

    @Test func progressIsThrottledLikeBuildKit() {
        func update(_ offset: Double, _ current: Int64, done: Bool = false) -> BuildEvent {
            Self.at(offset, .progress(ProgressUpdate(digest: Self.load, id: "sha256:abc", current: current,
                                                     total: 1_000_000, completed: done)))
        }
        let events = [
            Self.at(0, .plan(Self.plan)), Self.at(0, .vertexStarted(Self.load)),
            update(0, 0), update(0.5, 10_000), update(1, 60_000), update(7, 70_000), update(7.5, 1_000_000, done: true),
        ]
        let lines = PlainProgressPrinter.render(events).split(separator: "\n")
        #expect(lines == [
            "#1 [internal] load build definition from Dockerfile",
            "#1 sha256:abc 0B / 1.00MB",
            "#1 sha256:abc 60.00kB / 1.00MB 1.0s",
            "#1 sha256:abc 70.00kB / 1.00MB 7.0s",
            "#1 sha256:abc 1.00MB / 1.00MB 7.5s done",
        ])
    }

    @Test func vertexWarningStaysInItsBlock() {
        let events = [
            Self.at(0, .plan(Self.plan)),
            Self.at(0, .vertexStarted(Self.run)),
            Self.at(1, .warning(BuildWarning(message: "something odd", digest: Self.run))),
        ]
        #expect(PlainProgressPrinter.render(events)
            == "#1 [2/3] RUN echo hello && echo oops >&2\n#1 WARN: something odd\n")
    }

    @Test func lateWarningGetsAClosedBlockOfItsOwn() {
        let events = [
            Self.at(0, .plan(Self.plan)),
            Self.at(0, .vertexStarted(Self.run)),
            Self.at(1, .vertexCompleted(VertexCompletion(digest: Self.run, status: .done, duration: 1))),
            Self.at(2, .warning(BuildWarning(message: "late", digest: Self.run))),
            Self.at(3, .vertexStarted(Self.sleep)),
        ]
        #expect(PlainProgressPrinter.render(events) == """
            #1 [2/3] RUN echo hello && echo oops >&2
            #1 DONE 1.0s

            #1 [2/3] RUN echo hello && echo oops >&2
            #1 WARN: late

            #2 [3/3] RUN sleep 1

            """)
    }

    @Test func decodedBuildKitStreamPrintsLikeBuildKit() throws {
        let data = try Data(contentsOf: Fixtures.url("conformance/rawjson/example.synthetic.jsonl"))
        let text = PlainProgressPrinter.render(RawJSONDecoder.decodeAll(data).events)
        let from = "[1/2] FROM docker.io/library/alpine:3.19@sha256:b29814cf5792e684cd75d6a7fce7a67a11887e312f87ca2ac2496d81f365ff72"
        #expect(text == """
            #1 [internal] load build definition from Dockerfile
            #1 transferring dockerfile: 84B 0.0s done
            #1 DONE 0.0s

            #1 [internal] load build definition from Dockerfile
            #1 WARN: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)

            #2 \(from)
            #2 CACHED

            #3 [2/2] RUN echo hello && echo oops >&2
            #3 0.246 hello
            #3 0.247 oops
            #3 DONE 0.3s

            #4 exporting to image
            #4 exporting layers
            #4 exporting layers 0.1s done
            #4 exporting manifest sha256:66f69cbfc1a5be7201c6a50c9be0e1ff35b0a922b6c7ce59531013b2ba4fb5ec done
            #4 DONE 0.1s

            """)
    }

    @Test func byteSizesUseBuildKitUnits() {
        #expect(PlainProgressPrinter.bytes(84) == "84B")
        #expect(PlainProgressPrinter.bytes(999) == "999B")
        #expect(PlainProgressPrinter.bytes(1000) == "1.00kB")
        #expect(PlainProgressPrinter.bytes(16_609) == "16.61kB")
        #expect(PlainProgressPrinter.bytes(230_869_737) == "230.87MB")
        #expect(PlainProgressPrinter.bytes(3_400_000_000) == "3.40GB")
    }
}
