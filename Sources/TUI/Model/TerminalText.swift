/// Turns the raw bytes a step printed into text that is safe to put in a cell grid.
///
/// Steps write for a terminal: progress bars redraw themselves with `\r`, colors and cursor
/// moves come as escape sequences, tabs assume 8-column stops. The dashboard is not that
/// terminal, so each line is reduced to what a person would have read last on it:
/// - a line with carriage returns keeps its last segment that has visible text (so
///   `10%\r50%\r100%\n` is `100%`, and a CRLF ending is just an ending);
/// - escape sequences (CSI, OSC, DCS/PM/APC strings, two- and three-byte escapes, their 8-bit C1
///   forms) are removed, never shown as garbage;
/// - tabs become spaces up to the next multiple of 8; every other control character is dropped.
///
/// The result never contains a control character, so every `Character` is one cell of text.
enum TerminalText {
    /// The visible text of one line's bytes (without its `\n`).
    static func visibleLine(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.withUnsafeBufferPointer { visibleLine($0).text }
    }

    /// The visible text of one line's bytes and its length in cells (`text.count`, measured
    /// here because printable ASCII, the common case, needs no counting).
    static func visibleLine(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: String, length: Int) {
        guard let lastCR = bytes.lastIndex(of: UInt8(ascii: "\r")) else { return measuredClean(bytes) }
        var end = bytes.endIndex
        var cr: Int? = lastCR
        // Walk the CR segments from the last one back to the first with visible text.
        while end > bytes.startIndex {
            let start = cr.map { $0 + 1 } ?? bytes.startIndex
            let line = measuredClean(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            if line.length > 0 { return line }
            end = start > bytes.startIndex ? start - 1 : bytes.startIndex
            cr = bytes[bytes.startIndex..<end].lastIndex(of: UInt8(ascii: "\r"))
        }
        return ("", 0)
    }

    /// Where the last carriage-return segment with content starts, when earlier segments exist:
    /// everything before it has been overwritten on a terminal, so a pending line can forget it.
    /// Trailing carriage returns are not content (`50%\r` keeps `50%`).
    static func overwrittenPrefix(_ bytes: [UInt8]) -> Int? {
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard let cr = bytes[..<end].lastIndex(of: UInt8(ascii: "\r")) else { return nil }
        return cr + 1
    }

    /// Decodes UTF-8 (invalid bytes become U+FFFD), drops escape sequences and control
    /// characters, and expands tabs.
    static func clean(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.withUnsafeBufferPointer { measuredClean($0).text }
    }

    /// `clean` with the result's `count`. Printable ASCII (no escapes, tabs or controls) is
    /// already clean and one cell per byte, so it is taken as it is.
    static func measuredClean(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: String, length: Int) {
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return (String(decoding: bytes, as: UTF8.self), bytes.count)
        }
        let text = cleanAny(bytes)
        return (text, text.utf8.allSatisfy { $0 < 0x80 } ? text.utf8.count : text.count)
    }

    private static func cleanAny(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let decoded = String(decoding: bytes, as: UTF8.self)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var column = 0
        var scalars = decoded.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x1B:
                guard let introducer = scalars.next() else { break }
                switch introducer.value {
                case 0x5B: skipCSI(&scalars)                          // ESC [
                case 0x5D, 0x50, 0x58, 0x5E, 0x5F: skipString(&scalars) // ESC ] P X ^ _
                case 0x20...0x2F: _ = scalars.next()                  // ESC ( B and friends
                default: break                                        // ESC 7, ESC M, …
                }
            case 0x9B: skipCSI(&scalars)
            case 0x9D, 0x90, 0x98, 0x9E, 0x9F: skipString(&scalars)
            case 0x09:
                let spaces = 8 - column % 8
                for _ in 0..<spaces { out.append(UInt8(ascii: " ")) }
                column += spaces
            case 0x00..<0x20, 0x7F, 0x80..<0xA0:
                break
            default:
                if scalar.isASCII {
                    out.append(UInt8(truncatingIfNeeded: scalar.value))
                } else {
                    UTF8.encode(scalar) { out.append($0) }
                }
                column += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Skips a control sequence's parameters and intermediates up to its final byte (0x40–0x7E).
    private static func skipCSI(_ scalars: inout String.UnicodeScalarView.Iterator) {
        while let s = scalars.next() {
            if (0x40...0x7E).contains(s.value) { return }
        }
    }

    /// Skips an OSC/DCS-like string up to BEL, ST (ESC \) or the 8-bit ST.
    private static func skipString(_ scalars: inout String.UnicodeScalarView.Iterator) {
        while let s = scalars.next() {
            switch s.value {
            case 0x07, 0x9C: return
            case 0x1B:
                _ = scalars.next()
                return
            default: continue
            }
        }
    }
}
