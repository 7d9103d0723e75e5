import Foundation

/// A position in a source file, 1-based like editors and BuildKit's messages.
///
/// `endLine` spans multi-line instructions (continuations, heredocs) so an excerpt can show the
/// whole instruction; `column` points at the offending token on `line`.
public struct SourceLocation: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var endLine: Int

    public init(file: String, line: Int, column: Int = 1, endLine: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.endLine = max(endLine ?? line, line)
    }

    /// `file:line:column`, the prefix editors and terminals turn into a link.
    public var description: String { "\(file):\(line):\(column)" }
}

/// A located, user-facing diagnostic: one line of message plus the source lines it points at.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String
    /// The source text of the file, when known, so the diagnostic can quote the lines.
    public var sourceLines: [Substring]

    public init(location: SourceLocation?, message: String, source: String? = nil) {
        self.location = location
        self.message = message
        if let source {
            self.sourceLines = source.split(separator: "\n", omittingEmptySubsequences: false)
        } else {
            self.sourceLines = []
        }
    }

    /// The first line alone: `Dockerfile:12:5: message`.
    public var headline: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }

    /// The headline followed by an excerpt of the source with the located line marked.
    public var description: String {
        guard let location, !sourceLines.isEmpty else { return headline }
        var out = headline
        let first = max(1, location.line)
        let last = min(sourceLines.count, max(location.endLine, first))
        guard first <= sourceLines.count else { return out }
        let width = String(last).count
        for n in first...last {
            let number = String(n)
            let pad = String(repeating: " ", count: width - number.count)
            out += "\n \(pad)\(number) | \(sourceLines[n - 1].replacingOccurrences(of: "\r", with: ""))"
            if n == location.line {
                let blanks = String(repeating: " ", count: width)
                let caret = String(repeating: " ", count: max(0, location.column - 1)) + "^"
                out += "\n \(blanks) | \(caret)"
            }
        }
        return out
    }
}
