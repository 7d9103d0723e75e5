import Foundation

/// Byte-level text helpers with Go's notion of white space, so the parser splits exactly where
/// BuildKit's does (including its quirk of testing single bytes of UTF-8 text with `IsSpace`).
enum ByteText {
    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Length in bytes of a Unicode white-space scalar (Go's `unicode.IsSpace`) at `i`, or 0.
    @inline(__always)
    static func spaceLength(_ b: ArraySlice<UInt8>, at i: Int) -> Int {
        let c = b[i]
        if c == 0x20 || (c >= 0x09 && c <= 0x0D) { return 1 }
        if c < 0x80 { return 0 }
        let end = b.endIndex
        if c == 0xC2, i + 1 < end, b[i + 1] == 0x85 || b[i + 1] == 0xA0 { return 2 }
        if c == 0xE1, i + 2 < end, b[i + 1] == 0x9A, b[i + 2] == 0x80 { return 3 }
        if c == 0xE2, i + 2 < end {
            let c1 = b[i + 1], c2 = b[i + 2]
            if c1 == 0x80, (c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF { return 3 }
            if c1 == 0x81, c2 == 0x9F { return 3 }
        }
        if c == 0xE3, i + 2 < end, b[i + 1] == 0x80, b[i + 2] == 0x80 { return 3 }
        return 0
    }

    /// Go's `unicode.IsSpace(rune(b))` on a single byte: ASCII space plus 0x85 and 0xA0.
    @inline(__always)
    static func isByteSpace(_ c: UInt8) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0
    }

    /// `[\t\v\f\r ]`, BuildKit's `reWhitespace` class.
    @inline(__always)
    static func isSeparator(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0B || c == 0x0C || c == 0x0D
    }

    static func trimNewline(_ b: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = b.endIndex
        while end > b.startIndex, b[end - 1] == 0x0A || b[end - 1] == 0x0D { end -= 1 }
        return b[b.startIndex..<end]
    }

    static func trimLeadingWhitespace(_ b: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var i = b.startIndex
        while i < b.endIndex {
            let n = spaceLength(b, at: i)
            if n == 0 { break }
            i += n
        }
        return b[i...]
    }

    static func trimTrailingWhitespace(_ b: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = b.endIndex
        while end > b.startIndex {
            // Walk back to the start of the last scalar.
            var s = end - 1
            while s > b.startIndex, b[s] & 0xC0 == 0x80 { s -= 1 }
            let n = spaceLength(b, at: s)
            if n == 0 || s + n != end { break }
            end = s
        }
        return b[b.startIndex..<end]
    }

    static func trimSpace(_ b: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        trimTrailingWhitespace(trimLeadingWhitespace(b))
    }

    static func trimLeadingTabs(_ b: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var i = b.startIndex
        while i < b.endIndex, b[i] == 0x09 { i += 1 }
        return b[i...]
    }

    /// Leading white-space characters, for the keyword's column.
    static func leadingWhitespaceCharacters(_ b: ArraySlice<UInt8>) -> Int {
        var i = b.startIndex
        var count = 0
        while i < b.endIndex {
            let n = spaceLength(b, at: i)
            if n == 0 { break }
            i += n
            count += 1
        }
        return count
    }

    static func isComment(_ trimmed: ArraySlice<UInt8>) -> Bool {
        trimmed.first == UInt8(ascii: "#")
    }

    /// A line continues when it ends with the escape token (trailing blanks allowed) that is not
    /// itself escaped: `(^|[^E])E[ \t]*$`. Returns the line without the token.
    static func trimContinuation(_ line: ArraySlice<UInt8>, escape: UInt8) -> (ArraySlice<UInt8>, Bool) {
        var end = line.endIndex
        while end > line.startIndex, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        guard end > line.startIndex, line[end - 1] == escape else { return (line, true) }
        let tokenAt = end - 1
        if tokenAt > line.startIndex, line[tokenAt - 1] == escape { return (line, true) }
        return (line[line.startIndex..<tokenAt], false)
    }

    /// Splits on runs of `[\t\v\f\r ]` like Go's `regexp.Split(s, -1)`; empty fields kept.
    static func splitSeparators(_ b: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = b.startIndex
        var i = b.startIndex
        while i < b.endIndex {
            if isSeparator(b[i]) {
                out.append(b[start..<i])
                while i < b.endIndex, isSeparator(b[i]) { i += 1 }
                start = i
            } else {
                i += 1
            }
        }
        out.append(b[start..<b.endIndex])
        return out
    }

    /// Splits once on the first run of `[\t\v\f\r ]`.
    static func splitOnce(_ b: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>?) {
        var i = b.startIndex
        while i < b.endIndex, !isSeparator(b[i]) { i += 1 }
        guard i < b.endIndex else { return (b, nil) }
        let head = b[b.startIndex..<i]
        while i < b.endIndex, isSeparator(b[i]) { i += 1 }
        return (head, b[i...])
    }
}
