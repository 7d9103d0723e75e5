import Foundation
import Testing

/// `replay FILE|ID`: BuildKit rawjson and swbuild records, the bad-input rules, and output modes.
@Suite struct ReplayCommandTests {
    static let fixtures = BinaryRunner.repositoryRoot.appendingPathComponent("Tests/Fixtures/conformance/rawjson")

    @Test func buildKitRawJSONReplaysInPlainAndRawJSON() throws {
        for name in ["buildkit-ci-build.jsonl", "example.synthetic.jsonl"] {
            let file = Self.fixtures.appendingPathComponent(name).path
            let plain = try BinaryRunner.run(["replay", "--speed", "max", "--progress", "plain", file])
            #expect(plain.status == 0, "\(name): \(plain.stderr.suffix(500))")
            #expect(plain.stderr.contains("#1 ") && plain.stderr.contains("DONE"), "\(name)")
            #expect(!plain.stderr.contains("warning:"), "\(name): \(plain.stderr.prefix(500))")
            let raw = try BinaryRunner.run(["replay", "--speed", "max", "--progress", "rawjson", file])
            #expect(raw.status == 0)
            let lines = raw.stderr.split(separator: "\n")
            #expect(!lines.isEmpty && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        }
        // BuildKit's quirks: a canceled vertex shows as canceled, not as an error.
        let synthetic = try BinaryRunner.run(["replay", "--speed", "max", "--progress", "plain",
                                              Self.fixtures.appendingPathComponent("example.synthetic.jsonl").path])
        #expect(synthetic.status == 0)
    }

    @Test func badInputFailsFastWithAReason() throws {
        let dir = try BinaryRunner.directory(["empty.jsonl": "", "other.json": "{\"foo\": 1}\n", "cut.json": "{\"vertexes\": [\n"])
        var random = Data(count: 4 << 20)
        random.withUnsafeMutableBytes { raw in
            for i in 0..<raw.count { raw[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        }
        try random.write(to: dir.appendingPathComponent("random.bin"))
        let cases = [("empty.jsonl", "is empty"), ("random.bin", "line 1 is not JSON"),
                     ("other.json", "neither a build event nor a BuildKit SolveStatus"), ("cut.json", "not JSON")]
        for (name, message) in cases {
            let started = Date()
            let result = try BinaryRunner.run(["replay", "--speed", "max", "--progress", "plain", dir.appendingPathComponent(name).path])
            #expect(result.status == 1, "\(name)")
            #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
            #expect(Date().timeIntervalSince(started) < 5, "\(name) took too long to be refused")
        }
        let missing = try BinaryRunner.run(["replay", "--root", dir.path, "no-such-build"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no build record matches"))
        let badSpeed = try BinaryRunner.run(["replay", "--speed", "fast", dir.appendingPathComponent("other.json").path])
        #expect(badSpeed.status == 1)
        #expect(badSpeed.stderr.contains("--speed fast"))
    }

    @Test func aTruncatedFileReplaysUpToTheCutWithAWarning() throws {
        let whole = try Data(contentsOf: Self.fixtures.appendingPathComponent("buildkit-ci-build.jsonl"))
        let dir = try BinaryRunner.directory([:])
        let cut = dir.appendingPathComponent("cut.jsonl")
        try whole.prefix(whole.count / 2).write(to: cut)
        let result = try BinaryRunner.run(["replay", "--speed", "max", "--progress", "plain", cut.path])
        #expect(result.status == 0, "\(result.stderr.suffix(500))")
        #expect(result.stderr.contains("warning: truncated last line"))
        #expect(result.stderr.contains("#1 "))
    }

    @Test func aRecordReplaysAtItsPaceScaled() throws {
        // A record written by hand: two steps 2 s apart, replayed at 4x, then at max.
        func line(_ seconds: Double, _ body: String) -> String {
            let date = Date(timeIntervalSince1970: 1_800_000_000 + seconds)
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let stamp = f.string(from: date).replacingOccurrences(of: ".000Z", with: ".000000Z")
            return "{\"time\":\"\(stamp)\",\(body)}\n"
        }
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let record = line(0, "\"type\":\"plan\",\"vertices\":[{\"digest\":\"\(digest)\",\"inputs\":[],\"name\":\"[1/1] RUN x\"}]")
            + line(0, "\"type\":\"vertexStarted\",\"digest\":\"\(digest)\"")
            + line(2, "\"type\":\"vertexCompleted\",\"digest\":\"\(digest)\",\"status\":\"done\",\"duration\":2")
        let dir = try BinaryRunner.directory(["r.jsonl": record])
        let started = Date()
        let paced = try BinaryRunner.run(["replay", "--speed", "4", "--progress", "plain", dir.appendingPathComponent("r.jsonl").path])
        let elapsed = Date().timeIntervalSince(started)
        #expect(paced.status == 0, "\(paced.stderr)")
        #expect(paced.stderr.contains("#1 [1/1] RUN x") && paced.stderr.contains("#1 DONE 2.0s"), "\(paced.stderr)")
        #expect(elapsed >= 0.45, "a 2 s build at 4x took \(elapsed) s")
    }
}
