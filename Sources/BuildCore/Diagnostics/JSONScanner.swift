import Foundation

/// A pull parser over one JSON text in UTF-8: the caller walks objects and arrays and reads the
/// values it wants, and everything it does not want is skipped (but still checked).
///
/// It exists for the hot paths of replay (BuildKit rawjson, build records): `JSONDecoder` builds
/// a whole tree and boxes every value, which costs far more than the few fields we read.
///
/// Invariants:
/// - It accepts exactly RFC 8259 JSON: no trailing commas, comments, single quotes, leading
///   zeros, bare control characters in strings, invalid UTF-8 or unpaired escapes; whatever it
///   rejects throws `SyntaxError` with the byte offset. A lone UTF-16 surrogate in a `\u` escape
///   becomes U+FFFD, as Go's decoder does (BuildKit writes with Go).
/// - Nesting deeper than `maxDepth` throws instead of exhausting the stack.
/// - It reads from an unsafe buffer and never outlives it: create it inside
///   `withUnsafeBytes`/`withContiguousStorageIfAvailable` (see `scan(_:_:)`).
struct JSONScanner {
    /// Why a text is not the JSON the caller expected, and where (a byte offset).
    struct SyntaxError: Error, Equatable, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    /// An object key as it appears in the text; compared without copying when it has no escapes.
    struct Key {
        var start: Int
        var end: Int
        var escaped: Bool
    }

