import Foundation

// Parameter expansion (`$NAME`, `${NAME…}`) and the glob patterns of the
// `#`, `%` and `/` operators, following BuildKit's shell lexer.

extension ShellWordScanner {
    /// Expands the parameter at `$`. A `$` not followed by a name or `{` is
    /// literal (`$.` stays `$.`); special and positional parameters (`$1`,
    /// `$@`, `$$`…) are names that are never set, so they expand to "".
    mutating func expandDollar() throws(ShellExpansionError) -> String {
        position += 1
        guard peek == "{" else {
            let name = scanName()
            if name.isEmpty { return "$" }
            if let value = lookup(name) { return value }
            return lexer.skipUnsetEnv ? "$" + name : ""
        }
        position += 1
        nesting += 1
        defer { nesting -= 1 }
        if nesting > ShellLexer.maxNesting { throw .nestedTooDeeply }
        switch peek {
        case nil: throw .missingClosingBrace
        case "{", "}", ":": throw .badSubstitution
        default: break
        }
        let name = scanName()
        // BuildKit reports a word ending right after the name as an
        // "unsupported modifier (\u{FFFD})"; the missing brace is clearer.
        guard let modifier = next() else { throw .missingClosingBrace }
        switch modifier {
        case "}":
            if let value = lookup(name) { return value }
            return lexer.skipUnsetEnv ? "${\(name)}" : ""
        case "/":
            return try substitutePattern(name: name)
        case ":", "+", "-", "?", "#", "%":
            return try applyOperator(modifier, name: name)
        default:
            throw .unsupportedModifier(String(Character(modifier)))
        }
    }

    /// `${NAME<op>word}` for the operators `-` `+` `?` `#` `##` `%` `%%`,
    /// each optionally preceded by `:` ("treat empty as unset"), which
    /// BuildKit rejects for `#` and `%`.
    private mutating func applyOperator(_ first: Unicode.Scalar, name: String) throws(ShellExpansionError) -> String {
        var spelled = String(Character(first))
        var operation = first
        let emptyIsUnset = first == ":"
        if emptyIsUnset {
            guard let second = next() else { throw .missingClosingBrace }
            spelled.append(Character(second))
            operation = second
        }
        let isPattern = operation == "#" || operation == "%"
        if emptyIsUnset && isPattern {
            throw .unsupportedModifier(spelled)
        }
        var word = try scanOperand(until: "}", rawEscapes: isPattern, atEnd: .missingClosingBrace)

        let value = lookup(name)
        if lexer.skipUnsetEnv && value == nil {
            return "${\(name)\(spelled)\(word)}"
        }
        let isUnset = value == nil || (emptyIsUnset && value == "")
        switch operation {
        case "-":
            return isUnset ? word : value ?? ""
        case "+":
            return isUnset ? "" : word
        case "?":
            guard let value else {
                throw .requiredVariable(name: name, message: word.isEmpty ? "is not allowed to be unset" : word)
            }
            if isUnset {
                throw .requiredVariable(name: name, message: word.isEmpty ? "is not allowed to be empty" : word)
            }
            return value
        case "#", "%":
            // A doubled operator (`##`, `%%`) removes the longest match.
            let longest = word.unicodeScalars.first == operation
            if longest { word.unicodeScalars.removeFirst() }
            return operation == "#"
                ? try ShellPattern.removingPrefix(word, from: value ?? "", longest: longest)
                : try ShellPattern.removingSuffix(word, from: value ?? "", longest: longest)
        default:
            throw .unsupportedModifier(spelled)
        }
    }

    /// `${NAME/pattern/replacement}` (first match) and
    /// `${NAME//pattern/replacement}` (every match).
    private mutating func substitutePattern(name: String) throws(ShellExpansionError) -> String {
        let everyMatch = peek == "/"
        if everyMatch { position += 1 }
        let pattern = try scanOperand(until: "/", rawEscapes: true, atEnd: .missingSlash)
        let replacement = try scanOperand(until: "}", rawEscapes: true, atEnd: .missingClosingBrace)

        let value = lookup(name)
        if lexer.skipUnsetEnv && value == nil {
            return "${\(name)/\(pattern)/\(replacement)}"
        }
        let compiled = try ShellPattern(pattern, longest: true)
        let subject = Array((value ?? "").unicodeScalars)
        return everyMatch
            ? compiled.replacingEveryMatch(in: subject, with: replacement)
            : compiled.replacingFirstMatch(in: subject, with: replacement)
    }

