import Foundation
internal import TOMLKit

/// Per-registry settings in buildkitd.toml's form:
///
///     [registry."docker.io"]
///       mirrors = ["mirror.example:5000"]
///     [registry."127.0.0.1:5000"]
///       http = true
///     [registry."registry.internal"]
///       ca = ["/etc/certs/internal-ca.pem"]
///       insecure = false
///
/// Read from `--registry-config FILE` or `SWBUILD_REGISTRY_CONFIG`; other tables of a
/// buildkitd.toml are ignored, so the same file serves both.
public struct RegistryHosts: Sendable, Equatable {
    public struct Settings: Sendable, Equatable, Decodable {
        /// Plain HTTP instead of HTTPS.
        public var http: Bool?
        /// HTTPS without verifying the certificate.
        public var insecure: Bool?
        /// PEM files of extra certificate authorities for this host.
        public var ca: [String]?
        /// Hosts tried in order before this one, for pulls.
        public var mirrors: [String]?

        public init(http: Bool? = nil, insecure: Bool? = nil, ca: [String]? = nil, mirrors: [String]? = nil) {
            self.http = http
            self.insecure = insecure
            self.ca = ca
            self.mirrors = mirrors
        }
    }

    public var hosts: [String: Settings]

    public init(hosts: [String: Settings] = [:]) {
        self.hosts = hosts
    }

    public init(toml text: String, file: String) throws {
        struct File: Decodable { var registry: [String: Settings]? }
        do {
            hosts = try TOMLDecoder().decode(File.self, from: text).registry ?? [:]
        } catch let error as TOMLParseError {
            throw RegistryError("\(file):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        } catch {
            throw RegistryError("\(file): \(error)")
        }
    }

    /// The configuration named by `--registry-config`, else `SWBUILD_REGISTRY_CONFIG`, else none.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RegistryHosts {
        guard let file = path ?? environment["SWBUILD_REGISTRY_CONFIG"], !file.isEmpty else { return RegistryHosts() }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw RegistryError("cannot read the registry configuration \(file)")
        }
        return try RegistryHosts(toml: String(decoding: data, as: UTF8.self), file: file)
    }

    public func settings(for host: String) -> Settings {
        if let exact = hosts[host] { return exact }
        if host == "docker.io" { return hosts["registry-1.docker.io"] ?? hosts["index.docker.io"] ?? Settings() }
        return Settings()
    }

    /// Where a pull from `registry` goes: its mirrors first, then the registry itself.
    public func pullHosts(for registry: String) -> [String] {
        (settings(for: registry).mirrors ?? []) + [registry]
    }
}
