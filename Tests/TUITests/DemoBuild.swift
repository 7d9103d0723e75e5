import BuildCore
import Foundation
@testable import TUI

/// A recorded-style multi-stage build, made in code with fixed times so every snapshot is
/// deterministic: an internal lane, a cached `base` stage, `builder` and `tester` running side by
/// side (a download with byte progress, colored and carriage-return output), a final stage and
/// the export. `outcome` picks how it ends.
struct DemoBuild {
    enum Outcome { case succeeded, failed }

    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static let dockerfile = """
        # syntax=docker/dockerfile:1
        FROM busybox AS base
        RUN mkdir /app
        COPY app.txt /app/

        FROM base AS builder
        RUN make -C /app
        RUN make -C /app test

        FROM base AS tester
        ADD https://example.com/testdata.tar.gz /data/
        RUN ./run-tests.sh

        FROM busybox
        COPY --from=builder /app /app
        CMD ["/app/run"]
        """

    static func digest(_ name: String) -> Digest { Digest.sha256("demo:" + name) }

    static let context = digest("context"), metadata = digest("metadata")
    static let base1 = digest("base1"), base2 = digest("base2"), base3 = digest("base3")
    static let make = digest("make"), makeTest = digest("makeTest")
    static let download = digest("download"), runTests = digest("runTests")
    static let copyApp = digest("copyApp"), export = digest("export")

    static let plan: [PlannedVertex] = [
        PlannedVertex(digest: context, name: "[internal] load build context", inputs: [], stage: nil, startLine: nil, endLine: nil),
        PlannedVertex(digest: metadata, name: "[internal] load metadata for docker.io/library/busybox:latest", inputs: [],
                      stage: nil, startLine: nil, endLine: nil),
        PlannedVertex(digest: base1, name: "[base 1/3] FROM docker.io/library/busybox:latest", inputs: [metadata], stage: "base", startLine: 2, endLine: 2),
        PlannedVertex(digest: base2, name: "[base 2/3] RUN mkdir /app", inputs: [base1], stage: "base", startLine: 3, endLine: 3),
        PlannedVertex(digest: base3, name: "[base 3/3] COPY app.txt /app/", inputs: [base2, context], stage: "base", startLine: 4, endLine: 4),
        PlannedVertex(digest: make, name: "[builder 1/2] RUN make -C /app", inputs: [base3], stage: "builder", startLine: 7, endLine: 7),
        PlannedVertex(digest: makeTest, name: "[builder 2/2] RUN make -C /app test", inputs: [make], stage: "builder", startLine: 8, endLine: 8),
        PlannedVertex(digest: download, name: "[tester 1/2] ADD https://example.com/testdata.tar.gz /data/", inputs: [base3],
                      stage: "tester", startLine: 11, endLine: 11),
        PlannedVertex(digest: runTests, name: "[tester 2/2] RUN ./run-tests.sh", inputs: [download], stage: "tester", startLine: 12, endLine: 12),
        PlannedVertex(digest: copyApp, name: "[stage-3 1/1] COPY --from=builder /app /app", inputs: [base1, makeTest],
                      stage: "stage-3", startLine: 15, endLine: 15),
    ]

    static let failure = "process \"/bin/sh -c make -C /app test\" did not complete successfully: exit code: 2"

    /// The steps' names with how long they took last time (for the ETA and the time saved).
    static let history: [String: Double] = [
        "[base 2/3] RUN mkdir /app": 0.4, "[base 3/3] COPY app.txt /app/": 0.2,
        "[builder 1/2] RUN make -C /app": 5.0, "[builder 2/2] RUN make -C /app test": 2.5,
        "[tester 1/2] ADD https://example.com/testdata.tar.gz /data/": 2.0, "[tester 2/2] RUN ./run-tests.sh": 5.0,
    ]

    static let trend: [(hitRate: Double, duration: Double)] = [
        (0, 31.5), (0.4, 22.0), (0.8, 9.1), (1, 1.2), (0.7, 12.4), (0.9, 6.0), (0.3, 18.2),
    ]

    private(set) var events: [BuildEvent] = []

    private mutating func at(_ s: Double, _ kind: BuildEvent.Kind) {
        events.append(BuildEvent(time: Self.t0.addingTimeInterval(s), kind))
    }

    private mutating func log(_ s: Double, _ d: Digest, _ text: String, stream: Int = 1) {
        at(s, .log(LogChunk(digest: d, stream: stream, data: Data(text.utf8))))
    }

