import Foundation

/// BuildKit's Dockerfile parser: lines, directives, continuations, comments and heredocs become
/// `SyntaxNode`s. It gives instructions no meaning (that is `InstructionParser`'s job), so that
/// every file BuildKit's parser accepts is accepted here with the same tree.
public enum DockerfileParser {
    static let validDirectives: Set<String> = ["escape", "syntax", "check"]

    /// Parses Dockerfile text. Fails with a located error for an empty file, a bad directive, bad
    /// JSON arrays of non-strings, or an unterminated heredoc.
    public static func parse(_ text: String, fileName: String = "Dockerfile") throws(FrontendError) -> DockerfileAST {
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var reader = LineReader(bytes: bytes)
        var state = DirectiveState()
        var nodes: [SyntaxNode] = []
        var warnings: [ParseWarning] = []
        var comments: [String] = []
        var currentLine = 0

        func located(_ kind: FrontendError.Kind, _ message: String, _ line: Int, _ end: Int? = nil) -> FrontendError {
            FrontendError(kind, message, at: SourceLocation(file: fileName, line: max(line, 1), column: 1, endLine: end))
        }

        var scan = reader
        var lineNumber = 0
        while let line = scan.next() {
            lineNumber += 1
            if line.count > LineReader.maximumLine {
                throw located(.syntax, "dockerfile line greater than max allowed size of \(LineReader.maximumLine - 1)", lineNumber)
            }
        }
        while let raw = reader.next() {
            let trimmedNL = ByteText.trimNewline(raw)
            let firstLine = ByteText.trimLeadingWhitespace(trimmedNL)
            if ByteText.isComment(firstLine) {
                let comment = ByteText.string(firstLine.dropFirst()).trimmingCharacters(in: .whitespaces)
                if comment.isEmpty { comments = [] } else { comments.append(comment) }
            }
            let directivesBefore = state.directives.count
            do {
                try state.consider(line: firstLine, lineNumber: currentLine + 1)
            } catch {
                throw located(.syntax, error.message, currentLine + 1)
            }
            // A directive is not a comment of the first instruction (BuildKit drops it, so a
            // `# check=` directive is not merged into that instruction's checks a second time).
            if state.directives.count > directivesBefore, !comments.isEmpty { comments.removeLast() }
            currentLine += 1
            let startLine = currentLine
            let keywordColumn = ByteText.leadingWhitespaceCharacters(trimmedNL) + 1
            let content = ByteText.isComment(firstLine) ? ArraySlice<UInt8>() : firstLine
            var (joined, isEndOfLine) = ByteText.trimContinuation(content, escape: state.escapeByte)
            if isEndOfLine && joined.isEmpty { continue }
            var buffer = Array(joined)
            var sawEmptyContinuation = false
            while !isEndOfLine, let next = reader.next() {
                let line = ByteText.trimNewline(next)
                do {
                    try state.consider(line: line, lineNumber: currentLine + 1)
                } catch {
                    throw located(.syntax, error.message, currentLine + 1)
                }
                currentLine += 1
                if ByteText.isComment(ByteText.trimLeadingWhitespace(line)) { continue }
                if ByteText.trimLeadingWhitespace(line).isEmpty {
                    sawEmptyContinuation = true
                    continue
                }
                (joined, isEndOfLine) = ByteText.trimContinuation(line, escape: state.escapeByte)
                buffer.append(contentsOf: joined)
            }
            if sawEmptyContinuation {
                warnings.append(ParseWarning(message: "Empty continuation line found in: \(ByteText.string(buffer[...]))", line: startLine,
                                            endLine: currentLine))
            }
            let line = ByteText.string(buffer[...])
            var node: SyntaxNode
            do {
                node = try NodeBuilder(escape: state.escapeByte).node(fromLine: buffer[...])
            } catch {
                throw located(.syntax, error.message, startLine, currentLine)
            }
            node.original = line
            node.column = keywordColumn
            if node.canContainHeredoc, line.contains("<<") {
                var docs: [Heredoc]
                do {
                    docs = try HeredocScanner.heredocs(inLine: line)
                } catch {
                    throw located(.syntax, error.message, startLine, currentLine)
                }
                var original = line + "\n"
                for index in docs.indices {
                    var terminated = false
                    var body: [UInt8] = []
                    while let next = reader.next() {
                        currentLine += 1
                        original += ByteText.string(next)
                        var candidate = ByteText.trimNewline(next)
                        if docs[index].chomp { candidate = ByteText.trimLeadingTabs(candidate) }
                        if candidate.elementsEqual(docs[index].name.utf8) {
                            terminated = true
                            break
                        }
                        body.append(contentsOf: next)
                    }
                    if !terminated {
                        throw located(.syntax, "unterminated heredoc", startLine, currentLine)
                    }
                    docs[index].content = ByteText.string(body[...])
                }
                node.heredocs = docs
                node.original = original
            }
            node.startLine = startLine
            node.endLine = currentLine
            node.comments = comments
            nodes.append(node)
            comments = []
        }
        if nodes.isEmpty {
            throw located(.emptyFile, "file with no instructions", currentLine)
        }
        return DockerfileAST(nodes: nodes, escapeToken: Character(Unicode.Scalar(state.escapeByte)),
                             directives: state.directives, warnings: warnings, fileName: fileName, source: text)
    }
}

