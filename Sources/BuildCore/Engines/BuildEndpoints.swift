import Foundation

/// A named place builds happen, as docker contexts and buildx builders name them: this machine
/// (`default`), swbuild on another machine over ssh, or a Docker engine's BuildKit.
public struct BuildEndpoint: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    /// `ssh://[user@]host[:port]`: swbuild on that machine (attach, history, replay, home).
    public var host: String?
    /// `unix:///path` or `ssh://[user@]host[:port]`: a Docker engine that builds (`build --builder docker`).
    public var docker: String?

    public init(name: String, description: String? = nil, host: String? = nil, docker: String? = nil) {
        self.name = name
        self.description = description
        self.host = host
        self.docker = docker
    }

    public static let local = BuildEndpoint(name: "default", description: "this machine's engine")

    /// What it points at, for listings.
    public var endpoint: String { host ?? docker ?? "local" }
}

/// The contexts the user created, and the current one, in `contexts.json` under swbuild's config
/// directory (`SWBUILD_CONFIG`, else `$XDG_CONFIG_HOME/swbuild`, else `~/.config/swbuild`; mode
/// 0600, replaced atomically). They hold no credentials: ssh and the engine's socket
/// permissions do the authentication.
public struct BuildEndpoints: Sendable {
    public struct File: Codable, Sendable, Equatable {
        public var current: String?
        public var contexts: [BuildEndpoint] = []
    }

    public let path: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let directory: String
        if let config = environment["SWBUILD_CONFIG"], !config.isEmpty {
            directory = config
        } else if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            directory = xdg + "/swbuild"
        } else {
            directory = (environment["HOME"] ?? NSHomeDirectory()) + "/.config/swbuild"
        }
        path = directory + "/contexts.json"
    }

    public func load() throws(EndpointError) -> File {
        guard let data = FileManager.default.contents(atPath: path) else { return File() }
        do {
            return try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw .unreadable(path, "\(error)")
        }
    }

    func save(_ file: File) throws(EndpointError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try AtomicFile.write(try encoder.encode(file), to: path, mode: 0o600)
        } catch {
            throw .unwritable(path, "\(error)")
        }
    }

    /// Every context, `default` first.
    public func all() throws(EndpointError) -> [BuildEndpoint] {
        [.local] + (try load().contexts.sorted { $0.name < $1.name })
    }

    public func current() throws(EndpointError) -> String { try load().current ?? BuildEndpoint.local.name }

    public func find(_ name: String) throws(EndpointError) -> BuildEndpoint {
        guard let found = try all().first(where: { $0.name == name }) else {
            throw .unknown(name, try all().map(\.name))
        }
        return found
    }

    public func create(_ endpoint: BuildEndpoint) throws(EndpointError) {
        try Self.validate(endpoint)
        var file = try load()
        guard endpoint.name != BuildEndpoint.local.name, !file.contexts.contains(where: { $0.name == endpoint.name }) else {
            throw .exists(endpoint.name)
        }
        file.contexts.append(endpoint)
        try save(file)
    }

    public func use(_ name: String) throws(EndpointError) {
        _ = try find(name)
        var file = try load()
        file.current = name == BuildEndpoint.local.name ? nil : name
        try save(file)
    }

    /// Removes a context; removing the current one makes `default` current again.
    public func remove(_ name: String) throws(EndpointError) {
        guard name != BuildEndpoint.local.name else { throw .builtIn }
        var file = try load()
        guard file.contexts.contains(where: { $0.name == name }) else { throw .unknown(name, try all().map(\.name)) }
        file.contexts.removeAll { $0.name == name }
        if file.current == name { file.current = nil }
        try save(file)
    }

    /// Names as docker allows them; exactly one endpoint, of a form swbuild can reach.
    static func validate(_ endpoint: BuildEndpoint) throws(EndpointError) {
        let name = endpoint.name
        guard let first = name.unicodeScalars.first, CharacterSet.alphanumerics.contains(first),
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0) }),
              name.count <= 64 else {
            throw .badName(name)
        }
        switch (endpoint.host, endpoint.docker) {
        case (let host?, nil):
            guard host.hasPrefix("ssh://"), host.count > 6 else { throw .badEndpoint("--host \(host): expected ssh://[user@]host[:port]") }
        case (nil, let docker?):
            guard docker.hasPrefix("unix:///") || docker.hasPrefix("ssh://") else {
                throw .badEndpoint("--docker \(docker): expected unix:///path or ssh://[user@]host[:port]")
            }
        default:
            throw .badEndpoint("give exactly one of --host ssh://… or --docker unix://…")
        }
    }
}

public enum EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknown(String, [String])
    case exists(String)
    case builtIn
    case badName(String)
    case badEndpoint(String)
    case unreadable(String, String)
    case unwritable(String, String)

    public var description: String {
        switch self {
        case .unknown(let name, let known): return "context \"\(name)\" not found (contexts: \(known.joined(separator: ", ")))"
        case .exists(let name): return "context \"\(name)\" already exists"
        case .builtIn: return "context \"default\" is this machine and cannot be removed"
        case .badName(let name):
            return "context name \"\(name)\": use letters, digits, '_', '.' and '-', starting with a letter or digit"
        case .badEndpoint(let why): return why
        case .unreadable(let path, let why): return "cannot read the contexts in \(path): \(why)"
        case .unwritable(let path, let why): return "cannot write the contexts to \(path): \(why)"
        }
    }
}
