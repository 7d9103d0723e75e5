import Foundation
import Testing
@testable import BuildCore

@Suite struct DockerfileParserTests {
    @Test func heredocsAreReadWithTheirBodies() throws {
        let ast = try DockerfileParser.parse("FROM a\nRUN <<EOF\n  echo hi\nEOF\nCOPY <<-A <<B /dst\n\tfoo\n\tA\nbar\nB\n")
        #expect(ast.nodes.count == 3)
        let run = ast.nodes[1]
        #expect(run.heredocs == [Heredoc(name: "EOF", content: "  echo hi\n", expand: true, chomp: false)])
        #expect(run.startLine == 2 && run.endLine == 4)
        let copy = ast.nodes[2]
        #expect(copy.heredocs.map(\.name) == ["A", "B"])
        #expect(copy.heredocs[0].chomp)
        #expect(copy.heredocs[0].content == "\tfoo\n")
        #expect(copy.heredocs[1].content == "bar\n")
        #expect(copy.words == ["<<-A", "<<B", "/dst"])
    }

    @Test func quotedHeredocDelimiterIsNotExpanded() throws {
        let ast = try DockerfileParser.parse("FROM a\nRUN <<'EOF'\n$HOME\nEOF\n")
        #expect(ast.nodes[1].heredocs.first?.expand == false)
        #expect(ast.nodes[1].heredocs.first?.name == "EOF")
    }

    @Test func unterminatedHeredocIsLocated() {
        do {
            _ = try DockerfileParser.parse("FROM a\nRUN <<EOF\necho\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "unterminated heredoc")
            #expect(error.location?.line == 2)
        }
    }

    @Test func heredocsAreNotReadInJSONForm() throws {
        let ast = try DockerfileParser.parse("FROM a\nRUN [\"sh\", \"<<EOF\"]\nCMD x\n")
        #expect(ast.nodes.count == 3)
        #expect(ast.nodes[1].heredocs.isEmpty)
    }

    @Test func directivesOnlyAtTheTop() throws {
        let ast = try DockerfileParser.parse("# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM a\n# escape=\\\nRUN a `\n  b\n")
        #expect(ast.directive("syntax") == "docker/dockerfile:1")
        #expect(ast.directive("check") == "skip=all")
        #expect(ast.escapeToken == "`")
        #expect(ast.nodes[1].words == ["a   b"])
    }

    @Test func duplicateDirectiveFails() {
        #expect(throws: FrontendError.self) { try DockerfileParser.parse("# escape=`\n# escape=`\nFROM a\n") }
    }

    @Test func invalidEscapeFails() {
        #expect(throws: FrontendError.self) { try DockerfileParser.parse("# escape=x\nFROM a\n") }
    }

    @Test func flagsStopAtDoubleDashAndKeepQuotes() throws {
        let ast = try DockerfileParser.parse("FROM a\nCOPY --from=\"x y\" --chown=1 -- --weird /d\n")
        #expect(ast.nodes[1].flags == ["--from=x y", "--chown=1"])
        #expect(ast.nodes[1].words == ["--weird", "/d"])
    }

    @Test func jsonPrefixWinsAndTrailingTextIsIgnored() throws {
        let ast = try DockerfileParser.parse("FROM a\nCMD [\"a\"] trailing\n")
        #expect(ast.nodes[1].isJSON)
        #expect(ast.nodes[1].words == ["a"])
    }

    @Test func crlfAndBOMAreHandled() throws {
        let ast = try DockerfileParser.parse("\u{FEFF}FROM a\r\nRUN echo \\\r\n  hi\r\n")
        #expect(ast.dump() == "(from \"a\")\n(run \"echo   hi\")\n")
    }

    @Test func keywordColumnIsRecorded() throws {
        let ast = try DockerfileParser.parse("FROM a\n    RUNN x\n")
        #expect(ast.nodes[1].column == 5)
        #expect(ast.nodes[1].keyword == "runn")
    }

    @Test func jsonDumpHasTheDocumentedShape() throws {
        let ast = try DockerfileParser.parse("FROM a\nONBUILD RUN echo x\nRUN <<EOF\nhi\nEOF\n")
        let json = ast.jsonDump()
        #expect(json.hasPrefix("{\"instructions\":[{\"cmd\":\"from\",\"subCmd\":null,\"json\":false,\"flags\":[],\"values\":[\"a\"],\"startLine\":1,\"endLine\":1,\"heredocs\":[]}"))
        #expect(json.contains("{\"cmd\":\"onbuild\",\"subCmd\":\"run\",\"json\":false,\"flags\":[],\"values\":[\"echo x\"]"))
        #expect(json.contains("\"heredocs\":[{\"name\":\"EOF\",\"content\":\"hi\\n\"}]"))
    }

    @Test func goQuoteMatchesGo() {
        #expect(GoQuote.quote("a\"b\\c\n\t\u{0}\u{7f}♥\u{a0}") == "\"a\\\"b\\\\c\\n\\t\\x00\\x7f♥\\u00a0\"")
        #expect(GoQuote.quoteList(["--a", "--b=\"x\""]) == "[\"--a\" \"--b=\\\"x\\\"\"]")
    }
}
