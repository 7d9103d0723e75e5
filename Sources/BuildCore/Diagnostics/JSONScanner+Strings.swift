import Foundation

/// JSON strings: finding their end, resolving escapes, checking UTF-8.
extension JSONScanner {
    /// Consumes a string at `offset` (on its opening quote): its content's bounds, whether it holds
    /// escapes, and whether it is all ASCII. Checks escapes' shape and rejects control characters.
    mutating func stringBounds() throws -> (start: Int, end: Int, escaped: Bool, ascii: Bool) {
        offset += 1
        let start = offset
        var escaped = false
        var high: UInt8 = 0
        var highWords: UInt64 = 0
        while offset < bytes.count {
            // Eight bytes at a time while none of them is a quote, a backslash or a control
            // character (the word tests can only err towards "maybe", never miss one).
            if let base = bytes.baseAddress {
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                while offset + 8 <= bytes.count {
                    let v = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
                    let quote = v ^ (ones &* 0x22)
                    let backslash = v ^ (ones &* 0x5C)
                    let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((v &- ones &* 0x20) & ~v)
                    if special & highs != 0 { break }
                    highWords |= v
                    offset += 8
                }
            }
            guard offset < bytes.count else { break }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return (start, offset - 1, escaped, high < 0x80 && highWords & 0x8080_8080_8080_8080 == 0)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                offset += 1
                guard offset < bytes.count else { break }
                switch bytes[offset] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    offset += 1
                case UInt8(ascii: "u"):
                    guard offset + 4 < bytes.count,
                          (1...4).allSatisfy({ Self.hexValue(bytes[offset + $0]) != nil }) else {
                        throw error("invalid \\u escape")
                    }
                    offset += 5
                default:
                    throw error("invalid escape")
                }
                continue
            }
            guard byte >= 0x20 else { throw error("control character in string") }
            high |= byte
            offset += 1
        }
        throw error("unterminated string", at: start - 1)
    }

    /// The bytes of a string's content with escapes resolved (its shape already checked).
    func unescaped(_ start: Int, _ end: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var i = start
        func hex4(_ at: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 << 4 | UInt32(Self.hexValue(bytes[at + $1]) ?? 0) }
        }
        while i < end {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "\\") else { out.append(byte); i += 1; continue }
            let kind = bytes[i + 1]
            i += 2
            switch kind {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    if i + 6 <= end, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                       case let low = hex4(i + 2), (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                Self.appendUTF8(scalar, to: &out)
            default: out.append(kind)
            }
        }
        return out
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            out.append(UInt8(scalar))
        case ..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// A `String` of exactly these bytes; throws when they are not valid UTF-8 (decoding would
    /// have had to repair them, which changes them).
    static func string(fromUTF8 raw: some Collection<UInt8>, at position: Int) throws -> String {
        let text = String(decoding: raw, as: UTF8.self)
        guard text.utf8.elementsEqual(raw) else { throw SyntaxError(offset: position, reason: "invalid UTF-8 in string") }
        return text
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }
}
