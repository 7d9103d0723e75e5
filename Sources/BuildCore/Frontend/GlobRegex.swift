import Foundation

/// The small regular-expression engine behind `PatternMatcher`: it reproduces Go's `regexp`
/// semantics for exactly the expressions patternmatcher's glob translation can produce, so the
/// matches (and the quirks) are BuildKit's.
/// The glob grammar Go's `filepath.Match` enforces, which patternmatcher uses to reject patterns:
/// `[` `^`? (char | char-char)+ `]` with `\` escapes; `-` and `]` must be escaped as class members;
/// a trailing `\` is an error.
enum GlobSyntax {
    static func isValid(_ p: [UInt8]) -> Bool {
        var i = 0
        while i < p.count {
            switch p[i] {
            case UInt8(ascii: "\\"):
                guard i + 1 < p.count else { return false }
                i += 2
            case UInt8(ascii: "["):
                i += 1
                if i < p.count && p[i] == UInt8(ascii: "^") { i += 1 }
                var ranges = 0
                while !(i < p.count && p[i] == UInt8(ascii: "]") && ranges > 0) {
                    guard classMember(p, &i) else { return false }
                    if p[i] == UInt8(ascii: "-") {
                        i += 1
                        guard classMember(p, &i) else { return false }
                    }
                    ranges += 1
                }
                i += 1
            default:
                i += 1
            }
        }
        return true
    }

    /// One class character (Go's `getEsc`): it must be followed by more pattern text.
    private static func classMember(_ p: [UInt8], _ i: inout Int) -> Bool {
        guard i < p.count, p[i] != UInt8(ascii: "-"), p[i] != UInt8(ascii: "]") else { return false }
        if p[i] == UInt8(ascii: "\\") {
            i += 1
            guard i < p.count else { return false }
        }
        let lead = p[i]
        i += lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        return i < p.count
    }
}

/// A set of Unicode scalar values given as ranges, possibly complemented.
struct ScalarSet: Sendable {
    var ranges: [ClosedRange<UInt32>]
    var negated = false

    func contains(_ value: UInt32) -> Bool {
        for range in ranges where range.contains(value) { return !negated }
        return negated
    }

    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]

    /// RE2's ASCII POSIX classes, as written inside brackets: `[:alpha:]`.
    static func posix(_ name: String) -> [ClosedRange<UInt32>]? {
        switch name {
        case "alnum": return [0x30...0x39, 0x41...0x5A, 0x61...0x7A]
        case "alpha": return [0x41...0x5A, 0x61...0x7A]
        case "ascii": return [0x00...0x7F]
        case "blank": return [0x09...0x09, 0x20...0x20]
        case "cntrl": return [0x00...0x1F, 0x7F...0x7F]
        case "digit": return digit
        case "graph": return [0x21...0x7E]
        case "lower": return [0x61...0x7A]
        case "print": return [0x20...0x7E]
        case "punct": return [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E]
        case "space": return [0x09...0x0D, 0x20...0x20]
        case "upper": return [0x41...0x5A]
        case "word": return word
        case "xdigit": return [0x30...0x39, 0x41...0x46, 0x61...0x66]
        default: return nil
        }
    }

    /// The ranges not covered by `ranges`, over all scalar values.
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = max(next, range.upperBound + 1)
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }
}

enum Assertion: Sendable { case beginText, endText, wordBoundary, notWordBoundary }

/// Parsed regular expression, limited to what the glob translation can produce.
indirect enum RegexNode: Sendable {
    case literal([UInt8])
    case one(ScalarSet)
    case many(ScalarSet)
    case optional([RegexNode])
    case group([RegexNode])
    case alternation([[RegexNode]])
    case assert(Assertion)

    static func literalScalar(_ value: UInt32) -> RegexNode {
        guard let scalar = Unicode.Scalar(value) else { return .one(ScalarSet(ranges: [value...value])) }
        return .literal(Array(String(scalar).utf8))
    }

    static func emit(_ nodes: [RegexNode], into ops: inout [RegexOp]) {
        for node in nodes {
            switch node {
            case .literal(let bytes): ops.append(.literal(bytes))
            case .one(let set): ops.append(.one(set))
            case .many(let set): ops.append(.many(set))
            case .assert(let assertion): ops.append(.assert(assertion))
            case .group(let inner): emit(inner, into: &ops)
            case .optional(let inner):
                let split = ops.count
                ops.append(.split(0))
                emit(inner, into: &ops)
                ops[split] = .split(ops.count)
            case .alternation(let branches):
                var jumps: [Int] = []
                for (number, branch) in branches.enumerated() {
                    let split = ops.count
                    if number < branches.count - 1 { ops.append(.split(0)) }
                    emit(branch, into: &ops)
                    if number < branches.count - 1 {
                        jumps.append(ops.count)
                        ops.append(.jump(0))
                        ops[split] = .split(ops.count)
                    }
                }
                for jump in jumps { ops[jump] = .jump(ops.count) }
            }
        }
    }
}

