import Crypto
import Foundation

/// A content digest, `sha256:<64 hex>`. Every cache key and vertex id in swbuild is one of these,
/// and all of them are computed here, from canonical bytes (never from `hashValue`).
public struct Digest: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let value: String

    public init?(parsing text: String) {
        let bytes = text.utf8
        guard bytes.count == 71, text.hasPrefix("sha256:"),
              bytes.dropFirst(7).allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        value = text
    }

    /// From 64 lowercase hex digits the caller made (a hash it just finished).
    init(hex: String) {
        value = "sha256:" + hex
    }

    public static func sha256<D: DataProtocol>(_ data: D) -> Digest {
        Digest(hex: lowercaseHex(SHA256.hash(data: data)))
    }

    public static func sha256(_ text: String) -> Digest {
        sha256(Data(text.utf8))
    }

    /// Bytes as lowercase hex (a digest's text).
    static func lowercaseHex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The hex part, for file names.
    public var hex: String { String(value.dropFirst(7)) }
    /// A short form for screens and logs (`3f2a9c1b0d4e`).
    public var short: String { String(hex.prefix(12)) }

    public var description: String { value }
    public static func < (a: Digest, b: Digest) -> Bool { a.value < b.value }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let d = Digest(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a sha256 digest: \(text)"))
        }
        self = d
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
