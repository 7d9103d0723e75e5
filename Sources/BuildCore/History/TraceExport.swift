import Foundation

/// A recorded build as a trace: one span for the whole build and one per run interval of each
/// vertex, for `history export` to write as Chrome trace JSON (Perfetto) or OTLP/JSON (Jaeger).
///
/// It is a pure function of the record's events, so an export is reproducible byte for byte:
/// - A vertex runs once per `vertexStarted`; the interval ends at its `vertexCompleted`, or at a
///   new start of the same vertex (`restarted`), or, when the record has neither, at the build's
///   end (`interrupted`: the build was killed or is still running). A completion with no open
///   interval (a cache hit is usually never started) is its own interval, `duration` long.
/// - The build runs from its `buildStarted` (else its first event) to its `buildFinished` (else its
///   last event), stretched to cover every interval, and intervals never start before it.
/// - Times are whole microseconds, as records store them, so every child nests in its parent.
/// - Spans are ordered by start, then digest and run; lanes (one per stage, split only where its
///   intervals overlap) by the order the plan introduced their stages.
/// - Log output is never included (it can be large and may hold secrets), only its line and byte
///   counts; neither are build-argument values nor the Dockerfile's text.
public struct TraceExport: Sendable, Equatable {
    /// The formats `history export --format` writes.
    public enum Format: String, Sendable, CaseIterable {
        /// Chrome's trace event JSON (object form), as Perfetto and `chrome://tracing` load it.
        case chromeTrace = "chrome-trace"
        /// OTLP/JSON: an `ExportTraceServiceRequest` in protobuf's JSON mapping, as Jaeger loads it.
        case otlpJSON = "otlp-json"
    }

