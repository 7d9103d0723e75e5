import Foundation

/// The build context as a list: every entry `.dockerignore` lets through, with its metadata and,
/// for a regular file, the sha256 of its bytes (from the stat cache when it vouches for the
/// file). The client sends it first; the remote answers with the digests it lacks, as BuildKit's
/// fsutil diffcopy does. On the remote it is untrusted input: `validate()` runs before any of it
/// touches the disk.
public struct ContextManifest: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case file = "f", directory = "d", symlink = "l" }

        public var path: String
        public var kind: Kind
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        /// Modification time, nanoseconds since the epoch (COPY keeps it, as BuildKit's does).
        public var mtime: Int64
        public var size: Int64
        /// `sha256:…` of a regular file's bytes.
        public var digest: String?
        /// A symlink's target, verbatim.
        public var target: String?

        enum CodingKeys: String, CodingKey {
            case path = "p", kind = "k", mode = "m", uid = "u", gid = "g", mtime = "t", size = "s", digest = "d", target = "l"
        }

        /// Whether the entry at the same path can stay as it is on disk (metadata aside).
        func sameContent(as other: Entry) -> Bool {
            kind == other.kind && digest == other.digest && target == other.target
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The manifest of a loaded context (`BuildContext` already holds every checksum).
    public init(context: BuildContext) {
        entries = context.entries.compactMap { e in
            var entry = Entry(path: e.path, kind: .file, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtime: e.mtimeNanoseconds,
                              size: 0)
            switch e.kind {
            case .file:
                entry.size = e.size
                entry.digest = context.contents[e.path]
            case .directory:
                entry.kind = .directory
            case .symlink:
                entry.kind = .symlink
                entry.target = context.contents[e.path].map { String($0.dropFirst("link:".count)) }
            case .other:
                return nil
            }
            return entry
        }
    }

    /// A nanosecond time as `timespec`'s seconds and nanoseconds (floored: before 1970 too).
    static func timespecParts(_ nanoseconds: Int64) -> (seconds: Int64, nanoseconds: Int) {
        let (q, r) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return r < 0 ? (q - 1, Int(r + 1_000_000_000)) : (q, Int(r))
    }

    public var fileBytes: Int64 { entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) } }
    public var fileCount: Int { entries.count { $0.kind == .file } }

    /// Checks what a client sent before the remote acts on it: relative paths without `.`, `..`
    /// or empty components, each path once, well-formed digests, sizes and targets.
    public func validate() throws(RemoteBuildError) {
        // Keyed by bytes: Swift's String equality would take two spellings of "é" for one name.
        var seen = Set<[UInt8]>()
        for entry in entries {
            let path = entry.path
            guard !path.isEmpty, path.utf8.count <= 4096, !path.utf8.contains(0) else { throw .badManifest("an empty or overlong path") }
            for part in path.split(separator: "/", omittingEmptySubsequences: false) {
                guard !part.isEmpty, part != ".", part != ".." else { throw .badManifest("\(GoQuote.quote(path)) is not a clean relative path") }
            }
            guard seen.insert(Array(path.utf8)).inserted else { throw .badManifest("\(GoQuote.quote(path)) appears twice") }
            guard entry.mode <= 0o7777, entry.size >= 0 else { throw .badManifest("\(GoQuote.quote(path)): bad mode or size") }
            switch entry.kind {
            case .file:
                guard let digest = entry.digest, Digest(parsing: digest) != nil else {
                    throw .badManifest("\(GoQuote.quote(path)): a file needs a sha256 digest")
                }
            case .symlink:
                guard let target = entry.target, !target.isEmpty, target.utf8.count <= 4096, !target.utf8.contains(0) else {
                    throw .badManifest("\(GoQuote.quote(path)): a symlink needs a target")
                }
            case .directory:
                break
            }
        }
    }
}