    init(_ outcome: Outcome) {
        let start = BuildStart(buildID: "b1", contextPath: "/src/demo", dockerfilePath: "/src/demo/Dockerfile",
                               dockerfileText: Self.dockerfile, target: nil, buildArgs: [:], tags: ["demo:latest"],
                               platform: "linux/amd64", noCache: false)
        at(0, .buildStarted(start))
        at(0, .plan(Self.plan))
        at(0, .vertexStarted(Self.context))
        at(0, .vertexStarted(Self.metadata))
        at(0.3, .progress(ProgressUpdate(digest: Self.context, id: "transferring context", current: 2143, total: 2143, completed: true)))
        at(0.3, .vertexCompleted(VertexCompletion(digest: Self.context, status: .done, duration: 0.3)))
        at(0.6, .vertexCompleted(VertexCompletion(digest: Self.metadata, status: .done, duration: 0.6)))
        for d in [Self.base1, Self.base2, Self.base3] {
            at(0.6, .vertexStarted(d))
            at(0.6, .vertexCompleted(VertexCompletion(digest: d, status: .cached, duration: 0)))
        }
        at(0.7, .vertexStarted(Self.make))
        at(0.7, .vertexStarted(Self.download))
        for i in 0..<26 {
            let s = 0.7 + Double(i) * 0.2
            log(s, Self.make, "cc -O2 -Wall -c src/module\(String(format: "%02d", i)).c -o build/module\(String(format: "%02d", i)).o\n")
            if i < 11 {
                let mb = Int64(i) * 4_400_000
                at(s, .progress(ProgressUpdate(digest: Self.download, id: "downloading", current: mb, total: 48_400_000, completed: false)))
            }
        }
        log(5.9, Self.make, "\u{1b}[1mcc -o build/app build/*.o\u{1b}[0m\n")
        at(2.9, .progress(ProgressUpdate(digest: Self.download, id: "downloading", current: 48_400_000, total: 48_400_000, completed: true)))
        at(2.9, .vertexCompleted(VertexCompletion(digest: Self.download, status: .done, duration: 2.2,
                                                   missReason: "first build")))
        at(2.9, .vertexStarted(Self.runTests))
        log(3.0, Self.runTests, "running 40 tests\n")
        for i in 1...40 {
            let s = 3.0 + Double(i) * 0.12
            let name = ["parses the manifest", "rejects a bad digest", "reads layers", "checks the config"][i % 4]
            if i % 10 == 0 {
                log(s, Self.runTests, "progress [\(String(repeating: "#", count: i / 4))\(String(repeating: " ", count: 10 - i / 4))] \(i * 100 / 40)%\r")
            }
            log(s, Self.runTests, "\u{1b}[32mok\u{1b}[0m \(i) - \(name)\n")
        }
        log(7.9, Self.runTests, "\u{1b}[2K\r40 passed, 0 failed\n")
        at(8.1, .vertexCompleted(VertexCompletion(digest: Self.runTests, status: .done, duration: 5.2,
                                                   missReason: "input step re-ran: [tester 1/2] ADD https://example.com/testdata.tar.gz /data/")))
        at(6.2, .vertexCompleted(VertexCompletion(digest: Self.make, status: .done, duration: 5.5, missReason: "files changed: app.txt")))
        at(6.2, .vertexStarted(Self.makeTest))
        log(6.4, Self.makeTest, "./build/app --self-test\n")
        log(6.9, Self.makeTest, "self-test: config ok\n")
        log(7.5, Self.makeTest, "self-test: layers ok\n")
        switch outcome {
        case .failed:
            log(8.3, Self.makeTest, "self-test: FAIL: digest mismatch in layer 2\n", stream: 2)
            log(8.4, Self.makeTest, "make: *** [Makefile:12: test] Error 2", stream: 2)
            at(8.4, .vertexCompleted(VertexCompletion(digest: Self.makeTest, status: .failed, duration: 2.2,
                                                       missReason: "input step re-ran: [builder 1/2] RUN make -C /app", error: Self.failure)))
            at(8.5, .buildFinished(BuildFinish(status: .failed, duration: 8.5, steps: 10, cachedSteps: 3, error: Self.failure)))
        case .succeeded:
            log(8.8, Self.makeTest, "self-test: all ok\n")
            at(9.0, .vertexCompleted(VertexCompletion(digest: Self.makeTest, status: .done, duration: 2.8,
                                                       missReason: "input step re-ran: [builder 1/2] RUN make -C /app")))
            at(9.0, .vertexStarted(Self.copyApp))
            at(9.2, .vertexCompleted(VertexCompletion(digest: Self.copyApp, status: .done, duration: 0.2,
                                                       missReason: "input step re-ran: [builder 2/2] RUN make -C /app test")))
            at(9.2, .plan([PlannedVertex(digest: Self.export, name: "exporting to image", inputs: [Self.copyApp], stage: nil,
                                         startLine: nil, endLine: nil)]))
            at(9.2, .vertexStarted(Self.export))
            at(9.7, .progress(ProgressUpdate(digest: Self.export, id: "exporting layers", current: 3, total: 3, completed: true)))
            at(9.8, .vertexCompleted(VertexCompletion(digest: Self.export, status: .done, duration: 0.6)))
            at(9.8, .buildFinished(BuildFinish(status: .succeeded, duration: 9.8, steps: 11, cachedSteps: 3,
                                               imageDigest: "sha256:" + String(repeating: "ab", count: 32),
                                               outputs: ["image demo:latest"])))
        }
        // The script is written by step; the engine sends events in time order.
        events = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// A dashboard fed the events up to `seconds` (all of them when nil) and ticked then.
    func state(until seconds: Double? = nil, ascii: Bool = false, width: Int = 80, height: Int = 24) -> DashboardState {
        var state = DashboardState(ascii: ascii, colorEnabled: true, stepHistory: Self.history, trend: Self.trend)
        _ = state.apply(.resize(width: width, height: height))
        let end = seconds.map { Self.t0.addingTimeInterval($0) }
        for event in events where end.map({ event.time <= $0 }) ?? true {
            _ = state.apply(.event(event))
        }
        _ = state.apply(.tick(end ?? events.last?.time ?? Self.t0))
        return state
    }
}