    /// An attribute value: the scalar kinds both formats share.
    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
        case bool(Bool)
    }

    public struct Attribute: Sendable, Equatable {
        public var key: String
        public var value: Value

        public init(_ key: String, _ value: Value) {
            self.key = key
            self.value = value
        }
    }

    /// One span: the build, or one run interval of a vertex.
    public struct Span: Sendable, Equatable {
        public var name: String
        /// The vertex, nil for the build span.
        public var digest: Digest?
        /// Which run of its vertex this is (0 for the first start); 0 for the build span.
        public var run: Int
        /// The lane (Chrome's `tid`): 1 for the build, then the stage lanes.
        public var lane: Int
        /// Microseconds since 1970.
        public var start: Int64
        public var end: Int64
        /// Set for failures (a failed vertex or build): the message of an error status.
        public var failure: String?
        /// In a fixed order: the same for every export of a record.
        public var attributes: [Attribute]
    }

    /// The record's id: it names the trace and seeds its ids.
    public var id: String
    public var build: Span
    public var vertices: [Span]
    /// Lane names by lane number - 1 (`lanes[0]` is the build's); stages that never ran have none.
    public var lanes: [String]

    /// The lane of the build span.
    public static let buildLaneName = "(build)"
    /// The lane of vertices without a stage (shared internal ones); parentheses cannot occur in a
    /// stage name, so it never collides with one.
    public static let sharedLaneName = "(shared)"

    /// `events` as `format`, ending in a newline.
    public static func render(_ events: [BuildEvent], id: String, format: Format) -> String {
        let trace = TraceExport(id: id, events: events)
        switch format {
        case .chromeTrace: return trace.chromeTraceJSON()
        case .otlpJSON: return trace.otlpJSON()
        }
    }

    /// A run interval while the events are read.
    private struct Run {
        var digest: Digest
        var index: Int
        var start: Int64
        var end: Int64?
        var completion: VertexCompletion?
        var restarted = false
        var logLines = 0
        var logBytes = 0
        /// Streams whose last chunk did not end a line (each counts as one more line).
        var openLines: Set<Int> = []
    }

    public init(id: String, events: [BuildEvent]) {
        var planned: [Digest: PlannedVertex] = [:]
        var stageOrder: [String?] = []
        var runs: [Run] = []
        var open: [Digest: Int] = [:]
        var last: [Digest: Int] = [:]
        var runCount: [Digest: Int] = [:]
        var startTime: Int64?
        var finishTime: Int64?
        var firstTime: Int64?
        var lastTime: Int64?
        var warnings = 0

        func newRun(_ digest: Digest, start: Int64) -> Int {
            let index = runCount[digest, default: 0]
            runCount[digest] = index + 1
            runs.append(Run(digest: digest, index: index, start: start))
            last[digest] = runs.count - 1
            return runs.count - 1
        }

        for event in events {
            let time = Self.micros(event.time)
            firstTime = firstTime ?? time
            lastTime = max(lastTime ?? time, time)
            switch event.kind {
            case .buildStarted:
                startTime = startTime ?? time
            case .plan(let vertices):
                for p in vertices {
                    var merged = p
                    if let old = planned[p.digest] {
                        merged.stage = p.stage ?? old.stage
                        merged.startLine = p.startLine ?? old.startLine
                        merged.endLine = p.endLine ?? old.endLine
                    }
                    planned[p.digest] = merged
                    if !stageOrder.contains(merged.stage) { stageOrder.append(merged.stage) }
                }
            case .vertexStarted(let digest):
                if let i = open[digest] {
                    runs[i].end = time
                    runs[i].restarted = true
                }
                open[digest] = newRun(digest, start: time)
            case .vertexCompleted(let c):
                let i = open.removeValue(forKey: c.digest)
                    ?? newRun(c.digest, start: time - Int64((max(0, c.duration) * 1_000_000).rounded()))
                runs[i].end = time
                runs[i].completion = c
            case .log(let chunk):
                guard let i = open[chunk.digest] ?? last[chunk.digest], !chunk.data.isEmpty else { break }
                let newlines = chunk.data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                runs[i].logLines += newlines
                runs[i].logBytes += chunk.data.count
                if chunk.data.last == UInt8(ascii: "\n") {
                    runs[i].openLines.remove(chunk.stream)
                } else {
                    runs[i].openLines.insert(chunk.stream)
                }
            case .warning:
                warnings += 1
            case .buildFinished:
                finishTime = time
            case .progress, .cacheMiss:
                break
            }
        }

        let buildStart = startTime ?? firstTime ?? 0
        for i in runs.indices {
            runs[i].start = max(runs[i].start, buildStart)
            if let end = runs[i].end { runs[i].end = max(end, runs[i].start) }
        }
        let buildEnd = max(runs.compactMap(\.end).max() ?? buildStart, finishTime ?? lastTime ?? buildStart, buildStart)
        for i in runs.indices where runs[i].end == nil {
            runs[i].end = max(buildEnd, runs[i].start)
        }

        runs.sort { a, b in
            if a.start != b.start { return a.start < b.start }
            if a.digest != b.digest { return a.digest < b.digest }
            return a.index < b.index
        }
        for run in runs where !stageOrder.contains(planned[run.digest]?.stage) {
            stageOrder.append(planned[run.digest]?.stage)
        }

        // Lanes: per stage, the first sub-lane free at an interval's start (Chrome's complete
        // events on one thread must nest, and parallel runs of one stage would not).
        var subLaneEnds: [String?: [Int64]] = [:]
        var placement: [(stage: String?, subLane: Int)] = []
        for run in runs {
            let stage = planned[run.digest]?.stage
            var ends = subLaneEnds[stage, default: []]
            let free = ends.firstIndex { $0 <= run.start } ?? ends.count
            if free == ends.count { ends.append(0) }
            ends[free] = run.end ?? run.start
            subLaneEnds[stage] = ends
            placement.append((stage, free))
        }
        var lanes = [Self.buildLaneName]
        var laneNumber: [String?: Int] = [:]
        for stage in stageOrder {
            guard let subLanes = subLaneEnds[stage]?.count else { continue }
            laneNumber[stage] = lanes.count + 1
            let name = stage ?? Self.sharedLaneName
            for sub in 0..<subLanes {
                lanes.append(sub == 0 ? name : "\(name) #\(sub + 1)")
            }
        }

        self.id = id
        self.lanes = lanes
        self.vertices = zip(runs, placement).map { run, place in
            Self.span(run, vertex: planned[run.digest], lane: (laneNumber[place.stage] ?? 2) + place.subLane)
        }
        self.build = Self.buildSpan(id: id, events: events, start: buildStart, end: buildEnd, warnings: warnings)
    }

    private static func span(_ run: Run, vertex: PlannedVertex?, lane: Int) -> Span {
        let status: String
        switch (run.completion?.status, run.restarted) {
        case (let s?, _): status = s.rawValue
        case (nil, true): status = "restarted"
        case (nil, false): status = "interrupted"
        }
        var attributes = [Attribute("vertex.digest", .string(run.digest.value)),
                          Attribute("vertex.name", .string(vertex?.name ?? run.digest.value))]
        if let stage = vertex?.stage { attributes.append(Attribute("vertex.stage", .string(stage))) }
        attributes += [Attribute("vertex.run", .int(run.index)),
                       Attribute("vertex.status", .string(status)),
                       Attribute("vertex.cached", .bool(run.completion?.status == .cached)),
                       Attribute("vertex.interrupted", .bool(run.completion == nil && !run.restarted)),
                       Attribute("vertex.restarted", .bool(run.restarted))]
        if let reason = run.completion?.missReason { attributes.append(Attribute("vertex.miss_reason", .string(reason))) }
        if let error = run.completion?.error { attributes.append(Attribute("vertex.error", .string(error))) }
        if let line = vertex?.startLine { attributes.append(Attribute("dockerfile.start_line", .int(line))) }
        if let line = vertex?.endLine ?? vertex?.startLine {
            attributes.append(Attribute("dockerfile.end_line", .int(line)))
        }
        attributes += [Attribute("log.lines", .int(run.logLines + run.openLines.count)),
                       Attribute("log.bytes", .int(run.logBytes))]
        let failure = run.completion?.status == .failed ? (run.completion?.error ?? "failed") : nil
        return Span(name: vertex?.name ?? run.digest.value, digest: run.digest, run: run.index, lane: lane,
                    start: run.start, end: run.end ?? run.start, failure: failure, attributes: attributes)
    }

    private static func buildSpan(id: String, events: [BuildEvent], start: Int64, end: Int64, warnings: Int) -> Span {
        let summary = BuildSummary(id: id, events: events)
        var name = "build \(id)"
        if let target = summary.target { name += " --target \(target)" }
        if let context = summary.contextPath { name += " \(context)" }
        var attributes = [Attribute("build.id", .string(id)),
                          Attribute("build.status", .string(summary.status.rawValue)),
                          Attribute("build.started", .string(RFC3339Time(seconds: start / 1_000_000,
                                                                         nanoseconds: Int32(start % 1_000_000 * 1000)).description))]
        if let context = summary.contextPath { attributes.append(Attribute("build.context", .string(context))) }
        if let dockerfile = summary.dockerfile { attributes.append(Attribute("build.dockerfile", .string(dockerfile))) }
        if let target = summary.target { attributes.append(Attribute("build.target", .string(target))) }
        if let platform = summary.platform { attributes.append(Attribute("build.platform", .string(platform))) }
        if !summary.tags.isEmpty { attributes.append(Attribute("build.tags", .string(summary.tags.joined(separator: ",")))) }
        attributes += [Attribute("build.steps", .int(summary.steps)),
                       Attribute("build.cached_steps", .int(summary.cachedSteps)),
                       Attribute("build.warnings", .int(warnings))]
        if let image = summary.imageDigest { attributes.append(Attribute("build.image_digest", .string(image))) }
        if let error = summary.error { attributes.append(Attribute("build.error", .string(error))) }
        let failure = summary.status == .failed ? (summary.error ?? "build failed") : nil
        return Span(name: name, digest: nil, run: 0, lane: 1, start: start, end: end, failure: failure,
                    attributes: attributes)
    }

    /// `date` in whole microseconds since 1970, rounded as records round it.
    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }
}
