import Foundation

/// Turns the digest text of replayed lines into shared `Digest` values.
///
/// A replayed build names the same few hundred vertices in every one of its (up to millions of)
/// lines; making a new 71-byte string for each would dominate both time and memory. The interner
/// keys on 8 bytes of the hex (digests are uniformly random there) and confirms the whole text
/// before reusing a value, so it never returns a digest other than the one in the text.
struct DigestInterner: Sendable {
    private var known: [UInt64: Digest] = [:]

    /// Most distinct digests kept; past it, new digests are still returned, just not remembered
    /// (a hostile file cannot grow the table without bound).
    static let capacity = 65_536

    init() {}

    /// The digest spelled by `text` (`sha256:` and 64 lowercase hex digits), or nil.
    mutating func digest(_ text: UnsafeBufferPointer<UInt8>) -> Digest? {
        guard text.count == 71, let base = text.baseAddress else { return nil }
        let key = UnsafeRawPointer(base + 7).loadUnaligned(as: UInt64.self)
        if let found = known[key], found.matches(text) { return found }
        guard let digest = Digest(validating: text) else { return nil }
        if known.count < Self.capacity, known[key] == nil { known[key] = digest }
        return digest
    }

    /// `digest(_:)` for text already in a `String`, sharing its storage when it is new.
    mutating func digest(_ text: String) -> Digest? {
        var utf8Text = text
        return utf8Text.withUTF8 { utf8 -> Digest? in
            guard utf8.count == 71, let base = utf8.baseAddress else { return nil }
            let key = UnsafeRawPointer(base + 7).loadUnaligned(as: UInt64.self)
            if let found = known[key], found.matches(utf8) { return found }
            guard Digest.isValid(utf8) else { return nil }
            let digest = Digest(validated: text)
            if known.count < Self.capacity, known[key] == nil { known[key] = digest }
            return digest
        }
    }
}

extension Digest {
    /// `init(parsing:)` over UTF-8 bytes, without going through `Character`s.
    init?(validating text: UnsafeBufferPointer<UInt8>) {
        guard Self.isValid(text) else { return nil }
        self.value = String(decoding: text, as: UTF8.self)
    }

    /// A digest of text already checked by `isValid`.
    fileprivate init(validated text: String) {
        self.value = text
    }

    /// Whether `text` is `sha256:` and 64 lowercase hex digits (what `init(parsing:)` accepts).
    static func isValid(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count == 71, text.starts(with: "sha256:".utf8) else { return false }
        for byte in text[7...] where !(byte &- 0x30 < 10 || byte &- 0x61 < 6) { return false }
        return true
    }

    /// Whether this digest's text is exactly `text`.
    func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var value = self.value
        return value.withUTF8 { own in
            guard own.count == text.count, let a = own.baseAddress, let b = text.baseAddress else { return false }
            return memcmp(a, b, own.count) == 0
        }
    }
}
