import BuildCore
import Foundation

/// Durations and sizes as the dashboard prints them: short, fixed precision, never negative.
enum DurationText {
    /// `0.4s`, `12.3s`, `1m05s`, `2h03m`.
    static func format(_ seconds: Double) -> String {
        let s = seconds.isFinite ? max(0, seconds) : 0
        if s < 59.95 { return String(format: "%.1fs", s) }
        let whole = Int(s.rounded(.down))
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60)
    }

    /// A log line's time since its step started, BuildKit's plain printer precision, fixed width.
    static func offset(_ seconds: Double) -> String {
        let s = seconds.isFinite ? max(0, seconds) : 0
        if s < 10 { return String(format: "%6.3f", s) }
        if s < 100 { return String(format: "%6.2f", s) }
        if s < 100_000 { return String(format: "%6.1f", s) }
        return String(format: "%6.0f", min(s, 999_999))
    }

    /// Bytes as BuildKit prints them (the plain printer's formatter, so both front ends agree).
    static func bytes(_ count: Int64) -> String {
        PlainProgressPrinter.bytes(count)
    }
}

extension DurationText {
    /// How long ago, for lists of builds: `just now`, `42s ago`, `3m ago`, `5h ago`, `12d ago`.
    /// Days never turn into dates, so a screen does not depend on the time zone.
    static func ago(_ seconds: Double) -> String {
        let s = seconds.isFinite ? Int(seconds.rounded(.down)) : 0
        if s < 10 { return "just now" }
        if s < 60 { return "\(s)s ago" }
        if s < 3600 { return "\(s / 60)m ago" }
        if s < 86_400 { return "\(s / 3600)h ago" }
        return "\(s / 86_400)d ago"
    }
}
