import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Failures of attaching to builds, locally or on another host.
public enum AttachError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No running or recorded build matches the id or prefix.
    case notFound(String)
    /// Several running builds match (or none was named and several run).
    case ambiguous(String, matches: [String])
    /// `attach` without an id and nothing runs.
    case nothingRunning
    /// A `--host` value that is not `ssh://[user@]host[:port]`.
    case badHost(String)
    /// The other side said no, or spoke something we do not understand.
    case remote(String)
    /// A system call failed (`what`, then errno's message).
    case io(String)

    public var description: String {
        switch self {
        case .notFound(let id): return "no running or recorded build matches \"\(id)\""
        case .ambiguous(let id, let matches):
            return "\(id.isEmpty ? "several builds are running" : "\"\(id)\" is ambiguous"): \(matches.joined(separator: ", "))"
        case .nothingRunning: return "no build is running"
        case .badHost(let host): return "invalid host \"\(host)\": expected ssh://[user@]host[:port]"
        case .remote(let message): return message
        case .io(let message): return message
        }
    }

    static func posix(_ what: String, _ code: Int32) -> AttachError {
        .io("\(what): \(String(cString: strerror(code)))")
    }
}
