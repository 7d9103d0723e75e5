import Foundation
import Testing
@testable import BuildCore

/// One row of moby/patternmatcher's conformance table (Tests/Fixtures/conformance/dockerignore).
private struct IgnoreCase: CustomStringConvertible {
    var patterns: [String]
    var path: String
    var expected: Bool
    var apis: [String]
    var error: String
    var source: String

    var description: String { "patterns=\(patterns) path=\(path) api=\(apis) (\(source))" }
}

private enum IgnoreFixture {
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/conformance/dockerignore/cases.tsv")

    /// Parses the TSV: '#' lines are comments, the first other line is the header; fields are raw.
    static func load() throws -> [IgnoreCase] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var cases: [IgnoreCase] = []
        var sawHeader = false
        for line in text.unicodeScalars.split(separator: "\n") {
            let row = String(String.UnicodeScalarView(line))
            if row.hasPrefix("#") || row.isEmpty { continue }
            if !sawHeader { sawHeader = true; continue }
            let fields = row.unicodeScalars.split(separator: "\t", omittingEmptySubsequences: false)
                .map { String(String.UnicodeScalarView($0)) }
            guard fields.count >= 6 else {
                Issue.record("malformed row: \(row)")
                continue
            }
            cases.append(IgnoreCase(
                patterns: splitPatterns(fields[0]), path: fields[1], expected: fields[2] == "true",
                apis: fields[3].split(separator: ",").map(String.init), error: fields[4], source: fields[5]))
        }
        return cases
    }

    /// '|' separates patterns, '\|' is a literal '|', an empty field is no patterns.
    static func splitPatterns(_ field: String) -> [String] {
        if field.isEmpty { return [] }
        var patterns: [String] = []
        var current = String.UnicodeScalarView()
        var scalars = Array(field.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if scalar == "\\" && scalars.first == "|" {
                current.append("|")
                scalars.removeFirst()
            } else if scalar == "|" {
                patterns.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        patterns.append(String(current))
        return patterns
    }
}

/// Walks `path`'s parent directories top-down, as BuildKit's fsutil does, feeding each result to the
/// next call, then tests `path` itself.
private func walkMatches(_ matcher: PatternMatcher, _ path: String) throws(PatternError) -> Bool {
    let parent = String(decoding: IgnorePath.dir(Array(path.utf8)), as: UTF8.self)
    var info = MatchInfo()
    if parent != "." {
        let segments = parent.split(separator: "/", omittingEmptySubsequences: false)
        for end in segments.indices {
            info = try matcher.matchesUsingParentResults(segments[...end].joined(separator: "/"), parent: info)
        }
    }
    return try matcher.matchesUsingParentResults(path, parent: info).isMatched
}

private func evaluate(_ api: String, _ row: IgnoreCase) throws(PatternError) -> Bool? {
    switch api {
    case "Matches": return try PatternMatcher.matches(row.path, patterns: row.patterns)
    case "MatchesOrParentMatches": return try PatternMatcher(patterns: row.patterns).matchesOrParentMatches(row.path)
    case "MatchesUsingParentResults": return try walkMatches(PatternMatcher(patterns: row.patterns), row.path)
    default: return nil
    }
}

@Suite struct PatternMatcherConformanceTests {
    @Test func everyCaseThroughEveryNamedAPI() throws {
        let cases = try IgnoreFixture.load()
        #expect(cases.count == 88)
        var checked = 0
        for row in cases {
            for api in row.apis {
                var result: Bool?
                var failure: PatternError?
                do throws(PatternError) {
                    result = try evaluate(api, row)
                    if result == nil { Issue.record("unknown api \(api)") }
                } catch {
                    failure = error
                }
                if row.error.isEmpty {
                    #expect(failure == nil, "\(row)")
                    #expect(result == row.expected, "\(row)")
                } else {
                    #expect(failure?.description == row.error, "\(row)")
                }
                checked += 1
            }
        }
        #expect(checked == 136)
    }
}

@Suite struct DockerignoreFileTests {
    @Test func readsLikeBuildKitIgnorefile() {
        let text = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
        #expect(DockerignoreFile.parse(text) == [
            "test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!",
        ])
    }

    @Test func commentsOnlyAtColumnZero() {
        #expect(DockerignoreFile.parse("# comment\n#another\n  # indented\nkeep") == ["# indented", "keep"])
        #expect(DockerignoreFile.parse("  # indented") == ["# indented"])
        #expect(DockerignoreFile.parse("a#b\n#c") == ["a#b"])
    }

    @Test func exclusionsKeepTheirBang() {
        #expect(DockerignoreFile.parse("*.md\n!README.md\n!  ./docs//keep/") == ["*.md", "!README.md", "!docs/keep"])
        #expect(DockerignoreFile.parse("!") == ["!"])
    }

    @Test func leadingSlashAndCleaning() {
        #expect(DockerignoreFile.parse("/abs/path/") == ["abs/path"])
        #expect(DockerignoreFile.parse("./a/../b/") == ["b"])
        #expect(DockerignoreFile.parse("a//b/./c/") == ["a/b/c"])
        #expect(DockerignoreFile.parse("../up") == ["../up"])
        #expect(DockerignoreFile.parse("/../z") == ["z"])
        #expect(DockerignoreFile.parse("/") == ["/"])
        #expect(DockerignoreFile.parse(".") == ["."])
    }

    @Test func whitespaceAndBlankLines() {
        #expect(DockerignoreFile.parse("") == [])
        #expect(DockerignoreFile.parse("\n\n   \n\t\n") == [])
        #expect(DockerignoreFile.parse("  spaced  \t\nnext") == ["spaced", "next"])
    }

    @Test func crlfLineEndings() {
        #expect(DockerignoreFile.parse("a\r\nb\r\n# c\r\n!d\r\n") == ["a", "b", "!d"])
        #expect(DockerignoreFile.parse("last\r") == ["last"])
    }

    @Test func byteOrderMarkOnlyOnFirstLine() {
        #expect(DockerignoreFile.parse("\u{FEFF}# comment\nfoo") == ["foo"])
        #expect(DockerignoreFile.parse("\u{FEFF}foo\nbar") == ["foo", "bar"])
        #expect(DockerignoreFile.parse("foo\n\u{FEFF}bar") == ["foo", "\u{FEFF}bar"])
    }
}

