import Foundation

/// Everything that can go wrong in the image layer: archives, layers, blobs, image stores and
/// exporters. Every case renders as a sentence a user can act on (`description`); nothing in
/// this layer traps on bad input or a failing file system, it throws one of these instead.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed on a path (`errno` kept for callers that branch on it).
    case fileSystem(operation: String, path: String, errno: Int32)
    /// A compressed stream is corrupt or truncated, or zlib refused to work.
    case compression(String)
    /// A tar stream is malformed (bad checksum, truncated entry, unknown header).
    case badArchive(String)
    /// A tar entry tried to leave the directory it is extracted into, or to write through a
    /// symbolic link; the whole archive is refused.
    case unsafeEntry(path: String, reason: String)
    /// A character or block device in an archive extracted without `allowDevices`.
    case deviceNotAllowed(path: String)
    case layerNotFound(String)
    case blobNotFound(Digest)
    case digestMismatch(expected: Digest, actual: Digest)
    case imageNotFound(String)
    /// A manifest, index, config or archive that parses but does not describe an image we can use.
    case invalidImage(String)
    case invalidName(String)
    /// An external program this feature needs is not installed.
    case toolMissing(String)
    case toolFailed(tool: String, status: Int32, output: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .fileSystem(let operation, let path, let errno):
            return "\(operation) \(path): \(String(cString: strerror(errno)))"
        case .compression(let message):
            return "compressed stream: \(message)"
        case .badArchive(let message):
            return "bad tar archive: \(message)"
        case .unsafeEntry(let path, let reason):
            return "refusing archive entry \"\(path)\": \(reason)"
        case .deviceNotAllowed(let path):
            return "refusing device node \"\(path)\" in archive (devices are not allowed here)"
        case .layerNotFound(let id):
            return "layer \(id) not found in the layer store"
        case .blobNotFound(let digest):
            return "blob \(digest) not found in the content store"
        case .digestMismatch(let expected, let actual):
            return "content digest mismatch: expected \(expected), got \(actual)"
        case .imageNotFound(let name):
            return "image \"\(name)\" not found in the local image store"
        case .invalidImage(let message):
            return "invalid image: \(message)"
        case .invalidName(let name):
            return "invalid image name \"\(name)\""
        case .toolMissing(let tool):
            return "\(tool) is not installed (scripts/setup.sh installs it)"
        case .toolFailed(let tool, let status, let output):
            let detail = output.trimmingCharacters(in: .whitespacesAndNewlines)
            return "\(tool) failed with status \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .unsupported(let message):
            return "unsupported: \(message)"
        }
    }

    /// The current `errno` as a `fileSystem` error.
    static func posix(_ operation: String, _ path: String, _ code: Int32 = errno) -> ImageError {
        .fileSystem(operation: operation, path: path, errno: code)
    }
}
