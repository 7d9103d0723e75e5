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
    func jsonObject() -> [String: Any] {
        let inner = nested
        let subject = inner ?? self
        return [
            "cmd": keyword,
            "subCmd": inner.map { $0.keyword as Any } ?? NSNull(),
            "json": subject.isJSON,
            "flags": flags,
            "values": subject.words,
            "startLine": startLine,
            "endLine": endLine,
            "heredocs": subject.heredocs.map { ["name": $0.name, "content": $0.content] },
        ]
    }
}

extension DockerfileAST {
    /// The whole file in BuildKit's dump format, one instruction a line, ending with a newline.
    public func dump() -> String {
        nodes.map { "(" + $0.dump() + ")\n" }.joined()
    }

    /// `{"instructions":[...]}` with keys in a stable order.
    public func jsonDump() -> String {
        let object: [String: Any] = ["instructions": nodes.map { $0.jsonObject() }]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
