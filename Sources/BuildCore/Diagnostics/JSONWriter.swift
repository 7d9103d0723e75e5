import Foundation

/// Writes compact JSON into a byte buffer, fields in the order the caller writes them: what makes
/// build record lines byte-stable without sorting or reflection.
///
/// Invariants:
/// - Strings are escaped per RFC 8259: `"` and `\`, control characters (the short escapes where
///   JSON has them, `\u00XX` otherwise); everything else, non-ASCII included, is copied as UTF-8.
///   A Swift `String` is always valid UTF-8, so the output always is too.
/// - Numbers are exact: integers in decimal, doubles in Swift's shortest round-trip form, which
///   parses back to the same `Double`. JSON has no infinity or NaN; those are written as `0`.
/// - Commas are placed by the writer: containers nest strictly, so one flag ("a value was written
///   at this level") is enough.
struct JSONWriter {
    var bytes: [UInt8]
    private var needsComma = false

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Starts a member of the current object: `"name":` (after a comma when needed).
    mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// `key(_:)` for a name known only at run time.
    mutating func key(text name: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Continues an object whose opening and first members were written with `raw`: the next key
    /// gets a comma.
    mutating func resumeObject() {
        needsComma = true
    }

    /// Starts an element of the current array (a comma when needed).
    mutating func element() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    /// Appends text that is already JSON (a literal, a quoted ASCII constant).
    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in Self.appendEscaped(utf8, to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func strings(_ list: [String]) {
        beginArray()
        for item in list {
            element()
            string(item)
        }
        endArray()
    }

    mutating func int<I: BinaryInteger>(_ value: I) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(48) + UInt8(value))
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    mutating func double(_ value: Double) {
        guard value.isFinite else { bytes.append(UInt8(ascii: "0")); return }
        bytes.append(contentsOf: value.description.utf8)
    }

    mutating func bool(_ value: Bool) {
        value ? raw("true") : raw("false")
    }

    mutating func base64(_ data: Data) {
        bytes.append(UInt8(ascii: "\""))
        Base64.encode(data, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func time(_ date: Date) {
        bytes.append(UInt8(ascii: "\""))
        RFC3339Time(date).appendMicroseconds(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends the escaped form of UTF-8 text (without quotes), copying unescaped runs whole.
    static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        for i in 0..<utf8.count {
            let byte = utf8[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            runStart = i + 1
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
        }
        if runStart < utf8.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
    }
}
