import Foundation

// Dockerfile shell-word expansion, behaving like BuildKit's
// frontend/dockerfile/shell package (quotes, escapes, `$VAR`, `${VAR…}` forms
// and word splitting). Parameter substitution and glob patterns live in
// ShellLexer+Substitution.swift.

/// Variables visible to a shell-word expansion.
///
/// Invariant: a name maps to the value of its *last* occurrence in the pairs
/// given at initialisation ("later wins", as with repeated `ENV`/`ARG`).
/// Lookup is case-sensitive, as BuildKit does on Unix. A variable that is set
/// to the empty string is still *set*: `${NULL-x}` yields "" while `${NULL:-x}`
/// yields "x".
public struct ShellEnvironment: Sendable {
    private var values: [String: String]
    /// Variable names in order of first appearance, without duplicates.
    public private(set) var names: [String]

    /// Builds an environment from ordered `(name, value)` pairs; later pairs win.
    public init(_ pairs: [(String, String)]) {
        values = [:]
        names = []
        for (name, value) in pairs {
            if values.updateValue(value, forKey: name) == nil {
                names.append(name)
            }
        }
    }

    /// Builds an environment from a dictionary; `names` is sorted so that it is
    /// deterministic.
    public init(dictionary: [String: String]) {
        self.init(dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// Builds an environment from `KEY=VALUE` entries, splitting at the first
    /// `=`; an entry without `=` defines `KEY` as empty (BuildKit EnvsFromSlice).
    public init(entries: [String]) {
        self.init(entries.map { entry -> (String, String) in
            guard let equals = entry.firstIndex(of: "=") else { return (entry, "") }
            return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
        })
    }

    /// The value of `name`, or nil when the variable is unset.
    public func value(_ name: String) -> String? {
        values[name]
    }
}

/// The outcome of expanding one shell word.
public struct ShellExpansion: Sendable, Equatable {
    /// The expanded text with quotes removed (kept with `rawQuotes`) and
    /// whitespace preserved, like BuildKit ProcessWord.
    public var result: String
    /// The expansion split into words at unquoted, unescaped whitespace,
    /// including whitespace that comes from `$VAR` values, like BuildKit
    /// ProcessWords. Empty words (such as `""`) are dropped.
    public var words: [String]
    /// Names that were looked up and are set (possibly to "").
    public var matched: Set<String>
    /// Names that were looked up and are unset.
    public var unmatched: Set<String>

    public init(result: String, words: [String], matched: Set<String>, unmatched: Set<String>) {
        self.result = result
        self.words = words
        self.matched = matched
        self.unmatched = unmatched
    }
}

/// Why a shell word could not be expanded. `description` reproduces
/// BuildKit's message (without its `failed to process "WORD": ` prefix).
public enum ShellExpansionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `${` without its closing brace.
    case missingClosingBrace
    /// `${VAR/pattern` without the `/` that ends the pattern.
    case missingSlash
    /// `${}`, `${{…}` or `${:…}`.
    case badSubstitution
    /// A `${VAR…}` operator BuildKit does not support, spelled as written
    /// (for example `:=` or `:#`).
    case unsupportedModifier(String)
    /// `${VAR?message}` / `${VAR:?message}` with VAR unset (or empty for `:?`).
    case requiredVariable(name: String, message: String)
    /// A `'` with no closing `'`.
    case unterminatedSingleQuote
    /// A `"` with no closing `"`.
    case unterminatedDoubleQuote
    /// Input ended while looking for `character`.
    case unexpectedEnd(lookingFor: Character)
    /// A `#`, `%` or `/` pattern with an escape other than `\*`, `\?`, `\\`,
    /// `\}` or `\/`.
    case invalidPattern(pattern: String, reason: String)
    /// `${…}` nested deeper than `ShellLexer.maxNesting`: refused rather than recursed into.
    case nestedTooDeeply

    public var description: String {
        switch self {
        case .missingClosingBrace: "syntax error: missing '}'"
        case .missingSlash: "syntax error: missing '/' in ${}"
        case .badSubstitution: "syntax error: bad substitution"
        case .unsupportedModifier(let modifier): "unsupported modifier (\(modifier)) in substitution"
        case .requiredVariable(let name, let message): "\(name): \(message)"
        case .unterminatedSingleQuote: "unexpected end of statement while looking for matching single-quote"
        case .unterminatedDoubleQuote: "unexpected end of statement while looking for matching double-quote"
        case .unexpectedEnd(let character): "unexpected end of statement while looking for matching \(character)"
        case .invalidPattern(let pattern, let reason): "invalid pattern (\(pattern)) in substitution: \(reason)"
        case .nestedTooDeeply: "substitution nested more than \(ShellLexer.maxNesting) levels deep"
        }
    }
}

/// Expands Dockerfile words the way BuildKit's shell lexer does.
///
/// The lexer is a value holding only configuration; each call scans its input
/// afresh, so one lexer may be shared across tasks.
public struct ShellLexer: Sendable {
    /// The deepest `${…}` nesting expanded. Expansion recurses once per level, and a Dockerfile
    /// is untrusted input: a bound keeps a hostile one from exhausting the stack.
    public static let maxNesting = 64

