import Foundation

/// Failures of `.dockerignore` pattern handling. Descriptions match moby/patternmatcher's messages so
/// users see the same text BuildKit would print.
public enum PatternError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The pattern is not valid glob syntax (unclosed `[`, bad range, trailing `\`), or its
    /// translation to a regular expression is not valid. Carries the offending pattern.
    case badPattern(String)
    /// A pattern consisting of `!` alone: an exclusion of nothing, which BuildKit rejects.
    case illegalExclusion(String)
    /// A `MatchInfo` from a matcher with a different number of patterns was passed back in.
    case mismatchedMatchInfo(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .badPattern: return "syntax error in pattern"
        case .illegalExclusion(let pattern): return "illegal exclusion pattern: \"\(pattern)\""
        case .mismatchedMatchInfo: return "wrong number of values in parentMatched"
        }
    }
}

/// Per-pattern results for one directory, handed to `matchesUsingParentResults` for its children so
/// a top-down walk never re-tests a pattern that already matched an ancestor.
public struct MatchInfo: Sendable, Equatable {
    /// Whether the path this info describes is excluded from the build context.
    public var isMatched: Bool
    /// One flag per pattern: did it match this path or an ancestor. Empty means "no information".
    var patternMatched: [Bool]

    /// The "nothing known about the parent" value: use it for top-level entries.
    public init() {
        isMatched = false
        patternMatched = []
    }

    init(isMatched: Bool, patternMatched: [Bool]) {
        self.isMatched = isMatched
        self.patternMatched = patternMatched
    }
}

/// One cleaned `.dockerignore` pattern with its compiled matcher. Paths are compared byte for byte
/// as Go does, so canonically equal but differently normalised Unicode does not match.
public struct Pattern: Sendable, CustomStringConvertible {
    /// True for `!pattern` lines, which re-include paths matched by earlier patterns.
    public let isExclusion: Bool
    fileprivate let compiled: CompiledPattern

    /// The pattern after trimming, `filepath.Clean` and removal of a leading `!`.
    public var cleanedPattern: String { compiled.text }
    public var description: String { compiled.text }
}

typealias Bytes = UnsafeBufferPointer<UInt8>

/// Runs `body` on the UTF-8 bytes of `text` without copying when the string is contiguous.
func withBytes<T>(_ text: String, _ body: (Bytes) -> T) -> T {
    if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
    return Array(text.utf8).withUnsafeBufferPointer(body)
}

/// BuildKit's `.dockerignore` matcher (moby/patternmatcher). Patterns apply in order; a path is
/// excluded when the last pattern that matches it (or one of its parent directories) is not a `!`
/// exclusion. `*` and `?` never cross `/`, `**` spans any number of directories.
public struct PatternMatcher: Sendable {
    /// The non-empty patterns in file order.
    public private(set) var patterns: [Pattern] = []
    /// True when any pattern starts with `!`; walkers must then descend into excluded directories.
    public private(set) var hasExclusions = false

    /// Trims and cleans every pattern, drops empty ones and validates glob syntax up front, so a bad
    /// `.dockerignore` fails before any file is tested.
    public init(patterns: [String]) throws(PatternError) {
        for raw in patterns {
            let trimmed = IgnorePath.trimSpace(raw)
            if trimmed.isEmpty { continue }
            var cleaned = IgnorePath.clean(Array(trimmed.utf8))
            var isExclusion = false
            if cleaned.first == UInt8(ascii: "!") {
                if cleaned.count == 1 { throw .illegalExclusion("!") }
                isExclusion = true
                hasExclusions = true
                cleaned.removeFirst()
            }
            guard GlobSyntax.isValid(cleaned) else {
                throw .badPattern(String(decoding: cleaned, as: UTF8.self))
            }
            self.patterns.append(Pattern(isExclusion: isExclusion, compiled: CompiledPattern(cleaned)))
        }
    }

    /// patternmatcher's deprecated package-level `Matches`: cleans `file`, never excludes `.` (the
    /// context root), and checks only the parent prefix with as many segments as each pattern.
    public static func matches(_ file: String, patterns: [String]) throws(PatternError) -> Bool {
        let matcher = try PatternMatcher(patterns: patterns)
        let path = IgnorePath.clean(Array(file.utf8))
        if path == [IgnorePath.dot] { return false }
        let parent = IgnorePath.dir(path)
        let ends = parent == [IgnorePath.dot] ? [] : IgnorePath.ancestorEnds(parent)
        let outcome = path.withUnsafeBufferPointer { path in
            parent.withUnsafeBufferPointer { parent in
                Result { () throws(PatternError) -> Bool in
                    var matched = false
                    for pattern in matcher.patterns where pattern.isExclusion == matched {
                        var match = try pattern.compiled.matches(path)
                        if !match && pattern.compiled.segmentCount <= ends.count {
                            let end = ends[pattern.compiled.segmentCount - 1]
                            match = (try? pattern.compiled.matches(Bytes(rebasing: parent[..<end]))) ?? false
                        }
                        if match { matched = !pattern.isExclusion }
                    }
                    return matched
                }
            }
        }
        return try outcome.get()
    }

    /// True when `file` (slash-separated, relative to the context) or any of its parent directories
    /// is excluded. `file` is used as given; its parents come from `filepath.Dir` (cleaned).
    public func matchesOrParentMatches(_ file: String) throws(PatternError) -> Bool {
        try matchesUsingParentResults(file, parent: MatchInfo()).isMatched
    }

    /// Same answer as `matchesOrParentMatches`, for a walk that visits directories before their
    /// contents: `parent` is the info returned for `file`'s directory (or `MatchInfo()` at the top,
    /// in which case ancestors are tested directly). Patterns that matched the parent stay matched.
    public func matchesUsingParentResults(_ file: String, parent: MatchInfo) throws(PatternError) -> MatchInfo {
        let inherited = parent.patternMatched
        if !inherited.isEmpty && inherited.count != patterns.count {
            throw .mismatchedMatchInfo(expected: patterns.count, actual: inherited.count)
        }
        let outcome = withBytes(file) { path in
            Result { () throws(PatternError) -> MatchInfo in
                var ancestors: Ancestors?
                var matched = false
                var results = [Bool](repeating: false, count: patterns.count)
                for index in patterns.indices {
                    let pattern = patterns[index]
                    var match = inherited.isEmpty ? false : inherited[index]
                    if !match {
                        if pattern.isExclusion != matched { continue }
                        match = try pattern.compiled.matches(path)
                        if !match && inherited.isEmpty {
                            let known = ancestors ?? Ancestors(of: path)
                            ancestors = known
                            match = known.anyMatches(pattern.compiled, path: path)
                        }
                    }
                    results[index] = match
                    if match { matched = !pattern.isExclusion }
                }
                return MatchInfo(isMatched: matched, patternMatched: results)
            }
        }
        return try outcome.get()
    }
}

/// The parent directories of a path: prefixes of its cleaned `filepath.Dir`, tested shortest first.
struct Ancestors {
    /// The cleaned parent when it differs from the path's own prefix; nil when the prefix is clean.
    let cleanedCopy: [UInt8]?
    /// Length of the parent; -1 when there is none (`filepath.Dir` is ".").
    let length: Int

    init(of path: Bytes) {
        let lastSlash = path.lastIndex(of: IgnorePath.slash)
        if let lastSlash, lastSlash > 0, IgnorePath.isClean(path[..<lastSlash]) {
            cleanedCopy = nil  // common case: no copy needed
            length = lastSlash
        } else {
            let parent = IgnorePath.dir(Array(path))
            cleanedCopy = parent
            length = parent == [IgnorePath.dot] ? -1 : parent.count
        }
    }

    /// Go ignores match errors here: the path's own test has already reported them.
    func anyMatches(_ pattern: CompiledPattern, path: Bytes) -> Bool {
        guard length >= 0 else { return false }
        func scan(_ parent: Bytes) -> Bool {
            for end in 0...length where end == length || parent[end] == IgnorePath.slash {
                if (try? pattern.matches(Bytes(rebasing: parent[..<end]))) == true { return true }
            }
            return false
        }
        if let cleanedCopy { return cleanedCopy.withUnsafeBufferPointer(scan) }
        return scan(path)
    }
}

/// How a pattern is tested. Like patternmatcher, literal patterns and a leading or trailing `**`
/// take byte-comparison fast paths; everything else runs the translated regular expression.
/// A class, so copying a `Pattern` in the match loop costs one reference count.
final class CompiledPattern: Sendable {
    enum Kind { case exact, prefix, suffix, program, invalid }

    let text: String
    /// Number of `/`-separated segments; the deprecated `matches` compares that many parent segments.
    let segmentCount: Int
    let kind: Kind
    let literal: [UInt8]
    let program: RegexProgram?

    init(_ cleaned: [UInt8]) {
        text = String(decoding: cleaned, as: UTF8.self)
        segmentCount = cleaned.reduce(1) { $0 + ($1 == IgnorePath.slash ? 1 : 0) }
        (kind, program) = Self.translate(text)
        switch kind {
        case .exact: literal = cleaned
        case .prefix: literal = Array(cleaned.dropLast(2))  // strip "**"
        case .suffix: literal = Array(cleaned.dropFirst(2))
        case .program, .invalid: literal = []
        }
    }

    /// Throws when the translated regular expression does not compile (patternmatcher reports that
    /// lazily, at match time, as `ErrBadPattern`).
    func matches(_ path: Bytes) throws(PatternError) -> Bool {
        switch kind {
        case .exact: return path.count == literal.count && Bytes.has(literal, in: path, at: 0)
        case .prefix: return Bytes.has(literal, in: path, at: 0)
        case .suffix:
            if Bytes.has(literal, in: path, at: path.count - literal.count) { return true }
            // "**/foo" also matches "foo" itself.
            return literal.first == IgnorePath.slash && path.count == literal.count - 1
                && path.elementsEqual(literal.dropFirst())
        case .program: return program?.matches(path) ?? false
        case .invalid: throw .badPattern(text)
        }
    }

    /// patternmatcher's glob-to-regexp translation, kept exact (including its quirks: a pattern
    /// starting with `**` and otherwise literal is a plain suffix test, `^` passes through raw).
    static func translate(_ pattern: String) -> (Kind, RegexProgram?) {
        var source = Array(pattern.unicodeScalars)[...]
        if source.first == "\u{FEFF}" { source = source.dropFirst() }  // Go's text/scanner skips a BOM
        var kind = Kind.exact
        var regex: [Unicode.Scalar] = ["^"]
        var iteration = 0
        while let ch = source.popFirst() {
            defer { iteration += 1 }
            switch ch {
            case "*" where source.first == "*":
                source.removeFirst()
                if source.first == "/" { source.removeFirst() }
                if source.isEmpty {
                    if kind == .exact { kind = .prefix } else { regex += [".", "*"]; kind = .program }
                } else {
                    regex += ["(", ".", "*", "/", ")", "?"]
                    kind = .program
                }
                if iteration == 0 { kind = .suffix }
            case "*": regex += ["[", "^", "/", "]", "*"]; kind = .program
            case "?": regex += ["[", "^", "/", "]"]; kind = .program
            // patternmatcher means to escape `.+()|{}$`, but its 8-byte bitmap drops `|{}` (code
            // points >= 64), so those reach the regexp raw: `|` alternates, `{2}` repeats.
            case ".", "+", "(", ")", "$": regex += ["\\", ch]
            case "\\":
                if let next = source.popFirst() { regex += ["\\", next]; kind = .program } else { regex.append("\\") }
            case "[", "]": regex.append(ch); kind = .program
            default: regex.append(ch)
            }
        }
        guard kind == .program else { return (kind, nil) }
        regex.append("$")
        var parser = RegexParser(source: regex)
        guard let nodes = try? parser.parseAlternation(), parser.index == regex.count else { return (.invalid, nil) }
        return (.program, RegexProgram(nodes))
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// True when `bytes` occurs in `text` starting at `offset`.
    static func has(_ bytes: [UInt8], in text: Self, at offset: Int) -> Bool {
        guard offset >= 0, offset + bytes.count <= text.count else { return false }
        var i = offset
        for byte in bytes {
            if text[i] != byte { return false }
            i += 1
        }
        return true
    }
}

/// Go's `path/filepath` helpers on byte arrays (Unix separator), shared with `DockerignoreFile`.
enum IgnorePath {
    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// `filepath.Clean`: collapses `//`, drops `.`, resolves `..` lexically; empty becomes `.`.
    static func clean(_ path: [UInt8]) -> [UInt8] {
        if path.isEmpty { return [dot] }
        let rooted = path[0] == slash
        let n = path.count
        var out: [UInt8] = rooted ? [slash] : []
        out.reserveCapacity(n)
        var r = rooted ? 1 : 0
        var dotdot = out.count
        while r < n {
            let atEnd1 = r + 1 == n || path[r + 1] == slash
            if path[r] == slash {
                r += 1
            } else if path[r] == dot && atEnd1 {
                r += 1
            } else if path[r] == dot && path[r + 1] == dot && (r + 2 == n || path[r + 2] == slash) {
                r += 2
                if out.count > dotdot {
                    var w = out.count - 1
                    while w > dotdot && out[w] != slash { w -= 1 }
                    out.removeSubrange(w...)
                } else if !rooted {
                    if !out.isEmpty { out.append(slash) }
                    out += [dot, dot]
                    dotdot = out.count
                }
            } else {
                if out.count != (rooted ? 1 : 0) { out.append(slash) }
                while r < n && path[r] != slash { out.append(path[r]); r += 1 }
            }
        }
        return out.isEmpty ? [dot] : out
    }

    /// `filepath.Dir`: everything before the last `/`, cleaned; `.` when there is no `/`.
    static func dir(_ path: [UInt8]) -> [UInt8] {
        guard let last = path.lastIndex(of: slash) else { return [dot] }
        return clean(Array(path[...last]))
    }

    /// True when `clean` would return `path` unchanged (no empty, `.` or `..` segments).
    static func isClean<C: Collection<UInt8>>(_ path: C) -> Bool where C.Index == Int {
        var segmentStart = path.startIndex
        for i in path.startIndex...path.endIndex where i == path.endIndex || path[i] == slash {
            let length = i - segmentStart
            if length == 0 && !(i == path.startIndex && i != path.endIndex) { return false }
            if (length == 1 || length == 2) && path[segmentStart..<i].allSatisfy({ $0 == dot }) { return false }
            segmentStart = i + 1
        }
        return true
    }

    /// End offsets of each leading run of segments: "a/b/c" gives the ends of "a", "a/b", "a/b/c".
    static func ancestorEnds(_ path: [UInt8]) -> [Int] {
        path.indices.filter { path[$0] == slash } + [path.count]
    }

    /// Go's `strings.TrimSpace`: strips Unicode White_Space scalars from both ends.
    static func trimSpace<S: StringProtocol>(_ text: S) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