    /// Scans an operand of `${…}`; any failure at the end of input is
    /// reported as the missing delimiter, as BuildKit does.
    private mutating func scanOperand(
        until stop: Unicode.Scalar, rawEscapes keepEscapes: Bool, atEnd endError: ShellExpansionError
    ) throws(ShellExpansionError) -> String {
        do throws(ShellExpansionError) {
            return try scan(until: stop, rawEscapes: keepEscapes).text
        } catch {
            throw atEnd ? endError : error
        }
    }

    /// Reads a parameter name: a run of digits (positional), one special
    /// parameter character, or letters, digits and `_` (Unicode letters too).
    mutating func scanName() -> String {
        var name = ""
        guard let first = peek else { return name }
        if first.isDecimalDigit {
            while let scalar = peek, scalar.isDecimalDigit {
                name.unicodeScalars.append(scalar)
                position += 1
            }
            return name
        }
        if "@*#?-$!0".unicodeScalars.contains(first) {
            position += 1
            return String(Character(first))
        }
        while let scalar = peek, scalar.isNameCharacter {
            name.unicodeScalars.append(scalar)
            position += 1
        }
        return name
    }
}

extension Unicode.Scalar {
    /// Go's unicode.IsDigit: general category Nd.
    fileprivate var isDecimalDigit: Bool { properties.generalCategory == .decimalNumber }

    /// Go's unicode.IsLetter: general categories Lu, Ll, Lt, Lm, Lo.
    fileprivate var isLetter: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    fileprivate var isNameCharacter: Bool { isLetter || isDecimalDigit || self == "_" }
}

/// A shell pattern as BuildKit understands it: `*` (any run), `?` (any one
/// character) and literals, with `\*`, `\?` and `\\` as escapes and `\}`, `\/`
/// meaning the plain character. Bracket expressions are not supported: `[`
/// is literal. Like the Go regular expression BuildKit builds, neither `*` nor
/// `?` matches a newline, and matching is leftmost-first.
struct ShellPattern {
    enum Element: Equatable {
        case literal(Unicode.Scalar)
        case anyCharacter
        case anyRun
    }

    let elements: [Element]
    /// Whether `*` prefers the longest run (otherwise the shortest).
    let longest: Bool

