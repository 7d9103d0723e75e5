import Foundation

/// Standard base64 (RFC 4648 §4, the alphabet with `+` and `/`) straight between bytes, for the
/// log payloads of rawjson and build records.
///
/// Foundation's `Data(base64Encoded:)` needs a `String` first and `base64EncodedString()` makes
/// one; on a log flood those copies cost more than the coding itself.
///
/// Invariants: `encode` always pads; `decode` accepts text with or without padding, rejects any
/// other byte (whitespace included) and a length no encoder produces, and ignores the unused low
/// bits of the last group (as Go's and Python's decoders do).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Each byte's 6-bit value, or 0xFF when it is not in the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Appends the padded encoding of `data` to `out`.
    static func encode(_ data: Data, into out: inout [UInt8]) {
        let count = data.count
        guard count > 0 else { return }
        let start = out.count
        let encodedCount = (count + 2) / 3 * 4
        out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: encodedCount))
        alphabet.withUnsafeBufferPointer { abc in
            out.withUnsafeMutableBufferPointer { dest in
                data.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
                    var i = 0
                    var o = start
                    while i + 3 <= count {
                        let v = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
                        dest[o] = abc[Int(v >> 18)]
                        dest[o + 1] = abc[Int(v >> 12 & 0x3F)]
                        dest[o + 2] = abc[Int(v >> 6 & 0x3F)]
                        dest[o + 3] = abc[Int(v & 0x3F)]
                        i += 3
                        o += 4
                    }
                    if i < count {
                        let v = UInt32(src[i]) << 16 | (i + 1 < count ? UInt32(src[i + 1]) << 8 : 0)
                        dest[o] = abc[Int(v >> 18)]
                        dest[o + 1] = abc[Int(v >> 12 & 0x3F)]
                        if i + 1 < count { dest[o + 2] = abc[Int(v >> 6 & 0x3F)] }
                    }
                }
            }
        }
    }

    /// The padded encoding of `data` as text.
    static func encodedString(_ data: Data) -> String {
        var out: [UInt8] = []
        encode(data, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil when it is not base64.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> Data? {
        var count = text.count
        if count >= 4, count % 4 == 0 {
            if text[count - 1] == UInt8(ascii: "=") { count -= 1 }
            if text[count - 1] == UInt8(ascii: "=") { count -= 1 }
        }
        guard count % 4 != 1 else { return nil }
        let decodedCount = count / 4 * 3 + max(0, count % 4 - 1)
        guard decodedCount > 0 else { return Data() }
        guard decodedCount > 14 else {
            // Small enough for `Data` to keep inline.
            var data = Data(count: decodedCount)
            let valid = data.withUnsafeMutableBytes { decode(text, count: count, into: $0) }
            return valid ? data : nil
        }
        guard let memory = malloc(decodedCount) else { return nil }
        guard decode(text, count: count, into: UnsafeMutableRawBufferPointer(start: memory, count: decodedCount)) else {
            free(memory)
            return nil
        }
        return Data(bytesNoCopy: memory, count: decodedCount, deallocator: .free)
    }

    /// Decodes the first `count` bytes of `text` (no padding among them) into `dest`; false when
    /// one is not in the alphabet.
    private static func decode(_ text: UnsafeBufferPointer<UInt8>, count: Int, into dest: UnsafeMutableRawBufferPointer) -> Bool {
        values.withUnsafeBufferPointer { table -> Bool in
            var bad: UInt8 = 0
            var i = 0
            var o = 0
            while i + 4 <= count {
                let a = table[Int(text[i])], b = table[Int(text[i + 1])]
                let c = table[Int(text[i + 2])], d = table[Int(text[i + 3])]
                bad |= a | b | c | d
                let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                dest[o] = UInt8(truncatingIfNeeded: v >> 16)
                dest[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                dest[o + 2] = UInt8(truncatingIfNeeded: v)
                i += 4
                o += 3
            }
            let rest = count - i
            if rest >= 2 {
                let a = table[Int(text[i])], b = table[Int(text[i + 1])]
                let c = rest == 3 ? table[Int(text[i + 2])] : 0
                bad |= a | b | c
                let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                dest[o] = UInt8(truncatingIfNeeded: v >> 16)
                if rest == 3 { dest[o + 1] = UInt8(truncatingIfNeeded: v >> 8) }
            }
            return bad & 0x80 == 0
        }
    }
}
