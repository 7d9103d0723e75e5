import Foundation

/// Why a file given to `replay` cannot be replayed. Each case names the file (as the user gave
/// it) and, where it has one, the line that decided; the caller prints `description` and exits 1.
public enum EventFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file has no bytes (or only whitespace).
    case empty(path: String)
    /// The first line that is not blank is not JSON, and no line near the start is an event.
    case notJSON(path: String, line: Int)
    /// The first line that is not blank is JSON, but neither a record event nor a SolveStatus.
    case unrecognizedJSON(path: String, line: Int)
    /// The start looked like `format`, but not one of its `lines` lines could be read.
    case nothingReadable(path: String, format: EventFile.Format, lines: Int)
    /// The file system refused (`path`, then the system's message).
    case unreadable(path: String, message: String)

    public var description: String {
        let neither = "is neither a swbuild build record nor BuildKit rawjson progress"
        switch self {
        case .empty(let path):
            return "\(path) is empty"
        case .notJSON(let path, let line):
            return "\(path) \(neither): line \(line) is not JSON"
        case .unrecognizedJSON(let path, let line):
            return "\(path) \(neither): line \(line) is JSON, but neither a build event nor a BuildKit SolveStatus"
        case .nothingReadable(let path, let format, let lines):
            let what = format == .record ? "a swbuild build record" : "BuildKit rawjson progress"
            return "\(path) looks like \(what), but none of its \(lines) \(lines == 1 ? "line" : "lines") could be read"
        case .unreadable(let path, let message):
            return "cannot read \(path): \(message)"
        }
    }
}
