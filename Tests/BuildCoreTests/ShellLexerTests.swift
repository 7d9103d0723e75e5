import Foundation
import Testing
@testable import BuildCore

/// One `PLATFORM|input|expected` line of BuildKit's envVarTest (Unix and
/// all-platform lines only); `expected == nil` means expansion must fail.
struct EnvVarConformanceCase: Sendable, CustomTestStringConvertible {
    var line: Int
    var input: String
    var expected: String?
    var testDescription: String { "envVarTest:\(line) \(input)" }
}

/// One `input | w1,w2,…` line of BuildKit's wordsTest with the environment
/// built from the `ENV` lines above it; `expected == nil` means failure.
struct WordsConformanceCase: Sendable, CustomTestStringConvertible {
    var line: Int
    var input: String
    var environment: [String]
    var expected: [String]?
    var testDescription: String { "wordsTest:\(line) \(input)" }
}

enum ShellConformanceData {
    static func fixture(_ name: String) -> String {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Fixtures/conformance/shell/\(name)")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    static func lines(_ text: String) -> [(number: Int, text: Substring)] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
            .map { (number: $0.offset + 1, text: $0.element) }
    }

    /// Split like BuildKit's test: on every `|`, each field trimmed.
    static let envVarCases: [EnvVarConformanceCase] = lines(fixture("envVarTest")).compactMap { line in
        if line.text.hasPrefix("#") { return nil }
        let fields = line.text.split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.count == 3, fields[0] == "A" || fields[0] == "U" else { return nil }
        let expected = fields[2] == "error" ? nil : fields[2]
        return EnvVarConformanceCase(line: line.number, input: fields[1], expected: expected)
    }

    /// Input trimmed on both sides, expected only on the left (trailing
    /// spaces are part of the last word); `ENV k=v` lines accumulate.
    static let wordsCases: [WordsConformanceCase] = {
        var environment: [String] = []
        var cases: [WordsConformanceCase] = []
        for line in lines(fixture("wordsTest")) {
            if line.text.hasPrefix("#") || line.text.isEmpty { continue }
            if line.text.hasPrefix("ENV ") {
                environment.append(String(line.text.dropFirst(3).drop { $0 == " " }))
                continue
            }
            let fields = line.text.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count == 2 else { continue }
            let expectedText = String(fields[1].drop { $0 == " " })
            let expected = expectedText == "error"
                ? nil : expectedText.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cases.append(WordsConformanceCase(
                line: line.number, input: fields[0].trimmingCharacters(in: .whitespaces),
                environment: environment, expected: expected))
        }
        return cases
    }()
}

@Suite struct ShellLexerConformanceTests {
    static let environment = ShellEnvironment([
        ("PWD", "/home"), ("SHELL", "bash"), ("KOREAN", "한국어"), ("NULL", ""),
    ])

    @Test func fixturesAreComplete() {
        #expect(ShellConformanceData.envVarCases.count == 146)
        #expect(ShellConformanceData.wordsCases.count == 24)
    }

    @Test(arguments: ShellConformanceData.envVarCases)
    func envVarCase(_ testCase: EnvVarConformanceCase) {
        let outcome = Result { () throws(ShellExpansionError) -> String in
            try ShellLexer().expandWord(testCase.input, environment: Self.environment)
        }
        switch (outcome, testCase.expected) {
        case (.success(let result), .some(let expected)):
            #expect(result == expected)
        case (.success(let result), .none):
            Issue.record("expected an error, got \(result.debugDescription)")
        case (.failure(let error), .some):
            Issue.record("unexpected error: \(error)")
        case (.failure, .none):
            break
        }
    }

    @Test(arguments: ShellConformanceData.wordsCases)
    func wordsCase(_ testCase: WordsConformanceCase) {
        let environment = ShellEnvironment(entries: testCase.environment)
        let words = try? ShellLexer().expandWords(testCase.input, environment: environment)
        #expect(words == testCase.expected)
    }
}

@Suite struct ShellLexerTests {
    let lexer = ShellLexer()

    func expand(_ word: String, _ pairs: [(String, String)] = [], lexer: ShellLexer = ShellLexer()) -> String? {
        try? lexer.expandWord(word, environment: ShellEnvironment(pairs))
    }

    func failure(_ word: String, _ pairs: [(String, String)] = []) -> ShellExpansionError? {
        do throws(ShellExpansionError) {
            _ = try lexer.expand(word, environment: ShellEnvironment(pairs))
            return nil
        } catch {
            return error
        }
    }

    @Test func backtickEscapeToken() {
        let windows = ShellLexer(escapeToken: "`")
        let env = [("PWD", "/home")]
        #expect(expand("he`$PWD", env, lexer: windows) == "he$PWD")
        #expect(expand(#"C:\dir\$PWD"#, env, lexer: windows) == #"C:\dir\/home"#)
        #expect(expand("\"a`\"b\"", env, lexer: windows) == "a\"b")
        #expect(expand("\"a`xb\"", env, lexer: windows) == "a`xb")
    }

    @Test func matchedAndUnmatchedNames() throws {
        let env = ShellEnvironment([("FOO", "xxx"), ("BAR", "")])
        let expansion = try lexer.expand("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc} $1${@}", environment: env)
        #expect(expansion.result == "xxx  ccc ")
        #expect(expansion.words == ["xxx", "ccc"])
        #expect(expansion.matched == ["FOO", "BAR"])
        #expect(expansion.unmatched == ["BAZ", "1", "@"])
    }

