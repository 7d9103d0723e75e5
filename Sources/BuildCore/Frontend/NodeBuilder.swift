import Foundation

/// Turns one joined instruction line into a `SyntaxNode`, with BuildKit's per-instruction argument
/// rules (`parseMaybeJSON`, `parseNameVal`, ...). Byte based: these rules are defined on bytes.
struct NodeBuilder {
    let escape: UInt8

    static let notStringArray = "when using JSON array syntax, arrays must be comprised of strings only"

    func node(fromLine line: ArraySlice<UInt8>) throws(ParseFailure) -> SyntaxNode {
        let (command, rest) = ByteText.splitOnce(ByteText.trimSpace(line))
        var flags: [String] = []
        var args = ArraySlice<UInt8>()
        if let rest {
            let extracted = Self.extractFlags(rest)
            flags = extracted.flags
            args = ByteText.trimSpace(extracted.rest)
        }
        let written = ByteText.string(command)
        let keyword = written.lowercased()
        let (arguments, json) = try parseArguments(keyword: keyword, args)
        return SyntaxNode(keyword: keyword, writtenKeyword: written, flags: flags, arguments: arguments, isJSON: json)
    }

    func parseArguments(keyword: String, _ rest: ArraySlice<UInt8>) throws(ParseFailure) -> ([SyntaxNode.Argument], Bool) {
        switch keyword {
        case "add", "copy", "volume":
            return try maybeJSONToList(rest)
        case "cmd", "entrypoint", "run", "shell":
            return try maybeJSON(rest)
        case "arg":
            return (words(rest).map { .word($0) }, false)
        case "env":
            return (try nameValue(rest, key: "ENV"), false)
        case "label":
            return (try nameValue(rest, key: "LABEL"), false)
        case "expose", "from":
            return (whitespaceDelimited(rest), false)
        case "maintainer", "stopsignal", "user", "workdir":
            return (rest.isEmpty ? [] : [.word(ByteText.string(rest))], false)
        case "healthcheck":
            return try healthcheck(rest)
        case "onbuild":
            if rest.isEmpty { return ([], false) }
            var child = try node(fromLine: rest)
            child.original = ByteText.string(rest)
            return ([.nested(child)], false)
        default:
            // BuildKit's parseIgnore: one empty argument; the instruction layer rejects the keyword.
            return ([.word("")], false)
        }
    }

    // MARK: - Argument shapes

    func whitespaceDelimited(_ rest: ArraySlice<UInt8>) -> [SyntaxNode.Argument] {
        if rest.isEmpty { return [] }
        return ByteText.splitSeparators(rest).map { .word(ByteText.string($0)) }
    }

    func maybeJSON(_ rest: ArraySlice<UInt8>) throws(ParseFailure) -> ([SyntaxNode.Argument], Bool) {
        if rest.isEmpty { return ([], false) }
        switch JSONArrayPrefix.parse(rest) {
        case .strings(let s): return (s.map { .word($0) }, true)
        case .notStringArray: throw ParseFailure(Self.notStringArray)
        case .invalid: return ([.word(ByteText.string(rest))], false)
        }
    }

    func maybeJSONToList(_ rest: ArraySlice<UInt8>) throws(ParseFailure) -> ([SyntaxNode.Argument], Bool) {
        switch JSONArrayPrefix.parse(rest) {
        case .strings(let s): return (s.map { .word($0) }, true)
        case .notStringArray: throw ParseFailure(Self.notStringArray)
        case .invalid: return (whitespaceDelimited(rest), false)
        }
    }

    func healthcheck(_ rest: ArraySlice<UInt8>) throws(ParseFailure) -> ([SyntaxNode.Argument], Bool) {
        var sep = rest.startIndex
        while sep < rest.endIndex, !ByteText.isByteSpace(rest[sep]) { sep += 1 }
        var next = sep
        while next < rest.endIndex, ByteText.isByteSpace(rest[next]) { next += 1 }
        if sep == rest.startIndex { return ([], false) }
        let type = SyntaxNode.Argument.word(ByteText.string(rest[rest.startIndex..<sep]))
        let (cmd, json) = try maybeJSON(rest[next...])
        return ([type] + cmd, json)
    }

