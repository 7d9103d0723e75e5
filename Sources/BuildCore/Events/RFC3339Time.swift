import Foundation

/// An instant as BuildKit writes it: whole seconds since 1970 plus nanoseconds, parsed from and
/// printed as RFC 3339 text.
///
/// It exists because `Date` is a `Double` of seconds since 2001, which holds only about a tenth of
/// a microsecond at today's dates: BuildKit's nanosecond timestamps survive a rawjson round trip
/// through `SolveStatus` exactly only if they are kept as integers. Conversions to and from `Date`
/// (for `BuildEvent.time`) are rounded to whole microseconds, so they are stable: the same `Date`
/// always prints the same text, and that text parses back to the same `Date`.
///
/// Parsing does its own calendar arithmetic (proleptic Gregorian, as Go and RFC 3339 do) instead of
/// `DateFormatter`, so it is locale-free and cheap enough for a log flood.
public struct RFC3339Time: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z (may be negative).
    public var seconds: Int64
    /// 0 ..< 1_000_000_000.
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32) {
        let carry = Int64(nanoseconds) / 1_000_000_000
        var ns = Int64(nanoseconds) % 1_000_000_000
        var s = seconds + carry
        if ns < 0 { ns += 1_000_000_000; s -= 1 }
        self.seconds = s
        self.nanoseconds = Int32(ns)
    }

    /// `date`, rounded to the microsecond (see the type's note on `Date` precision).
    public init(_ date: Date) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (q, r) = micros.quotientAndRemainder(dividingBy: 1_000_000)
        self.init(seconds: r < 0 ? q - 1 : q, nanoseconds: Int32((r < 0 ? r + 1_000_000 : r) * 1000))
    }

    /// The nearest `Date`, rounded to the microsecond, so that `RFC3339Time(t.date) == t` whenever
    /// `t` has at most microsecond precision.
    public var date: Date {
        let micros = seconds * 1_000_000 + (Int64(nanoseconds) + 500) / 1000
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    public static func < (a: RFC3339Time, b: RFC3339Time) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; any number of fraction digits (past nine
    /// are truncated, as Go does), `t`/`z`/space accepted for leniency. Nil for anything else.
    public init?(parsing text: some StringProtocol) {
        let parsed = text.utf8.withContiguousStorageIfAvailable(Self.parse)
            ?? Array(text.utf8).withUnsafeBufferPointer(Self.parse)
        guard let parsed else { return nil }
        self = parsed
    }

    /// Go's `time.RFC3339Nano` in UTC: the fraction's trailing zeros trimmed, no fraction at all
    /// when it is zero (`2024-01-02T03:04:05.12Z`, `2024-01-02T03:04:05Z`).
    public var description: String { formatted(fractionDigits: nil) }

    /// RFC 3339 in UTC with exactly `fractionDigits` digits of fraction (truncated), or Go's trimmed
    /// form when nil. A fixed width suits readers such as `ISO8601DateFormatter` with
    /// `.withFractionalSeconds`, which reject a missing fraction.
    public func formatted(fractionDigits: Int?) -> String {
        let (dayCount, secOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let days = secOfDay < 0 ? dayCount - 1 : dayCount
        let sod = secOfDay < 0 ? secOfDay + 86_400 : secOfDay
        let (y, m, d) = Self.civil(fromDays: Int(days))
        var out = Self.pad(y, 4) + "-" + Self.pad(m, 2) + "-" + Self.pad(d, 2) + "T"
        out += Self.pad(Int(sod / 3600), 2) + ":" + Self.pad(Int(sod % 3600 / 60), 2) + ":" + Self.pad(Int(sod % 60), 2)
        var fraction = Self.pad(Int(nanoseconds), 9)
        if let digits = fractionDigits {
            fraction = String(fraction.prefix(max(0, min(9, digits))))
        } else {
            while fraction.hasSuffix("0") { fraction.removeLast() }
        }
        if !fraction.isEmpty { out += "." + fraction }
        return out + "Z"
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let t = RFC3339Time(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an RFC 3339 time: \(text)"))
        }
        self = t
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension RFC3339Time {
    /// `JSONEncoder`/`JSONDecoder` strategies for `Date` used by build records and `history`
    /// output: RFC 3339 UTC with six fraction digits, parsed back with any precision.
    public static let dateEncoding: JSONEncoder.DateEncodingStrategy = .custom { date, encoder in
        var c = encoder.singleValueContainer()
        try c.encode(RFC3339Time(date).formatted(fractionDigits: 6))
    }

    public static let dateDecoding: JSONDecoder.DateDecodingStrategy = .custom { decoder in
        let c = try decoder.singleValueContainer()
        if let seconds = try? c.decode(Double.self) { return Date(timeIntervalSince1970: seconds) }
        let text = try c.decode(String.self)
        guard let t = RFC3339Time(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an RFC 3339 time: \(text)"))
        }
        return t.date
    }
}
