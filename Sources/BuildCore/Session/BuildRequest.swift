import Foundation

/// Everything a user asks of one build, as `swbuild-tui build` flags give it.
public struct BuildRequest: Sendable {
    public var contextPath: String
    public var dockerfilePath: String
    public var target: String?
    public var buildArgs: [String: String]
    public var tags: [String]
    public var noCache: Bool
    public var noCacheStages: Set<String>
    public var jobs: Int
    public var outputs: [OutputSpec]
    /// Secret values by id (read from `--secret id=ID,src=PATH|env=VAR` by the caller).
    public var secrets: [String: Data]
    public var sshAgents: [String: String]
    public var runtime: String
    public var sourceDateEpoch: Int64?
    public var compression: String
    /// Entitlements (`--allow`): `security.insecure`, `network.host`.
    public var allow: Set<String> = []
    /// `--build-context NAME=VALUE`, as given (paths absolute).
    public var buildContexts: [String: String] = [:]
    /// `--cache-to` / `--cache-from`.
    public var cacheTo: [CacheSpec] = []
    public var cacheFrom: [CacheSpec] = []
    /// `--platform`: the target platform (default: this machine's).
    public var platform: Platform = .host
    /// `--platform` was given (an engine then gets it; else it builds for its own).
    public var platformGiven = false
    /// `--label KEY=VALUE`: labels on the image, over the Dockerfile's.
    public var labels: [String: String] = [:]
    /// `--network default|none|host`: the RUN steps' default network (a Docker engine's build).
    public var network: String?
    /// `--builder docker`: the Docker engine (`unix:///…`) that builds instead of this process.
    public var engine: String?
    /// `--pull`: ask the registry for every base image, even one in the local store.
    public var pull = false
    /// `--jobs` / `--oci-runtime` were given (a remote build otherwise uses the remote's own).
    public var jobsGiven = false
    public var runtimeGiven = false
    /// `-H ssh://…` (or an ssh context): swbuild on that machine builds, with this one's context.
    public var remoteHost: String?
    /// `--detach` with a remote host: the build runs on when this client leaves.
    public var detach = false
    /// What the build's record calls its context when it is not `contextPath` (a remote build's
    /// copy says where the client has it: `host:/path`).
    public var contextLabel: String?
    /// `--registry-config`: buildkitd.toml-style registry settings (else `SWBUILD_REGISTRY_CONFIG`).
    public var registryConfig: String?

    public init(contextPath: String, dockerfilePath: String? = nil, target: String? = nil, buildArgs: [String: String] = [:],
                tags: [String] = [], noCache: Bool = false, noCacheStages: Set<String> = [],
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount, outputs: [OutputSpec] = [],
                secrets: [String: Data] = [:], sshAgents: [String: String] = [:], runtime: String = RuntimeLocator.preferred,
                sourceDateEpoch: Int64? = nil, compression: String = "gzip") {
        self.contextPath = contextPath
        self.dockerfilePath = dockerfilePath ?? (contextPath as NSString).appendingPathComponent("Dockerfile")
        self.target = target
        self.buildArgs = buildArgs
        self.tags = tags
        self.noCache = noCache
        self.noCacheStages = noCacheStages
        self.jobs = jobs
        self.outputs = outputs
        self.secrets = secrets
        self.sshAgents = sshAgents
        self.runtime = runtime
        self.sourceDateEpoch = sourceDateEpoch
        self.compression = compression
    }
}

/// `--output type=oci|docker|local|tar,dest=PATH` (and the image store for `-t`).
public struct OutputSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case oci, docker, local, tar, image }
    public var kind: Kind
    public var destination: String?
    public var name: String?
    /// Layer compression (`compression=gzip|zstd|uncompressed`); nil for the default, gzip.
    public var compression: LayerCompression?
    /// `push=true` (or `type=registry`, or `--push`): the image goes to its registry too.
    public var push = false

    public init(kind: Kind, destination: String? = nil, name: String? = nil, compression: LayerCompression? = nil,
                push: Bool = false) {
        self.kind = kind
        self.destination = destination
        self.name = name
        self.compression = compression
        self.push = push
    }

    /// `name=a,b` (quoted in the CSV, as buildx spells it) names several images.
    public var names: [String] {
        (name ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Parses buildx's CSV form; `-o DIR` alone means `type=local,dest=DIR`.
    public static func parse(_ text: String) throws(FrontendError) -> OutputSpec {
        if !text.contains("=") { return OutputSpec(kind: .local, destination: text) }
        var fields: [String: String] = [:]
        for field in CSVFields.split(text) {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw FrontendError(.invalidFlag, "invalid output field \(GoQuote.quote(field)): expected key=value") }
            fields[parts[0].lowercased()] = parts[1]
        }
        // buildx: type=registry is type=image,push=true.
        let registry = fields["type"] == "registry"
        guard let type = registry ? "image" : fields["type"], let kind = Kind(rawValue: type) else {
            throw FrontendError(.invalidFlag, "unsupported output type \(GoQuote.quote(fields["type"] ?? "")): use oci, docker, local, tar, image or registry")
        }
        var push = registry
        if let value = fields["push"] {
            guard let flag = Bool(value.lowercased()) else { throw FrontendError(.invalidFlag, "invalid push=\(GoQuote.quote(value)): expected true or false") }
            push = push || flag
        }
        if push && kind != .image { throw FrontendError(.invalidFlag, "push=true needs type=image or type=registry") }
        let dest = fields["dest"]
        if kind != .image && dest == nil { throw FrontendError(.invalidFlag, "output type=\(type) needs dest=PATH") }
        var compression: LayerCompression?
        if let value = fields["compression"] {
            switch value {
            case "gzip": compression = .gzip
            case "zstd": compression = .zstd
            case "uncompressed": compression = LayerCompression.none
            default:
                throw FrontendError(.invalidFlag, "unsupported compression \(GoQuote.quote(value)): use gzip, zstd or uncompressed")
            }
        }
        return OutputSpec(kind: kind, destination: dest, name: fields["name"], compression: compression, push: push)
    }
}
