import Foundation

/// Reads the first JSON value of an instruction's arguments the way Go's `json.Decoder` does for
/// BuildKit's exec form: anything after the first complete value is ignored, any syntax error means
/// "not JSON" (shell form), and a valid array holding a non-string is an error of its own.
enum JSONArrayPrefix {
    enum Outcome: Equatable {
        case strings([String])
        case notStringArray
        case invalid
    }

    static func parse(_ bytes: ArraySlice<UInt8>) -> Outcome {
        var reader = Reader(bytes: bytes, pos: bytes.startIndex)
        // BuildKit trims leading Unicode white space and requires '['.
        reader.pos = ByteText.trimLeadingWhitespace(bytes).startIndex
        guard reader.peek() == UInt8(ascii: "[") else { return .invalid }
        reader.pos += 1
        var strings: [String] = []
        var allStrings = true
        reader.skipSpace()
        if reader.peek() == UInt8(ascii: "]") { return .strings([]) }
        while true {
            reader.skipSpace()
            if reader.peek() == UInt8(ascii: "\"") {
                guard let s = reader.string() else { return .invalid }
                strings.append(s)
            } else {
                guard reader.value() else { return .invalid }
                allStrings = false
            }
            reader.skipSpace()
            guard let c = reader.peek() else { return .invalid }
            reader.pos += 1
            if c == UInt8(ascii: "]") { break }
            if c != UInt8(ascii: ",") { return .invalid }
        }
        return allStrings ? .strings(strings) : .notStringArray
    }

    struct Reader {
        let bytes: ArraySlice<UInt8>
        var pos: Int

        func peek() -> UInt8? { pos < bytes.endIndex ? bytes[pos] : nil }

        mutating func skipSpace() {
            while let c = peek(), c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { pos += 1 }
        }

        /// Go's decoder gives up past this nesting ("exceeded max depth"): the words are then not
        /// JSON, as in BuildKit.
        static let maxDepth = 10_000

        /// Skips any JSON value; false on a syntax error. Iterative, with its open brackets on a
        /// stack of its own: a Dockerfile is untrusted input and may nest without end.
        mutating func value() -> Bool {
            var open: [UInt8] = []   // the closers still expected, innermost last
            while true {
                // A value.
                skipSpace()
                guard let c = peek() else { return false }
                switch c {
                case UInt8(ascii: "\""):
                    guard string() != nil else { return false }
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    let object = c == UInt8(ascii: "{")
                    let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    pos += 1
                    skipSpace()
                    if peek() == close {
                        pos += 1
                    } else {
                        guard open.count < Self.maxDepth else { return false }
                        open.append(close)
                        if object && !key() { return false }
                        continue
                    }
                case UInt8(ascii: "t"): guard literal("true") else { return false }
                case UInt8(ascii: "f"): guard literal("false") else { return false }
                case UInt8(ascii: "n"): guard literal("null") else { return false }
                default: guard number() else { return false }
                }
                // After a value: close what ends here, or go on to the next element.
                while let close = open.last {
                    skipSpace()
                    guard let d = peek() else { return false }
                    pos += 1
                    if d == close {
                        open.removeLast()
                        continue
                    }
                    guard d == UInt8(ascii: ",") else { return false }
                    if close == UInt8(ascii: "}") && !key() { return false }
                    break
                }
                if open.isEmpty { return true }
            }
        }

        /// An object member's `"key":`, before its value.
        mutating func key() -> Bool {
            skipSpace()
            guard peek() == UInt8(ascii: "\""), string() != nil else { return false }
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { return false }
            pos += 1
            return true
        }

        mutating func literal(_ word: String) -> Bool {
            for b in word.utf8 {
                guard peek() == b else { return false }
                pos += 1
            }
            return true
        }

        mutating func number() -> Bool {
            func digits() -> Int {
                var n = 0
                while let c = peek(), c >= 0x30 && c <= 0x39 { pos += 1; n += 1 }
                return n
            }
            if peek() == UInt8(ascii: "-") { pos += 1 }
            guard let first = peek(), first >= 0x30 && first <= 0x39 else { return false }
            if first == 0x30 { pos += 1 } else { _ = digits() }
            if peek() == UInt8(ascii: ".") {
                pos += 1
                guard digits() > 0 else { return false }
            }
            if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                pos += 1
                if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { pos += 1 }
                guard digits() > 0 else { return false }
            }
            return true
        }

        /// A JSON string at `pos` (which holds the opening quote), decoded by the JSON scanner
        /// (escapes, surrogate pairs, control characters); nil when it is not a valid string.
        mutating func string() -> String? {
            let from = pos - bytes.startIndex
            let decoded: (end: Int, text: [UInt8])? = bytes.withUnsafeBufferPointer { buffer in
                var scanner = JSONScanner(buffer)
                scanner.offset = from
                guard let bounds = try? scanner.stringBounds(),
                      let text = bounds.escaped ? try? scanner.unescaped(bounds.start, bounds.end)
                                                : Array(buffer[bounds.start..<bounds.end]) else { return nil }
                return (scanner.offset, text)
            }
            guard let decoded else { return nil }
            pos = bytes.startIndex + decoded.end
            return String(decoding: decoded.text, as: UTF8.self)
        }
    }
}
