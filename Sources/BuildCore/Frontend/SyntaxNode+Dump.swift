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
            ("values", .strings(subject.words)),
            ("startLine", .int(startLine)),
            ("endLine", .int(endLine)),
            ("heredocs", .array(subject.heredocs.map { .object([("name", .string($0.name)), ("content", .string($0.content))]) })),
        ])
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