/// A message-only error used inside the parser before a location is attached.
struct ParseFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Splits bytes into lines, each keeping its `\n` (BuildKit's scanner does the same, which matters
/// for heredoc bodies).
struct LineReader {
    /// BuildKit's scanner refuses lines longer than its 64 KiB buffer.
    static let maximumLine = 64 * 1024
    let bytes: [UInt8]
    var position = 0

    mutating func next() -> ArraySlice<UInt8>? {
        guard position < bytes.count else { return nil }
        let start = position
        if let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) {
            position = newline + 1
        } else {
            position = bytes.count
        }
        return bytes[start..<position]
    }
}

/// Parser directives are only read while every line so far has been a directive.
struct DirectiveState {
    var escapeByte: UInt8 = UInt8(ascii: "\\")
    var directives: [ParserDirective] = []
    var done = false

    mutating func consider(line: ArraySlice<UInt8>, lineNumber: Int) throws(ParseFailure) {
        guard !done else { return }
        guard let (name, value) = Self.match(line) else {
            done = true
            return
        }
        let key = name.lowercased()
        guard DockerfileParser.validDirectives.contains(key) else {
            done = true
            return
        }
        if directives.contains(where: { $0.name == key }) {
            throw ParseFailure("only one \(key) parser directive can be used")
        }
        if key == "escape" {
            guard value == "`" || value == "\\" else {
                throw ParseFailure("invalid escape token '\(value)' does not match ` or \\")
            }
            escapeByte = value.utf8.first ?? UInt8(ascii: "\\")
        }
        directives.append(ParserDirective(name: key, value: value, line: lineNumber))
    }

    /// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` with Go's ASCII `\s`.
    static func match(_ line: ArraySlice<UInt8>) -> (String, String)? {
        var i = line.startIndex
        let end = line.endIndex
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D }
        func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        guard i < end, line[i] == UInt8(ascii: "#") else { return nil }
        i += 1
        while i < end, isSpace(line[i]) { i += 1 }
        guard i < end, isAlpha(line[i]) else { return nil }
        let nameStart = i
        while i < end, isAlpha(line[i]) || isDigit(line[i]) { i += 1 }
        let name = ByteText.string(line[nameStart..<i])
        while i < end, isSpace(line[i]) { i += 1 }
        guard i < end, line[i] == UInt8(ascii: "=") else { return nil }
        i += 1
        guard i < end else { return nil }
        while i < end, isSpace(line[i]) { i += 1 }
        // Only blanks after `=`: the regex backs off and the last blank is the value.
        guard i < end else { return (name, ByteText.string(line[(end - 1)..<end])) }
        var valueEnd = end
        while valueEnd > i, isSpace(line[valueEnd - 1]) { valueEnd -= 1 }
        return (name, ByteText.string(line[i..<valueEnd]))
    }
}

extension SyntaxNode {
    /// RUN, COPY and ADD in shell form read heredocs, also as an ONBUILD trigger.
    var canContainHeredoc: Bool {
        if keyword == "onbuild", let inner = nested { return inner.canContainHeredoc }
        return ["run", "copy", "add"].contains(keyword) && !isJSON
    }
}
