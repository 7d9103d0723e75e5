import Crypto
import Foundation

extension Digest {
    /// The digest of a finished streaming hash (the same value `Digest.sha256` gives for the
    /// same bytes, so digests computed in one pass and in memory always agree).
    static func finalize(_ hasher: SHA256) -> Digest {
        Digest(hex: Digest.lowercaseHex(hasher.finalize()))
    }

    /// Hashes a file without loading it into memory.
    public static func sha256(fileAt path: String) throws -> Digest {
        let source = HashingSource(try FileSource(path: path))
        return try source.drainDigest()
    }
}
