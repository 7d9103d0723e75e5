import Foundation
import Testing
@testable import BuildCore

/// The failure summary's last lines: the same whatever the output's chunking.
@Suite struct LogTailTests {
    /// The naive tail: every line split, the last `keep` kept.
    static func expected(_ text: String) -> [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let partial = parts.removeLast()
        var lines = Array(parts.suffix(LogTail.keep))
        if !partial.isEmpty { lines.append(partial) }
        return lines
    }

    static func tail(_ text: String, chunk: Int) -> [String] {
        var tail = LogTail()
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            tail.append(Data(bytes[i..<min(bytes.count, i + chunk)]))
            i += chunk
        }
        var lines = tail.lines
        if !tail.partial.isEmpty { lines.append(String(decoding: tail.partial, as: UTF8.self)) }
        return lines
    }

    @Test(arguments: [1, 3, 7, 64, 1_000, 100_000])
    func anyChunkingGivesTheLastLines(chunk: Int) {
        let texts = [
            (1...500).map { "line \($0)" }.joined(separator: "\n") + "\n",
            (1...500).map { "line \($0)" }.joined(separator: "\n") + "\nunfinished",
            "a\n\n\nb\n", "no newline at all", "", "\n", "é\nü\n",
        ]
        for text in texts { #expect(Self.tail(text, chunk: chunk) == Self.expected(text), "\(text.prefix(20))") }
    }

    @Test func aHugeUnfinishedLineKeepsItsEnd() {
        let text = String(repeating: "x", count: 100_000) + "END"
        let lines = Self.tail(text, chunk: 4_096)
        #expect(lines.count == 1 && lines[0].utf8.count == LogTail.maxPartial && lines[0].hasSuffix("END"))
    }
}

@Suite struct PathTextTests {
    @Test func parentsOfPaths() {
        let cases: [(String, String)] = [("a/b", "a"), ("/x", "/"), ("x", ""), ("é", ""), ("x/", ""), ("/a/b/", "/a"),
                                         ("a//b", "a"), ("/", "/"), ("", ""), ("/a", "/"), ("a/b/c", "a/b")]
        for (path, parent) in cases { #expect(PathText.parent(of: path) == parent, "\(path)") }
    }
}
