import Foundation

/// One challenge of a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"` or
/// `Basic realm="…"` (RFC 7235: a scheme, then comma-separated parameters, values quoted or not).
public struct AuthChallenge: Sendable, Equatable {
    /// Lower-cased: `bearer`, `basic`.
    public var scheme: String
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Every challenge in a header value, in order.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        let chars = Array(header.unicodeScalars)
        var i = 0
        func skipSpaces() { while i < chars.count && (chars[i] == " " || chars[i] == "\t") { i += 1 } }
        func token() -> String {
            var text = ""
            while i < chars.count, chars[i] != " ", chars[i] != "\t", chars[i] != ",", chars[i] != "=" {
                text.unicodeScalars.append(chars[i])
                i += 1
            }
            return text
        }
        while i < chars.count {
            skipSpaces()
            while i < chars.count && chars[i] == "," { i += 1; skipSpaces() }
            let scheme = token()
            guard !scheme.isEmpty else { break }
            var challenge = AuthChallenge(scheme: scheme.lowercased(), parameters: [:])
            // Parameters until the next token that is not followed by '='.
            while i < chars.count {
                skipSpaces()
                let mark = i
                let key = token()
                skipSpaces()
                guard !key.isEmpty, i < chars.count, chars[i] == "=" else { i = mark; break }
                i += 1
                skipSpaces()
                var value = ""
                if i < chars.count && chars[i] == "\"" {
                    i += 1
                    while i < chars.count && chars[i] != "\"" {
                        if chars[i] == "\\" && i + 1 < chars.count { i += 1 }
                        value.unicodeScalars.append(chars[i])
                        i += 1
                    }
                    i += 1
                } else {
                    value = token()
                }
                challenge.parameters[key.lowercased()] = value
                skipSpaces()
                if i < chars.count && chars[i] == "," { i += 1 }
            }
            challenges.append(challenge)
        }
        return challenges
    }
}
