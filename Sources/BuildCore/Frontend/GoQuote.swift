import Foundation

/// Go's `strconv.Quote`, used by BuildKit's AST dump and error messages: escapes `"` and `\`,
/// control characters and non-printable scalars; printable Unicode is kept as is.
enum GoQuote {
    static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x0B: out += "\\v"
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            case 0..<0x20, 0x7F: out += "\\x" + hex(v, width: 2)
            default:
                if isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if v < 0x10000 {
                    out += "\\u" + hex(v, width: 4)
                } else {
                    out += "\\U" + hex(v, width: 8)
                }
            }
        }
        out += "\""
        return out
    }

    /// Go's `%q` of a string slice: `["a" "b"]`.
    static func quoteList(_ list: [String]) -> String {
        "[" + list.map(quote).joined(separator: " ") + "]"
    }

    private static func hex(_ v: UInt32, width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols (and ASCII space).
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }
}