struct RegexSyntaxError: Error {}

/// Parses the translated pattern with Go's RE2 rules (Perl flags): `.` excludes `\n`, negated
/// classes include it, `\d \s \w` and POSIX classes are ASCII, `|` alternates and `{n,m}` repeats
/// (patternmatcher leaves `|{}` unescaped). `\p{...}` Unicode classes are not supported and make
/// the pattern invalid; so does everything RE2 itself rejects.
struct RegexParser {
    let source: [Unicode.Scalar]
    var index = 0

    init(source: [Unicode.Scalar]) { self.source = source }

    private var peek: Unicode.Scalar? { index < source.count ? source[index] : nil }

    mutating func parseAlternation() throws(RegexSyntaxError) -> [RegexNode] {
        var branches = [try parseSequence()]
        while peek == "|" {
            index += 1
            branches.append(try parseSequence())
        }
        return branches.count == 1 ? branches[0] : [.alternation(branches)]
    }

    private mutating func parseSequence() throws(RegexSyntaxError) -> [RegexNode] {
        var nodes: [RegexNode] = []
        var lastIsRepeat = false
        while let ch = peek, ch != ")", ch != "|" {
            index += 1
            var bounds: (min: Int, max: Int)?
            switch ch {
            case "*": bounds = (0, -1)
            case "+": bounds = (1, -1)
            case "?": bounds = (0, 1)
            case "{": bounds = try parseRepeatBounds()
            default: break
            }
            if let (low, high) = bounds {
                if peek == "?" { index += 1 }  // lazy: same yes/no answer
                guard !lastIsRepeat, let atom = Self.popAtom(&nodes) else { throw RegexSyntaxError() }
                nodes += try Self.repeated(atom, min: low, max: high)
                lastIsRepeat = true
                continue
            }
            lastIsRepeat = false
            switch ch {
            case "(":
                let inner = try parseAlternation()
                guard peek == ")" else { throw RegexSyntaxError() }
                index += 1
                nodes.append(.group(inner))
            case "^": nodes.append(.assert(.beginText))
            case "$": nodes.append(.assert(.endText))
            case ".": nodes.append(.one(ScalarSet(ranges: [0x0A...0x0A], negated: true)))
            case "[": nodes.append(.one(try parseClass()))
            case "\\": try parseEscape(into: &nodes)
            default: Self.appendLiteral(ch.value, to: &nodes)
            }
        }
        return nodes
    }

    private static func appendLiteral(_ value: UInt32, to nodes: inout [RegexNode]) {
        if case .literal(let bytes)? = nodes.last, case .literal(let more) = RegexNode.literalScalar(value) {
            nodes[nodes.count - 1] = .literal(bytes + more)
        } else {
            nodes.append(RegexNode.literalScalar(value))
        }
    }

    /// After `{`: RE2's `{n}`, `{n,}`, `{n,m}`; nil (a literal `{`) when it is not one.
    private mutating func parseRepeatBounds() throws(RegexSyntaxError) -> (min: Int, max: Int)? {
        let start = index
        func number() -> Int? {
            let digits = source[index...].prefix { ("0"..."9").contains($0) }
            if digits.isEmpty || (digits.count > 1 && digits.first == "0") { return nil }
            index += digits.count
            return digits.count > 8 ? -1 : Int(String(String.UnicodeScalarView(digits)))
        }
        guard let low = number() else { index = start; return nil }
        var high = low
        if peek == "," {
            index += 1
            if peek == "}" { high = -1 } else if let parsed = number() { high = parsed } else { index = start; return nil }
        }
        guard peek == "}" else { index = start; return nil }
        index += 1
        guard low >= 0, low <= 1000, high <= 1000, high == -1 || low <= high else { throw RegexSyntaxError() }
        return (low, high)
    }

