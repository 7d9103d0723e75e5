import Foundation

/// RFC 3339 straight between bytes and `RFC3339Time`, for the per-line timestamps of rawjson and
/// build records: no `String`, no `Array`, no formatter on the hot path.
extension RFC3339Time {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` exactly as `init?(parsing:)` documents.
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> RFC3339Time? {
        @inline(__always) func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                let d = b[i] &- 48
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard b.count >= 20,
              let year = number(0, 4), b[4] == UInt8(ascii: "-"),
              let month = number(5, 2), b[7] == UInt8(ascii: "-"),
              let day = number(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == 0x20,
              let hour = number(11, 2), b[13] == UInt8(ascii: ":"),
              let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
              let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var nanos = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] &- 48 < 10 {
                if digits < 9 { nanos = nanos * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"),
                  let om = number(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        return RFC3339Time(seconds: secs, nanoseconds: Int32(nanos))
    }

    /// Appends `formatted(fractionDigits: 6)` (always 27 bytes for years 0–9999) to `out`.
    func appendMicroseconds(to out: inout [UInt8]) {
        let (dayCount, secOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let days = secOfDay < 0 ? dayCount - 1 : dayCount
        let sod = Int(secOfDay < 0 ? secOfDay + 86_400 : secOfDay)
        let (y, m, d) = Self.civil(fromDays: Int(days))
        guard (0...9999).contains(y) else {
            out.append(contentsOf: formatted(fractionDigits: 6).utf8)
            return
        }
        @inline(__always) func digits(_ v: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = v
            while divisor > 0 {
                out.append(UInt8(48 + rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(y, 4)
        out.append(UInt8(ascii: "-"))
        digits(m, 2)
        out.append(UInt8(ascii: "-"))
        digits(d, 2)
        out.append(UInt8(ascii: "T"))
        digits(sod / 3600, 2)
        out.append(UInt8(ascii: ":"))
        digits(sod % 3600 / 60, 2)
        out.append(UInt8(ascii: ":"))
        digits(sod % 60, 2)
        out.append(UInt8(ascii: "."))
        digits(Int(nanoseconds) / 1000, 6)
        out.append(UInt8(ascii: "Z"))
    }
}
