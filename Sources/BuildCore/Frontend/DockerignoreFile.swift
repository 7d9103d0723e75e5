import Foundation

/// Reader for `.dockerignore` files, following BuildKit's `ignorefile.ReadAll` so a context is
/// filtered exactly as `docker build` would filter it.
public enum DockerignoreFile {
    /// Returns the patterns of a `.dockerignore`, in order, ready for `PatternMatcher(patterns:)`.
    ///
    /// - Lines end at `\n`; one trailing `\r` is dropped (CRLF files). A UTF-8 BOM is stripped from
    ///   the first line only.
    /// - A line whose very first character is `#` is a comment; `  # x` (indented) is a pattern.
    /// - Lines are trimmed of Unicode whitespace; empty lines are skipped.
    /// - A leading `!` (exclusion) is kept, with whitespace after it removed; the rest is cleaned
    ///   like `filepath.Clean`, and a leading `/` is dropped because patterns are context-relative.
    ///   A lone `!` is kept as is; `PatternMatcher` rejects it.
    public static func parse(_ text: String) -> [String] {
        var patterns: [String] = []
        let bytes = Array(text.utf8)
        var lineStart = 0
        var isFirstLine = true
        while lineStart < bytes.count {
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n"))
            var line = bytes[lineStart..<(newline ?? bytes.count)]
            lineStart = (newline ?? bytes.count) + 1
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if isFirstLine && line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
            isFirstLine = false
            if line.first == UInt8(ascii: "#") { continue }
            if let pattern = normalize(String(decoding: line, as: UTF8.self)) { patterns.append(pattern) }
        }
        return patterns
    }

    /// One non-comment line to its pattern, or nil when it is blank.
    private static func normalize(_ line: String) -> String? {
        var pattern = IgnorePath.trimSpace(line)
        if pattern.isEmpty { return nil }
        let isExclusion = pattern.utf8.first == UInt8(ascii: "!")
        if isExclusion { pattern = IgnorePath.trimSpace(Substring(pattern.unicodeScalars.dropFirst())) }
        if !pattern.isEmpty {
            var cleaned = IgnorePath.clean(Array(pattern.utf8))
            if cleaned.count > 1 && cleaned[0] == IgnorePath.slash { cleaned.removeFirst() }
            pattern = String(decoding: cleaned, as: UTF8.self)
        }
        return isExclusion ? "!" + pattern : pattern
    }
}
