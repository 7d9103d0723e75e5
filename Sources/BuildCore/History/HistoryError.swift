import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Failures of the build history (records under `<root>/history`). Reading a damaged record is not
/// one of them: readers skip what they cannot parse, because a killed build's record is expected
/// to end in a cut line.
public enum HistoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A build id that cannot be a record's file name (empty, a path, hidden, too long).
    case invalidID(String)
    /// No record matches the id or id prefix.
    case notFound(String)
    /// An id prefix that matches several records.
    case ambiguous(String, matches: [String])
    /// The file system refused (`path`, then the system's message).
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case .invalidID(let id):
            return "invalid build id \"\(id)\""
        case .notFound(let id):
            return "no build record matches \"\(id)\""
        case .ambiguous(let id, let matches):
            return "build id \"\(id)\" is ambiguous: it matches \(matches.joined(separator: ", "))"
        case .io(let path, let message):
            return "\(path): \(message)"
        }
    }

    static func posix(_ path: String, _ code: Int32 = errno) -> HistoryError {
        .io(path: path, message: String(cString: strerror(code)))
    }
}