    static let maxDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    /// Where reading continues (a byte offset into `bytes`).
    var offset = 0
    /// Set by `beginObject`/`beginArray` and cleared by the first `nextKey`/`nextElement`: values
    /// nest strictly, so one flag tells "first member" from "after a member" at every level.
    private var fresh = false

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Runs `body` with a scanner over `collection`'s bytes (copied only if not contiguous).
    static func scan<C: Collection<UInt8>, R>(_ collection: C, _ body: (inout JSONScanner) throws -> R) rethrows -> R {
        if let result = try collection.withContiguousStorageIfAvailable({ buffer -> R in
            var scanner = JSONScanner(buffer)
            return try body(&scanner)
        }) {
            return result
        }
        return try Array(collection).withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            return try body(&scanner)
        }
    }

    func error(_ reason: String, at position: Int? = nil) -> SyntaxError {
        SyntaxError(offset: position ?? offset, reason: reason)
    }

    // MARK: - Structure

    @inline(__always)
    mutating func skipSpace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    /// The next significant byte, without consuming it (nil at the end).
    @inline(__always)
    mutating func peek() -> UInt8? {
        skipSpace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == byte else {
            throw error("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        offset += 1
    }

    /// Requires that nothing but whitespace follows.
    mutating func end() throws {
        skipSpace()
        guard offset == bytes.count else { throw error("unexpected text after the value") }
    }

    mutating func beginObject() throws {
        try expect(UInt8(ascii: "{"))
        fresh = true
    }

    /// The next key of the object being read (its `:` consumed), or nil at its closing brace.
    mutating func nextKey() throws -> Key? {
        guard try nextMember(closing: UInt8(ascii: "}")) else { return nil }
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("expected a key") }
        let (start, end, escaped, _) = try stringBounds()
        try expect(UInt8(ascii: ":"))
        return Key(start: start, end: end, escaped: escaped)
    }

    mutating func beginArray() throws {
        try expect(UInt8(ascii: "["))
        fresh = true
    }

    /// True when another element of the array being read follows (its comma consumed).
    mutating func nextElement() throws -> Bool {
        try nextMember(closing: UInt8(ascii: "]"))
    }

    private mutating func nextMember(closing: UInt8) throws -> Bool {
        skipSpace()
        guard offset < bytes.count else { throw error("unexpected end") }
        let byte = bytes[offset]
        if byte == closing {
            offset += 1
            fresh = false
            return false
        }
        if fresh {
            fresh = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw error("expected ',' or '\(Character(Unicode.Scalar(closing)))'") }
            offset += 1
            skipSpace()
        }
        return true
    }

    /// Whether `key` is `name` (ASCII).
    @inline(__always)
    func key(_ key: Key, is name: StaticString) -> Bool {
        if key.escaped { return (try? unescaped(key.start, key.end)).map { $0.elementsEqual(name.utf8Buffer) } ?? false }
        let count = key.end - key.start
        guard count == name.utf8CodeUnitCount, let base = bytes.baseAddress else { return false }
        return memcmp(base + key.start, name.utf8Start, count) == 0
    }

    /// The key's text (for messages and unknown keys).
    func text(of key: Key) -> String {
        let raw = key.escaped ? ((try? unescaped(key.start, key.end)) ?? [])
                              : Array(UnsafeBufferPointer(rebasing: bytes[key.start..<key.end]))
        return String(decoding: raw, as: UTF8.self)
    }

    // MARK: - Values

    /// True (and consumed) when the next value is `null`: how optional fields read.
    mutating func readNullIfPresent() throws -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func readBool() throws -> Bool {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw error("expected true or false")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count, let base = bytes.baseAddress,
              memcmp(base + offset, word.utf8Start, count) == 0 else { throw error("invalid literal") }
        offset += count
    }

    mutating func readString() throws -> String {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        let (start, end, escaped, ascii) = try stringBounds()
        if escaped { return try Self.string(fromUTF8: unescaped(start, end), at: start) }
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<end])
        return ascii ? String(decoding: raw, as: UTF8.self) : try Self.string(fromUTF8: raw, at: start)
    }

    /// A string value's raw bytes (escapes resolved only when there are any), for values that are
    /// bytes in another encoding (base64) or that the caller interns.
    mutating func readStringBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        let (start, end, escaped, _) = try stringBounds()
        if escaped { return try unescaped(start, end).withUnsafeBufferPointer(body) }
        return try body(UnsafeBufferPointer(rebasing: bytes[start..<end]))
    }

    /// A base64 string (standard alphabet, padding optional) as the bytes it encodes.
    mutating func readBase64() throws -> Data {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        let at = offset
        // Base64 has no quote, backslash or control character: when the bytes up to the next
        // quote decode, they were the whole string. Anything else takes the general path.
        if let base = bytes.baseAddress, let quote = memchr(base + at + 1, 0x22, bytes.count - at - 1) {
            let end = UnsafeRawPointer(quote).assumingMemoryBound(to: UInt8.self) - base
            if let data = Base64.decode(UnsafeBufferPointer(rebasing: bytes[(at + 1)..<end])) {
                offset = end + 1
                return data
            }
        }
        guard let data = try readStringBytes({ Base64.decode($0) }) else { throw error("invalid base64", at: at) }
        return data
    }

    mutating func readInt64() throws -> Int64 {
        skipSpace()
        let start = offset
        var negative = false
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { negative = true; offset += 1 }
        var value: Int64 = 0
        var digits = 0
        var overflow = false
        while offset < bytes.count, bytes[offset] &- 0x30 < 10 {
            let digit = Int64(bytes[offset] &- 0x30)
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            overflow = overflow || o1 || o2
            value = s
            digits += 1
            offset += 1
        }
        guard digits > 0 else { offset = start; throw error("expected a number") }
        guard digits == 1 || bytes[start + (negative ? 1 : 0)] != 0x30 else { throw error("leading zero", at: start) }
        let next = offset < bytes.count ? bytes[offset] : 0
        if overflow || next == UInt8(ascii: ".") || next | 0x20 == UInt8(ascii: "e") {
            // A fraction or exponent: accepted when the number is a whole one that fits.
            offset = start
            let number = try readDouble()
            guard number == number.rounded(), let whole = Int64(exactly: number) else {
                throw error("not an integer", at: start)
            }
            return whole
        }
        return value
    }

    mutating func readInt() throws -> Int {
        Int(try readInt64())
    }

    mutating func readDouble() throws -> Double {
        skipSpace()
        let start = offset
        try skipNumber()
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let value = Double(text) else { throw error("invalid number", at: start) }
        return value
    }

    /// Skips one value of any kind, checking it.
    mutating func skipValue(depth: Int = 0) throws {
        guard depth < Self.maxDepth else { throw error("nested too deeply") }
        switch peek() {
        case UInt8(ascii: "{"):
            try beginObject()
            while try nextKey() != nil { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try beginArray()
            while try nextElement() { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            let (start, end, escaped, ascii) = try stringBounds()
            if escaped { _ = try Self.string(fromUTF8: unescaped(start, end), at: start) }
            else if !ascii { _ = try Self.string(fromUTF8: UnsafeBufferPointer(rebasing: bytes[start..<end]), at: start) }
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try readBool()
        case UInt8(ascii: "n"):
            try literal("null")
        case .some:
            try skipNumber()
        case nil:
            throw error("unexpected end")
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func skipNumber() throws {
        let start = offset
        func digits() -> Int {
            let from = offset
            while offset < bytes.count, bytes[offset] &- 0x30 < 10 { offset += 1 }
            return offset - from
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let intStart = offset
        let intDigits = digits()
        guard intDigits > 0 else { throw error("expected a value", at: start) }
        guard intDigits == 1 || bytes[intStart] != 0x30 else { throw error("leading zero", at: start) }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits() > 0 else { throw error("expected digits after '.'") }
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw error("expected exponent digits") }
        }
    }
}

extension StaticString {
    fileprivate var utf8Buffer: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: utf8Start, count: utf8CodeUnitCount)
    }
}
