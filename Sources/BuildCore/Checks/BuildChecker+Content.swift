import Foundation

/// Rules about what an instruction names: secret-looking ARG/ENV keys, sources the
/// `.dockerignore` excludes, and EXPOSE port specs.
extension CheckWalk {
    static let secretTokens: Set<String> = ["apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd",
                                            "secret", "token"]
    static let allowedTokens: Set<String> = ["public", "file", "version"]

    /// BuildKit matches `(?i)(?:_|^)(?:token)(?:_|$)`: a secret word as the whole key or as its
    /// first or last `_`-separated part, unless an allowed word is there too.
    static func looksSecret(_ key: String) -> Bool {
        func hasToken(_ tokens: Set<String>) -> Bool {
            let lower = key.lowercased()
            return tokens.contains { token in
                lower == token || lower.hasPrefix(token + "_") || lower.hasSuffix("_" + token) || lower.contains("_" + token + "_")
            }
        }
        return hasToken(secretTokens) && !hasToken(allowedTokens)
    }

    mutating func checkSecret(_ instruction: String, _ key: String, _ config: CheckConfig, _ lines: (Int, Int)) {
        if Self.looksSecret(key) {
            warn(.secretsUsedInArgOrEnv, config,
                 "Do not use ARG or ENV instructions for sensitive data (\(instruction) \(GoQuote.quote(key)))", lines: lines)
        }
    }

    /// CopyIgnoredFile: only without `!` exceptions in the `.dockerignore` (those cannot be decided
    /// statically), and the context root only when a pattern excludes everything.
    mutating func checkIgnored(_ sources: [String], isAdd: Bool, config: CheckConfig, lines: (Int, Int)) throws {
        guard !options.ignorePatterns.isEmpty, let matcher = try? PatternMatcher(patterns: options.ignorePatterns),
              !matcher.hasExclusions else { return }
        for source in sources {
            if source.hasPrefix("http://") || source.hasPrefix("https://") || source.hasPrefix("git@") { continue }
            let cleaned = String(decoding: IgnorePath.clean(Array(source.utf8)), as: UTF8.self)
            if cleaned == "." || cleaned == "/" {
                let rootIgnored = matcher.patterns.contains { !$0.isExclusion && ["*", "**", "**/*"].contains($0.cleanedPattern) }
                if !rootIgnored { continue }
            }
            if (try? matcher.matchesOrParentMatches(cleaned)) == true {
                warn(.copyIgnoredFile, config,
                     "Attempting to \(isAdd ? "Add" : "Copy") file \(GoQuote.quote(cleaned)) that is excluded by .dockerignore", lines: lines)
            }
        }
    }

    /// One EXPOSE spec, `[ip:][hostPort:]port[/proto]`: the protocol should be lower case and
    /// an address or host port has no place in an image.
    mutating func checkExpose(_ raw: String, config: CheckConfig, lines: (Int, Int)) throws {
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let ip: String, hostPort: String, container: String
        switch parts.count {
        case 1: (ip, hostPort, container) = ("", "", parts[0])
        case 2: (ip, hostPort, container) = ("", parts[0], parts[1])
        default: (ip, hostPort, container) = (parts.dropLast(2).joined(separator: ":"), parts[parts.count - 2], parts[parts.count - 1])
        }
        let port = container.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var proto = container.contains("/") ? String(container[container.index(after: container.firstIndex(of: "/") ?? container.startIndex)...]) : ""
        if port.isEmpty {
            throw CheckStop(message: "invalid port: \(GoQuote.quote(raw)): no port specified: \(container)<empty>", line: lines.0)
        }
        if proto.isEmpty { proto = "tcp" }
        guard ["tcp", "udp", "sctp"].contains(proto.lowercased()) else {
            throw CheckStop(message: "invalid port: \(GoQuote.quote(raw)): invalid proto: \(proto)", line: lines.0)
        }
        if proto != proto.lowercased() {
            warn(.exposeProtoCasing, config, "Defined protocol '\(raw)' in EXPOSE instruction should be lowercase", lines: lines)
        }
        if !ip.isEmpty || !hostPort.isEmpty {
            warn(.exposeInvalidFormat, config,
                 "EXPOSE instruction should not define an IP address or host-port mapping, found '\(raw)'", lines: lines)
        }
    }
}
