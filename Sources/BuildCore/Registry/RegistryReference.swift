import Foundation

/// An image reference as a registry sees it: `docker.io/library/busybox:latest`,
/// `127.0.0.1:5000/team/app@sha256:…`. Parsed with docker's grammar and normalisation (a bare
/// `busybox` is `docker.io/library/busybox:latest`; a first component with a `.` or `:`, or
/// `localhost`, is a registry host), so every command names an image the way docker does.
public struct RegistryReference: Sendable, Hashable, CustomStringConvertible {
    /// As written in references: `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    public var registry: String
    /// `library/busybox`.
    public var repository: String
    public var tag: String?
    public var digest: Digest?

    public init(registry: String, repository: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    public init(parsing text: String) throws {
        var name = text.trimmingCharacters(in: .whitespaces)
        func invalid(_ why: String) -> RegistryError { RegistryError.invalidReference(text, why) }
        guard !name.isEmpty else { throw invalid("empty reference") }
        guard name.utf8.count <= 4096 else { throw invalid("longer than 4096 bytes") }
        if let at = name.firstIndex(of: "@") {
            guard let parsed = Digest(parsing: String(name[name.index(after: at)...])) else {
                throw invalid("invalid digest after @")
            }
            digest = parsed
            name = String(name[..<at])
        }
        // A tag follows the last ':' after the last '/'.
        let lastSlash = name.lastIndex(of: "/")
        if let colon = name.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let value = String(name[name.index(after: colon)...])
            guard Self.isTag(value) else { throw invalid("invalid tag \"\(value)\"") }
            tag = value
            name = String(name[..<colon])
        }
        var host = "docker.io"
        var path = name
        if let slash = name.firstIndex(of: "/") {
            let first = String(name[..<slash])
            if first.contains(".") || first.contains(":") || first == "localhost" || first != first.lowercased() {
                host = first
                path = String(name[name.index(after: slash)...])
            }
        }
        if host == "index.docker.io" || host == "registry-1.docker.io" { host = "docker.io" }
        guard Self.isHost(host) else { throw invalid("invalid registry host \"\(host)\"") }
        if host == "docker.io" && !path.contains("/") { path = "library/" + path }
        guard path == path.lowercased() else { throw invalid("repository name must be lowercase") }
        guard path.utf8.count <= 255, path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(Self.isComponent) else {
            throw invalid("invalid repository name \"\(path)\"")
        }
        registry = host
        repository = path
        if tag == nil && digest == nil { tag = "latest" }
    }

    /// `docker.io/library/busybox:latest@sha256:…`, docker's full form.
    public var description: String {
        var text = registry + "/" + repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.value }
        return text
    }

    /// What the distribution API addresses a manifest by: the digest when pinned, else the tag.
    public var manifestReference: String { digest?.value ?? tag ?? "latest" }

    /// The same repository, addressed by a manifest digest.
    public func pinned(_ digest: Digest) -> RegistryReference {
        RegistryReference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// The host the API lives on: Docker Hub's is `registry-1.docker.io`.
    public var apiHost: String { registry == "docker.io" ? "registry-1.docker.io" : registry }

    /// `127.0.0.1`, `localhost` and `::1` registries: docker treats them as insecure registries.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.hasPrefix("[") ? String(host.dropFirst().prefix { $0 != "]" }) : String(host.prefix { $0 != ":" })
        return name == "localhost" || name.hasPrefix("127.") || name == "::1"
    }

    static func isTag(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.utf8.count <= 128 else { return false }
        func word(_ c: Unicode.Scalar) -> Bool { c.isASCII && (CharacterSet.alphanumerics.contains(c) || c == "_") }
        return word(first) && text.unicodeScalars.allSatisfy { word($0) || $0 == "." || $0 == "-" }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if alnum(bytes[i]) { i += 1; continue }
            var j = i
            while j < bytes.count && !alnum(bytes[j]) { j += 1 }
            let separator = String(decoding: bytes[i..<j], as: UTF8.self)
            guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" }) else { return false }
            i = j
        }
        return true
    }

    static func isHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 255 else { return false }
        return host.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ".-:[]_".unicodeScalars.contains($0)) }
    }
}