    /// `KEY name value` (old form, one pair) or `KEY a=b c=d` (new form); each pair becomes three
    /// arguments: name, value and the separator (`""` or `"="`), as in BuildKit's tree.
    func nameValue(_ rest: ArraySlice<UInt8>, key: String) throws(ParseFailure) -> [SyntaxNode.Argument] {
        let list = words(rest)
        guard let first = list.first else { return [] }
        if !first.contains("=") {
            let (name, value) = ByteText.splitOnce(rest)
            guard let value else { throw ParseFailure("\(key) must have two arguments") }
            return [.word(ByteText.string(name)), .word(ByteText.string(value)), .word("")]
        }
        var out: [SyntaxNode.Argument] = []
        for word in list {
            guard let eq = word.firstIndex(of: "=") else {
                throw ParseFailure("Syntax error - can't find = in \(GoQuote.quote(word)). Must be of the form: name=value")
            }
            out.append(.word(String(word[..<eq])))
            out.append(.word(String(word[word.index(after: eq)...])))
            out.append(.word("="))
        }
        return out
    }

    /// BuildKit's `parseWords`: splits on white space, keeping quotes and escapes in the words.
    func words(_ rest: ArraySlice<UInt8>) -> [String] {
        var result: [String] = []
        var word: [UInt8] = []
        var inWord = false, inQuote = false, blankOK = false
        var quote: UInt8 = 0
        var i = rest.startIndex
        let end = rest.endIndex
        while i < end {
            let space = ByteText.spaceLength(rest, at: i)
            let c = rest[i]
            if !inWord && !inQuote {
                if space > 0 { i += space; continue }
                inWord = true
            }
            if inWord && !inQuote {
                if space > 0 {
                    inWord = false
                    if blankOK || !word.isEmpty { result.append(ByteText.string(word[...])) }
                    word.removeAll(keepingCapacity: true)
                    blankOK = false
                    i += space
                    continue
                }
                if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                    quote = c
                    blankOK = true
                    inQuote = true
                }
                if c == escape {
                    if i + 1 == end { i += 1; continue }
                    word.append(c)
                    i += 1
                }
                word.append(rest[i])
                i += 1
                continue
            }
            // In a quote.
            if c == quote { inQuote = false }
            if c == escape && quote != UInt8(ascii: "'") {
                if i + 1 == end {
                    inQuote = false
                    i += 1
                    continue
                }
                word.append(c)
                i += 1
            }
            word.append(rest[i])
            i += 1
        }
        if (inWord || inQuote) && (blankOK || !word.isEmpty) {
            result.append(ByteText.string(word[...]))
        }
        return result
    }

    /// BuildKit's `extractBuilderFlags`: leading `--flag` words (with quotes and `\` escapes
    /// resolved), stopping at the first word that is not a flag or after `--`.
    static func extractFlags(_ line: ArraySlice<UInt8>) -> (rest: ArraySlice<UInt8>, flags: [String]) {
        var flags: [String] = []
        var word = ""
        var inWord = false, inQuote = false, blankOK = false
        var quote: UInt8 = 0
        var pos = line.startIndex
        let end = line.endIndex
        @inline(__always) func appendByte(_ b: UInt8) {
            word.unicodeScalars.append(Unicode.Scalar(b))
        }
        while pos <= end {
            let ch: UInt8 = pos < end ? line[pos] : 0
            if !inWord && !inQuote {
                if pos == end { break }
                if ByteText.isByteSpace(ch) { pos += 1; continue }
                if ch != UInt8(ascii: "-") || pos + 1 == end || line[pos + 1] != UInt8(ascii: "-") {
                    return (line[pos...], flags)
                }
                inWord = true
            }
            if pos == end {
                if word != "--" && (blankOK || !word.isEmpty) { flags.append(word) }
                break
            }
            if !inQuote {
                if ByteText.isByteSpace(ch) {
                    inWord = false
                    if word == "--" { return (line[pos...], flags) }
                    if blankOK || !word.isEmpty { flags.append(word) }
                    word = ""
                    blankOK = false
                    pos += 1
                    continue
                }
                if ch == UInt8(ascii: "'") || ch == UInt8(ascii: "\"") {
                    quote = ch
                    blankOK = true
                    inQuote = true
                    pos += 1
                    continue
                }
                if ch == UInt8(ascii: "\\") {
                    if pos + 1 == end { pos += 1; continue }
                    pos += 1
                }
                appendByte(line[pos])
                pos += 1
                continue
            }
            if ch == quote {
                inQuote = false
                inWord = true
                pos += 1
                continue
            }
            if ch == UInt8(ascii: "\\") {
                if pos + 1 == end {
                    inQuote = false
                    inWord = true
                    pos += 1
                    continue
                }
                pos += 1
            }
            appendByte(line[pos])
            pos += 1
        }
        return (line[end...], flags)
    }
}
