import Foundation

/// What a build asks of the solver beyond the graph.
public struct SolveOptions: Sendable {
    public var noCache: Bool
    /// Stages whose steps ignore the cache (`--no-cache-filter`).
    public var noCacheStages: Set<String>
    public var jobs: Int
    /// Secret values by id. They reach a step only through a tmpfs file or its environment, and
    /// never a layer, a cache key, an event or a record.
    public var secrets: [String: Data]
    /// SSH agent sockets by id (`default`).
    public var sshAgents: [String: String]
    /// Slows a step's output while the build record lags far behind (nil: no limit).
    public var outputGate: OutputGate?
    /// `--cache-from`: consulted when the local cache misses.
    public var remoteCache: CacheImporter?

    public init(noCache: Bool = false, noCacheStages: Set<String> = [], jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                secrets: [String: Data] = [:], sshAgents: [String: String] = [:]) {
        self.noCache = noCache
        self.noCacheStages = noCacheStages
        self.jobs = max(1, jobs)
        self.secrets = secrets
        self.sshAgents = sshAgents
    }
}

/// An image the local store holds, as the solver needs it.
public struct BaseImage: Sendable {
    public var reference: String
    public var manifestDigest: String
    public var layers: [String]
    /// The image config JSON (env, workdir, user, cmd...), passed through to the exporter.
    public var config: Data

    public init(reference: String, manifestDigest: String, layers: [String], config: Data) {
        self.reference = reference
        self.manifestDigest = manifestDigest
        self.layers = layers
        self.config = config
    }
}

/// Where `FROM image` and `COPY --from=image` find images: the local image store, or test data.
public protocol ImageResolver: Sendable {
    func resolve(_ reference: String, platform: Platform) async throws -> BaseImage
    /// The same, reporting download progress on the step `vertex` (the `FROM` step).
    func resolve(_ reference: String, platform: Platform, vertex: Digest?) async throws -> BaseImage
}

extension ImageResolver {
    public func resolve(_ reference: String, platform: Platform, vertex: Digest?) async throws -> BaseImage {
        try await resolve(reference, platform: platform)
    }
}

/// The result of one vertex: its filesystem and its cache key.
public struct VertexResult: Sendable {
    public var snapshot: Snapshot
    public var cacheKey: String
    public var cached: Bool
    /// Set for image sources: the base image's config.
    public var image: BaseImage?
}

/// Why a build failed: the step, its location and the underlying error.
public struct SolveError: Error, Sendable, CustomStringConvertible {
    public var vertex: Digest?
    public var name: String?
    public var location: SourceLocation?
    public var message: String
    /// The last lines the step printed, for the failure summary.
    public var logTail: [String]

    public init(vertex: Digest? = nil, name: String? = nil, location: SourceLocation? = nil, message: String, logTail: [String] = []) {
        self.vertex = vertex
        self.name = name
        self.location = location
        self.message = message
        self.logTail = logTail
    }

    public var description: String {
        var s = ""
        if let name { s += "\(name): " }
        s += message
        return s
    }
}