    init(_ pattern: String, longest: Bool) throws(ShellExpansionError) {
        let scalars = Array(pattern.unicodeScalars)
        var elements: [Element] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "*": elements.append(.anyRun)
            case "?": elements.append(.anyCharacter)
            case "\\":
                let following = index < scalars.count ? scalars[index] : nil
                // `\}` and `\/` only protect the delimiters of `${…}`.
                if following == "}" || following == "/" { continue }
                index += 1
                guard let following, following == "*" || following == "?" || following == "\\" else {
                    let shown = following.map { String(Character($0)) } ?? "\u{FFFD}"
                    throw .invalidPattern(pattern: pattern, reason: "invalid escape '\\\(shown)'")
                }
                elements.append(.literal(following))
            default:
                elements.append(.literal(scalar))
            }
        }
        self.elements = elements
        self.longest = longest
    }

    /// `${VAR#pattern}` / `${VAR##pattern}`.
    static func removingPrefix(_ pattern: String, from value: String, longest: Bool) throws(ShellExpansionError) -> String {
        let subject = Array(value.unicodeScalars)
        let compiled = try ShellPattern(pattern, longest: longest)
        guard let end = compiled.matchEnd(in: subject, at: 0) else { return value }
        return String(String.UnicodeScalarView(subject[end...]))
    }

    /// `${VAR%pattern}` / `${VAR%%pattern}`: the shortest or longest suffix is
    /// found by matching the reversed pattern against the reversed value.
    static func removingSuffix(_ pattern: String, from value: String, longest: Bool) throws(ShellExpansionError) -> String {
        let reversedValue = String(String.UnicodeScalarView(value.unicodeScalars.reversed()))
        let trimmed = try removingPrefix(reversedPattern(pattern), from: reversedValue, longest: longest)
        return String(String.UnicodeScalarView(trimmed.unicodeScalars.reversed()))
    }

    /// Reverses a pattern but keeps each `\x` escape pair in order.
    static func reversedPattern(_ pattern: String) -> String {
        let scalars = Array(pattern.unicodeScalars)
        var reversed = scalars
        let last = scalars.count - 1
        var index = 0
        while index <= last {
            let target = last - index
            if scalars[index] == "\\" && index != last {
                reversed[target - 1] = "\\"
                reversed[target] = scalars[index + 1]
                index += 2
            } else {
                reversed[target] = scalars[index]
                index += 1
            }
        }
        return String(String.UnicodeScalarView(reversed))
    }

    func replacingFirstMatch(in subject: [Unicode.Scalar], with replacement: String) -> String {
        guard let match = firstMatch(in: subject, from: 0) else {
            return String(String.UnicodeScalarView(subject))
        }
        var result = String(String.UnicodeScalarView(subject[..<match.lowerBound]))
        result += replacement
        result.unicodeScalars.append(contentsOf: subject[match.upperBound...])
        return result
    }

    /// Replaces every non-overlapping match like Go's Regexp.ReplaceAllString:
    /// an empty match right after a previous match is skipped, and the
    /// replacement is a template where `$0`/`${0}` is the match and `$$` a `$`.
    func replacingEveryMatch(in subject: [Unicode.Scalar], with replacement: String) -> String {
        var result = ""
        var lastMatchEnd = 0
        var searchFrom = 0
        while searchFrom <= subject.count, let match = firstMatch(in: subject, from: searchFrom) {
            result.unicodeScalars.append(contentsOf: subject[lastMatchEnd..<match.lowerBound])
            if match.upperBound > lastMatchEnd || match.lowerBound == 0 {
                result += Self.expandTemplate(replacement, match: subject[match])
            }
            lastMatchEnd = match.upperBound
            // Always advance by at least one character.
            searchFrom = max(searchFrom + 1, match.upperBound)
        }
        result.unicodeScalars.append(contentsOf: subject[lastMatchEnd...])
        return result
    }

    /// Go's Regexp.Expand for a pattern whose only group is the whole match.
    static func expandTemplate(_ template: String, match: ArraySlice<Unicode.Scalar>) -> String {
        let scalars = Array(template.unicodeScalars)
        var result = ""
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard scalar == "$", index < scalars.count else {
                result.unicodeScalars.append(scalar)
                continue
            }
            if scalars[index] == "$" {
                result += "$"
                index += 1
                continue
            }
            let braced = scalars[index] == "{"
            var end = braced ? index + 1 : index
            let nameStart = end
            while end < scalars.count, scalars[end].isNameCharacter { end += 1 }
            let name = scalars[nameStart..<end]
            if name.isEmpty || (braced && (end >= scalars.count || scalars[end] != "}")) {
                result += "$"  // malformed reference: the `$` is literal
                continue
            }
            index = braced ? end + 1 : end
            if name.count == 1 && name.first == "0" {
                result.unicodeScalars.append(contentsOf: match)
            }
        }
        return result
    }

    /// The leftmost match at or after `start`.
    func firstMatch(in subject: [Unicode.Scalar], from start: Int) -> Range<Int>? {
        guard start <= subject.count else { return nil }
        for candidate in start...subject.count {
            if let end = matchEnd(in: subject, at: candidate) {
                return candidate..<end
            }
        }
        return nil
    }

    /// Where a match beginning exactly at `start` ends, choosing among the
    /// possible lengths of each `*` in preference order (longest or shortest
    /// first), as a backtracking regular-expression engine would.
    func matchEnd(in subject: [Unicode.Scalar], at start: Int) -> Int? {
        var failed = Set<Int>()
        return matchEnd(element: 0, at: start, in: subject, failed: &failed)
    }

    private func matchEnd(element: Int, at position: Int, in subject: [Unicode.Scalar], failed: inout Set<Int>) -> Int? {
        if element == elements.count { return position }
        let key = element * (subject.count + 1) + position
        if failed.contains(key) { return nil }
        var end: Int?
        switch elements[element] {
        case .literal(let scalar):
            if position < subject.count && subject[position] == scalar {
                end = matchEnd(element: element + 1, at: position + 1, in: subject, failed: &failed)
            }
        case .anyCharacter:
            if position < subject.count && subject[position] != "\n" {
                end = matchEnd(element: element + 1, at: position + 1, in: subject, failed: &failed)
            }
        case .anyRun:
            var limit = position
            while limit < subject.count && subject[limit] != "\n" { limit += 1 }
            let lengths = longest
                ? Array(stride(from: limit, through: position, by: -1))
                : Array(position...limit)
            for candidate in lengths {
                if let found = matchEnd(element: element + 1, at: candidate, in: subject, failed: &failed) {
                    end = found
                    break
                }
            }
        }
        if end == nil { failed.insert(key) }
        return end
    }
}