    /// The Dockerfile escape character: `\` by default, `` ` `` after
    /// `# escape=``. Only its first Unicode scalar is used.
    public var escapeToken: Character
    /// Keep quote characters in the output (BuildKit `RawQuotes`).
    public var rawQuotes: Bool = false
    /// Keep escape characters in the output (BuildKit `RawEscapes`).
    public var rawEscapes: Bool = false
    /// Leave references to unset variables as written, e.g. `${X:-d}` stays
    /// `${X:-d}` (BuildKit `SkipUnsetEnv`, used when scanning for heredocs).
    public var skipUnsetEnv: Bool = false
    /// Treat `'` and `"` as ordinary characters (BuildKit `SkipProcessQuotes`).
    public var skipProcessQuotes: Bool = false

    public init(escapeToken: Character = "\\") {
        self.escapeToken = escapeToken
    }

    /// Expands one word: quotes removed, escapes applied, variables substituted,
    /// whitespace kept (BuildKit ProcessWord).
    public func expandWord(_ word: String, environment: ShellEnvironment) throws(ShellExpansionError) -> String {
        try expand(word, environment: environment).result
    }

    /// Expands `word` and splits it at unquoted whitespace, including
    /// whitespace inside substituted values (BuildKit ProcessWords).
    public func expandWords(_ word: String, environment: ShellEnvironment) throws(ShellExpansionError) -> [String] {
        try expand(word, environment: environment).words
    }

    /// Expands `word`, returning the text, its words and which variable names
    /// were referenced and set (`matched`) or unset (`unmatched`), like
    /// BuildKit ProcessWordWithMatches. Names looked up include special and
    /// positional parameters such as `1` or `@`, which are never set.
    public func expand(_ word: String, environment: ShellEnvironment) throws(ShellExpansionError) -> ShellExpansion {
        var scanner = ShellWordScanner(word, lexer: self, environment: environment)
        let scanned = try scanner.scan(until: nil, rawEscapes: rawEscapes)
        return ShellExpansion(
            result: scanned.text, words: scanned.words,
            matched: scanner.matched, unmatched: scanner.unmatched)
    }
}

/// Collects words for ProcessWords-style splitting.
struct ShellWordSplitter {
    private(set) var words: [String] = []
    private var current = ""

    /// Appends a character that splits words when it is whitespace
    /// (unquoted text and substituted values).
    mutating func appendSplitting(_ scalar: Unicode.Scalar) {
        if scalar.properties.isWhitespace {
            flush()
        } else {
            current.unicodeScalars.append(scalar)
        }
    }

    mutating func appendSplitting(_ text: String) {
        for scalar in text.unicodeScalars { appendSplitting(scalar) }
    }

    /// Appends text that never splits (quoted or escaped).
    mutating func appendLiteral(_ text: String) {
        current += text
    }

    mutating func appendLiteral(_ scalar: Unicode.Scalar) {
        current.unicodeScalars.append(scalar)
    }

    /// Ends the current word; an empty word is dropped.
    mutating func flush() {
        if !current.isEmpty {
            words.append(current)
            current = ""
        }
    }

    mutating func finish() -> [String] {
        flush()
        return words
    }
}

/// One pass over one input word. Works on Unicode scalars, as BuildKit works
/// on runes, so combining marks never glue onto `$`, quotes or escapes.
struct ShellWordScanner {
    let input: [Unicode.Scalar]
    var position = 0
    let lexer: ShellLexer
    let environment: ShellEnvironment
    let escape: Unicode.Scalar
    /// Whether escapes are currently kept; `#`, `%` and `/` operands keep
    /// them so that the pattern still sees `\*`.
    var rawEscapes: Bool
    var matched: Set<String> = []
    var unmatched: Set<String> = []
    /// How many `${` are open around the current position.
    var nesting = 0

