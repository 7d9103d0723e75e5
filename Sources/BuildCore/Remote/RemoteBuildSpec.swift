import Foundation

/// What a remote build session can go wrong with, said in one line.
public enum RemoteBuildError: Error, CustomStringConvertible, Sendable {
    case protocolError(String)
    case connectionLost(String)
    case refused(String)
    case badManifest(String)
    case io(String)

    public var description: String {
        switch self {
        case .protocolError(let m): "remote build: protocol error: \(m)"
        case .connectionLost(let m): "remote build: lost the connection: \(m)"
        case .refused(let m): m
        case .badManifest(let m): "remote build: bad context manifest: \(m)"
        case .io(let m): "remote build: \(m)"
        }
    }
}

/// The build a client asks a remote swbuild for: the request's options (never its local paths),
/// the context's manifest, and the secrets' values, which live only in the remote's memory.
public struct RemoteBuildSpec: Codable, Sendable {
    /// An output the remote writes: into its own store (`image`, a push), or for the client, who
    /// gets its bytes back (`local` as a tar stream of the directory; `tar`, `oci`, `docker` as
    /// the archive).
    public struct Output: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String?
        public var compression: String?
        public var push: Bool
    }

    public var buildID: String
    /// The client's id (`client-id` under its state root) and the context's key: the remote keeps
    /// one copy of each client's context directory.
    public var clientID: String
    public var contextKey: String
    /// `host:/path` of the context on the client, for the remote's records.
    public var contextLabel: String
    /// The Dockerfile's name and bytes, and the `.dockerignore` the client applied: the remote
    /// puts both beside its copy of the context, so its own load of the copy filters the same way.
    public var dockerfileName: String
    public var dockerfile: Data
    public var dockerignore: Data?
    public var manifest: ContextManifest
    public var target: String?
    public var buildArgs: [String: String] = [:]
    public var tags: [String] = []
    public var labels: [String: String] = [:]
    public var noCache = false
    public var noCacheStages: [String] = []
    public var jobs: Int?
    public var runtime: String?
    public var outputs: [Output] = []
    public var secrets: [String: Data] = [:]
    /// `--ssh` ids: the remote opens a socket for each and relays it to the client's agent.
    public var sshAgents: [String] = []
    public var sourceDateEpoch: Int64?
    public var compression: String
    public var allow: [String] = []
    /// `--build-context NAME=docker-image://…` (nothing that names a client path).
    public var buildContexts: [String: String] = [:]
    /// `--cache-to` / `--cache-from` as given (registry caches only).
    public var cacheTo: [String] = []
    public var cacheFrom: [String] = []
    public var platform: String?
    public var pull = false
    /// Run on when the client goes away (`--detach`).
    public var detach = false
}

/// The remote's answer once its copy of the context is in place.
public struct ContextSynced: Codable, Sendable {
    public var written: Int
    public var removed: Int
    /// The bytes of the files written.
    public var bytes: Int64 = 0
}

/// How a remote build ended.
public struct RemoteEnd: Codable, Sendable {
    public var status: BuildFinish.Status
    public var error: String?
    public var imageDigest: String?
    /// What stayed on the remote (images in its store, pushes).
    public var outputs: [String]
}

extension RemoteBuildSpec {
    /// The spec of a request made on the client: its options, the context's manifest, the
    /// Dockerfile's bytes. Outputs with a destination come back to the client; the rest stay.
    init(request: BuildRequest, buildID: String, clientID: String, contextKey: String, contextLabel: String,
         manifest: ContextManifest, dockerfile: Data, dockerignore: Data?, detach: Bool) {
        self.buildID = buildID
        self.clientID = clientID
        self.contextKey = contextKey
        self.contextLabel = contextLabel
        dockerfileName = PathText.lastComponent(of: request.dockerfilePath)
        self.dockerfile = dockerfile
        self.dockerignore = dockerignore
        self.manifest = manifest
        target = request.target
        buildArgs = request.buildArgs
        tags = request.tags
        labels = request.labels
        noCache = request.noCache
        noCacheStages = request.noCacheStages.sorted()
        jobs = request.jobsGiven ? request.jobs : nil
        runtime = request.runtimeGiven ? request.runtime : nil
        outputs = request.outputs.map { Output(kind: $0.kind.rawValue, name: $0.name, compression: $0.compression?.rawValue, push: $0.push) }
        secrets = request.secrets
        sshAgents = request.sshAgents.keys.sorted()
        sourceDateEpoch = request.sourceDateEpoch
        compression = request.compression
        allow = request.allow.sorted()
        buildContexts = request.buildContexts
        cacheTo = request.cacheTo.map(\.text)
        cacheFrom = request.cacheFrom.map(\.text)
        platform = request.platformGiven ? request.platform.description : nil
        pull = request.pull
        self.detach = detach
    }

    /// The Dockerfile's name as the remote writes it: one plain component.
    var safeDockerfileName: String {
        let name = PathText.lastComponent(of: dockerfileName)
        return name.isEmpty || name == "." || name == ".." || name.utf8.contains(0) ? "Dockerfile" : name
    }

    /// The request the remote builds: its copy of the context, the spec's options, outputs for
    /// the client under the tree's `out/<index>`, and the agent sockets the session listens on.
    func request(tree: MirrorTree, agents: [String: String]) throws -> BuildRequest {
        var outs: [OutputSpec] = []
        for (i, o) in outputs.enumerated() {
            guard let kind = OutputSpec.Kind(rawValue: o.kind) else { throw RemoteBuildError.refused("remote build: unknown output type \(o.kind)") }
            let compression = try o.compression.map { value -> LayerCompression in
                guard let c = LayerCompression(rawValue: value) else { throw RemoteBuildError.refused("remote build: unknown compression \(value)") }
                return c
            }
            outs.append(OutputSpec(kind: kind, destination: kind == .image ? nil : tree.outputDirectory + "/\(i)", name: o.name,
                                   compression: compression, push: o.push))
        }
        for value in buildContexts.values where !value.hasPrefix("docker-image://") {
            throw RemoteBuildError.refused("remote build: --build-context \(value) names a path on the client")
        }
        var request = BuildRequest(contextPath: tree.contextPath, dockerfilePath: tree.path + "/df/" + safeDockerfileName, target: target,
                                   buildArgs: buildArgs, tags: tags, noCache: noCache, noCacheStages: Set(noCacheStages),
                                   jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, outputs: outs, secrets: secrets,
                                   sshAgents: agents, runtime: runtime ?? RuntimeLocator.preferred, sourceDateEpoch: sourceDateEpoch,
                                   compression: compression)
        request.allow = Set(allow)
        request.labels = labels
        request.pull = pull
        request.buildContexts = buildContexts
        request.cacheTo = try cacheTo.map { try CacheSpec.parse($0, exporting: true) }
        request.cacheFrom = try cacheFrom.map { try CacheSpec.parse($0, exporting: false) }
        if let platform {
            guard let p = Platform(parsing: platform) else { throw RemoteBuildError.refused("remote build: invalid platform \(platform)") }
            request.platform = p
            request.platformGiven = true
        }
        for cache in request.cacheTo + request.cacheFrom {
            if case .local = cache.location { throw RemoteBuildError.refused("remote build: a type=local cache names a path on the client") }
        }
        request.contextLabel = contextLabel
        return request
    }
}
