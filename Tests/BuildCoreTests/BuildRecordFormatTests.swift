import Foundation
import Testing
@testable import BuildCore

@Suite struct BuildRecordFormatTests {
    static let a = Digest.sha256("a")
    static let b = Digest.sha256("b")
    /// Quotes, backslashes, every control character, DEL, non-ASCII, emoji, U+2028, a lone `\u`.
    static let awkward = "q\"uote\\back/slash\n\r\t\u{08}\u{0C}" + String((UInt8(0)..<32).map { Character(Unicode.Scalar($0)) })
        + "\u{7F} ümlaut 日本語 🚀👩‍👩‍👧 \u{2028}\u{2029} \\u0041 </script>"
    /// 2024-05-01T12:00:00.123456Z: exact to the microsecond.
    static let t = Date(timeIntervalSince1970: 1_714_564_800.123456)

    static func at(_ offset: Double, _ kind: BuildEvent.Kind) -> BuildEvent {
        BuildEvent(time: RFC3339Time(t.addingTimeInterval(offset)).date, kind)
    }

    /// Every kind, with optionals both set (to awkward text) and nil.
    static let events: [BuildEvent] = [
        at(0, .buildStarted(BuildStart(buildID: "b1", contextPath: "/src/" + awkward, dockerfilePath: "/src/Dockerfile",
                                       dockerfileText: "FROM busybox\nRUN echo \"" + awkward + "\"\n", target: awkward,
                                       buildArgs: ["Z": awkward, "A": "1", "": ""], tags: ["x:1", awkward],
                                       platform: "linux/amd64", noCache: true))),
        at(0, .buildStarted(BuildStart(buildID: "b2", contextPath: ".", dockerfilePath: "Dockerfile", dockerfileText: "",
                                       target: nil, buildArgs: [:], tags: [], platform: "", noCache: false))),
        at(0.000001, .plan([
            PlannedVertex(digest: a, name: awkward, inputs: [], stage: awkward, startLine: 1, endLine: 3),
            PlannedVertex(digest: b, name: "[2/2] RUN make", inputs: [a, a], stage: nil, startLine: nil, endLine: nil),
        ])),
        at(0.000002, .plan([])),
        at(1, .vertexStarted(a)),
        at(1.5, .vertexCompleted(VertexCompletion(digest: a, status: .failed, duration: 0.287464159,
                                                  missReason: awkward, error: awkward))),
        at(1.5, .vertexCompleted(VertexCompletion(digest: b, status: .cached, duration: 0))),
        at(1.5, .vertexCompleted(VertexCompletion(digest: b, status: .canceled, duration: 1e-7))),
        at(2, .log(LogChunk(digest: a, stream: 1, data: Data(awkward.utf8)))),
        at(2, .log(LogChunk(digest: a, stream: 2, data: Data([0xFF, 0x00, 0xC3, 0x28, 0x0A])))),
        at(2, .log(LogChunk(digest: a, stream: 0, data: Data()))),
        at(2, .log(LogChunk(digest: b, stream: 1, data: Data("hello\n".utf8)))),
        at(3, .progress(ProgressUpdate(digest: a, id: awkward, current: 9_000_000_000_000, total: Int64.max, completed: false,
                                       name: awkward, started: t))),
        at(3, .progress(ProgressUpdate(digest: a, id: "x", current: -1, total: nil, completed: true))),
        at(4, .warning(BuildWarning(message: awkward, file: awkward, line: 12, digest: b))),
        at(4, .warning(BuildWarning(message: "plain"))),
        at(5, .buildFinished(BuildFinish(status: .failed, duration: 5.000001, steps: 2, cachedSteps: 1,
                                         imageDigest: "sha256:" + String(repeating: "ab", count: 32),
                                         outputs: [awkward, "image x:1"], error: awkward))),
        at(5, .buildFinished(BuildFinish(status: .succeeded, duration: 0, steps: 0, cachedSteps: 0))),
    ]

