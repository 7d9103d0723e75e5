import Crypto
import Foundation

extension Digest {
    /// The digest of a finished streaming hash (the same value `Digest.sha256` gives for the
    /// same bytes, so digests computed in one pass and in memory always agree).
    static func finalize(_ hasher: SHA256) -> Digest {
        let hex = Digest.lowercaseHex(hasher.finalize())
        // A SHA-256 rendered as 64 lowercase hex digits always parses.
        return Digest(parsing: "sha256:" + hex) ?? Digest.sha256(Data())
    }

    /// Hashes a file without loading it into memory.
    public static func sha256(fileAt path: String) throws -> Digest {
        let source = HashingSource(try FileSource(path: path))
        return try source.drainDigest()
    }
}
