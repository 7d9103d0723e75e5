import Foundation

/// Numbers as BuildKit's plain printer writes them (Go's `%.Nf`, tonistiigi/units sizes).
extension PlainProgressPrinter {
    /// Sizes as BuildKit prints them (tonistiigi/units `%.2f`): whole bytes under 1000, else
    /// decimal units with two decimals (`84B`, `16.61kB`, `3.40MB`).
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var unit = 0
        var base: Double = 1
        while unit + 1 < units.count, Double(count.magnitude) >= base * 1000 {
            base *= 1000
            unit += 1
        }
        if unit == 0 { return "\(count)B" }
        return fixed(Double(count) / base, digits: 2) + units[unit]
    }

    /// `String(format: "%.<digits>f", value)` for 1 to 3 digits.
    static func fixed(_ value: Double, digits: Int) -> String {
        var text: [UInt8] = []
        appendFixed(value, digits: digits, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `String(format: "%.<digits>f", value)` (1 to 3 digits), without the formatter for
    /// the common case: a non-negative value below a million whose scaled fraction is not within
    /// rounding noise of a tie. Those, and everything else, go to printf, which rounds the exact
    /// binary value.
    static func appendFixed(_ value: Double, digits: Int, to out: inout [UInt8]) {
        let unit = digits == 1 ? 10 : (digits == 2 ? 100 : (digits == 3 ? 1000 : 0))
        let scaled = value * Double(unit)
        let whole = scaled.rounded(.down)
        let fraction = scaled - whole
        guard unit > 0, value >= 0, value < 1e6, abs(fraction - 0.5) > 1e-6 else {
            out.append(contentsOf: String(format: "%.\(digits)f", value).utf8)
            return
        }
        let n = Int(whole) + (fraction > 0.5 ? 1 : 0)
        out.append(contentsOf: String(n / unit).utf8)
        out.append(UInt8(ascii: "."))
        var rest = n % unit
        var divisor = unit / 10
        while divisor > 0 {
            out.append(UInt8(48 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
