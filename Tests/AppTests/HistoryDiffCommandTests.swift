import Foundation
import Testing

/// `history diff` on real builds: a changed build arg and a changed context file, read back from
/// the records the builds wrote.
@Suite(.serialized) struct HistoryDiffCommandTests {
    static let dockerfile = """
        FROM busybox:test
        ARG VERSION=1
        COPY a.txt /a.txt
        RUN echo "v$VERSION" > /v && sleep 0.3
        """

    @Test func comparesTwoBuildsByIDPrefixAsATableAndAsJSON() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": Self.dockerfile, "a.txt": "one\n"])
        defer { try? FileManager.default.removeItem(at: ctx) }
        #expect(try env.build([], context: ctx).status == 0)
        // Everything from the cache: the baseline.
        #expect(try env.build([], context: ctx).status == 0)
        let cached = try #require(try BuildCommandTests.latestBuildID(root: env.root))
        try Data("two\n".utf8).write(to: ctx.appendingPathComponent("a.txt"))
        #expect(try env.build(["--build-arg", "VERSION=2"], context: ctx).status == 0)
        let changed = try #require(try BuildCommandTests.latestBuildID(root: env.root))

        let table = try BinaryRunner.run(["history", "diff", "--root", env.root, String(cached.prefix(8)), String(changed.prefix(8))])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.components(separatedBy: "\n")
        #expect(lines.first?.hasPrefix("A  \(cached)  succeeded") == true, "\(table.stdout)")
        let headline = try #require(lines.first { $0.hasPrefix("B took ") })
        #expect(headline.contains("2 steps missed the cache (build arg VERSION changed, a.txt modified)"), "\(headline)")
        #expect(table.stdout.contains("build arg   VERSION: unset → \"2\""))
        #expect(table.stdout.contains("file        a.txt (modified)"))
        #expect(table.stdout.contains("[stage-0] COPY a.txt /a.txt"), "\(table.stdout)")
        #expect(table.stdout.contains("hit → miss: files changed: a.txt"), "\(table.stdout)")

        let json = try BinaryRunner.run(["history", "diff", "--root", env.root, "--format", "json", cached, changed])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let args = object["buildArgs"] as? [[String: Any]]
        #expect(args?.first?["name"] as? String == "VERSION" && args?.first?["new"] as? String == "2")
        let files = object["contextFiles"] as? [[String: Any]]
        #expect(files?.first?["path"] as? String == "a.txt" && files?.first?["kind"] as? String == "modified")
        let steps = object["steps"] as? [[String: Any]] ?? []
        #expect(steps.filter { $0["flip"] as? String == "hitToMiss" }.count == 2, "\(json.stdout)")
        #expect((object["summary"] as? String)?.hasPrefix("B took ") == true)
    }

    @Test func anUnknownIDIsOneLineAndAFailure() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-diff-\(UUID().uuidString)").path
        let r = try BinaryRunner.run(["history", "diff", "--root", root, "nope", "neither"])
        #expect(r.status != 0)
        #expect(r.stderr == "error: no build record matches \"nope\"\n")
        #expect(r.stdout.isEmpty)
    }
}