    @Test func requiredVariableMessages() {
        let word = "${VAR:?message here$ARG}"
        #expect(expand(word, [("VAR", "plain"), ("ARG", "x")]) == "plain")
        let empty = failure(word, [("VAR", ""), ("ARG", "x")])
        #expect(empty == .requiredVariable(name: "VAR", message: "message herex"))
        #expect(empty?.description == "VAR: message herex")
        #expect(expand("${VAR?m}", [("VAR", "")]) == "")
        #expect(failure("${X?}")?.description == "X: is not allowed to be unset")
        #expect(failure("${X:?}", [("X", "")])?.description == "X: is not allowed to be empty")
    }

    @Test func syntaxErrorMessages() {
        #expect(failure("${}")?.description == "syntax error: bad substitution")
        #expect(failure("${a:-b")?.description == "syntax error: missing '}'")
        #expect(failure("${a")?.description == "syntax error: missing '}'")
        #expect(failure("${a/b")?.description == "syntax error: missing '/' in ${}")
        #expect(failure("${a:=b}")?.description == "unsupported modifier (:=) in substitution")
        #expect(failure("${a:#b}") == .unsupportedModifier(":#"))
        #expect(failure("'abc") == .unterminatedSingleQuote)
        #expect(failure("\"abc") == .unterminatedDoubleQuote)
        #expect(failure(#"${a#\x}"#)?.description == #"invalid pattern (\x) in substitution: invalid escape '\x'"#)
    }

    @Test func prefixAndSuffixRemoval() {
        let cases: [(word: String, value: String, expected: String)] = [
            (#"${FOO#()[]{\}^$.\*\?|\\}"#, #"()[]{}^$.*?|\x"#, "x"),
            (#"${FOO%%\**}"#, "xx**", "xx"),
            ("${FOO#*x*y}", "xxyy", "y"),
            ("${FOO#*}", "xxyy", "xxyy"),
            ("${FOO##*x}", "xxyy", "yy"),
            (#"${FOO#?\?}"#, "???y", "?y"),
            (#"${FOO%%\**\*}"#, "a***yy*", "a"),
            ("${FOO%y*}", "xxyy", "xxy"),
            ("${FOO%%y*}", "xxyy", "xx"),
            ("${FOO%}", "xxyy", "xxyy"),
            ("${FOO#[x]}", "[x]y", "y"),
        ]
        for item in cases {
            #expect(expand(item.word, [("FOO", item.value)]) == item.expected, "\(item.word)")
        }
    }

    @Test func patternReplacement() {
        #expect(expand("${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", [("FOO", "/foo*/*/*.txt"), ("NEEDLE", #"\*/"#)])
            == "/foo.*/*.txt - /foo..*.txt")
        #expect(expand("${FOO/$N/} - ${FOO//$N/}", [("FOO", "/tmp/tmp/bar.txt"), ("N", "/tmp")])
            == "/tmp/bar.txt - /bar.txt")
        #expect(expand("${FOO/$N/$R} - ${FOO//$N/$R}", [("FOO", "/a/foo/b/c.txt"), ("N", "/?/"), ("R", "/")])
            == "/foo/b/c.txt - /foo/c.txt")
        #expect(expand(#"${FOO//\//\/}"#, [("FOO", "/tmp/foo.txt")]) == #"\/tmp\/foo.txt"#)
        #expect(expand("${FOO/$BAR/ww}", [("FOO", "xxyy"), ("BAR", "")]) == "wwxxyy")
        #expect(expand("${FOO///}", [("FOO", "xxyy")]) == "xxyy")
        #expect(expand("${FOO/o*/X}", [("FOO", "foo boo")]) == "fX")
        #expect(failure("${FOO//ww}", [("FOO", "xxyy")]) == .missingSlash)
    }

    /// Replace-all uses Go's ReplaceAllString, so `$0` in the replacement
    /// text stands for the match; a single replacement is literal.
    @Test func replaceAllTemplateQuirk() {
        let env = [("FOO", "foo"), ("R", "<$0>")]
        #expect(expand("${FOO//o/$R}", env) == "f<o><o>")
        #expect(expand("${FOO/o/$R}", env) == "f<$0>o")
    }

    @Test func rawQuotesAndEscapes() throws {
        var raw = ShellLexer()
        raw.rawQuotes = true
        #expect(expand(#"a'b c'"d""#, lexer: raw) == #"a'b c'"d""#)
        raw = ShellLexer()
        raw.rawEscapes = true
        #expect(try raw.expandWords(#"a\ b c"#, environment: ShellEnvironment([])) == [#"a\ b"#, "c"])
    }

    @Test func skipUnsetEnvKeepsReferences() {
        var lexer = ShellLexer()
        lexer.skipUnsetEnv = true
        #expect(expand("${X:-d} $Y ${Z} ${PWD}", [("PWD", "/home")], lexer: lexer) == "${X:-d} $Y ${Z} /home")
    }

    @Test func dollarQuirksAndUnicode() throws {
        #expect(expand("a$") == "a$")
        #expect(expand("$.x") == "$.x")
        #expect(expand("$999aaa$$") == "aaa")
        #expect(expand("${KOREAN}x$한국", [("KOREAN", "한국어"), ("한국", "!")]) == "한국어x!")
        let words = try lexer.expandWords("cat <<  EOF x", environment: ShellEnvironment([]))
        #expect(words == ["cat", "<<  EOF", "x"])
    }

    @Test func environmentLaterEntriesWin() {
        let env = ShellEnvironment(entries: ["a=1", "b", "a=2=3"])
        #expect(env.value("a") == "2=3")
        #expect(env.value("b") == "")
        #expect(env.value("A") == nil)
        #expect(env.names == ["a", "b"])
    }
}