    /// Removes the last atom, splitting the final scalar off a literal run (repeats bind to it).
    private static func popAtom(_ nodes: inout [RegexNode]) -> RegexNode? {
        guard let last = nodes.popLast() else { return nil }
        guard case .literal(var bytes) = last, bytes.count > 1 else { return last }
        var cut = bytes.count - 1
        while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        let final = Array(bytes[cut...])
        bytes.removeSubrange(cut...)
        if !bytes.isEmpty { nodes.append(.literal(bytes)) }
        return .literal(final)
    }

    /// `atom{min,max}` (max -1: unbounded) spelled with the node kinds the matcher runs.
    private static func repeated(_ atom: RegexNode, min: Int, max: Int) throws(RegexSyntaxError) -> [RegexNode] {
        if case .assert = atom { return min == 0 ? [] : [atom] }
        var nodes = [RegexNode](repeating: atom, count: min)
        guard max == -1 else { return nodes + [RegexNode](repeating: .optional([atom]), count: max - min) }
        switch atom {
        case .one(let set): nodes.append(.many(set))
        case .literal(let bytes):
            let value = String(decoding: bytes, as: UTF8.self).unicodeScalars.first?.value ?? 0
            nodes.append(.many(ScalarSet(ranges: [value...value])))
        default: throw RegexSyntaxError()  // a starred group cannot come out of the translation
        }
        return nodes
    }

    private mutating func parseEscape(into nodes: inout [RegexNode]) throws(RegexSyntaxError) {
        switch peek {
        case "A": index += 1; nodes.append(.assert(.beginText))
        case "z": index += 1; nodes.append(.assert(.endText))
        case "b": index += 1; nodes.append(.assert(.wordBoundary))
        case "B": index += 1; nodes.append(.assert(.notWordBoundary))
        case "Q":  // \Q...\E: literal text
            index += 1
            while index < source.count && !(source[index] == "\\" && index + 1 < source.count && source[index + 1] == "E") {
                Self.appendLiteral(source[index].value, to: &nodes)
                index += 1
            }
            index = Swift.min(index + 2, source.count)
        default:
            if let (ranges, negated) = perlClass() {
                nodes.append(.one(ScalarSet(ranges: ranges, negated: negated)))
            } else {
                Self.appendLiteral(try escapedScalar(), to: &nodes)
            }
        }
    }

    /// After a `\`: `\d \D \s \S \w \W`.
    private mutating func perlClass() -> ([ClosedRange<UInt32>], Bool)? {
        guard let ch = peek else { return nil }
        let ranges: [ClosedRange<UInt32>]
        switch ch {
        case "d", "D": ranges = ScalarSet.digit
        case "s", "S": ranges = ScalarSet.space
        case "w", "W": ranges = ScalarSet.word
        default: return nil
        }
        index += 1
        return (ranges, ch.properties.isUppercase)
    }

    /// After a `\`: escaped punctuation, a control escape, `\x41`, `\x{263a}` or octal `\012`.
    private mutating func escapedScalar() throws(RegexSyntaxError) -> UInt32 {
        guard let ch = peek else { throw RegexSyntaxError() }
        index += 1
        let isOctal = { (c: Unicode.Scalar?) in c.map { ("0"..."7").contains($0) } ?? false }
        if ch.isASCII && !ch.properties.isAlphabetic && !("0"..."9").contains(ch) { return ch.value }
        switch ch {
        case "1"..."7", "0":
            guard ch == "0" || isOctal(peek) else { throw RegexSyntaxError() }  // \1 is a backreference
            var value = ch.value - 48
            for _ in 0..<2 where isOctal(peek) {
                value = value * 8 + (source[index].value - 48)
                index += 1
            }
            return value
        case "x":
            let braced = peek == "{"
            if braced { index += 1 }
            var value: UInt32 = 0, digits = 0
            while let digit = peek, let hex = Int(String(digit), radix: 16), braced || digits < 2 {
                value = value * 16 + UInt32(hex)
                digits += 1
                index += 1
                guard value <= 0x10FFFF else { throw RegexSyntaxError() }
            }
            guard braced ? (digits > 0 && peek == "}") : digits == 2 else { throw RegexSyntaxError() }
            if braced { index += 1 }
            return value
        case "a": return 0x07
        case "f": return 0x0C
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "v": return 0x0B
        default: throw RegexSyntaxError()
        }
    }