@Suite struct PatternMatcherEdgeTests {
    @Test func rejectsBadPatterns() {
        #expect(throws: PatternError.illegalExclusion("!")) { try PatternMatcher(patterns: ["ok", "!"]) }
        #expect(throws: PatternError.badPattern("a[")) { try PatternMatcher(patterns: ["a["]) }
        #expect(throws: PatternError.badPattern("a\\")) { try PatternMatcher(patterns: ["a\\"]) }
        #expect(throws: PatternError.badPattern("[a-b-c]")) { try PatternMatcher(patterns: ["[a-b-c]"]) }
        #expect(PatternError.badPattern("[").description == "syntax error in pattern")
        #expect(PatternError.illegalExclusion("!").description == "illegal exclusion pattern: \"!\"")
    }

    @Test func cleansAndSkipsEmptyPatterns() throws {
        let matcher = try PatternMatcher(patterns: ["  ./docs/ ", "", "   ", "!docs//keep.md"])
        #expect(matcher.patterns.map(\.cleanedPattern) == ["docs", "docs/keep.md"])
        #expect(matcher.patterns.map(\.isExclusion) == [false, true])
        #expect(matcher.hasExclusions)
        #expect(try matcher.matchesOrParentMatches("docs/guide.md"))
        #expect(try !matcher.matchesOrParentMatches("docs/keep.md"))
        #expect(try !PatternMatcher(patterns: ["a"]).hasExclusions)
    }

    @Test func laterPatternsWin() throws {
        let matcher = try PatternMatcher(patterns: ["*.go", "!keep.go", "keep.go"])
        #expect(try matcher.matchesOrParentMatches("keep.go"))
        let reincluded = try PatternMatcher(patterns: ["*.go", "!keep.go"])
        #expect(try !reincluded.matchesOrParentMatches("keep.go"))
        #expect(try reincluded.matchesOrParentMatches("main.go"))
    }

