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

        /// Skips any JSON value; false on a syntax error.
        mutating func value() -> Bool {
            skipSpace()
            guard let c = peek() else { return false }
            switch c {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                let object = c == UInt8(ascii: "{")
                let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
                pos += 1
                skipSpace()
                if peek() == close { pos += 1; return true }
                while true {
                    skipSpace()
                    if object {
                        guard peek() == UInt8(ascii: "\""), string() != nil else { return false }
                        skipSpace()
                        guard peek() == UInt8(ascii: ":") else { return false }
                        pos += 1
                    }
                    guard value() else { return false }
                    skipSpace()
                    guard let d = peek() else { return false }
                    pos += 1
                    if d == close { return true }
                    if d != UInt8(ascii: ",") { return false }
                }
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
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

        /// A JSON string at `pos` (which holds the opening quote), decoded.
        mutating func string() -> String? {
            pos += 1
            var out: [UInt8] = []
            while let c = peek() {
                pos += 1
                if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                if c < 0x20 { return nil }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard let e = peek() else { return nil }
                pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        let save = pos
                        if peek() == UInt8(ascii: "\\") {
                            pos += 1
                            if peek() == UInt8(ascii: "u") {
                                pos += 1
                                if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                                } else {
                                    pos = save
                                    scalar = 0xFFFD
                                }
                            } else {
                                pos = save
                                scalar = 0xFFFD
                            }
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        scalar = 0xFFFD
                    }
                    out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                default:
                    return nil
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let c = peek() else { return nil }
                pos += 1
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
    }
}