    /// After `[`: members up to the closing `]` (a `]` first is a member, as in RE2).
    private mutating func parseClass() throws(RegexSyntaxError) -> ScalarSet {
        var set = ScalarSet(ranges: [])
        if peek == "^" { set.negated = true; index += 1 }
        var first = true
        while peek != "]" || first {
            guard let ch = peek else { throw RegexSyntaxError() }
            first = false
            if ch == "[", index + 1 < source.count, source[index + 1] == ":", let named = try namedClass() {
                set.ranges += named
                continue
            }
            if ch == "\\" {
                index += 1
                if let (ranges, negated) = perlClass() {
                    set.ranges += negated ? ScalarSet.complement(ranges) : ranges
                    continue
                }
            } else {
                index += 1
            }
            let low = try ch == "\\" ? escapedScalar() : ch.value
            var high = low
            if peek == "-", index + 1 < source.count, source[index + 1] != "]" {
                let next = source[index + 1]
                index += 2
                high = try next == "\\" ? escapedScalar() : next.value
                guard high >= low else { throw RegexSyntaxError() }
            }
            set.ranges.append(low...high)
        }
        index += 1
        return set
    }

    /// At `[:`: a POSIX class up to the next `:]` (RE2 searches the rest of the pattern for it);
    /// nil when there is none, an error for an unknown name.
    private mutating func namedClass() throws(RegexSyntaxError) -> [ClosedRange<UInt32>]? {
        var end = index + 2
        while end + 1 < source.count && !(source[end] == ":" && source[end + 1] == "]") { end += 1 }
        guard end + 1 < source.count else { return nil }
        var name = String(String.UnicodeScalarView(source[(index + 2)..<end]))
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        guard let ranges = ScalarSet.posix(name) else { throw RegexSyntaxError() }
        index = end + 2
        return negated ? ScalarSet.complement(ranges) : ranges
    }
}

enum RegexOp: Sendable {
    case literal([UInt8])
    case one(ScalarSet)
    case many(ScalarSet)
    /// Try the next op first (greedy `?`), then continue at the given index.
    case split(Int)
    case jump(Int)
    case assert(Assertion)
}

/// A backtracking matcher over UTF-8 bytes. Pathological patterns fall back to a memoised run, so
/// matching stays polynomial like Go's RE2.
struct RegexProgram: Sendable {
    let ops: [RegexOp]
    /// Literal text every match must start / end with (e.g. ".log" for "**/*.log"): a cheap
    /// rejection before running the program, which is what makes large trees fast.
    let requiredPrefix: [UInt8]
    let requiredSuffix: [UInt8]
    /// The longest mandatory literal, e.g. "node_modules/" for "**/node_modules/**".
    let requiredInfix: [UInt8]

    init(_ nodes: [RegexNode]) {
        var ops: [RegexOp] = []
        RegexNode.emit(nodes, into: &ops)
        self.ops = ops
        // Top-level nodes are all mandatory and in order (alternation hides inside one node).
        var prefix: [UInt8] = [], suffix: [UInt8] = [], infix: [UInt8] = []
        if nodes.count > 1, case .assert(.beginText) = nodes[0], case .literal(let bytes) = nodes[1] { prefix = bytes }
        if nodes.count > 1, case .assert(.endText) = nodes[nodes.count - 1],
           case .literal(let bytes) = nodes[nodes.count - 2] { suffix = bytes }
        for case .literal(let bytes) in nodes where bytes.count > infix.count { infix = bytes }
        requiredPrefix = prefix
        requiredSuffix = suffix
        requiredInfix = infix
    }

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Bytes.has(requiredPrefix, in: text, at: 0),
              Bytes.has(requiredSuffix, in: text, at: text.count - requiredSuffix.count),
              requiredInfix.isEmpty || Self.contains(requiredInfix, in: text) else { return false }
        var quick = RegexRun(ops: ops, text: text, budget: 20_000, memoize: false)
        let answer = quick.search()
        if !quick.exhausted { return answer }
        var thorough = RegexRun(ops: ops, text: text, budget: .max, memoize: true)
        return thorough.search()
    }

    private static func contains(_ bytes: [UInt8], in text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, text.count >= bytes.count else { return bytes.isEmpty }
        for offset in 0...(text.count - bytes.count) where text[offset] == first {
            if Bytes.has(bytes, in: text, at: offset) { return true }
        }
        return false
    }
}

