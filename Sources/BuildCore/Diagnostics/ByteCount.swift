import Foundation

/// Byte sizes as people write them: `du`'s `1.5MB`, and the sizes given to `prune
/// --keep-storage` and `RUN --mount=type=tmpfs,size=`.
public enum ByteCount {
    /// Decimal units, as docker's `HumanSize` prints them.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes)B" : String(format: "%.1f%@", value, units[unit])
    }

    /// Docker's `RAMInBytes`, which `docker builder prune --keep-storage` and BuildKit's tmpfs
    /// `size=` both use: a number, one optional space, then `k`, `m`, `g`, `t` or `p` (any
    /// case), each 1024 times the one before however it is spelt (`10g`, `10GB` and `10GiB` are
    /// all 10 GiB), or `b` or nothing for bytes. Nil for anything else, negative or too large.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let last = trimmed.lastIndex(where: { $0.isASCII && ($0.isNumber || $0 == "." || $0 == " ") }) else { return nil }
        let number = trimmed[last] == " " ? trimmed[..<last] : trimmed[...last]
        let unit = trimmed[trimmed.index(after: last)...].lowercased()
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        var factor: Double = 1
        if let first = unit.first, first != "b" {
            guard let power = Array("kmgtp").firstIndex(of: first), ["", "b", "ib"].contains(unit.dropFirst()) else { return nil }
            factor = pow(1024, Double(power + 1))
        } else if unit.count > 1 {
            return nil
        }
        let bytes = value * factor
        return bytes < 0x1p63 ? Int64(bytes) : nil
    }
}
