import Foundation
import Testing
@testable import BuildCore

@Suite struct EventFileTests {
    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: Fixtures.url("conformance/rawjson/" + name))
    }

    static func write(_ data: Data, _ name: String) throws -> (url: URL, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-eventfile-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return (url, directory)
    }

    static func load(_ data: Data) throws -> EventFile.Loaded {
        try EventFile.load(data: data, name: "x.jsonl")
    }

    static func record(_ events: [BuildEvent]) -> Data {
        var bytes: [UInt8] = []
        for event in events { BuildRecord.encodeLine(event, into: &bytes) }
        return Data(bytes)
    }

    @Test func buildKitFixturesLoadAsRawJSON() throws {
        for name in ["example.synthetic.jsonl", "buildkit-ci-build.jsonl"] {
            let data = try Self.fixture(name)
            let (file, directory) = try Self.write(data, name)
            defer { try? FileManager.default.removeItem(at: directory) }
            let loaded = try EventFile.load(contentsOf: file)
            #expect(loaded.format == .rawJSON)
            #expect(loaded.skippedLines == 0)
            #expect(loaded.warnings.isEmpty)
            #expect(loaded.events == RawJSONDecoder.decodeAll(data).events)
        }
    }

    @Test func aTruncatedRawJSONFileReplaysUpToTheCut() throws {
        let data = try Self.fixture("buildkit-ci-build.jsonl")
        let firstNewline = try #require(data.firstIndex(of: 0x0A))
        let cut = data.prefix(firstNewline + 1 + 70_000)
        #expect(cut.count > EventFile.headBytes, "the first line alone is longer than the head")
        let (file, directory) = try Self.write(Data(cut), "cut.jsonl")
        defer { try? FileManager.default.removeItem(at: directory) }
        let loaded = try EventFile.load(contentsOf: file)
        #expect(loaded.format == .rawJSON)
        #expect(loaded.warnings == ["truncated last line at line 2: replaying up to the cut"])
        #expect(loaded.skippedLines == 1)
        #expect(loaded.events == RawJSONDecoder.decodeAll(data.prefix(firstNewline + 1)).events)
    }

    @Test func recordsLoadInEitherFormat() throws {
        let events = BuildHistoryTests.build("r1", start: 1_714_564_800.25)
        let new = Self.record(events)
        let loaded = try Self.load(new)
        #expect(loaded.format == .record)
        #expect(loaded.events == events)
        #expect(loaded.warnings.isEmpty)

        let encoder = BuildRecord.makeEncoder()
        let old = try events.reduce(into: Data()) { data, event in
            data += try encoder.encode(event)
            data.append(0x0A)
        }
        #expect(try Self.load(old).format == .record)
        #expect(try Self.load(old).events == events)

        // A killed build, and a damaged line in the middle.
        let killed = Data("noise from a terminal\n".utf8) + new + Data(#"{"time":"2024-05-01T12:00:09.000000Z","type":"lo"#.utf8)
        let partial = try Self.load(killed)
        #expect(partial.events == events)
        #expect(partial.skippedLines == 2)
        #expect(partial.warnings == ["truncated last line at line \(events.count + 2): replaying up to the cut",
                                     "skipped 1 unreadable line"])
    }

    @Test func wrongFilesFailWithWhatIsWrong() throws {
        #expect(throws: EventFileError.empty(path: "x.jsonl")) { try Self.load(Data()) }
        #expect(throws: EventFileError.empty(path: "x.jsonl")) { try Self.load(Data("\n  \n\r\n".utf8)) }
        #expect(throws: EventFileError.notJSON(path: "x.jsonl", line: 1)) { try Self.load(Data("FROM busybox\nRUN make\n".utf8)) }
        #expect(throws: EventFileError.notJSON(path: "x.jsonl", line: 2)) { try Self.load(Data("\n#0 building\n{\"a\":1}\n".utf8)) }
        #expect(throws: EventFileError.unrecognizedJSON(path: "x.jsonl", line: 1)) {
            try Self.load(Data("{\"name\":\"package\",\"version\":\"1.0\"}\n[1,2]\n".utf8))
        }
        #expect(throws: EventFileError.unrecognizedJSON(path: "x.jsonl", line: 1)) { try Self.load(Data("{}\n".utf8)) }
        // Starts like a record, but nothing in it reads.
        let cutOnly = Data(#"{"time":"2024-05-01T12:00:09.000000Z","type":"log","digest":"sha256:"#.utf8)
            + Data(repeating: UInt8(ascii: "a"), count: 70_000)
        #expect(throws: EventFileError.nothingReadable(path: "x.jsonl", format: .record, lines: 1)) { try Self.load(cutOnly) }

        #expect(EventFileError.empty(path: "b.jsonl").description == "b.jsonl is empty")
        #expect(EventFileError.notJSON(path: "b.jsonl", line: 1).description
            == "b.jsonl is neither a swbuild build record nor BuildKit rawjson progress: line 1 is not JSON")
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-missing-\(UUID().uuidString).jsonl")
        #expect(throws: EventFileError.self) { try EventFile.load(contentsOf: missing) }
    }

    @Test func aLargeRandomFileFailsFast() throws {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 50 << 20)
        bytes.withUnsafeMutableBytes { raw in
            for i in stride(from: 0, to: raw.count, by: 8) {
                raw.storeBytes(of: generator.next(), toByteOffset: i, as: UInt64.self)
            }
        }
        bytes[0] = UInt8(ascii: "x")
        let (file, directory) = try Self.write(Data(bytes), "random.bin")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: EventFileError.notJSON(path: file.path, line: 1)) { try EventFile.load(contentsOf: file) }
        #expect(clock.now - start < .milliseconds(500))
    }
}