struct RegexRun {
    let ops: [RegexOp]
    let text: UnsafeBufferPointer<UInt8>
    var budget: Int
    var failed: [UInt64]
    var exhausted = false

    init(ops: [RegexOp], text: UnsafeBufferPointer<UInt8>, budget: Int, memoize: Bool) {
        self.ops = ops
        self.text = text
        self.budget = budget
        failed = memoize ? [UInt64](repeating: 0, count: ((ops.count + 1) * (text.count + 1)) / 64 + 1) : []
    }

    /// Unanchored search, as Go's `MatchString`; translated patterns start with `^`, so one try.
    mutating func search() -> Bool {
        var start = 0
        while true {
            if run(0, start) { return true }
            if exhausted || start == text.count { return false }
            if case .assert(.beginText)? = ops.first { return false }
            start += decode(at: start).length
        }
    }

    private func decode(at i: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(text[i])
        if lead < 0x80 { return (lead, 1) }
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        guard length > 1, i + length <= text.count else { return (0xFFFD, 1) }
        var value = lead & (0x7F >> UInt32(length))
        for k in 1..<length { value = value << 6 | UInt32(text[i + k] & 0x3F) }
        return (value, length)
    }

    private func isWord(_ i: Int) -> Bool {
        guard i >= 0, i < text.count else { return false }
        let byte = text[i]
        return byte == 0x5F || (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private mutating func run(_ startPC: Int, _ startPos: Int) -> Bool {
        var pc = startPC, pos = startPos
        while pc < ops.count {
            if !failed.isEmpty {
                let key = pc * (text.count + 1) + pos
                if failed[key >> 6] & (1 << UInt64(key & 63)) != 0 { return false }
                failed[key >> 6] |= 1 << UInt64(key & 63)  // acyclic: revisits only follow failures
            }
            budget -= 1
            if budget < 0 { exhausted = true; return false }
            switch ops[pc] {
            case .literal(let bytes):
                guard pos + bytes.count <= text.count else { return false }
                for (k, byte) in bytes.enumerated() where text[pos + k] != byte { return false }
                pos += bytes.count
            case .one(let set):
                guard pos < text.count else { return false }
                let (value, length) = decode(at: pos)
                guard set.contains(value) else { return false }
                pos += length
            case .many(let set):
                var end = pos
                while end < text.count {
                    let (value, length) = decode(at: end)
                    if !set.contains(value) { break }
                    end += length
                }
                var next: UInt8?  // a following literal's first byte: skip ends that cannot match it
                if pc + 1 < ops.count, case .literal(let bytes) = ops[pc + 1] { next = bytes.first }
                while true {
                    if next == nil || (end < text.count && text[end] == next) {
                        if run(pc + 1, end) { return true }
                        if exhausted { return false }
                    }
                    if end == pos { return false }
                    end -= 1
                    while end > pos && text[end] & 0xC0 == 0x80 { end -= 1 }
                }
            case .split(let alternative):
                if run(pc + 1, pos) { return true }
                if exhausted { return false }
                pc = alternative
                continue
            case .jump(let target):
                pc = target
                continue
            case .assert(let assertion):
                let holds: Bool
                switch assertion {
                case .beginText: holds = pos == 0
                case .endText: holds = pos == text.count
                case .wordBoundary: holds = isWord(pos - 1) != isWord(pos)
                case .notWordBoundary: holds = isWord(pos - 1) == isWord(pos)
                }
                guard holds else { return false }
            }
            pc += 1
        }
        return true
    }
}