    static func line(_ event: BuildEvent) -> String {
        var bytes: [UInt8] = []
        BuildRecord.encodeLine(event, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func everyKindRoundTrips() throws {
        for event in Self.events {
            let text = Self.line(event)
            #expect(text.hasSuffix("}\n"))
            #expect(text.dropLast().contains("\n") == false, "one line per event")
            #expect(BuildRecord.decodeLine(Array(text.utf8)) == event, "\(text)")
            #expect(BuildRecord.decodeLine(Array(text.utf8.dropLast())) == event, "without its newline")
            // Independent check: it is JSON, and flat.
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(object["type"] as? String == "\(event.kind)".prefix { $0 != "(" }.description)
        }
        let whole = Self.events.map(Self.line).joined()
        let (decoded, skipped) = BuildRecord.decode(Data(whole.utf8))
        #expect(decoded == Self.events)
        #expect(skipped == 0)
        #expect(BuildRecord.line(for: Self.events[4]) == Data(Self.line(Self.events[4]).utf8))
    }

    @Test func linesAreFlatAndByteStable() {
        let log = Self.line(Self.at(0, .log(LogChunk(digest: Self.a, stream: 1, data: Data("hi\n".utf8)))))
        #expect(log == #"{"time":"2024-05-01T12:00:00.123456Z","type":"log","digest":"\#(Self.a.value)","stream":1,"data":"aGkK"}"# + "\n")
        #expect(Self.line(Self.at(0, .vertexStarted(Self.b)))
            == #"{"time":"2024-05-01T12:00:00.123456Z","type":"vertexStarted","digest":"\#(Self.b.value)"}"# + "\n")
        let finished = Self.line(Self.events[17])
        #expect(finished == #"{"time":"2024-05-01T12:00:05.123456Z","type":"buildFinished","status":"succeeded","duration":0.0,"steps":0,"cachedSteps":0,"outputs":[]}"# + "\n")
        let started = Self.line(Self.events[0])
        #expect(started.contains(#""buildArgs":{"":"","A":"1","Z":"#), "keys sorted")
        #expect(Self.line(Self.events[0]) == Self.line(Self.events[0]))
        // Control characters escaped, the rest verbatim UTF-8.
        let warning = Self.line(Self.events[14])
        #expect(warning.contains(#"q\"uote\\back/slash\n\r\t\b\f\u0000\u0001"#))
        #expect(warning.contains(#"\u001f"#))
        #expect(warning.contains("\u{7F} ümlaut 日本語 🚀👩‍👩‍👧 \u{2028}\u{2029} \\\\u0041 </script>"))
        // Every line starts with the fixed prefix, and the header reads it without decoding.
        for event in Self.events {
            let bytes = Array(Self.line(event).utf8)
            let header = BuildRecord.lineHeader(bytes)
            #expect(header?.time == event.time)
            #expect(bytes.starts(with: Array(#"{"time":""#.utf8)))
            #expect(bytes[9 + 27..<9 + 27 + 10].elementsEqual(#"","type":""#.utf8))
            #expect(header.map { bytes.starts(with: Array("{\"time\":\"\(RFC3339Time(event.time).formatted(fractionDigits: 6))\",\"type\":\"\($0.type)\"".utf8)) } == true)
        }
    }

    @Test func datesKeepMicroseconds() {
        for seconds in [0.0, 1e-6, 1_714_564_800.999999, -1.5, 253_402_300_799.000001, 1_700_000_000.1234565] {
            let event = BuildEvent(time: RFC3339Time(Date(timeIntervalSince1970: seconds)).date, .vertexStarted(Self.a))
            #expect(BuildRecord.decodeLine(Array(Self.line(event).utf8)) == event, "\(seconds)")
        }
        #expect(Self.line(BuildEvent(time: Date(timeIntervalSince1970: 0), .vertexStarted(Self.a)))
            .hasPrefix(#"{"time":"1970-01-01T00:00:00.000000Z","type":"vertexStarted""#))
    }

    @Test func oldSynthesizedLinesStillDecode() throws {
        let encoder = BuildRecord.makeEncoder()
        var old = Data()
        for event in Self.events {
            old += try encoder.encode(event)
            old.append(0x0A)
        }
        #expect(String(decoding: old, as: UTF8.self).hasPrefix(#"{"kind":{"buildStarted":{"_0":"#))
        let (decoded, skipped) = BuildRecord.decode(old)
        #expect(decoded == Self.events)
        #expect(skipped == 0)
        // A record written across the change: old lines, then new ones.
        let mixed = old + Data(Self.events.map(Self.line).joined().utf8)
        #expect(BuildRecord.decode(mixed).events == Self.events + Self.events)
        // Skipping by kind works on both formats, without counting.
        let quiet = BuildRecord.decode(mixed, skipping: ["log", "progress"])
        #expect(quiet.skippedLines == 0)
        #expect(quiet.events.count == 2 * (Self.events.count - 6))
        #expect(!quiet.events.contains { if case .log = $0.kind { return true }; return false })
    }

    @Test func damagedLinesAreSkippedAndCounted() {
        let good = Self.line(Self.events[4])
        let lines = [
            good,
            "\n",
            "   \r\n",
            #"{"time":"2024-05-01T12:00:00.123456Z","type":"log","digest":"sha256:00","stream":1,"data":"aGkK"}"# + "\n",
            #"{"time":"2024-05-01T12:00:00.123456Z","type":"teleport","digest":"\#(Self.a.value)"}"# + "\n",
            #"{"time":"not a time","type":"vertexStarted","digest":"\#(Self.a.value)"}"# + "\n",
            #"{"time":"2024-05-01T12:00:00.123456Z","type":"vertexStarted"}"# + "\n",
            #"{"time":"2024-05-01T12:00:00.123456Z","type":"log","digest":"\#(Self.a.value)","stream":1,"data":"a!!K"}"# + "\n",
            #"{"time":"2024-05-01T12:00:00.123456Z","type":"vertexStarted","digest":"\#(Self.a.value)",}"# + "\n",
            "garbage\n",
            good.replacingOccurrences(of: "\n", with: "\r\n"),
            #"{"type":"vertexStarted","extra":[1,{"x":null}],"digest":"\#(Self.a.value)","time":"2024-05-01T12:00:00.123456Z"}"# + "\n",
            String(good.prefix(40)),
        ]
        let data = Data(lines.joined().utf8)
        let (events, skipped) = BuildRecord.decode(data)
        #expect(events == [Self.events[4], Self.events[4], Self.at(0, .vertexStarted(Self.a))])
        #expect(skipped == 8)
        var batch = RecordBatchDecoder()
        data.withUnsafeBytes { batch.read($0.bindMemory(to: UInt8.self)) { _ in } }
        #expect(batch.cutLine == lines.count)
    }

    @Test func largeRecordsDecodeTheSameInPieces() {
        var text = ""
        var expected: [BuildEvent] = []
        for i in 0..<60_000 {
            let event = Self.at(Double(i) / 1000, .log(LogChunk(digest: i % 3 == 0 ? Self.a : Self.b, stream: 1 + i % 2,
                                                                 data: Data("line \(i) \(Self.awkward)\n".utf8))))
            expected.append(event)
            text += Self.line(event)
            if i % 1000 == 0 { text += "damaged\n" }
        }
        text += String(Self.line(expected[0]).prefix(30))
        let data = Data(text.utf8)
        #expect(data.count > RecordBatchDecoder.parallelThreshold)
        let batch = data.withUnsafeBytes { RecordBatchDecoder.decode($0.bindMemory(to: UInt8.self)) }
        #expect(batch.events == expected)
        #expect(batch.skippedLines == 61)
        #expect(batch.lineCount == 60_061)
        #expect(batch.cutLine == 60_061)
    }
}