    @Test func starStaysWithinOneDirectory() throws {
        let matcher = try PatternMatcher(patterns: ["*.log"])
        #expect(try matcher.matchesOrParentMatches("b.log"))
        #expect(try !matcher.matchesOrParentMatches("a/b.log"))
        let deep = try PatternMatcher(patterns: ["**/*.log"])
        #expect(try deep.matchesOrParentMatches("a/b/c.log"))
        #expect(try deep.matchesOrParentMatches("c.log"))
        #expect(try !deep.matchesOrParentMatches("a/b/c.txt"))
    }

    @Test func parentDirectoriesExcludeTheirContents() throws {
        let matcher = try PatternMatcher(patterns: ["node_modules"])
        #expect(try matcher.matchesOrParentMatches("node_modules/a/b.js"))
        #expect(try !matcher.matchesOrParentMatches("src/node_modules_x"))
        #expect(try PatternMatcher.matches("node_modules/a/b.js", patterns: ["node_modules"]))
    }

    @Test func contextRootIsNeverExcludedByStaticMatches() throws {
        #expect(try !PatternMatcher.matches(".", patterns: ["*"]))
        #expect(try !PatternMatcher.matches("./", patterns: ["**"]))
        #expect(try PatternMatcher.matches("./a/../b", patterns: ["b"]))
    }

    @Test func walkAgreesWithDirectMatching() throws {
        let matcher = try PatternMatcher(patterns: ["docs", "!docs/keep", "**/*.tmp", "build/**", "!build/out/x"])
        let paths = ["docs", "docs/a.md", "docs/keep", "docs/keep/b.md", "src/a.tmp", "src/b.swift",
                     "build", "build/out", "build/out/x", "build/out/y", "a/b/c/d.tmp"]
        for path in paths {
            #expect(try walkMatches(matcher, path) == matcher.matchesOrParentMatches(path), "\(path)")
        }
        #expect(throws: PatternError.mismatchedMatchInfo(expected: 5, actual: 1)) {
            let other = try PatternMatcher(patterns: ["x"]).matchesUsingParentResults("x", parent: MatchInfo())
            return try matcher.matchesUsingParentResults("x/y", parent: other)
        }
    }

    @Test func patternmatcherQuirksAreKept() throws {
        // A leading "**" on an otherwise literal pattern is a plain suffix test in patternmatcher.
        #expect(try PatternMatcher(patterns: ["**file"]).matchesOrParentMatches("xfile"))
        // Translated to RE2, so POSIX classes inside brackets work.
        let posix = try PatternMatcher(patterns: ["[[:digit:]]*.log"])
        #expect(try posix.matchesOrParentMatches("1.log"))
        #expect(try !posix.matchesOrParentMatches("a.log"))
        // Escapes RE2 rejects surface as a bad pattern when the pattern is tested.
        let escaped = try PatternMatcher(patterns: ["\\e*"])
        #expect(throws: PatternError.badPattern("\\e*")) { try escaped.matchesOrParentMatches("e") }
        // patternmatcher leaves `|{}` unescaped: `|` splits the regexp, `{2}` repeats, and a brace
        // list is literal text (these answers were checked against the Go implementation).
        let alternation = try PatternMatcher(patterns: ["a*|b"])
        #expect(try alternation.matchesOrParentMatches("zzb"))
        #expect(try !alternation.matchesOrParentMatches("c"))
        let repeated = try PatternMatcher(patterns: ["x{2}*"])
        #expect(try repeated.matchesOrParentMatches("xx"))
        #expect(try !repeated.matchesOrParentMatches("x"))
        let braces = try PatternMatcher(patterns: ["*.{js,ts}"])
        #expect(try braces.matchesOrParentMatches("a.{js,ts}"))
        #expect(try !braces.matchesOrParentMatches("a.js"))
    }

    @Test func pathologicalPatternStaysFast() throws {
        let matcher = try PatternMatcher(patterns: ["*a*a*a*a*a*a*a*a*a*b"])
        let start = Date()
        #expect(try !matcher.matchesOrParentMatches(String(repeating: "a", count: 300)))
        #expect(Date().timeIntervalSince(start) < 2)
    }
}