    init(_ word: String, lexer: ShellLexer, environment: ShellEnvironment) {
        var scalars = Array(word.unicodeScalars)
        // Go's text/scanner silently drops a byte-order mark at the very start.
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        input = scalars
        self.lexer = lexer
        self.environment = environment
        escape = lexer.escapeToken.unicodeScalars.first ?? "\\"
        rawEscapes = lexer.rawEscapes
    }

    var peek: Unicode.Scalar? { position < input.count ? input[position] : nil }
    var atEnd: Bool { position >= input.count }

    mutating func next() -> Unicode.Scalar? {
        guard position < input.count else { return nil }
        defer { position += 1 }
        return input[position]
    }

    /// Looks `name` up, recording whether it was set.
    mutating func lookup(_ name: String) -> String? {
        if let value = environment.value(name) {
            matched.insert(name)
            return value
        }
        unmatched.insert(name)
        return nil
    }

    /// Scans until `stop` (consumed, not included) or, when `stop` is nil,
    /// the end of input. Reaching the end while looking for `stop` fails.
    mutating func scan(until stop: Unicode.Scalar?, rawEscapes keepEscapes: Bool)
        throws(ShellExpansionError) -> (text: String, words: [String])
    {
        let savedRawEscapes = rawEscapes
        rawEscapes = keepEscapes
        defer { rawEscapes = savedRawEscapes }

        var text = ""
        var splitter = ShellWordSplitter()
        scanning: while let scalar = peek {
            if let stop, scalar == stop {
                position += 1
                return (text, splitter.finish())
            }
            switch scalar {
            case "$":
                let value = try expandDollar()
                text += value
                splitter.appendSplitting(value)
            case "<":
                let value = scanPossibleHeredoc()
                text += value
                splitter.appendLiteral(value)
            case "'" where !lexer.skipProcessQuotes:
                let value = try scanSingleQuoted()
                text += value
                splitter.appendLiteral(value)
            case "\"" where !lexer.skipProcessQuotes:
                let value = try scanDoubleQuoted()
                text += value
                splitter.appendLiteral(value)
            default:
                position += 1
                guard scalar == escape else {
                    text.unicodeScalars.append(scalar)
                    splitter.appendSplitting(scalar)
                    continue scanning
                }
                if rawEscapes {
                    text.unicodeScalars.append(scalar)
                    splitter.appendLiteral(scalar)
                }
                // An escape at the very end of the word is dropped.
                guard let escaped = next() else { break scanning }
                text.unicodeScalars.append(escaped)
                splitter.appendLiteral(escaped)
            }
        }
        if let stop {
            throw .unexpectedEnd(lookingFor: Character(stop))
        }
        return (text, splitter.finish())
    }

    /// Everything up to the next `'` is literal; nothing can be escaped.
    mutating func scanSingleQuoted() throws(ShellExpansionError) -> String {
        var text = ""
        position += 1
        if lexer.rawQuotes { text += "'" }
        while true {
            guard let scalar = next() else { throw .unterminatedSingleQuote }
            if scalar == "'" {
                if lexer.rawQuotes { text += "'" }
                return text
            }
            text.unicodeScalars.append(scalar)
        }
    }

    /// Inside `"…"` only `$` expands, and the escape character only escapes
    /// `"`, `$` and itself; before anything else it stays literal.
    mutating func scanDoubleQuoted() throws(ShellExpansionError) -> String {
        var text = ""
        position += 1
        if lexer.rawQuotes { text += "\"" }
        while true {
            guard let scalar = peek else { throw .unterminatedDoubleQuote }
            switch scalar {
            case "\"":
                position += 1
                if lexer.rawQuotes { text += "\"" }
                return text
            case "$":
                text += try expandDollar()
            default:
                position += 1
                var literal = scalar
                if scalar == escape {
                    // BuildKit writes a kept escape here *and* below when it
                    // escapes nothing, so `"\x"` becomes `\\x` with rawEscapes.
                    if rawEscapes { text.unicodeScalars.append(scalar) }
                    guard let following = peek else { continue }
                    if following == "\"" || following == "$" || following == escape {
                        literal = following
                        position += 1
                    }
                }
                text.unicodeScalars.append(literal)
            }
        }
    }

    /// `<<` plus the blanks after it stays one unsplit piece, so that a
    /// heredoc marker such as `<< EOF` remains a single word.
    mutating func scanPossibleHeredoc() -> String {
        position += 1
        guard peek == "<" else { return "<" }
        position += 1
        var text = "<<"
        while let scalar = peek, scalar == " " || scalar == "\t" || scalar == "\r" {
            text.unicodeScalars.append(scalar)
            position += 1
        }
        return text
    }
}
