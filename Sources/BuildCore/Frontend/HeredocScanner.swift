import Foundation

/// Finds the heredoc openers (`<<EOF`, `<<-EOF`, `3<<"EOF"`) among the words of a RUN/COPY/ADD line,
/// as BuildKit does: the line is split into shell words keeping quotes and escapes, and each word
/// is matched against `^(\d*)<<(-?)\s*([^<]*)$`.
enum HeredocScanner {
    static func heredocs(inLine line: String) throws(ParseFailure) -> [Heredoc] {
        var lexer = ShellLexer(escapeToken: "\\")
        lexer.rawQuotes = true
        lexer.rawEscapes = true
        lexer.skipUnsetEnv = true
        let words = (try? lexer.expandWords(line, environment: ShellEnvironment([]))) ?? []
        var docs: [Heredoc] = []
        for word in words {
            if let doc = try heredoc(fromWord: word) { docs.append(doc) }
        }
        return docs
    }

    /// Parses one word as a heredoc opener; nil when it is not one.
    static func heredoc(fromWord word: String) throws(ParseFailure) -> Heredoc? {
        let scalars = Array(word.unicodeScalars)
        var i = 0
        while i < scalars.count, ("0"..."9").contains(scalars[i]) { i += 1 }
        let fdText = String(String.UnicodeScalarView(scalars[0..<i]))
        guard i + 1 < scalars.count, scalars[i] == "<", scalars[i + 1] == "<" else { return nil }
        i += 2
        var chomp = false
        if i < scalars.count, scalars[i] == "-" { chomp = true; i += 1 }
        // Go's `\s`: white space may separate `<<` from the delimiter.
        while i < scalars.count, [" ", "\t", "\n", "\r", "\u{0C}"].contains(scalars[i]) { i += 1 }
        let rest = String(String.UnicodeScalarView(scalars[i...]))
        if rest.contains("<") || rest.isEmpty { return nil }
        var lexer = ShellLexer(escapeToken: "\\")
        lexer.skipUnsetEnv = true
        let env = ShellEnvironment([])
        let cooked: [String]
        let raw: [String]
        do {
            cooked = try lexer.expandWords(rest, environment: env)
            guard cooked.count == 1 else { return nil }
            lexer.rawQuotes = true
            raw = try lexer.expandWords(rest, environment: env)
        } catch {
            throw ParseFailure(error.description)
        }
        guard raw.count == cooked.count else {
            throw ParseFailure("internal lexing of heredoc produced inconsistent results: \(rest)")
        }
        func quotes(_ s: String) -> Int { s.reduce(0) { $0 + ($1 == "'" || $1 == "\"" ? 1 : 0) } }
        return Heredoc(name: cooked[0], expand: quotes(cooked[0]) == quotes(raw[0]), chomp: chomp,
                       fileDescriptor: Int(fdText) ?? 0)
    }
}
