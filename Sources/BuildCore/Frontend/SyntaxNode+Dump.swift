import Foundation

extension SyntaxNode {
    /// BuildKit's AST dump of one instruction: `(run ["--flag"] "arg" ...)` without the parens of
    /// the outermost level (the caller adds them, as BuildKit's root node does).
    public func dump() -> String {
        var s = keyword
        if !flags.isEmpty { s += " " + GoQuote.quoteList(flags) }
        for argument in arguments {
            switch argument {
            case .word(let w): s += " " + GoQuote.quote(w)
            case .nested(let n): s += " (" + n.dump() + ")"
            }
        }
        return s.trimmingCharacters(in: .whitespaces)
    }

    /// The JSON shape of `debug parse --format json` (the same fields the `dockerfile` Python
    /// package, BuildKit's parser, reports), used for differential testing.
    func json() -> JSONText {
        let inner = nested
        let subject = inner ?? self
        return .object([
            ("cmd", .string(keyword)),
            ("subCmd", .optional(inner?.keyword)),
            ("json", .bool(subject.isJSON)),
            ("flags", .strings(flags)),
            ("values", .strings(subject.jsonValues)),
            ("startLine", .int(startLine)),
            ("endLine", .int(endLine)),
            ("heredocs", .array(subject.heredocs.map { .object([("name", .string($0.name)), ("content", .string($0.content))]) })),
        ])
    }
}

extension SyntaxNode {
    /// The argument values as BuildKit's parser library reports them: a nested instruction counts
    /// as one empty value, and ENV/LABEL give their name/value pairs without the separator markers.
    var jsonValues: [String] {
        let all = arguments.map { $0.word ?? "" }
        guard keyword == "env" || keyword == "label", all.count % 3 == 0 else { return all }
        return stride(from: 0, to: all.count, by: 3).flatMap { [all[$0], all[$0 + 1]] }
    }
}

extension DockerfileAST {
    /// The whole file in BuildKit's dump format, one instruction a line, ending with a newline.
    public func dump() -> String {
        nodes.map { "(" + $0.dump() + ")\n" }.joined()
    }

    /// `{"instructions":[...]}`, keys in a stable order.
    public func jsonDump() -> String {
        JSONText.object([("instructions", .array(nodes.map { $0.json() }))]).rendered
    }
}
